"""MI-FGSM sampler: adversarial copies of normal samples against an autoencoder."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..utils import (
    WINDOWS,
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    check_anomaly_labels,
    check_finite_float32,
    reject_non_real,
    validate_data,
)
from ._attack import mifgsm_reconstruction

__all__ = ["MIFGSMAugmenter"]

_SEED_MAX = np.iinfo(np.int32).max


def default_estimator(window_length, random_state=None):
    """The small CNN-GRU autoencoder attacked when ``estimator=None`` (private)."""
    from ..neural import CNNGRUAE

    return CNNGRUAE(
        max_epochs=20,
        batch_size=32,
        module__conv_channels=(16,),
        # odd, so that "same" padding needs no asymmetric copy
        module__kernel_size=min(5, window_length - 1 + window_length % 2),
        module__hidden_size=32,
        module__latent_size=8,
        module__dropout=0.0,
        random_state=random_state,
    )


class MIFGSMAugmenter(BaseEstimator):
    """Adversarial copies of normal samples that raise an autoencoder's error (MI-FGSM).

    A fit-only sampler in the style of imbalanced-learn: :meth:`fit_resample` returns the
    input rows, unchanged and first, followed by perturbed copies of some normal rows
    (``y == 0``, or all rows when ``y`` is None; ``y`` holds 0/1 anomaly labels)
    labelled ``label``. Each copy is pushed
    up the per-sample reconstruction error ``mean((AE(x) - x) ** 2)`` of the autoencoder
    ``estimator_`` by momentum iterative FGSM (Dong et al., CVPR 2018)::

        g <- decay * g + grad / ||grad||_1                        (per sample)
        x <- clip(x + step * sign(g), x0 - eps, x0 + eps), then clip to ``clip``

    With ``label=1`` the copies are hard synthetic anomalies, which balance the classes
    (the research had 55 anomalous days in 1,096); with ``label=0`` they are adversarial
    training samples for the autoencoder. In an :class:`imblearn.pipeline.Pipeline` the
    sampler runs during ``fit`` only, never at ``predict``. Unlike imbalanced-learn's own
    samplers it takes 3D windows and accepts ``y=None`` or a ``y`` with normal rows only
    (a ``y`` without normal rows gives a warning and no copies).

    Parameters
    ----------
    estimator : estimator with a torch ``module_``, default=None
        Autoencoder whose reconstruction loss is attacked, such as
        :class:`~ecoai_sklearn.neural.CNNGRUAE`, :class:`~ecoai_sklearn.neural.LSTMAE` or
        :class:`~ecoai_sklearn.neural.USAD` (attacked through ``module_(x)``, i.e. AE1).
        A fitted estimator is used as is: neither copied nor refitted (its torch module
        must take this data's window length and channels). An unfitted one is cloned
        and fitted on the normal rows. None means a small
        :class:`~ecoai_sklearn.neural.CNNGRUAE` (20 epochs, 16 convolution channels of
        kernel 5 or the largest odd size that fits, GRU 32, latent 8, no dropout)
        fitted on the normal rows. ``clone`` (hence grid search) returns an unfitted
        estimator; wrap a fitted one in :class:`sklearn.frozen.FrozenEstimator` to keep
        it fitted.
    eps : float, default=0.05
        L-infinity budget: no value of a copy moves further than ``eps`` from its row.
        In the units of X, so scale the data first (e.g. ``MinMaxScaler``); see the
        Notes for the values found safe.
    step : float, default=None
        Step size (alpha) of each iteration; None means ``eps / n_iter`` (the paper's
        choice, which can reach the budget in exactly ``n_iter`` steps).
    n_iter : int, default=10
        Number of iterations.
    decay : float, default=1.0
        Momentum factor (mu); 0 gives iterative FGSM without momentum.
    grad_norm : {"l1", "l2"} or None, default="l1"
        Per-sample normalisation of the gradient before it enters the momentum: the
        paper's L1 norm, the L2 norm, or none (raw gradients).
    clip : "auto", tuple of (float, float) or None, default="auto"
        Range of valid values. "auto": per channel, the minimum and maximum of the X
        given to fit; a tuple: the same ``(low, high)`` for all values; None: no range.
        A value of X outside a given range has its copies moved into the range, which
        may then be further than ``eps`` away (a warning says so).
    n_samples : "auto", int or float, default="auto"
        Number of copies, drawn without replacement among the normal rows. "auto": with
        ``label=1``, as many as balance the classes (normal rows minus anomalous rows,
        at least 0); with ``label=0``, one copy of every normal row. An int: that many
        (at most the number of normal rows). A float in (0, 1]: that fraction of the
        normal rows (at least one).
    label : {0, 1}, default=1
        Label of the copies: 1 = synthetic anomalies, 0 = adversarial normal samples.
    batch_size : int, default=256
        Samples attacked at once (memory bound of the attack).
    random_state : int, RandomState instance or None, default=None
        Draws which normal rows are copied when not all are, and seeds the default
        estimator. A user's unfitted estimator keeps its own ``random_state``.

    Attributes
    ----------
    estimator_ : estimator
        The autoencoder attacked (``estimator`` itself when it was given fitted).
    step_ : float
        Step size used.
    clip_ : tuple of two ndarrays of shape (n_channels,) or None
        Lower and upper bounds used, per channel.
    sample_indices_ : ndarray of shape (n_samples_resampled,)
        Set by :meth:`fit_resample`: for each returned row, the index of the input row
        it comes from (``0 .. n - 1`` first, then the copied rows in increasing order).
    n_features_in_ : int
        Number of features (the second axis of X) seen in fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X is a DataFrame with string column names.

    See Also
    --------
    ecoai_sklearn.neural.CNNGRUAE : The default autoencoder.
    ecoai_sklearn.scoring.DTWReconstructionScorer : Takes this sampler as ``augmenter``
        and trains only its autoencoder on the copies.

    Notes
    -----
    The attack runs in float32 on the device of ``estimator_.module_`` with the module
    in eval mode (dropout off, so the copies are deterministic), then its results are
    projected once more onto the budget and ``clip`` in the dtype of X, so both bounds
    hold exactly: ``eps=0`` returns exact copies of rows inside ``clip``.

    Appending the copies as rows of a whole pipeline also trains the final detector on
    them (an IsolationForest then learns the synthetic anomalies as normal data, which
    collapsed F1 to 0 in the feasibility study); give ``label=0`` copies to
    ``DTWReconstructionScorer(augmenter=...)`` instead, so only the autoencoder sees
    them. ``label=1`` copies are meant for steps that use labels, such as choosing a
    threshold; an autoencoder trained on them learns to reconstruct them.

    Choosing ``eps``, on data scaled to [0, 1]: as adversarial training (``label=0``),
    about 0.05 of the data range helped, and the research's 0.25-0.5 hurt; as
    synthetic anomalies (``label=1``) choosing a threshold, no ``eps`` beat the
    threshold chosen on real validation labels alone. The measurements
    (``benchmarks/bench_mifgsm.py``) are in ``benchmarks/RESULTS.md``, section 4.

    References
    ----------
    Y. Dong, F. Liao, T. Pang, H. Su, J. Zhu, X. Hu, J. Li, "Boosting Adversarial
    Attacks with Momentum", CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.augmentation import MIFGSMAugmenter
    >>> from ecoai_sklearn.neural import CNNGRUAE
    >>> rng = np.random.default_rng(0)
    >>> X = 0.5 + 0.4 * np.sin(np.linspace(0, 6.3, 24)) + 0.02 * rng.normal(size=(40, 24))
    >>> y = np.zeros(40, dtype=int)
    >>> y[:2] = 1
    >>> ae = CNNGRUAE(max_epochs=2, random_state=0, module__hidden_size=8,
    ...               module__latent_size=4)
    >>> augmenter = MIFGSMAugmenter(estimator=ae, eps=0.05, random_state=0)
    >>> X_res, y_res = augmenter.fit_resample(X, y)
    >>> X_res.shape, int(y_res.sum())
    ((76, 24), 38)
    >>> bool(np.array_equal(X_res[:40], X))
    True
    >>> source = X[augmenter.sample_indices_[40:]]
    >>> bool(np.abs(X_res[40:] - source).max() <= 0.05)
    True
    """

    _parameter_constraints = {
        "estimator": [None, HasMethods(["fit"])],
        "eps": [Interval(Real, 0, None, closed="left")],
        "step": [None, Interval(Real, 0, None, closed="neither")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "decay": [Interval(Real, 0, None, closed="left")],
        "grad_norm": [StrOptions({"l1", "l2"}), None],
        "clip": [StrOptions({"auto"}), tuple, None],
        "n_samples": [
            StrOptions({"auto"}),
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
        ],
        "label": [Interval(Integral, 0, 1, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        estimator=None,
        eps=0.05,
        step=None,
        n_iter=10,
        decay=1.0,
        grad_norm="l1",
        clip="auto",
        n_samples="auto",
        label=1,
        batch_size=256,
        random_state=None,
    ):
        self.estimator = estimator
        self.eps = eps
        self.step = step
        self.n_iter = n_iter
        self.decay = decay
        self.grad_norm = grad_norm
        self.clip = clip
        self.n_samples = n_samples
        self.label = label
        self.batch_size = batch_size
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        return tags

    # a user's estimator is fitted here, so its own parameters must be validated
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the attacked autoencoder (unless given fitted) and resolve the settings.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, window, n_channels)
            Samples (e.g. daily profiles) or windows.
        y : array-like of shape (n_samples,) or None, default=None
            Anomaly labels, 0 = normal and 1 = anomaly (bool, int or float; any other
            value raises a ``ValueError``); None means all rows are normal.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        self._fit(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y=None):
        """Return the rows of X followed by adversarial copies of normal rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, window, n_channels)
            Samples (e.g. daily profiles) or windows; not modified.
        y : array-like of shape (n_samples,) or None, default=None
            Anomaly labels, 0 = normal and 1 = anomaly (bool, int or float; any other
            value raises a ``ValueError``); None means all rows are normal.

        Returns
        -------
        X_resampled : ndarray or DataFrame of shape (n_samples + n_copies, ...)
            X (as float64, or float32 when X is float32) and then the copies; a
            DataFrame, with a new index, when X is one.
        y_resampled : ndarray or Series of shape (n_samples + n_copies,)
            y and then ``label`` for each copy (0 for the rows of X when y is None).
        """
        X_in, y_in = X, y
        X, y, normal, rng = self._fit(X, y)
        source = np.flatnonzero(normal)
        n_copies = self._n_copies(normal)
        chosen = source
        if n_copies < source.size:
            chosen = np.sort(rng.choice(source, size=n_copies, replace=False))
        copies = self._perturb(X[chosen])

        self.sample_indices_ = np.concatenate([np.arange(X.shape[0]), chosen])
        X_res = np.concatenate([X, copies])
        labels = np.zeros(X.shape[0], dtype=np.int64) if y is None else y
        y_res = np.concatenate([labels, np.full(n_copies, self.label, dtype=labels.dtype)])
        return _like(X_in, X_res, y_in, y_res)

    # ------------------------------------------------------------------ helpers
    def _fit(self, X, y):
        """Validate, resolve step and clip, fit the estimator; return what resampling needs."""
        X, y, normal = self._validate_input(X, y)
        rng = check_random_state(self.random_state)
        self.step_ = float(self.eps / self.n_iter if self.step is None else self.step)
        self.clip_ = self._resolve_clip(X)
        self.estimator_ = self._fit_estimator(X[normal] if normal.any() else X, rng)
        return X, y, normal, rng

    def _validate_input(self, X, y):
        reject_non_real(X, "X", what=WINDOWS)
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], allow_nd=True, ensure_all_finite=True
        )
        # the attack runs the autoencoder in float32
        check_finite_float32(X, "X", type(self).__name__)
        if X.ndim > 3:
            raise ValueError(
                "X must be a 2D array (n_samples, n_features) or a 3D array "
                f"(n_samples, window, n_channels); got shape {X.shape}."
            )
        if X.ndim == 3 and X.shape[2] == 0:
            raise ValueError(f"X has windows with 0 channels: shape {X.shape}.")
        if y is None:
            return X, None, np.ones(X.shape[0], dtype=bool)
        normal = ~check_anomaly_labels(y, n_samples=X.shape[0])
        y = np.asarray(y)
        y = y.reshape(-1) if y.ndim == 2 else y  # a column vector, as the label rule allows
        if not normal.any():
            warnings.warn(
                f"y has no normal row (0) among its {y.size} label(s): no copies are "
                "generated and the autoencoder is fitted on all rows.",
                UserWarning,
                stacklevel=4,
            )
        return X, y, normal

    def _resolve_clip(self, X):
        if self.clip is None:
            return None
        channels = X.reshape(X.shape[0], X.shape[1], -1)
        if isinstance(self.clip, str):
            return channels.min(axis=(0, 1)), channels.max(axis=(0, 1))
        try:
            low, high = (float(v) for v in self.clip)
        except (TypeError, ValueError):
            low = high = np.nan
        if not low <= high:
            raise ValueError(
                f"clip must be 'auto', None or a tuple (low, high) of floats with "
                f"low <= high, got {self.clip!r}."
            )
        if channels.min() < low or channels.max() > high:
            warnings.warn(
                f"X has values in [{channels.min():.4g}, {channels.max():.4g}], outside "
                f"clip={self.clip!r}; their copies are clipped into range and may then "
                "differ from X by more than eps.",
                UserWarning,
                stacklevel=4,
            )
        n_channels = channels.shape[2]
        return np.full(n_channels, low), np.full(n_channels, high)

    def _fit_estimator(self, X_normal, rng):
        seed = int(rng.randint(_SEED_MAX))
        if self.estimator is None:
            estimator = default_estimator(X_normal.shape[1], random_state=seed).fit(X_normal)
        else:
            try:
                check_is_fitted(self.estimator)
                estimator = self.estimator
            except NotFittedError:
                estimator = clone(self.estimator).fit(X_normal)
        module = getattr(estimator, "module_", None)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                "estimator must be an autoencoder exposing its fitted torch module as "
                f"module_ (e.g. ecoai_sklearn.neural.CNNGRUAE); got {type(estimator).__name__}."
            )
        window = X_normal.shape[1]
        n_channels = X_normal.shape[2] if X_normal.ndim == 3 else 1
        for attribute, expected in (("window_length_", window), ("n_channels_", n_channels)):
            fitted = getattr(estimator, attribute, expected)
            if fitted != expected:
                raise ValueError(
                    f"estimator was fitted with {attribute}={fitted}, but X has "
                    f"{attribute[:-1].replace('_', ' ')} {expected}; pass an unfitted "
                    "estimator or one fitted on data of this shape."
                )
        return estimator

    def _n_copies(self, normal):
        n_normal = int(normal.sum())
        if isinstance(self.n_samples, str):
            if self.label == 1:
                return max(n_normal - (normal.size - n_normal), 0)
            return n_normal
        if isinstance(self.n_samples, Integral):
            if self.n_samples > n_normal:
                raise ValueError(
                    f"n_samples={self.n_samples} copies requested, but X has only "
                    f"{n_normal} normal row(s) to copy; use at most {n_normal}, a fraction "
                    "in (0, 1] or 'auto'."
                )
            return int(self.n_samples)
        return min(n_normal, max(1, int(round(self.n_samples * n_normal))))

    def _perturb(self, X_source):
        """Attack in the module's dtype, then project exactly onto the budget and clip."""
        if X_source.shape[0] == 0:
            return X_source.copy()
        shape = X_source.shape
        windows = X_source.reshape(shape[0], shape[1], -1)
        low, high = self.clip_ if self.clip_ is not None else (None, None)
        adversarial = mifgsm_reconstruction(
            self.estimator_.module_,
            windows,
            eps=float(self.eps),
            step=self.step_,
            n_iter=self.n_iter,
            decay=float(self.decay),
            grad_norm=self.grad_norm,
            low=low,
            high=high,
            batch_size=self.batch_size,
        ).astype(X_source.dtype)
        np.clip(adversarial, windows - self.eps, windows + self.eps, out=adversarial)
        _within_budget(adversarial, windows, self.eps)
        if self.clip_ is not None:
            # after the budget: values of X inside the range stay within eps of X
            dtype = X_source.dtype
            np.clip(adversarial, low.astype(dtype), high.astype(dtype), out=adversarial)
        return adversarial.reshape(shape)


def _within_budget(adversarial, original, eps):
    """Make the computed ``|adversarial - original| <= eps`` hold despite rounding.

    ``x + eps`` rounded to the dtype can give ``(x + eps) - x`` one unit in the last place
    above ``eps``; such values are stepped towards ``x`` by one representable number.
    """
    for _ in range(4):
        over = np.abs(adversarial - original) > eps
        if not over.any():
            return
        adversarial[over] = np.nextafter(adversarial[over], original[over])


def _like(X_in, X_res, y_in, y_res):
    """Give the results the container types of the inputs (DataFrame, Series)."""
    if hasattr(X_in, "columns") and X_res.ndim == 2:
        import pandas as pd

        X_res = pd.DataFrame(X_res, columns=X_in.columns)
    if hasattr(y_in, "name") and hasattr(y_in, "iloc"):
        import pandas as pd

        y_res = pd.Series(y_res, name=y_in.name)
    return X_res, y_res
