"""Numba kernel of KNNWindowScorer: the k smallest distances of each row (private).

Nothing is compiled at import: ``njit`` compiles on the first call and ``cache=True``
stores the machine code next to this file for later processes.
"""

import numpy as np
from numba import njit


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
        training series): that query window is then compared with all of them.

    Returns
    -------
    errors : ndarray of shape (b,), float64
    """
    b, m = squared.shape
    out = np.empty(b)
    best = np.empty(k)
    for i in range(b):
        count = 0
        exclude = positions[i] >= 0
        j = 0
        while j < m:
            if exclude and abs(positions[i] - train_positions[j]) < reach:
                j += 1
                if j == m and count == 0:
                    # every kept window overlaps this one: compare with all of them
                    # rather than return no error at all
                    exclude = False
                    j = 0
                continue
            d = squared[i, j]
            j += 1
            if d < 0.0:
                d = 0.0
            if count < k:
                # insert into the sorted prefix best[:count]
                slot = count
                while slot > 0 and best[slot - 1] > d:
                    best[slot] = best[slot - 1]
                    slot -= 1
                best[slot] = d
                count += 1
            elif d < best[k - 1]:
                slot = k - 1
                while slot > 0 and best[slot - 1] > d:
                    best[slot] = best[slot - 1]
                    slot -= 1
                best[slot] = d
        total = 0.0
        for r in range(count):
            total += np.sqrt(best[r] / size)
        out[i] = total / count
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
        exclude = positions[i] >= 0
        j = 0
        while j < m:
            if exclude and abs(positions[i] - train_positions[j]) < reach:
                j += 1
                if j == m and count == 0:
                    exclude = False
                    j = 0
                continue
            d = squared[i, j]
            col = j
            j += 1
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
            index[i, slot] = col
    return index
