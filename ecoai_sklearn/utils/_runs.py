"""Runs (events) of consecutive True values, with one end convention (private).

A run is a maximal stretch of consecutive True values of a 1-D bool array, such as an
anomaly event in labels or predictions. Every function here describes runs as
**half-open** intervals ``[start, stop)``, like Python slices: ``mask[start:stop]`` is
the run, ``stop - start`` its length, and ``stop`` the first row after it (``len(mask)``
for a run that reaches the end).
"""

import numpy as np


def runs(mask):
    """Start and stop of each run of True in a 1-D bool array, half-open ``[start, stop)``.

    Parameters
    ----------
    mask : array-like of bool of shape (n,)
        The flags, e.g. anomaly labels.

    Returns
    -------
    starts : ndarray of shape (n_runs,), dtype=intp
        First row of each run, increasing.
    stops : ndarray of shape (n_runs,), dtype=intp
        One past the last row of each run (``mask[starts[i]:stops[i]]`` is all True).

    Examples
    --------
    >>> from ecoai_sklearn.utils import runs
    >>> runs([False, True, True, False, True])
    (array([1, 4]), array([3, 5]))
    """
    padded = np.concatenate(([0], np.asarray(mask, dtype=bool).astype(np.int8), [0]))
    change = np.flatnonzero(np.diff(padded))
    return change[0::2], change[1::2]


def runs_hit(starts, stops, other):
    """Whether each run ``[starts[i], stops[i])`` holds at least one True of ``other``.

    Parameters
    ----------
    starts, stops : ndarray of shape (n_runs,)
        Half-open runs, as :func:`runs` returns them.
    other : ndarray of bool of shape (n,)
        The flags to look for (e.g. predictions inside true events).

    Returns
    -------
    hit : ndarray of bool of shape (n_runs,)
    """
    csum = np.concatenate(([0], np.cumsum(other, dtype=np.int64)))
    return csum[stops] - csum[starts] > 0


def runs_reduce(ufunc, values, starts, stops):
    """``ufunc.reduce`` of ``values`` over each run ``[starts[i], stops[i])``.

    Parameters
    ----------
    ufunc : numpy ufunc
        E.g. ``np.maximum``.
    values : ndarray of shape (n,)
        The values to reduce.
    starts, stops : ndarray of shape (n_runs,)
        Disjoint, non-empty half-open runs in increasing order.

    Returns
    -------
    reduced : ndarray of shape (n_runs,)
    """
    if starts.size == 0:
        return values[:0].copy()
    bounds = np.empty(2 * starts.size, dtype=np.intp)
    bounds[0::2], bounds[1::2] = starts, stops
    if bounds[-1] == values.shape[0]:
        bounds = bounds[:-1]
    return ufunc.reduceat(values, bounds)[0::2]
