"""Event-wise (range-based, existence) precision, recall and F1."""

from ._labels import check_zero_division, runs, runs_hit, safe_ratio
from ._point import _check_pair, _document

_DEFINITION = """An *event* is a maximal run of consecutive anomalous points: true events are the
    runs of 1s in ``y_true``, predicted events the runs of anomalous predictions in
    ``y_pred``. A true event is *detected* when at least one of its points is predicted
    anomalous; a predicted event is *correct* when it overlaps at least one true event.

    - event recall = detected true events / true events;
    - event precision = correct predicted events / predicted events;
    - event F1 = their harmonic mean.

    Each event counts once, whatever its length. Recall is the range-based recall of
    Tatbul et al. (NeurIPS 2018) with existence reward only (alpha = 1); precision is its
    existence counterpart on predicted ranges, using the overlap rule of Hundman et al.
    (KDD 2018), who count true positives over true events instead. Unlike
    :func:`point_adjusted_f1_score`, a long false alarm counts as one error, not as many
    points, and a long missed event as one miss."""

_REFERENCES = """N. Tatbul, T. J. Lee, S. Zdonik, M. Alam, J. Gottschlich, "Precision and Recall
    for Time Series", NeurIPS 2018.

    K. Hundman, V. Constantinou, C. Laporte, I. Colwell, T. Soderstrom, "Detecting
    Spacecraft Anomalies Using LSTMs and Nonparametric Dynamic Thresholding", KDD 2018."""


def _event_document(func):
    func.__doc__ = func.__doc__.replace("%(definition)s", _DEFINITION).replace(
        "%(references)s", _REFERENCES
    )
    return _document(func)


def _event_counts(y_true, y_pred, pred_convention):
    """(correct predicted, predicted, detected true, true) event counts."""
    truth, pred = _check_pair(y_true, y_pred, pred_convention)
    true_starts, true_ends = runs(truth)
    pred_starts, pred_ends = runs(pred)
    detected = int(runs_hit(true_starts, true_ends, pred).sum())
    correct = int(runs_hit(pred_starts, pred_ends, truth).sum())
    return correct, pred_starts.size, detected, true_starts.size


@_event_document
def event_precision_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Fraction of predicted events that overlap a true event.

    %(definition)s

    Parameters
    ----------
    %(labels)s
    %(zero_division)s
        Used when there is no predicted event.

    Returns
    -------
    precision : float
        Event-wise precision.

    See Also
    --------
    event_recall_score, event_f1_score, point_precision_score

    References
    ----------
    %(references)s

    Examples
    --------
    >>> from ecoai_sklearn.metrics import event_precision_score
    >>> y_true = [0, 1, 1, 0, 0, 0, 1, 0]
    >>> y_pred = [0, 0, 1, 1, 0, 1, 0, 0]   # two predicted events, one correct
    >>> event_precision_score(y_true, y_pred)
    0.5
    """
    zero_division = check_zero_division(zero_division)
    correct, predicted, _, _ = _event_counts(y_true, y_pred, pred_convention)
    return safe_ratio(correct, predicted, zero_division, "Event precision")


@_event_document
def event_recall_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Fraction of true events detected by at least one predicted point.

    %(definition)s

    Parameters
    ----------
    %(labels)s
    %(zero_division)s
        Used when there is no true event.

    Returns
    -------
    recall : float
        Event-wise recall.

    See Also
    --------
    event_precision_score, event_f1_score, point_recall_score

    References
    ----------
    %(references)s

    Examples
    --------
    >>> from ecoai_sklearn.metrics import event_recall_score
    >>> y_true = [0, 1, 1, 0, 0, 0, 1, 0]   # two true events, the first one detected
    >>> y_pred = [0, 0, 1, 1, 0, 1, 0, 0]
    >>> event_recall_score(y_true, y_pred)
    0.5
    """
    zero_division = check_zero_division(zero_division)
    _, _, detected, true = _event_counts(y_true, y_pred, pred_convention)
    return safe_ratio(detected, true, zero_division, "Event recall")


@_event_document
def event_f1_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Harmonic mean of event-wise precision and recall.

    %(definition)s

    The F1 is undefined (``zero_division``) only when there is neither a true nor a
    predicted event. When only one side has events, the other ratio is undefined but
    the F1 is 0.0, as in scikit-learn's point-wise F1 when there is no true positive.

    Parameters
    ----------
    %(labels)s
    %(zero_division)s

    Returns
    -------
    f1 : float
        Event-wise F1.

    See Also
    --------
    event_precision_score, event_recall_score, point_adjusted_f1_score

    References
    ----------
    %(references)s

    Examples
    --------
    >>> from ecoai_sklearn.metrics import event_f1_score
    >>> y_true = [0, 1, 1, 0, 0, 0, 1, 1, 1, 0]
    >>> y_pred = [1, 1, -1, 1, -1, 1, 1, 1, -1, 1]
    >>> round(event_f1_score(y_true, y_pred), 4)   # precision 2/3, recall 1
    0.8
    """
    zero_division = check_zero_division(zero_division)
    correct, predicted, detected, true = _event_counts(y_true, y_pred, pred_convention)
    if predicted == 0 and true == 0:
        return safe_ratio(0, 0, zero_division, "Event F-score")
    if correct == 0 or detected == 0:
        return 0.0
    precision, recall = correct / predicted, detected / true
    return 2 * precision * recall / (precision + recall)
