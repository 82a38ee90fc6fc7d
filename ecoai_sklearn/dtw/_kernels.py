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
def _dp_row(xi, yb, prev, cur, j0, j1, cost):
    """Cells ``j0..j1`` of one DP row for all lanes; ``cur[j0]`` must already be inf.

    The lane loops are kept plain on purpose: measured, LLVM vectorises these, while
    variants with the step recording fused in (or in the same function) ran 2-4x
    slower.
    """
    c = xi.shape[0]
    x0 = xi[0]
    for j in range(j0, j1 + 1):
        yj = yb[j]
        y0 = yj[0]
        up = prev[j + 1]
        diag = prev[j]
        left = cur[j]
        out = cur[j + 1]
        if c == 1:
            for b in range(LANES):
                d = x0[b] - y0[b]
                m = up[b]
                m = left[b] if left[b] < m else m
                m = diag[b] if diag[b] < m else m
                out[b] = d * d + m
        else:
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


@njit(cache=True, nogil=True)
def _steps_row(prev, cur, j0, j1, steps_row):
    """Predecessor of cells ``j0..j1`` of a finished row, from the same three values.

    0 diagonal, 1 up ``(i - 1, j)``, 2 left ``(i, j - 1)``: the first minimum in that
    order, which is tslearn's tie-breaking.
    """
    for j in range(j0, j1 + 1):
        up = prev[j + 1]
        diag = prev[j]
        left = cur[j]
        step = steps_row[j]
        for b in range(LANES):
            u = up[b]
            lf = left[b]
            step[b] = 0 if diag[b] <= min(u, lf) else (1 if u <= lf else 2)


@njit(cache=True, nogil=True)
def _block_dp(xb, yb, lo, hi, acc, cost, steps, with_steps):
    """Accumulated-cost DP for one block of pairs, on two rolling rows.

    Parameters
    ----------
    xb, yb : float64 arrays (wx, c, LANES) and (wy, c, LANES)
    lo, hi : int64 arrays (wx,)
        Inclusive band of columns visited in each row (non-decreasing, steps <= 1).
    acc : float64 array (2, wy + 1, LANES)
        Rolling rows: row ``i`` lives in ``acc[(i + 1) & 1]``, index ``j + 1`` holds
        cell ``(i, j)`` and index 0 the border. After the call, the squared DTW of
        lane ``b`` is ``acc[wx & 1, wy, b]``.
    cost : float64 array (LANES,), scratch for the multivariate local cost.
    steps : uint8 array (wx, wy, LANES)
        When ``with_steps``, receives the predecessor of each visited cell for the
        backtrack (see :func:`_steps_row`). One byte per cell instead of the eight of
        a full cost matrix keeps a block's backtrack data in cache.
    """
    wx = xb.shape[0]
    wy = yb.shape[0]
    acc[0, :, :] = _INF
    for b in range(LANES):
        acc[0, 0, b] = 0.0
    for i in range(wx):
        prev = acc[i & 1]
        cur = acc[(i + 1) & 1]
        j0 = lo[i]
        j1 = hi[i]
        # Column j0 - 1 of this row is outside the band (or the border): inf. The
        # buffer still holds row i - 2 there.
        for b in range(LANES):
            cur[j0, b] = _INF
        _dp_row(xb[i], yb, prev, cur, j0, j1, cost)
        if with_steps:
            _steps_row(prev, cur, j0, j1, steps[i])
        # The next row may reach one column further than this one: that cell of this
        # row was not visited and must read as inf.
        if j1 + 1 < wy:
            for b in range(LANES):
                cur[j1 + 2, b] = _INF


@njit(cache=True, nogil=True)
def _backtrack(xb, yb, steps, n_lanes, point_costs):
    """Add the local cost of each cell of each lane's optimal path to its x index.

    Follows the predecessors recorded by :func:`_steps_row`; on the first row or
    column the path goes straight to the origin, as in ``tslearn.metrics.dtw_path``.
    The lanes walk back in lockstep: their steps are independent, so the processor
    overlaps them instead of waiting on one lane's chain of dependent loads.

    ``point_costs`` has shape ``(n_lanes, wx)``; lanes past ``n_lanes`` are padding.
    """
    wx = xb.shape[0]
    wy = yb.shape[0]
    c = xb.shape[1]
    ii = np.full(n_lanes, wx - 1)
    jj = np.full(n_lanes, wy - 1)
    point_costs[:, :] = 0.0
    # every path has at most wx + wy - 1 cells
    for _ in range(wx + wy - 1):
        for b in range(n_lanes):
            i = ii[b]
            if i < 0:
                continue  # this lane reached the origin
            j = jj[b]
            d = xb[i, 0, b] - yb[j, 0, b]
            cell = d * d
            for ch in range(1, c):
                d = xb[i, ch, b] - yb[j, ch, b]
                cell += d * d
            point_costs[b, i] += cell
            if i == 0:
                if j == 0:
                    ii[b] = -1
                else:
                    jj[b] = j - 1
            elif j == 0:
                ii[b] = i - 1
            else:
                s = steps[i, j, b]
                if s != 2:
                    ii[b] = i - 1
                if s != 1:
                    jj[b] = j - 1


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
    acc = np.empty((2, wy + 1, LANES))
    cost = np.empty(LANES)
    if with_points:
        steps = np.empty((wx, wy, LANES), dtype=np.uint8)
    else:
        steps = np.empty((0, 0, LANES), dtype=np.uint8)
    _load_block(X, start, stop, xb)
    _load_block(Y, start, stop, yb)
    _block_dp(xb, yb, lo, hi, acc, cost, steps, with_points)
    last = acc[wx & 1, wy]
    for b in range(stop - start):
        sq_dist[start + b] = last[b]
    if with_points:
        _backtrack(xb, yb, steps, stop - start, point_costs[start:stop])


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
