"""Reading series from CSV files and writing results, for the ``ecoai-detect`` command.

Fields are parsed by the package's one CSV parser (the one of
:func:`ecoai_sklearn.datasets.load_series_csv`), and a series with timestamps is put on
its regular time grid by :func:`ecoai_sklearn.datasets.regularize`, the function Python
users call: gaps become rows of missing readings, repeated timestamps are resolved by
``--on-duplicate``, and what was changed becomes one line on stderr. Every problem with
a file becomes a :class:`CLIError` whose message is one line naming the file (and the
line of the file where it helps) and, where a option would help, the option;
``cli.main`` prints it and exits with a non-zero code instead of showing a traceback.
"""

import contextlib
import os
import re
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..datasets import regularize
from ..utils import (
    LABEL_COLUMN,
    ROW_COLUMN,
    SCORE_COLUMN,
    SERIES_ID_COLUMN,
    TIMESTAMP_COLUMN,
    is_number_column,
    looks_like_timestamps,
    parse_labels,
    parse_numbers,
    parse_timestamps,
    quoted,
    read_text_table,
    shorten,
    sniff_delimiter,
)
from ._base import CLIError, UsageError

DEFAULT_TIMESTAMP = TIMESTAMP_COLUMN
DEFAULT_LABEL = LABEL_COLUMN
SERIES_ID = SERIES_ID_COLUMN
IMPUTED_COLUMN = "imputed"
#: ``--series all``: every run of the file
ALL_SERIES = "all"
#: how the parser's hints name the options of this command
OPTIONS = {
    "delimiter": "--delimiter {value!r}",
    "decimal": "--decimal {value}",
    "time": "--time-column {name}",
}
# regularize's messages name its parameters; the command names its options
_PARAMETERS = {
    r"on_duplicate='(\w+)'": r"--on-duplicate \1",
    r"'(first|last|mean)'": r"\1",
    r"off_grid='(\w+)'": r"--off-grid \1",
    r" or resample the series \(X\.resample\(freq\)\.mean\(\)\)": "",
    r"; give freq": "",
    r" or give freq": "",
}


@contextlib.contextmanager
def _as_cli_error(prefix=""):
    """The parser's ValueError and OSError, as one-line CLIErrors (same message)."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise CLIError(f"{prefix}{exc}") from exc


@dataclass
class SeriesData:
    """One run of a file, on its regular time grid (when it has timestamps)."""

    source: str
    values: pd.DataFrame  # float64, one column per channel, RangeIndex
    timestamps: pd.DatetimeIndex | None  # None: the file has no timestamp column
    labels: np.ndarray | None  # int64 0/1, or None without a label column
    inserted: np.ndarray  # bool: rows the file lacked, inserted on the grid
    run: str | None = None  # series_id of the run, None in a file of one series
    freq: pd.Timedelta | None = None  # step of the grid
    repairs: str = ""  # what putting it on its grid changed, in one line
    notes: list = field(default_factory=list)  # how the file was read (separator, ...)

    @property
    def n_rows(self):
        return self.values.shape[0]

    @property
    def imputed(self):
        """Rows with a missing reading (inserted rows included): the detector fills them."""
        return self.values.isna().to_numpy().any(axis=1)

    @property
    def name(self):
        return self.source if self.run is None else f"{self.source} (series {self.run})"


def read_series(
    path,
    *,
    time_column=None,
    value_columns=None,
    label_column=None,
    series=None,
    need_labels=False,
    delimiter=None,
    decimal=".",
    on_duplicate="mean",
    off_grid="raise",
    start=None,
    end=None,
):
    """Read the runs of a CSV file, each on its grid; raise CLIError on any problem.

    ``time_column=None`` uses a column named ``timestamp`` when there is one (rows are
    numbered otherwise, unless a column looks like timestamps: then the message names
    ``--time-column``); ``value_columns=None`` takes every column of numbers but the
    timestamp, label and ``series_id`` columns; ``label_column=None`` uses a ``label``
    column when there is one (``need_labels`` makes it required). ``series`` is a list
    of ``series_id`` values (``["all"]`` for every run), None for a file of one run.
    ``start`` (inclusive) and ``end`` (exclusive) keep the rows of a period.

    Returns
    -------
    runs : list of SeriesData
        One per selected run, in order of first appearance in the file.
    """
    source = os.fspath(path)
    check_period(start, end)
    notes = []
    with _as_cli_error():
        if delimiter is None:
            delimiter = sniff_delimiter(source)
            if delimiter != ",":
                notes.append(f"fields separated by {_show(delimiter)} (found from the header)")
        raw, line = read_text_table(source, delimiter=delimiter, options=OPTIONS)
    columns = [str(c) for c in raw.columns]
    if decimal == delimiter:
        raise UsageError(f"--decimal and the field separator are both {decimal!r}.")

    runs = _select_runs(raw, columns, series, time_column, source)
    time_name = _pick_optional(columns, time_column, DEFAULT_TIMESTAMP, source, "time")
    label_name = _pick_optional(columns, label_column, DEFAULT_LABEL, source, "label")
    if need_labels and label_name is None:
        raise CLIError(
            f"{source} has no {DEFAULT_LABEL!r} column (columns: {quoted(columns)}); name the "
            "column of 0/1 labels with --label-column."
        )
    reserved = {time_name, label_name, SERIES_ID}
    if time_name is None:
        _refuse_hidden_timestamps(raw, columns, reserved, value_columns, source)
    value_columns = _value_columns(raw, columns, reserved, value_columns, decimal, source, notes)
    if raw.shape[0] == 0:
        raise CLIError(f"{source} has a header but no data rows.")

    where = {"lines": line, "source": source}
    with _as_cli_error():
        values = pd.DataFrame(
            {
                name: parse_numbers(raw[name], name=name, decimal=decimal, options=OPTIONS, **where)
                for name in value_columns
            }
        )
        timestamps, converted = None, None
        if time_name is not None:
            timestamps, converted = parse_timestamps(
                raw[time_name], name=time_name, with_converted=True, **where
            )
        labels = None
        if label_name is not None:
            labels = parse_labels(raw[label_name], name=label_name, **where)

    result = []
    for run, rows in runs:
        if timestamps is not None and on_duplicate == "raise":
            _refuse_duplicates(timestamps[rows], line[rows], raw[time_name].iloc[rows], source)
        data = _run(
            source,
            run,
            values.iloc[rows].reset_index(drop=True),
            None if timestamps is None else timestamps[rows],
            None if labels is None else labels[rows],
            on_duplicate=on_duplicate,
            off_grid=off_grid,
            converted=0 if converted is None else int(converted[rows].sum()),
        )
        data.notes[:0] = notes if not result else []
        if start is not None or end is not None:
            data = _select_period(data, start, end)
        all_missing = [name for name in value_columns if data.values[name].isna().all()]
        if all_missing:
            raise CLIError(f"{data.name}: column {quoted(all_missing)} holds no value at all.")
        result.append(data)
    return result


def _show(delimiter):
    return "tabs" if delimiter == "\t" else repr(delimiter)


def check_period(start, end):
    """A UsageError when --start is not before --end."""
    if start is None or end is None:
        return
    first, last = _parse_bound(start, "--start"), _parse_bound(end, "--end")
    try:
        wrong = first >= last
    except TypeError:  # one with a time zone, one without: compared with the file later
        return
    if wrong:
        raise UsageError(
            f"--start {start} is not before --end {end}: no row can be at or after the start "
            "and before the end."
        )


def _select_runs(raw, columns, series, time_column, source):
    """``[(run, rows)]``: the selected runs and their rows (an index array)."""
    if SERIES_ID in columns and time_column != SERIES_ID:
        ids = raw[SERIES_ID].str.strip()
        present = list(dict.fromkeys(ids))
        if series is None:
            if len(present) > 1:
                raise CLIError(
                    f"{source} holds {len(present)} series ({quoted(present)}); choose one "
                    "with --series NAME (repeat it, or give --series all, for several)."
                )
            wanted = present
        elif ALL_SERIES in series:
            wanted = present
        else:
            absent = [s for s in series if s not in present]
            if absent:
                raise CLIError(
                    f"{source}: series {quoted(absent)} not found; the file holds "
                    f"{quoted(present)} (column {SERIES_ID})."
                )
            wanted = list(dict.fromkeys(series))
        single = len(present) == 1 and series is None
        return [
            (None if single else name, np.flatnonzero((ids == name).to_numpy())) for name in wanted
        ]
    if series is not None:
        raise CLIError(f"{source} has no {SERIES_ID} column, so --series does not apply.")
    return [(None, np.arange(raw.shape[0]))]


def _refuse_hidden_timestamps(raw, columns, reserved, value_columns, source):
    """A column of timestamps under another name than 'timestamp': say --time-column."""
    candidates = value_columns if value_columns is not None else columns
    for name in candidates:
        if name in reserved or name not in columns:
            continue
        if looks_like_timestamps(raw[name], name=name):
            raise CLIError(
                f"{source}: column {shorten(name)} holds timestamps "
                f"(e.g. {shorten(raw[name].iloc[0].strip())}); use --time-column {name} "
                "(without it, rows would be numbered and the column read as values)."
            )


def _value_columns(raw, columns, reserved, value_columns, decimal, source, notes):
    if value_columns is None:
        candidates = [c for c in columns if c not in reserved]
        value_columns = [c for c in candidates if is_number_column(raw[c], decimal=decimal)]
        text = [c for c in candidates if c not in value_columns]
        if text:
            notes.append(f"left out column(s) of text {quoted(text)}")
        if not value_columns:
            raise CLIError(
                f"{source} has no value column besides {quoted(sorted(reserved - {None}))}"
                + (f" and text column(s) {quoted(text)}" if text else "")
                + f"; columns: {quoted(columns)}."
            )
        return value_columns
    missing = [c for c in value_columns if c not in columns]
    if missing:
        raise CLIError(
            f"{source} has no column {quoted(missing)} (columns: {quoted(columns)}); "
            "choose the value columns with --columns."
        )
    return value_columns


def _refuse_duplicates(times, lines, text, source):
    """With --on-duplicate raise: the first repeated timestamp, by the lines of the file."""
    repeated = times.duplicated(keep="first")
    if not repeated.any():
        return
    at = int(np.flatnonzero(repeated)[0])
    first = int(np.flatnonzero(times == times[at])[0])
    raise CLIError(
        f"{source}, line {lines[at]}: timestamp {shorten(text.iloc[at].strip())} repeats line "
        f"{lines[first]}'s ({int(repeated.sum())} row(s) repeat an earlier one); choose what "
        "to keep with --on-duplicate mean, first or last."
    )


def _run(source, run, values, timestamps, labels, *, on_duplicate, off_grid, converted):
    """One run as SeriesData, put on its grid by ``regularize`` when it has timestamps."""
    name = source if run is None else f"{source} (series {run})"
    if timestamps is None:
        return SeriesData(source, values, None, labels, np.zeros(len(values), bool), run)
    frame = values.set_index(timestamps)
    label_column = None
    if labels is not None:
        label_column = _free_name(frame.columns, LABEL_COLUMN)
        frame[label_column] = labels
    if len(frame) < 2:
        raise CLIError(f"{name} has one row: a series needs at least two.")
    try:
        regular, report = regularize(
            frame, on_duplicate=on_duplicate, off_grid=off_grid, label_column=label_column
        )
    except ValueError as exc:
        raise CLIError(f"{name}: {_option_names(str(exc))}") from exc
    repairs = []
    if converted:
        repairs.append(f"converted {converted:,} timestamps with a UTC offset to UTC")
    if report.changed:
        repairs.append(report.summary())
    times = pd.DatetimeIndex(regular.index, name=timestamps.name, freq=None)
    return SeriesData(
        source,
        regular[list(values.columns)].reset_index(drop=True),
        times,
        None if label_column is None else regular[label_column].to_numpy(),
        report.inserted_rows,
        run,
        report.freq,
        "; ".join(repairs),
    )


def _free_name(columns, name):
    while name in columns:
        name = f"_{name}"
    return name


def _option_names(message):
    for pattern, replacement in _PARAMETERS.items():
        message = re.sub(pattern, replacement, message)
    return message


def _select_period(data, start, end):
    _need_timestamps(data)
    keep = np.ones(data.n_rows, dtype=bool)
    if start is not None:
        keep &= data.timestamps >= _bound(start, "--start", data.timestamps.tz)
    if end is not None:
        keep &= data.timestamps < _bound(end, "--end", data.timestamps.tz)
    if not keep.any():
        raise CLIError(
            f"{data.name} has no row from {start or 'the start'} to {end or 'the end'} "
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
            f"{data.name} has no row from {start} on (its rows run from "
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
        data.inserted[rows],
        data.run,
        data.freq,
        data.repairs,
        list(data.notes),
    )


def _need_timestamps(data):
    if data.timestamps is None:
        raise UsageError(f"{data.source} has no timestamp column, so --start/--end do not apply.")


def _parse_bound(text, name):
    try:
        when = pd.Timestamp(text)
    except (TypeError, ValueError):
        when = pd.NaT
    if when is pd.NaT:
        raise UsageError(f"{name} must be a timestamp such as 2024-03-01, got {text[:60]!r}.")
    return when


def _bound(text, name, tz):
    when = _parse_bound(text, name)
    if when.tz is None and tz is not None:
        when = when.tz_localize(tz)
    elif when.tz is not None and tz is None:
        raise UsageError(f"{name} has a time zone ({text!r}) but the file's timestamps have none.")
    return when


def read_header(path, *, delimiter=None):
    """Column names of a CSV file, or None when it cannot be read (the full read says why)."""
    try:
        table, _ = read_text_table(path, delimiter=delimiter)
        return [str(c) for c in table.columns]
    except (ValueError, OSError):
        return None


def _pick_optional(columns, requested, default, source, what):
    if requested is not None:
        if requested not in columns:
            raise CLIError(
                f"{source} has no {what} column {shorten(requested)} (columns: {quoted(columns)})."
            )
        return requested
    return default if default in columns else None


def write_results(path, runs):
    """Write the scored ``runs``, a list of ``(data, scores, labels)``, to ``path``.

    Columns: ``series_id`` (when a run has one), ``timestamp`` (``row`` without
    timestamps), ``score``, ``label``, ``imputed``, then the columns of an optional
    fourth item per run (a dict of name -> values, e.g. the ``contribution_*`` columns
    of ``predict --explain``). ``path`` ``"-"`` writes to standard output.
    """
    frames = []
    for data, scores, labels, *extra in runs:
        columns = {}
        if data.run is not None:
            columns[SERIES_ID] = np.full(data.n_rows, data.run, dtype=object)
        if data.timestamps is None:
            columns[ROW_COLUMN] = np.arange(data.n_rows)
        else:
            columns[TIMESTAMP_COLUMN] = _time_text(data.timestamps)
        columns[SCORE_COLUMN] = scores
        columns[LABEL_COLUMN] = labels.astype(np.int64)
        columns[IMPUTED_COLUMN] = data.imputed.astype(np.int64)
        for more in extra:
            columns.update(more)
        frames.append(pd.DataFrame(columns))
    frame = pd.concat(frames, ignore_index=True)
    if path == "-":
        frame.to_csv(sys.stdout, index=False, float_format="%.6g")
        sys.stdout.flush()
        return
    try:
        frame.to_csv(path, index=False, float_format="%.6g")
    except OSError as exc:
        raise CLIError(f"{path}: cannot write: {exc.strerror or exc}.") from exc


def _time_text(times):
    """Timestamps as written: ``2024-01-01 00:15:00``, ISO 8601 with ``+00:00`` in UTC."""
    whole = (times.as_unit("ns").asi8 % 1_000_000_000 == 0).all()
    if times.tz is None:
        return times.strftime("%Y-%m-%d %H:%M:%S") if whole else times.map(str)
    return times.map(lambda t: t.isoformat())
