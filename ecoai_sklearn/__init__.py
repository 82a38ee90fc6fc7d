"""Anomaly detection for industrial electric-power time series, the scikit-learn way.

Every stage of the research pipeline (imputation, differencing, FFT-chosen windows,
autoencoders, DTW reconstruction error, thresholds, adversarial augmentation) is a
scikit-learn estimator; full detectors are ordinary :class:`~sklearn.pipeline.Pipeline`
objects built by the factories in :mod:`ecoai_sklearn.pipelines`.

The main estimators are importable from the package itself. They are loaded lazily, so
``import ecoai_sklearn`` stays cheap and does not import torch until a neural estimator
is asked for.
"""

import importlib

__version__ = "0.1.0.dev0"

# public name -> submodule that defines it
_LAZY_ATTRIBUTES = {
    "SeriesKNNImputer": "preprocessing",
    "Differencer": "preprocessing",
    "FFTWindower": "windowing",
    "find_periods": "windowing",
    "CNNGRUAE": "neural",
    "LSTMAE": "neural",
    "USAD": "neural",
    "paired_dtw": "dtw",
    "DTWReconstructionScorer": "scoring",
    "WeightedZScoreThresholder": "thresholding",
    "MIFGSMAugmenter": "augmentation",
    "make_anomaly_scorer": "metrics",
}

_SUBMODULES = [
    "augmentation",
    "datasets",
    "dtw",
    "fleet",
    "metrics",
    "neural",
    "persistence",
    "pipelines",
    "plotting",
    "preprocessing",
    "scoring",
    "streaming",
    "thresholding",
    "windowing",
]

__all__ = sorted(_LAZY_ATTRIBUTES) + _SUBMODULES + ["__version__"]


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        module = importlib.import_module(f"{__name__}.{_LAZY_ATTRIBUTES[name]}")
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
