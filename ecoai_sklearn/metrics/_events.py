"""Event-wise (range-based, existence) precision, recall and F1."""

from ..utils import runs, runs_hit
from ._docstrings import document
from ._labels import check_zero_division, safe_ratio
from ._point import _check_pair


def _event_counts(y_true, y_pred, pred_convention):
    """(correct predicted, predicted, detected true, true) event counts."""
    truth, pred = _check_pair(y_true, y_pred, pred_convention)
    true_starts, true_stops = runs(truth)
    pred_starts, pred_stops = runs(pred)
    detected = int(runs_hit(true_starts, true_stops, pred).sum())
    correct = int(runs_hit(pred_starts, pred_stops, truth).sum())
    return correct, pred_starts.size, detected, true_starts.size


@document
def event_precision_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Fraction of predicted events that overlap a true event.

    %(event_definition)s

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
    %(event_references)s

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


@document
def event_recall_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Fraction of true events detected by at least one predicted point.

    %(event_definition)s

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
    %(event_references)s

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


@document
def event_f1_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Harmonic mean of event-wise precision and recall.

    %(event_definition)s

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
    %(event_references)s

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
