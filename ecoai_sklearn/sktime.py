"""sktime adapter: any ecoai_sklearn detector as an sktime anomaly detector (extra ``sktime``).

:class:`EcoaiDetector` wraps a scikit-learn outlier detector (a pipeline from
:mod:`ecoai_sklearn.pipelines`, or any estimator with ``fit``, ``predict`` returning -1 for
anomalies and +1 for normal rows, and ``decision_function`` or ``score_samples``) in
sktime's detector API, so that it can sit in sktime pipelines and be tuned or evaluated
with sktime's tools. Importing this module needs sktime: ``pip install ecoai_sklearn[sktime]``.
"""

import numpy as np
import pandas as pd
from sklearn.base import clone

try:
    from sktime.detection.base import BaseDetector
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ecoai_sklearn.sktime requires sktime, which is not installed. Install the extra "
        "with: pip install ecoai_sklearn[sktime]"
    ) from exc

__all__ = ["EcoaiDetector"]


class EcoaiDetector(BaseDetector):
    """An ecoai_sklearn (scikit-learn) outlier detector as an sktime anomaly detector.

    sktime's conventions are mapped as follows (rows of ``X`` are time steps, columns
    are channels):

    - ``fit(X, y=None)`` fits a clone of ``estimator`` on ``X``. Known events ``y``
      (sktime's sparse format, a DataFrame with an ``"ilocs"`` column) are turned into
      one 0/1 label per row (1 = anomaly) and passed to the estimator's ``fit``, for
      detectors that use labels (threshold tuning, adversarial augmentation).
    - ``predict(X)`` returns the anomalous rows, sparse: a DataFrame with one
      ``"ilocs"`` entry per row that the estimator's ``predict`` labels -1.
    - ``transform(X)`` returns the dense labels, 1 = anomaly and 0 = normal, one per
      row (sktime's base class builds it from ``predict``).
    - ``transform_scores(X)`` returns the anomaly score of every row, higher = more
      anomalous: ``-decision_function(X)`` (positive exactly where sklearn's rule
      predicts an anomaly), or ``-score_samples(X)`` for an estimator without
      ``decision_function``. ``predict_scores(X)`` gives the scores of the rows that
      ``predict`` returns.

    Parameters
    ----------
    estimator : scikit-learn outlier detector
        The detector to wrap, unfitted or fitted (it is cloned by ``fit`` and never
        modified).

    Attributes
    ----------
    estimator_ : scikit-learn outlier detector
        The clone of ``estimator`` fitted by ``fit``.

    See Also
    --------
    ecoai_sklearn.pipelines : Factories of the package's detectors.

    Notes
    -----
    ``capability:missing_values`` is set from the estimator's scikit-learn tags
    (``input_tags.allow_nan``): pipelines starting with
    :class:`~ecoai_sklearn.preprocessing.SeriesKNNImputer` accept missing readings.
    sktime's ``update`` refits on all data seen so far (the base class default).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.ensemble import IsolationForest
    >>> from ecoai_sklearn.sktime import EcoaiDetector
    >>> X = pd.DataFrame({"load": np.r_[np.zeros(20), 9.0, np.zeros(19)]})
    >>> detector = EcoaiDetector(IsolationForest(contamination=0.025, random_state=0))
    >>> detector.fit(X).predict(X)
       ilocs
    0     20
    >>> int(detector.transform(X)["labels"].sum())
    1
    >>> bool(detector.transform_scores(X)["scores"].idxmax() == 20)
    True
    """

    _tags = {
        "authors": "ecoai_sklearn developers",
        "maintainers": "ecoai_sklearn developers",
        "python_dependencies": "ecoai_sklearn",
        "task": "anomaly_detection",
        "learning_type": "unsupervised",
        "capability:multivariate": True,
        "capability:missing_values": False,
        "X_inner_mtype": "pd.DataFrame",
        "fit_is_empty": False,
    }

    def __init__(self, estimator):
        self.estimator = estimator
        super().__init__()
        self.set_tags(**{"capability:missing_values": _allows_nan(estimator)})

    def fit_transform(self, X, y=None):
        """Fit to ``X``, then return its dense labels (1 = anomaly) on the index of ``X``.

        Same contract as sktime's ``BaseDetector.fit_transform``, whose sktime 1.2 version
        places the labels by index *label* and so fails on a DatetimeIndex (sktime issue
        #9998); here they are placed by position.

        Parameters
        ----------
        X : pd.DataFrame, pd.Series or np.ndarray
            The series, rows in time order.
        y : pd.DataFrame, default=None
            Known events, see ``fit``.

        Returns
        -------
        labels : pd.DataFrame
            One column ``"labels"``, 1 where ``predict`` reports an anomaly, on the index
            of ``X`` (a RangeIndex for an array).
        """
        ilocs = self.fit_predict(X, y=y)["ilocs"].to_numpy(dtype=np.int64)
        index = X.index if hasattr(X, "index") else pd.RangeIndex(len(X))
        labels = np.zeros(len(index), dtype=np.int64)
        labels[ilocs] = 1
        return pd.DataFrame({"labels": labels}, index=index)

    def _fit(self, X, y=None):
        """Fit a clone of the estimator on ``X`` (dense 0/1 labels from the events ``y``)."""
        self.estimator_ = clone(self.estimator)
        if y is None:
            self.estimator_.fit(_values(X))
        else:
            self.estimator_.fit(_values(X), _dense_labels(y, len(X)))
        return self

    def _predict(self, X):
        """Positions (ilocs) of the rows the estimator predicts anomalous."""
        labels = np.asarray(self.estimator_.predict(_values(X))).ravel()
        return pd.Series(np.flatnonzero(labels == -1), dtype="int64", name="ilocs")

    def _transform_scores(self, X):
        """Anomaly score of every row, higher = more anomalous, on the index of ``X``."""
        return pd.DataFrame({"scores": self._anomaly_scores(X)}, index=X.index)

    def _predict_scores(self, X):
        """Anomaly scores of the rows ``predict`` returns, in the same order."""
        ilocs = self._predict(X).to_numpy()
        return pd.Series(self._anomaly_scores(X)[ilocs], name="scores")

    def _anomaly_scores(self, X):
        values = _values(X)
        if hasattr(self.estimator_, "decision_function"):
            scores = self.estimator_.decision_function(values)
        else:
            scores = self.estimator_.score_samples(values)
        return -np.asarray(scores, dtype=np.float64).ravel()

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Fast instances for sktime's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Name of the parameter set (only the default one exists).

        Returns
        -------
        params : list of dict
            An IsolationForest, and an imputing pipeline with the package's
            :class:`~ecoai_sklearn.thresholding.WeightedZScoreThresholder`.
        """
        from sklearn.ensemble import IsolationForest
        from sklearn.pipeline import make_pipeline

        from .preprocessing import SeriesKNNImputer
        from .thresholding import WeightedZScoreThresholder

        forest = IsolationForest(n_estimators=10, random_state=0)
        thresholder = make_pipeline(
            SeriesKNNImputer(period=4), WeightedZScoreThresholder(reference="empirical")
        )
        return [{"estimator": forest}, {"estimator": thresholder}]


def _values(X):
    """The rows of ``X`` as a 2D float array: sklearn estimators see numbers, not labels.

    ``predict_points`` and ``predict_segments`` of sktime's base class hand over ``X``
    without converting it to the inner DataFrame, so a Series or 1D array arrives too.
    """
    values = np.asarray(X, dtype=np.float64)
    return values.reshape(-1, 1) if values.ndim == 1 else values


def _dense_labels(y, n_rows):
    """0/1 label per row (1 = anomaly) from sktime events or from dense labels.

    Events are a DataFrame with an ``"ilocs"`` column (or a Series named ``"ilocs"``) of
    row positions or of left-closed ``pd.Interval`` ranges of positions; anything else is
    read as one label per row, nonzero = anomaly (sktime's dense ``transform`` format).
    """
    if isinstance(y, pd.DataFrame) and "ilocs" in y.columns:
        return _events_to_dense(y["ilocs"].to_numpy(), n_rows)
    if isinstance(y, pd.Series) and y.name == "ilocs":
        return _events_to_dense(y.to_numpy(), n_rows)
    if isinstance(y, pd.DataFrame) and y.shape[1] != 1:
        raise ValueError(
            "y must be sktime events (a DataFrame with an 'ilocs' column) or one label per "
            f"row of X; got a DataFrame with columns {list(y.columns)}."
        )
    dense = np.asarray(y).ravel()
    if dense.shape[0] != n_rows:
        raise ValueError(
            "y must be sktime events (a DataFrame with an 'ilocs' column) or one 0/1 label "
            f"per row of X ({n_rows} rows); got {dense.shape[0]} values."
        )
    return (dense != 0).astype(np.int64)


def _events_to_dense(ilocs, n_rows):
    dense = np.zeros(n_rows, dtype=np.int64)
    if ilocs.size and isinstance(ilocs[0], pd.Interval):
        for interval in ilocs:
            dense[int(interval.left) : int(interval.right)] = 1
        return dense
    ilocs = ilocs.astype(np.int64)
    if ilocs.size and (ilocs.min() < 0 or ilocs.max() >= n_rows):
        raise ValueError(
            f"y holds ilocs outside X: X has {n_rows} rows, y refers to rows "
            f"{ilocs.min()} to {ilocs.max()}."
        )
    dense[ilocs] = 1
    return dense


def _allows_nan(estimator):
    """Whether the estimator accepts NaN; for a Pipeline, whether its first step does.

    sklearn's Pipeline does not pass ``allow_nan`` on from its first step (1.9), yet the
    first step is what sees the raw input.
    """
    from sklearn.utils import get_tags

    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        first = [s for _, s in steps if s is not None and not isinstance(s, str)][:1]
        return _allows_nan(first[0]) if first else False
    try:
        return bool(get_tags(estimator).input_tags.allow_nan)
    except (AttributeError, TypeError, ValueError):
        return False
