"""Tests for KNNWindowScorer and the window scorers' shared rules (causal, score_samples)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline

from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer
from ecoai_sklearn.windowing import FFTWindower


def _series(n=600, c=1, seed=0, period=24):
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, np.newaxis]
    return np.sin(2 * np.pi * t / period + np.arange(c)) + 0.05 * rng.standard_normal((n, c))


def _windows(X, w=24):
    return FFTWindower(window_size=w).fit(X).transform(X)


def _oracle_window_errors(train_windows, query_windows, k, exclude=None):
    """Brute force: mean over the k nearest of sqrt(squared distance / (w * c))."""
    flat_train = train_windows.reshape(len(train_windows), -1)
    flat_query = query_windows.reshape(len(query_windows), -1)
    size = flat_train.shape[1]
    d2 = ((flat_query[:, np.newaxis, :] - flat_train[np.newaxis]) ** 2).sum(axis=2)
    if exclude is not None:
        d2[exclude] = np.inf
    return np.sqrt(np.sort(d2, axis=1)[:, :k] / size).mean(axis=1)


def test_new_data_errors_match_a_brute_force_oracle_and_sklearn():
    X = _series(300, c=2)
    W_train, W_new = _windows(X[:200], 12), _windows(_series(150, c=2, seed=1), 12)
    scorer = KNNWindowScorer(3, n_segments=None, grain="sample").fit(W_train[11:])
    got = scorer.transform(W_new)[:, 0]
    want = _oracle_window_errors(W_train[11:], W_new, 3)
    assert_allclose(got, want, rtol=1e-9)
    # same neighbours as scikit-learn's NearestNeighbors
    nn = NearestNeighbors(n_neighbors=3).fit(W_train[11:].reshape(189, -1))
    distances, _ = nn.kneighbors(W_new.reshape(150, -1))
    assert_allclose(got, (distances / np.sqrt(24)).mean(axis=1), rtol=1e-9)


def test_reduced_windows_lower_bound_the_full_distance():
    X = _series(400)
    W = _windows(X, 48)
    full = KNNWindowScorer(n_segments=None, grain="sample").fit(W[:200])
    reduced = KNNWindowScorer(n_segments=8, grain="sample").fit(W[:200])
    assert reduced.n_segments_ == 8 and reduced.train_windows_.shape[1] == 8
    new = _windows(_series(300, seed=3), 48)
    a, b = reduced.transform(new)[:, 0], full.transform(new)[:, 0]
    assert np.all(a <= b + 1e-12) and np.corrcoef(a, b)[0, 1] > 0.9
    # n_segments >= w keeps the windows as they are
    assert KNNWindowScorer(n_segments=100, grain="sample").fit(W[:200]).n_segments_ == 48


def test_training_series_ignores_overlapping_windows():
    X = _series(200)
    W = _windows(X, 10)
    scorer = KNNWindowScorer(2, n_segments=None, aggregation="causal").fit(W)
    real = np.arange(9, 200)
    assert_array_equal(scorer.train_positions_, real)
    got = scorer.transform(W)[9:, 0]
    exclude = np.abs(real[:, np.newaxis] - real[np.newaxis]) < 10
    want = _oracle_window_errors(W[real], W[real], 2, exclude)
    assert_allclose(got, want, rtol=1e-9)
    # the same windows as a copy are recognised too; other data are not
    assert_allclose(scorer.transform(W.copy())[9:, 0], want, rtol=1e-9)
    naive = _oracle_window_errors(W[real], W[real], 2)
    assert np.median(want) > 2 * np.median(naive)


def _oracle_kernel(squared, k, positions, train_positions, reach):
    """Plain Python: skip kept windows within ``reach`` of a training window, or only the
    window itself when that would skip them all; the k smallest of the rest."""
    columns = []
    for row, position in zip(squared, positions):
        distance = np.abs(position - train_positions)
        skip = 0 if position < 0 else reach if (distance >= reach).any() else 1
        usable = np.flatnonzero(distance >= skip)
        order = usable[np.argsort(np.maximum(row[usable], 0.0), kind="stable")][:k]
        columns.append(np.pad(order, (0, k - len(order)), constant_values=-1))
    return np.array(columns)


@pytest.mark.parametrize("reach", [1, 3, 10])
def test_kernel_matches_a_plain_python_oracle_with_its_exclusion_rule(reach):
    from ecoai_sklearn.scoring._knn_kernel import mean_nearest, nearest

    rng = np.random.default_rng(reach)
    train_positions = np.arange(10, 16, dtype=np.int64)
    # new data, training windows near and far from the kept ones, one overlapping all
    positions = np.array([-1, 10, 12, 15, 30, 13, -1], dtype=np.int64)
    squared = rng.random((len(positions), len(train_positions)))
    squared[0, 2] = -1e-12  # rounding below zero reads as 0
    for k in (1, 3, 6):
        want = _oracle_kernel(squared, k, positions, train_positions, reach)
        got = nearest(squared, k, positions, train_positions, reach)
        assert_array_equal(got, want)
        chosen = np.maximum(np.take_along_axis(squared, np.maximum(want, 0), axis=1), 0.0)
        picked = np.where(want >= 0, chosen, np.nan)
        errors = np.nanmean(np.sqrt(picked / 4.0), axis=1)
        assert_allclose(mean_nearest(squared, k, 4.0, positions, train_positions, reach), errors)


def test_a_training_series_shorter_than_two_windows_still_gets_finite_errors():
    # windows 1 .. 39 overlap every kept window: they are compared with every kept window
    # but themselves (rather than with none, which gave infinite errors and NaN rows)
    W = _windows(_series(80), 40)
    got = KNNWindowScorer(2, n_segments=None, aggregation="causal").fit(W).transform(W)
    assert np.all(np.isfinite(got[39:]))
    real = np.arange(39, 80)
    want = _oracle_window_errors(W[real], W[real], 2, exclude=np.eye(41, dtype=bool))
    assert_allclose(got[40:79, 0], want[1:40], rtol=1e-9)
    covering = KNNWindowScorer(2, n_segments=None).fit(W).transform(W)
    assert np.all(np.isfinite(covering))


def test_a_surge_lights_up_the_rows_it_covers():
    X = _series(720)
    X[600:606] += 1.5
    windower = FFTWindower(window_size=24).fit(X[:480])
    scorer = KNNWindowScorer().fit(windower.transform(X[:480]))
    covering = scorer.transform(windower.transform(X))[:, 0]
    peak = int(np.argmax(covering))
    assert 590 <= peak <= 615
    assert covering[600:606].min() > 3 * np.median(covering[480:590])
    causal = clone(scorer).set_params(aggregation="causal").fit(windower.transform(X[:480]))
    ends = causal.transform(windower.transform(X))[:, 0]
    # the window ending at a row sees the surge from its first row on, never before it
    assert ends[:600].max() < ends[600:606].min()


def test_causal_rows_depend_only_on_earlier_rows():
    X = _series(500)
    train = _windows(X[:300], 24)
    for scorer in (
        KNNWindowScorer(aggregation="causal"),
        DTWReconstructionScorer(PCA(3), metric="mse", aggregation="causal", train_stride=1),
    ):
        scorer.fit(train)
        whole = scorer.transform(_windows(X, 24))[:, 0]
        changed = X.copy()
        changed[400:] += 5.0
        after = scorer.transform(_windows(changed, 24))[:, 0]
        assert_array_equal(whole[:400], after[:400])
        assert not np.allclose(whole[400:], after[400:])
        # rows before the first real window take its error
        assert_array_equal(whole[:23], np.full(23, whole[23]))


def test_separate_channels_point_at_the_unusual_channel():
    X = _series(720, c=3)
    X[600:620, 1] += 1.0
    windower = FFTWindower(window_size=24).fit(X[:480])
    scorer = KNNWindowScorer(channels="separate").fit(windower.transform(X[:480]))
    errors = scorer.transform(windower.transform(X))
    assert errors.shape == (720, 3)
    assert int(np.argmax(errors[600:620].mean(axis=0))) == 1
    assert scorer.get_feature_names_out().tolist() == [
        "knn_error_ch0",
        "knn_error_ch1",
        "knn_error_ch2",
    ]


def test_fit_on_normal_keeps_only_windows_without_labelled_rows():
    X = _series(300)
    y = np.zeros(300, dtype=int)
    y[100:110] = 1
    scorer = KNNWindowScorer(fit_on="normal").fit(_windows(X, 10), y)
    kept = scorer.train_positions_
    # window t covers rows t - 9 .. t: those covering 100..109 are t in 100..118
    assert not np.any((kept >= 100) & (kept <= 118))
    assert KNNWindowScorer().fit(_windows(X, 10), y).train_positions_.size == 291


def test_max_train_windows_spreads_the_kept_windows():
    W = _windows(_series(1000), 10)
    scorer = KNNWindowScorer(max_train_windows=50).fit(W)
    assert scorer.train_positions_.size == 50
    assert scorer.train_positions_[0] == 9 and scorer.train_positions_[-1] == 999


def test_score_samples_is_minus_the_mean_error_and_pipelines_expose_it():
    X = _series(400, c=2)
    detector = make_pipeline(FFTWindower(window_size=24), KNNWindowScorer(channels="separate"))
    detector.fit(X[:300])
    errors = detector.transform(X)
    assert_allclose(detector.score_samples(X), -errors.mean(axis=1))
    values = make_pipeline(FFTWindower(window_size=24), KNNWindowScorer(include_values=True))
    values.fit(X[:300])
    features = values.transform(X)
    assert features.shape == (400, 3)
    assert_allclose(values.score_samples(X), -features[:, 0])
    assert_allclose(features[:, 1:], X)


@pytest.mark.parametrize(
    "params, X, match",
    [
        ({"n_neighbors": 0}, None, "'n_neighbors'"),
        ({"n_segments": 0}, None, "'n_segments'"),
        ({"aggregation": "path"}, None, "'aggregation'"),
        ({"max_train_windows": 0}, None, "'max_train_windows'"),
        ({"n_neighbors": 50}, _windows(_series(40), 10), "n_neighbors=50 needs more than 50"),
        ({}, _windows(_series(40), 10)[:5], "needs at least 10 rows"),
    ],
)
def test_bad_parameters_and_data_are_refused(params, X, match):
    X = _windows(_series(200), 10) if X is None else X
    with pytest.raises(ValueError, match=match):
        KNNWindowScorer(**params).fit(X)


def test_transform_refuses_other_channels_and_keeps_its_input():
    W = _windows(_series(200, c=2), 10)
    scorer = KNNWindowScorer().fit(W)
    with pytest.raises(ValueError, match="fitted on windows with 2 channel"):
        scorer.transform(_windows(_series(200, c=3), 10))
    before = np.array(W)
    scorer.transform(W)
    assert_array_equal(W, before)
