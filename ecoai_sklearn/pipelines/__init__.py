"""Complete anomaly detectors as scikit-learn pipelines and meta-estimators.

Each factory returns an unfitted :class:`~sklearn.pipeline.Pipeline` from a series
``(n_timestamps, n_channels)`` to one decision per timestamp.

- :func:`make_default_detector`: the package's default, an ensemble of window kNN and
  window PCA at two window lengths (:func:`make_ensemble_detector` for other members);
- :func:`make_knn_detector`, :func:`make_pca_detector`: one window scorer each;
- the research detectors: FFT-sized windows, an autoencoder's reconstruction errors
  mapped back onto timestamps, and IsolationForest (:func:`make_fft_cnngru_detector`,
  :func:`make_lstmae_detector`, :func:`make_usad_detector`,
  :func:`make_multiscale_detector`);
- :class:`EnsembleDetector` combines any detectors through their normalised scores;
  :class:`InjectedAnomalySelection` chooses its members without labels;
- :func:`detection_frame` gives any fitted detector's scores, labels and channel
  contributions as a DataFrame indexed like the series, :func:`detection_events` its
  alarm events with the channels that caused them;
- the factories return a :class:`DetectorPipeline`: a Pipeline that also fits on
  several independent runs (``fit(X, groups=...)``) and converts its ``transform``
  output with ``set_output`` before or after ``fit``.
"""

from ._ensemble import EnsembleDetector
from ._factories import (
    make_fft_cnngru_detector,
    make_lstmae_detector,
    make_multiscale_detector,
    make_usad_detector,
)
from ._pipeline import DetectorPipeline
from ._results import detection_events, detection_frame
from ._selection import InjectedAnomalySelection
from ._window_detectors import (
    make_default_detector,
    make_ensemble_detector,
    make_knn_detector,
    make_pca_detector,
)

__all__ = [
    "DetectorPipeline",
    "EnsembleDetector",
    "InjectedAnomalySelection",
    "detection_events",
    "detection_frame",
    "make_default_detector",
    "make_ensemble_detector",
    "make_fft_cnngru_detector",
    "make_knn_detector",
    "make_lstmae_detector",
    "make_multiscale_detector",
    "make_pca_detector",
    "make_usad_detector",
]
