"""The ``evaluate`` subcommand: compare a saved model's detections with a label column.

Also the metrics report of ``demo``.
"""

import json
import sys

import numpy as np

from ..metrics import (
    event_f1_score,
    event_precision_score,
    event_recall_score,
    point_average_precision_score,
    point_f1_score,
    point_precision_score,
    point_recall_score,
    point_roc_auc_score,
)
from ..utils import runs
from ._apply import load_and_read, score_rows
from ._base import Reporter
from ._threads import ThreadLimit


def evaluation(y_true, scores, labels, *, segments=None):
    """Point, event and threshold-free metrics of detections against 0/1 labels.

    ``segments`` are the lengths of consecutive stretches of the arrays that are not
    contiguous in time (several runs, rows on both sides of a gap): an event never
    continues from one into the next.
    """
    kwargs = {"pred_convention": "binary", "zero_division": 0.0}
    true_events, predicted_events = _separated(y_true, segments), _separated(labels, segments)
    result = {
        "rows": int(y_true.size),
        "labelled_anomalous_rows": int(y_true.sum()),
        "labelled_events": int(runs(true_events)[0].size),
        "predicted_anomalous_rows": int(labels.sum()),
        "predicted_events": int(runs(predicted_events)[0].size),
        "point_precision": point_precision_score(y_true, labels, **kwargs),
        "point_recall": point_recall_score(y_true, labels, **kwargs),
        "point_f1": point_f1_score(y_true, labels, **kwargs),
        "event_precision": event_precision_score(true_events, predicted_events, **kwargs),
        "event_recall": event_recall_score(true_events, predicted_events, **kwargs),
        "event_f1": event_f1_score(true_events, predicted_events, **kwargs),
        "roc_auc": None,
        "average_precision": None,
    }
    if 0 < y_true.sum() < y_true.size:
        result["roc_auc"] = point_roc_auc_score(y_true, scores)
        result["average_precision"] = point_average_precision_score(y_true, scores)
    return {k: float(v) if isinstance(v, np.floating) else v for k, v in result.items()}


def _separated(values, segments):
    """``values`` with a 0 between consecutive segments, so that no run of 1 spans two."""
    values = np.asarray(values).astype(np.int64)
    if segments is None or len(segments) < 2:
        return values
    bounds = np.cumsum(segments)[:-1]
    return np.insert(values, bounds, 0)


def judged_rows(data):
    """Stretches of the rows a file really had: inserted rows (a gap) are not judged."""
    keep = ~data.inserted
    starts, stops = runs(keep)
    return keep, list(stops - starts)


def format_evaluation(result):
    """The report of :func:`evaluation` as aligned text lines."""

    def number(value):
        return "n/a" if value is None else f"{value:.3f}"

    rows = f"{result['rows']:,}"
    if result.get("runs"):
        rows += f" in {result['runs']} runs"
    if result.get("inserted_rows_not_judged"):
        rows += f" (and {result['inserted_rows_not_judged']:,} rows inserted in gaps, not judged)"
    lines = [
        f"rows               {rows}",
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


def run(args):
    """Run ``ecoai-detect evaluate`` with the parsed ``args``; return the exit code.

    Each run of the file is scored on its own; the metrics pool the rows of all runs
    (events never span two runs). Rows inserted in a gap of the file are scored (their
    windows need them) but not judged: the file has no label for them.
    """
    reporter = Reporter(quiet=args.quiet)
    with ThreadLimit(args.threads) as threads:
        detector, loaded = load_and_read(args, reporter, threads, need_labels=True)
        scored = [score_rows(detector, data, n_history, reporter) for data, n_history in loaded]
    parts, segments = [], []
    for data, scores, labels in scored:
        keep, lengths = judged_rows(data)
        parts.append((data.labels[keep], scores[keep], labels[keep]))
        segments += lengths
    y_true, scores, labels = (np.concatenate(column) for column in zip(*parts))
    result = evaluation(y_true, scores, labels, segments=segments)
    n_inserted = int(sum(data.inserted.sum() for data, _, _ in scored))
    if len(scored) > 1:
        result["runs"] = len(scored)
    if n_inserted:
        result["inserted_rows_not_judged"] = n_inserted
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print(format_evaluation(result))
    return 0
