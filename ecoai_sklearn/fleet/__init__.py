"""Many series at once: one detector per series of a long DataFrame.

:class:`PerSeriesDetector` fits one clone of any detector per series (per meter, per
company) in parallel through joblib, so ``with joblib.parallel_config(backend="dask"):``
spreads the series over a ``dask.distributed`` cluster; its ``predict``,
``score_samples`` and ``decision_function`` answer row by row, aligned with the input.
"""

from ._per_series import PerSeriesDetector

__all__ = ["PerSeriesDetector"]
