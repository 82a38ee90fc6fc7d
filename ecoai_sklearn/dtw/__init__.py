"""Paired dynamic time warping (DTW) for reconstruction errors.

:func:`paired_dtw` computes the DTW between ``X[i]`` and ``Y[i]`` for every row ``i``
(a window and its reconstruction), univariate or multivariate, with an optional
Sakoe-Chiba band and per-timestamp path costs. The numba kernel is compiled on the
first call, not at import.
"""

from ._paired import paired_dtw

__all__ = ["paired_dtw"]
