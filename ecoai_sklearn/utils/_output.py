"""What a detector outputs, named and computed once for the whole package (private).

- the names of the channels (:func:`channel_names`: the user's, or ``ch0``, ``ch1``, ...)
  and of the per-timestamp features of the window scorers (:func:`error_feature_names`,
  :func:`value_feature_names`, :data:`VALUE_PREFIX`);
- the columns of a scored series (:data:`TIMESTAMP_COLUMN`, :data:`ROW_COLUMN`,
  :data:`SCORE_COLUMN`, :data:`LABEL_COLUMN`, :data:`IMPUTED_COLUMN`, the channel
  contributions :func:`contribution_names`), as the command line and
  ``ecoai_sklearn.pipelines.detection_frame`` write them;
- the one rule from a fitted outlier detector to an anomaly score and a label
  (:func:`anomaly_outputs`);
- the steps of a composite estimator (:func:`sub_estimators`, :func:`walk_estimators`).
"""

import numpy as np
from sklearn.utils import Bunch

#: prefix of the reading columns a scorer appends (``include_values=True``)
VALUE_PREFIX = "value_"
#: prefix of the generated name of an unnamed channel: ``ch0``, ``ch1``, ...
CHANNEL_PREFIX = "ch"
#: prefix of the columns holding each channel's share of a row's anomaly
CONTRIBUTION_PREFIX = "contribution_"

TIMESTAMP_COLUMN = "timestamp"
ROW_COLUMN = "row"
SCORE_COLUMN = "score"
LABEL_COLUMN = "label"
IMPUTED_COLUMN = "imputed"
SERIES_ID_COLUMN = "series_id"


def channel_names(n_channels, names=None, *, name="input_features"):
    """The channels' names: ``names`` as strings, or ``["ch0", "ch1", ...]``.

    Parameters
    ----------
    n_channels : int
        Number of channels.
    names : array-like of str or None, default=None
        The names given (e.g. a windower's ``get_feature_names_out()``).
    name : str, default="input_features"
        How an error names the parameter that held ``names``.

    Returns
    -------
    names : list of str

    Raises
    ------
    ValueError
        If ``names`` does not hold ``n_channels`` names.
    """
    if names is None:
        return [f"{CHANNEL_PREFIX}{k}" for k in range(n_channels)]
    if isinstance(names, str):
        names = [names]
    names = [str(value) for value in names]
    if len(names) != n_channels:
        raise ValueError(
            f"{name} must hold one name per channel ({n_channels}); got {len(names)}: "
            f"{names[:8]}."
        )
    return names


def error_feature_names(metric, n_channels, *, joint, names=None):
    """``["<metric>_error"]``, or ``["<metric>_error_<channel>", ...]`` one per channel.

    Parameters
    ----------
    metric : str
        Name of the error.
    n_channels : int
        Number of channels.
    joint : bool
        One error over all channels, or one per channel.
    names : list of str or None, default=None
        Channel names (default ``ch0``, ``ch1``, ...).

    Returns
    -------
    names : list of str
    """
    if joint:
        return [f"{metric}_error"]
    return [f"{metric}_error_{channel}" for channel in channel_names(n_channels, names)]


def value_feature_names(n_channels, names=None):
    """``["value_ch0", ...]`` (or ``value_<channel>``): the reading columns a scorer appends."""
    return [f"{VALUE_PREFIX}{channel}" for channel in channel_names(n_channels, names)]


def is_value_feature(name):
    """Whether a feature name is a reading column rather than an error."""
    return str(name).startswith(VALUE_PREFIX)


def contribution_names(names):
    """``["contribution_<channel>", ...]``: the columns of the channels' shares."""
    return [f"{CONTRIBUTION_PREFIX}{channel}" for channel in names]


def shares(parts):
    """Rows of non-negative ``parts`` divided by their sum: each row sums to 1.

    A row whose parts are all 0 (or not finite) is split evenly among the channels.

    Parameters
    ----------
    parts : ndarray of shape (n, c)
        Each channel's part of each row's error (clipped at 0 here).

    Returns
    -------
    shares : ndarray of shape (n, c), float64
    """
    parts = np.clip(np.nan_to_num(np.asarray(parts, dtype=np.float64), posinf=0.0), 0.0, None)
    total = parts.sum(axis=1, keepdims=True)
    even = np.full_like(parts, 1.0 / max(parts.shape[1], 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, parts / np.where(total > 0, total, 1.0), even)


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
