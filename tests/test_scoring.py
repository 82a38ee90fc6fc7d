"""Tests for ecoai_sklearn.scoring.DTWReconstructionScorer."""

import math
import pickle
import tracemalloc

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from ecoai_sklearn.dtw import paired_dtw
from ecoai_sklearn.neural import CNNGRUAE, LSTMAE, USAD
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.scoring._aggregate import covering_mean
from ecoai_sklearn.scoring._scorer import MAX_TRAIN_WINDOWS, auto_train_stride
from ecoai_sklearn.windowing import FFTWindower


class ScaledReconstructor(BaseEstimator):
    """Test double: reconstructs ``factor * X`` and records what it was trained on."""

    def __init__(self, factor=0.0):
        self.factor = factor

    def fit(self, X, y=None):
        self.train_ = np.array(X, copy=True)
        return self

    def reconstruct(self, X):
        self.calls_ = getattr(self, "calls_", 0) + 1
        self.max_batch_ = max(getattr(self, "max_batch_", 0), len(X))
        return self.factor * np.asarray(X, dtype=np.float32)


class MeanReconstructor(BaseEstimator):
    """Test double: reconstructs every window as the mean training window."""

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X, dtype=np.float64).mean(axis=0)
        return self

    def reconstruct(self, X):
        return np.broadcast_to(self.mean_, np.shape(X)).astype(np.float32)


class Memorizer(BaseEstimator):
    """Test double: reconstructs a window as its nearest training window."""

    def fit(self, X, y=None):
        self.train_ = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
        return self

    def reconstruct(self, X):
        flat = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
        nearest = ((flat[:, None, :] - self.train_[None]) ** 2).sum(-1).argmin(1)
        return self.train_[nearest].reshape(np.shape(X))


class CopyAugmenter(BaseEstimator):
    """Test double: appends one shifted copy of every training window, labelled ``label``."""

    def __init__(self, shift=10.0, label=0):
        self.shift = shift
        self.label = label

    def fit_resample(self, X, y=None):
        self.seen_y_ = None if y is None else np.asarray(y).copy()
        X_res = np.concatenate([X, X + self.shift])
        y0 = np.zeros(len(X), dtype=int) if y is None else np.asarray(y)
        return X_res, np.concatenate([y0, np.full(len(X), self.label)])


def _windows(series, w):
    return FFTWindower(window_size=w).fit(series).transform(series)


def _series(n=200, c=1, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / 12 + np.arange(c)) + 0.1 * rng.normal(size=(n, c))


def _brute_force(errors_per_window, n, w, point):
    """Loop oracle: mean over the real windows t >= w - 1 covering each row."""
    out = []
    for s in range(n):
        vals = []
        for t in range(max(s, w - 1), min(s + w - 1, n - 1) + 1):
            j = t - (w - 1)
            vals.append(errors_per_window[j][s - t + w - 1] if point else errors_per_window[j])
        out.append(np.mean(vals, axis=0))
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# per-timestamp mapping against loops and hand-computed values


def test_auto_train_stride_is_coprime_quarter_window():
    assert [auto_train_stride(w) for w in (1, 2, 4, 16, 24, 96, 97)] == [1, 1, 1, 5, 7, 25, 24]
    # short series: the largest co-prime stride that keeps 1,000 training windows
    assert auto_train_stride(96, 35040 - 95) == 25  # a year of 15-minute data: 1,398
    assert auto_train_stride(96, 12000) == 11  # 12 shares a factor with 96
    assert auto_train_stride(96, 5281) == 5
    assert auto_train_stride(96, 800) == 1
    assert auto_train_stride(24, 4369) == 4  # no co-prime stride in 2..4: keep 4
    # long series: at most about MAX_TRAIN_WINDOWS, still co-prime with w
    assert auto_train_stride(96, 250_000) == 25  # 10,000 windows at 25
    assert auto_train_stride(96, 1_000_000 - 95) == 101  # ceil(99.99) = 100 shares 4
    assert auto_train_stride(97, 1_000_000) == 100


@pytest.mark.parametrize("w", [16, 24, 96, 288])
@pytest.mark.parametrize("n_windows", [50_000, 250_001, 1_000_000, 10**7])
def test_auto_train_stride_bounds_the_training_windows(w, n_windows):
    stride = auto_train_stride(w, n_windows)
    assert math.gcd(stride, w) == 1
    assert -(-n_windows // stride) <= MAX_TRAIN_WINDOWS
    # not more thinning than needed: the next smaller co-prime stride keeps too many
    smaller = max(s for s in range(1, stride) if math.gcd(s, w) == 1) if stride > 1 else None
    if smaller is not None and smaller >= w // 4:
        assert -(-n_windows // smaller) > MAX_TRAIN_WINDOWS


def test_covering_mean_hand_computed():
    # n=5 rows, w=3: real windows j=0,1,2 end at rows 2,3,4 (errors 1, 2, 6).
    # row 0 -> j 0; row 1 -> j 0..1; row 2 -> j 0..2; row 3 -> j 1..2; row 4 -> j 2.
    out = covering_mean(np.array([[1.0], [2.0], [6.0]]), 5, 3)
    assert_allclose(out[:, 0], [1.0, 1.5, 3.0, 4.0, 6.0])


def test_zero_reconstruction_mse_path_gives_each_rows_own_square():
    # Reconstructing zeros, every covering window assigns row s the cost x_s^2.
    X = _series(60, c=2)
    scorer = DTWReconstructionScorer(ScaledReconstructor(), metric="mse", aggregation="path")
    features = scorer.fit_transform(_windows(X, 8))
    assert_allclose(features[:, 0], (X**2).mean(axis=1))


def test_zero_reconstruction_mse_covering_matches_loop():
    X = _series(40, c=2)
    w = 6
    windows = _windows(X, w)
    features = DTWReconstructionScorer(
        ScaledReconstructor(), metric="mse", aggregation="covering"
    ).fit_transform(windows)
    per_window = [(windows[t] ** 2).mean() for t in range(w - 1, len(X))]
    assert_allclose(features[:, 0], _brute_force(per_window, len(X), w, point=False))


@pytest.mark.parametrize("channels", ["joint", "separate"])
@pytest.mark.parametrize("aggregation", ["path", "covering"])
def test_dtw_features_match_paired_dtw_oracle(aggregation, channels):
    X = _series(50, c=2, seed=1)
    w, factor = 7, 0.5
    windows = _windows(X, w)
    scorer = DTWReconstructionScorer(
        ScaledReconstructor(factor), aggregation=aggregation, channels=channels
    )
    features = scorer.fit_transform(windows)
    real = np.asarray(windows[w - 1 :])
    rec = (factor * real.astype(np.float32)).astype(np.float64)  # the double's float32 output
    groups = [slice(None)] if channels == "joint" else [slice(0, 1), slice(1, 2)]
    size = 2 if channels == "joint" else 1
    expected = []
    for group in groups:
        dist, costs = paired_dtw(real[..., group], rec[..., group], return_point_costs=True)
        if aggregation == "path":
            expected.append(_brute_force(costs / size, len(X), w, point=True))
        else:
            expected.append(_brute_force(dist**2 / (w * size), len(X), w, point=False))
    assert_allclose(features, np.column_stack(expected), rtol=1e-10)


def _dtw_loop(a, b, soft_gamma=None):
    """Textbook (soft-)DTW by dynamic programming on squared Euclidean local costs."""
    n, m = len(a), len(b)
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            prev = np.array([acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1]])
            if soft_gamma is None:
                best = prev.min()
            else:  # soft-min: -gamma * log(sum(exp(-prev / gamma)))
                best = -soft_gamma * np.logaddexp.reduce(-prev / soft_gamma)
            acc[i, j] = np.sum((a[i - 1] - b[j - 1]) ** 2) + best
    return acc[n, m]


def test_sample_grain_dtw_equals_dynamic_programming():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 9, 2))
    features = DTWReconstructionScorer(ScaledReconstructor(0.3), grain="sample").fit_transform(X)
    rec = (0.3 * X.astype(np.float32)).astype(np.float64)
    # squared DTW distance (sum of squared costs on the path) per time step and channel
    expected = [_dtw_loop(X[i], rec[i]) / (9 * 2) for i in range(6)]
    assert_allclose(features[:, 0], expected, rtol=1e-10)


@pytest.mark.slow  # tslearn compiles its soft-DTW kernels on first use (10-40 s here)
def test_softdtw_equals_the_soft_dtw_divergence():
    pytest.importorskip("tslearn.metrics")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 7, 1))
    features = DTWReconstructionScorer(
        ScaledReconstructor(0.5), grain="sample", metric="softdtw", metric_params={"gamma": 0.5}
    ).fit_transform(X)
    rec = (0.5 * X.astype(np.float32)).astype(np.float64)

    def sdtw(a, b):
        return _dtw_loop(a, b, soft_gamma=0.5)

    # Blondel et al. (2021): D(x, y) = sdtw(x, y) - (sdtw(x, x) + sdtw(y, y)) / 2
    expected = [
        (sdtw(X[i], rec[i]) - 0.5 * (sdtw(X[i], X[i]) + sdtw(rec[i], rec[i]))) / 7 for i in range(4)
    ]
    # tslearn's torch loss agrees with the float64 recursion to float32 precision only
    assert_allclose(features[:, 0], expected, rtol=1e-6)


def test_model_metric_uses_usad_score_over_covering_windows():
    X = 0.5 + 0.3 * _series(80, c=1) / 1.5
    w = 8
    windows = _windows(X, w)
    usad = USAD(max_epochs=2, alpha=0.3, beta=0.7, random_state=0, device="cpu")
    scorer = DTWReconstructionScorer(
        usad, metric="model", aggregation="covering", train_stride=1
    ).fit(windows)
    scores = scorer.estimator_.score_windows(np.asarray(windows[w - 1 :]))
    assert_allclose(
        scorer.transform(windows)[:, 0], _brute_force(scores, len(X), w, point=False), rtol=1e-6
    )


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    w=st.integers(1, 8),
    batch_size=st.integers(1, 50),
    aggregation=st.sampled_from(["path", "covering"]),
    seed=st.integers(0, 1000),
)
def test_batches_do_not_change_features(n, w, batch_size, aggregation, seed):
    n = max(n, w)
    X = np.random.default_rng(seed).normal(size=(n, 2))
    windows = _windows(np.vstack([X, X]), w)[:n]  # any windows, also with n < 2w
    reference = DTWReconstructionScorer(
        ScaledReconstructor(0.5), aggregation=aggregation, metric="mse"
    ).fit(windows)
    batched = clone(reference).set_params(batch_size=batch_size).fit(windows)
    assert_allclose(batched.transform(windows), reference.transform(windows), rtol=1e-12)
    assert batched.estimator_.max_batch_ <= batch_size


def test_spike_is_located_on_its_row_and_only_there_with_path_costs():
    X = np.sin(2 * np.pi * np.arange(24 * 30) / 24)[:, None]
    X[500] += 3.0
    windows = _windows(X, 24)
    scorer = DTWReconstructionScorer(PCA(n_components=3), train_stride=1)
    features = scorer.fit_transform(windows)[:, 0]
    assert np.argmax(features) == 500
    # the covering mean smears the spike over the rows of the windows that hold it
    covering = scorer.set_params(aggregation="covering").transform(windows)[:, 0]
    assert features[500] / np.median(features) > 3 * covering[500] / np.median(covering)
    assert np.all(covering[490:511] > 3 * np.median(covering))


# ---------------------------------------------------------------------------------------------
# cross fitting in fit_transform


@pytest.mark.parametrize("aggregation", ["path", "covering"])
def test_fit_transform_cross_fits_each_block_without_its_windows(aggregation):
    X = _series(90, c=2, seed=3)
    n, w = len(X), 6
    windows = _windows(X, w)
    scorer = DTWReconstructionScorer(
        MeanReconstructor(), metric="mse", aggregation=aggregation, train_stride=1, cv=3
    )
    features = scorer.fit_transform(windows)
    real = np.asarray(windows[w - 1 :])
    index = np.arange(w - 1, n)
    for start, stop in [(0, 30), (30, 60), (60, 90)]:
        keep = index[(index < start) | (index >= stop + w - 1)]
        mean = np.asarray(windows)[keep].astype(np.float32).mean(axis=0)
        rec = mean.astype(np.float32).astype(np.float64)
        costs = ((real - rec) ** 2).mean(axis=2)  # (m, w), joint channels
        point = aggregation == "path"
        per_window = costs if point else costs.mean(axis=1)
        expected = _brute_force(per_window, n, w, point=point)[start:stop]
        assert_allclose(features[start:stop, 0], expected, rtol=1e-5)
    # estimator_ is trained on all windows and serves transform
    assert_allclose(scorer.estimator_.mean_, np.asarray(windows[w - 1 :]).mean(axis=0), rtol=1e-6)


def test_cross_fitted_features_are_out_of_sample():
    # A memorizing "autoencoder" has zero in-sample error and positive errors elsewhere.
    X = _series(120, c=1, seed=4)
    windows = _windows(X, 8)
    scorer = DTWReconstructionScorer(Memorizer(), metric="mse", train_stride=1)
    in_sample = scorer.set_params(cv=None).fit_transform(windows)
    assert_allclose(in_sample, 0.0, atol=1e-12)
    assert_allclose(scorer.transform(windows), in_sample)
    crossed = scorer.set_params(cv=2).fit_transform(windows)
    assert np.all(crossed > 1e-4)
    with pytest.raises(ValueError, match="cv=2 leaves no training window"):
        short = FFTWindower(window_size=12).fit(X).transform(X[:20])
        scorer.fit_transform(short)  # block 0's windows reach past the last row


class CountingReconstructor(ScaledReconstructor):
    """Test double that logs the training windows of every clone."""

    log = []

    def fit(self, X, y=None):
        CountingReconstructor.log.append(np.asarray(X)[:, -1, 0].copy())
        return super().fit(X, y)


def test_fold_models_train_on_as_many_windows_as_the_final_model():
    X = np.arange(3000.0)[:, None]
    w = 12
    CountingReconstructor.log = []
    scorer = DTWReconstructionScorer(CountingReconstructor(), train_stride=10, cv=2)
    scorer.fit_transform(_windows(X, w))
    full, fold0, fold1 = CountingReconstructor.log
    assert len(full) == scorer.n_train_windows_ == len(range(11, 3000, 10))
    assert len(fold0) == len(fold1) == len(full)
    # fold 0 (rows 0..1499) only sees windows ending at 1500 + w - 1 or later, fold 1
    # only windows ending before row 1500, both spread over their whole range
    assert fold0.min() == 1500 + w - 1 and fold0.max() == 2999
    assert fold1.min() == w - 1 and fold1.max() == 1499


def test_sample_grain_cross_fitting_uses_row_blocks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    scorer = DTWReconstructionScorer(MeanReconstructor(), grain="sample", metric="mse", cv=2)
    features = scorer.fit_transform(X)
    for block, other in [(slice(0, 5), slice(5, 10)), (slice(5, 10), slice(0, 5))]:
        mean = X[other].astype(np.float32).mean(axis=0).astype(np.float32)
        expected = ((X[block] - mean.astype(np.float64)) ** 2).mean(axis=1)
        assert_allclose(features[block, 0], expected, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# training windows, labels, augmenter


def test_training_windows_are_strided_real_windows():
    X = np.arange(10_000.0)[:, None]
    windows = _windows(X, 8)
    scorer = DTWReconstructionScorer(ScaledReconstructor(), train_stride="auto").fit(windows)
    assert scorer.train_stride_ == 3  # 8 // 4 = 2 shares a factor with 8
    train = scorer.estimator_.train_
    assert_array_equal(train[:, -1, 0], np.arange(7, 10_000, 3))  # window t ends at row t
    assert_array_equal(train[:, 0, 0], np.arange(0, 10_000 - 7, 3))  # no padded window
    assert scorer.n_train_windows_ == len(train)
    short = scorer.fit(windows[:500])
    assert short.train_stride_ == 1 and short.n_train_windows_ == 493


def test_fit_on_normal_drops_windows_covering_a_label():
    X = np.arange(60.0)[:, None]
    y = np.zeros(60, dtype=int)
    y[30] = 1
    windows = _windows(X, 5)
    scorer = DTWReconstructionScorer(ScaledReconstructor(), train_stride=1, fit_on="normal")
    scorer.fit(windows, y)
    ends = scorer.estimator_.train_[:, -1, 0].astype(int)
    # windows ending at 30..34 contain row 30
    assert_array_equal(ends, [t for t in range(4, 60) if not 30 <= t <= 34])
    # fit_on="all" ignores labels, whatever they are
    scorer.set_params(fit_on="all").fit(windows, np.full(60, 7))
    assert scorer.n_train_windows_ == 56


def test_fit_on_normal_in_sample_grain_drops_labelled_rows():
    X = np.random.default_rng(0).normal(size=(20, 4))
    y = np.array([0, 1] * 10)
    scorer = DTWReconstructionScorer(ScaledReconstructor(), grain="sample", fit_on="normal")
    scorer.fit(X, y)
    assert_array_equal(scorer.estimator_.train_[:, :, 0], X[::2])


def test_augmenter_windows_train_only_the_autoencoder():
    X = _series(80)
    y = np.zeros(80, dtype=int)
    y[40] = 1
    windows = _windows(X, 6)
    scorer = DTWReconstructionScorer(
        ScaledReconstructor(), augmenter=CopyAugmenter(), train_stride=2
    ).fit(windows, y)
    n_train = scorer.n_train_windows_
    assert len(scorer.estimator_.train_) == 2 * n_train
    assert_allclose(scorer.estimator_.train_[n_train:], scorer.estimator_.train_[:n_train] + 10)
    # the augmenter saw one label per training window (1 when it covers row 40)
    ends = np.arange(5, 80, 2)
    assert_array_equal(scorer.augmenter_.seen_y_, ((ends >= 40) & (ends <= 45)).astype(int))
    assert scorer.transform(windows).shape == (80, 1)
    assert scorer.augmenter is not scorer.augmenter_  # cloned
    # copies labelled as anomalies are not used to train the autoencoder; originals are,
    # including the labelled ones (fit_on="all")
    with pytest.warns(UserWarning, match="none labelled 0.*label=0"):
        scorer.set_params(augmenter=CopyAugmenter(label=1)).fit(windows, y)
    assert_array_equal(scorer.estimator_.train_, windows[5::2])


def test_default_estimator_is_cnngru_and_estimator_is_cloned():
    windows = _windows(_series(40), 8)
    est = LSTMAE(max_epochs=1, module__hidden_sizes=(4,), random_state=0, device="cpu")
    scorer = DTWReconstructionScorer(est).fit(windows)
    assert scorer.estimator_ is not est and not hasattr(est, "net_")
    assert isinstance(DTWReconstructionScorer()._make_estimator(), CNNGRUAE)


# ---------------------------------------------------------------------------------------------
# new data, chunks, memory, inputs


def test_chunk_with_history_matches_the_long_transform_except_its_last_rows():
    X = _series(300, c=2)
    w = 12
    windower = FFTWindower(window_size=w).fit(X)
    scorer = DTWReconstructionScorer(PCA(n_components=4), train_stride=1).fit(windower.transform(X))
    full = scorer.transform(windower.transform(X))
    a, b = 150, 250
    chunk = scorer.transform(windower.transform(X[a - (w - 1) : b]))[w - 1 :]
    assert_allclose(chunk[: b - a - (w - 1)], full[a : b - (w - 1)], rtol=1e-10)
    assert not np.allclose(chunk[-1], full[b - 1])


def test_memory_stays_bounded_by_batches():
    # 300,000 rows, w=96: n * w * c float64 would be 230 MB.
    n, w = 300_000, 96
    X = np.sin(np.arange(n) / 10.0)[:, None]
    windows = _windows(X, w)
    scorer = DTWReconstructionScorer(
        ScaledReconstructor(0.9), metric="mse", batch_size=4096, train_stride=1000
    ).fit(windows)
    tracemalloc.start()
    features = scorer.transform(windows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert features.shape == (n, 1)
    assert_allclose(features[w:-w, 0], 0.01 * X[w:-w, 0] ** 2, rtol=1e-5)
    assert peak < 60e6, peak  # a few (n, k) arrays and one batch of windows


def test_input_is_not_modified_and_read_only_views_work():
    X = _series(60, c=2)
    windows = np.array(_windows(X, 6))
    before = windows.copy()
    view = _windows(X, 6)
    assert not view.flags.writeable
    scorer = DTWReconstructionScorer(PCA(n_components=2)).fit(view)
    assert_allclose(scorer.transform(windows), scorer.transform(view))
    assert_array_equal(windows, before)


def test_two_dimensional_windows_are_one_channel():
    rng = np.random.default_rng(0)
    X2 = rng.normal(size=(30, 5))
    a = DTWReconstructionScorer(ScaledReconstructor(0.5), grain="sample").fit_transform(X2)
    b = DTWReconstructionScorer(ScaledReconstructor(0.5), grain="sample").fit_transform(
        X2[:, :, None]
    )
    assert_allclose(a, b)


def test_feature_names_and_pandas_output():
    windows = _windows(_series(40, c=3), 5)
    scorer = DTWReconstructionScorer(ScaledReconstructor(), channels="separate").fit(windows)
    assert_array_equal(
        scorer.get_feature_names_out(), ["dtw_error_ch0", "dtw_error_ch1", "dtw_error_ch2"]
    )
    frame = scorer.set_output(transform="pandas").transform(windows)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["dtw_error_ch0", "dtw_error_ch1", "dtw_error_ch2"]
    joint = DTWReconstructionScorer(ScaledReconstructor(), metric="mse").fit(windows)
    assert_array_equal(joint.get_feature_names_out(), ["mse_error"])


def test_pickle_and_joblib_round_trip_give_identical_features(tmp_path):
    windows = _windows(_series(120, c=2), 12)
    est = CNNGRUAE(
        max_epochs=1,
        module__conv_channels=(4,),
        module__kernel_size=3,
        module__hidden_size=8,
        module__latent_size=3,
        random_state=0,
        device="cpu",
    )
    scorer = DTWReconstructionScorer(est).fit(windows)
    expected = scorer.transform(windows)
    joblib.dump(scorer, tmp_path / "scorer.joblib")
    assert_array_equal(joblib.load(tmp_path / "scorer.joblib").transform(windows), expected)
    assert_array_equal(pickle.loads(pickle.dumps(scorer)).transform(windows), expected)


def test_fit_is_deterministic_with_a_seeded_autoencoder():
    windows = _windows(_series(100, c=1), 10)
    est = LSTMAE(max_epochs=2, module__hidden_sizes=(6,), random_state=3, device="cpu")
    a = DTWReconstructionScorer(est).fit_transform(windows)
    b = DTWReconstructionScorer(est).fit_transform(windows)
    assert_array_equal(a, b)


def test_pipeline_with_windower_keeps_one_row_per_timestamp():
    X = _series(200, c=2)
    pipe = make_pipeline(FFTWindower(window_size=12), DTWReconstructionScorer(PCA(3)))
    assert pipe.fit_transform(X).shape == (200, 1)


# ---------------------------------------------------------------------------------------------
# errors


def test_not_fitted():
    with pytest.raises(NotFittedError):
        DTWReconstructionScorer().transform(np.zeros((10, 4, 1)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"metric": "model", "estimator": ScaledReconstructor()}, "aggregation='path'"),
        ({"metric": "softdtw"}, "aggregation='path'"),
        ({"metric": "model", "aggregation": "covering"}, "score_windows"),
        ({"metric_params": {"radius": 3}}, "metric_params has unknown key"),
        ({"metric": "softdtw", "aggregation": "covering", "metric_params": {"gamma": -1}}, "gamma"),
        ({"metric": "model", "channels": "separate", "aggregation": "covering"}, "channels"),
        ({"metric": "nope"}, "metric"),
        ({"train_stride": 0}, "train_stride"),
        ({"grain": "day"}, "grain"),
    ],
)
def test_bad_parameters_raise_naming_them(params, match):
    params = {"estimator": ScaledReconstructor(), **params}
    with pytest.raises((ValueError, TypeError), match=match):
        DTWReconstructionScorer(**params).fit(np.zeros((20, 4, 1)))


def test_labels_given_to_the_augmenter_follow_the_label_rule():
    # fit_on="all" with an augmenter: a y of other values than 0/1 used to be dropped
    # silently (the augmenter got no labels); it is an error now, as everywhere
    scorer = DTWReconstructionScorer(ScaledReconstructor(), augmenter=CopyAugmenter())
    windows = np.zeros((20, 4, 1))
    with pytest.raises(ValueError, match="y must contain only 0 .normal. and 1"):
        scorer.fit(windows, np.arange(20) % 3)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        scorer.fit(windows, np.zeros(19))
    scorer.fit(windows, np.zeros(20))
    # without an augmenter, fit_on="all" does not read y
    scorer.set_params(augmenter=None).fit(windows, np.arange(20) % 3)


def test_estimator_without_reconstruction_is_rejected():
    from sklearn.ensemble import IsolationForest

    with pytest.raises(TypeError, match="reconstruct"):
        DTWReconstructionScorer(IsolationForest()).fit(np.zeros((20, 4, 1)))


def test_bad_inputs_raise_clear_errors():
    scorer = DTWReconstructionScorer(ScaledReconstructor())
    with pytest.raises(TypeError, match="string"):
        scorer.fit("windows")
    with pytest.raises(ValueError, match="NaN"):
        scorer.fit(np.full((20, 4, 1), np.nan))
    with pytest.raises(ValueError, match="n_samples=3"):
        scorer.fit(np.zeros((3, 4, 1)))
    with pytest.raises(ValueError, match="2D array .* or a 3D array"):
        scorer.fit(np.zeros((3, 4, 1, 1)))
    with pytest.raises(ValueError, match="0 .. 1|only 0 .normal. and 1"):
        scorer.set_params(fit_on="normal").fit(np.zeros((20, 4, 1)), np.full(20, -1))
    with pytest.raises(ValueError, match="leaves no training window"):
        scorer.fit(np.zeros((20, 4, 1)), np.ones(20))
    scorer.set_params(fit_on="all").fit(np.zeros((20, 4, 2)))
    with pytest.raises(ValueError, match="2 channel"):
        scorer.transform(np.zeros((20, 4, 1)))
    with pytest.raises(ValueError, match="4 features|n_features"):
        scorer.transform(np.zeros((20, 5, 2)))
    with pytest.raises(ValueError, match="at least 4 consecutive windows"):
        scorer.transform(np.zeros((3, 4, 2)))


@pytest.mark.parametrize("channels", ["joint", "separate"])
@pytest.mark.parametrize("cv", [None, 2])
def test_include_values_appends_each_timestamps_own_readings(channels, cv):
    X = _series(120, c=2)
    windows = _windows(X, 12)
    plain = DTWReconstructionScorer(ScaledReconstructor(0.5), channels=channels, cv=cv)
    scorer = clone(plain).set_params(include_values=True)
    errors = plain.fit_transform(windows)
    features = scorer.fit_transform(windows)
    k = errors.shape[1]
    assert features.shape == (120, k + 2)
    assert_allclose(features[:, :k], errors)
    assert_allclose(features[:, k:], X)  # row t's values, the padded rows included
    assert_allclose(
        scorer.transform(windows[:60]), np.hstack([plain.transform(windows[:60]), X[:60]])
    )
    names = list(scorer.get_feature_names_out())
    assert names[k:] == ["value_ch0", "value_ch1"]
    assert names[:k] == list(plain.get_feature_names_out())


def test_more_folds_than_rows_is_refused_before_training():
    windows = FFTWindower(window_size=4).fit_transform(np.sin(np.arange(40.0))[:, np.newaxis])
    scorer = DTWReconstructionScorer(PCA(1), cv=10**6)
    with pytest.raises(ValueError, match=r"cv=1000000 blocks need at least 1000000 rows"):
        scorer.fit_transform(windows)
    assert not hasattr(scorer, "estimator_")


def test_the_wrapped_estimators_parameters_are_checked_before_training():
    # the scorer's fit skips nested validation (prefer_skip_nested_validation): it checks
    # the clone itself, so a bad PCA parameter is an error, not a fit on nonsense
    windows = FFTWindower(window_size=4).fit_transform(np.sin(np.arange(40.0))[:, np.newaxis])
    with pytest.raises(ValueError, match="'n_components' parameter of PCA"):
        DTWReconstructionScorer(PCA(n_components=-2)).fit(windows)
