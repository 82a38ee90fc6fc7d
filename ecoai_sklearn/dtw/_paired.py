"""Paired DTW: validation and dispatch to the numba kernel."""

import math
import numbers

import numba
import numpy as np

from ..utils import check_windows
from ._kernels import LANES, paired_dtw_parallel, paired_dtw_serial

# Below this many cell-channel updates (a few milliseconds on one core) the pairs are
# computed on the calling thread: starting the thread pool costs more than it saves,
# and up to milliseconds per call when other processes keep the cores busy.
_MIN_PARALLEL_WORK = 2**23

# Pairs whose largest |value| lies outside [2**-400, 2**400] are computed on copies scaled
# by a power of two (exact): beyond it, squared differences could overflow float64 to
# inf or underflow to 0, although the distance itself is representable.
_SAFE_EXPONENT = 400


def sakoe_chiba_band(len_x, len_y, radius):
    """Columns of each row that a Sakoe-Chiba band of ``radius`` lets DTW visit.

    Same band as ``tslearn.metrics.sakoe_chiba_mask``: with equal lengths, cell
    ``(i, j)`` is inside when ``|i - j| <= radius``; when the lengths differ the band
    is widened by the difference on the side of the longer series, so that the last
    cell stays reachable.

    Parameters
    ----------
    len_x, len_y : int
        Lengths of the two series (rows and columns of the DTW matrix).
    radius : int or None
        Band radius; None means no band.

    Returns
    -------
    lo, hi : ndarray of shape (len_x,), dtype int64
        Row ``i`` visits the columns ``lo[i] <= j <= hi[i]``.
    """
    i = np.arange(len_x, dtype=np.int64)
    if radius is None:
        return np.zeros(len_x, dtype=np.int64), np.full(len_x, len_y - 1, dtype=np.int64)
    lo = i - radius - max(0, len_x - len_y)
    hi = i + radius + max(0, len_y - len_x)
    return np.clip(lo, 0, len_y - 1), np.clip(hi, 0, len_y - 1)


def _check_window(window, len_x, len_y):
    """Return the band radius as an int, or None for no band."""
    if window is None:
        return None
    if isinstance(window, bool | np.bool_):
        raise TypeError(f"window must be None, an int >= 0 or a float in [0, 1]; got {window!r}.")
    if isinstance(window, numbers.Integral):
        if window < 0:
            raise ValueError(f"window must be an int >= 0 (a band radius); got {window!r}.")
        radius = int(window)
    elif isinstance(window, numbers.Real):
        if not 0.0 <= window <= 1.0:  # also rejects NaN
            raise ValueError(
                f"window as a float is a fraction of the series length and must be in "
                f"[0, 1]; got {window!r}."
            )
        radius = math.floor(float(window) * min(len_x, len_y))
    else:
        raise TypeError(
            f"window must be None, an int >= 0 or a float in [0, 1]; got "
            f"{type(window).__name__} {window!r}."
        )
    if radius >= max(len_x, len_y) - 1:
        return None  # the band covers the whole matrix
    return radius


def paired_dtw(X, Y, *, window=None, return_point_costs=False):
    """Dynamic time warping distance between each pair ``(X[i], Y[i])``.

    Computes one DTW per row (paired, not all pairs), with the squared Euclidean local
    cost and the conventions of :func:`tslearn.metrics.dtw`: the result is the square
    root of the sum of squared differences along the optimal warping path. Pairs are
    computed in parallel by a numba kernel that advances 64 pairs side by side in SIMD
    lanes, in float64 and without ``fastmath``, so results equal tslearn's.

    Parameters
    ----------
    X : array-like of shape (n_pairs, len_x) or (n_pairs, len_x, n_channels)
        First series of each pair. A 2D array holds univariate series.
    Y : array-like of shape (n_pairs, len_y) or (n_pairs, len_y, n_channels)
        Second series of each pair: same number of pairs and channels as ``X``. The
        lengths may differ (``len_y != len_x``).
    window : int, float or None, default=None
        Sakoe-Chiba band. An int is the radius ``r``: with equal lengths only cells
        ``(i, j)`` with ``|i - j| <= r`` are visited (``r=0`` is the Euclidean
        distance). A float in [0, 1] is a fraction of the length of the shorter series,
        ``r = floor(window * min(len_x, len_y))``, as in the UCR suite. When the lengths
        differ, the band is widened by the difference exactly as in
        :func:`tslearn.metrics.sakoe_chiba_mask`. None: no band.
    return_point_costs : bool, default=False
        Whether to also return the cost of the optimal path spread over the timestamps
        of ``X``.

    Returns
    -------
    distances : ndarray of shape (n_pairs,), dtype float64
        DTW distance of each pair.
    point_costs : ndarray of shape (n_pairs, len_x), dtype float64
        Only when ``return_point_costs=True``. Each cell ``(i, j)`` of pair ``p``'s
        optimal path adds its local cost ``||X[p, i] - Y[p, j]||^2`` to
        ``point_costs[p, i]``: a timestamp of ``X`` matched to several timestamps of
        ``Y`` collects all their costs. Rows sum to ``distances ** 2``. To attribute
        costs to the timestamps of ``Y`` instead, swap the arguments. Ties between
        optimal paths are broken as in :func:`tslearn.metrics.dtw_path`.

    Raises
    ------
    ValueError
        If ``X`` or ``Y`` is not 2D/3D, is empty or holds NaN or inf, if their numbers
        of pairs or channels differ, if ``window`` is out of range, or if a distance (or
        a point cost) exceeds the float64 range.
    TypeError
        If ``X`` or ``Y`` is not numeric, or ``window`` is not None, an int or a float.

    See Also
    --------
    tslearn.metrics.dtw : DTW of a single pair, the reference for the conventions.

    Notes
    -----
    Cost: ``n_pairs * len_x * len_y`` cells without band, about
    ``n_pairs * len_x * (2r + 1)`` with one; the band version only visits band cells.
    Memory: the kernel works on blocks of 64 pairs with two rolling DP rows; when point
    costs are requested it also records, for the backtrack, one byte per cell (the
    predecessor), ``len_x * len_y * 64`` bytes per block. Only one block per numba
    thread is alive at a time, so extra memory does not grow with ``n_pairs``.
    Float32 and float64 input is read in place (no copy, any strides, e.g. a
    sliding-window view). Float64 pairs whose largest magnitude is beyond about
    ``2**400`` (1e120) or below ``2**-400`` are computed on copies scaled by a power of
    two, which is exact, so that squared differences neither overflow nor underflow:
    the distance is finite and correct whenever it is representable.

    The number of threads follows :func:`numba.set_num_threads` (or the
    ``NUMBA_NUM_THREADS`` environment variable); small inputs (below about 8 million
    cell updates, a few milliseconds) run on the calling thread, where starting the
    thread pool would cost more than it saves. The first call in a fresh environment
    compiles the kernel (seconds); the machine code is cached on disk afterwards.

    References
    ----------
    .. [1] H. Sakoe, S. Chiba, "Dynamic programming algorithm optimization for spoken
       word recognition", IEEE Transactions on Acoustics, Speech and Signal
       Processing, 26(1), 43-49, 1978.

    Examples
    --------
    >>> from ecoai_sklearn.dtw import paired_dtw
    >>> paired_dtw([[0, 1, 2], [0, 1, 2]], [[0, 2, 2], [1, 2, 3]])
    array([1.        , 1.41421356])
    >>> dist, costs = paired_dtw([[0, 1, 2]], [[0, 2, 2]], return_point_costs=True)
    >>> costs
    array([[0., 1., 0.]])
    >>> paired_dtw([[0, 1, 2]], [[0, 0, 1, 2]])  # different lengths are allowed
    array([0.])
    >>> paired_dtw([[0, 1, 2]], [[1, 2, 2]], window=0)  # no warping: Euclidean
    array([1.41421356])
    """
    if not isinstance(return_point_costs, bool | np.bool_):
        raise TypeError(f"return_point_costs must be a bool; got {return_point_costs!r}.")
    dtypes = [np.float64, np.float32]
    X = check_windows(X, name="X", dtype=dtypes)
    Y = check_windows(Y, name="Y", dtype=dtypes)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must hold the same number of pairs; got {X.shape[0]} and {Y.shape[0]}."
        )
    if X.shape[2] != Y.shape[2]:
        raise ValueError(
            f"X and Y must have the same number of channels; got {X.shape[2]} and {Y.shape[2]}."
        )
    if X.dtype != Y.dtype:
        # one compiled specialisation per dtype combination is enough
        X = X.astype(np.float64)
        Y = Y.astype(np.float64)
    X, Y, exponents = _scale_extreme_pairs(X, Y)
    n_pairs, len_x, len_y = X.shape[0], X.shape[1], Y.shape[1]
    radius = _check_window(window, len_x, len_y)
    lo, hi = sakoe_chiba_band(len_x, len_y, radius)

    sq_dist = np.empty(n_pairs, dtype=np.float64)
    point_costs = np.empty((n_pairs if return_point_costs else 0, len_x), dtype=np.float64)
    work = n_pairs * int((hi - lo + 1).sum()) * X.shape[2]
    args = (X, Y, lo, hi, sq_dist, point_costs, bool(return_point_costs))
    if work < _MIN_PARALLEL_WORK or n_pairs <= LANES or numba.get_num_threads() == 1:
        paired_dtw_serial(*args)
    else:
        # one block at a time per thread (dynamic schedule): a thread slowed down by
        # another process does not hold back a fixed half of the blocks
        with numba.parallel_chunksize(1):
            paired_dtw_parallel(*args)
    distances = np.sqrt(sq_dist)
    if exponents is not None:
        distances = _unscale(distances, exponents, "distance")
        if return_point_costs:
            point_costs = _unscale(point_costs, 2 * exponents[:, np.newaxis], "point cost")
    if return_point_costs:
        return distances, point_costs
    return distances


def _scale_extreme_pairs(X, Y):
    """Scale the pairs with extreme magnitudes by a power of two; return the exponents.

    DTW is homogeneous: ``dtw(s X, s Y) = s dtw(X, Y)``, and a power-of-two ``s`` is an
    exact multiplication, so such pairs get the same result as with unbounded exponents.
    Float32 input never needs it (float64 arithmetic has room for its squares). Returns
    ``(X, Y, None)`` untouched when no pair needs scaling (the usual case: no copy).
    """
    if X.dtype != np.float64:
        return X, Y, None
    peak = np.maximum(
        np.maximum(X.max(axis=(1, 2)), -X.min(axis=(1, 2))),
        np.maximum(Y.max(axis=(1, 2)), -Y.min(axis=(1, 2))),
    )
    _, exponents = np.frexp(peak)
    exponents = np.where(np.abs(exponents) > _SAFE_EXPONENT, exponents, 0)
    if not exponents.any():
        return X, Y, None
    factors = np.ldexp(1.0, -exponents)[:, np.newaxis, np.newaxis]
    return X * factors, Y * factors, exponents


def _unscale(values, exponents, what):
    """``values * 2**exponents``; a result beyond the float64 range is an error."""
    with np.errstate(over="ignore"):
        values = np.ldexp(values, exponents)
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"The DTW {what} of some pairs of X and Y exceeds the float64 range (about "
            "1.8e308): their values are too far apart. Scale X and Y first."
        )
    return values
