"""Volume under the range-based PR and ROC surfaces (VUS-PR, VUS-ROC).

The reference implementation (``vus`` 0.0.6, ``metricor.RangeAUC_volume_opt``) loops
over buffer lengths, thresholds and anomaly segments in Python. This module computes the
same numbers with sorted scores and cumulative counts:

- each point gets ``first[t]``, the index of the first threshold that predicts it;
  per-threshold sums of any point weight are then a ``bincount`` + ``cumsum``;
- a normal point's soft label depends only on its distances to the anomaly runs: 0
  beyond the buffer, ``sqrt(1 - d / w)`` for a single run within reach, and exactly 1
  when two runs are within reach (each term is at least ``sqrt(1/2)`` and the reference
  caps the sum at 1). Those distances are computed once;
- whether a buffered segment holds a predicted point at a threshold is
  ``min(first)`` over the segment, kept per anomaly run as running minima while the
  buffer grows.
"""

import numpy as np

from ..utils import check_positive_int, runs, runs_reduce
from ._docstrings import document
from ._ranking import check_truth_and_scores

_NEVER = np.iinfo(np.intp).max // 4


def _distances_to_runs(positions, starts, ends):
    """Nearest and second-nearest distance of each position to a run edge outside it.

    A run contributes to a point on its right through its end and to a point on its left
    through its start, as in the reference's buffer extension.
    """
    left = np.searchsorted(ends, positions, side="left")  # ends[:left] < position
    right = np.searchsorted(starts, positions, side="right")  # starts[right:] > position
    candidates = np.full((positions.size, 4), _NEVER, dtype=np.intp)
    for column, offset in enumerate((1, 2)):
        has = left - offset >= 0
        candidates[has, column] = positions[has] - ends[left[has] - offset]
        has = right + offset - 1 < starts.size
        candidates[has, column + 2] = starts[right[has] + offset - 1] - positions[has]
    candidates.sort(axis=1)
    return candidates[:, 0], candidates[:, 1]


def _per_threshold(first, n_thresholds, weights=None):
    """Cumulative weight of the points predicted at each threshold index."""
    counts = np.bincount(first, weights=weights, minlength=n_thresholds + 1)
    return np.cumsum(counts[:n_thresholds])


def vus_surfaces(truth, score, sliding_window, n_thresholds, *, roc=True):
    """Per-buffer range AP and range ROC AUC, as ``(ap, auc)`` arrays of length L + 1."""
    n = score.size
    n_anomalies = np.count_nonzero(truth)
    starts, stops = runs(truth)
    ends = stops - 1  # last row of each run: the distances below are to run edges
    n_thr = n if n_thresholds is None else n_thresholds

    order = np.argsort(-score, kind="stable")
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    # Thresholds exactly as the reference: scores at evenly spaced sorted positions.
    thresholds = score[order][np.linspace(0, n - 1, n_thr).astype(int)]
    n_pred = n - np.searchsorted(np.sort(score), thresholds, side="left")
    first = np.searchsorted(n_pred, rank, side="right")

    tp_truth = _per_threshold(first[truth], n_thr)
    run_first = runs_reduce(np.minimum, first, starts, stops)

    max_half = sliding_window // 2
    normal = np.flatnonzero(~truth)
    nearest, second = _distances_to_runs(normal, starts, ends)
    near = nearest <= max_half
    cand_first, cand_d1, cand_d2 = first[normal[near]], nearest[near], second[near]

    left_min = run_first.copy()  # min of `first` over run + its left buffer
    right_min = run_first.copy()
    half = 0
    ap = np.empty(sliding_window + 1)
    auc = np.empty(sliding_window + 1) if roc else None
    for window in range(sliding_window + 1):
        while half < window // 2:
            half += 1
            pos = starts - half
            ok = pos >= 0
            left_min[ok] = np.minimum(left_min[ok], first[pos[ok]])
            pos = ends + half
            ok = pos < n
            right_min[ok] = np.minimum(right_min[ok], first[pos[ok]])
        if half:
            soft = np.where(cand_d2 <= half, 1.0, np.sqrt(1.0 - np.minimum(cand_d1, half) / window))
            soft[cand_d1 > half] = 0.0
            tp_soft = _per_threshold(cand_first, n_thr, soft)
        else:
            tp_soft = np.zeros(n_thr)

        # Buffered runs closer than the buffer merge into one segment (reference rule:
        # separate when end_i + half < start_{i+1} - half).
        new_segment = np.concatenate(([True], starts[1:] - half > ends[:-1] + half))
        segment_first = np.minimum.reduceat(
            np.minimum(left_min, right_min), np.flatnonzero(new_segment)
        )
        existence = _per_threshold(segment_first, n_thr) / segment_first.size

        tp = tp_truth + tp_soft
        p_new = n_anomalies + tp_soft / 2.0
        tpr = np.minimum(tp / p_new, 1.0) * existence
        precision = tp / n_pred
        ap[window] = np.dot(np.diff(tpr, prepend=0.0), precision)
        if roc:
            fpr = (n_pred - tp) / (n - p_new)
            tpr_c = np.concatenate(([0.0], tpr, [1.0]))
            fpr_c = np.concatenate(([0.0], fpr, [1.0]))
            auc[window] = np.dot(np.diff(fpr_c), (tpr_c[1:] + tpr_c[:-1]) / 2.0)
    return ap, auc


def check_vus_params(sliding_window, n_thresholds):
    """Validate the VUS keywords (also called by the scorers at construction)."""
    sliding_window = check_positive_int(sliding_window, "sliding_window", minimum=0)
    if n_thresholds is not None:
        n_thresholds = check_positive_int(n_thresholds, "n_thresholds")
    return sliding_window, n_thresholds


@document
def vus_pr_score(y_true, y_score, *, sliding_window=100, n_thresholds=250):
    """Volume under the range-based precision-recall surface (VUS-PR).

    %(vus)s

    Returns
    -------
    vus_pr : float
        Mean over buffer lengths of the range-based average precision, in [0, 1].

    See Also
    --------
    vus_roc_score, point_average_precision_score

    References
    ----------
    %(vus_references)s

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.metrics import vus_pr_score
    >>> y_true = np.zeros(50, dtype=int)
    >>> y_true[20:24] = 1
    >>> y_score = np.zeros(50)
    >>> y_score[22:27] = 1.0     # overlaps the end of the event, spills after it
    >>> round(vus_pr_score(y_true, y_score, sliding_window=8), 4)
    0.5366
    """
    truth, score = check_truth_and_scores(y_true, y_score, metric="VUS-PR", need_normal=False)
    sliding_window, n_thresholds = check_vus_params(sliding_window, n_thresholds)
    ap, _ = vus_surfaces(truth, score, sliding_window, n_thresholds, roc=False)
    return float(np.mean(ap))


@document
def vus_roc_score(y_true, y_score, *, sliding_window=100, n_thresholds=250):
    """Volume under the range-based ROC surface (VUS-ROC).

    %(vus)s

    Returns
    -------
    vus_roc : float
        Mean over buffer lengths of the range-based ROC AUC, in [0, 1].

    See Also
    --------
    vus_pr_score, point_roc_auc_score

    References
    ----------
    %(vus_references)s

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.metrics import vus_roc_score
    >>> y_true = np.zeros(50, dtype=int)
    >>> y_true[20:24] = 1
    >>> y_score = np.zeros(50)
    >>> y_score[22:27] = 1.0
    >>> round(vus_roc_score(y_true, y_score, sliding_window=8), 4)
    0.8377
    """
    truth, score = check_truth_and_scores(y_true, y_score, metric="VUS-ROC")
    sliding_window, n_thresholds = check_vus_params(sliding_window, n_thresholds)
    _, auc = vus_surfaces(truth, score, sliding_window, n_thresholds, roc=True)
    return float(np.mean(auc))
