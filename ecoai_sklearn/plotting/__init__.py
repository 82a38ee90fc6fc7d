"""Plots of detectors and series (matplotlib, optional extra ``plot``).

:class:`AnomalyDisplay` draws a series with its anomaly score, the threshold, the true and
predicted anomalies and, for multi-scale detectors, one error panel per window size;
:class:`PeriodogramDisplay` draws the FFT amplitude spectrum with the periods chosen as
window sizes. Both follow scikit-learn's ``Display`` API (``from_estimator``,
``from_predictions`` / ``from_series``, ``plot``, ``figure_`` and ``ax_``).

matplotlib is imported only when a plot is drawn: ``pip install ecoai_sklearn[plot]``.
"""

from ._anomaly_display import AnomalyDisplay
from ._periodogram_display import PeriodogramDisplay

__all__ = ["AnomalyDisplay", "PeriodogramDisplay"]
