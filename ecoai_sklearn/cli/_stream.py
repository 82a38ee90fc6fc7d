"""The ``stream`` subcommand: score readings as they arrive, one output line per row.

Rows are read one line at a time (standard input or a file), each answered at once on
standard output (``timestamp,score,label``, flushed) by the fitted
:class:`~ecoai_sklearn.streaming.StreamingDetector` of the model file (``fit
--streaming``), or by the one of its series (``fit --streaming --per-series``: a
``series_id`` column routes the rows). Alarm events, from one
:class:`~ecoai_sklearn.streaming.AlarmAggregator` per series, go to stderr or
``--events``. ``--state`` keeps everything needed to resume (the detectors with their
history and buffers, the aggregators, the last timestamp of each series) in a file of
the persistence format. A bad line is reported on stderr in one line and skipped
(``--stop-on-error`` stops instead): a monitor does not die on one bad reading.
"""

import csv
import io
import math
import os
import select
import sys

import numpy as np
import pandas as pd

from ..utils import (
    DELIMITERS,
    LABEL_COLUMN,
    ROW_COLUMN,
    SCORE_COLUMN,
    SERIES_ID_COLUMN,
    TIMESTAMP_COLUMN,
    parse_numbers,
    parse_timestamps,
    quoted,
    shorten,
)
from ._base import CLIError, Reporter, one_line
from ._io import OPTIONS
from ._model import load_model
from ._threads import ThreadLimit

#: ``metadata["written_by"]`` of the state files
STATE_WRITTEN_BY = "ecoai-detect stream"
PROG_STREAM = STATE_WRITTEN_BY
DEFAULT_MIN_DURATION = 2
DEFAULT_SUPPRESSION = 8
EVENT_COLUMNS = [
    "status",
    SERIES_ID_COLUMN,
    "start_time",
    "end_time",
    "raised_time",
    "n_rows",
    "n_flagged",
    "peak_score",
]


class BadLine(ValueError):
    """A line that cannot be scored: reported and skipped (or fatal with --stop-on-error)."""


class _Series:
    """One series being followed: its detector, alarm aggregator and position."""

    def __init__(self, name, detector, aggregator, last_time=None, rows=0):
        self.name = name
        self.detector = detector
        self.aggregator = aggregator
        self.last_time = last_time
        self.rows = rows
        self.resume_time = last_time  # rows up to here were scored before a restart


def run(args):
    """Run ``ecoai-detect stream`` with the parsed ``args``; return the exit code."""
    reporter = Reporter(quiet=args.quiet)
    with ThreadLimit(args.threads) as threads:
        monitor = Monitor(args, reporter)
        threads.apply_torch()
        with _open_input(args.data) as source:
            try:
                monitor.follow(source)
            finally:
                monitor.finish()
    return 0


class _Input:
    def __init__(self, path):
        self.path = path
        self.stream = None

    def __enter__(self):
        if self.path == "-":
            buffer = getattr(sys.stdin, "buffer", None)
            self.stream = (
                sys.stdin
                if buffer is None
                else io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
            )
            return self.stream
        if not os.path.exists(self.path):
            raise CLIError(f"{self.path}: no such file.")
        try:
            self.stream = open(self.path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CLIError(f"{self.path}: cannot read: {exc.strerror or exc}.") from exc
        return self.stream

    def __exit__(self, *exc_info):
        if self.path == "-" and self.stream is not sys.stdin and self.stream is not None:
            self.stream.detach()  # leave standard input open
        elif self.path != "-" and self.stream is not None:
            self.stream.close()
        return False


def _open_input(path):
    return _Input(path)


class Monitor:
    """Reads the header and the rows, scores them, reports and keeps the state."""

    def __init__(self, args, reporter):
        from ..fleet import PerSeriesDetector
        from ..streaming import AlarmAggregator, StreamingDetector

        self.args = args
        self.reporter = reporter
        self.source_name = "standard input" if args.data == "-" else args.data
        self.resumed = bool(args.state) and os.path.exists(args.state)
        path = args.state if self.resumed else args.model
        model, metadata, warnings = load_model(path, trusted=args.trust)
        for text in warnings:
            reporter.warn(text)
        state = metadata.get("stream_state") if self.resumed else None
        if self.resumed and (metadata.get("written_by") != STATE_WRITTEN_BY or state is None):
            raise CLIError(
                f"{args.state} is not a state file of '{PROG_STREAM}' (it was written by "
                f"{metadata.get('written_by', 'Python')}); give another --state file."
            )
        info = state["model"] if state else metadata
        if isinstance(model, StreamingDetector):
            detectors = {None: model}
        elif isinstance(model, PerSeriesDetector) and all(
            isinstance(d, StreamingDetector) for d in model.detectors_.values()
        ):
            detectors = dict(model.detectors_)
            self.failures = dict(model.failures_)
        else:
            raise CLIError(
                f"{path} holds a batch detector ({type(model).__name__}), not one fitted for "
                "streaming: fit it with 'ecoai-detect fit DATA.csv --streaming --out MODEL' "
                "(its window scorers then score each row from the rows before it)."
            )
        delayed = [d for d in detectors.values() if d.mode != "causal"]
        if delayed:
            raise CLIError(
                f"{path} holds a StreamingDetector in mode={delayed[0].mode!r}, whose values "
                "belong to earlier rows; 'stream' answers each row as it arrives: fit with "
                "'ecoai-detect fit DATA.csv --streaming' (causal)."
            )
        self.model = model
        self.per_series = None not in detectors
        self.failures = getattr(self, "failures", {})
        self.info = info
        self.freq = _offset(info.get("freq"))
        options = state["alarms"] if state else {}
        self.min_duration = _choose(
            args.min_duration, options.get("min_duration"), DEFAULT_MIN_DURATION
        )
        self.suppression = _choose(
            args.suppression, options.get("suppression"), DEFAULT_SUPPRESSION
        )
        if state and (
            self.min_duration != options.get("min_duration")
            or self.suppression != options.get("suppression")
        ):
            reporter.note(
                "alarm options changed since the state was saved: alarm events start afresh"
            )
            state = {
                **state,
                "series": {k: {**v, "aggregator": None} for k, v in state["series"].items()},
            }
        self.series = {}
        saved = state["series"] if state else {}
        for name, detector in detectors.items():
            key = "" if name is None else str(name)
            aggregator = AlarmAggregator(
                min_duration=self.min_duration, suppression=self.suppression
            )
            entry = saved.get(key, {})
            if entry.get("aggregator") is not None:
                aggregator.set_state(_from_json(entry["aggregator"]))
            last = entry.get("last_time")
            self.series[name] = _Series(
                name,
                detector,
                aggregator,
                None if last is None else pd.Timestamp(last),
                int(entry.get("rows", 0)),
            )
        self.n_rows = 0
        self.n_bad = 0
        self.n_skipped = 0
        self.since_save = 0
        self.first_series = None
        self.events = None
        if self.resumed:
            rows = sum(s.rows for s in self.series.values())
            reporter.say(f"resuming from {args.state}: {rows:,} rows already scored")
        else:
            reporter.say(f"model {args.model}: {self._describe()}")

    def _describe(self):
        one = next(iter(self.series.values())).detector
        what = f"{type(one.detector_).__name__} fitted for streaming, windows {one.window_sizes_}"
        if self.per_series:
            names = quoted(map(str, self.series))
            return f"one detector per series ({len(self.series)}: {names}); {what}"
        return what

    # ------------------------------------------------------------------ header
    def _read_header(self, source):
        line = source.readline()
        if not line:
            raise CLIError(
                f"{self.source_name} is empty: a header line (column names) comes first."
            )
        line = line.lstrip("\ufeff").rstrip("\r\n")
        self.delimiter = self.args.delimiter or _sniff(line)
        names = [name.strip() for name in _fields(line, self.delimiter)]
        if len(set(names)) != len(names) or not all(names):
            raise CLIError(
                f"{self.source_name}: the header line has empty or repeated column names: "
                f"{shorten(line)}."
            )
        self.columns = names
        args, info = self.args, self.info
        time_column = args.time_column
        if time_column is None:
            for candidate in (info.get("time_column"), TIMESTAMP_COLUMN):
                if candidate is not None and candidate in names:
                    time_column = candidate
                    break
        elif time_column not in names:
            raise CLIError(
                f"{self.source_name} has no time column {shorten(time_column)} "
                f"(columns: {quoted(names)})."
            )
        self.time_column = time_column
        self.series_column = SERIES_ID_COLUMN if SERIES_ID_COLUMN in names else None
        if self.per_series and self.series_column is None:
            raise CLIError(
                f"the model holds one detector per series, but {self.source_name} has no "
                f"{SERIES_ID_COLUMN} column to say which series each row belongs to "
                f"(columns: {quoted(names)})."
            )
        label = args.label_column or LABEL_COLUMN
        reserved = {time_column, self.series_column, label}
        expected = info.get("columns")
        any_detector = next(iter(self.series.values())).detector
        if expected is None and getattr(any_detector, "feature_names_in_", None) is not None:
            expected = [str(c) for c in any_detector.feature_names_in_]
        if args.columns is not None:
            values = list(args.columns)
        elif expected is not None:
            values = list(expected)
        else:
            values = [n for n in names if n not in reserved]
        missing = [c for c in values if c not in names]
        if missing:
            raise CLIError(
                f"{self.source_name} has no column {quoted(missing)} (columns: {quoted(names)}); "
                "choose the value columns with --columns."
            )
        n_expected = any_detector.n_features_in_
        if len(values) != n_expected:
            raise CLIError(
                f"the model was fitted on {n_expected} column(s)"
                + (f" ({', '.join(expected)})" if expected else "")
                + f", but {len(values)} were selected in {self.source_name} ({quoted(values)}); "
                "choose them with --columns."
            )
        self.value_columns = values
        self.positions = {name: k for k, name in enumerate(names)}
        self._write_header()

    def _write_header(self):
        if self.resumed:  # the output of a resumed stream continues the earlier one's
            return
        columns = [SERIES_ID_COLUMN] if self.per_series else []
        columns += [
            TIMESTAMP_COLUMN if self.time_column else ROW_COLUMN,
            SCORE_COLUMN,
            LABEL_COLUMN,
        ]
        _write(",".join(columns))

    # ------------------------------------------------------------------ rows
    def follow(self, source):
        self._read_header(source)
        self._source = source
        for number, line in enumerate(iter(source.readline, ""), start=2):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                self._row(text, number)
            except BadLine as exc:
                self.n_bad += 1
                message = f"{self.source_name}, line {number}: {exc}"
                if self.args.stop_on_error:
                    raise CLIError(f"{message} (--stop-on-error)") from None
                self.reporter.note(f"{message}; line skipped")
            self._maybe_save()

    def _row(self, text, number):
        fields = _fields(text, self.delimiter)
        if len(fields) != len(self.columns):
            raise BadLine(f"{len(fields)} field(s) where the header has {len(self.columns)}")
        series = self._series_of(fields)
        values = np.array([self._number(fields, name, number) for name in self.value_columns])
        when = self._time(fields, number) if self.time_column else None
        rows, times = [values], [when]
        if when is not None and series.last_time is not None:
            if series.resume_time is not None and _not_after(when, series.resume_time):
                self.n_skipped += 1  # scored before the restart
                return
            if _not_after(when, series.last_time):
                raise BadLine(
                    f"timestamp {_time_text(when)} is not after the previous reading's "
                    f"({_time_text(series.last_time)})"
                    + ("" if series.name is None else f" in series {series.name}")
                )
            gap = self._missing_steps(when, series.last_time)
            if gap:
                filler = np.full(values.shape, np.nan)
                rows = [filler] * len(gap) + rows
                times = gap + times
        try:
            scores = series.detector.update(np.vstack(rows))
        except ValueError as exc:
            raise BadLine(one_line(exc)) from None
        for value, when in zip(scores, times):
            self._emit(series, float(value), when)

    def _series_of(self, fields):
        if self.series_column is None:
            return self.series[None]
        name = fields[self.positions[self.series_column]].strip()
        if not self.per_series:
            # one detector: the rows of one series only (the first one seen)
            if self.first_series is None:
                self.first_series = name
            if name != self.first_series:
                raise BadLine(
                    f"series {shorten(name)}: the model is one detector, following series "
                    f"{shorten(self.first_series)} (fit one per series with --per-series)"
                )
            return self.series[None]
        if name in self.failures:
            raise BadLine(
                f"series {shorten(name)} has no model: it failed to fit ({self.failures[name]})"
            )
        if name not in self.series:
            raise BadLine(
                f"series {shorten(name)} has no model (the model's series: "
                f"{quoted(map(str, self.series))})"
            )
        return self.series[name]

    def _number(self, fields, name, number):
        text = fields[self.positions[name]]
        try:
            value = parse_numbers(
                pd.Series([text]),
                np.array([number]),
                source="",
                name=name,
                decimal=self.args.decimal,
                options=OPTIONS,
            )[0]
        except ValueError as exc:
            raise BadLine(_field_message(exc)) from None
        return value

    def _time(self, fields, number):
        text = fields[self.positions[self.time_column]]
        try:
            times = parse_timestamps(
                pd.Series([text]), np.array([number]), source="", name=self.time_column
            )
        except ValueError as exc:
            raise BadLine(_field_message(exc)) from None
        return times[0]

    def _missing_steps(self, when, last):
        """Timestamps of the grid between ``last`` and ``when`` (rows the input lacks)."""
        if self.freq is None:
            return []
        steps = (when - last) / self.freq
        if not math.isclose(steps, round(steps)):
            raise BadLine(
                f"timestamp {_time_text(when)} is not on the time grid of the model "
                f"({self.info.get('freq')} steps from {_time_text(last)})"
            )
        return [last + k * self.freq for k in range(1, int(round(steps)))]

    def _emit(self, series, value, when):
        score = -value
        label = int(score > 0)
        series.rows += 1
        self.n_rows += 1
        self.since_save += 1
        position = _time_text(when) if when is not None else str(series.rows - 1)
        if when is not None:
            series.last_time = when
        fields = [] if series.name is None else [series.name]
        fields += [position, f"{score:.6g}", str(label)]
        _write(_csv_line(fields))
        records = series.aggregator.update([-1 if label else 1], [value], index=[position])
        for record in records:
            self._report(series, record)

    # ------------------------------------------------------------------ events
    def _report(self, series, record):
        peak = -record["peak_score"]
        start, end = (
            record.get("start_time", record["start"]),
            record.get("end_time", record["end"]),
        )
        if self.args.events:
            self._events_file().writerow(
                [
                    record["status"],
                    "" if series.name is None else series.name,
                    start,
                    end,
                    record.get("raised_time", record["raised_at"]),
                    record["n_rows"],
                    record["n_flagged"],
                    f"{peak:.6g}",
                ]
            )
            self._events_handle.flush()
            return
        where = "" if series.name is None else f"series {series.name}, "
        if record["status"] == "raised":
            self.reporter.note(
                f"alarm raised: {where}anomalous from {start} to {end} "
                f"({record['n_rows']} rows), peak score {peak:.3g}"
            )
        else:
            self.reporter.note(
                f"alarm closed: {where}from {start} to {end}, {record['n_rows']} rows "
                f"({record['n_flagged']} flagged), peak score {peak:.3g}"
            )

    def _events_file(self):
        if self.events is None:
            path = self.args.events
            new = not os.path.exists(path) or os.path.getsize(path) == 0
            try:
                self._events_handle = open(path, "a", encoding="utf-8", newline="")
            except OSError as exc:
                raise CLIError(f"{path}: cannot write the events: {exc.strerror or exc}.") from exc
            self.events = csv.writer(self._events_handle)
            if new:
                self.events.writerow(EVENT_COLUMNS)
        return self.events

    # ------------------------------------------------------------------ state
    def _maybe_save(self):
        if not self.args.state or self.since_save == 0:
            return
        if self.since_save >= self.args.save_every or not _more_input(self._source):
            self.save()

    def save(self):
        """Write the state file (the detectors, the aggregators and the positions)."""
        from ..persistence import save

        state = {
            "model": {
                key: self.info.get(key) for key in ("columns", "time_column", "freq", "detector")
            },
            "alarms": {"min_duration": self.min_duration, "suppression": self.suppression},
            "series": {
                "" if s.name is None else str(s.name): {
                    "last_time": None if s.last_time is None else s.last_time.isoformat(),
                    "rows": s.rows,
                    "aggregator": _to_json(s.aggregator.get_state()),
                }
                for s in self.series.values()
            },
        }
        metadata = {"written_by": STATE_WRITTEN_BY, "stream_state": state}
        try:
            save(self.model, self.args.state, metadata=metadata)
        except OSError as exc:
            raise CLIError(
                f"{self.args.state}: cannot write the state: {exc.strerror or exc}."
            ) from exc
        self.since_save = 0

    def finish(self):
        """End of input (or of the run): save the state, or close the open events."""
        try:
            if self.args.state:
                if self.since_save or not os.path.exists(self.args.state):
                    self.save()
            else:
                for series in self.series.values():
                    for record in series.aggregator.flush():
                        self._report(series, record)
        finally:
            if self.events is not None:
                self._events_handle.close()
        if self.n_skipped:
            self.reporter.say(f"skipped {self.n_skipped:,} rows scored before the restart")
        self.reporter.say(
            f"{self.n_rows:,} rows scored"
            + (f", {self.n_bad:,} bad line(s) skipped" if self.n_bad else "")
            + (f"; state written to {self.args.state}" if self.args.state else "")
        )


# -------------------------------------------------------------------------- helpers
def _choose(given, saved, default):
    if given is not None:
        return given
    return default if saved is None else saved


def _offset(text):
    if text is None:
        return None
    try:
        return pd.Timedelta(pd.tseries.frequencies.to_offset(text))
    except (TypeError, ValueError):
        return None


def _sniff(header):
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _fields(line, delimiter):
    try:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=False))
    except (csv.Error, StopIteration):
        return []


def _field_message(exc):
    """The parser's message for one field, without its file and line (said before it)."""
    text = one_line(exc)
    text = text.split(": ", 1)[1] if text.startswith(", line") else text
    return text.replace(" (1 such row(s))", "").rstrip(".")


def _not_after(when, last):
    try:
        return when <= last
    except TypeError as exc:  # one with a time zone, one without
        raise BadLine(
            f"timestamp {_time_text(when)} and the previous reading's "
            f"({_time_text(last)}) are not both with a UTC offset"
        ) from exc


def _time_text(when):
    if when.tz is not None:
        return when.isoformat()
    if when.nanosecond == 0 and when.microsecond == 0:
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return str(when)


def _csv_line(fields):
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _write(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _more_input(source):
    """Whether more input is ready to be read now (True when it cannot be told)."""
    try:
        ready, _, _ = select.select([source], [], [], 0)
    except (OSError, ValueError, TypeError, io.UnsupportedOperation):
        return True
    return bool(ready)


def _to_json(value):
    """A state of plain values with NaN as None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _to_json(value.item())
    return value


def _from_json(value):
    """The inverse of :func:`_to_json` for an aggregator state: None peaks are NaN."""
    if isinstance(value, dict):
        return {
            k: (float("nan") if k == "peak" and v is None else _from_json(v))
            for k, v in value.items()
        }
    return value
