"""Thresholds that turn per-column scores into anomaly decisions.

:class:`WeightedZScoreThresholder` is an outlier detector with one Z-score threshold per
column (usage category or error feature), derived from the columns' shares of the total
(the weighted-average expected ratio rule, :func:`weighted_ratio_thresholds`), given, or
tuned on labelled training rows.
"""

from ._derivation import weighted_ratio_thresholds
from ._weighted_zscore import WeightedZScoreThresholder

__all__ = ["WeightedZScoreThresholder", "weighted_ratio_thresholds"]
