"""Numba kernel of KNNWindowScorer: the k smallest distances of each row (private).

Nothing is compiled at import: ``njit`` compiles on the first call and ``cache=True``
stores the machine code next to this file for later processes.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _exclusion_reach(position, train_positions, reach):
    """Kept windows closer than this many positions to a query window are skipped.

    ``reach`` for a window of the training series (``position >= 0``) that has a kept
    window at least ``reach`` away; 1 (itself only) when every kept window overlaps it,
    as on a short training series, so that it still has neighbours; 0 (none skipped) for
    new data, or when it is the only kept window.
    """
    if position < 0:
        return 0
    others = False
    for p in train_positions:
        distance = abs(position - p)
        if distance >= reach:
            return reach
        if distance >= 1:
            others = True
    return 1 if others else 0


@njit(cache=True, nogil=True)
def mean_nearest(squared, k, size, positions, train_positions, reach):
    """Mean of ``sqrt(d / size)`` over the ``k`` smallest ``d`` of each row of ``squared``.

    Parameters
    ----------
    squared : ndarray of shape (b, m), float64
        Squared distances of ``b`` query windows to ``m`` kept windows (may hold small
        negative rounding errors: read as 0).
    k : int
        Neighbours averaged (``k <= m``).
    size : float
        Values per window (``w * c``): ``sqrt(d / size)`` is an RMS difference.
    positions : ndarray of shape (b,), int64
        Position of each query window in the training windows, or -1 for new data.
    train_positions : ndarray of shape (m,), int64
        Position of each kept window.
    reach : int
        A kept window less than ``reach`` positions from a query window of the training
        series overlaps it and is skipped, unless every kept window does (a short
        training series): then only the query window itself is skipped
        (:func:`_exclusion_reach`).

    Returns
    -------
    errors : ndarray of shape (b,), float64
    """
    return mean_of(squared, nearest(squared, k, positions, train_positions, reach), size)


@njit(cache=True, nogil=True)
def mean_of(squared, index, size):
    """Mean of ``sqrt(d / size)`` over the columns ``index`` of each row (-1: none), as
    :func:`nearest` picks them: the errors of :func:`mean_nearest` from its neighbours."""
    out = np.empty(squared.shape[0])
    for i in range(squared.shape[0]):
        total = 0.0
        count = 0
        for r in range(index.shape[1]):
            j = index[i, r]
            if j < 0:
                break
            total += np.sqrt(max(squared[i, j], 0.0) / size)
            count += 1
        out[i] = total / count if count > 0 else np.inf
    return out


@njit(cache=True, nogil=True)
def nearest(squared, k, positions, train_positions, reach):
    """Columns of the ``k`` smallest entries of each row of ``squared``, with the rule of
    :func:`mean_nearest` (overlapping kept windows skipped; ties: the first column).

    Returns
    -------
    index : ndarray of shape (b, k), int64
        Columns in increasing order of distance; -1 where a row has fewer than ``k``
        usable columns.
    """
    b, m = squared.shape
    index = np.full((b, k), -1, dtype=np.int64)
    best = np.empty(k)
    for i in range(b):
        count = 0
        skip = _exclusion_reach(positions[i], train_positions, reach)
        for j in range(m):
            if abs(positions[i] - train_positions[j]) < skip:
                continue
            d = squared[i, j]
            if d < 0.0:
                d = 0.0
            if count < k:
                slot = count
                count += 1
            elif d < best[k - 1]:
                slot = k - 1
            else:
                continue
            while slot > 0 and best[slot - 1] > d:
                best[slot] = best[slot - 1]
                index[i, slot] = index[i, slot - 1]
                slot -= 1
            best[slot] = d
            index[i, slot] = j
    return index
