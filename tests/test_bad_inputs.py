"""Bad input over the public API: one clear error per mistake, and no input modified.

Each case is one mistake a user can make, answered by a ``ValueError`` or a ``TypeError``
whose message names the argument or parameter and says what was expected (checked with
``match=``). The rules behind them (``ecoai_sklearn.utils``):

- text and complex numbers in a series, windows or labels are a ``TypeError`` (complex:
  ``ComplexDataError``, also a ``ValueError`` as scikit-learn expects);
- NaN and inf are a ``ValueError`` (the imputer and ``inverse_transform`` accept NaN);
- ``True``/``False`` are never numbers: a bool for an int or float parameter is refused;
- finite values that a computation cannot represent (float32 models, overflowing
  differences or distances) are a ``ValueError``, never NaN or inf in the output;
- parameters are checked when the object is built or fitted, not first used, also for
  an estimator fitted inside a meta-estimator.

Several cases reproduce fuzzing findings of issue #13 (marked "#13").
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from ecoai_sklearn.augmentation import MIFGSMAugmenter
from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.dtw import paired_dtw
from ecoai_sklearn.metrics import (
    event_f1_score,
    make_anomaly_scorer,
    point_f1_score,
    point_roc_auc_score,
    vus_pr_score,
)
from ecoai_sklearn.neural import CNNGRUAE, LSTMAE, USAD
from ecoai_sklearn.preprocessing import Differencer, SeriesKNNImputer
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.streaming import AlarmAggregator
from ecoai_sklearn.thresholding import WeightedZScoreThresholder, weighted_ratio_thresholds
from ecoai_sklearn.utils import ComplexDataError
from ecoai_sklearn.windowing import FFTWindower, amplitude_spectrum, find_periods

RNG = np.random.default_rng(0)
SERIES = np.sin(np.arange(300) * 2 * np.pi / 24)[:, None] + 0.1 * RNG.normal(size=(300, 2))
WINDOWS = np.lib.stride_tricks.sliding_window_view(SERIES[:, 0], 8)[:64].copy()
LABELS = np.zeros(300, dtype=int)
LABELS[100:104] = 1

# Tiny, fast settings for the autoencoders.
TINY = dict(max_epochs=1, batch_size=32, random_state=0, device="cpu")
TINY_CNN = dict(TINY, module__conv_channels=(2,), module__kernel_size=3, module__hidden_size=4)
# sklearn's InvalidParameterError: "The 'name' parameter of Owner must be ... Got ... instead."
PARAM = "The '{}' parameter of {} must be"


def _complex(a):
    return a + 1j


def _text(a):
    return a.astype(str)


def _nan_metric(y_true, y_pred):
    return float("nan")


# (id, call, expected exception, regex the message must match)
CASES = [
    # --- series and windows: text and complex are a TypeError everywhere --------------
    (
        "CNNGRUAE complex",
        lambda: CNNGRUAE(**TINY_CNN).fit(_complex(WINDOWS)),
        TypeError,
        "X must hold real numbers.*Complex data not supported",
    ),
    (
        "LSTMAE text",
        lambda: LSTMAE(**TINY).fit(_text(WINDOWS)),
        TypeError,
        "X must be a numeric array of windows",
    ),
    (
        "USAD complex",
        lambda: USAD(**TINY).fit(_complex(WINDOWS)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "Differencer complex",
        lambda: Differencer().fit(_complex(SERIES)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "Differencer text",
        lambda: Differencer().fit(_text(SERIES)),
        TypeError,
        "X must be a numeric array of shape",
    ),
    (
        "SeriesKNNImputer complex",
        lambda: SeriesKNNImputer().fit(_complex(SERIES)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "FFTWindower complex",
        lambda: FFTWindower(window_size=8).fit(_complex(SERIES)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "find_periods complex",
        lambda: find_periods(_complex(SERIES)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "find_periods text",
        lambda: find_periods(_text(SERIES)),
        TypeError,
        "X must be a numeric array",
    ),
    (
        "amplitude_spectrum complex",
        lambda: amplitude_spectrum(_complex(SERIES[:, 0])),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "paired_dtw complex X",
        lambda: paired_dtw(_complex(WINDOWS), WINDOWS),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "paired_dtw text Y",
        lambda: paired_dtw(WINDOWS, _text(WINDOWS)),
        TypeError,
        "Y must be a numeric array of windows",
    ),
    (
        "thresholder complex",
        lambda: WeightedZScoreThresholder().fit(_complex(SERIES)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "thresholder complex DataFrame column",
        lambda: WeightedZScoreThresholder().fit(pd.DataFrame({"a": SERIES[:, 0] + 0j})),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "augmenter complex",
        lambda: MIFGSMAugmenter(n_iter=1).fit(_complex(WINDOWS)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "augmenter text",
        lambda: MIFGSMAugmenter(n_iter=1).fit(_text(WINDOWS)),
        TypeError,
        "X must be a numeric array of windows",
    ),
    (
        "scorer complex windows",
        lambda: DTWReconstructionScorer(PCA(2), grain="sample").fit(_complex(WINDOWS)),
        TypeError,
        "X must hold real numbers",
    ),
    (
        "latent codes complex",
        lambda: (
            LSTMAE(**TINY, module__hidden_sizes=(4, 2))
            .fit(WINDOWS)
            .inverse_transform(np.ones((2, 2)) + 1j)
        ),
        TypeError,
        "Z must hold real numbers",
    ),
    # --- NaN and inf: ValueError --------------------------------------------------------
    (
        "CNNGRUAE NaN",
        lambda: CNNGRUAE(**TINY_CNN).fit(np.where(WINDOWS > 0.9, np.nan, WINDOWS)),
        ValueError,
        "X contains NaN, but CNNGRUAE needs windows",
    ),
    (
        "find_periods inf",
        lambda: find_periods(np.r_[SERIES[:, 0], np.inf]),
        ValueError,
        "X contains infinity.*find_periods needs finite",
    ),
    (
        "paired_dtw NaN",
        lambda: paired_dtw(WINDOWS, WINDOWS * np.nan),
        ValueError,
        "Input Y contains NaN",
    ),
    # --- finite values a computation cannot represent (#13) ----------------------------
    (
        "CNNGRUAE beyond float32",
        lambda: CNNGRUAE(**TINY_CNN).fit(WINDOWS * 1e39),
        ValueError,
        r"X holds values up to 1.*e\+39.*beyond the float32 range.*CNNGRUAE",
    ),
    (
        "LSTMAE scored beyond float32",
        lambda: (
            LSTMAE(**TINY, module__hidden_sizes=(4, 2)).fit(WINDOWS).score_windows(WINDOWS * 1e39)
        ),
        ValueError,
        "beyond the float32 range",
    ),
    (
        "USAD beyond float32",
        lambda: USAD(**TINY).fit(WINDOWS * 1e39),
        ValueError,
        "beyond the float32 range.*USAD",
    ),
    (
        "augmenter beyond float32",
        lambda: MIFGSMAugmenter(n_iter=1).fit(WINDOWS * 1e39),
        ValueError,
        "beyond the float32 range",
    ),
    (
        "Differencer overflow",
        lambda: Differencer().fit_transform([[1e308], [-1e308]]),
        ValueError,
        "differences of X overflow float64",
    ),
    (
        "paired_dtw distance beyond float64",
        lambda: paired_dtw([[1e308, 0.0]], [[-1e308, 0.0]]),
        ValueError,
        "DTW distance .* exceeds the float64 range",
    ),
    # --- bool is not a number ------------------------------------------------------------
    (
        "CNNGRUAE max_epochs=True",
        lambda: CNNGRUAE(max_epochs=True).fit(WINDOWS),
        ValueError,
        PARAM.format("max_epochs", "CNNGRUAE") + r" an int in the range \[1, inf\)",
    ),
    (
        "LSTMAE batch_size=True",
        lambda: LSTMAE(batch_size=True).fit(WINDOWS),
        TypeError,
        PARAM.format("batch_size", "LSTMAE"),
    ),
    (
        "USAD lr=True",
        lambda: USAD(lr=True).fit(WINDOWS),
        ValueError,
        PARAM.format("lr", "USAD") + " a float",
    ),
    (
        "Differencer order=True",
        lambda: Differencer(order=True).fit(SERIES),
        ValueError,
        PARAM.format("order", "Differencer"),
    ),
    (
        "SeriesKNNImputer n_neighbors=True",
        lambda: SeriesKNNImputer(n_neighbors=True).fit(SERIES),
        ValueError,
        PARAM.format("n_neighbors", "SeriesKNNImputer"),
    ),
    (
        "FFTWindower window_size=True",
        lambda: FFTWindower(window_size=True).fit(SERIES),
        ValueError,
        PARAM.format("window_size", "FFTWindower"),
    ),
    (
        "find_periods n_periods=True",
        lambda: find_periods(SERIES, n_periods=True),
        ValueError,
        PARAM.format("n_periods", "find_periods"),
    ),
    (
        "thresholder period=True",
        lambda: WeightedZScoreThresholder(period=True).fit(SERIES),
        ValueError,
        PARAM.format("period", "WeightedZScoreThresholder"),
    ),
    (
        "thresholder min_samples=False",
        lambda: WeightedZScoreThresholder(min_samples=False).fit(SERIES),
        ValueError,
        PARAM.format("min_samples", "WeightedZScoreThresholder"),
    ),
    (
        "weighted_ratio_thresholds share_power=True",
        lambda: weighted_ratio_thresholds([0.5, 0.5], share_power=True),
        ValueError,
        PARAM.format("share_power", "weighted_ratio_thresholds"),
    ),
    (
        "augmenter label=True",
        lambda: MIFGSMAugmenter(label=True).fit(WINDOWS),
        ValueError,
        PARAM.format("label", "MIFGSMAugmenter") + r" an int in the range \[0, 1\]",
    ),
    (
        "augmenter n_samples=True",
        lambda: MIFGSMAugmenter(n_samples=True).fit(WINDOWS),
        ValueError,
        PARAM.format("n_samples", "MIFGSMAugmenter"),
    ),
    (
        "scorer batch_size=True",
        lambda: DTWReconstructionScorer(PCA(2), batch_size=True).fit(WINDOWS),
        ValueError,
        PARAM.format("batch_size", "DTWReconstructionScorer"),
    ),
    (
        "make_industrial_load n_days=True",
        lambda: make_industrial_load(n_days=True),
        ValueError,
        PARAM.format("n_days", "make_industrial_load"),
    ),
    (
        "AlarmAggregator min_duration=True",
        lambda: AlarmAggregator(min_duration=True).update([1, -1]),
        ValueError,
        PARAM.format("min_duration", "AlarmAggregator"),
    ),
    (
        "vus_pr_score sliding_window=True",
        lambda: vus_pr_score(LABELS, np.arange(300.0), sliding_window=True),
        TypeError,
        "sliding_window must be an int >= 0, got True",
    ),
    (
        "paired_dtw window=True",
        lambda: paired_dtw(WINDOWS, WINDOWS, window=True),
        TypeError,
        "window must be None, an int >= 0 or a float in",
    ),
    # --- parameters checked when built or fitted (#13) ------------------------------------
    (
        "nested max_epochs=0",
        lambda: DTWReconstructionScorer(CNNGRUAE(**dict(TINY_CNN, max_epochs=0))).fit(
            np.lib.stride_tricks.sliding_window_view(SERIES, 8, axis=0).transpose(0, 2, 1)
        ),
        ValueError,
        PARAM.format("max_epochs", "CNNGRUAE"),
    ),
    (
        "scorer sliding_window=-3",
        lambda: make_anomaly_scorer("vus_pr", sliding_window=-3),
        ValueError,
        "sliding_window must be an int >= 0, got -3",
    ),
    (
        "scorer point_adjusted=1",
        lambda: make_anomaly_scorer("best_f1", point_adjusted=1),
        TypeError,
        "point_adjusted must be a bool, got 1",
    ),
    (
        "scorer zero_division='x'",
        lambda: make_anomaly_scorer("f1", zero_division="x"),
        ValueError,
        "zero_division must be 'warn', 0.0, 1.0 or np.nan, got 'x'",
    ),
    (
        "scorer return_threshold",
        lambda: make_anomaly_scorer("best_f1", return_threshold=True),
        TypeError,
        "does not accept return_threshold",
    ),
    (
        "thresholder period longer than X (#13)",
        lambda: WeightedZScoreThresholder(period=10**6).fit(SERIES),
        ValueError,
        r"period=1000000 is longer than the training data: X has 300 sample\(s\)",
    ),
    (
        "tuning metric returns NaN (#13)",
        lambda: WeightedZScoreThresholder(thresholds="tune", metric=_nan_metric).fit(
            SERIES, LABELS
        ),
        ValueError,
        "metric returned nan while tuning thresholds",
    ),
    # --- labels: one rule (utils.check_anomaly_labels) -----------------------------------
    (
        "thresholder y of classes",
        lambda: WeightedZScoreThresholder().fit(SERIES, LABELS * 2),
        ValueError,
        r"y must contain only 0 \(normal\) and 1 \(anomaly\); got values \[0, 2\]",
    ),
    (
        "thresholder y too short",
        lambda: WeightedZScoreThresholder().fit(SERIES, LABELS[:-1]),
        ValueError,
        r"y has 299 label\(s\) but X has 300 row\(s\)",
    ),
    (
        "augmenter y too long",
        lambda: MIFGSMAugmenter().fit(WINDOWS, np.zeros(65)),
        ValueError,
        r"y has 65 label\(s\) but X has 64 row\(s\)",
    ),
    (
        "scorer y of -1/+1",
        lambda: make_anomaly_scorer("f1")(
            WeightedZScoreThresholder().fit(SERIES), SERIES, 1 - 2 * LABELS
        ),
        ValueError,
        "y must contain only 0 .* -1 looks like an outlier detector's prediction",
    ),
    (
        "point_f1_score complex y_true",
        lambda: point_f1_score(_complex(LABELS), LABELS),
        TypeError,
        "y_true must hold real numbers",
    ),
    (
        "point_roc_auc_score text scores",
        lambda: point_roc_auc_score(LABELS, _text(np.arange(300.0))),
        TypeError,
        "y_score must be a numeric 1D array of scores",
    ),
    (
        "event_f1_score lengths",
        lambda: event_f1_score(LABELS, LABELS[:-1]),
        ValueError,
        "y_true and y_pred must have the same length, got 300 and 299",
    ),
    (
        "event_f1_score NaN y_true",
        lambda: event_f1_score(np.where(LABELS == 1, np.nan, 0.0), LABELS),
        ValueError,
        "y_true contains NaN; labels must be 0",
    ),
]


def test_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("call", "error", "match"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: Differencer().fit(_complex(SERIES)),
        lambda: paired_dtw(_complex(WINDOWS), WINDOWS),
        lambda: point_f1_score(_complex(LABELS), LABELS),
    ],
)
def test_complex_data_is_a_type_error_that_sklearn_code_also_catches(call):
    # one rule (TypeError) that keeps scikit-learn's check_complex_data (ValueError) happy
    with pytest.raises(ComplexDataError) as info:
        call()
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert "Complex data not supported" in str(info.value)


def test_bool_refused_but_numpy_ints_accepted():
    # the rule refuses bool, not integer types other than int
    assert Differencer(order=np.int64(1)).fit(SERIES).transform(SERIES).shape == SERIES.shape
    with pytest.raises(ValueError, match="'lag' parameter"):
        Differencer(lag=np.bool_(True)).fit(SERIES)


def _valid_calls():
    """Valid calls of the public API on every kind of input container."""
    frame = pd.DataFrame(SERIES, columns=["a", "b"])
    labels = pd.Series(LABELS)
    windows_3d = WINDOWS[:, :, None]
    return [
        ("Differencer", lambda X: Differencer().fit(X).transform(X), SERIES),
        ("Differencer frame", lambda X: Differencer().fit_transform(X), frame),
        (
            "imputer",
            lambda X: SeriesKNNImputer().fit_transform(X),
            np.where(SERIES > 1, np.nan, SERIES),
        ),
        ("windower", lambda X: FFTWindower(window_size=8).fit_transform(X), SERIES),
        ("find_periods", lambda X: find_periods(X, n_periods=1), SERIES),
        ("paired_dtw", lambda X: paired_dtw(X, X[::-1], return_point_costs=True), windows_3d),
        (
            "thresholder",
            lambda X: WeightedZScoreThresholder(period=24).fit(X, labels).predict(X),
            frame,
        ),
        ("autoencoder", lambda X: CNNGRUAE(**TINY_CNN).fit(X).score_windows(X), WINDOWS),
        (
            "augmenter",
            lambda X: MIFGSMAugmenter(n_iter=1, random_state=0).fit_resample(X, LABELS[:64]),
            WINDOWS,
        ),
        (
            "scorer",
            lambda X: DTWReconstructionScorer(PCA(2), grain="sample").fit_transform(X),
            WINDOWS,
        ),
        ("metrics", lambda y: (point_f1_score(y, y), vus_pr_score(y, np.arange(300.0))), labels),
    ]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("name", "call", "data"), _valid_calls(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_inputs_are_not_mutated(name, call, data):
    before = data.copy(deep=True) if hasattr(data, "iloc") else data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(data)
    if hasattr(data, "iloc"):
        pd.testing.assert_frame_equal(pd.DataFrame(data), pd.DataFrame(before))
    else:
        np.testing.assert_array_equal(data, before)
