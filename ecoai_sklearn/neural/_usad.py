"""USAD estimator (Audibert et al., KDD 2020)."""

import warnings
from numbers import Real

import torch

from ..utils import Interval
from ._base import _BaseAutoencoder
from ._modules import USADModule
from ._net import _USADNet

__all__ = ["USAD"]

#: how far outside [0, 1] training windows may reach before USAD warns
_UNIT_TOL = 1e-4


class _CappedUSADNet(_USADNet):
    """:class:`_USADNet` whose adversarial weight ``1 - 1/n`` is capped.

    At epoch ``n`` the reconstruction terms weigh ``max(1/n, 1 - max_adversarial_weight)``
    and the adversarial terms the rest; ``max_adversarial_weight=1`` is the paper's
    schedule, bit for bit. The weight of each epoch is recorded in the history as
    ``adversarial_weight``.
    """

    max_adversarial_weight = 1.0  # set by USAD._make_net

    def _epoch_weight(self):
        inv_n = super()._epoch_weight()
        self.history.record("adversarial_weight", min(1.0 - inv_n, self.max_adversarial_weight))
        return max(inv_n, 1.0 - self.max_adversarial_weight)


class USAD(_BaseAutoencoder):
    """UnSupervised Anomaly Detection: one encoder, two decoders, adversarial training.

    An MLP encoder over the flattened window feeds two MLP decoders (``AE1``, ``AE2``;
    see :class:`USADModule`). Each mini-batch runs two phases with two optimizers; with
    ``n`` the epoch number (1-based, counted across warm starts) and
    ``a_n = min(1 - 1/n, max_adversarial_weight)`` the weight of the adversarial terms::

        L1 = (1 - a_n) mse(W, AE1(W)) + a_n mse(W, AE2(AE1(W)))   # encoder + decoder 1
        L2 = (1 - a_n) mse(W, AE2(W)) - a_n mse(W, AE2(AE1(W)))   # encoder + decoder 2

    ``max_adversarial_weight=1`` is the paper's schedule (``a_n = 1 - 1/n``); the default
    0.1 caps it, see the Notes. :meth:`reconstruct` returns ``AE1(W)`` and
    :meth:`score_windows` returns USAD's own score ``alpha * mse(W, AE1(W)) + beta *
    mse(W, AE2(AE1(W)))``. The decoders end with a sigmoid as in the paper: scale the
    windows to [0, 1] (a warning says so otherwise).

    Parameters
    ----------
    alpha : float, default=1.0
        Weight of the ``AE1`` error in :meth:`score_windows`.
    beta : float, default=0.0
        Weight of the ``AE2(AE1)`` error in :meth:`score_windows`. The paper's code uses
        ``alpha = beta = 0.5``, which ranks windows well only while ``AE2`` has not
        saturated (``max_adversarial_weight`` well below 1/2); see the Notes.
    max_adversarial_weight : float in [0, 1], default=0.1
        Cap on the weight ``1 - 1/n`` of the adversarial terms. 1 reproduces the paper's
        losses exactly; 0 drops the adversarial terms (both decoders then learn plain
        reconstruction, still in two phases). The weight of each epoch is in
        ``history_[:, "adversarial_weight"]``.
    max_epochs : int, default=50
        Passes over the training windows per call to :meth:`fit`.
    lr : float, default=3e-3
        Learning rate of both optimizers (the reference code: Adam's default 1e-3).
    batch_size : int, default=32
        Windows per training mini-batch.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Class of both optimizers; other arguments via ``optimizer__<name>``.
    validation_fraction : float or None, default=None
        If set, the last fraction of the windows is held back and training stops when
        the ``AE1`` reconstruction loss on it has not improved for ``n_iter_no_change``
        epochs (best weights restored).
    n_iter_no_change : int, default=5
        Patience of the early stopping (only used with ``validation_fraction``).
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    warm_start : bool, default=False
        If True, a second :meth:`fit` continues training the fitted net (and the epoch
        count ``n``); it takes the new ``max_epochs``, ``lr``, ``batch_size`` and
        ``verbose`` and keeps the other settings of the first fit.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling through local generators
        (thread-safe; bit for bit on CPU).
    device : str or torch.device, default="auto"
        Training and inference device; "auto" picks CUDA when available.
    n_threads : int or None, default=1
        Torch intra-op threads during ``fit`` and inference (see
        :class:`~ecoai_sklearn.neural.CNNGRUAE`).
    verbose : int, default=0
        If positive, print a table of losses per epoch and a progress bar per epoch.
    **kwargs : dict
        Routed parameters: ``module__<name>`` for :class:`USADModule`
        (``hidden_sizes=None`` meaning ``(w*c // 2, w*c // 4)``, ``latent_size=None``
        meaning ``w*c // 8``, ``activation="gelu"`` (the paper: ``"relu"``),
        ``output_activation="sigmoid"``), ``optimizer__<name>``,
        ``callbacks__<name>__<param>``, ``iterator_train__*``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.optimizer_`` trains AE1, ``net_.optimizer2_`` AE2.
    module_ : USADModule
        The trained torch module.
    history_ : skorch.history.History
        ``train_loss`` is ``L1`` and ``train_loss2`` is ``L2`` (per batch and epoch);
        ``adversarial_weight`` is ``a_n`` (per epoch).
    n_iter_ : int
        Epochs trained so far (across warm starts).
    window_length_ : int
        Time steps per window seen in fit.
    n_channels_ : int
        Channels per time step seen in fit.
    input_ndim_ : int
        Rank of the training input (2 or 3).
    n_features_in_ : int
        Same as ``window_length_``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X is a DataFrame with string column names.

    See Also
    --------
    CNNGRUAE : Convolutional-recurrent autoencoder.
    LSTMAE : Stacked LSTM autoencoder.

    Notes
    -----
    Squared norms are means over the window's elements, as in the reference code, so
    scores do not grow with the window. Unlike the reference code, all gradients are
    cleared before each phase (there, decoder 2 kept its phase-1 gradients).

    **Why the adversarial weight is capped.** With a bounded output and ``AE1(W)`` close
    to ``W``, ``L2`` is about ``(1 - 2 a_n) mse(W, AE2(W))``: once ``a_n`` passes 1/2
    (the paper's schedule: from the third epoch on) ``AE2`` is rewarded for the worst
    reconstruction of every window and drives its sigmoid to 0 or 1, where it stays
    (its gradients vanish). ``AE2(AE1(W))`` is then nearly constant and its error
    measures the level of ``W``, and the collapse, passing through the shared encoder,
    leaves ``AE1`` with fewer live units and a worse reconstruction than training
    without adversarial terms; delaying it (a slower schedule, or reconstruction-only
    warm-up epochs) hurts more, not less. Below 1/2 the game stays a game: ``AE2``
    keeps reconstructing, and both ``AE1``'s error and the paper's mixed score rank
    anomalous windows well. ``max_adversarial_weight=1`` trains with the paper's
    losses (its reference code also uses ``module__activation="relu"`` and
    ``lr=1e-3``).

    The hidden activation is GELU rather than the paper's ReLU because at these
    learning rates most ReLU units of the encoder die and never recover. The
    measurements behind these defaults (window ROC AUC against the other autoencoders,
    several seeds, one hypothesis at a time) are in ``benchmarks/RESULTS.md``, from
    ``benchmarks/bench_usad.py``.

    References
    ----------
    J. Audibert, P. Michiardi, F. Guyard, S. Marti, M. A. Zuluaga, "USAD: UnSupervised
    Anomaly Detection on Multivariate Time Series", KDD 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.neural import USAD
    >>> rng = np.random.default_rng(0)
    >>> X = 0.5 + 0.3 * np.sin(np.linspace(0, 6.3, 32)) + 0.03 * rng.normal(size=(256, 32))
    >>> usad = USAD(max_epochs=3, random_state=0).fit(X)
    >>> usad.transform(X).shape
    (256, 4)
    >>> usad.score_windows(X).shape
    (256,)
    """

    _module_class = USADModule
    _net_class = _CappedUSADNet

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "max_adversarial_weight": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        alpha=1.0,
        beta=0.0,
        max_adversarial_weight=0.1,
        max_epochs=50,
        lr=3e-3,
        batch_size=32,
        optimizer=torch.optim.Adam,
        validation_fraction=None,
        n_iter_no_change=5,
        callbacks=None,
        warm_start=False,
        random_state=None,
        device="auto",
        n_threads=1,
        verbose=0,
        **kwargs,
    ):
        self.alpha = alpha
        self.beta = beta
        self.max_adversarial_weight = max_adversarial_weight
        super().__init__(
            max_epochs=max_epochs,
            lr=lr,
            batch_size=batch_size,
            optimizer=optimizer,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            callbacks=callbacks,
            warm_start=warm_start,
            random_state=random_state,
            device=device,
            n_threads=n_threads,
            verbose=verbose,
            **kwargs,
        )

    def _make_net(self, device):
        net = super()._make_net(device)
        net.max_adversarial_weight = float(self.max_adversarial_weight)
        return net

    def _check_training_windows(self, X):
        output = self._routed_params.get("module__output_activation", "sigmoid")
        # a tolerance: MinMaxScaler's output can exceed 1 by a rounding error
        if output == "sigmoid" and (X.min() < -_UNIT_TOL or X.max() > 1 + _UNIT_TOL):
            warnings.warn(
                f"USAD's decoders end with a sigmoid, but the training windows range over "
                f"[{X.min():.3g}, {X.max():.3g}]; values outside [0, 1] cannot be "
                "reconstructed. Scale them first (e.g. MinMaxScaler before windowing).",
                UserWarning,
                stacklevel=5,  # the caller of fit
            )

    def _window_errors(self, module, batch):
        w1 = module(batch)
        w3 = module.decode2(module.encode(w1))
        dims = (1, 2)
        return self.alpha * torch.mean((batch - w1) ** 2, dim=dims) + self.beta * torch.mean(
            (batch - w3) ** 2, dim=dims
        )
