"""Threshold-free metrics on anomaly scores: ROC AUC, average precision, best F1 (oracle)."""

import numpy as np
from sklearn import metrics as skm

from ..utils import check_anomaly_labels, check_scores, runs, runs_reduce
from ._docstrings import document
from ._labels import check_same_length


def check_truth_and_scores(y_true, y_score, *, metric, need_normal=True):
    truth = check_anomaly_labels(y_true, name="y_true")
    score = check_scores(y_score)
    check_same_length(truth, score, names=("y_true", "y_score"))
    if not truth.any():
        raise ValueError(f"{metric} is undefined: y_true holds no anomaly (no 1).")
    if need_normal and truth.all():
        raise ValueError(f"{metric} is undefined: y_true holds only anomalies (no 0).")
    return truth, score


@document
def point_roc_auc_score(y_true, y_score):
    """Area under the point-wise ROC curve of anomaly scores.

    Delegates to :func:`sklearn.metrics.roc_auc_score` after validating that the labels
    are 0/1, that both classes are present and that the scores are finite.

    Parameters
    ----------
    %(scores)s

    Returns
    -------
    auc : float
        ROC AUC in [0, 1]; 0.5 for uninformative scores.

    See Also
    --------
    point_average_precision_score, vus_roc_score

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_roc_auc_score
    >>> point_roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    truth, score = check_truth_and_scores(y_true, y_score, metric="ROC AUC")
    return float(skm.roc_auc_score(truth, score))


@document
def point_average_precision_score(y_true, y_score):
    """Average precision (area under the step-wise precision-recall curve) of scores.

    This is the package's "PR AUC": it delegates to
    :func:`sklearn.metrics.average_precision_score`, which sums precision times recall
    increments and does not interpolate linearly (linear interpolation of the PR curve
    is optimistic).

    Parameters
    ----------
    %(scores)s

    Returns
    -------
    average_precision : float
        In [0, 1]; about the anomaly rate for uninformative scores.

    See Also
    --------
    point_roc_auc_score, vus_pr_score, best_f1_score

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_average_precision_score
    >>> round(point_average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    truth, score = check_truth_and_scores(
        y_true, y_score, metric="Average precision", need_normal=False
    )
    return float(skm.average_precision_score(truth, score))


@document
def best_f1_score(y_true, y_score, *, point_adjusted=False, return_threshold=False):
    """Best F1 over all thresholds of the scores: an oracle, for comparison only.

    The threshold is chosen with the test labels, which a deployed detector never has, so
    this is an upper bound on what any threshold rule can reach with these scores. Many
    papers report it (often with ``point_adjusted=True``, the "best PA-F1" of USAD and
    its successors); use it to compare with them, never to select a model.

    Every distinct score value ``t`` is tried as the threshold, predicting anomalous the
    points with ``y_score >= t``. Cost: O(n log n).

    Parameters
    ----------
    %(scores)s
    point_adjusted : bool, default=False
        Whether to score each threshold with the point-adjusted F1 (see
        :func:`point_adjusted_f1_score`) instead of the point-wise F1.
    return_threshold : bool, default=False
        Whether to also return the threshold reaching the best F1.

    Returns
    -------
    f1 : float
        The best F1.
    threshold : float
        The smallest score predicted anomalous at the best F1 (the highest such threshold
        when several tie); only when ``return_threshold=True``.

    See Also
    --------
    point_f1_score, point_adjusted_f1_score

    Examples
    --------
    >>> from ecoai_sklearn.metrics import best_f1_score
    >>> y_true = [0, 0, 1, 1, 0, 0]
    >>> y_score = [0.1, 0.5, 0.9, 0.4, 0.2, 0.3]
    >>> best_f1_score(y_true, y_score, return_threshold=True)
    (0.8, 0.4)
    >>> best_f1_score(y_true, y_score, point_adjusted=True)
    1.0
    """
    for flag, value in (("point_adjusted", point_adjusted), ("return_threshold", return_threshold)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{flag} must be a bool, got {value!r}.")
    truth, score = check_truth_and_scores(y_true, y_score, metric="Best F1", need_normal=False)
    n_anomalies = np.count_nonzero(truth)
    if point_adjusted:
        # An event turns fully "detected" as soon as the threshold reaches its maximum score.
        starts, stops = runs(truth)
        n_events = starts.size
        activation = np.concatenate((runs_reduce(np.maximum, score, starts, stops), score[~truth]))
        tp_weight = np.zeros(activation.size)
        tp_weight[:n_events] = stops - starts
        fp_weight = np.ones(activation.size)
        fp_weight[:n_events] = 0.0
    else:
        activation, tp_weight = score, truth.astype(np.float64)
        fp_weight = 1.0 - tp_weight
    order = np.argsort(-activation, kind="stable")
    activation = activation[order]
    tp = np.cumsum(tp_weight[order])
    n_predicted = tp + np.cumsum(fp_weight[order])
    # Only the last position of each group of tied scores is a reachable threshold.
    last = np.flatnonzero(np.append(activation[1:] != activation[:-1], True))
    f1 = 2.0 * tp[last] / (n_predicted[last] + n_anomalies)
    best = int(np.argmax(f1))
    if return_threshold:
        return float(f1[best]), float(activation[last[best]])
    return float(f1[best])
