"""Reading series from CSV files and writing results, for the ``ecoai-detect`` command.

Every problem with a file becomes a :class:`CLIError` whose message is one line naming
the file (and the line of the file where it helps); ``cli.main`` prints it and exits
with a non-zero code instead of showing a traceback.
"""

import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._cli_base import CLIError, one_line

# Field contents read as a missing reading (NaN), as in datasets.load_series_csv.
MISSING = {"", "nan", "NaN", "NAN", "NA", "N/A", "null", "NULL", "None"}
DEFAULT_TIMESTAMP = "timestamp"
DEFAULT_LABEL = "label"
SERIES_ID = "series_id"


@dataclass
class SeriesData:
    """One series read from a file."""

    source: str
    values: pd.DataFrame  # float64, one column per channel, RangeIndex
    timestamps: pd.DatetimeIndex | None  # None: the file has no timestamp column
    labels: np.ndarray | None  # int64 0/1, or None without a label column
    warnings: list = field(default_factory=list)

    @property
    def n_rows(self):
        return self.values.shape[0]


def read_series(
    path,
    *,
    timestamp_column=None,
    value_columns=None,
    label_column=None,
    series=None,
    need_labels=False,
    delimiter=",",
    start=None,
    end=None,
):
    """Read one series from a CSV file; raise CLIError on any problem.

    ``timestamp_column=None`` uses a column named ``timestamp`` when there is one (rows
    are numbered otherwise); ``value_columns=None`` takes every column but the timestamp,
    label and ``series_id`` columns; ``label_column=None`` uses a ``label`` column when
    there is one (``need_labels`` makes it required). ``start`` (inclusive) and ``end``
    (exclusive) keep the rows of a period, given as timestamp strings.
    """
    source = os.fspath(path)
    raw = _read_text_table(source, delimiter)
    columns = [str(c) for c in raw.columns]
    line = np.arange(raw.shape[0]) + 2  # the header is line 1

    if SERIES_ID in columns and timestamp_column != SERIES_ID:
        ids = raw[SERIES_ID].str.strip()
        present = list(dict.fromkeys(ids))
        if series is not None:
            if series not in present:
                raise CLIError(
                    f"{source}: series {series!r} not found; the file holds "
                    f"{_list(present)} (column {SERIES_ID})."
                )
            keep = (ids == series).to_numpy()
            raw, line = raw[keep].reset_index(drop=True), line[keep]
        elif len(present) > 1:
            raise CLIError(
                f"{source} holds {len(present)} series ({_list(present)}); choose one with "
                "--series NAME."
            )
    elif series is not None:
        raise CLIError(f"{source} has no {SERIES_ID} column, so --series does not apply.")

    time_name = _pick_optional(columns, timestamp_column, DEFAULT_TIMESTAMP, source, "timestamp")
    label_name = _pick_optional(columns, label_column, DEFAULT_LABEL, source, "label")
    if need_labels and label_name is None:
        raise CLIError(
            f"{source} has no {DEFAULT_LABEL!r} column (columns: {_list(columns)}); name the "
            "column of 0/1 labels with --label-column."
        )
    reserved = {time_name, label_name, SERIES_ID}
    if value_columns is None:
        value_columns = [c for c in columns if c not in reserved]
        if not value_columns:
            raise CLIError(
                f"{source} has no value column besides {_list(sorted(reserved - {None}))}; "
                f"columns: {_list(columns)}."
            )
    else:
        missing = [c for c in value_columns if c not in columns]
        if missing:
            raise CLIError(
                f"{source} has no column {_list(missing)} (columns: {_list(columns)}); "
                "choose the value columns with --columns."
            )
    if raw.shape[0] == 0:
        raise CLIError(f"{source} has a header but no data rows.")

    values = pd.DataFrame({name: _numbers(raw[name], line, source, name) for name in value_columns})
    timestamps = None
    if time_name is not None:
        timestamps = _timestamps(raw[time_name], line, source, time_name)
    labels = None
    if label_name is not None:
        labels = _labels(raw[label_name], line, source, label_name)
    data = SeriesData(source, values, timestamps, labels)
    if start is not None or end is not None:
        data = _select_period(data, start, end)
    all_missing = [name for name in value_columns if data.values[name].isna().all()]
    if all_missing:
        raise CLIError(f"{source}: column {_list(all_missing)} holds no value at all.")
    if data.timestamps is not None:
        data.warnings.extend(_spacing_warnings(data.timestamps, source))
    return data


def _select_period(data, start, end):
    _need_timestamps(data)
    keep = np.ones(data.n_rows, dtype=bool)
    if start is not None:
        keep &= data.timestamps >= _bound(start, "--start", data.timestamps.tz)
    if end is not None:
        keep &= data.timestamps < _bound(end, "--end", data.timestamps.tz)
    if not keep.any():
        raise CLIError(
            f"{data.source} has no row from {start or 'the start'} to {end or 'the end'} "
            f"(its rows run from {data.timestamps[0]} to {data.timestamps[-1]})."
        )
    return take(data, keep)


def with_history(data, start, rows):
    """The rows from ``start`` on, preceded by up to ``rows`` rows of history.

    Returns ``(data, n_history)``: windows of the first rows from ``start`` then see the
    readings before them, as in deployment, and the ``n_history`` first rows are to be
    scored but not reported.
    """
    _need_timestamps(data)
    when = _bound(start, "--start", data.timestamps.tz)
    first = int(data.timestamps.searchsorted(when))
    if first == data.n_rows:
        raise CLIError(
            f"{data.source} has no row from {start} on (its rows run from "
            f"{data.timestamps[0]} to {data.timestamps[-1]})."
        )
    low = max(0, first - rows)
    return take(data, slice(low, None)), first - low


def take(data, rows):
    """The selected rows (a bool mask or a slice) of ``data``."""
    return SeriesData(
        data.source,
        data.values[rows].reset_index(drop=True),
        None if data.timestamps is None else data.timestamps[rows],
        None if data.labels is None else data.labels[rows],
        list(data.warnings),
    )


def _need_timestamps(data):
    if data.timestamps is None:
        raise CLIError(f"{data.source} has no timestamp column, so --start/--end do not apply.")


def _bound(text, name, tz):
    try:
        when = pd.Timestamp(text)
    except (TypeError, ValueError):
        when = pd.NaT
    if when is pd.NaT:
        raise CLIError(f"{name} must be a timestamp such as 2024-03-01, got {text!r}.")
    if when.tz is None and tz is not None:
        when = when.tz_localize(tz)
    elif when.tz is not None and tz is None:
        raise CLIError(f"{name} has a time zone ({text!r}) but the file's timestamps have none.")
    return when


def _read_text_table(source, delimiter):
    if not os.path.exists(source):
        raise CLIError(f"{source}: no such file.")
    if os.path.isdir(source):
        raise CLIError(f"{source} is a directory, not a CSV file.")
    try:
        if os.path.getsize(source) == 0:
            raise CLIError(f"{source} is empty.")
        with warnings.catch_warnings():
            # a first data row longer than the header would silently become the index
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(
                source,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                sep=delimiter,
                index_col=False,
            )
    except pd.errors.ParserWarning as exc:
        raise CLIError(
            f"{source} is not a valid CSV file: a row has more fields than the header."
        ) from exc
    except CLIError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise CLIError(f"{source} is empty.") from exc
    except UnicodeDecodeError as exc:
        raise CLIError(f"{source} is not a text (UTF-8) CSV file.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise CLIError(f"{source} is not a valid CSV file: {one_line(exc)}") from exc
    except OSError as exc:
        raise CLIError(f"{source}: cannot read: {exc.strerror or exc}.") from exc
    duplicated = [
        c
        for c in raw.columns
        if str(c).rsplit(".", 1)[-1].isdigit() and str(c).rsplit(".", 1)[0] in raw.columns
    ]
    if duplicated:
        raise CLIError(f"{source} has duplicate column names ({_list(duplicated)}).")
    return raw


def _pick_optional(columns, requested, default, source, what):
    if requested is not None:
        if requested not in columns:
            raise CLIError(
                f"{source} has no {what} column {requested!r} (columns: {_list(columns)})."
            )
        return requested
    return default if default in columns else None


def _numbers(column, line, source, name):
    text = column.str.strip()
    missing = text.isin(MISSING).to_numpy()
    values = pd.to_numeric(text.mask(missing), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & ~missing
    _fail_at(bad, line, column, source, name, "a number (or empty when missing)")
    _fail_at(np.isinf(values), line, column, source, name, "a finite number")
    return values


def _timestamps(column, line, source, name):
    text = column.str.strip()
    empty = (text == "").to_numpy()
    _fail_at(empty, line, column, source, name, "a timestamp such as 2024-01-01 00:15:00")
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    _fail_at(bad, line, column, source, name, "an ISO 8601 timestamp such as 2024-01-01 00:15:00")
    times = pd.DatetimeIndex(parsed, name=name)
    step = np.diff(times.asi8)
    bad_order = np.flatnonzero(step <= 0)
    if bad_order.size:
        at = bad_order[0] + 1
        problem = (
            "repeats the previous timestamp"
            if step[at - 1] == 0
            else ("is earlier than the previous row's")
        )
        raise CLIError(
            f"{source}, line {line[at]}: timestamp {column.iloc[at].strip()!r} {problem}; "
            f"rows must be in strictly increasing time order ({bad_order.size} row(s) are not)."
        )
    return times


def _spacing_warnings(times, source):
    if len(times) < 3:
        return []
    steps = pd.Series(times).diff().iloc[1:]
    usual = steps.median()
    irregular = int((steps != usual).sum())
    if irregular == 0:
        return []
    return [
        f"{source}: {irregular} step(s) between timestamps differ from the usual "
        f"{usual}; missing readings are best given as rows "
        "with an empty value, which the detectors impute."
    ]


def _labels(column, line, source, name):
    text = column.str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    _fail_at(~np.isin(values, (0.0, 1.0)), line, column, source, name, "0 or 1 (1 = anomaly)")
    return values.astype(np.int64)


def _fail_at(bad, line, column, source, name, expected):
    if np.any(bad):
        first = np.flatnonzero(bad)[0]
        raise CLIError(
            f"{source}, line {line[first]}: column {name!r} must be {expected}, got "
            f"{column.iloc[first]!r} ({int(np.sum(bad))} such row(s))."
        )


def write_results(path, data, scores, labels):
    """Write ``timestamp,score,label`` (``row,score,label`` without timestamps) to ``path``.

    ``path`` ``"-"`` writes to standard output.
    """
    if data.timestamps is not None:
        first = pd.Series(data.timestamps.strftime("%Y-%m-%d %H:%M:%S"), name="timestamp")
        if data.timestamps.tz is not None:
            first = pd.Series(data.timestamps.map(lambda t: t.isoformat()), name="timestamp")
    else:
        first = pd.Series(np.arange(data.n_rows), name="row")
    frame = pd.DataFrame(
        {first.name: first.to_numpy(), "score": scores, "label": labels.astype(np.int64)}
    )
    if path == "-":
        import sys

        frame.to_csv(sys.stdout, index=False, float_format="%.6g")
        return
    try:
        frame.to_csv(path, index=False, float_format="%.6g")
    except OSError as exc:
        raise CLIError(f"{path}: cannot write: {exc.strerror or exc}.") from exc


def _list(names, limit=8):
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    return shown + (", ..." if len(names) > limit else "")
