"""Autoencoders of windows: torch modules and their scikit-learn (skorch) estimators.

Estimators: :class:`CNNGRUAE`, :class:`LSTMAE` and :class:`USAD`. All take windows as 3D
``(n_samples, window, n_channels)`` or 2D ``(n_samples, window)`` arrays of independent
samples, and share the same inference methods: ``transform`` (latent codes),
``inverse_transform``, ``reconstruct``, ``score_windows`` (per-window anomaly score,
higher = more anomalous) and ``score`` (negative mean reconstruction error).

The bare torch modules (:class:`CNNGRUModule`, :class:`LSTMAEModule`,
:class:`USADModule`) and the seeded initialiser :func:`reset_parameters` are public for
custom training loops.
"""

from ._estimators import CNNGRUAE, LSTMAE
from ._modules import CNNGRUModule, LSTMAEModule, USADModule, reset_parameters
from ._usad import USAD

__all__ = [
    "CNNGRUAE",
    "LSTMAE",
    "USAD",
    "CNNGRUModule",
    "LSTMAEModule",
    "USADModule",
    "reset_parameters",
]
