"""Metrics for time-series anomaly detection, and scikit-learn scorers built on them.

Labels follow the package convention: ``y_true`` is 1 (anomaly) / 0 (normal). Predicted
labels may be an outlier detector's -1 (anomaly) / +1 (normal) or 0/1 labels; see the
``pred_convention`` parameter for the rule. Scores are *anomaly* scores, higher = more
anomalous (the negated ``decision_function`` of a scikit-learn outlier detector).

- point-wise: :func:`point_precision_score`, :func:`point_recall_score`,
  :func:`point_f1_score`;
- point-adjusted (optimistic, for comparison with papers): :func:`point_adjust`,
  :func:`point_adjusted_f1_score`;
- event-wise: :func:`event_precision_score`, :func:`event_recall_score`,
  :func:`event_f1_score`;
- on scores: :func:`point_roc_auc_score`, :func:`point_average_precision_score`,
  :func:`vus_pr_score`, :func:`vus_roc_score`, and the oracle :func:`best_f1_score`;
- scorers for ``GridSearchCV`` / ``cross_validate``: :func:`make_anomaly_scorer`,
  :func:`make_anomaly_scorers`, :func:`get_anomaly_scorer_names`.
"""

from ._events import event_f1_score, event_precision_score, event_recall_score
from ._point import (
    point_adjust,
    point_adjusted_f1_score,
    point_f1_score,
    point_precision_score,
    point_recall_score,
)
from ._ranking import best_f1_score, point_average_precision_score, point_roc_auc_score
from ._scorers import get_anomaly_scorer_names, make_anomaly_scorer, make_anomaly_scorers
from ._vus import vus_pr_score, vus_roc_score

__all__ = [
    "best_f1_score",
    "event_f1_score",
    "event_precision_score",
    "event_recall_score",
    "get_anomaly_scorer_names",
    "make_anomaly_scorer",
    "make_anomaly_scorers",
    "point_adjust",
    "point_adjusted_f1_score",
    "point_average_precision_score",
    "point_f1_score",
    "point_precision_score",
    "point_recall_score",
    "point_roc_auc_score",
    "vus_pr_score",
    "vus_roc_score",
]
