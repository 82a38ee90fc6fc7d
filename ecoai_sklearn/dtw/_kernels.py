"""Numba kernels for paired DTW (private).

Layout: pairs are processed in blocks of ``LANES`` pairs advanced side by side. A block
is copied into ``(length, n_channels, LANES)`` float64 scratch arrays so that the
innermost loop runs over the lanes of one DP cell: it has no loop-carried dependency
and compiles to SIMD instructions, while the serial dependency of DTW (each cell needs
its left neighbour) runs along the outer loop over columns.

Exactness: every cell is computed as tslearn does, ``cost + min(up, left, diag)`` with
``cost`` the channel-ordered sum of squared differences accumulated in float64, and no
``fastmath`` (which would allow fused multiply-add and re-association). The minimum is a
pair of branch-free selects; with no NaN in the input it equals ``min`` exactly.

Nothing here is compiled at import: ``njit`` compiles on the first call and
``cache=True`` stores the machine code next to this file for later processes.
"""

import numpy as np
from numba import njit, prange

#: Pairs advanced side by side in the innermost loop (8 AVX-512 or 16 AVX2 vectors).
LANES = 64

_INF = np.inf


@njit(cache=True, nogil=True)
def _load_block(A, start, stop, out):
    """Copy pairs ``start:stop`` of ``A (n, w, c)`` into ``out (w, c, LANES)``.

    Lanes past ``stop`` (the last, partial block) are zero: their DTW is 0 and is
    never written back.
    """
    w = A.shape[1]
    c = A.shape[2]
    m = stop - start
    for i in range(w):
        for ch in range(c):
            for b in range(m):
                out[i, ch, b] = A[start + b, i, ch]
            for b in range(m, LANES):
                out[i, ch, b] = 0.0


@njit(cache=True, nogil=True)
def _block_dp(xb, yb, lo, hi, acc, full, cost):
    """Accumulated-cost DP for one block of pairs.

    Parameters
    ----------
    xb, yb : float64 arrays (wx, c, LANES) and (wy, c, LANES)
    lo, hi : int64 arrays (wx,)
        Inclusive band of columns visited in each row (non-decreasing, steps <= 1).
    acc : float64 array (rows, wy + 1, LANES)
        ``rows = wx + 1`` keeps the whole matrix (``full``, for the backtrack);
        ``rows = 2`` keeps two rolling rows. Index ``[i + 1, j + 1]`` holds cell
        ``(i, j)``; row/column 0 is the border.
    cost : float64 array (LANES,), scratch for the multivariate local cost.
    """
    wx = xb.shape[0]
    wy = yb.shape[0]
    c = xb.shape[1]
    if full:
        acc[:, :, :] = _INF
    else:
        acc[0, :, :] = _INF
    for b in range(LANES):
        acc[0, 0, b] = 0.0
    for i in range(wx):
        if full:
            prev = acc[i]
            cur = acc[i + 1]
        else:
            prev = acc[i & 1]
            cur = acc[(i + 1) & 1]
        j0 = lo[i]
        j1 = hi[i]
        # Column j0 - 1 of this row is outside the band (or the border): inf. With
        # rolling rows the buffer still holds row i - 2 there.
        for b in range(LANES):
            cur[j0, b] = _INF
        xi = xb[i]
        for j in range(j0, j1 + 1):
            yj = yb[j]
            up = prev[j + 1]
            diag = prev[j]
            left = cur[j]
            out = cur[j + 1]
            if c == 1:
                x0 = xi[0]
                y0 = yj[0]
                for b in range(LANES):
                    d = x0[b] - y0[b]
                    m = up[b]
                    m = left[b] if left[b] < m else m
                    m = diag[b] if diag[b] < m else m
                    out[b] = d * d + m
            else:
                x0 = xi[0]
                y0 = yj[0]
                for b in range(LANES):
                    d = x0[b] - y0[b]
                    cost[b] = d * d
                for ch in range(1, c):
                    xc = xi[ch]
                    yc = yj[ch]
                    for b in range(LANES):
                        d = xc[b] - yc[b]
                        cost[b] += d * d
                for b in range(LANES):
                    m = up[b]
                    m = left[b] if left[b] < m else m
                    m = diag[b] if diag[b] < m else m
                    out[b] = cost[b] + m
        # The next row may reach one column further than this one: that cell of this
        # row was not visited and must read as inf.
        if j1 + 1 < wy:
            for b in range(LANES):
                cur[j1 + 2, b] = _INF


@njit(cache=True, nogil=True)
def _local_cost(xb, yb, i, j, b):
    xi = xb[i]
    yj = yb[j]
    d = xi[0, b] - yj[0, b]
    s = d * d
    for ch in range(1, xb.shape[1]):
        d = xi[ch, b] - yj[ch, b]
        s += d * d
    return s


@njit(cache=True, nogil=True)
def _backtrack(xb, yb, acc, b, point_costs_row):
    """Add the local cost of each cell of lane ``b``'s optimal path to its x index.

    Ties are broken as ``tslearn.metrics.dtw_path`` does: diagonal, then up
    ``(i - 1, j)``, then left ``(i, j - 1)``; on the first row or column the path
    goes straight to the origin.
    """
    i = xb.shape[0] - 1
    j = yb.shape[0] - 1
    point_costs_row[:] = 0.0
    while True:
        point_costs_row[i] += _local_cost(xb, yb, i, j, b)
        if i == 0 and j == 0:
            break
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diag = acc[i, j, b]
            up = acc[i, j + 1, b]
            left = acc[i + 1, j, b]
            if diag <= up and diag <= left:
                i -= 1
                j -= 1
            elif up <= left:
                i -= 1
            else:
                j -= 1


@njit(cache=True, nogil=True)
def _process_block(X, Y, lo, hi, sq_dist, point_costs, with_points, blk):
    """DTW of the pairs of block ``blk``; scratch lives only for this call."""
    n = X.shape[0]
    wx = X.shape[1]
    wy = Y.shape[1]
    c = X.shape[2]
    start = blk * LANES
    stop = min(start + LANES, n)
    xb = np.empty((wx, c, LANES))
    yb = np.empty((wy, c, LANES))
    acc = np.empty((wx + 1 if with_points else 2, wy + 1, LANES))
    cost = np.empty(LANES)
    _load_block(X, start, stop, xb)
    _load_block(Y, start, stop, yb)
    _block_dp(xb, yb, lo, hi, acc, with_points, cost)
    last = acc[wx if with_points else wx & 1, wy]
    for b in range(stop - start):
        sq_dist[start + b] = last[b]
    if with_points:
        for b in range(stop - start):
            _backtrack(xb, yb, acc, b, point_costs[start + b])


@njit(cache=True, parallel=True)
def paired_dtw_parallel(X, Y, lo, hi, sq_dist, point_costs, with_points):
    """Squared DTW of each pair ``(X[p], Y[p])``, written into ``sq_dist``.

    ``X (n, wx, c)`` and ``Y (n, wy, c)`` are float32 or float64, any strides.
    When ``with_points``, ``point_costs (n, wx)`` receives the per-point path costs;
    otherwise it is not touched (pass a ``(0, wx)`` array). Parallel over blocks of
    ``LANES`` pairs; each block allocates its own scratch, so peak extra memory is
    ``n_threads`` blocks.
    """
    n_blocks = (X.shape[0] + LANES - 1) // LANES
    for blk in prange(n_blocks):
        _process_block(X, Y, lo, hi, sq_dist, point_costs, with_points, blk)


@njit(cache=True, nogil=True)
def paired_dtw_serial(X, Y, lo, hi, sq_dist, point_costs, with_points):
    """Same as :func:`paired_dtw_parallel` on the calling thread.

    For small inputs: waking a thread pool costs more than the work, and far more
    (milliseconds) when other processes keep the cores busy.
    """
    n_blocks = (X.shape[0] + LANES - 1) // LANES
    for blk in range(n_blocks):
        _process_block(X, Y, lo, hi, sq_dist, point_costs, with_points, blk)
