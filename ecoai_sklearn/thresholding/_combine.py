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


def _f1_rows(P, y):
    """F1 of each row of the boolean prediction matrix ``P`` (m, n) against ``y`` (n,)."""
    tp = P[:, y].sum(axis=1)
    predicted = P.sum(axis=1)
    denominator = predicted + y.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2.0 * tp / denominator, 0.0)
    return f1


def _evaluate(P, y, metric):
    if metric == "f1":
        return _f1_rows(P, y)
    y_int = y.astype(int)
    return np.array([float(metric(y_int, p.astype(int))) for p in P])


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
    n_columns = D.shape[1]
    needed = fraction - _VOTE_TOL
    votes_common = np.stack(
        [((D > t) * weights).sum(axis=1) >= needed for t in grid]
    )  # (n_candidates, n_samples)
    common, common_score = _pick(grid, _evaluate(votes_common, y, metric))
    thresholds = np.full(n_columns, common)
    score = common_score
    for _ in range(max_sweeps):
        changed = False
        for k in range(n_columns):
            others = np.delete(np.arange(n_columns), k)
            other_votes = ((D[:, others] > thresholds[others]) * weights[others]).sum(axis=1)
            P = other_votes[np.newaxis, :] + weights[k] * (D[:, k][np.newaxis, :] > grid[:, None])
            value, value_score = _pick(grid, _evaluate(P >= needed, y, metric), thresholds[k])
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
    P = np.stack([((D > t) * weights).sum(axis=1) >= needed for t in table])
    values = _evaluate(P, y, metric)
    winners = np.flatnonzero(values >= np.max(values) - 1e-12)
    return int(winners[winners.size // 2]), float(np.max(values))
