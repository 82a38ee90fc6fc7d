"""EnsembleDetector: member detectors' scores normalised on the training rows, combined."""

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import MetaEstimatorMixin, OutlierMixin, clone
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ..utils import (
    HasMethods,
    Interval,
    StrOptions,
    _BaseComposition,
    _fit_context,
    group_bounds,
    shares,
    validate_data,
)
from ._pipeline import groups_keys, n_rows, rows
from ._results import scores_and_contributions

_NORMALIZATIONS = ("zscore", "robust")
_COMBINATIONS = ("max", "mean")


class EnsembleDetector(OutlierMixin, MetaEstimatorMixin, _BaseComposition):
    """Outlier detector combining unlike detectors through their normalised scores.

    Each member (any estimator with ``fit`` and ``score_samples``, higher = more
    normal: a :class:`~sklearn.pipeline.Pipeline` of a windower and a scorer, a full
    factory detector, scikit-learn's own outlier detectors) is fitted on the same
    series. Its anomaly score ``a = -score_samples(X)`` is normalised with the mean and
    standard deviation (``"zscore"``) or the median and scaled MAD (``"robust"``) of
    its scores on the training rows, so that members of any scale are comparable; the
    normalised scores are combined row by row (``"max"``: the most alarmed member;
    ``"mean"``: the weighted mean), and one final step, an offset at the
    ``contamination`` quantile of the training rows' combined scores, decides.

    No single family wins on every series: a window kNN sees shapes never seen in
    training, a window PCA sees windows off the training subspace, each window length
    sees events of its own scale. The ensemble alarms when any of them does.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Named members, cloned in ``fit``; reachable by ``set_params`` as
        ``<name>__<param>``.
    normalization : {"zscore", "robust"}, default="zscore"
        Centre and scale of each member's training scores.
    combination : {"max", "mean"}, default="max"
        How the normalised member scores of a row are combined: their maximum over
        the members of non-zero weight, or their weighted mean.
    weights : array-like of shape (n_estimators,) or None, default=None
        Non-negative weight of each member (None: all 1); a member of weight 0 is
        fitted but left out of the combination.
    selection : InjectedAnomalySelection or None, default=None
        When set, members are first judged on held-back training rows (injected
        anomalies, or the labels ``y`` when they hold some) and those below its
        ``tolerance`` get weight 0; ``selection_scores_`` keeps the judgement.
    contamination : "auto" or float in (0, 0.5], default="auto"
        Where the final step cuts. ``"auto"``: at ``AUTO_CUT`` (4) robust standard
        deviations above the median of the training rows' combined scores (median and
        1.4826 times the median absolute deviation), a cut that anomalies among the
        training rows barely move. A float: that share of the training rows is
        flagged (the offset is the ``contamination`` quantile of their
        ``score_samples``); anomalies in the training series then raise the cut.
    on_error : {"warn", "raise"}, default="warn"
        A member whose ``fit`` raises is dropped with a warning (``"warn"``; at least
        one must fit), or the error is raised.
    n_jobs : int or None, default=None
        Members fitted and scored in parallel threads (``None`` = 1). NumPy's BLAS
        releases the GIL, so the kNN and PCA members run side by side.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members (those that failed are left out).
    named_estimators_ : Bunch
        The fitted members by name.
    weights_ : ndarray of shape (n_members,)
        Weights of the fitted members, after the selection.
    center_, scale_ : ndarray of shape (n_members,)
        Normalisation of each member's anomaly scores.
    offset_ : float
        ``decision_function = score_samples - offset_``; below 0 is an outlier.
    selection_scores_ : ndarray of shape (n_estimators,) or None
        The selection's score of every member (None without ``selection``).
    failures_ : dict
        Member name -> the error that dropped it.
    n_features_in_ : int
        Number of channels seen in fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Channel names, when X has string column names.

    See Also
    --------
    detection_frame : Scores, labels and channel contributions indexed like ``X``.
    make_ensemble_detector : Builds an ensemble of window scorers.
    make_default_detector : The package's default detector, an ensemble.
    InjectedAnomalySelection : Self-supervised choice of members.

    Notes
    -----
    **Channel contributions.** ``channel_contributions(X)`` says which channels make
    each row anomalous, from the members' own shares (members that are window scorers
    of this package, or Pipelines ending with one): with ``combination="max"`` the
    shares of the member with the highest normalised score on that row (the one that
    decided), with ``"mean"`` the members' shares averaged with weights
    ``max(weight * normalised score, 0)`` (all weights alike on a row where no member
    is above its centre).

    **Several runs.** ``fit(X, y, groups=...)`` fits on a series of independent runs
    one after the other: ``groups`` goes to each member that takes it (a Pipeline
    passes it to its steps whose ``fit`` takes ``groups``: the windower and the
    scorers), and the training rows' scores that set the normalisation and the cut are
    computed run by run, so that no window crosses from one run into the next.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> from ecoai_sklearn.pipelines import EnsembleDetector
    >>> from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer
    >>> from ecoai_sklearn.windowing import FFTWindower
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(24 * 40)
    >>> X = np.sin(2 * np.pi * t / 24)[:, np.newaxis] + 0.05 * rng.standard_normal((960, 1))
    >>> X[900:903] += 2.0  # a surge in the later days
    >>> ensemble = EnsembleDetector([
    ...     ("knn", make_pipeline(FFTWindower(window_size=24), KNNWindowScorer())),
    ...     ("pca", make_pipeline(
    ...         FFTWindower(window_size=24),
    ...         DTWReconstructionScorer(PCA(2), metric="mse", aggregation="covering"),
    ...     )),
    ... ]).fit(X[:720])
    >>> scores = ensemble.decision_function(X)
    >>> 885 <= int(np.argmin(scores)) <= 915, bool(scores[890:905].max() < 0)
    (True, True)
    """

    _parameter_constraints = {
        "estimators": [list],
        "normalization": [StrOptions(set(_NORMALIZATIONS))],
        "combination": [StrOptions(set(_COMBINATIONS))],
        "weights": ["array-like", None],
        "selection": [None, HasMethods(["score_members", "weights"])],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "on_error": [StrOptions({"warn", "raise"})],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        estimators,
        *,
        normalization="zscore",
        combination="max",
        weights=None,
        selection=None,
        contamination="auto",
        on_error="warn",
        n_jobs=None,
    ):
        self.estimators = estimators
        self.normalization = normalization
        self.combination = combination
        self.weights = weights
        self.selection = selection
        self.contamination = contamination
        self.on_error = on_error
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ params
    def get_params(self, deep=True):
        """Parameters, with each member's as ``<name>__<param>`` when ``deep``.

        Parameters
        ----------
        deep : bool, default=True
            Include the members and their parameters.

        Returns
        -------
        params : dict
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters; ``<name>`` replaces a member, ``<name>__<param>`` sets one of it.

        Parameters
        ----------
        **params : dict
            Parameter names and values.

        Returns
        -------
        self : EnsembleDetector
        """
        self._set_params("estimators", **params)
        return self

    # ------------------------------------------------------------------ fit
    @_fit_context(
        # each member validates its own parameters when it is fitted
        prefer_skip_nested_validation=True
    )
    def fit(self, X, y=None, groups=None):
        """Fit every member on ``X``, then the normalisation and the offset.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Training series, rows in time order (passed to the members as given).
        y : array-like of shape (n_timestamps,), default=None
            Labels (1 = anomaly), passed to the members' ``fit`` and to the selection.
        groups : array-like of shape (n_timestamps,), default=None
            Run label of each row when ``X`` holds several independent runs one after
            the other (each run one contiguous block of rows), see Notes. None: one
            run.

        Returns
        -------
        self : EnsembleDetector
            The fitted ensemble.
        """
        self._check_input(X, reset=True)
        names, members = self._check_members()
        weights = self._check_weights(len(members))
        bounds = group_bounds(groups, n_rows(X))[:2]
        if groups is not None and self.selection is not None:
            raise ValueError(
                "selection cannot judge members on several runs yet: fit with "
                "groups=None, or selection=None."
            )
        self.selection_scores_ = None
        if self.selection is not None:
            result = self.selection.score_members(list(zip(names, members)), X, y)
            self.selection_scores_ = result["scores"]
            weights = weights * self.selection.weights(result["scores"])
        fitted = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_member)(clone(member), X, y, groups) for member in members
        )
        self.failures_ = {}
        kept = []
        for name, weight, (estimator, error) in zip(names, weights, fitted):
            if error is None:
                kept.append((name, estimator, weight))
                continue
            if self.on_error == "raise":
                raise error
            self.failures_[name] = f"{type(error).__name__}: {error}"
        if not kept:
            raise ValueError(
                f"every member failed to fit: {self.failures_}. Check the series (length, "
                "missing values) and the members' parameters."
            )
        if self.failures_:
            warnings.warn(
                f"members dropped because their fit failed: {self.failures_}",
                UserWarning,
                stacklevel=3,
            )
        self.estimators_ = [estimator for _, estimator, _ in kept]
        self.named_estimators_ = Bunch(**{name: estimator for name, estimator, _ in kept})
        self.weights_ = np.array([weight for _, _, weight in kept])
        if not (self.weights_ > 0).any():
            self.weights_ = np.ones_like(self.weights_)
        if groups is None:
            raw = self._raw_scores(X)
        else:  # each run scored on its own, as after fit
            raw = np.concatenate([self._raw_scores(rows(X, a, b)) for a, b in zip(*bounds)])
        self.center_, self.scale_ = _normalisation(raw, self.normalization)
        self.offset_ = _offset(self._combine(raw), self.contamination)
        return self

    def _check_input(self, X, *, reset):
        """Shape and type checks; the members receive ``X`` itself (a DataFrame keeps its
        index and column names)."""
        validate_data(
            self, X, reset=reset, dtype=None, ensure_all_finite=False, accept_sparse=False
        )

    def _check_members(self):
        if not self.estimators:
            raise ValueError("estimators must be a non-empty list of (name, estimator) pairs.")
        names, members = [], []
        for item in self.estimators:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise TypeError(
                    f"estimators must hold (name, estimator) pairs with str names; got {item!r}."
                )
            name, member = item
            if not (hasattr(member, "fit") and hasattr(member, "score_samples")):
                raise TypeError(
                    f"estimators[{name!r}] must have fit and score_samples (higher = more "
                    f"normal); got {type(member).__name__}."
                )
            if "__" in name or name in self._parameter_constraints:
                raise ValueError(
                    f"estimator name {name!r} must not contain '__' nor be a parameter name."
                )
            names.append(name)
            members.append(member)
        if len(set(names)) != len(names):
            raise ValueError(f"estimator names must be unique; got {names}.")
        return names, members

    def _check_weights(self, n):
        if self.weights is None:
            return np.ones(n)
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (n,) or not np.all(np.isfinite(weights)) or (weights < 0).any():
            raise ValueError(
                f"weights must be {n} non-negative numbers, one per estimator; got "
                f"{self.weights!r}."
            )
        if not (weights > 0).any():
            raise ValueError("weights must give at least one estimator a positive weight.")
        return weights

    # ------------------------------------------------------------------ scores
    def _raw_scores(self, X):
        """Anomaly scores ``(n, m)`` of the fitted members (higher = more anomalous)."""
        columns = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(estimator.score_samples)(X) for estimator in self.estimators_
        )
        return -np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])

    def member_scores(self, X):
        """Normalised anomaly score of each member for each row.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to score.

        Returns
        -------
        scores : ndarray of shape (n_timestamps, n_members)
            ``(a - center_) / scale_`` per member, higher = more anomalous; columns in
            the order of ``estimators_``.
        """
        check_is_fitted(self)
        self._check_input(X, reset=False)
        return (self._raw_scores(X) - self.center_) / self.scale_

    def _combine(self, raw):
        z = (raw - self.center_) / self.scale_
        active = self.weights_ > 0
        if self.combination == "max":
            combined = z[:, active].max(axis=1)
        else:
            combined = z @ self.weights_ / self.weights_.sum()
        return -combined

    def channel_contributions(self, X):
        """Each channel's share of each row's anomaly, from the members' shares.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to explain.

        Returns
        -------
        contributions : ndarray of shape (n_timestamps, n_channels)
            Non-negative shares, each row summing to 1 (see Notes for the rule).

        Raises
        ------
        TypeError
            If a member with a positive weight gives no channel contributions (it is
            no window scorer of this package nor a Pipeline ending with one).
        """
        return self._decision_and_contributions(X)[1]

    def _decision_and_contributions(self, X, *, strict=True):
        """``decision_function(X)`` and ``channel_contributions(X)`` from one pass; with
        ``strict=False``, None for the contributions when a member gives none."""
        check_is_fitted(self)
        self._check_input(X, reset=False)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(scores_and_contributions)(estimator, X) for estimator in self.estimators_
        )
        raw = -np.column_stack([np.asarray(score, dtype=np.float64) for score, _ in results])
        active = self.weights_ > 0
        names = list(self.named_estimators_)
        missing = [
            name for (_, part), name, on in zip(results, names, active) if part is None and on
        ]
        if missing and not strict:
            return self._combine(raw) - self.offset_, None
        if missing:
            raise TypeError(
                f"the members {missing} give no channel contributions: only window scorers "
                "of ecoai_sklearn (or Pipelines ending with one) do."
            )
        shape = next(part.shape for (_, part), on in zip(results, active) if on)
        parts = np.stack([np.full(shape, np.nan) if p is None else p for _, p in results])
        z = (raw - self.center_) / self.scale_
        if self.combination == "max":
            # the member that decides each row (the first of equal ones)
            chosen = np.where(active, z, -np.inf).argmax(axis=1)
            contributions = parts[chosen, np.arange(z.shape[0])]
        else:
            weights = np.clip(z * self.weights_, 0.0, None) * active
            none = ~(weights.sum(axis=1) > 0)
            weights[none] = self.weights_ * active
            contributions = np.einsum("nm,mnc->nc", weights, np.nan_to_num(parts))
        return self._combine(raw) - self.offset_, shares(contributions)

    def score_samples(self, X):
        """Opposite of the combined normalised anomaly score: the higher, the more normal.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to score.

        Returns
        -------
        scores : ndarray of shape (n_timestamps,)
        """
        check_is_fitted(self)
        self._check_input(X, reset=False)
        return self._combine(self._raw_scores(X))

    def combine(self, member_scores):
        """``score_samples`` from the members' own ``score_samples``, row by row.

        What :meth:`score_samples` computes after scoring the members: for callers
        that score the members themselves, such as
        :class:`~ecoai_sklearn.streaming.StreamingDetector`, which scores only the new
        windows of each member.

        Parameters
        ----------
        member_scores : array-like of shape (n_rows, n_members)
            Each fitted member's ``score_samples`` (higher = more normal), columns in
            the order of ``estimators_``.

        Returns
        -------
        scores : ndarray of shape (n_rows,)
            The ensemble's ``score_samples`` of these rows.
        """
        check_is_fitted(self)
        member_scores = np.asarray(member_scores, dtype=np.float64)
        if member_scores.ndim != 2 or member_scores.shape[1] != len(self.estimators_):
            raise ValueError(
                f"member_scores must have shape (n_rows, {len(self.estimators_)}), one "
                f"column per fitted member; got {member_scores.shape}."
            )
        return self._combine(-member_scores)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to score.

        Returns
        -------
        scores : ndarray of shape (n_timestamps,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for outliers (``decision_function < 0``), +1 for the others.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to label.

        Returns
        -------
        labels : ndarray of shape (n_timestamps,), int
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _fit_member(estimator, X, y, groups=None):
    """Fit one member (``groups`` to the steps that take it); the error if it cannot."""
    params = {} if groups is None else dict.fromkeys(groups_keys(estimator), groups)
    try:
        return estimator.fit(X, y, **params), None
    except (ValueError, ArithmeticError) as error:  # a member that cannot fit this series
        return None, error


#: robust standard deviations above the median of the training scores: the "auto" cut
AUTO_CUT = 4.0


def _offset(train_scores, contamination):
    """Offset of ``decision_function`` from the training rows' ``score_samples``."""
    if contamination != "auto":
        return float(np.quantile(train_scores, contamination))
    anomaly = -np.asarray(train_scores)
    median = np.median(anomaly)
    spread = 1.4826 * np.median(np.abs(anomaly - median))
    if not spread > 0:
        spread = np.std(anomaly)
    return float(-(median + AUTO_CUT * spread)) if spread > 0 else float(-median - 1e-12)


#: smallest scale of a member's scores, relative to max(1, |centre|): a member that fits
#: the training rows exactly would otherwise turn float rounding into alarms
_MIN_SCALE = 1e-6


def _normalisation(raw, how):
    """Centre and scale of each column of training scores (at least ``_MIN_SCALE``)."""
    finite = np.where(np.isfinite(raw), raw, np.nan)
    if how == "robust":
        center = np.nanmedian(finite, axis=0)
        scale = 1.4826 * np.nanmedian(np.abs(finite - center), axis=0)
        fallback = np.nanstd(finite, axis=0)
        scale = np.where(scale > 0, scale, fallback)
    else:
        center = np.nanmean(finite, axis=0)
        scale = np.nanstd(finite, axis=0)
    center = np.nan_to_num(center)
    floor = _MIN_SCALE * np.maximum(1.0, np.abs(center))
    scale = np.where(np.isfinite(scale), np.maximum(scale, floor), 1.0)
    return center, scale
