"""CNN-GRU and LSTM autoencoder estimators."""

import inspect

from ..utils import Substitution
from ._base import _BaseAutoencoder
from ._modules import CNNGRUModule, LSTMAEModule

__all__ = ["CNNGRUAE", "LSTMAE"]

_TRAINING_PARAMETERS = """\
max_epochs : int, default=20
    Passes over the training windows per call to :meth:`fit`.
lr : float, default=1e-3
    Learning rate of the optimizer.
batch_size : int, default=64
    Windows per training mini-batch.
optimizer : torch optimizer class, default=torch.optim.Adam
    Optimizer; its other arguments are set with ``optimizer__<name>`` keywords.
validation_fraction : float or None, default=None
    If set, the last fraction of the windows (in the given order, so later windows
    of a time series) is held back and training stops when its loss has not improved
    for ``n_iter_no_change`` epochs (skorch ``EarlyStopping``, best weights restored).
n_iter_no_change : int, default=5
    Patience of the early stopping (only used with ``validation_fraction``).
callbacks : list of skorch callbacks or None, default=None
    Extra skorch callbacks (instances or ``(name, callback)`` tuples).
warm_start : bool, default=False
    If True, a second :meth:`fit` continues training the fitted net (module,
    optimizer state, history); it takes the new ``max_epochs``, ``lr``,
    ``batch_size`` and ``verbose`` and keeps the other settings of the first fit.
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, shuffling and dropout through local generators, so
    equal seeds give equal weights, also when fitted in parallel threads (bit for
    bit on CPU; on CUDA see PyTorch's notes on reproducibility).
device : str or torch.device, default="auto"
    Training and inference device; "auto" picks CUDA when available.
n_threads : int or None, default=1
    Torch intra-op threads during ``fit`` and inference (set for the call, restored
    after; torch's setting is process-wide). One thread trains these small models about
    as fast as two on an idle machine and far faster on a machine shared with other
    CPU-bound work (``benchmarks/RESULTS.md``, "Torch threads"). Scores agree across
    thread counts to float rounding, not bit for bit. None leaves torch's setting alone.
verbose : int, default=0
    If positive, print a table of losses per epoch and a progress bar per epoch."""

_FITTED_ATTRIBUTES = """\
history_ : skorch.history.History
    Losses per epoch and per batch.
n_iter_ : int
    Epochs trained so far (across warm starts).
window_length_ : int
    Time steps per window seen in fit.
n_channels_ : int
    Channels per time step seen in fit (1 for 2D input).
input_ndim_ : int
    Rank of the training input (2 or 3); :meth:`inverse_transform` returns this rank.
n_features_in_ : int
    Same as ``window_length_`` (the second axis of X).
feature_names_in_ : ndarray of shape (n_features_in_,)
    Column names, when X is a DataFrame of 2D windows with string column names."""

#: The parameters and fitted attributes both estimators share, written once.
_document = Substitution(
    training_parameters=_TRAINING_PARAMETERS, fitted_attributes=_FITTED_ATTRIBUTES
)


@_document
class CNNGRUAE(_BaseAutoencoder):
    """Convolutional-recurrent (CNN-GRU) autoencoder of windows.

    A GELU ``Conv1d`` encoder extracts local shape, a GRU encodes time into a latent
    vector, and a GRU + ``Conv1d`` decoder rebuilds the window (linear output); see
    :class:`CNNGRUModule`. Trained with the mean squared error against the input, on
    float32 copies of the windows, with shuffled mini-batches and no validation split
    unless ``validation_fraction`` is set.

    Parameters
    ----------
    %(training_parameters)s
    **kwargs : dict
        Routed parameters: ``module__<name>`` for :class:`CNNGRUModule`
        (``conv_channels=(32,)``, ``kernel_size=7``, ``hidden_size=64``,
        ``num_layers=1``, ``latent_size=32``, ``dropout=0.1``, ``activation="gelu"``),
        ``optimizer__<name>``, ``callbacks__<name>__<param>``,
        ``iterator_train__shuffle``/``__batch_size``/``__drop_last``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net.
    module_ : CNNGRUModule
        The trained torch module (``net_.module_``).
    %(fitted_attributes)s

    See Also
    --------
    LSTMAE : Stacked LSTM autoencoder.
    USAD : Adversarially trained two-decoder autoencoder.

    Notes
    -----
    ``score_windows`` returns each window's mean squared reconstruction error. Windows
    must be at least ``module__kernel_size`` steps long.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.neural import CNNGRUAE
    >>> t = np.arange(200 + 24)
    >>> series = np.sin(2 * np.pi * t / 24)
    >>> X = np.lib.stride_tricks.sliding_window_view(series, 24)[:200]
    >>> ae = CNNGRUAE(max_epochs=2, random_state=0, module__hidden_size=16,
    ...               module__latent_size=4).fit(X)
    >>> ae.transform(X).shape
    (200, 4)
    >>> ae.reconstruct(X).shape
    (200, 24)
    >>> ae.score_windows(X).shape
    (200,)
    """

    _module_class = CNNGRUModule

    def _check_window_length(self, window_length):
        kernel_size = self._routed_params.get(
            "module__kernel_size",
            inspect.signature(CNNGRUModule).parameters["kernel_size"].default,
        )
        if isinstance(kernel_size, int) and window_length < kernel_size:
            raise ValueError(
                f"X has {window_length} feature(s) (time steps per window), fewer than "
                f"module__kernel_size={kernel_size} that {type(self).__name__}'s "
                "convolutions need; use longer windows or a smaller module__kernel_size."
            )


@_document
class LSTMAE(_BaseAutoencoder):
    """Stacked LSTM autoencoder of windows.

    An LSTM encoder (sizes ``module__hidden_sizes``, e.g. 64 then 32) compresses the
    window into its last hidden state; the decoder repeats that code over time through
    LSTM layers of the mirrored sizes and a linear layer per step; see
    :class:`LSTMAEModule`. Trained like :class:`CNNGRUAE`.

    Parameters
    ----------
    %(training_parameters)s
    **kwargs : dict
        Routed parameters: ``module__<name>`` for :class:`LSTMAEModule`
        (``hidden_sizes=(64, 32)``, ``latent_size=None``, ``dropout=0.1``),
        ``optimizer__<name>``, ``callbacks__<name>__<param>``, ``iterator_train__*``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net.
    module_ : LSTMAEModule
        The trained torch module.
    %(fitted_attributes)s

    See Also
    --------
    CNNGRUAE : Convolutional-recurrent autoencoder.
    USAD : Adversarially trained two-decoder autoencoder.

    Notes
    -----
    ``score_windows`` returns each window's mean squared reconstruction error.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.neural import LSTMAE
    >>> rng = np.random.default_rng(0)
    >>> X = np.sin(np.linspace(0, 6.3, 16))[None, :, None] + 0.05 * rng.normal(size=(100, 16, 1))
    >>> ae = LSTMAE(max_epochs=2, random_state=0, module__hidden_sizes=(8, 4)).fit(X)
    >>> ae.transform(X).shape
    (100, 4)
    >>> ae.reconstruct(X).shape
    (100, 16, 1)
    """

    _module_class = LSTMAEModule
