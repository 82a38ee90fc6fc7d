"""Property tests of the detectors on random valid series (hypothesis).

For any valid series (rows in time order, a few channels, finite values or a few missing
readings that the imputer fills, constant channels included), a detector built by the
factories or by hand must fit without an exception and give one finite score per row and
a prediction in {-1, +1} per row. The configurations are tiny (one epoch, a few hidden
units, short windows) so that each example takes a fraction of a second; example counts
are small and the deadline is off (training time varies on a busy machine).
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from ecoai_sklearn.pipelines import make_fft_cnngru_detector, make_usad_detector
from ecoai_sklearn.preprocessing import SeriesKNNImputer
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.windowing import FFTWindower

WINDOW = 8
TINY_CNNGRU = dict(
    max_epochs=1,
    batch_size=64,
    device="cpu",
    module__conv_channels=(2,),
    module__kernel_size=3,
    module__hidden_size=4,
    module__latent_size=2,
)
TINY_USAD = dict(
    max_epochs=1,
    batch_size=64,
    device="cpu",
    module__hidden_sizes=(4, 2),
    module__latent_size=2,
)


def _cnngru_detector():
    return make_fft_cnngru_detector(
        window_size=WINDOW, estimator_params=TINY_CNNGRU, random_state=0
    )


def _usad_detector():
    return make_usad_detector(window_size=WINDOW, estimator_params=TINY_USAD, random_state=0)


def _pca_detector():
    return make_pipeline(
        SeriesKNNImputer(),
        MinMaxScaler(),
        FFTWindower(window_size=WINDOW),
        DTWReconstructionScorer(PCA(n_components=2)),
        IsolationForest(n_estimators=20, random_state=0),
    )


@st.composite
def valid_series(draw):
    """A series (n, c): a level, a cycle, noise and spikes at a random scale, per channel;
    some channels constant, a few readings missing (never a whole channel)."""
    n = draw(st.integers(2 * WINDOW, 80))
    n_channels = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    columns = []
    for _ in range(n_channels):
        level = draw(st.floats(-1e6, 1e6, allow_nan=False))
        scale = draw(st.sampled_from([0.0, 1e-6, 1e-2, 1.0, 1e3, 1e6]))
        period = draw(st.integers(2, 24))
        column = level + scale * (
            np.sin(2 * np.pi * t[:, 0] / period) + draw(st.floats(0, 2)) * rng.normal(size=n)
        )
        if draw(st.booleans()):
            column[rng.integers(0, n, size=2)] += scale * 20  # spikes
        columns.append(column)
    X = np.column_stack(columns)
    n_missing = draw(st.integers(0, 3))
    if n_missing:
        X[rng.integers(0, n, size=n_missing), rng.integers(0, n_channels, size=n_missing)] = np.nan
    return X


def _check_detector(detector, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. USAD's range warning, sklearn's constant data
        detector.fit(X)
        scores = detector.score_samples(X)
        labels = detector.predict(X)
    assert scores.shape == (X.shape[0],)
    assert np.all(np.isfinite(scores))
    assert labels.shape == (X.shape[0],)
    assert set(np.unique(labels)) <= {-1, 1}
    # decision_function is consistent with predict
    decision = detector.decision_function(X)
    assert np.all(np.isfinite(decision))
    np.testing.assert_array_equal(labels == -1, decision < 0)


# Example counts keep each test near 5 s on one busy core (training dominates).
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=8, **_SETTINGS)
@given(X=valid_series())
def test_cnngru_detector_scores_every_row_of_any_valid_series(X):
    _check_detector(_cnngru_detector(), X)


@settings(max_examples=15, **_SETTINGS)
@given(X=valid_series())
def test_usad_detector_scores_every_row_of_any_valid_series(X):
    _check_detector(_usad_detector(), X)


@settings(max_examples=30, **_SETTINGS)
@given(X=valid_series())
def test_pca_pipeline_scores_every_row_of_any_valid_series(X):
    _check_detector(_pca_detector(), X)
