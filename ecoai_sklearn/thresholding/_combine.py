"""Combining per-column exceedances into one row score, and tuning thresholds on labels."""

import numpy as np

# Votes are compared with a tolerance: normalised weights summing to 1 may add up to
# 0.9999999999999999, which must still reach a required fraction of 1.
_VOTE_TOL = 1e-9


def vote_rule(combine, weights):
    """Return ``(weights, fraction)``: normalised vote weights and the fraction to reach.

    ``"any"`` ignores the weights (equal weights, one column is enough), ``"all"`` needs
    every column with a positive weight, a float ``q`` needs columns holding at least
    ``q`` of the total weight.
    """
    n_columns = weights.shape[0]
    if combine == "any":
        return np.full(n_columns, 1.0 / n_columns), 1.0 / n_columns
    weights = weights / weights.sum()
    return weights, 1.0 if combine == "all" else float(combine)


def combine_exceedances(A, weights, fraction):
    """Weighted upper quantile of each row of ``A`` (n, k).

    Returns, per row, the largest value ``m`` such that the columns with ``A >= m`` hold
    at least ``fraction`` of the weight. ``m > 1`` exactly when the columns with
    ``A > 1`` hold at least ``fraction`` of the weight. With equal weights and
    ``fraction = 1/k`` this is the row maximum.
    """
    if A.shape[1] == 1:
        return A[:, 0].copy()
    order = np.argsort(-A, axis=1, kind="stable")
    A_sorted = np.take_along_axis(A, order, axis=1)
    cumulative = np.cumsum(weights[order], axis=1)
    first = np.argmax(cumulative >= fraction - _VOTE_TOL, axis=1)
    return A_sorted[np.arange(A.shape[0]), first]


def call_metric(metric, y_true, y_pred):
    """``metric(y_true, y_pred)`` as a float; NaN, inf or a non-number is a clear error.

    Tuning picks the candidate with the largest value: a NaN would make every comparison
    false, so it is refused rather than silently ignored or crashing the search.
    """
    value = metric(y_true, y_pred)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"metric must return a number (higher is better), got {value!r} from "
            f"{getattr(metric, '__name__', metric)!r}."
        ) from None
    if not np.isfinite(value):
        raise ValueError(
            f"metric returned {value} while tuning thresholds on the labelled rows; a "
            "tuning metric must return a finite number for every candidate (e.g. use "
            "zero_division=0.0 for an F-score with no predicted anomaly)."
        )
    return value


def _metric_by_threshold(always, switch, d, y, grid, metric):
    """Metric of the flags ``always | (switch & (d > t))`` for each ``t`` in ``grid``.

    F1 is counted from sorted values (no prediction matrix, so memory stays O(n));
    a callable metric is called once per candidate.
    """
    if metric != "f1":
        y_int = y.astype(int)
        return np.array(
            [call_metric(metric, y_int, (always | (switch & (d > t))).astype(int)) for t in grid]
        )
    optional = switch & ~always
    d_flagged = np.sort(d[optional])
    d_true = np.sort(d[optional & y])
    predicted = always.sum() + d_flagged.size - np.searchsorted(d_flagged, grid, side="right")
    tp = (always & y).sum() + d_true.size - np.searchsorted(d_true, grid, side="right")
    denominator = predicted + y.sum()
    return np.where(denominator > 0, 2.0 * tp / np.maximum(denominator, 1), 0.0)


def _pick(candidates, values, current=None):
    """Best candidate; ties go to the current value, else to the middle maximiser."""
    best = np.max(values)
    winners = np.flatnonzero(values >= best - 1e-12)
    if current is not None:
        at_current = np.flatnonzero(candidates == current)
        if at_current.size and values[at_current[0]] >= best - 1e-12:
            return current, best
    return candidates[winners[winners.size // 2]], best


def tune_thresholds(D, y, *, weights, fraction, grid, metric, max_sweeps=10):
    """Per-column thresholds maximising ``metric`` on labelled rows, by coordinate ascent.

    Starts from the best common threshold on ``grid`` (every column the same cut), then
    sweeps the columns, each time choosing the grid value that maximises the metric with
    the other thresholds fixed, until a sweep changes nothing. The result is never worse
    on these rows than the best common threshold.

    Parameters
    ----------
    D : ndarray of shape (n_samples, n_columns)
        Tail-transformed Z values (``|z|``, ``z`` or ``-z``).
    y : ndarray of bool, shape (n_samples,)
        True for anomalous rows.
    weights, fraction :
        The vote rule from :func:`vote_rule`.
    grid : ndarray of shape (n_candidates,)
        Candidate thresholds, increasing.
    metric : "f1" or callable
        ``metric(y_true, y_pred)`` on 0/1 labels, higher is better.

    Returns
    -------
    thresholds : ndarray of shape (n_columns,)
    score : float
        Metric value reached on these rows.
    common_score : float
        Metric value of the best common threshold.
    """
    n_samples, n_columns = D.shape
    needed = fraction - _VOTE_TOL
    never = np.zeros(n_samples, dtype=bool)
    # With one cut t for all columns, a row is flagged when its weighted quantile m > t.
    m = combine_exceedances(D, weights, fraction)
    common_values = _metric_by_threshold(never, ~never, m, y, grid, metric)
    common, common_score = _pick(grid, common_values)
    thresholds = np.full(n_columns, common)
    score = common_score
    for _ in range(max_sweeps):
        changed = False
        for k in range(n_columns):
            others = np.delete(np.arange(n_columns), k)
            other_votes = ((D[:, others] > thresholds[others]) * weights[others]).sum(axis=1)
            always = other_votes >= needed
            switch = other_votes + weights[k] >= needed
            values = _metric_by_threshold(always, switch, D[:, k], y, grid, metric)
            value, value_score = _pick(grid, values, thresholds[k])
            if value != thresholds[k] and value_score > score:
                thresholds[k], score, changed = value, value_score, True
        if not changed:
            break
    return thresholds, float(score), float(common_score)


def tune_ratio_table(D, y, table, *, weights, fraction, metric):
    """Index of the row of ``table`` (candidate threshold vectors) maximising ``metric``.

    Ties go to the middle maximiser, so that a plateau of equivalent candidates (e.g.
    ratios whose thresholds are all clipped) resolves to its centre.
    """
    needed = fraction - _VOTE_TOL
    y_int = None if metric == "f1" else y.astype(int)
    values = np.empty(table.shape[0])
    n_true = y.sum()
    for i, thresholds in enumerate(table):
        flagged = ((D > thresholds) * weights).sum(axis=1) >= needed
        if metric == "f1":
            values[i] = 2.0 * np.sum(flagged & y) / max(flagged.sum() + n_true, 1)
        else:
            values[i] = call_metric(metric, y_int, flagged.astype(int))
    winners = np.flatnonzero(values >= np.max(values) - 1e-12)
    return int(winners[winners.size // 2]), float(np.max(values))
