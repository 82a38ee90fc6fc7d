"""sklearn's API checks on every estimator of the package.

Each estimator is checked through a small, fast instance. Every check it is known to fail is
listed with the reason; anything else failing is a regression.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from ecoai_sklearn.augmentation import MIFGSMAugmenter
from ecoai_sklearn.neural import CNNGRUAE, LSTMAE, USAD
from ecoai_sklearn.preprocessing import Differencer, SeriesKNNImputer
from ecoai_sklearn.thresholding import WeightedZScoreThresholder
from ecoai_sklearn.windowing import FFTWindower

# Rows of a series are consecutive time steps: for stages whose output at row t depends on
# neighbouring rows, sklearn's row-permutation and row-subset invariance cannot hold.
ROW_ORDER_MATTERS = {
    "check_methods_subset_invariance": "rows are consecutive time steps: an output row "
    "depends on its neighbours or on its position in the series",
    "check_methods_sample_order_invariance": "rows are consecutive time steps: reordering "
    "them changes the output",
}

INSTANCES_AND_EXPECTED_FAILURES = [
    (SeriesKNNImputer(period=4), {}),
    (SeriesKNNImputer(), {}),
    (Differencer(), ROW_ORDER_MATTERS),
    (Differencer(order=2, lag=2, fill_value=float("nan")), ROW_ORDER_MATTERS),
    # Tiny nets keep the checks fast; kernel_size=1 because sklearn's test data has 2 columns.
    # Seeded: float32 GELU results can differ by 1 ulp with a row's position in the batch, which
    # an unlucky random initialisation can turn into a sample-order-invariance failure.
    (
        CNNGRUAE(
            max_epochs=2,
            batch_size=16,
            random_state=0,
            module__conv_channels=(4,),
            module__kernel_size=1,
            module__hidden_size=4,
            module__latent_size=2,
        ),
        {},
    ),
    (LSTMAE(max_epochs=2, batch_size=16, random_state=0, module__hidden_sizes=(4, 2)), {}),
    (USAD(max_epochs=2, batch_size=16, random_state=0), {}),
    (
        MIFGSMAugmenter(
            estimator=CNNGRUAE(
                max_epochs=1,
                batch_size=16,
                random_state=0,
                module__conv_channels=(2,),
                module__kernel_size=1,
                module__hidden_size=4,
                module__latent_size=2,
            ),
            n_iter=2,
            random_state=0,
        ),
        {},
    ),
    # 'auto' needs a periodic series; sklearn's random data has none.
    (FFTWindower(window_size=2), ROW_ORDER_MATTERS),
    # The default instance flags nothing on sklearn's blob data (no |z| > 3.3), so the outlier
    # checks use the empirical reference.
    (WeightedZScoreThresholder(reference="empirical"), {}),
    (
        WeightedZScoreThresholder(period=4, weekly="weekend", min_samples=3, reference="empirical"),
        ROW_ORDER_MATTERS,
    ),
]


def _expected_failed_checks(estimator):
    for instance, failures in INSTANCES_AND_EXPECTED_FAILURES:
        if instance is estimator:
            return failures
    return {}


@parametrize_with_checks(
    [instance for instance, _ in INSTANCES_AND_EXPECTED_FAILURES],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
