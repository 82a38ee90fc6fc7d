"""Datasets: a synthetic industrial-load generator, loaders for the shared CSV format,
downloaders for public benchmarks, a bundled sample, and :func:`regularize`, which puts
a series on its regular time grid."""

from ._csv import load_series_csv
from ._fetch import NAB_SERIES, fetch_kpi, fetch_lead, fetch_nab, get_data_home, load_sample
from ._regularize import RegularizeReport, regularize
from ._synthetic import ANOMALY_KINDS, make_industrial_load

__all__ = [
    "ANOMALY_KINDS",
    "NAB_SERIES",
    "RegularizeReport",
    "fetch_kpi",
    "fetch_lead",
    "fetch_nab",
    "get_data_home",
    "load_sample",
    "load_series_csv",
    "make_industrial_load",
    "regularize",
]
