"""Data augmentation for anomaly detection: adversarial copies of normal samples.

:class:`MIFGSMAugmenter` is a fit-only sampler (``fit_resample``) that perturbs normal
samples or windows by momentum iterative FGSM against an autoencoder's reconstruction
loss, giving hard synthetic anomalies (``label=1``) or adversarial training copies
(``label=0``).
"""

from ._mifgsm import MIFGSMAugmenter

__all__ = ["MIFGSMAugmenter"]
