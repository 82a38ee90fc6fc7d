"""Datasets: a synthetic industrial-load generator and loaders for the shared CSV format."""

from ._synthetic import ANOMALY_KINDS, make_industrial_load

__all__ = ["ANOMALY_KINDS", "make_industrial_load"]
