"""Reconstruction-error features of windows, per timestamp or per sample.

:class:`DTWReconstructionScorer` trains an autoencoder (e.g.
:class:`~ecoai_sklearn.neural.CNNGRUAE`) on windows from
:class:`~ecoai_sklearn.windowing.FFTWindower` and maps the reconstruction errors
(DTW, MSE, soft-DTW or the model's own score) back onto the timestamps the windows
cover, one feature row per input row.
"""

from ._scorer import DTWReconstructionScorer

__all__ = ["DTWReconstructionScorer"]
