"""Datasets: a synthetic industrial-load generator and loaders for the shared CSV format."""

from ._csv import load_series_csv
from ._synthetic import ANOMALY_KINDS, make_industrial_load

__all__ = ["ANOMALY_KINDS", "load_series_csv", "make_industrial_load"]
