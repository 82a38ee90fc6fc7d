"""Reading series from CSV files and writing results, for the ``ecoai-detect`` command.

Fields are parsed by the package's one CSV parser (the one of
:func:`ecoai_sklearn.datasets.load_series_csv`). Every problem with a file becomes a
:class:`CLIError` whose message is one line naming the file (and the line of the file
where it helps); ``cli.main`` prints it and exits with a non-zero code instead of
showing a traceback.
"""

import contextlib
import os
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..utils import (
    LABEL_COLUMN,
    ROW_COLUMN,
    SCORE_COLUMN,
    SERIES_ID_COLUMN,
    TIMESTAMP_COLUMN,
    parse_labels,
    parse_numbers,
    parse_timestamps,
    quoted,
    read_text_table,
)
from ._base import CLIError

DEFAULT_TIMESTAMP = TIMESTAMP_COLUMN
DEFAULT_LABEL = LABEL_COLUMN
SERIES_ID = SERIES_ID_COLUMN


@contextlib.contextmanager
def _as_cli_error():
    """The parser's ValueError and OSError, as one-line CLIErrors (same message)."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise CLIError(str(exc)) from exc


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
    with _as_cli_error():
        raw, line = read_text_table(source, delimiter=delimiter)
    columns = [str(c) for c in raw.columns]

    if SERIES_ID in columns and timestamp_column != SERIES_ID:
        ids = raw[SERIES_ID].str.strip()
        present = list(dict.fromkeys(ids))
        if series is not None:
            if series not in present:
                raise CLIError(
                    f"{source}: series {series!r} not found; the file holds "
                    f"{quoted(present)} (column {SERIES_ID})."
                )
            keep = (ids == series).to_numpy()
            raw, line = raw[keep].reset_index(drop=True), line[keep]
        elif len(present) > 1:
            raise CLIError(
                f"{source} holds {len(present)} series ({quoted(present)}); choose one with "
                "--series NAME."
            )
    elif series is not None:
        raise CLIError(f"{source} has no {SERIES_ID} column, so --series does not apply.")

    time_name = _pick_optional(columns, timestamp_column, DEFAULT_TIMESTAMP, source, "timestamp")
    label_name = _pick_optional(columns, label_column, DEFAULT_LABEL, source, "label")
    if need_labels and label_name is None:
        raise CLIError(
            f"{source} has no {DEFAULT_LABEL!r} column (columns: {quoted(columns)}); name the "
            "column of 0/1 labels with --label-column."
        )
    reserved = {time_name, label_name, SERIES_ID}
    if value_columns is None:
        value_columns = [c for c in columns if c not in reserved]
        if not value_columns:
            raise CLIError(
                f"{source} has no value column besides {quoted(sorted(reserved - {None}))}; "
                f"columns: {quoted(columns)}."
            )
    else:
        missing = [c for c in value_columns if c not in columns]
        if missing:
            raise CLIError(
                f"{source} has no column {quoted(missing)} (columns: {quoted(columns)}); "
                "choose the value columns with --columns."
            )
    if raw.shape[0] == 0:
        raise CLIError(f"{source} has a header but no data rows.")

    where = {"lines": line, "source": source}
    with _as_cli_error():
        values = pd.DataFrame(
            {name: parse_numbers(raw[name], name=name, **where) for name in value_columns}
        )
        timestamps = None
        if time_name is not None:
            timestamps = parse_timestamps(raw[time_name], name=time_name, increasing=True, **where)
        labels = None
        if label_name is not None:
            labels = parse_labels(raw[label_name], name=label_name, **where)
    data = SeriesData(source, values, timestamps, labels)
    if start is not None or end is not None:
        data = _select_period(data, start, end)
    all_missing = [name for name in value_columns if data.values[name].isna().all()]
    if all_missing:
        raise CLIError(f"{source}: column {quoted(all_missing)} holds no value at all.")
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


def read_header(path, *, delimiter=","):
    """Column names of a CSV file, or None when it cannot be read (the full read says why)."""
    try:
        return [str(c) for c in pd.read_csv(path, nrows=0, sep=delimiter).columns]
    except Exception:
        return None


def _pick_optional(columns, requested, default, source, what):
    if requested is not None:
        if requested not in columns:
            raise CLIError(
                f"{source} has no {what} column {requested!r} (columns: {quoted(columns)})."
            )
        return requested
    return default if default in columns else None


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


def write_results(path, data, scores, labels):
    """Write ``timestamp,score,label`` (``row,score,label`` without timestamps) to ``path``.

    ``path`` ``"-"`` writes to standard output.
    """
    if data.timestamps is None:
        first = pd.Series(np.arange(data.n_rows), name=ROW_COLUMN)
    elif data.timestamps.tz is None:
        first = pd.Series(data.timestamps.strftime("%Y-%m-%d %H:%M:%S"), name=TIMESTAMP_COLUMN)
    else:
        first = pd.Series(data.timestamps.map(lambda t: t.isoformat()), name=TIMESTAMP_COLUMN)
    frame = pd.DataFrame(
        {
            first.name: first.to_numpy(),
            SCORE_COLUMN: scores,
            LABEL_COLUMN: labels.astype(np.int64),
        }
    )
    if path == "-":
        frame.to_csv(sys.stdout, index=False, float_format="%.6g")
        return
    try:
        frame.to_csv(path, index=False, float_format="%.6g")
    except OSError as exc:
        raise CLIError(f"{path}: cannot write: {exc.strerror or exc}.") from exc
