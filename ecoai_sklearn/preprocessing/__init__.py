"""Preprocessing stages for power series: period-aware KNN imputation and differencing."""

from ._differencer import Differencer
from ._imputer import SeriesKNNImputer

__all__ = ["Differencer", "SeriesKNNImputer"]
