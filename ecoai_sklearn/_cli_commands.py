"""The ``fit``, ``predict`` and ``evaluate`` subcommands of ``ecoai-detect``."""

import datetime
import json
import os
import sys

import numpy as np

from ._cli_base import QUICK_EPOCHS, CLIError, one_line
from ._cli_detectors import (
    Reporter,
    build_detector,
    fit_detector,
    history_rows,
    parse_settings,
    score_detector,
)
from ._cli_io import read_series, take, with_history, write_results
from ._cli_model import load_model, save_model

# Fewer rows than this cannot hold two cycles of even a short period: refuse before fitting.
MIN_FIT_ROWS = 16


def _read(args, reporter, *, columns=None, timestamp_column=None, need_labels=False, history=0):
    """Read the data file of ``args``; with ``history``, keep that many rows before --start.

    Returns ``(data, n_history)``: the first ``n_history`` rows are history, to be scored
    (their windows feed the rows after them) but not reported.
    """
    data = read_series(
        args.data,
        timestamp_column=args.timestamp_column or timestamp_column,
        value_columns=args.columns or columns,
        label_column=args.label_column,
        series=args.series,
        need_labels=need_labels,
        delimiter=args.delimiter,
        start=None if history else args.start,
        end=args.end,
    )
    n_history = 0
    if history:
        data, n_history = with_history(data, args.start, history)
    for message in data.warnings:
        reporter.warn(message)
    n_missing = int(data.values.isna().to_numpy().sum())
    reporter.say(
        f"read {data.source}: {data.n_rows:,} rows x {data.values.shape[1]} column(s) "
        f"({', '.join(data.values.columns)})"
        + (f", {n_missing:,} missing value(s)" if n_missing else "")
        + (f", the first {n_history:,} as history before {args.start}" if n_history else "")
    )
    return data, n_history


def run_fit(args, *, progress):
    reporter = Reporter(quiet=args.quiet)
    settings = parse_settings(args.set)
    detector = build_detector(
        args.detector,
        random_state=args.random_state,
        settings=settings,
        epochs=QUICK_EPOCHS if args.quick else args.epochs,
    )
    data, _ = _read(args, reporter, need_labels=args.use_labels)
    if data.n_rows < MIN_FIT_ROWS:
        raise CLIError(
            f"{data.source} is too short to fit a detector: {data.n_rows} rows; at least "
            f"{MIN_FIT_ROWS} are needed, and in practice several cycles (days) of readings."
        )
    shape = f"{data.n_rows:,} rows x {data.values.shape[1]} channel(s)"
    with reporter.stage(f"fitting {args.detector} on {shape}"):
        try:
            y = data.labels if args.use_labels else None
            fit_detector(detector, data.values, y, progress=progress)
        except (ValueError, TypeError) as exc:
            raise CLIError(
                f"cannot fit {args.detector} on {data.source} ({shape}): {one_line(exc)}"
            ) from exc
    info = {
        "detector": args.detector,
        "settings": {key: repr(value) for key, value in settings.items()},
        "random_state": args.random_state,
        "epochs": QUICK_EPOCHS if args.quick else args.epochs,
        "used_labels": bool(args.use_labels),
        "columns": list(data.values.columns),
        "timestamp_column": None if data.timestamps is None else data.timestamps.name,
        "trained_on": os.path.basename(data.source),
        "n_rows": data.n_rows,
        "first_timestamp": None if data.timestamps is None else str(data.timestamps[0]),
        "last_timestamp": None if data.timestamps is None else str(data.timestamps[-1]),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    save_model(args.out, detector, info=info)
    reporter.say(f"model written to {args.out}")
    return 0


def _load_and_read(args, reporter, *, need_labels=False):
    detector, header = load_model(args.model)
    info = header.get("info", {})
    reporter.say(
        f"model {args.model}: {info.get('detector')} fitted on {info.get('trained_on')} "
        f"({info.get('n_rows')} rows), ecoai_sklearn {header.get('ecoai_sklearn_version')}"
    )
    from . import __version__

    if header.get("ecoai_sklearn_version") != __version__:
        reporter.warn(
            f"{args.model} was written by ecoai_sklearn {header.get('ecoai_sklearn_version')}, "
            f"this is {__version__}; results may differ."
        )
    columns = info.get("columns")
    use_history = args.start is not None and args.history
    data, n_history = _read(
        args,
        reporter,
        columns=columns if args.columns is None else None,
        timestamp_column=_existing(args, info.get("timestamp_column")),
        need_labels=need_labels,
        history=history_rows(detector) if use_history else 0,
    )
    if columns is not None and data.values.shape[1] != len(columns):
        raise CLIError(
            f"the model was fitted on {len(columns)} column(s) ({', '.join(columns)}), but "
            f"{data.values.shape[1]} were selected in {data.source}."
        )
    if columns is not None and args.columns is not None:
        # same count, other names: feed the model under the names it knows
        data.values.columns = columns
    return detector, data, n_history


def _existing(args, name):
    """The model's timestamp column, if the data file has it (else rows are numbered)."""
    if name is None or args.timestamp_column is not None:
        return None
    import pandas as pd

    try:
        header = pd.read_csv(args.data, nrows=0, sep=args.delimiter).columns
    except Exception:  # the full read reports the problem with the file
        return None
    return name if name in header else None


def _score(detector, data, n_history, reporter):
    """Scores and labels of the rows after the history, and those rows' data."""
    shape = f"{data.n_rows:,} rows"
    with reporter.stage(f"scoring {shape}"):
        try:
            scores, labels = score_detector(detector, data.values)
        except (ValueError, TypeError) as exc:
            raise CLIError(f"cannot score {data.source} ({shape}): {one_line(exc)}") from exc
    rows = slice(n_history, None)
    return take(data, rows), scores[rows], labels[rows]


def run_predict(args):
    reporter = Reporter(quiet=args.quiet)
    detector, data, n_history = _load_and_read(args, reporter)
    data, scores, labels = _score(detector, data, n_history, reporter)
    write_results(args.out, data, scores, labels)
    n = int(labels.sum())
    reporter.say(
        f"{n:,} of {data.n_rows:,} rows flagged anomalous ({100.0 * n / data.n_rows:.2f} %)"
        + ("" if args.out == "-" else f"; results written to {args.out}")
    )
    return 0


def evaluation(y_true, scores, labels):
    """Point, event and threshold-free metrics of detections against 0/1 labels."""
    from .metrics import (
        event_f1_score,
        event_precision_score,
        event_recall_score,
        point_average_precision_score,
        point_f1_score,
        point_precision_score,
        point_recall_score,
        point_roc_auc_score,
    )
    from .plotting._utils import runs

    kwargs = {"pred_convention": "binary", "zero_division": 0.0}
    result = {
        "rows": int(y_true.size),
        "labelled_anomalous_rows": int(y_true.sum()),
        "labelled_events": int(len(runs(y_true.astype(bool))[0])),
        "predicted_anomalous_rows": int(labels.sum()),
        "predicted_events": int(len(runs(labels.astype(bool))[0])),
        "point_precision": point_precision_score(y_true, labels, **kwargs),
        "point_recall": point_recall_score(y_true, labels, **kwargs),
        "point_f1": point_f1_score(y_true, labels, **kwargs),
        "event_precision": event_precision_score(y_true, labels, **kwargs),
        "event_recall": event_recall_score(y_true, labels, **kwargs),
        "event_f1": event_f1_score(y_true, labels, **kwargs),
        "roc_auc": None,
        "average_precision": None,
    }
    if 0 < y_true.sum() < y_true.size:
        result["roc_auc"] = point_roc_auc_score(y_true, scores)
        result["average_precision"] = point_average_precision_score(y_true, scores)
    return {k: float(v) if isinstance(v, np.floating) else v for k, v in result.items()}


def format_evaluation(result):
    def number(value):
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        f"rows               {result['rows']:,}",
        f"labelled anomalies {result['labelled_anomalous_rows']:,} rows in "
        f"{result['labelled_events']} event(s)",
        f"detected           {result['predicted_anomalous_rows']:,} rows in "
        f"{result['predicted_events']} event(s)",
        "                   precision  recall  F1",
        f"point-wise         {number(result['point_precision']):>9}  "
        f"{number(result['point_recall']):>6}  {number(result['point_f1'])}",
        f"event-wise         {number(result['event_precision']):>9}  "
        f"{number(result['event_recall']):>6}  {number(result['event_f1'])}",
        f"ROC AUC {number(result['roc_auc'])}, average precision "
        f"{number(result['average_precision'])} (threshold-free, from the scores)",
    ]
    return "\n".join(lines)


def run_evaluate(args):
    reporter = Reporter(quiet=args.quiet)
    detector, data, n_history = _load_and_read(args, reporter, need_labels=True)
    data, scores, labels = _score(detector, data, n_history, reporter)
    result = evaluation(data.labels, scores, labels)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print(format_evaluation(result))
    return 0
