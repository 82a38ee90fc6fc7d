"""Putting a series on its regular time grid: :func:`regularize` and its report."""

import datetime
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..utils import StrOptions, shorten, timestamps_from_text, validate_params

# A grid may hold at most this many times the rows given, plus _MAX_EXTRA_ROWS: beyond,
# a stray timestamp (a year typed wrong) or a wrong ``freq`` is more likely than a gap.
_MAX_GRID_FACTOR = 10
_MAX_EXTRA_ROWS = 1_000_000


@dataclass(frozen=True)
class RegularizeReport:
    """What :func:`regularize` changed to put a series on its regular grid.

    Counts are summed over the series of a frame with several.

    Attributes
    ----------
    freq : Timedelta or dict of Timedelta
        Step of the grid; with ``series_column``, a dict from each series to its step.
    n_rows_in : int
        Rows given.
    n_rows_out : int
        Rows returned: one per step of the grid of each series.
    n_inserted : int
        Rows inserted where the grid had no timestamp (a gap): their readings are NaN.
    n_duplicates : int
        Rows removed because they repeated the timestamp of another row (resolved by
        ``on_duplicate``).
    n_reordered : int
        Rows that came earlier in time than a row before them (the output is sorted).
    n_converted : int
        Timestamps with a UTC offset other than zero, converted to UTC.
    n_off_grid : int
        Timestamps off the grid moved to the nearest grid point (``off_grid="nearest"``).
    on_duplicate : str
        The rule used for duplicates.
    inserted_rows : ndarray of bool, shape (n_rows_out,)
        Rows inserted in a gap.
    imputed_rows : ndarray of bool, shape (n_rows_out,)
        Rows with at least one missing reading (NaN) in a value column, inserted rows
        included: the rows a detector's imputer fills in.
    """

    freq: object
    n_rows_in: int
    n_rows_out: int
    n_inserted: int
    n_duplicates: int
    n_reordered: int
    n_converted: int
    n_off_grid: int
    on_duplicate: str
    inserted_rows: np.ndarray = field(repr=False)
    imputed_rows: np.ndarray = field(repr=False)

    @property
    def changed(self):
        """Whether anything but the missing readings already there was changed."""
        return bool(
            self.n_inserted
            or self.n_duplicates
            or self.n_reordered
            or self.n_converted
            or self.n_off_grid
        )

    def summary(self):
        """One line saying what was changed, and how many rows are to be imputed.

        Returns
        -------
        text : str
            For example ``"inserted 3 missing rows in gaps of the 15min grid; 3 rows to
            impute"``, or ``"regular 15min grid, nothing changed"``.
        """
        grid = _freq_text(self.freq)
        parts = []
        if self.n_converted:
            parts.append(
                f"converted {_count(self.n_converted, 'timestamp')} with a UTC offset to UTC"
            )
        if self.n_reordered:
            parts.append(f"sorted {_count(self.n_reordered, 'row')} into time order")
        if self.n_off_grid:
            parts.append(
                f"moved {_count(self.n_off_grid, 'off-grid timestamp')} to the nearest grid point"
            )
        if self.n_duplicates:
            rule = {"first": "kept the first", "last": "kept the last", "mean": "averaged"}
            parts.append(
                f"removed {_count(self.n_duplicates, 'row')} with a repeated timestamp "
                f"({rule.get(self.on_duplicate, self.on_duplicate)})"
            )
        if self.n_inserted:
            parts.append(
                f"inserted {_count(self.n_inserted, 'missing row')} in gaps of the {grid} grid"
            )
        text = "; ".join(parts) if parts else f"regular {grid} grid, nothing changed"
        n_imputed = int(self.imputed_rows.sum())
        if n_imputed:
            text += f"; {_count(n_imputed, 'row')} to impute"
        return text

    def __str__(self):
        return self.summary()


def _count(n, noun):
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _freq_text(freq):
    if isinstance(freq, dict):
        texts = sorted({_freq_text(step) for step in freq.values()})
        return "/".join(texts) if texts else "empty"
    return pd.tseries.frequencies.to_offset(freq).freqstr


@validate_params(
    {
        "X": [pd.DataFrame, pd.Series],
        "freq": "no_validation",
        "on_duplicate": [StrOptions({"raise", "first", "last", "mean"})],
        "time_column": [str, None],
        "series_column": [str, None],
        "label_column": [str, None],
        "off_grid": [StrOptions({"raise", "nearest"})],
    },
    prefer_skip_nested_validation=True,
)
def regularize(
    X,
    freq="auto",
    *,
    on_duplicate="mean",
    time_column=None,
    series_column=None,
    label_column=None,
    off_grid="raise",
):
    """Put a series on its regular time grid and report what was changed.

    The detectors assume one row per step of a regular grid: a reading missing from the
    file must be a row with NaN (which their imputer fills), not an absent row, or every
    reading after the gap sits at the wrong phase of the day. This function makes that
    true: it converts timestamps with a UTC offset to UTC, sorts the rows in time order,
    resolves repeated timestamps, and inserts a row of NaN for each step of the grid
    without a reading. The ``ecoai-detect`` command runs it on every file with
    timestamps.

    Parameters
    ----------
    X : DataFrame or Series
        The series: its timestamps in a :class:`~pandas.DatetimeIndex` (or in an index
        of ISO 8601 strings, or in ``time_column``), one value column per channel.
    freq : "auto", str or timedelta, default="auto"
        Step of the grid: a fixed duration such as ``"15min"``, ``"h"`` or a
        :class:`~pandas.Timedelta`. ``"auto"`` takes the most common step between
        consecutive distinct timestamps (of each series; the shortest on a tie).
    on_duplicate : {"mean", "first", "last", "raise"}, default="mean"
        Rows with the same timestamp: one row holding the mean of their readings (NaN
        ignored), the first or the last of them in the order given, or a ValueError.
        Labels (``label_column``) are combined by their maximum under ``"mean"``: a
        timestamp is anomalous when one of its rows is.
    time_column : str, default=None
        Column holding the timestamps; None uses the index.
    series_column : str, default=None
        Column naming the series of each row: each series is put on its own grid (its
        own ``freq`` with ``"auto"``), and the output holds the series one after the
        other, in order of first appearance.
    label_column : str, default=None
        Column of 0/1 anomaly labels: not averaged but combined as said above; inserted
        rows get 0 (use the report's ``inserted_rows`` to leave them out of a
        metric).
    off_grid : {"raise", "nearest"}, default="raise"
        Timestamps between grid points (the grid passes through the most common phase):
        a ValueError, or moved to the nearest grid point (then resolved as duplicates
        when two meet). For data with no grid at all, resample instead
        (``X.resample("15min").mean()``).

    Returns
    -------
    X_regular : DataFrame
        One row per grid step of each series, timestamps in a
        :class:`~pandas.DatetimeIndex` named as the input's (or ``time_column``; its
        ``freq`` set to the step when there is one series), in
        UTC (tz-aware) when the input had time zones or offsets, naive otherwise; the
        other columns in their order, value columns as float64 with NaN where a
        reading is missing, labels as int64.
    report : RegularizeReport
        What was changed; ``report.summary()`` says it in one line,
        ``report.imputed_rows`` marks the rows with a missing reading.

    Raises
    ------
    TypeError
        If ``X`` has no timestamps, or a value column is not numeric (the message names
        the column and the parameters that take such columns).
    ValueError
        If a timestamp does not parse, timestamps with and without a UTC offset are
        mixed, ``freq`` is not a fixed duration, a series has fewer than two distinct
        timestamps with ``freq="auto"``, timestamps repeat with
        ``on_duplicate="raise"`` or lie off the grid with ``off_grid="raise"``, a label is
        not 0 or 1, or the grid would be far larger than the data (a stray timestamp).

    See Also
    --------
    ecoai_sklearn.preprocessing.SeriesKNNImputer : Fills the missing readings; refuses
        an irregular DatetimeIndex by default.
    load_series_csv : Reads files in the shared format.

    Notes
    -----
    Timestamps in UTC make a daylight-saving change harmless: ``02:30+02:00`` followed
    by ``02:00+01:00`` are 30 minutes apart. Naive local timestamps are taken as they
    are: the hour repeated in autumn becomes duplicates, the hour skipped in spring a
    gap.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecoai_sklearn.datasets import regularize
    >>> X = pd.DataFrame(
    ...     {"load": [1.0, 2.0, 4.0, 6.0, 5.0]},
    ...     index=pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:15",
    ...                           "2024-01-01 00:45", "2024-01-01 00:45",
    ...                           "2024-01-01 01:00"]),
    ... )
    >>> X_regular, report = regularize(X)
    >>> X_regular
                         load
    2024-01-01 00:00:00   1.0
    2024-01-01 00:15:00   2.0
    2024-01-01 00:30:00   NaN
    2024-01-01 00:45:00   5.0
    2024-01-01 01:00:00   5.0
    >>> report.summary()
    'removed 1 row with a repeated timestamp (averaged); inserted 1 missing row in gaps of the 15min grid; 1 row to impute'
    >>> report.imputed_rows
    array([False, False,  True, False, False])
    """  # noqa: E501
    frame = X.to_frame() if isinstance(X, pd.Series) else X
    step = None if _is_auto(freq) else _fixed_step(freq)
    times, time_name, n_converted, unit = _timestamps(frame, time_column)
    for name, what in ((series_column, "series_column"), (label_column, "label_column")):
        if name is not None and name not in frame.columns:
            raise ValueError(f"{what}={name!r} is not a column of X ({_columns(frame)}).")
    ids = None if series_column is None else frame[series_column].to_numpy()
    labels = None if label_column is None else _labels(frame[label_column])
    columns = [c for c in frame.columns if c not in (time_column, series_column, label_column)]
    values = _values(frame, columns, time_column, series_column, label_column)

    groups = [np.arange(len(frame))] if ids is None else _groups(ids)
    pieces, counts, steps = [], np.zeros(5, dtype=np.int64), {}
    for rows in groups:
        name = None if ids is None else ids[rows[0]]
        piece = _regular_grid(
            times[rows],
            values[rows],
            None if labels is None else labels[rows],
            step=step,
            on_duplicate=on_duplicate,
            off_grid=off_grid,
            tz=times.tz,
            where="" if ids is None else f"series {name!r}: ",
        )
        counts += piece["counts"]
        steps[name] = piece["step"]
        pieces.append((name, piece))

    index = pd.DatetimeIndex(
        np.concatenate([p["times"] for _, p in pieces]).view("M8[ns]"), name=time_name
    )
    if times.tz is not None:
        index = index.tz_localize("UTC")
    index = index.as_unit(unit)
    if ids is None and len(index) > 1:  # one grid: the index knows its step
        index = pd.DatetimeIndex(index, freq=pd.tseries.frequencies.to_offset(steps[None]))
    out_values = np.concatenate([p["values"] for _, p in pieces])
    data = {}
    for column in frame.columns:
        if column == time_column:
            continue
        if column == series_column:
            data[column] = np.concatenate(
                [np.full(len(p["times"]), n, dtype=object) for n, p in pieces]
            )
        elif column == label_column:
            data[column] = np.concatenate([p["labels"] for _, p in pieces])
        else:
            data[column] = out_values[:, columns.index(column)]
    result = pd.DataFrame(data, index=index, columns=[c for c in frame.columns if c != time_column])
    if series_column is not None:
        result[series_column] = result[series_column].astype(frame[series_column].dtype)
    inserted = np.concatenate([p["inserted"] for _, p in pieces])
    n_inserted, n_duplicates, n_reordered, n_off_grid, _ = (int(c) for c in counts)
    report = RegularizeReport(
        freq=steps[None] if ids is None else steps,
        n_rows_in=len(frame),
        n_rows_out=len(result),
        n_inserted=n_inserted,
        n_duplicates=n_duplicates,
        n_reordered=n_reordered,
        n_converted=n_converted,
        n_off_grid=n_off_grid,
        on_duplicate=on_duplicate,
        inserted_rows=inserted,
        imputed_rows=inserted | np.isnan(out_values).any(axis=1),
    )
    return result, report


def _is_auto(freq):
    return isinstance(freq, str) and freq == "auto"


def _fixed_step(freq):
    """``freq`` as a positive number of nanoseconds; ValueError unless a fixed duration."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq) if isinstance(freq, str) else freq
        if not isinstance(offset, str | datetime.timedelta | np.timedelta64 | pd.offsets.Tick):
            raise TypeError
        step = pd.Timedelta(offset)
    except (TypeError, ValueError):
        raise ValueError(
            f"freq must be 'auto' or a fixed duration such as '15min', 'h' or a Timedelta, "
            f"got {freq!r} (calendar frequencies such as months have no fixed step)."
        ) from None
    if step <= pd.Timedelta(0):
        raise ValueError(f"freq must be a positive duration, got {freq!r}.")
    return int(step.as_unit("ns").value)


def _columns(frame):
    names = [str(c) for c in frame.columns]
    return (
        "columns: "
        + ", ".join(shorten(n) for n in names[:10])
        + (" ..." if len(names) > 10 else "")
    )


def _timestamps(frame, time_column):
    """``(times, name, n_converted, unit)``: a DatetimeIndex in ns (naive or UTC), and
    the resolution of the input's timestamps, which the output keeps."""
    if time_column is not None:
        if time_column not in frame.columns:
            raise ValueError(
                f"time_column={time_column!r} is not a column of X ({_columns(frame)})."
            )
        raw, name, where = frame[time_column], time_column, f"column {time_column!r}"
    else:
        raw, name, where = frame.index, frame.index.name, "the index"
    times, n_converted = _to_datetimes(raw, where)
    if times.isna().any():
        first = int(np.flatnonzero(times.isna())[0])
        raise ValueError(f"X's timestamps ({where}) hold a missing value (NaT) at row {first}.")
    times = pd.DatetimeIndex(times)
    return times.as_unit("ns"), name, n_converted, times.unit


def _to_datetimes(raw, where):
    dtype = raw.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        times = pd.DatetimeIndex(raw)
        offsets = np.array(
            [t.utcoffset() != datetime.timedelta(0) for t in times if t is not pd.NaT]
        )
        return times.tz_convert("UTC"), int(offsets.sum())
    if pd.api.types.is_datetime64_dtype(dtype):
        return pd.DatetimeIndex(raw), 0
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        items = pd.Series(np.asarray(raw, dtype=object))
        if len(items) and items.map(lambda v: isinstance(v, str)).all():
            try:
                times, _, converted = timestamps_from_text(items.str.strip())
            except ValueError:
                raise ValueError(
                    f"X's timestamps ({where}) mix timestamps with a UTC offset and without one."
                ) from None
            bad = times.isna().to_numpy()
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"X's timestamps ({where}): row {first} is not an ISO 8601 timestamp: "
                    f"{shorten(items.iloc[first])}."
                )
            return pd.DatetimeIndex(times), int(converted.sum())
        if len(items) and items.map(lambda v: isinstance(v, datetime.datetime)).all():
            aware = items.map(lambda v: v.tzinfo is not None).to_numpy()
            if aware.all():
                converted = items.map(lambda v: v.utcoffset() != datetime.timedelta(0)).to_numpy()
                return pd.DatetimeIndex(pd.to_datetime(items, utc=True)), int(converted.sum())
            if not aware.any():
                return pd.DatetimeIndex(pd.to_datetime(items)), 0
            raise ValueError(
                f"X's timestamps ({where}) mix timestamps with a time zone and without one."
            )
    raise TypeError(
        f"X needs timestamps: a DatetimeIndex (or an index of ISO 8601 strings), or name "
        f"the column of timestamps with time_column; {where} has dtype {dtype}."
    )


def _labels(column):
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"label_column {column.name!r} must hold 0 or 1 (1 = anomaly), got "
            f"{shorten(column.iloc[first])} at row {first}."
        )
    return values.astype(np.int64)


def _values(frame, columns, time_column, series_column, label_column):
    text = [c for c in columns if not _is_numeric(frame[c])]
    if text:
        unused = [
            name
            for name, value in (
                ("time_column", time_column),
                ("series_column", series_column),
                ("label_column", label_column),
            )
            if value is None
        ]
        raise TypeError(
            f"regularize needs numeric value columns; column(s) "
            f"{', '.join(shorten(c) for c in text[:5])} hold {frame[text[0]].dtype} values"
            + (f" (name such columns with {' or '.join(unused)})" if unused else "")
            + "."
        )
    if not columns:
        return np.empty((len(frame), 0))
    return frame[columns].astype("float64").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def _is_numeric(column):
    return pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)


def _groups(ids):
    codes, uniques = pd.factorize(ids, use_na_sentinel=False)
    return [np.flatnonzero(codes == k) for k in range(len(uniques))]


def _stamp(ns, tz):
    when = pd.Timestamp(int(ns), unit="ns")
    return str(when.tz_localize("UTC") if tz is not None else when)


def _regular_grid(times, values, labels, *, step, on_duplicate, off_grid, tz, where):
    """One series on its grid: times (ns), values, labels, inserted mask and counts."""
    t = times.asi8.astype(np.int64)
    n = t.size
    n_reordered = int((t[1:] < np.maximum.accumulate(t)[:-1]).sum()) if n > 1 else 0
    order = np.argsort(t, kind="stable")
    t, values = t[order], values[order]
    labels = None if labels is None else labels[order]
    distinct = np.unique(t)
    if step is None:
        gaps = np.diff(distinct)
        if gaps.size == 0:
            raise ValueError(
                f"{where}freq='auto' needs at least two distinct timestamps; give freq."
            )
        sizes, seen = np.unique(gaps, return_counts=True)
        step = int(sizes[np.argmax(seen)])
    freq = pd.Timedelta(step, unit="ns")
    phases, seen = np.unique(np.mod(t, step), return_counts=True)
    phase = int(phases[np.argmax(seen)])
    off = np.mod(t, step) != phase
    n_off_grid = 0
    if off.any():
        if off_grid == "raise":
            first = int(np.flatnonzero(off)[0])
            raise ValueError(
                f"{where}{int(off.sum()):,} timestamp(s) lie between the points of the "
                f"{_freq_text(freq)} grid of the others (first: {_stamp(t[first], tz)}); "
                "move them to the nearest point (off_grid='nearest') or resample the "
                "series (X.resample(freq).mean())."
            )
        t = phase + np.floor_divide(t - phase + step // 2, step) * step
        n_off_grid = int(off.sum())
    distinct, first, repeats = np.unique(t, return_index=True, return_counts=True)
    n_duplicates = n - distinct.size
    if n_duplicates:
        if on_duplicate == "raise":
            at = int(np.flatnonzero(repeats > 1)[0])
            raise ValueError(
                f"{where}{n_duplicates:,} row(s) repeat the timestamp of another row (first: "
                f"{_stamp(distinct[at], tz)}); choose what to keep with on_duplicate='mean', "
                "'first' or 'last'."
            )
        if on_duplicate == "first":
            keep = first
        elif on_duplicate == "last":
            keep = first + repeats - 1
        if on_duplicate in ("first", "last"):
            values = values[keep]
            labels = None if labels is None else labels[keep]
        else:
            observed = ~np.isnan(values)
            sums = np.add.reduceat(np.where(observed, values, 0.0), first, axis=0)
            n_observed = np.add.reduceat(observed.astype(np.int64), first, axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.where(n_observed > 0, sums / np.maximum(n_observed, 1), np.nan)
            labels = None if labels is None else np.maximum.reduceat(labels, first)
    else:
        values = values[first]
        labels = None if labels is None else labels[first]
    positions = (distinct - distinct[0]) // step
    n_grid = int(positions[-1]) + 1
    if n_grid > _MAX_GRID_FACTOR * distinct.size + _MAX_EXTRA_ROWS:
        widest = int(np.argmax(np.diff(distinct)))
        raise ValueError(
            f"{where}the {_freq_text(freq)} grid from {_stamp(distinct[0], tz)} to "
            f"{_stamp(distinct[-1], tz)} has {n_grid:,} points for {distinct.size:,} "
            f"timestamps (widest gap: {_stamp(distinct[widest], tz)} to "
            f"{_stamp(distinct[widest + 1], tz)}); check the timestamps or give freq."
        )
    grid_values = np.full((n_grid, values.shape[1]), np.nan)
    grid_values[positions] = values
    inserted = np.ones(n_grid, dtype=bool)
    inserted[positions] = False
    grid_labels = None
    if labels is not None:
        grid_labels = np.zeros(n_grid, dtype=np.int64)
        grid_labels[positions] = labels
    return {
        "times": distinct[0] + np.arange(n_grid, dtype=np.int64) * step,
        "values": grid_values,
        "labels": grid_labels,
        "inserted": inserted,
        "step": freq,
        "counts": np.array([n_grid - distinct.size, n_duplicates, n_reordered, n_off_grid, 0]),
    }
