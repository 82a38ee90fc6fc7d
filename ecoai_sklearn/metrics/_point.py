"""Point-wise and point-adjusted precision, recall and F1 on predicted labels."""

import numpy as np

from ..utils import check_anomaly_labels, check_predictions, runs, runs_hit
from ._docstrings import document
from ._labels import check_same_length, check_zero_division, safe_ratio


def _check_pair(y_true, y_pred, pred_convention):
    truth = check_anomaly_labels(y_true, name="y_true")
    pred = check_predictions(y_pred, pred_convention=pred_convention)
    check_same_length(truth, pred)
    return truth, pred


def _point_counts(y_true, y_pred, pred_convention, *, adjust=False):
    """(TP, FP, FN) of the anomaly class over time points, after point adjustment if asked."""
    truth, pred = _check_pair(y_true, y_pred, pred_convention)
    if adjust:
        pred = _adjust(truth, pred)
    tp = int(np.count_nonzero(truth & pred))
    return tp, int(np.count_nonzero(pred)) - tp, int(np.count_nonzero(truth)) - tp


def _f1_from_counts(tp, fp, fn, zero_division):
    # Same definition as scikit-learn: undefined only with no true and no predicted positive.
    return safe_ratio(2 * tp, 2 * tp + fp + fn, zero_division, "F-score", stacklevel=4)


@document
def point_precision_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Point-wise precision of the anomaly class: TP / (TP + FP) over time points.

    Parameters
    ----------
    %(labels)s
    %(zero_division)s

    Returns
    -------
    precision : float
        Fraction of the points predicted anomalous that are anomalies.

    See Also
    --------
    point_recall_score, point_f1_score, event_precision_score

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_precision_score
    >>> point_precision_score([0, 1, 1, 0], [1, -1, 1, -1])
    0.5
    """
    zero_division = check_zero_division(zero_division)
    tp, fp, _ = _point_counts(y_true, y_pred, pred_convention)
    return safe_ratio(tp, tp + fp, zero_division, "Precision")


@document
def point_recall_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Point-wise recall of the anomaly class: TP / (TP + FN) over time points.

    Parameters
    ----------
    %(labels)s
    %(zero_division)s

    Returns
    -------
    recall : float
        Fraction of the anomalous points that are predicted anomalous.

    See Also
    --------
    point_precision_score, point_f1_score, event_recall_score

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_recall_score
    >>> point_recall_score([0, 1, 1, 0], [1, -1, 1, -1])
    0.5
    """
    zero_division = check_zero_division(zero_division)
    tp, _, fn = _point_counts(y_true, y_pred, pred_convention)
    return safe_ratio(tp, tp + fn, zero_division, "Recall")


@document
def point_f1_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Point-wise F1 of the anomaly class, ``2 TP / (2 TP + FP + FN)``.

    Equal to :func:`sklearn.metrics.f1_score` with ``pos_label=1`` once ``y_pred`` has
    been mapped to 0/1 labels.

    Parameters
    ----------
    %(labels)s
    %(zero_division)s

    Returns
    -------
    f1 : float
        Harmonic mean of point-wise precision and recall.

    See Also
    --------
    point_adjusted_f1_score : optimistic variant crediting whole events.
    event_f1_score : F1 over events instead of points.

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_f1_score
    >>> point_f1_score([0, 1, 1, 0], [+1, -1, +1, -1])
    0.5
    >>> point_f1_score([0, 1, 1, 0], [0, 1, 0, 1])
    0.5
    """
    zero_division = check_zero_division(zero_division)
    return _f1_from_counts(*_point_counts(y_true, y_pred, pred_convention), zero_division)


def _adjust(truth, pred):
    starts, stops = runs(truth)
    hit = runs_hit(starts, stops, pred)
    adjusted = pred.copy()
    # A detected event is credited in full: mark every point of the hit runs.
    cover = np.zeros(truth.shape[0] + 1, dtype=np.int64)
    np.add.at(cover, starts[hit], 1)
    np.add.at(cover, stops[hit], -1)
    adjusted |= np.cumsum(cover[:-1]) > 0
    return adjusted


@document
def point_adjust(y_true, y_pred, *, pred_convention="auto"):
    """Point-adjust predictions: a true event hit at any point counts as fully detected.

    An event is a maximal run of 1s in ``y_true``. If any of its points is predicted
    anomalous, all of its points become predicted anomalous; predictions outside events
    are unchanged. This is the adjustment used by USAD (Audibert et al., KDD 2020) and
    most deep time-series anomaly detection papers.

    Parameters
    ----------
    %(labels)s

    Returns
    -------
    y_adjusted : ndarray of shape (n_samples,), dtype=int
        Adjusted predictions as 0/1 labels (1 = anomaly), whatever the input convention.

    See Also
    --------
    point_adjusted_f1_score

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_adjust
    >>> point_adjust([0, 1, 1, 1, 0, 1], [0, 0, 1, 0, 1, 0])
    array([0, 1, 1, 1, 1, 0])
    """
    truth, pred = _check_pair(y_true, y_pred, pred_convention)
    return _adjust(truth, pred).astype(int)


@document
def point_adjusted_f1_score(y_true, y_pred, *, pred_convention="auto", zero_division="warn"):
    """Point-wise F1 after point adjustment (see :func:`point_adjust`).

    The point-adjusted F1 is optimistic: one lucky point inside a long event earns the
    whole event, so even random scores reach a high value on data with long events
    (Kim et al., "Towards a Rigorous Evaluation of Time-Series Anomaly Detection",
    AAAI 2022). Report it for comparison with published numbers, next to
    :func:`point_f1_score` and :func:`event_f1_score`.

    Parameters
    ----------
    %(labels)s
    %(zero_division)s

    Returns
    -------
    f1 : float
        Point-wise F1 of the adjusted predictions.

    See Also
    --------
    point_adjust, point_f1_score, event_f1_score

    References
    ----------
    J. Audibert, P. Michiardi, F. Guyard, S. Marti, M. A. Zuluaga, "USAD: UnSupervised
    Anomaly Detection on Multivariate Time Series", KDD 2020.

    S. Kim, K. Choi, H.-S. Choi, B. Lee, S. Yoon, "Towards a Rigorous Evaluation of
    Time-Series Anomaly Detection", AAAI 2022.

    Examples
    --------
    >>> from ecoai_sklearn.metrics import point_adjusted_f1_score, point_f1_score
    >>> y_true = [0, 1, 1, 1, 1, 0, 0, 0]
    >>> y_pred = [0, 0, 1, 0, 0, 0, 0, 0]
    >>> point_f1_score(y_true, y_pred)
    0.4
    >>> point_adjusted_f1_score(y_true, y_pred)
    1.0
    """
    zero_division = check_zero_division(zero_division)
    counts = _point_counts(y_true, y_pred, pred_convention, adjust=True)
    return _f1_from_counts(*counts, zero_division)
