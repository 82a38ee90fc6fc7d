"""What a detector outputs, named and computed once for the whole package (private).

- the column names of the per-timestamp features of the reconstruction scorers
  (:func:`error_feature_names`, :func:`value_feature_names`, :data:`VALUE_PREFIX`);
- the columns of a scored series (:data:`TIMESTAMP_COLUMN`, :data:`ROW_COLUMN`,
  :data:`SCORE_COLUMN`, :data:`LABEL_COLUMN`), as the command line writes them;
- the one rule from a fitted outlier detector to an anomaly score and a label
  (:func:`anomaly_outputs`);
- the steps of a composite estimator (:func:`sub_estimators`, :func:`walk_estimators`).
"""

import numpy as np
from sklearn.utils import Bunch

#: prefix of the reading columns a scorer appends (``include_values=True``)
VALUE_PREFIX = "value_ch"

TIMESTAMP_COLUMN = "timestamp"
ROW_COLUMN = "row"
SCORE_COLUMN = "score"
LABEL_COLUMN = "label"
SERIES_ID_COLUMN = "series_id"


def error_feature_names(metric, n_channels, *, joint):
    """``["<metric>_error"]``, or ``["<metric>_error_ch0", ...]`` one per channel.

    Parameters
    ----------
    metric : str
        Name of the error.
    n_channels : int
        Number of channels.
    joint : bool
        One error over all channels, or one per channel.

    Returns
    -------
    names : list of str
    """
    if joint:
        return [f"{metric}_error"]
    return [f"{metric}_error_ch{k}" for k in range(n_channels)]


def value_feature_names(n_channels):
    """``["value_ch0", ...]``: the reading columns a scorer appends."""
    return [f"{VALUE_PREFIX}{k}" for k in range(n_channels)]


def is_value_feature(name):
    """Whether a feature name is a reading column rather than an error."""
    return str(name).startswith(VALUE_PREFIX)


def anomaly_outputs(detector, X, *, name=None):
    """Anomaly score, threshold and predicted anomalies of a fitted outlier detector.

    The rule of the whole package: the score is ``-decision_function(X)`` (higher = more
    anomalous) and the threshold 0, so that ``score > threshold`` is exactly
    scikit-learn's ``predict(X) == -1``, computed from one pass; a detector without
    ``decision_function`` is scored by ``-score_samples(X)``, has no threshold, and its
    predictions come from ``predict``.

    Parameters
    ----------
    detector : fitted outlier detector
        Has ``decision_function``, or ``score_samples`` and ``predict``.
    X : array-like
        What the detector takes.
    name : str, default=None
        How an error names the estimator; default: its class name.

    Returns
    -------
    outputs : Bunch
        ``score`` (ndarray of float64), ``threshold`` (0.0 or None) and ``y_pred``
        (ndarray of bool, True = anomaly), one entry per row.

    Raises
    ------
    TypeError
        If ``detector`` has neither ``decision_function`` nor ``score_samples``.
    """
    if hasattr(detector, "decision_function"):
        score = -np.asarray(detector.decision_function(X), dtype=np.float64).ravel()
        threshold = 0.0
        y_pred = score > threshold
    elif hasattr(detector, "score_samples"):
        score = -np.asarray(detector.score_samples(X), dtype=np.float64).ravel()
        threshold = None
        y_pred = np.asarray(detector.predict(X)).ravel() == -1
    else:
        raise TypeError(
            "estimator must be a fitted outlier detector with decision_function or "
            f"score_samples; got {name or type(detector).__name__}."
        )
    return Bunch(score=score, threshold=threshold, y_pred=y_pred)


def sub_estimators(estimator):
    """Steps of a Pipeline or transformers of a FeatureUnion, in order.

    Dropped steps (None, ``"drop"``, ``"passthrough"``) are skipped; any other estimator
    has none.
    """
    if hasattr(estimator, "steps"):
        parts = [step for _, step in estimator.steps]
    elif hasattr(estimator, "transformer_list"):
        parts = [step for _, step in estimator.transformer_list]
    else:
        return []
    return [p for p in parts if p is not None and not isinstance(p, str)]


def walk_estimators(estimator):
    """``estimator`` and every estimator nested in it, depth first."""
    yield estimator
    for child in sub_estimators(estimator):
        yield from walk_estimators(child)
