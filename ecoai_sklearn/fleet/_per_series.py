"""One detector per series of a long DataFrame, fitted in parallel through joblib."""

import numbers
import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..utils import HasMethods, Interval, StrOptions, _fit_context

_SHOWN = 5  # series named in a warning or an error message


def _detector_has(method):
    """``available_if`` check: the fitted detectors (or the unfitted one) have ``method``."""

    def check(self):
        fitted = getattr(self, "detectors_", None)
        if fitted:
            detector = next(iter(fitted.values()))
            getattr(detector, method)
        else:
            getattr(self.detector, method)
        return True

    return check


class PerSeriesDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """One clone of a detector per series of a long DataFrame.

    ``fit`` takes a long frame (one row per reading: a series column, value columns,
    rows in time order within each series; series may be interleaved), the layout of the
    shared CSV files and of :func:`~ecoai_sklearn.datasets.load_series_csv` with
    ``as_frame=True``. It fits one :func:`~sklearn.base.clone` of ``detector`` per series,
    in parallel through joblib; ``predict``, ``score_samples`` and ``decision_function``
    answer with one value per input row, in the input's row order.

    Each detector receives its own series only, as a float64 array
    ``(n_rows_of_the_series, n_value_columns)``: the same input as fitting it alone on
    that series (``load_series_csv(...)[series_id].X``), hence the same results. Any
    detector may be wrapped, a :class:`~sklearn.model_selection.GridSearchCV` too, so
    each series gets its own tuned model.

    Parameters
    ----------
    detector : estimator object
        The detector to clone for each series: an outlier detector with ``fit`` and
        ``predict`` (-1 anomaly, +1 normal), e.g. a factory of
        :mod:`ecoai_sklearn.pipelines`. Its parameters are reachable as
        ``detector__<name>``.
    series_column : str, default="series_id"
        Column naming the series each row belongs to. Missing ids are an error.
    value_columns : array-like of str or None, default=None
        Columns given to each detector, in this order. ``None`` takes every column
        except ``series_column``, ``time_column`` and ``label_column``; they must all be
        numeric (bool counts as numeric).
    time_column : str or None, default="timestamp"
        Column of timestamps (or any increasing numbers), when the frame has it: never a
        value column, and each series' rows must be in strictly increasing order of it
        (checked when it holds datetimes or numbers; a series out of order fails like a
        series whose detector raises, see ``on_error``). ``None``: no such column.
    label_column : str or None, default="label"
        Column of labels, when the frame has it: never a value column. Labels are not
        read from it: pass ``y=frame["label"]`` to ``fit`` to use them.
    n_jobs : int or None, default=None
        Series fitted (and scored) in parallel through :class:`joblib.Parallel`. ``None``
        means 1 unless in a :func:`joblib.parallel_config` context; ``-1`` uses all
        processors. Inside ``with joblib.parallel_config(backend="dask"):`` the series
        run on the current ``dask.distributed`` client.
    on_error : {"raise", "warn", "ignore"}, default="warn"
        What a series that fails does (its detector raises, or its rows are out of time
        order). ``"raise"``: raise the error, of the same type, with the series id in its
        message. ``"warn"``: record the reason in ``failures_``, go on with the other
        series and emit one warning naming the failed series (a
        :class:`~sklearn.exceptions.FitFailedWarning` in ``fit``, a ``UserWarning`` in
        the scoring methods). ``"ignore"``: the same without the warning. ``fit`` raises a
        ``ValueError`` if every series fails.

    Attributes
    ----------
    detectors_ : dict
        Series id -> fitted clone of ``detector``, for the series that fitted, in order
        of first appearance.
    failures_ : dict
        Series id -> reason (``"ErrorType: message"``) of each series that failed in
        ``fit``; empty when all fitted.
    series_ids_ : ndarray of shape (n_series,)
        Every series id seen in ``fit``, in order of first appearance.
    value_columns_ : list
        The value columns given to each detector.
    n_features_in_ : int
        Number of columns of the frame seen in ``fit`` (all of them, as
        :class:`~sklearn.compose.ColumnTransformer` counts them).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of those columns. Later frames need the series column and the value
        columns only; other columns (labels, timestamps) may be absent.

    See Also
    --------
    ecoai_sklearn.streaming.alarm_events : Turn per-row predictions into alarm events.

    Notes
    -----
    Rows without an answer. ``score_samples`` and ``decision_function`` give NaN for
    the rows of a series that failed in ``fit``, and (unless ``on_error="raise"``) for
    the rows of a series whose detector raises while scoring them. ``predict`` keeps
    the outlier contract (every value -1 or +1) and therefore raises a ``ValueError``,
    naming the series, rather than invent a label for such rows: drop them first, e.g.
    ``frame[~frame["series_id"].isin(list(model.failures_))]``. A series not seen in
    ``fit`` is a ``ValueError`` in every method.

    Seeds. Every series gets a clone of ``detector`` with the same parameters, its
    ``random_state`` included, so each result depends on its own series only: not on
    the other series, ``n_jobs`` or the joblib backend.

    Cost. Series are independent tasks; each task is sent its own rows only (and, in
    the scoring methods, its own fitted detector), so memory and transfer per task
    follow the size of one series.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn.pipeline import make_pipeline
    >>> from ecoai_sklearn.fleet import PerSeriesDetector
    >>> from ecoai_sklearn.scoring import DTWReconstructionScorer
    >>> from ecoai_sklearn.windowing import FFTWindower
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(200)
    >>> frame = pd.DataFrame({
    ...     "timestamp": np.tile(pd.date_range("2024-01-01", periods=200, freq="15min"), 2),
    ...     "value": np.concatenate([np.sin(t / 4), 5 + np.cos(t / 3)])
    ...     + rng.normal(0, 0.05, 400),
    ...     "series_id": np.repeat(["meter_a", "meter_b"], 200),
    ... })
    >>> detector = make_pipeline(
    ...     FFTWindower(window_size=8),
    ...     DTWReconstructionScorer(PCA(2), train_stride=1),
    ...     IsolationForest(n_estimators=20, random_state=0),
    ... )
    >>> model = PerSeriesDetector(detector).fit(frame)
    >>> list(model.detectors_), model.value_columns_
    (['meter_a', 'meter_b'], ['value'])
    >>> labels = model.predict(frame)
    >>> labels.shape, set(labels.tolist()) <= {-1, 1}
    ((400,), True)
    """

    _parameter_constraints = {
        "detector": [HasMethods(["fit", "predict"])],
        "series_column": [Hashable],
        "value_columns": ["array-like", None],
        "time_column": [Hashable, None],
        "label_column": [Hashable, None],
        "n_jobs": [Interval(numbers.Integral, None, None, closed="neither"), None],
        "on_error": [StrOptions({"raise", "warn", "ignore"})],
    }

    def __init__(
        self,
        detector,
        *,
        series_column="series_id",
        value_columns=None,
        time_column="timestamp",
        label_column="label",
        n_jobs=None,
        on_error="warn",
    ):
        self.detector = detector
        self.series_column = series_column
        self.value_columns = value_columns
        self.time_column = time_column
        self.label_column = label_column
        self.n_jobs = n_jobs
        self.on_error = on_error

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit one clone of ``detector`` per series.

        Parameters
        ----------
        X : DataFrame of shape (n_rows, n_columns)
            Long frame: ``series_column``, the value columns, optionally
            ``time_column`` and ``label_column``; rows in time order within each series.
        y : array-like of shape (n_rows,), default=None
            Labels aligned with the rows of ``X`` by position (1 = anomaly, 0 = normal),
            e.g. ``X["label"]``; each detector receives the labels of its series.

        Returns
        -------
        self : object
            Fitted meta-detector.
        """
        frame = _check_frame(X, self.series_column, "fit")
        value_columns = self._select_value_columns(frame)
        values = _numeric_values(frame, value_columns)
        y = _check_y(y, frame.shape[0])
        ids, rows = _group_rows(frame, self.series_column)

        failures = _order_failures(frame, self.time_column, ids, rows)
        self._raise_first(failures, "fitting")
        tasks = (
            delayed(_fit_series)(
                clone(self.detector),
                series_id,
                values[positions],
                None if y is None else y[positions],
                self.on_error,
            )
            for series_id, positions in zip(ids, rows)
            if series_id not in failures
        )
        detectors = {}
        for series_id, detector, reason in Parallel(n_jobs=self.n_jobs)(tasks):
            if reason is None:
                detectors[series_id] = detector
            else:
                failures[series_id] = reason
        order = {series_id: k for k, series_id in enumerate(ids)}
        failures = dict(sorted(failures.items(), key=lambda item: order[item[0]]))
        if not detectors:
            raise ValueError(
                f"All {len(ids)} series failed to fit: {_summary(failures)}. A detector "
                "often needs a longer series than it got; on_error='raise' shows the "
                "first traceback."
            )
        if failures and self.on_error == "warn":
            warnings.warn(
                f"{len(failures)} of {len(ids)} series failed to fit and have no model: "
                f"{_summary(failures)}. Their rows get NaN scores and make predict raise; "
                "the reasons are in failures_.",
                FitFailedWarning,
                stacklevel=3,
            )

        self.detectors_ = detectors
        self.failures_ = failures
        self.series_ids_ = _as_object_array(ids)
        self.value_columns_ = list(value_columns)
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def predict(self, X):
        """Predict -1 (anomaly) or +1 (normal) for every row, with its series' detector.

        Parameters
        ----------
        X : DataFrame of shape (n_rows, n_columns)
            Long frame with ``series_column`` and the value columns; every series must
            have been seen in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_rows,)
            -1 or +1 per row, in the row order of ``X``.

        Raises
        ------
        ValueError
            If a series was not seen in ``fit``, failed in ``fit``, or (unless
            ``on_error="raise"``, which raises the error itself) its detector raises
            here: no label can be given to its rows.
        """
        labels, unanswered = self._apply("predict", X, dtype=np.int64)
        if unanswered:
            raise ValueError(
                f"predict has no label for the rows of {len(unanswered)} series without "
                f"a working model: {_summary(unanswered)}. Drop these rows, or use "
                "score_samples or decision_function, which give them NaN."
            )
        return labels

    @available_if(_detector_has("score_samples"))
    def score_samples(self, X):
        """Score every row with its series' detector; higher = more normal.

        Parameters
        ----------
        X : DataFrame of shape (n_rows, n_columns)
            Long frame with ``series_column`` and the value columns; every series must
            have been seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_rows,)
            One score per row, in the row order of ``X``; NaN for the rows of a series
            that failed (see Notes of the class).
        """
        return self._apply("score_samples", X, dtype=np.float64)[0]

    @available_if(_detector_has("decision_function"))
    def decision_function(self, X):
        """Decision value of every row with its series' detector; negative = anomaly.

        Parameters
        ----------
        X : DataFrame of shape (n_rows, n_columns)
            Long frame with ``series_column`` and the value columns; every series must
            have been seen in ``fit``.

        Returns
        -------
        decision : ndarray of shape (n_rows,)
            One value per row, in the row order of ``X``; NaN for the rows of a series
            that failed (see Notes of the class).
        """
        return self._apply("decision_function", X, dtype=np.float64)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.detector)
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.non_deterministic = inner.non_deterministic
        return tags

    # ------------------------------------------------------------------ helpers
    def _select_value_columns(self, frame):
        if self.value_columns is not None:
            columns = list(self.value_columns)
            if not columns:
                raise ValueError("value_columns is empty: name at least one column.")
            _require_columns(frame, columns, "value_columns")
            if self.series_column in columns:
                raise ValueError(f"value_columns holds the series column {self.series_column!r}.")
            return columns
        skip = {self.series_column, self.time_column, self.label_column}
        columns = [c for c in frame.columns if c not in skip]
        if not columns:
            raise ValueError(
                f"The frame has no value column: its columns {list(frame.columns)} are all "
                "the series, time or label column."
            )
        return columns

    def _raise_first(self, failures, action):
        if failures and self.on_error == "raise":
            series_id, reason = next(iter(failures.items()))
            raise ValueError(f"Series {series_id!r}: {action} failed: {reason}")

    def _apply(self, method, X, *, dtype):
        """Call ``method`` of each series' detector; return values and unanswered series."""
        check_is_fitted(self)
        frame = _check_frame(X, self.series_column, method)
        _require_columns(frame, self.value_columns_, "the value columns seen in fit")
        values = _numeric_values(frame, self.value_columns_)
        ids, rows = _group_rows(frame, self.series_column)
        unseen = [s for s in ids if s not in self.detectors_ and s not in self.failures_]
        if unseen:
            shown = ", ".join(map(repr, unseen[:_SHOWN])) + (" ..." if len(unseen) > _SHOWN else "")
            raise ValueError(
                f"{len(unseen)} series were not seen in fit: {shown}. PerSeriesDetector "
                "has one model per series; refit with these series to score them."
            )
        unanswered = {s: f"failed in fit: {self.failures_[s]}" for s in ids if s in self.failures_}
        new_failures = _order_failures(frame, self.time_column, ids, rows)
        self._raise_first(new_failures, method)

        skip = unanswered.keys() | new_failures.keys()
        answered = [(s, p) for s, p in zip(ids, rows) if s not in skip]
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_apply_series)(
                self.detectors_[series_id], method, series_id, values[positions], self.on_error
            )
            for series_id, positions in answered
        )
        fill = np.nan if dtype == np.float64 else 0  # predict raises on unanswered rows
        out = np.full(frame.shape[0], fill, dtype=dtype)
        for (series_id, positions), (result, reason) in zip(answered, results):
            if reason is None:
                out[positions] = result
            else:
                new_failures[series_id] = reason
        if new_failures and self.on_error == "warn" and method != "predict":
            warnings.warn(
                f"{method} failed for {len(new_failures)} series: "
                f"{_summary(new_failures)}. Their rows get NaN.",
                UserWarning,
                stacklevel=3,
            )
        unanswered.update(new_failures)
        return out, unanswered


# ---------------------------------------------------------------------- tasks
def _fit_series(detector, series_id, X, y, on_error):
    """Fit one series' detector; return ``(series_id, detector or None, reason or None)``.

    Runs in a joblib worker: it receives this series' rows only.
    """
    try:
        if y is None:
            detector.fit(X)
        else:
            detector.fit(X, y)
    except Exception as exc:
        if on_error == "raise":
            raise _tagged(exc, series_id, "fitting") from exc
        return series_id, None, _reason(exc)
    return series_id, detector, None


def _apply_series(detector, method, series_id, X, on_error):
    """``detector.<method>(X)`` for one series; return ``(values or None, reason or None)``."""
    try:
        result = np.asarray(getattr(detector, method)(X))
        if result.shape != (X.shape[0],):
            raise ValueError(
                f"{type(detector).__name__}.{method} returned shape {result.shape} for "
                f"{X.shape[0]} rows; one value per row is needed."
            )
    except Exception as exc:
        if on_error == "raise":
            raise _tagged(exc, series_id, method) from exc
        return None, _reason(exc)
    return result, None


def _reason(exc):
    return f"{type(exc).__name__}: {exc}"


def _tagged(exc, series_id, action):
    """The same kind of error as ``exc``, its message prefixed with the series id."""
    message = f"Series {series_id!r}: {action} failed: {exc}"
    try:
        tagged = type(exc)(message)
    except Exception:  # an exception class that takes other arguments
        tagged = RuntimeError(f"{message} ({type(exc).__name__})")
    if str(tagged) != message:  # e.g. KeyError quotes its argument: keep the text readable
        tagged = RuntimeError(f"{message} ({type(exc).__name__})")
    return tagged


def _summary(failures):
    items = list(failures.items())
    shown = "; ".join(f"{series_id!r} ({reason})" for series_id, reason in items[:_SHOWN])
    return shown + (f"; and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


# ------------------------------------------------------------------ validation
def _check_frame(X, series_column, method):
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"PerSeriesDetector.{method} expects a pandas DataFrame in long format (a "
            f"series column, value columns), got {type(X).__name__}."
        )
    if series_column not in X.columns:
        raise ValueError(
            f"The frame has no series column {series_column!r} (columns: "
            f"{list(X.columns)}); set series_column."
        )
    if X.shape[0] == 0:
        raise ValueError(f"PerSeriesDetector.{method} got an empty frame (0 rows).")
    return X


def _require_columns(frame, columns, what):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"The frame lacks {what}: {missing}.")


def _numeric_values(frame, columns):
    """The value columns as a float64 array; TypeError naming non-numeric columns."""
    bad = [
        f"{c!r} ({frame[c].dtype})"
        for c in columns
        if not pd.api.types.is_numeric_dtype(frame[c].dtype)
    ]
    if bad:
        raise TypeError(
            f"Value columns must be numeric; got {', '.join(bad)}. Set value_columns "
            "(or time_column / label_column) to leave other columns out."
        )
    return frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)


def _check_y(y, n_rows):
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise ValueError(
            f"y must be 1D with one label per row of X ({n_rows} rows), got shape {y.shape}."
        )
    return y


def _group_rows(frame, series_column):
    """Series ids in order of first appearance and the row positions of each."""
    codes, uniques = pd.factorize(frame[series_column], sort=False)
    if (codes < 0).any():
        first = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(
            f"The series column {series_column!r} has missing ids (first at row {first})."
        )
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return list(uniques), np.split(order, bounds)


def _order_failures(frame, time_column, ids, rows):
    """Series whose rows are not in strictly increasing ``time_column`` order."""
    if time_column is None or time_column not in frame.columns:
        return {}
    column = frame[time_column]
    dtype = column.dtype
    if not (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
        return {}
    times = column.to_numpy()
    missing = column.isna().to_numpy()
    failures = {}
    for series_id, positions in zip(ids, rows):
        if missing[positions].any():
            k = int(np.flatnonzero(missing[positions])[0])
            failures[series_id] = (
                f"ValueError: missing {time_column!r} value (value {k} of the series)"
            )
            continue
        series_times = times[positions]
        bad = np.flatnonzero(~(series_times[1:] > series_times[:-1]))
        if bad.size:
            k = int(bad[0])
            failures[series_id] = (
                f"ValueError: rows are not in strictly increasing {time_column!r} order "
                f"(value {k + 1} of the series, {series_times[k + 1]!r}, follows "
                f"{series_times[k]!r})"
            )
    return failures


def _as_object_array(values):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
