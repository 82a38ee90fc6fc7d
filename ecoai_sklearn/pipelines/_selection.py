"""InjectedAnomalySelection: choose ensemble members without labels."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from ..datasets import ANOMALY_KINDS
from ..metrics import point_average_precision_score
from ..utils import Interval, StrOptions, check_anomaly_labels, check_estimator_params
from ._inject import inject_anomalies


class InjectedAnomalySelection(BaseEstimator):
    """Self-supervised validation: rank detectors by how well they find injected anomalies.

    The last ``validation_fraction`` of the training series is held back; each
    candidate detector is fitted on the rows before it and scores the held-back part
    into which synthetic anomalies of the generator's kinds (spike, surge, sag, outage,
    level shift, drift, noise, time shift; magnitudes in multiples of each channel's
    standard deviation) were injected. A candidate's score is the average precision of
    its anomaly scores on those rows (mean over ``n_repeats`` injections). When labels
    ``y`` are given and the held-back part holds labelled anomalies, they are used
    instead of injected ones (a time-ordered split: fit on the past, judge the future).

    :class:`EnsembleDetector` uses it through its ``selection`` parameter: candidates
    scoring at least ``tolerance`` times the best score keep their weight, the others
    get weight 0.

    Parameters
    ----------
    validation_fraction : float in (0, 1), default=0.3
        Share of the training rows held back, at the end of the series.
    max_length : int, default=32
        Longest injected event in rows (a spike is one row; other events last from a
        quarter of this to all of it).
    n_events : "auto" or int, default="auto"
        Events per injection; ``"auto"``: one per ``3 * max_length`` held-back rows,
        at least 4.
    kinds : array-like of str, default=all kinds of ``make_industrial_load``
        Kinds injected, each in turn.
    n_repeats : int, default=2
        Injections (different events) averaged per candidate.
    tolerance : float in (0, 1], default=0.5
        Candidates scoring at least ``tolerance * best`` are kept; 1 keeps the best
        only.
    random_state : int, RandomState instance or None, default=None
        Seeds the injections.

    See Also
    --------
    EnsembleDetector : Combines detectors, optionally selected this way.

    Notes
    -----
    Injected anomalies stand in for real ones only as far as they resemble them: on
    the development benchmark (``benchmarks/RESULTS.md``, section "Default detector")
    this selection picked the best member only somewhat more often than chance and did
    not beat keeping every member, so the default detector keeps all its members and
    this selection is an option. With labels, the held-back part is judged on real
    anomalies.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> from ecoai_sklearn.pipelines import InjectedAnomalySelection
    >>> from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer
    >>> from ecoai_sklearn.windowing import FFTWindower
    >>> t = np.arange(24 * 60)
    >>> X = np.sin(2 * np.pi * t / 24)[:, np.newaxis]
    >>> candidates = [
    ...     ("knn", make_pipeline(FFTWindower(window_size=24), KNNWindowScorer())),
    ...     ("pca", make_pipeline(
    ...         FFTWindower(window_size=24),
    ...         DTWReconstructionScorer(PCA(2), metric="mse", aggregation="covering"),
    ...     )),
    ... ]
    >>> result = InjectedAnomalySelection(random_state=0).score_members(candidates, X)
    >>> result["source"], result["scores"].shape
    ('injected', (2,))
    """

    _parameter_constraints = {
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_length": [Interval(Integral, 1, None, closed="left")],
        "n_events": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "kinds": ["array-like"],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "tolerance": [Interval(Real, 0, 1, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        validation_fraction=0.3,
        max_length=32,
        n_events="auto",
        kinds=ANOMALY_KINDS,
        n_repeats=2,
        tolerance=0.5,
        random_state=None,
    ):
        self.validation_fraction = validation_fraction
        self.max_length = max_length
        self.n_events = n_events
        self.kinds = kinds
        self.n_repeats = n_repeats
        self.tolerance = tolerance
        self.random_state = random_state

    def score_members(self, estimators, X, y=None):
        """Average precision of each candidate on the held-back rows.

        Parameters
        ----------
        estimators : list of (str, estimator)
            Candidates with ``fit`` and ``score_samples`` (higher = more normal);
            each is cloned.
        X : array-like of shape (n_timestamps, n_channels)
            Training series, rows in time order.
        y : array-like of shape (n_timestamps,), default=None
            Labels (1 = anomaly); used when the held-back rows hold some.

        Returns
        -------
        result : dict
            ``"scores"`` (ndarray of shape (n_candidates,), NaN for a candidate that
            failed), ``"source"`` (``"labels"`` or ``"injected"``).
        """
        check_estimator_params(self)
        kinds = tuple(np.atleast_1d(np.asarray(self.kinds, dtype=object)).tolist())
        unknown = sorted(set(kinds) - set(ANOMALY_KINDS))
        if not kinds or unknown:
            raise ValueError(f"kinds must be some of {ANOMALY_KINDS}; got {self.kinds!r}.")
        data = np.asarray(X, dtype=np.float64)
        data = data.reshape(len(data), -1)
        n = data.shape[0]
        cut = int(round(n * (1 - self.validation_fraction)))
        if cut < 2 or n - cut < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves {cut} rows to fit "
                f"and {n - cut} to validate on; X has n_samples={n}."
            )
        labels = None if y is None else check_anomaly_labels(y, n_samples=n).astype(np.int64)
        if labels is not None and 0 < labels[cut:].sum() < n - cut:
            trials = [(data, labels[cut:])]
            source = "labels"
        else:
            trials = self._injected(data, cut)
            source = "injected"
        scores = np.array([self._score(est, data[:cut], trials, cut) for _, est in estimators])
        return {"scores": scores, "source": source}

    def weights(self, scores):
        """1 for the candidates within ``tolerance`` of the best score, else 0."""
        scores = np.asarray(scores, dtype=np.float64)
        if not np.isfinite(scores).any():
            return np.ones_like(scores)
        best = np.nanmax(scores)
        return np.where(np.nan_to_num(scores, nan=-np.inf) >= self.tolerance * best, 1.0, 0.0)

    def _injected(self, data, cut):
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        tail = data[cut:]
        n_events = self.n_events
        if n_events == "auto":
            n_events = max(4, tail.shape[0] // (3 * self.max_length))
        scale = np.nanstd(data[:cut], axis=0)
        trials = []
        for _ in range(self.n_repeats):
            injected, labels = inject_anomalies(
                tail,
                rng,
                n_events=n_events,
                kinds=tuple(self.kinds),
                max_length=self.max_length,
                scale=scale,
            )
            trials.append((np.concatenate([data[:cut], injected]), labels))
        return trials

    @staticmethod
    def _score(estimator, head, trials, cut):
        try:
            fitted = clone(estimator).fit(head)
            # the whole series is scored so that the held-back rows keep their context
            values = [
                point_average_precision_score(labels, -fitted.score_samples(series)[cut:])
                for series, labels in trials
            ]
        except (ValueError, ArithmeticError):
            return np.nan
        return float(np.mean(values))
