"""Synthetic anomalies for self-supervised validation (private).

The kinds are those of :func:`~ecoai_sklearn.datasets.make_industrial_load`, applied to
any series: magnitudes are multiples of each channel's standard deviation (a generated
load's events are multiples of its level, which a general series does not have).
"""

import numpy as np

from ..datasets import ANOMALY_KINDS


def inject_anomalies(X, rng, *, n_events, kinds=ANOMALY_KINDS, max_length=32, scale=None):
    """A copy of ``X`` with ``n_events`` anomalies spread over it, and their labels.

    Parameters
    ----------
    X : ndarray of shape (n, c)
        Series; NaN stays NaN.
    rng : numpy.random.Generator
    n_events : int
        Events, one per equal slot of the series (so that they never overlap).
    kinds : sequence of str
        Kinds cycled through, in a random order.
    max_length : int
        Longest event, in rows (a spike is one row; others last ``max_length // 4`` to
        ``max_length`` rows).
    scale : ndarray of shape (c,) or None
        Standard deviation of each channel (default: of ``X``).

    Returns
    -------
    X_new : ndarray of shape (n, c)
    y : ndarray of shape (n,), int
        1 on the rows of an event.
    """
    X = np.array(X, dtype=np.float64)
    n, c = X.shape
    y = np.zeros(n, dtype=np.int64)
    scale = np.nanstd(X, axis=0) if scale is None else np.asarray(scale, dtype=np.float64)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    order = rng.permutation(len(kinds))
    slots = np.linspace(0, n, n_events + 1).astype(np.int64)
    for k in range(n_events):
        low, high = slots[k], slots[k + 1]
        kind = kinds[order[k % len(kinds)]]
        room = max(1, high - low - 2)
        length = int(rng.integers(max(2, max_length // 4), max_length + 1))
        length = 1 if kind == "spike" else min(length, room)
        start = int(rng.integers(low, max(low + 1, high - length)))
        channel = int(rng.integers(c))
        _apply(X, kind, slice(start, start + length), channel, scale[channel], rng)
        y[start : start + length] = 1
    return X, y


def _apply(X, kind, rows, channel, scale, rng):
    segment = X[rows, channel]
    length = segment.shape[0]
    sign = rng.choice((-1.0, 1.0))
    size = rng.uniform(1.5, 4.0) * scale
    if kind == "spike":
        segment += sign * rng.uniform(3.0, 6.0) * scale
    elif kind == "surge":
        segment += size
    elif kind == "sag":
        segment -= size * np.hanning(length + 2)[1:-1]
    elif kind == "outage":
        segment[:] = np.nanmin(X[:, channel])
    elif kind == "level_shift":
        segment += sign * size
    elif kind == "drift":
        segment += sign * size * np.linspace(0.0, 1.0, length)
    elif kind == "noise":
        segment += rng.normal(0.0, scale, length)
    else:  # time_shift: the rows of a third of the event earlier
        delay = max(1, length // 3)
        begin = max(0, rows.start - delay)
        source = X[begin : begin + length, channel].copy()
        segment[: source.shape[0]] = source
    X[rows, channel] = segment
