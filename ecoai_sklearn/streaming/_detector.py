"""StreamingDetector: a fitted detector that answers each new reading as it arrives."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..utils import HasMethods, Interval, StrOptions, _fit_context, validate_data
from ..windowing import FFTWindower
from ._plan import (
    WINDOW_SCORERS,
    RowBuffer,
    Unsupported,
    compile_plan,
    fitted_parts,
    history_needed,
    position_dependent,
)

_MODES = ("causal", "delayed")


class StreamingDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Score a series reading by reading: one ``decision_function`` value per new row.

    :meth:`fit` fits a clone of ``detector`` on a training series and keeps the last
    rows of it as history; :meth:`update` then takes the next readings (one row or a
    chunk, in time order) and returns one value per new row at once, negative for an
    anomaly, as scikit-learn's outlier detectors. Any detector of the package works: the
    default detector, the research detector, a
    :class:`~sklearn.model_selection.GridSearchCV` around one, a Pipeline ending with an
    outlier detector.

    Parameters
    ----------
    detector : estimator object
        The detector to fit (cloned): a series ``(n_timestamps, n_channels)`` to one
        answer per row, with ``fit`` and ``decision_function`` (or ``score_samples``,
        whose values are then returned as they are).
    mode : {"causal", "delayed"}, default="causal"
        ``"causal"``: every window scorer of the clone gets ``aggregation="causal"``
        before it is fitted, so that a row's value depends on that row and the rows
        before it only (the error of the window *ending* at the row), and each value is
        final when its row arrives. ``"delayed"``: the detector keeps its batch
        aggregation (the mean over the windows *covering* the row, which end up to
        ``w - 1`` rows later), and the value of each row comes ``delay_ = w - 1`` rows
        after it (see Notes): ``benchmarks/RESULTS.md`` (section "Streaming") measures
        what each mode costs.
    refit_every : int or None, default=None
        Refit a clone of ``detector`` on the most recent ``history`` rows each time
        this many rows have been given to :meth:`update` since :meth:`fit` (after the
        row that completes the period, before the next one). None: never.
    history : int or None, default=None
        Rows of recent readings kept for the refits (a bounded buffer, raw readings,
        missing ones included). None: as many rows as :meth:`fit` received. Only the
        last ``context_`` rows are kept when ``refit_every`` is None.
    alarms : AlarmAggregator or None, default=None
        When set, a clone of it turns the flags of each :meth:`update` into alarm
        events; the records of the last update are in ``last_records_``, and
        :meth:`flush` closes the event in progress.

    Attributes
    ----------
    detector_ : estimator
        The fitted clone (replaced by each refit).
    window_sizes_ : list of int
        Window length of every windower of ``detector_``.
    context_ : int
        Rows of history each new row's value depends on (the longest chain of windows
        and differences, ``w - 1`` for the default detector), plus ``delay_``.
    offset_ : float
        ``decision_function = score_samples - offset_``: the offset of the final step
        of ``detector_`` (0 for a detector without ``decision_function``).
    delay_ : int
        Rows between a reading and its value: 0 in causal mode; in delayed mode the
        longest window minus one.
    fast_path_ : bool
        Whether :meth:`update` runs each step on the new rows only (every step is
        known: scalers, the imputer, differences, windowers and causal window scorers,
        ensembles, row-wise outlier detectors); otherwise it re-scores the last
        ``context_`` rows with the new ones (the same values, slower).
    n_rows_seen_ : int
        Rows given to :meth:`update` since :meth:`fit`.
    n_refits_ : int
        Refits done since :meth:`fit`.
    alarms_ : AlarmAggregator or None
        The fitted aggregator of ``alarms``.
    last_records_ : list of dict
        Alarm records (``"raised"`` and ``"closed"``, see
        :class:`AlarmAggregator`) of the last :meth:`update`; empty without ``alarms``.
    n_features_in_ : int
        Number of channels seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Channel names, when the training series has string column names.

    See Also
    --------
    AlarmAggregator : Alarm events from the flags, online.
    ecoai_sklearn.pipelines.make_default_detector : The default detector.

    Notes
    -----
    **Equivalence.** In causal mode, feeding a series row by row, in chunks of any
    sizes, or at once gives the same values (to float rounding), and they equal the
    batch ``decision_function`` of ``detector_`` on the same rows with the last
    ``context_`` rows of history before them: ``stream.decision_function(np.vstack(
    [history, X_new]))[len(history):]``. The batch methods :meth:`decision_function`,
    :meth:`score_samples` and :meth:`predict` are those of ``detector_``; they keep no
    state. This holds for rows without missing readings: a missing reading is filled
    from the previous cycle of the series (the imputer's ``period_`` rows ending at the
    row), never from later readings as a batch imputation of a whole series does.

    **Delayed mode.** The value returned for the ``j``-th row given to :meth:`update`
    is that of the row ``delay_`` rows earlier (the first ``delay_`` values are those of
    the last training rows), computed once every window covering that row has arrived:
    exactly the batch value of that row in the whole series. Alarms then come
    ``delay_`` rows late (a day for a daily window of 15-minute readings).

    **Cost.** With ``fast_path_``, a row costs one window per window scorer (a
    distance search for the kNN scorers, a reconstruction and a DTW for the
    autoencoders) and the row-wise steps; ``benchmarks/bench_streaming.py`` measures the
    latency of one row and the throughput of chunks. A refit costs one :meth:`fit` of
    ``detector`` on ``history`` rows (about a second for the default detector on 8
    weeks of 15-minute readings, a training run for the research detector), paid by
    the :meth:`update` that completes the period.

    **Restart.** The fitted streaming detector, its history and buffers included, is
    saved and loaded by :func:`ecoai_sklearn.persistence.save` and
    :func:`~ecoai_sklearn.persistence.load`; the loaded one continues with the same
    values as if never stopped.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_default_detector
    >>> from ecoai_sklearn.streaming import StreamingDetector
    >>> X, y, _ = make_industrial_load(n_days=21, random_state=0)
    >>> stream = StreamingDetector(make_default_detector()).fit(X[:1344])
    >>> stream.window_sizes_, stream.context_
    ([96, 64], 95)
    >>> first = stream.update(X[1344])          # one reading: one value
    >>> rest = stream.update(X[1345:1440])      # a chunk: one value per row
    >>> first.shape, rest.shape
    ((1,), (95,))
    >>> batch = stream.decision_function(X[1344 - 95 : 1440])[95:]
    >>> bool(np.allclose(np.concatenate([first, rest]), batch))
    True
    """

    _parameter_constraints = {
        "detector": [
            HasMethods(["fit", "decision_function"]),
            HasMethods(["fit", "score_samples"]),
        ],
        "mode": [StrOptions(set(_MODES))],
        "refit_every": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "history": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "alarms": [HasMethods(["update", "flush"]), None],
    }

    def __init__(self, detector, *, mode="causal", refit_every=None, history=None, alarms=None):
        self.detector = detector
        self.mode = mode
        self.refit_every = refit_every
        self.history = history
        self.alarms = alarms

    # ------------------------------------------------------------------ fit
    @_fit_context(
        # the clone's fit checks its parameters, and its steps theirs (DESIGN.md)
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None):
        """Fit a clone of ``detector`` on ``X`` and keep its last rows as history.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Training series, rows in time order (passed to the detector as given: a
            DataFrame keeps its index and column names); its last rows are the history
            of the first :meth:`update`.
        y : array-like of shape (n_timestamps,), default=None
            Labels (1 = anomaly), passed to the detector's ``fit`` (not to refits).

        Returns
        -------
        self : StreamingDetector
            The fitted streaming detector.
        """
        if hasattr(self.detector, "series_column"):
            raise ValueError(
                "StreamingDetector follows one series; for one model per series wrap the "
                "other way round: PerSeriesDetector(StreamingDetector(detector)), then "
                "update each series' detector in detectors_ with its rows."
            )
        values = validate_data(self, X, reset=True, dtype=np.float64, ensure_all_finite="allow-nan")
        values = np.array(values, dtype=np.float64)
        self.detector_ = self._fit_clone(X, y)
        self.history_ = RowBuffer(self._history_size(values.shape[0]), values.shape[1])
        self.history_.append(values)
        self._prime(values)
        self.n_rows_seen_ = 0
        self.n_refits_ = 0
        self.alarms_ = None if self.alarms is None else clone(self.alarms)
        self.last_records_ = []
        return self

    def _configured(self):
        """An unfitted clone of ``detector``, its window scorers causal in causal mode."""
        detector = clone(self.detector)
        if self.mode == "causal":
            causal = {}
            params = detector.get_params(deep=True)
            for key in params:
                if key.rpartition("__")[2] != "aggregation":
                    continue
                owner = params[key[: -len("__aggregation")]] if "__" in key else detector
                if _allows_causal(owner):
                    causal[key] = "causal"
            detector.set_params(**causal)
        return detector

    def _fit_clone(self, X, y):
        """Fit a configured clone on ``X`` and compile how it scores new rows."""
        detector = self._configured()
        if y is None:
            detector.fit(X)
        else:
            detector.fit(X, y)
        self._inspect(detector)
        return detector

    def _inspect(self, detector):
        """Windows, context and plan of a freshly fitted clone."""
        parts = list(fitted_parts(detector))
        if self.mode == "causal":
            batch = [
                type(p).__name__
                for p in parts
                if isinstance(p, WINDOW_SCORERS)
                and p.grain == "timestamp"
                and p.aggregation != "causal"
            ]
            if batch:
                raise ValueError(
                    f"mode='causal' needs every window scorer with aggregation='causal', "
                    f"but the fitted detector holds {', '.join(batch)} with another "
                    "aggregation (set by a parameter search?)."
                )
        positional = [type(p).__name__ for p in parts if position_dependent(p)]
        if positional:
            raise ValueError(
                f"{positional[0]} with a period scores each row by its position in the "
                "input (its phase in the cycle), which a stream of new rows does not "
                "have: use it without period in a StreamingDetector."
            )
        self.window_sizes_ = [int(p.window_size_) for p in parts if isinstance(p, FFTWindower)]
        self.delay_ = 0 if self.mode == "causal" else max(self.window_sizes_, default=1) - 1
        self.context_ = history_needed(detector) + self.delay_
        self._method = (
            "decision_function" if hasattr(detector, "decision_function") else "score_samples"
        )
        self.offset_ = _offset(detector) if self._method == "decision_function" else 0.0
        try:
            self._plan = compile_plan(
                detector, self._method, self.n_features_in_, delay=self.delay_
            )
        except Unsupported:
            self._plan = None
        self.fast_path_ = self._plan is not None

    def _history_size(self, n_fit):
        size = self.context_
        if self.refit_every is not None:
            size = max(size, n_fit if self.history is None else self.history)
        return max(size, 1)

    def _prime(self, values):
        """Fill the plan's buffers from the last rows of the series (all of them)."""
        if self._plan is not None:
            self._plan.prime(values)

    # ------------------------------------------------------------------ update
    def update(self, X_new, *, index=None):
        """Take the next readings and return one value per new row.

        Parameters
        ----------
        X_new : array-like of shape (n_channels,) or (n_rows, n_channels)
            The next reading (one row) or readings (rows in time order), with the
            channels of the training series; NaN marks a missing reading.
        index : array-like of shape (n_rows,), default=None
            Labels of these rows (e.g. timestamps), passed to the alarm aggregator for
            the times of its events (causal mode only).

        Returns
        -------
        scores : ndarray of shape (n_rows,)
            ``decision_function`` of each new row (negative = anomaly); in delayed mode,
            of the row ``delay_`` rows before each.
        """
        check_is_fitted(self)
        rows = self._check_rows(X_new)
        if index is not None and self.delay_:
            raise ValueError(
                "index labels the new rows, but in delayed mode the values belong to "
                f"the rows {self.delay_} rows earlier: label the alarm records yourself."
            )
        scores = np.empty(rows.shape[0])
        done = 0
        while done < rows.shape[0]:
            stop = rows.shape[0]
            if self.refit_every is not None:
                due = self.refit_every - self.n_rows_seen_ % self.refit_every
                stop = min(stop, done + due)
            scores[done:stop] = self._score(rows[done:stop])
            self.n_rows_seen_ += stop - done
            done = stop
            if self.refit_every is not None and self.n_rows_seen_ % self.refit_every == 0:
                self._refit()
        self.last_records_ = []
        if self.alarms_ is not None:
            flags = np.where(scores < 0, -1, 1)
            self.last_records_ = self.alarms_.update(flags, scores, index=index)
        return scores

    def predict_update(self, X_new, *, index=None):
        """:meth:`update`, as labels: -1 for an anomaly, +1 for a normal row.

        Parameters
        ----------
        X_new : array-like of shape (n_channels,) or (n_rows, n_channels)
            The next readings, as for :meth:`update`.
        index : array-like of shape (n_rows,), default=None
            Labels of these rows, as for :meth:`update`.

        Returns
        -------
        labels : ndarray of shape (n_rows,), int
        """
        return np.where(self.update(X_new, index=index) < 0, -1, 1)

    def flush(self):
        """End of input: close the alarm event in progress, if any.

        Returns
        -------
        records : list of dict
            The ``"closed"`` record of the event in progress (empty without ``alarms``
            or without an event).
        """
        check_is_fitted(self)
        return [] if self.alarms_ is None else self.alarms_.flush()

    def _score(self, rows):
        if self._plan is not None:
            scores = self._plan.push(rows)
            self.history_.append(rows)
            return np.asarray(scores, dtype=np.float64).ravel()
        context = self.history_.last(self.context_)
        buffer = np.vstack([context, rows])
        self.history_.append(rows)
        values = self._batch(self._method, buffer)
        start = context.shape[0] - self.delay_
        return np.asarray(values, dtype=np.float64)[start : start + rows.shape[0]]

    def _refit(self):
        """Refit on the recent history; keep the current model if the refit fails."""
        recent = np.array(self.history_.last(), dtype=np.float64)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                detector = self._fit_clone(self._as_input(recent), None)
        except (ValueError, ArithmeticError) as exc:
            warnings.warn(
                f"refit after {self.n_rows_seen_} rows failed ({type(exc).__name__}: {exc}); "
                "the previous model goes on.",
                UserWarning,
                stacklevel=3,
            )
            self._inspect(self.detector_)
        else:
            self.detector_ = detector
            self.n_refits_ += 1
        self._prime(recent)

    def _check_rows(self, X_new):
        names = getattr(self, "feature_names_in_", None)
        columns = getattr(X_new, "columns", None)
        if columns is not None and names is not None:
            if [str(c) for c in columns] != [str(n) for n in names]:
                raise ValueError(
                    f"X_new has the columns {list(columns)}, but the detector was fitted "
                    f"on {list(names)}."
                )
        try:
            rows = np.asarray(X_new, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"X_new must hold numbers (NaN for missing): {exc}") from None
        if rows.ndim == 1:
            rows = rows.reshape(1, -1)
        if rows.ndim != 2 or rows.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X_new must be one row of {self.n_features_in_} reading(s) or rows of "
                f"them, as in fit; got an array of shape {np.shape(X_new)}."
            )
        if np.isinf(rows).any():
            raise ValueError("X_new holds an infinite reading; use NaN for a missing one.")
        return rows

    # ------------------------------------------------------------------ batch
    def _as_input(self, values):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return values
        import pandas as pd

        return pd.DataFrame(values, columns=names)

    def _batch(self, method, X):
        values = X if hasattr(X, "columns") else self._as_input(np.asarray(X))
        return getattr(self.detector_, method)(values)

    def decision_function(self, X):
        """Batch ``decision_function`` of ``detector_`` (no state used or changed).

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to score, rows in time order.

        Returns
        -------
        scores : ndarray of shape (n_timestamps,)
            Negative for anomalies. In causal mode, the values :meth:`update` gives
            these rows when the rows before them are the history.
        """
        check_is_fitted(self)
        return np.asarray(self._batch(self._method, X), dtype=np.float64)

    def score_samples(self, X):
        """Batch ``score_samples`` of ``detector_`` (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to score.

        Returns
        -------
        scores : ndarray of shape (n_timestamps,)
        """
        check_is_fitted(self)
        return np.asarray(self._batch("score_samples", X), dtype=np.float64)

    def predict(self, X):
        """Batch labels: -1 where :meth:`decision_function` is negative, else +1.

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


def _offset(detector):
    """The ``offset_`` of the detector's final step (0.0 when it has none)."""
    while True:
        best = getattr(detector, "best_estimator_", None)
        if best is not None:
            detector = best
        elif hasattr(detector, "steps"):
            detector = detector.steps[-1][1]
        else:
            return float(getattr(detector, "offset_", 0.0))


def _allows_causal(estimator):
    """Whether ``estimator``'s ``aggregation`` parameter accepts ``"causal"``."""
    constraints = getattr(type(estimator), "_parameter_constraints", {}).get("aggregation", [])
    return any(isinstance(c, StrOptions) and "causal" in c.options for c in constraints)
