"""Scikit-learn scorers ``scorer(estimator, X, y)`` for outlier detectors."""

import inspect
import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import UndefinedMetricWarning

from ..utils import PRED_CONVENTIONS, check_anomaly_labels, check_predictions
from ._events import event_f1_score, event_precision_score, event_recall_score
from ._labels import check_zero_division
from ._point import (
    point_adjusted_f1_score,
    point_f1_score,
    point_precision_score,
    point_recall_score,
)
from ._ranking import best_f1_score, point_average_precision_score, point_roc_auc_score
from ._vus import check_vus_params, vus_pr_score, vus_roc_score

# Metrics on predicted labels: the scorer calls estimator.predict(X).
_LABEL_METRICS = {
    "precision": point_precision_score,
    "recall": point_recall_score,
    "f1": point_f1_score,
    "point_adjusted_f1": point_adjusted_f1_score,
    "event_precision": event_precision_score,
    "event_recall": event_recall_score,
    "event_f1": event_f1_score,
}
# Metrics on anomaly scores: the scorer calls -decision_function(X) or -score_samples(X).
_SCORE_METRICS = {
    "roc_auc": point_roc_auc_score,
    "average_precision": point_average_precision_score,
    "pr_auc": point_average_precision_score,
    "vus_pr": vus_pr_score,
    "vus_roc": vus_roc_score,
    "best_f1": best_f1_score,
}
_METRICS = {**_LABEL_METRICS, **_SCORE_METRICS}
# Metrics that need normal rows as well as anomalies (a ROC curve has two axes).
_NEED_NORMAL = frozenset({"roc_auc", "vus_roc"})
# Keywords of the metric functions that a scorer cannot take: it returns one number.
_REFUSED_KWARGS = {"return_threshold": "a scorer returns one number, not a threshold"}


def _check_flag(value, name):
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {value!r}.")
    return value


def _check_pred_convention(value, name):
    if not isinstance(value, str) or value not in PRED_CONVENTIONS:
        raise ValueError(f"{name} must be one of {PRED_CONVENTIONS}, got {value!r}.")
    return value


def _check_metric_kwargs(metric_kwargs):
    """Validate the metric keywords once, when the scorer is built (not at each call)."""
    kwargs = dict(metric_kwargs)
    for name, reason in _REFUSED_KWARGS.items():
        if name in kwargs:
            raise TypeError(f"make_anomaly_scorer does not accept {name}: {reason}.")
    if "pred_convention" in kwargs:
        _check_pred_convention(kwargs["pred_convention"], "pred_convention")
    if "zero_division" in kwargs:
        check_zero_division(kwargs["zero_division"])
    if "point_adjusted" in kwargs:
        _check_flag(kwargs["point_adjusted"], "point_adjusted")
    if "sliding_window" in kwargs or "n_thresholds" in kwargs:
        check_vus_params(kwargs.get("sliding_window", 0), kwargs.get("n_thresholds"))


def get_anomaly_scorer_names():
    """Names accepted by :func:`make_anomaly_scorer`.

    Returns
    -------
    names : list of str
        Sorted scorer names. ``"pr_auc"`` is an alias of ``"average_precision"``;
        ``"best_f1"`` is an oracle (threshold chosen on the test labels), for comparison
        with published numbers only.

    Examples
    --------
    >>> from ecoai_sklearn.metrics import get_anomaly_scorer_names
    >>> get_anomaly_scorer_names()[:4]
    ['average_precision', 'best_f1', 'event_f1', 'event_precision']
    """
    return sorted(_METRICS)


def _metric_params(name):
    return [
        p.name
        for p in inspect.signature(_METRICS[name]).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]


def _check_name(name):
    if not isinstance(name, str) or name not in _METRICS:
        raise ValueError(
            f"{name!r} is not a valid anomaly scorer name; valid names are "
            f"{get_anomaly_scorer_names()}."
        )


class _AnomalyScorer:
    """Callable ``scorer(estimator, X, y)``; returns a float, or a dict for several names."""

    def __init__(self, names, metric_kwargs, *, single):
        self.names = tuple(names)
        self.metric_kwargs = dict(metric_kwargs)
        self.single = single

    def _kwargs_for(self, name):
        accepted = _metric_params(name)
        kwargs = {k: v for k, v in self.metric_kwargs.items() if k in accepted}
        # Predictions were already mapped to 0/1 in __call__.
        kwargs.pop("pred_convention", None)
        if name in _LABEL_METRICS:
            kwargs["pred_convention"] = "binary"
        return kwargs

    def _undefined(self, truth):
        """Names of the requested metrics that the labels of this fold cannot define."""
        if not truth.any():
            return list(self.names), "y holds no anomaly (1)"
        if truth.all():
            names = [name for name in self.names if name in _NEED_NORMAL]
            return names, "y holds no normal row (0)"
        return [], ""

    def __call__(self, estimator, X, y_true):
        if is_classifier(estimator):
            raise TypeError(
                f"Anomaly scorers expect an outlier detector (predict: -1 anomaly / +1 "
                f"normal, decision_function: higher = more normal); got the classifier "
                f"{type(estimator).__name__}. Use scikit-learn's scorers for classifiers."
            )
        if y_true is None:
            raise ValueError(
                "Anomaly scorers need the true labels y (1 = anomaly, 0 = normal); got None."
            )
        truth = check_anomaly_labels(y_true, name="y")
        undefined, reason = self._undefined(truth)
        if undefined:
            warnings.warn(
                f"{', '.join(undefined)} undefined on these rows: {reason}; returning NaN. "
                "In cross-validation, use fewer or longer test folds so that each holds "
                "anomalies, and average fold scores with np.nanmean.",
                UndefinedMetricWarning,
                stacklevel=2,
            )
        defined = [name for name in self.names if name not in undefined]
        truth = truth.astype(int)
        pred = scores = None
        if any(name in _LABEL_METRICS for name in defined):
            pred = self._predict(estimator, X)
        if any(name in _SCORE_METRICS for name in defined):
            scores = self._anomaly_scores(estimator, X)
        results = {}
        for name in self.names:
            if name in undefined:
                results[name] = float("nan")
                continue
            values = pred if name in _LABEL_METRICS else scores
            results[name] = float(_METRICS[name](truth, values, **self._kwargs_for(name)))
        return results[self.names[0]] if self.single else results

    def _predict(self, estimator, X):
        convention = self.metric_kwargs.get("pred_convention", "sign")
        where = f"{type(estimator).__name__}.predict(X)"
        return check_predictions(
            estimator.predict(X), pred_convention=convention, name=where
        ).astype(int)

    @staticmethod
    def _anomaly_scores(estimator, X):
        # Outlier detectors score "higher = more normal": negate to rank anomalies first.
        for method in ("decision_function", "score_samples"):
            if hasattr(estimator, method):
                return -np.asarray(getattr(estimator, method)(X), dtype=np.float64)
        raise TypeError(
            f"{type(estimator).__name__} has neither decision_function nor score_samples, "
            "which ranking scorers (roc_auc, average_precision, vus_*, best_f1) need."
        )

    def __repr__(self):
        names = repr(self.names[0]) if self.single else repr(list(self.names))
        kwargs = "".join(f", {k}={v!r}" for k, v in self.metric_kwargs.items())
        return f"make_anomaly_scorer({names}{kwargs})"


def make_anomaly_scorer(name, **metric_kwargs):
    """Build a scikit-learn scorer for outlier detectors from a metric name.

    The scorer is a callable ``scorer(estimator, X, y)`` usable as
    ``GridSearchCV(scoring=...)``, in a ``scoring`` dict with ``refit=<name>``, and in
    :func:`~sklearn.model_selection.cross_validate`. It calls the estimator itself:

    - label metrics (``"precision"``, ``"recall"``, ``"f1"``, ``"point_adjusted_f1"``,
      ``"event_precision"``, ``"event_recall"``, ``"event_f1"``) use
      ``estimator.predict(X)`` and map -1 to the anomaly class (1) and +1 to normal (0);
    - ranking metrics (``"roc_auc"``, ``"average_precision"`` alias ``"pr_auc"``,
      ``"vus_pr"``, ``"vus_roc"``, ``"best_f1"``) use the anomaly score
      ``-estimator.decision_function(X)`` if the estimator has it, else
      ``-estimator.score_samples(X)`` (higher = more anomalous).

    ``y`` holds the true labels, 1 = anomaly, 0 = normal. Every score is "greater is
    better". Event, point-adjusted and VUS metrics need each test fold to be a contiguous
    stretch of time in order: use :class:`~sklearn.model_selection.TimeSeriesSplit` or
    an unshuffled ``KFold``.

    **Folds without anomalies.** On rows whose ``y`` holds no anomaly, no metric can
    measure detection (recall, F-scores and every ranking metric are undefined, and
    precision is 0 or undefined whatever the detector): the scorer returns NaN for every
    requested metric, with one :class:`~sklearn.exceptions.UndefinedMetricWarning` per
    call, and does not call the estimator. On rows holding only anomalies,
    ``"roc_auc"`` and ``"vus_roc"`` (which need normal rows) are NaN and the others are
    computed. The same holds for a single name, several names and
    :func:`make_anomaly_scorers`, so ``cross_validate`` and ``GridSearchCV`` keep the
    other folds; average with ``np.nanmean`` (see the user guide on cross-validating
    rare anomalies).

    Parameters
    ----------
    name : str or list of str
        One name from :func:`get_anomaly_scorer_names`, or several: the scorer then
        returns a dict ``{name: score}`` (scikit-learn's multi-metric callable form,
        usable with ``refit=<name>``), calling ``predict`` and ``decision_function`` once
        each for all the metrics.
    **metric_kwargs
        Keyword arguments of the metric functions, e.g. ``zero_division=0.0``,
        ``sliding_window=96`` (VUS), ``point_adjusted=True`` (best F1). With several
        names, each argument goes to the metrics that accept it and must be accepted by
        at least one. ``pred_convention`` defaults to ``"sign"`` (outlier detectors);
        pass ``"binary"`` for an estimator predicting 0/1 with 1 = anomaly.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float`` (or ``dict`` for several names).

    Raises
    ------
    ValueError
        On an unknown name (the message lists the valid names), or a keyword argument
        with an invalid value (e.g. ``sliding_window=-3``): values are checked here, not
        when the scorer is first called.
    TypeError
        On a keyword argument that no requested metric accepts (or
        ``return_threshold``), or one of the wrong type (e.g. ``point_adjusted=1``).

    See Also
    --------
    make_anomaly_scorers : a dict of scorers, one per name.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    >>> from ecoai_sklearn.metrics import make_anomaly_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = np.zeros(300, dtype=int)
    >>> y[::25] = 1
    >>> X[y == 1] += 6.0
    >>> search = GridSearchCV(
    ...     IsolationForest(n_estimators=20, random_state=0),
    ...     {"contamination": [0.01, 0.04]},
    ...     scoring=make_anomaly_scorer(["f1", "roc_auc"]),
    ...     refit="f1",
    ...     cv=TimeSeriesSplit(n_splits=3),
    ... ).fit(X, y)
    >>> search.best_params_
    {'contamination': 0.04}
    >>> round(make_anomaly_scorer("f1")(search.best_estimator_, X, y), 2)
    0.83
    """
    if isinstance(name, str):
        names, single = [name], True
    elif isinstance(name, list | tuple) and len(name) > 0:
        names, single = list(name), False
    else:
        raise ValueError(
            f"name must be a scorer name or a non-empty list of names, got {name!r}; "
            f"valid names are {get_anomaly_scorer_names()}."
        )
    for each in names:
        _check_name(each)
    if len(set(names)) != len(names):
        raise ValueError(f"name lists a scorer more than once: {names}.")
    accepted = set().union(*(_metric_params(each) for each in names))
    unknown = sorted(set(metric_kwargs) - accepted)
    if unknown:
        raise TypeError(
            f"make_anomaly_scorer({name!r}) got unexpected keyword argument(s) {unknown}; "
            f"the metric(s) accept {sorted(accepted)}."
        )
    _check_metric_kwargs(metric_kwargs)
    return _AnomalyScorer(names, metric_kwargs, single=single)


def make_anomaly_scorers(names=None, **metric_kwargs):
    """A dict ``{name: scorer}`` for ``scoring=`` with several metrics.

    Parameters
    ----------
    names : list of str, default=None
        Scorer names (see :func:`get_anomaly_scorer_names`); None means all of them,
        including the oracle ``"best_f1"``.
    **metric_kwargs
        Passed to each scorer whose metric accepts them (see
        :func:`make_anomaly_scorer`).

    Returns
    -------
    scorers : dict of str to callable
        One scorer per name, as accepted by ``GridSearchCV(scoring=..., refit=name)``.

    See Also
    --------
    make_anomaly_scorer : with a list of names, one callable returning a dict, which
        calls the estimator once for all metrics.

    Examples
    --------
    >>> from ecoai_sklearn.metrics import make_anomaly_scorers
    >>> sorted(make_anomaly_scorers(["f1", "event_f1"]))
    ['event_f1', 'f1']
    """
    names = get_anomaly_scorer_names() if names is None else list(names)
    make_anomaly_scorer(names, **metric_kwargs)  # validates names and keywords together
    scorers = {}
    for name in names:
        accepted = _metric_params(name)
        kwargs = {k: v for k, v in metric_kwargs.items() if k in accepted}
        scorers[name] = make_anomaly_scorer(name, **kwargs)
    return scorers
