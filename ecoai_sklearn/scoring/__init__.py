"""Per-timestamp anomaly features of windows: reconstruction errors and neighbour distances.

:class:`DTWReconstructionScorer` trains an autoencoder (e.g.
:class:`~ecoai_sklearn.neural.CNNGRUAE`) or a PCA on windows from
:class:`~ecoai_sklearn.windowing.FFTWindower` and maps the reconstruction errors
(DTW, MSE, soft-DTW or the model's own score) back onto the timestamps the windows
cover; :class:`KNNWindowScorer` does the same with each window's distance to its
nearest training windows. Both give one feature row per input row, and
``score_samples`` (higher = more normal), so that a windower and a scorer make a
detector of their own.
"""

from ._knn import KNNWindowScorer
from ._scorer import DTWReconstructionScorer

__all__ = ["DTWReconstructionScorer", "KNNWindowScorer"]
