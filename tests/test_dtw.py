"""Tests for ecoai_sklearn.dtw.paired_dtw.

Oracles: tslearn.metrics.dtw / dtw_path (published implementation), hand-computed DTW
values, and a brute-force pure-Python DP + backtrack written here.
"""

import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from ecoai_sklearn.dtw import _paired, paired_dtw
from ecoai_sklearn.dtw._kernels import LANES, paired_dtw_parallel
from ecoai_sklearn.dtw._paired import sakoe_chiba_band

tslearn_metrics = pytest.importorskip("tslearn.metrics")


def _tslearn(X, Y, radius=None):
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    kw = {} if radius is None else {"sakoe_chiba_radius": radius}
    return np.array([tslearn_metrics.dtw(x, y, **kw) for x, y in zip(X, Y)])


def _brute_force(x, y, radius=None):
    """Pure-Python DTW over the full matrix, tslearn's band and tie-breaking.

    Returns the squared DTW, the path and the per-x-point costs.
    """
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    n, m = len(x), len(y)
    if radius is None:
        mask = np.ones((n, m), dtype=bool)
    else:
        mask = tslearn_metrics.sakoe_chiba_mask(n, m, radius=radius)
    cost = [[float(((x[i] - y[j]) ** 2).sum()) for j in range(m)] for i in range(n)]
    acc = [[np.inf] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            if not mask[i, j]:
                continue
            if i == 0 and j == 0:
                best = 0.0
            else:
                best = min(
                    acc[i - 1][j] if i else np.inf,
                    acc[i][j - 1] if j else np.inf,
                    acc[i - 1][j - 1] if i and j else np.inf,
                )
            acc[i][j] = cost[i][j] + best
    i, j = n - 1, m - 1
    path = [(i, j)]
    while (i, j) != (0, 0):
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            k = int(np.argmin([acc[i - 1][j - 1], acc[i - 1][j], acc[i][j - 1]]))
            i, j = [(i - 1, j - 1), (i - 1, j), (i, j - 1)][k]
        path.append((i, j))
    points = np.zeros(n)
    for i, j in path:
        points[i] += cost[i][j]
    return acc[n - 1][m - 1], path[::-1], points


# --------------------------------------------------------------------- tslearn oracle


@pytest.mark.parametrize("n", [1, 5, LANES - 1, LANES, LANES + 1, 2 * LANES + 7])
@pytest.mark.parametrize("c", [1, 3])
def test_matches_tslearn_no_band(n, c):
    rng = np.random.default_rng(n * 10 + c)
    X = rng.normal(size=(n, 17, c))
    Y = rng.normal(size=(n, 17, c))
    if c == 1:  # univariate as 2D arrays
        X, Y = X[:, :, 0], Y[:, :, 0]
    got = paired_dtw(X, Y)
    assert got.shape == (n,)
    assert got.dtype == np.float64
    assert_allclose(got, _tslearn(X, Y), rtol=0, atol=1e-9)


@pytest.mark.parametrize("w", [1, 2, 16, 24, 96])
@pytest.mark.parametrize("radius", [0, 1, 3, 10, 200])
def test_matches_tslearn_band(w, radius):
    rng = np.random.default_rng(w + 1000 * radius)
    X = rng.normal(size=(70, w, 2))
    Y = rng.normal(size=(70, w, 2))
    assert_allclose(paired_dtw(X, Y, window=radius), _tslearn(X, Y, radius), rtol=0, atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(("c", "radius"), [(1, None), (3, None), (1, 9), (3, 9)])
def test_matches_tslearn_at_scale(c, radius):
    # big enough for the parallel kernel, with and without point costs
    rng = np.random.default_rng(c)
    X = rng.normal(size=(2000, 96, c))
    Y = X + 0.3 * rng.normal(size=(2000, 96, c))
    dist, points = paired_dtw(X, Y, window=radius, return_point_costs=True)
    assert_allclose(dist, _tslearn(X, Y, radius), rtol=0, atol=1e-9)
    assert_array_equal(paired_dtw(X, Y, window=radius), dist)
    assert_allclose(points.sum(axis=1), dist**2, rtol=1e-12)


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.1, 0.5, 1.0])
def test_float_window_is_fraction_of_length(fraction):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(9, 40))
    Y = rng.normal(size=(9, 40))
    radius = int(np.floor(fraction * 40))  # floor, as in the UCR suite
    expected = _tslearn(X, Y, radius)
    assert_allclose(paired_dtw(X, Y, window=fraction), expected, rtol=0, atol=1e-9)
    assert_array_equal(paired_dtw(X, Y, window=fraction), paired_dtw(X, Y, window=radius))


@pytest.mark.parametrize(("len_x", "len_y"), [(10, 14), (14, 10), (1, 6), (6, 1), (3, 30)])
@pytest.mark.parametrize("radius", [None, 0, 2])
def test_different_lengths_match_tslearn(len_x, len_y, radius):
    rng = np.random.default_rng(len_x * 100 + len_y)
    X = rng.normal(size=(LANES + 3, len_x, 2))
    Y = rng.normal(size=(LANES + 3, len_y, 2))
    got, points = paired_dtw(X, Y, window=radius, return_point_costs=True)
    assert_allclose(got, _tslearn(X, Y, radius), rtol=0, atol=1e-9)
    assert points.shape == (LANES + 3, len_x)
    assert_allclose(points.sum(axis=1), got**2, rtol=1e-12, atol=1e-12)


def test_band_matches_tslearn_mask():
    for len_x, len_y, radius in [(8, 8, 0), (8, 8, 2), (5, 9, 1), (9, 5, 1), (4, 4, 2)]:
        lo, hi = sakoe_chiba_band(len_x, len_y, radius)
        cols = np.arange(len_y)
        ours = (cols >= lo[:, None]) & (cols <= hi[:, None])
        assert_array_equal(ours, tslearn_metrics.sakoe_chiba_mask(len_x, len_y, radius=radius))


# --------------------------------------------------------------- hand-computed values


@pytest.mark.parametrize(
    ("x", "y", "window", "expected"),
    [
        ([0, 1, 2], [0, 0, 1, 2], None, 0.0),  # repeat absorbed by warping
        ([1, 2, 3], [1, 2, 2, 3, 4], None, 1.0),  # the extra 4 meets the 3: cost 1
        ([0, 1, 2], [0, 2, 2], None, 1.0),  # 1 meets a 2 (or 0): cost 1
        ([0, 0, 1], [0, 1, 1], None, 0.0),  # shift by one step is free ...
        ([0, 0, 1], [0, 1, 1], 0, 1.0),  # ... but not without warping
        ([0, 1, 2], [1, 2, 3], None, np.sqrt(2.0)),  # (0,0),(1,0),(2,1),(2,2): 1+0+0+1
        ([5.0], [2.0], None, 3.0),
    ],
)
def test_hand_computed(x, y, window, expected):
    assert_allclose(paired_dtw([x], [y], window=window), [expected], rtol=1e-15)


def test_hand_computed_multivariate():
    x = [[0, 0], [3, 4]]
    y = [[0, 0], [0, 0]]
    assert_allclose(paired_dtw([x], [y]), [5.0])  # sqrt(3**2 + 4**2)
    _, points = paired_dtw([x], [y], return_point_costs=True)
    assert_allclose(points, [[0.0, 25.0]])


def test_hand_computed_point_costs():
    # DP of [0, 1, 2] vs [0, 2, 2]: the path is the diagonal, the middle point costs 1.
    dist, points = paired_dtw([[0, 1, 2]], [[0, 2, 2]], return_point_costs=True)
    assert_allclose(dist, [1.0])
    assert_array_equal(points, [[0.0, 1.0, 0.0]])
    # [0, 1, 2] vs [1, 2, 3]: x0 meets y0 (1), x1 meets y0 (0), x2 meets y1, y2 (0 + 1)
    dist, points = paired_dtw([[0, 1, 2]], [[1, 2, 3]], return_point_costs=True)
    assert_array_equal(points, [[1.0, 0.0, 1.0]])


# ------------------------------------------------------------------------ point costs


@pytest.mark.parametrize("radius", [None, 0, 2])
@pytest.mark.parametrize(("len_x", "len_y", "c"), [(7, 7, 1), (6, 9, 2), (9, 5, 1)])
def test_point_costs_match_brute_force(radius, len_x, len_y, c):
    rng = np.random.default_rng(len_x + len_y + c)
    # rounded values create ties, which exercises the tie-breaking rule
    X = np.round(rng.normal(size=(LANES + 2, len_x, c)))
    Y = np.round(rng.normal(size=(LANES + 2, len_y, c)))
    dist, points = paired_dtw(X, Y, window=radius, return_point_costs=True)
    for p in [0, 1, LANES - 1, LANES, LANES + 1]:
        sq, _, expected_points = _brute_force(X[p], Y[p], radius)
        assert_allclose(dist[p] ** 2, sq, rtol=1e-12, atol=1e-12)
        assert_allclose(points[p], expected_points, rtol=1e-12, atol=1e-12)


def test_point_costs_follow_tslearn_path():
    rng = np.random.default_rng(11)
    X = np.round(rng.normal(size=(20, 12, 2)), 1)
    Y = np.round(rng.normal(size=(20, 12, 2)), 1)
    _, points = paired_dtw(X, Y, window=3, return_point_costs=True)
    for p in range(20):
        path, _ = tslearn_metrics.dtw_path(X[p], Y[p], sakoe_chiba_radius=3)
        expected = np.zeros(12)
        for i, j in path:
            expected[i] += ((X[p, i] - Y[p, j]) ** 2).sum()
        assert_allclose(points[p], expected, rtol=1e-12, atol=1e-12)


def test_point_costs_sum_to_squared_dtw_and_distances_agree():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(150, 24, 3))
    Y = rng.normal(size=(150, 24, 3))
    plain = paired_dtw(X, Y, window=4)
    dist, points = paired_dtw(X, Y, window=4, return_point_costs=True)
    assert_array_equal(dist, plain)
    assert points.shape == (150, 24)
    assert (points >= 0).all()
    assert_allclose(points.sum(axis=1), dist**2, rtol=1e-12)


def test_point_costs_localise_a_spike():
    x = np.zeros(16)
    y = np.zeros(16)
    x[9] = 5.0
    _, points = paired_dtw([x], [y], return_point_costs=True)
    assert_allclose(points[0, 9], 25.0)
    assert_allclose(np.delete(points[0], 9), 0.0)


# --------------------------------------------------------------------------- properties


def test_window_zero_is_euclidean():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(100, 24, 3))
    Y = rng.normal(size=(100, 24, 3))
    expected = np.sqrt(((X - Y) ** 2).sum(axis=(1, 2)))
    assert_allclose(paired_dtw(X, Y, window=0), expected, rtol=1e-13)


def test_symmetry_and_identity():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(80, 20, 2))
    Y = rng.normal(size=(80, 13, 2))
    for window in [None, 0, 3]:
        assert_array_equal(paired_dtw(X, Y, window=window), paired_dtw(Y, X, window=window))
    assert_array_equal(paired_dtw(X, X), np.zeros(80))


def test_pairs_are_independent_of_batch_position():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(LANES + 9, 15))
    Y = rng.normal(size=(LANES + 9, 15))
    full = paired_dtw(X, Y, window=2)
    perm = rng.permutation(len(X))
    assert_array_equal(paired_dtw(X[perm], Y[perm], window=2), full[perm])
    assert_array_equal(paired_dtw(X[-1:], Y[-1:], window=2), full[-1:])


def test_float32_strided_and_list_inputs_agree():
    rng = np.random.default_rng(12)
    series = rng.normal(size=(120, 2)).astype(np.float32)
    # zero-copy, read-only sliding windows (what FFTWindower produces)
    view = np.lib.stride_tricks.sliding_window_view(series, 16, axis=0).transpose(0, 2, 1)
    assert not view.flags.c_contiguous
    target = np.ascontiguousarray(view[::-1]).astype(np.float64)
    expected = paired_dtw(np.ascontiguousarray(view, dtype=np.float64), target)
    assert_array_equal(paired_dtw(view, target), expected)
    assert_array_equal(paired_dtw(view, target.astype(np.float32)), expected)
    assert_array_equal(paired_dtw(view.tolist(), target.tolist()), expected)
    assert_allclose(expected, _tslearn(view, target), rtol=0, atol=1e-9)


def test_inputs_not_modified():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(70, 12, 2))
    Y = rng.normal(size=(70, 12, 2)).astype(np.float32)
    X0, Y0 = X.copy(), Y.copy()
    paired_dtw(X, Y, window=2, return_point_costs=True)
    paired_dtw(X, Y)
    assert_array_equal(X, X0)
    assert_array_equal(Y, Y0)
    assert Y.dtype == np.float32


@pytest.mark.parametrize("with_points", [False, True])
def test_parallel_and_serial_paths_agree(monkeypatch, with_points):
    rng = np.random.default_rng(14)
    X = rng.normal(size=(3 * LANES + 5, 12, 2))
    Y = rng.normal(size=(3 * LANES + 5, 12, 2))

    def run():
        out = paired_dtw(X, Y, window=3, return_point_costs=with_points)
        return out if with_points else (out,)

    serial = run()  # small input: computed on the calling thread
    assert_allclose(serial[0], _tslearn(X, Y, 3), rtol=0, atol=1e-9)
    monkeypatch.setattr(_paired, "_MIN_PARALLEL_WORK", 0)  # force the thread pool
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        for got, expected in zip(run(), serial):
            assert_array_equal(got, expected)
        if numba.config.NUMBA_NUM_THREADS > 1:
            assert paired_dtw_parallel.signatures  # the parallel kernel did run
        numba.set_num_threads(1)
        for got, expected in zip(run(), serial):
            assert_array_equal(got, expected)
    finally:
        numba.set_num_threads(before)


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    len_x=st.integers(1, 9),
    len_y=st.integers(1, 9),
    radius=st.integers(0, 4),
)
def test_properties(data, len_x, len_y, radius):
    elements = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
    X = data.draw(arrays(np.float64, (3, len_x), elements=elements))
    Y = data.draw(arrays(np.float64, (3, len_y), elements=elements))
    unbanded, points = paired_dtw(X, Y, return_point_costs=True)
    banded = paired_dtw(X, Y, window=radius)
    wider = paired_dtw(X, Y, window=radius + 1)
    # a band only removes paths; a wider band keeps more of them
    assert (unbanded <= banded + 1e-9).all()
    assert (wider <= banded + 1e-9).all()
    # the path starts and ends at the first and last points
    endpoints = np.sqrt((X[:, 0] - Y[:, 0]) ** 2 + (X[:, -1] - Y[:, -1]) ** 2)
    if len_x > 1 or len_y > 1:
        assert (unbanded >= endpoints - 1e-9).all()
    assert_allclose(points.sum(axis=1), unbanded**2, rtol=1e-9, atol=1e-9)
    assert_allclose(unbanded, _tslearn(X, Y), rtol=0, atol=1e-9)
    assert_array_equal(paired_dtw(Y, X, window=radius), banded)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("X", "Y", "kwargs", "error", "match"),
    [
        (np.ones((3, 5)), np.ones((4, 5)), {}, ValueError, "same number of pairs"),
        (np.ones((3, 5, 2)), np.ones((3, 5, 3)), {}, ValueError, "same number of channels"),
        (np.ones(5), np.ones(5), {}, ValueError, "X must be a 2D array"),
        (np.ones((2, 3)), np.ones((2, 3, 1, 1)), {}, ValueError, "Y must be a 2D array"),
        ([[0.0, np.nan]], [[0.0, 1.0]], {}, ValueError, "NaN"),
        ([[0.0, 1.0]], [[0.0, np.inf]], {}, ValueError, "infinity"),
        ([["a", "b"]], [[0.0, 1.0]], {}, TypeError, "X must be (a )?numeric"),
        ("abc", [[0.0, 1.0]], {}, TypeError, "X must be (a )?numeric"),
        ([[0.0, 1.0]], np.array([["0", "1"]]), {}, TypeError, "Y must be a numeric .*<U1"),
        (np.ones((0, 3)), np.ones((0, 3)), {}, ValueError, "X has 0 sample"),
        (np.ones((2, 3)), np.ones((0, 3)), {}, ValueError, "Y has 0 sample"),
        (np.ones((2, 3)), np.ones((2, 3)), {"window": -1}, ValueError, "window must be an int"),
        (np.ones((2, 3)), np.ones((2, 3)), {"window": 1.5}, ValueError, r"in \[0, 1\]"),
        (np.ones((2, 3)), np.ones((2, 3)), {"window": np.nan}, ValueError, r"in \[0, 1\]"),
        (np.ones((2, 3)), np.ones((2, 3)), {"window": True}, TypeError, "window must be"),
        (np.ones((2, 3)), np.ones((2, 3)), {"window": "2"}, TypeError, "window must be"),
        (np.ones((2, 3)), np.ones((2, 3)), {"return_point_costs": 1}, TypeError, "return_point"),
    ],
)
def test_bad_input(X, Y, kwargs, error, match):
    with pytest.raises(error, match=match):
        paired_dtw(X, Y, **kwargs)


def test_numpy_scalar_window_accepted():
    X = np.arange(12.0).reshape(2, 6)
    Y = X[:, ::-1].copy()
    assert_array_equal(paired_dtw(X, Y, window=np.int64(1)), paired_dtw(X, Y, window=1))
    assert_array_equal(paired_dtw(X, Y, window=np.float32(0.5)), paired_dtw(X, Y, window=3))


# ---------------------------------------------------------------------------- packaging


def test_import_does_not_compile():
    code = (
        "import ecoai_sklearn.dtw, ecoai_sklearn.dtw._kernels as k;"
        "assert not k.paired_dtw_parallel.signatures, k.paired_dtw_parallel.signatures;"
        "assert not k.paired_dtw_serial.signatures, k.paired_dtw_serial.signatures;"
        "assert ecoai_sklearn.paired_dtw is ecoai_sklearn.dtw.paired_dtw"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------- extreme magnitudes (#13)


def test_magnitudes_beyond_the_squares_range_stay_finite_and_exact():
    # (1e155 - -1e155) ** 2 overflows float64: the distance 2e155 itself does not
    assert_array_equal(paired_dtw([[1e155, 0.0]], [[-1e155, 0.0]]), [2e155])
    # (2e-200) ** 2 underflows to 0: a distance of 0 between different series is wrong
    assert_array_equal(paired_dtw([[1e-200, 0.0]], [[-1e-200, 0.0]]), [2e-200])


@pytest.mark.parametrize("exponent", [-700, -420, 420, 800])
def test_extreme_pairs_are_scaled_copies_of_ordinary_ones(exponent):
    rng = np.random.default_rng(exponent % 7)
    X, Y = rng.normal(size=(3, 6, 2)), rng.normal(size=(3, 5, 2))
    factor = 2.0**exponent  # a power of two: scaling is exact
    expected, costs = paired_dtw(X, Y, window=2, return_point_costs=True)
    assert_array_equal(paired_dtw(X * factor, Y * factor, window=2), expected * factor)
    if abs(exponent) < 500:  # the costs (squares) are representable
        _, got_costs = paired_dtw(X * factor, Y * factor, window=2, return_point_costs=True)
        assert_array_equal(got_costs, costs * factor**2)
    # an extreme pair does not change its ordinary neighbours
    mixed = paired_dtw(np.concatenate([X, X * factor]), np.concatenate([Y, Y * factor]))
    assert_array_equal(mixed[:3], paired_dtw(X, Y))


def test_results_beyond_float64_are_refused():
    with pytest.raises(ValueError, match="DTW distance of some pairs .* exceeds the float64"):
        paired_dtw([[1e308, 0.0]], [[-1e308, 0.0]])
    with pytest.raises(ValueError, match="DTW point cost of some pairs .* exceeds the float64"):
        paired_dtw([[1e155, 0.0]], [[-1e155, 0.0]], return_point_costs=True)
