"""Momentum iterative FGSM against a reconstruction loss (torch kernel, private).

No scikit-learn code here: :class:`~ecoai_sklearn.augmentation.MIFGSMAugmenter`
validates its input and calls :func:`mifgsm_reconstruction`.
"""

import contextlib

import numpy as np
import torch

# a sample whose gradient vanishes keeps a zero direction instead of 0 / 0 = NaN
_TINY = 1e-30


def reconstruction_errors(module, batch):
    """Per-sample mean squared reconstruction error of a batch ``(n, w, c)``."""
    return torch.mean((module(batch) - batch) ** 2, dim=tuple(range(1, batch.ndim)))


def _normalise(grad, grad_norm):
    if grad_norm is None:
        return grad
    flat = grad.reshape(grad.shape[0], -1)
    if grad_norm == "l1":
        size = flat.abs().sum(dim=1)
    else:
        size = torch.linalg.vector_norm(flat, dim=1)
    return grad / size.clamp_min(_TINY).reshape(-1, *([1] * (grad.ndim - 1)))


def _module_device_dtype(module):
    for tensor in module.parameters():
        return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.float32


@contextlib.contextmanager
def _attack_mode(module, device):
    """Eval mode (dropout off, deterministic), gradients on, training flag restored.

    cuDNN only back-propagates through RNNs in training mode, so it is switched off for
    the attack on CUDA devices; the native kernels compute the same function.
    """
    was_training = module.training
    module.eval()
    cudnn = torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else None
    try:
        # gradients are needed even when the caller runs under no_grad or inference_mode
        with (
            torch.inference_mode(False),
            torch.enable_grad(),
            cudnn or contextlib.nullcontext(),
        ):
            yield
    finally:
        module.train(was_training)


def _attack_batch(module, x0, *, eps, step, n_iter, decay, grad_norm, low, high):
    lower, upper = x0 - eps, x0 + eps
    if low is not None:
        lower, upper = lower.clamp_min(low), upper.clamp_min(low)
    if high is not None:
        lower, upper = lower.clamp_max(high), upper.clamp_max(high)
    x = x0.clone()
    momentum = torch.zeros_like(x0)
    for _ in range(n_iter):
        x.requires_grad_(True)
        # summed over the batch: each sample's gradient is that of its own loss
        loss = reconstruction_errors(module, x).sum()
        (grad,) = torch.autograd.grad(loss, x)
        momentum = decay * momentum + _normalise(grad, grad_norm)
        x = x.detach() + step * torch.sign(momentum)
        x = torch.minimum(torch.maximum(x, lower), upper)
    return x.detach()


def mifgsm_reconstruction(
    module,
    X,
    *,
    eps,
    step,
    n_iter,
    decay=1.0,
    grad_norm="l1",
    low=None,
    high=None,
    batch_size=256,
):
    """Perturb samples to raise an autoencoder's reconstruction error (MI-FGSM).

    For each sample ``x0``, with ``L(x) = mean((module(x) - x) ** 2)`` and ``g0 = 0``::

        g_{t+1} = decay * g_t + grad L(x_t) / ||grad L(x_t)||      (per sample)
        x_{t+1} = clip(x_t + step * sign(g_{t+1}), x0 - eps, x0 + eps)

    then clipped to ``[low, high]``, for ``n_iter`` steps (Dong et al., CVPR 2018).

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch ``(n, w, c)`` to a batch of the same shape. Put in eval
        mode for the attack (its training flag is restored afterwards); its parameters
        are not changed and receive no gradient.
    X : ndarray of shape (n, w, c)
        Samples to perturb (not modified); converted batch by batch to the dtype of
        the module's parameters (float32 for the package's autoencoders).
    eps : float
        L-infinity budget.
    step : float
        Step size (alpha) of each iteration.
    n_iter : int
        Number of iterations.
    decay : float, default=1.0
        Momentum factor (mu).
    grad_norm : {"l1", "l2"} or None, default="l1"
        Per-sample normalisation of the gradient before it enters the momentum.
    low, high : float, ndarray of shape (c,) or None, default=None
        Range of valid values (per channel when arrays).
    batch_size : int, default=256
        Samples attacked at once.

    Returns
    -------
    X_adv : ndarray of shape (n, w, c), in the dtype of the module's parameters
    """
    device, dtype = _module_device_dtype(module)

    def as_bound(value):
        if value is None:
            return None
        return torch.as_tensor(np.asarray(value), dtype=dtype, device=device)

    low_t, high_t = as_bound(low), as_bound(high)
    out = np.empty(X.shape, dtype=torch.empty((), dtype=dtype).numpy().dtype)
    with _attack_mode(module, device):
        for start in range(0, X.shape[0], batch_size):
            part = slice(start, start + batch_size)
            x0 = torch.as_tensor(np.array(X[part]), dtype=dtype, device=device)
            x_adv = _attack_batch(
                module,
                x0,
                eps=eps,
                step=step,
                n_iter=n_iter,
                decay=decay,
                grad_norm=grad_norm,
                low=low_t,
                high=high_t,
            )
            out[part] = x_adv.cpu().numpy()
    return out
