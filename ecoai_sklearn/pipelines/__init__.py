"""Complete anomaly detectors as scikit-learn pipelines.

Each factory returns an unfitted :class:`~sklearn.pipeline.Pipeline` from a series
``(n_timestamps, n_channels)`` to one decision per timestamp: imputation, optional
differencing, scaling, FFT-sized windows, an autoencoder's reconstruction errors mapped
back onto timestamps, and a final outlier detector.
"""

from ._factories import (
    make_fft_cnngru_detector,
    make_lstmae_detector,
    make_multiscale_detector,
    make_usad_detector,
)

__all__ = [
    "make_fft_cnngru_detector",
    "make_lstmae_detector",
    "make_multiscale_detector",
    "make_usad_detector",
]
