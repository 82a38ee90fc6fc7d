"""Reconstruction errors of window batches and their mapping onto timestamps (private).

Timestamp grain: row ``t`` of the windows is the window ending at timestamp ``t``
(``FFTWindower``), so window ``t`` covers the rows ``t - w + 1 .. t``. Only the *real*
windows ``t >= w - 1`` are scored (the first ``w - 1`` reach before the first row and
hold padding). With ``m = n - w + 1`` real windows numbered ``j = t - (w - 1)``, row
``s`` is covered by the real windows ``j`` in ``[max(0, s - w + 1), min(s, m - 1)]``.
"""

import numpy as np

from ..dtw import paired_dtw
from ..utils import shares

#: metrics whose errors exist per time step (usable with ``aggregation="path"``)
POINT_METRICS = ("dtw", "mse")


def covering_bounds(n_rows, window_length, rows=None):
    """First and last real window (numbered from 0) covering each row, inclusive."""
    m = n_rows - window_length + 1
    rows = np.arange(n_rows) if rows is None else rows
    lo = np.maximum(rows - window_length + 1, 0)
    hi = np.minimum(rows, m - 1)
    return lo, hi


def covering_windows(n_rows, window_length, start, stop):
    """Range ``[j0, j1)`` of the real windows that cover the rows ``start .. stop - 1``."""
    m = n_rows - window_length + 1
    return max(0, start - window_length + 1), min(stop, m)


def covering_mean(window_errors, n_rows, window_length, start=0, stop=None):
    """Mean error of the real windows covering each row, in O(n) with cumulative sums.

    Parameters
    ----------
    window_errors : ndarray of shape (j1 - j0, k)
        Errors of the real windows ``j0 .. j1 - 1`` that cover the rows
        ``start .. stop - 1`` (:func:`covering_windows`), in time order.
    n_rows, window_length : int
        Number of timestamps of the whole series and window length.
    start, stop : int
        Rows to return (default: all).

    Returns
    -------
    features : ndarray of shape (stop - start, k), float64
    """
    stop = n_rows if stop is None else stop
    j0, _ = covering_windows(n_rows, window_length, start, stop)
    lo, hi = covering_bounds(n_rows, window_length, np.arange(start, stop))
    cumulative = np.zeros((window_errors.shape[0] + 1, window_errors.shape[1]))
    np.cumsum(window_errors, axis=0, out=cumulative[1:])
    counts = (hi - lo + 1)[:, np.newaxis]
    return (cumulative[hi - j0 + 1] - cumulative[lo - j0]) / counts


class PathAccumulator:
    """Sums per-step costs of real windows onto the rows they cover, batch by batch
    (any number of columns: the errors, and the channels' parts of them).

    Holds the rows covered by the real windows ``j0 .. j1 - 1``: ``j0 .. j1 + w - 2``.
    """

    def __init__(self, n_rows, window_length, n_features, j0=0, j1=None):
        self.n_rows = n_rows
        self.window_length = window_length
        self.j0 = j0
        j1 = n_rows - window_length + 1 if j1 is None else j1
        self.sums = np.zeros((j1 - j0 + window_length - 1, n_features))

    def add(self, start, point_costs):
        """Add the costs ``(b, w, k)`` of real windows ``start .. start + b - 1``.

        Real window ``j`` starts at row ``j``: its step ``i`` is row ``j + i``. One
        vectorised add per step keeps this O(b * w) without ``np.add.at``.
        """
        b = point_costs.shape[0]
        first = start - self.j0
        for i in range(self.window_length):
            self.sums[first + i : first + i + b] += point_costs[:, i, :]

    def result(self, start=0, stop=None):
        """Mean cost per covering window of the rows ``start .. stop - 1``."""
        stop = self.n_rows if stop is None else stop
        lo, hi = covering_bounds(self.n_rows, self.window_length, np.arange(start, stop))
        rows = slice(start - self.j0, stop - self.j0)
        return self.sums[rows] / (hi - lo + 1)[:, np.newaxis]


def batch_errors(
    estimator, windows, *, metric, channels, point, metric_params, flatten, parts=False
):
    """Reconstruction error of one batch of windows.

    Errors are means over time steps and channels of squared differences (``"mse"``),
    of squared local costs along the optimal DTW path (``"dtw"``: ``distance ** 2``
    divided by ``w * c``), or of the soft-DTW divergence (``"softdtw"``), so that all
    metrics share the scale of a mean squared error; ``"model"`` is the estimator's
    own ``score_windows``.

    With ``parts`` (one error over all channels), the error is followed by ``c``
    columns that split it among the channels in proportion to each channel's squared
    difference between the window and its reconstruction: over the window for window
    errors, step by step for per-step costs (for ``"mse"`` this is the exact
    decomposition of the error; for the other metrics the split of the unwarped
    differences).

    Parameters
    ----------
    estimator : fitted autoencoder
        Has ``reconstruct`` (or ``transform`` and ``inverse_transform`` on flattened
        windows when ``flatten``), and ``score_windows`` for ``metric="model"``.
    windows : ndarray of shape (b, w, c)
        A batch of windows (may be a read-only view).
    metric : {"dtw", "mse", "softdtw", "model"}
    channels : {"joint", "separate"}
        One error over all channels, or one per channel.
    point : bool
        Return per-step costs ``(b, w, k)`` instead of window errors ``(b, k)``.
    metric_params : dict
        ``window`` (DTW band) or ``gamma`` (soft-DTW).
    flatten : bool
        Whether the estimator works on flattened 2D windows.
    parts : bool, default=False
        Append the channels' parts of the error (``channels="joint"`` only).

    Returns
    -------
    errors : ndarray of shape (b, k) or (b, w, k), float64
        ``k`` error columns, plus ``c`` part columns with ``parts``.
    """
    b, w, c = windows.shape
    if metric == "model":
        errors = np.asarray(estimator.score_windows(windows), dtype=np.float64).reshape(b, 1)
        if not parts:
            return errors
    rec = _reconstruct(estimator, windows, flatten)
    squared = None
    if metric == "mse" or parts:
        squared = (np.asarray(windows, dtype=np.float64) - rec) ** 2
    if metric == "mse":
        errors = squared.mean(axis=2, keepdims=True) if channels == "joint" else squared
        errors = errors if point else errors.mean(axis=1)
    elif metric == "dtw":
        errors = _dtw_errors(windows, rec, channels, point, metric_params.get("window"))
    elif metric == "softdtw":
        errors = _softdtw_errors(windows, rec, channels, metric_params.get("gamma", 0.1))
    if not parts:
        return errors
    if point:  # each step's cost, split by that step's squared differences
        split = shares(squared.reshape(b * w, c)).reshape(b, w, c)
    else:
        split = shares(squared.sum(axis=1))
    return np.concatenate([errors, errors * split], axis=-1)


def _reconstruct(estimator, windows, flatten):
    if flatten:
        b = windows.shape[0]
        flat = np.asarray(windows).reshape(b, -1)
        rec = estimator.inverse_transform(estimator.transform(flat))
        return np.asarray(rec, dtype=np.float64).reshape(windows.shape)
    rec = estimator.reconstruct(windows)
    return np.asarray(rec, dtype=np.float64).reshape(windows.shape)


def _dtw_errors(windows, rec, channels, point, band):
    b, w, c = windows.shape
    windows = np.asarray(windows, dtype=np.float64)
    groups = [slice(None)] if channels == "joint" else [slice(k, k + 1) for k in range(c)]
    size = c if channels == "joint" else 1
    out = np.empty((b, w, len(groups)) if point else (b, len(groups)))
    for k, group in enumerate(groups):
        if point:
            _, costs = paired_dtw(
                windows[:, :, group], rec[:, :, group], window=band, return_point_costs=True
            )
            out[:, :, k] = costs / size
        else:
            distances = paired_dtw(windows[:, :, group], rec[:, :, group], window=band)
            out[:, k] = distances**2 / (w * size)
    return out


def _softdtw_errors(windows, rec, channels, gamma):
    import torch
    from tslearn.metrics import SoftDTWLossPyTorch

    b, w, c = windows.shape
    divergence = SoftDTWLossPyTorch(gamma=gamma, normalize=True)
    x = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float64))
    y = torch.from_numpy(np.ascontiguousarray(rec, dtype=np.float64))
    groups = [slice(None)] if channels == "joint" else [slice(k, k + 1) for k in range(c)]
    size = c if channels == "joint" else 1
    out = np.empty((b, len(groups)))
    with torch.no_grad():
        for k, group in enumerate(groups):
            out[:, k] = divergence(x[:, :, group], y[:, :, group]).numpy() / (w * size)
    return out
