"""Shared scikit-learn layer of the autoencoder estimators (private).

The public estimators are plain scikit-learn estimators that *own* a skorch net
(``net_``) rather than subclassing :class:`skorch.NeuralNet`: skorch's constructor sets
fitted-looking attributes and its ``get_params`` exposes private ones, which two
scikit-learn API checks reject. Prefix routing is kept: constructor keywords such as
``module__hidden_size``, ``optimizer__weight_decay``, ``callbacks__print_log__sink`` or
``iterator_train__shuffle`` are stored, listed by ``get_params`` and handed to the net.
"""

import functools
import inspect
from numbers import Integral, Real

import numpy as np
import torch
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EarlyStopping, ProgressBar

from ..utils import (
    Interval,
    _fit_context,
    check_finite_float32,
    check_positive_int,
    reject_non_real,
    validate_windows,
)
from ._net import _AutoencoderNet, _BatchIterator, _TailSplit

#: keyword prefixes routed to the skorch net (``module__*`` builds the torch module)
_ROUTED_PREFIXES = (
    "module",
    "optimizer",
    "criterion",
    "callbacks",
    "iterator_train",
    "iterator_valid",
)

_SEED_MAX = np.iinfo(np.int32).max


def _check_routed(params, owner):
    for key in params:
        if key.split("__", 1)[0] not in _ROUTED_PREFIXES or "__" not in key:
            prefixes = ", ".join(p + "__" for p in _ROUTED_PREFIXES)
            raise TypeError(
                f"{owner} got an unexpected parameter {key!r}; parameters other than "
                f"the constructor's must start with one of {prefixes} (e.g. module__{key})."
            )


def _with_threads(method):
    """Run ``method`` with torch's intra-op threads set to ``self.n_threads`` (restored
    afterwards; None leaves torch's setting alone)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        n_threads = getattr(self, "n_threads", None)
        before = torch.get_num_threads()
        if n_threads is None or n_threads == before:
            return method(self, *args, **kwargs)
        torch.set_num_threads(n_threads)
        try:
            return method(self, *args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return wrapper


def _resolve_device(device):
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or a torch device string, got {device!r}."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return str(resolved)


class _BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Window autoencoder estimator; subclasses set ``_module_class`` and the docstring."""

    _module_class = None
    _net_class = _AutoencoderNet
    _inference_batch_size = 1024

    _parameter_constraints = {
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [callable],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [None, list],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    # CNNGRUAE and LSTMAE use this constructor as it is; USAD adds its own parameters and
    # defaults and passes the rest here.
    def __init__(
        self,
        *,
        max_epochs=20,
        lr=1e-3,
        batch_size=64,
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
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose
        # routed names are checked in fit, like values
        self._routed_params = dict(kwargs)

    # ----------------------------------------------------------------- parameters
    def get_params(self, deep=True):
        """Get parameters, including the routed ``module__*``-style ones that were set.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(getattr(self, "_routed_params", {}))
        return params

    def set_params(self, **params):
        """Set parameters; ``module__*``, ``optimizer__*`` etc. are routed to the net.

        Routed parameters take effect at the next ``fit`` (a warm start keeps the fitted
        module, so ``module__*`` changes need ``warm_start=False``). As with values,
        names are checked by ``fit``: an unknown name raises a TypeError there.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        own = set(self._get_param_names())
        routed = {k: v for k, v in params.items() if k not in own}
        if not hasattr(self, "_routed_params"):
            self._routed_params = {}
        self._routed_params.update(routed)
        return super().set_params(**{k: v for k, v in params.items() if k in own})

    def _validate_params(self):
        """Check the constructor parameters and the names of the routed ones.

        :meth:`fit` calls it even when a meta-estimator's
        ``_fit_context(prefer_skip_nested_validation=True)`` asks nested estimators to
        skip their checks, so an autoencoder never trains with invalid parameters (e.g.
        ``max_epochs=0``) whoever fits it. A meta-estimator may also call it on its clone
        before fitting, to fail early.

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            A ``ValueError`` (and ``TypeError``) naming the parameter and the expected
            values.
        TypeError
            For a keyword without a routed prefix (``module__``, ``optimizer__``, ...).
        """
        super()._validate_params()
        _check_routed(self._routed_params, type(self).__name__)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ----------------------------------------------------------------- validation
    def _validate_windows(self, X, *, reset):
        """Check X without copying it; return it as a 3D view ``(n, w, c)`` and its rank."""
        X = validate_windows(self, X, reset=reset)
        check_finite_float32(X, "X", type(self).__name__)
        n_channels = X.shape[2] if X.ndim == 3 else 1
        if reset:
            self.window_length_ = X.shape[1]
            self.n_channels_ = n_channels
            self.input_ndim_ = X.ndim
        elif n_channels != self.n_channels_:
            raise ValueError(
                f"X has windows with {n_channels} channel(s), but {type(self).__name__} "
                f"was fitted on windows with {self.n_channels_} channel(s)."
            )
        return (X[:, :, np.newaxis] if X.ndim == 2 else X), X.ndim

    def _check_window_length(self, window_length):
        """Hook for models with a minimum window length (convolutions)."""

    def _check_training_windows(self, X):
        """Hook for models with expectations on the training values (USAD)."""

    # ----------------------------------------------------------------- training
    def _module_kwargs(self):
        kwargs = {
            k[len("module__") :]: v
            for k, v in self._routed_params.items()
            if k.startswith("module__")
        }
        signature = inspect.signature(self._module_class)
        valid = [name for name, p in signature.parameters.items() if p.kind == p.KEYWORD_ONLY]
        unknown = sorted(set(kwargs) - set(valid))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} got unknown module parameter(s) "
                f"{', '.join('module__' + u for u in unknown)}; valid ones are "
                f"{', '.join('module__' + v for v in valid)}."
            )
        return kwargs

    def _make_net(self, device):
        callbacks = []
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        if self.validation_fraction is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(patience=self.n_iter_no_change, load_best=True),
                )
            )
        callbacks.extend(self.callbacks or [])
        routed = {k: v for k, v in self._routed_params.items() if not k.startswith("module__")}
        module_kwargs = {"module__" + k: v for k, v in self._module_kwargs().items()}
        return self._net_class(
            module=self._module_class,
            criterion=torch.nn.MSELoss,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=_BatchIterator,
            iterator_valid=_BatchIterator,
            train_split=(
                None if self.validation_fraction is None else _TailSplit(self.validation_fraction)
            ),
            callbacks=callbacks,
            verbose=self.verbose,
            device=device,
            module__n_channels=self.n_channels_,
            module__window_length=self.window_length_,
            **module_kwargs,
            **routed,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    @_with_threads
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct the windows X.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Training windows (independent samples); any real dtype, trained as float32.
        y : Ignored
            Not used; accepted so that a :class:`~sklearn.pipeline.Pipeline` can pass
            labels through.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X)

    def _fit(self, X):
        """Validate X, build or reuse the net, and train; shared by the subclasses' fit."""
        if get_config()["skip_parameter_validation"]:
            # fitted by a meta-estimator that skips nested checks: check anyway
            self._validate_params()
        warm = self.warm_start and hasattr(self, "net_")
        X, _ = self._validate_windows(X, reset=not warm)
        self._check_training_windows(X)
        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed, dropout_seed = (int(s) for s in rng.randint(_SEED_MAX, size=3))

        if warm:
            net = self.net_
            net.set_params(max_epochs=self.max_epochs, batch_size=self.batch_size)
            net.verbose = self.verbose
            for optimizer in (getattr(net, name + "_") for name in net._optimizers):
                for group in optimizer.param_groups:
                    group["lr"] = self.lr
        else:
            self._check_window_length(X.shape[1])
            net = self._make_net(_resolve_device(self.device))
            net.init_generator_ = torch.Generator().manual_seed(init_seed)
            try:
                # torch's layers draw their default weights from the global generator
                # before reset_parameters redraws them from init_generator_: fork it so
                # that fitting leaves the user's torch random stream where it was
                with torch.random.fork_rng(devices=[]):
                    net.initialize()
            except (TypeError, ValueError) as exc:
                raise type(exc)(
                    f"{type(self).__name__}: invalid module__ or optimizer__ parameter: {exc}"
                ) from exc
            finally:
                net.init_generator_ = None

        device = torch.device(net.device)
        data = self._as_tensor(X).to(device)
        net.train_generator_ = torch.Generator().manual_seed(shuffle_seed)
        net.module_.set_dropout_generator(torch.Generator(device).manual_seed(dropout_seed))
        try:
            net.partial_fit(data)
        finally:
            net.train_generator_ = None
            net.module_.set_dropout_generator(None)
        self._check_trained(net, X)
        self.net_ = net
        self.n_iter_ = len(net.history)
        return self

    def _check_trained(self, net, X):
        """Refuse a net whose weights became NaN or inf (diverged or overflowed training)."""
        if all(bool(torch.isfinite(p).all()) for p in net.module_.parameters()):
            return
        if hasattr(self, "net_"):  # a warm start diverged: the old net is gone too
            del self.net_
        loss = net.history[-1].get("train_loss", float("nan")) if len(net.history) else None
        raise ValueError(
            f"{type(self).__name__}'s training diverged: its weights are NaN or inf after "
            f"{len(net.history)} epoch(s) (last training loss {loss}). X reaches |x| = "
            f"{float(np.max(np.abs(X))):.3g}; float32 training needs moderate values: scale "
            "the windows first (e.g. MinMaxScaler before windowing) or lower lr."
        )

    @staticmethod
    def _as_tensor(X):
        """float32 C-contiguous tensor; shares memory with X when X is already one."""
        array = np.ascontiguousarray(X, dtype=np.float32)
        if not array.flags.writeable:  # torch tensors cannot be read-only
            array = array.copy()
        return torch.from_numpy(array)

    # ----------------------------------------------------------------- inference
    def _batches(self, X, batch_size):
        """Yield ``(slice, tensor on the model's device)``; converts one batch at a time."""
        if batch_size is None:
            batch_size = max(self._inference_batch_size, self.batch_size)
        batch_size = check_positive_int(batch_size, "batch_size")
        device = torch.device(self.net_.device)
        for start in range(0, X.shape[0], batch_size):
            part = slice(start, start + batch_size)
            yield part, self._as_tensor(X[part]).to(device)

    def _run(self, X, fn, out_shape, batch_size, dtype=np.float32):
        """Apply ``fn`` (tensor batch -> tensor) over X in eval mode; stream into an array.

        Raises a ValueError rather than returning NaN or inf (float32 overflow).
        """
        module = self.net_.module_
        if module.training:
            module.eval()
        out = np.empty((X.shape[0], *out_shape), dtype=dtype)
        with torch.inference_mode():
            for part, batch in self._batches(X, batch_size):
                out[part] = fn(module, batch).cpu().numpy().reshape(-1, *out_shape)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"{type(self).__name__} computed NaN or inf from X (values up to "
                f"|x| = {float(np.max(np.abs(X))):.3g}): its float32 computation "
                "overflowed. Scale the windows like the training windows (e.g. "
                "MinMaxScaler before windowing)."
            )
        return out

    def __sklearn_is_fitted__(self):
        # shape attributes are set before training starts; a failed fit has no net_
        return hasattr(self, "net_")

    @property
    def module_(self):
        """The trained torch module (``net_.module_``)."""
        return self.net_.module_

    @property
    def history_(self):
        """skorch training history (``net_.history_``): losses per epoch and batch."""
        return self.net_.history_

    @property
    def _n_features_out(self):
        return self.net_.module_.latent_size

    @_with_threads
    def transform(self, X):
        """Encode windows into latent codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows with the window length and channels seen in fit.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_size), dtype float32
            Latent codes.
        """
        check_is_fitted(self)
        X, _ = self._validate_windows(X, reset=False)
        return self._run(X, lambda m, b: m.encode(b), (self._n_features_out,), None)

    @_with_threads
    def inverse_transform(self, Z):
        """Decode latent codes into windows.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_size)
            Latent codes, e.g. from :meth:`transform`.

        Returns
        -------
        X : ndarray of shape (n_samples, window) or (n_samples, window, n_channels)
            Decoded windows, 2D when the model was fitted on 2D windows.
        """
        check_is_fitted(self)
        reject_non_real(Z, "Z", what="array of latent codes (n_samples, latent_size)")
        Z = check_array(Z, dtype=np.float32, input_name="Z")
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"Z has {Z.shape[1]} columns, but {type(self).__name__} has latent codes of "
                f"size {self._n_features_out}."
            )
        shape = (self.window_length_, self.n_channels_)
        out = self._run(Z, lambda m, b: m.decode(b), shape, None)
        return out[:, :, 0] if self.input_ndim_ == 2 else out

    @_with_threads
    def reconstruct(self, X, *, batch_size=None):
        """Reconstruct windows (encode then decode), streamed in batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows; read-only or strided views are converted one batch at a time.
        batch_size : int, default=None
            Windows per inference batch; None means ``max(1024, self.batch_size)``.

        Returns
        -------
        X_rec : ndarray of the shape of X, dtype float32
            Reconstructed windows.
        """
        check_is_fitted(self)
        X, ndim = self._validate_windows(X, reset=False)
        out = self._run(X, lambda m, b: m(b), X.shape[1:], batch_size)
        return out[:, :, 0] if ndim == 2 else out

    @staticmethod
    def _reconstruction_errors(module, batch):
        # squared in float64: the error of a float32 window may exceed the float32 range
        difference = module(batch).double() - batch.double()
        return torch.mean(difference**2, dim=(1, 2))

    def _window_errors(self, module, batch):
        """Per-window anomaly score of one batch; overridden by USAD."""
        return self._reconstruction_errors(module, batch)

    @_with_threads
    def score_windows(self, X, *, batch_size=None):
        """Anomaly score of each window (higher = more anomalous), streamed in batches.

        The same method exists on every autoencoder of :mod:`ecoai_sklearn.neural`, so a
        downstream scorer can call it uniformly.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows.
        batch_size : int, default=None
            Windows per inference batch; None means ``max(1024, self.batch_size)``.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            See the class documentation for the formula.
        """
        check_is_fitted(self)
        X, _ = self._validate_windows(X, reset=False)
        return self._run(X, self._window_errors, (), batch_size, np.float64)

    @_with_threads
    def score(self, X, y=None):
        """Negative mean squared reconstruction error (higher is better).

        Lets a :class:`~sklearn.model_selection.GridSearchCV` without labels compare
        settings. For USAD the reconstruction is ``AE1(W)``, whatever ``alpha``/``beta``.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        score : float
            ``-mean((X - reconstruct(X)) ** 2)``.
        """
        check_is_fitted(self)
        X, _ = self._validate_windows(X, reset=False)
        errors = self._run(X, self._reconstruction_errors, (), None, np.float64)
        return -float(np.mean(errors))
