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


def evaluation(y_true, scores, labels):
    """Point, event and threshold-free metrics of detections against 0/1 labels."""
    kwargs = {"pred_convention": "binary", "zero_division": 0.0}
    result = {
        "rows": int(y_true.size),
        "labelled_anomalous_rows": int(y_true.sum()),
        "labelled_events": int(runs(y_true)[0].size),
        "predicted_anomalous_rows": int(labels.sum()),
        "predicted_events": int(runs(labels)[0].size),
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
    """The report of :func:`evaluation` as aligned text lines."""

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


def run(args):
    """Run ``ecoai-detect evaluate`` with the parsed ``args``; return the exit code."""
    reporter = Reporter(quiet=args.quiet)
    detector, data, n_history = load_and_read(args, reporter, need_labels=True)
    data, scores, labels = score_rows(detector, data, n_history, reporter)
    result = evaluation(data.labels, scores, labels)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print(format_evaluation(result))
    return 0
