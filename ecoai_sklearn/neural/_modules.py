"""Torch modules of the autoencoders (no scikit-learn code here).

Every module maps a batch of windows ``(batch, window_length, n_channels)`` to a batch of
the same shape, and exposes ``encode`` (windows -> latent codes ``(batch, latent_size)``)
and ``decode`` (codes -> windows). Randomness is local: weights are (re)initialised from a
``torch.Generator`` by :func:`reset_parameters`, and dropout masks come from a generator
attached with :meth:`set_dropout_generator`, so two models trained at the same time in two
threads of one process never share torch's global random stream.
"""

import math

import torch
from torch import nn

from ..utils import check_positive_int

__all__ = ["CNNGRUModule", "LSTMAEModule", "USADModule", "reset_parameters"]

_ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "silu": nn.SiLU,
    "identity": nn.Identity,
}


def _make_activation(name):
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}.")
    return _ACTIVATIONS[name]()


def _check_dropout(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {p!r}.")
    return float(p)


def _check_sizes(sizes, name, *, allow_empty=False):
    if isinstance(sizes, (int,)) and not isinstance(sizes, bool):
        sizes = (sizes,)
    if not isinstance(sizes, (tuple, list)) or (not sizes and not allow_empty):
        raise ValueError(f"{name} must be an int or a non-empty tuple of ints, got {sizes!r}.")
    return tuple(check_positive_int(size, name) for size in sizes)


class LocalDropout(nn.Module):
    """Inverted dropout whose masks are drawn from a module-local generator.

    ``torch.nn.Dropout`` draws from torch's process-wide generator, which joblib threads
    share; this one draws from ``self.generator`` when it is set (the estimators attach a
    seeded generator for the duration of ``fit``) and from the global one otherwise.

    Parameters
    ----------
    p : float
        Probability of zeroing an element, in [0, 1).
    """

    def __init__(self, p):
        super().__init__()
        self.p = _check_dropout(p)
        self.generator = None

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return x * mask.div_(keep)

    def __getstate__(self):
        # a generator is a training-time handle, never part of a saved model
        state = self.__dict__.copy()
        state["generator"] = None
        return state

    def extra_repr(self):
        return f"p={self.p}"


class _RecurrentStack(nn.Module):
    """Single-layer GRUs/LSTMs stacked with :class:`LocalDropout` between them.

    ``nn.GRU(num_layers > 1, dropout=p)`` would draw its inter-layer masks from the
    global generator, hence the explicit stack.
    """

    def __init__(self, cell, input_size, hidden_sizes, dropout):
        super().__init__()
        layers, drops = [], []
        for i, size in enumerate(hidden_sizes):
            layers.append(cell(input_size, size, batch_first=True))
            if i < len(hidden_sizes) - 1:
                drops.append(LocalDropout(dropout))
            input_size = size
        self.layers = nn.ModuleList(layers)
        self.dropouts = nn.ModuleList(drops)

    def forward(self, x):
        """Return the output sequence of the last layer and its final hidden state."""
        for i, layer in enumerate(self.layers):
            x, state = layer(x)
            if i < len(self.dropouts):
                x = self.dropouts[i](x)
        hidden = state[0] if isinstance(state, tuple) else state
        return x, hidden[-1]


class _AutoencoderModule(nn.Module):
    """Shared helpers: dropout generator plumbing and a default ``forward``."""

    def set_dropout_generator(self, generator):
        """Attach ``generator`` (or ``None``) to every :class:`LocalDropout` inside."""
        for module in self.modules():
            if isinstance(module, LocalDropout):
                module.generator = generator
        return self

    def forward(self, x):
        return self.decode(self.encode(x))


def _check_shape_args(n_channels, window_length):
    return (
        check_positive_int(n_channels, "n_channels"),
        check_positive_int(window_length, "window_length"),
    )


class CNNGRUModule(_AutoencoderModule):
    """Convolutional-recurrent autoencoder over windows ``(batch, time, channels)``.

    Encoder: ``Conv1d`` layers (``same`` padding, activation, dropout) extract local
    shape, a GRU encodes time and its last hidden state is projected to the latent code.
    Decoder: the code repeated over time feeds a GRU whose output sequence goes through
    mirrored ``Conv1d`` layers and a last linear ``Conv1d`` back to ``n_channels``.

    Parameters
    ----------
    n_channels : int
        Channels per time step of the windows.
    window_length : int
        Time steps per window; must be at least ``kernel_size``.
    conv_channels : int or tuple of int, default=(32,)
        Output channels of each encoder convolution (its length is the depth).
    kernel_size : int, default=7
        Kernel of every convolution.
    hidden_size : int, default=64
        Hidden size of the encoder and decoder GRUs.
    num_layers : int, default=1
        Stacked GRU layers in the encoder and in the decoder.
    latent_size : int, default=32
        Size of the latent code.
    dropout : float, default=0.1
        Dropout after each hidden convolution and between stacked GRU layers.
    activation : str, default="gelu"
        Activation after each hidden convolution: one of "gelu", "relu", "tanh",
        "elu", "leaky_relu", "silu", "identity".

    Examples
    --------
    >>> import torch
    >>> from ecoai_sklearn.neural import CNNGRUModule
    >>> module = CNNGRUModule(n_channels=2, window_length=16, latent_size=4)
    >>> module(torch.zeros(3, 16, 2)).shape
    torch.Size([3, 16, 2])
    >>> module.encode(torch.zeros(3, 16, 2)).shape
    torch.Size([3, 4])
    """

    def __init__(
        self,
        n_channels,
        window_length,
        *,
        conv_channels=(32,),
        kernel_size=7,
        hidden_size=64,
        num_layers=1,
        latent_size=32,
        dropout=0.1,
        activation="gelu",
    ):
        super().__init__()
        n_channels, window_length = _check_shape_args(n_channels, window_length)
        conv_channels = _check_sizes(conv_channels, "conv_channels")
        kernel_size = check_positive_int(kernel_size, "kernel_size")
        hidden_size = check_positive_int(hidden_size, "hidden_size")
        num_layers = check_positive_int(num_layers, "num_layers")
        self.latent_size = check_positive_int(latent_size, "latent_size")
        dropout = _check_dropout(dropout)
        _make_activation(activation)
        if window_length < kernel_size:
            raise ValueError(
                f"windows of {window_length} time step(s) are shorter than "
                f"kernel_size={kernel_size}; use longer windows or a smaller kernel_size."
            )
        self.window_length = window_length

        layers, in_ch = [], n_channels
        for out_ch in conv_channels:
            layers += [
                nn.Conv1d(in_ch, out_ch, kernel_size, padding="same"),
                _make_activation(activation),
                LocalDropout(dropout),
            ]
            in_ch = out_ch
        self.encoder_conv = nn.Sequential(*layers)
        self.encoder_rnn = _RecurrentStack(nn.GRU, in_ch, [hidden_size] * num_layers, dropout)
        self.to_latent = nn.Linear(hidden_size, self.latent_size)

        self.decoder_rnn = _RecurrentStack(
            nn.GRU, self.latent_size, [hidden_size] * num_layers, dropout
        )
        layers, in_ch = [], hidden_size
        for out_ch in reversed(conv_channels[:-1]):
            layers += [
                nn.Conv1d(in_ch, out_ch, kernel_size, padding="same"),
                _make_activation(activation),
                LocalDropout(dropout),
            ]
            in_ch = out_ch
        layers.append(nn.Conv1d(in_ch, n_channels, kernel_size, padding="same"))
        self.decoder_conv = nn.Sequential(*layers)

    def encode(self, x):
        """Windows ``(batch, time, channels)`` -> codes ``(batch, latent_size)``."""
        h = self.encoder_conv(x.transpose(1, 2)).transpose(1, 2)
        _, last = self.encoder_rnn(h)
        return self.to_latent(last)

    def decode(self, z):
        """Codes ``(batch, latent_size)`` -> windows ``(batch, time, channels)``."""
        seq = z.unsqueeze(1).expand(-1, self.window_length, -1).contiguous()
        out, _ = self.decoder_rnn(seq)
        return self.decoder_conv(out.transpose(1, 2)).transpose(1, 2)


class LSTMAEModule(_AutoencoderModule):
    """Stacked LSTM autoencoder over windows ``(batch, time, channels)``.

    The encoder's last hidden state (optionally projected to ``latent_size``) is the
    code; the decoder repeats it over time through LSTM layers of the mirrored sizes and
    a linear layer per time step.

    Parameters
    ----------
    n_channels : int
        Channels per time step of the windows.
    window_length : int
        Time steps per window.
    hidden_sizes : int or tuple of int, default=(64, 32)
        Hidden size of each encoder LSTM layer; the decoder uses them reversed.
    latent_size : int or None, default=None
        Size of the code; None uses the last encoder hidden state as the code.
    dropout : float, default=0.1
        Dropout between stacked LSTM layers.

    Examples
    --------
    >>> import torch
    >>> from ecoai_sklearn.neural import LSTMAEModule
    >>> module = LSTMAEModule(n_channels=1, window_length=24, hidden_sizes=(8, 4))
    >>> module(torch.zeros(5, 24, 1)).shape
    torch.Size([5, 24, 1])
    >>> module.latent_size
    4
    """

    def __init__(
        self, n_channels, window_length, *, hidden_sizes=(64, 32), latent_size=None, dropout=0.1
    ):
        super().__init__()
        n_channels, window_length = _check_shape_args(n_channels, window_length)
        hidden_sizes = _check_sizes(hidden_sizes, "hidden_sizes")
        dropout = _check_dropout(dropout)
        self.window_length = window_length
        self.encoder_rnn = _RecurrentStack(nn.LSTM, n_channels, hidden_sizes, dropout)
        if latent_size is None:
            self.latent_size = hidden_sizes[-1]
            self.to_latent = nn.Identity()
        else:
            self.latent_size = check_positive_int(latent_size, "latent_size")
            self.to_latent = nn.Linear(hidden_sizes[-1], self.latent_size)
        self.decoder_rnn = _RecurrentStack(nn.LSTM, self.latent_size, hidden_sizes[::-1], dropout)
        self.output = nn.Linear(hidden_sizes[0], n_channels)

    def encode(self, x):
        """Windows ``(batch, time, channels)`` -> codes ``(batch, latent_size)``."""
        _, last = self.encoder_rnn(x)
        return self.to_latent(last)

    def decode(self, z):
        """Codes ``(batch, latent_size)`` -> windows ``(batch, time, channels)``."""
        seq = z.unsqueeze(1).expand(-1, self.window_length, -1).contiguous()
        out, _ = self.decoder_rnn(seq)
        return self.output(out)


def _mlp(sizes, activation, last_activation):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        layers.append(_make_activation(activation if i < len(sizes) - 2 else last_activation))
    return nn.Sequential(*layers)


class USADModule(_AutoencoderModule):
    """USAD: one MLP encoder and two MLP decoders over the flattened window.

    As in the reference implementation of Audibert et al. (2020), every encoder layer
    (the code included) is followed by the activation and the decoders end with a
    sigmoid, so windows are expected in [0, 1] (e.g. after a ``MinMaxScaler``). The
    sigmoid matters: with a linear output the adversarial phase drives the second
    decoder's error ``mse(W, AE2(AE1(W)))`` up without bound while ``AE1`` stops
    learning; bounded, it saturates instead.

    The hidden activation defaults to GELU where the reference code uses ReLU
    (``activation="relu"``): trained at the learning rates of the other autoencoders,
    most ReLU units of the encoder die (output 0 for every window) and never recover,
    all the more when the adversarial phase shakes the shared encoder.

    Parameters
    ----------
    n_channels : int
        Channels per time step of the windows.
    window_length : int
        Time steps per window; the MLP input has ``d = window_length * n_channels`` units.
    hidden_sizes : tuple of int or None, default=None
        Encoder hidden sizes (decoders mirror them); None means ``(d // 2, d // 4)``
        (at least 1 each), the paper's layout.
    latent_size : int or None, default=None
        Size of the code; None means ``max(1, d // 8)``.
    activation : str, default="gelu"
        Activation of the hidden layers and of the code ("relu" in the paper).
    output_activation : str, default="sigmoid"
        Activation of the decoders' last layer ("identity" for a linear output).

    Examples
    --------
    >>> import torch
    >>> from ecoai_sklearn.neural import USADModule
    >>> module = USADModule(n_channels=1, window_length=32)
    >>> [layer.out_features for layer in module.encoder if hasattr(layer, "out_features")]
    [16, 8, 4]
    >>> w1, w2, w3 = module.usad_outputs(torch.zeros(2, 32, 1))
    >>> w3.shape
    torch.Size([2, 32, 1])
    """

    def __init__(
        self,
        n_channels,
        window_length,
        *,
        hidden_sizes=None,
        latent_size=None,
        activation="gelu",
        output_activation="sigmoid",
    ):
        super().__init__()
        n_channels, window_length = _check_shape_args(n_channels, window_length)
        d = n_channels * window_length
        if hidden_sizes is None:
            hidden_sizes = (max(1, d // 2), max(1, d // 4))
        hidden_sizes = _check_sizes(hidden_sizes, "hidden_sizes")
        if latent_size is None:
            latent_size = max(1, d // 8)
        self.latent_size = check_positive_int(latent_size, "latent_size")
        self.window_shape = (window_length, n_channels)
        sizes = (d, *hidden_sizes, self.latent_size)
        self.encoder = _mlp(sizes, activation, activation)
        self.decoder1 = _mlp(sizes[::-1], activation, output_activation)
        self.decoder2 = _mlp(sizes[::-1], activation, output_activation)

    def encode(self, x):
        """Windows ``(batch, time, channels)`` -> codes ``(batch, latent_size)``."""
        return self.encoder(x.reshape(x.shape[0], -1))

    def decode(self, z):
        """Codes -> windows through the first decoder (AE1)."""
        return self.decoder1(z).reshape(z.shape[0], *self.window_shape)

    def decode2(self, z):
        """Codes -> windows through the second decoder (AE2)."""
        return self.decoder2(z).reshape(z.shape[0], *self.window_shape)

    def usad_outputs(self, x):
        """Return ``AE1(W)``, ``AE2(W)`` and ``AE2(AE1(W))`` for a batch of windows."""
        z = self.encode(x)
        w1 = self.decode(z)
        w2 = self.decode2(z)
        w3 = self.decode2(self.encode(w1))
        return w1, w2, w3


def reset_parameters(module, generator):
    """Re-draw every weight of ``module`` with PyTorch's default scheme from ``generator``.

    PyTorch initialises layers from its process-wide generator at construction; redrawing
    them here makes the weights a function of ``generator`` alone (thread-safe seeding).
    Linear and convolution layers get ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weight and
    bias (the bound ``kaiming_uniform_(a=sqrt(5))`` gives), recurrent layers
    ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` for all their parameters.

    Parameters
    ----------
    module : torch.nn.Module
        Module whose Linear, Conv1d, GRU and LSTM layers are re-initialised in place.
    generator : torch.Generator
        CPU generator the weights are drawn from.

    Returns
    -------
    module : torch.nn.Module
        The same module.

    Examples
    --------
    >>> import torch
    >>> from ecoai_sklearn.neural import LSTMAEModule, reset_parameters
    >>> a = reset_parameters(LSTMAEModule(1, 8), torch.Generator().manual_seed(0))
    >>> b = reset_parameters(LSTMAEModule(1, 8), torch.Generator().manual_seed(0))
    >>> all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    True
    """
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.Conv1d)):
                bound = 1.0 / math.sqrt(layer.weight[0].numel())
                nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
                if layer.bias is not None:
                    nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
            elif isinstance(layer, nn.RNNBase):
                bound = 1.0 / math.sqrt(layer.hidden_size)
                for param in layer.parameters():
                    nn.init.uniform_(param, -bound, bound, generator=generator)
    return module
