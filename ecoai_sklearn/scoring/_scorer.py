"""DTWReconstructionScorer: per-timestamp reconstruction-error features from an autoencoder."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ..utils import HasMethods, Interval, StrOptions, _fit_context, check_estimator_params
from ._aggregate import POINT_METRICS, PathAccumulator, batch_errors, covering_windows
from ._base import BASE_CONSTRAINTS, _WindowScorer

_METRICS = ("dtw", "mse", "softdtw", "model")

#: "auto" strides keep at least this many training windows when the series allows
MIN_TRAIN_WINDOWS = 1000
#: ... and at most about this many, so that training time stops growing with n
MAX_TRAIN_WINDOWS = 10_000


def auto_train_stride(window_length, n_windows=None):
    """Training stride of ``train_stride="auto"`` (timestamp grain).

    The smallest stride >= ``max(1, w // 4)`` that shares no factor with ``w``: a stride
    that divides the window (24 for ``w=96``) would start every training window at the
    same few phases of a cycle of length ``w`` (4 of 96 for one day of 15-minute data),
    a co-prime one (25) visits every phase. When that leaves fewer than
    ``MIN_TRAIN_WINDOWS`` of the ``n_windows`` real windows, the stride shrinks to
    ``s = n_windows // MIN_TRAIN_WINDOWS`` (at least 1), or to the largest co-prime
    stride between ``s / 2`` and ``s``: with 20 epochs, a few hundred windows leave the
    autoencoders far from converged. When it leaves more than ``MAX_TRAIN_WINDOWS``, the
    stride grows to the smallest co-prime stride >= ``ceil(n_windows /
    MAX_TRAIN_WINDOWS)``: windows spread evenly over a long series still see every
    season, and training (most of the cost of ``fit``) stops growing with the series.
    """
    stride = _coprime(max(1, window_length // 4), window_length, step=1)
    if n_windows is not None and -(-n_windows // stride) > MAX_TRAIN_WINDOWS:
        return _coprime(-(-n_windows // MAX_TRAIN_WINDOWS), window_length, step=1)
    if n_windows is not None and -(-n_windows // stride) < MIN_TRAIN_WINDOWS:
        limit = max(1, n_windows // MIN_TRAIN_WINDOWS)
        stride = _coprime(limit, window_length, step=-1)
        if 2 * stride < limit:  # e.g. w=24: 4, 3, 2 share factors; 1 would be 4x the cost
            stride = limit
    return stride


def _coprime(stride, window_length, *, step):
    while stride > 1 and math.gcd(stride, window_length) != 1:
        stride += step
    return stride


class DTWReconstructionScorer(_WindowScorer):
    """Per-timestamp reconstruction-error features from an autoencoder of windows.

    A meta-transformer: :meth:`fit` trains a clone of ``estimator`` (an autoencoder such
    as :class:`~ecoai_sklearn.neural.CNNGRUAE`) on the windows it receives, and
    :meth:`transform` turns windows ``(n, w, c)`` into error features ``(n, k)``:
    ``k = 1`` with ``channels="joint"``, ``k = c`` with ``channels="separate"``.

    With ``grain="timestamp"`` (the default) the rows are consecutive windows of one
    series as :class:`~ecoai_sklearn.windowing.FFTWindower` makes them: row ``t`` is the
    window ending at timestamp ``t``. The feature of timestamp ``s`` then comes from all
    the windows that cover ``s`` (see Notes), so an anomaly at ``s`` lights up ``s``,
    not the end of a window. With ``grain="sample"`` the rows are independent samples
    (e.g. daily profiles) and each row's feature is its own window's error.

    Parameters
    ----------
    estimator : estimator object, default=None
        The autoencoder, cloned in :meth:`fit`. It needs ``fit(X)`` and either
        ``reconstruct(X)`` on 3D windows (the :mod:`ecoai_sklearn.neural` estimators) or
        ``transform`` and ``inverse_transform`` on flattened windows ``(n, w * c)``
        (e.g. :class:`~sklearn.decomposition.PCA`). ``metric="model"`` needs
        ``score_windows(X)``. None means ``CNNGRUAE()``.
    metric : {"dtw", "mse", "softdtw", "model"}, default="dtw"
        Error between a window and its reconstruction, always on the scale of a mean
        squared error (means over time steps and channels): ``"dtw"`` the squared local
        costs along the optimal DTW path (:func:`~ecoai_sklearn.dtw.paired_dtw`,
        ``distance ** 2 / (w * c)``), robust to small time shifts; ``"mse"`` the
        squared differences step by step; ``"softdtw"`` tslearn's soft-DTW divergence
        (:class:`tslearn.metrics.SoftDTWLossPyTorch` with ``normalize=True``) divided by
        ``w * c``, much slower than ``"dtw"``; ``"model"`` the estimator's
        own ``score_windows`` (for :class:`~ecoai_sklearn.neural.USAD`, its
        ``alpha``/``beta`` score).
    aggregation : {"path", "covering", "causal"}, default="path"
        How window errors become per-timestamp features (``grain="timestamp"`` only).
        ``"path"``: each time step's own cost (its squared difference, or the local
        costs of the DTW path cells matched to it) averaged over the windows covering
        the timestamp; ``"covering"``: the mean of the whole-window errors of the
        windows covering the timestamp; ``"causal"``: the error of the window ending at
        the timestamp, so that a row's feature depends on that row and earlier ones
        only (what a stream can compute as each row arrives). ``"path"`` needs
        ``metric`` in ``{"dtw", "mse"}``.
    grain : {"timestamp", "sample"}, default="timestamp"
        Whether the rows are consecutive windows of one series (per-timestamp
        features) or independent samples (one error per row).
    channels : {"joint", "separate"}, default="joint"
        One error over all channels (multivariate DTW, one warping path for all), or
        one error column per channel (a DTW per channel).
    train_stride : "auto" or int, default="auto"
        Train on every ``train_stride``-th window. ``"auto"``: with
        ``grain="timestamp"`` the smallest stride >= ``w // 4`` that shares no factor
        with ``w`` (25 for ``w=96``), so that training windows start at every phase of
        a cycle of length ``w``, made smaller on short series to keep about 1,000
        training windows and larger on long ones to keep at most about 10,000 (so
        that training time stops growing with the series beyond about 250,000 rows
        for ``w=96``); 1 with ``grain="sample"``. Every window is scored.
    fit_on : {"all", "normal"}, default="all"
        Train on all selected windows, or only on those without anomalies when labels
        ``y`` are given to :meth:`fit` (timestamp grain: windows whose covered rows all
        have ``y == 0``; sample grain: rows with ``y == 0``). Without ``y``, both are
        the same.
    augmenter : object with ``fit_resample`` or None, default=None
        A sampler such as :class:`~ecoai_sklearn.augmentation.MIFGSMAugmenter`, cloned
        and applied to the training windows and their labels; the autoencoder trains
        on the original windows and on the appended copies labelled 0 (adversarial
        training copies); appended copies labelled as anomalies are not used to train it.
        Synthetic windows train only the autoencoder: they never reach the features,
        nor the detector after this step.
    metric_params : dict or None, default=None
        Options of the metric: ``{"window": r}`` a Sakoe-Chiba band for ``"dtw"`` (int
        radius or float fraction of ``w``, see :func:`~ecoai_sklearn.dtw.paired_dtw`;
        default no band), ``{"gamma": g}`` for ``"softdtw"`` (default 0.1).
    cv : int >= 2 or None, default=None
        Cross fitting in :meth:`fit_transform`: the rows are cut into ``cv``
        contiguous blocks and each block's features come from an autoencoder trained
        without the windows that cover it, so that a detector fitted on them sees
        out-of-sample errors (see Notes). Costs ``cv`` extra trainings as long as
        that of ``estimator_``. None: :meth:`fit_transform` returns the in-sample
        errors of ``fit(X).transform(X)``.
    batch_size : int, default=8192
        Windows per batch when scoring: reconstruction and DTW run batch by batch, so
        memory grows with ``batch_size * w * c``, never with ``n * w * c``.
    include_values : bool, default=False
        Append the last step of each window (with ``grain="timestamp"``, the
        timestamp's own readings, as scaled before windowing) to the error columns, so
        that the detector after this step sees the level of the series as well as how
        badly its shape is reconstructed: an autoencoder reconstructs a level shift or
        a drift that keeps the daily shape well, an out-of-range reading is still
        visible in the values (see the Notes of
        :func:`~ecoai_sklearn.pipelines.make_fft_cnngru_detector`).

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    augmenter_ : object or None
        The clone of ``augmenter`` used in :meth:`fit`.
    train_stride_ : int
        Stride used to select the training windows.
    n_train_windows_ : int
        Number of windows the autoencoder trained on (before augmentation).
    window_length_ : int
        Window length ``w`` seen in fit.
    n_channels_ : int
        Channels per time step ``c`` seen in fit (1 for 2D input).
    n_features_in_ : int
        Same as ``window_length_`` (the second axis of X).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X is a DataFrame of 2D windows with string column names.

    See Also
    --------
    ecoai_sklearn.windowing.FFTWindower : Makes the consecutive windows this step scores.
    ecoai_sklearn.dtw.paired_dtw : The DTW kernel, with per-step path costs.
    ecoai_sklearn.pipelines.make_fft_cnngru_detector : A full detector around this step.

    Notes
    -----
    **Per-timestamp rule (timestamp grain).** Window ``t`` covers rows
    ``t - w + 1 .. t``. The first ``w - 1`` windows of each call reach before its first
    row (``FFTWindower`` pads them) and are neither trained on nor scored: only the
    ``m = n - w + 1`` *real* windows are. Row ``s`` is covered by the real windows
    ``t`` with ``max(s, w - 1) <= t <= min(s + w - 1, n - 1)``, whose number is
    ``w`` in the middle of the call, fewer within ``w - 1`` rows of either end (the
    first and the last row: one window each). Its feature is the mean over those
    windows of their whole-window errors (``"covering"``) or of the costs they assign
    to row ``s`` (``"path"``). The first and last ``w - 1`` rows of a call therefore
    rest on fewer windows than the others; ``transform`` needs at least ``w`` rows.

    **New data.** Each call is scored on its own: a chunk's first rows are not
    compared with the rows before it. To score a chunk exactly as the same rows of a
    longer series (past context only at the start), prepend the last ``w - 1`` rows of
    history to the series before windowing and drop the first ``w - 1`` rows of the
    output. The last ``w - 1`` rows of a chunk get their final values only once the
    next rows arrive (later windows cover them too).

    **Channel contributions.** :meth:`channel_contributions` splits each row's error
    (``channels="joint"``) among the channels in proportion to each channel's squared
    difference between the windows and their reconstructions: step by step with
    ``aggregation="path"`` (each step's cost is split by that step's differences),
    over each window otherwise, then mapped onto the timestamps like the errors. For
    ``metric="mse"`` this is the exact decomposition of the error into channels; for
    ``"dtw"``, ``"softdtw"`` and ``"model"`` it splits the error as the unwarped
    differences are split. With ``channels="separate"``, each channel's own error
    column is its part.

    **Several runs.** ``fit(X, y, groups=...)`` takes the windows of a series of several
    independent runs one after the other (``groups`` labels each row's run, each run
    one contiguous block of at least ``w`` rows): the autoencoder trains only on
    windows lying inside one run (those reaching back into the previous run are left
    out, as the padded windows before the first row), and :meth:`fit_transform` gives
    each run's rows the features of the run transformed on its own.

    **Training.** The autoencoder trains on every ``train_stride_``-th real window
    (timestamp grain) or row (sample grain), ``fit_on`` selecting normal ones, which
    are copied into one training array of ``n_train_windows_`` windows (plus the
    augmenter's).

    **In-sample errors and cv.** The features :meth:`fit_transform` returns for the
    training rows, which a :class:`~sklearn.pipeline.Pipeline` hands to the detector
    after this step, come from an autoencoder that saw those windows or their
    overlapping neighbours. With ``cv``, they come from autoencoders that did not
    (cross fitting, as in scikit-learn's :class:`~sklearn.preprocessing.TargetEncoder`;
    then ``fit(X).transform(X)`` differs from ``fit_transform(X)``). With the
    factories' autoencoders on generated load the cross-fitted errors of normal
    training rows were as low as the in-sample ones, whereas the errors on later weeks
    were higher (``benchmarks/RESULTS.md``, section 6): what a threshold must allow
    for is the change of the series over time, not the autoencoder's memory of its
    training windows. Hence ``cv=None`` by default; cross fitting is there for
    autoencoders large enough to memorise their training windows. An autoencoder
    trained on fewer optimizer steps errs much more, so the fold models get as many
    training windows as ``estimator_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from ecoai_sklearn.scoring import DTWReconstructionScorer
    >>> from ecoai_sklearn.windowing import FFTWindower
    >>> t = np.arange(24 * 30)
    >>> series = np.sin(2 * np.pi * t / 24)[:, np.newaxis]
    >>> series[500] += 3.0  # a spike
    >>> windows = FFTWindower(window_size=24).fit_transform(series)
    >>> scorer = DTWReconstructionScorer(estimator=PCA(n_components=2), train_stride=1)
    >>> features = scorer.fit_transform(windows)
    >>> features.shape
    (720, 1)
    >>> int(np.argmax(features[:, 0]))
    500
    >>> scorer.get_feature_names_out()
    array(['dtw_error'], dtype=object)
    """

    _parameter_constraints = {
        **BASE_CONSTRAINTS,
        "estimator": [None, HasMethods(["fit"])],
        "metric": [StrOptions(set(_METRICS))],
        "aggregation": [StrOptions({"path", "covering", "causal"})],
        "train_stride": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "augmenter": [None, HasMethods(["fit_resample"])],
        "metric_params": [None, dict],
        "cv": [None, Interval(Integral, 2, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        metric="dtw",
        aggregation="path",
        grain="timestamp",
        channels="joint",
        train_stride="auto",
        fit_on="all",
        augmenter=None,
        metric_params=None,
        cv=None,
        batch_size=8192,
        include_values=False,
    ):
        self.estimator = estimator
        self.metric = metric
        self.aggregation = aggregation
        self.grain = grain
        self.channels = channels
        self.train_stride = train_stride
        self.fit_on = fit_on
        self.augmenter = augmenter
        self.metric_params = metric_params
        self.cv = cv
        self.batch_size = batch_size
        self.include_values = include_values

    # ------------------------------------------------------------------ fit
    @_fit_context(
        # the estimator and augmenter validate their own parameters in their fit
        prefer_skip_nested_validation=True
    )
    def fit(self, X, y=None, groups=None):
        """Train a clone of the autoencoder on (strided, optionally normal) windows.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows; with ``grain="timestamp"`` row ``t`` is the window ending at
            timestamp ``t`` (output of :class:`~ecoai_sklearn.windowing.FFTWindower`).
        y : array-like of shape (n_samples,), default=None
            Labels, 1 = anomaly and 0 = normal, used by ``fit_on="normal"`` (and given
            to the augmenter); ignored with ``fit_on="all"``.
        groups : array-like of shape (n_samples,), default=None
            Run label of each row when the series holds several independent runs one
            after the other (see Notes): only windows inside one run train the
            autoencoder. None: one run. Ignored with ``grain="sample"``.

        Returns
        -------
        self : DTWReconstructionScorer
            The fitted scorer.
        """
        self._fit(X, y, groups)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, groups=None):
        """Fit, and return out-of-sample features of the training rows (cross fitting).

        With ``cv=K``, the rows are cut into ``K`` contiguous blocks; block ``k``'s
        features come from a clone of the autoencoder trained on windows that cover no
        row of block ``k`` (``fit_on`` applies): ``n_train_windows_`` of them, spread
        evenly, so that it gets as many optimizer steps as ``estimator_``. The next step (the
        detector and its threshold) thus learns from errors on windows the
        autoencoder did not see, as on new data. ``estimator_`` is trained on all
        training windows, as by :meth:`fit`, and serves :meth:`transform`. Hence
        ``fit(X).transform(X)``, whose errors are in-sample, differs from
        ``fit_transform(X)`` unless ``cv=None``.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows, as for :meth:`fit`.
        y : array-like of shape (n_samples,), default=None
            Labels, as for :meth:`fit`.
        groups : array-like of shape (n_samples,), default=None
            Run of each row, as for :meth:`fit`: each run's rows get the features of
            the run transformed on its own.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float64
            Error features of the training rows.
        """
        if self.cv is not None and self.cv > len(X):
            # checked before any training: each block must hold a row
            raise ValueError(
                f"cv={self.cv} blocks need at least {self.cv} rows; X has n_samples={len(X)}."
            )
        windows, labels, bounds = self._fit(X, y, groups)
        if self.cv is None:
            return self._run_features(windows, self.estimator_, bounds, 0, windows.shape[0])
        n, w = windows.shape[0], windows.shape[1]
        features = np.empty((n, self._n_features_out))  # errors, then values
        edges = np.linspace(0, n, self.cv + 1).round().astype(int)
        for k, (start, stop) in enumerate(zip(edges[:-1], edges[1:])):
            if start == stop:
                continue
            # candidate windows: all those covering no row of the block [start, stop)
            reach = stop + w - 1 if self.grain == "timestamp" else stop
            candidates = self._candidates(n, w, labels, bounds=bounds)
            candidates = candidates[(candidates < start) | (candidates >= reach)]
            if candidates.size == 0:
                raise ValueError(
                    f"cv={self.cv} leaves no training window outside block {k} (rows "
                    f"{start} to {stop - 1}); use fewer folds, cv=None or more data."
                )
            # as many windows as estimator_ got, spread evenly: with as many
            # optimizer steps, the fold model is as well trained as estimator_
            size = min(candidates.size, self.n_train_windows_)
            spread = np.unique(np.linspace(0, candidates.size - 1, size).round().astype(int))
            estimator = self._train(self._make_estimator(), windows, candidates[spread], labels)
            features[start:stop] = self._run_features(windows, estimator, bounds, start, stop)
        return features

    def _run_features(self, windows, estimator, bounds, start, stop):
        """Features of the rows ``start .. stop - 1``, each run a series of its own."""
        parts = []
        for a, b in zip(*bounds):
            lo, hi = max(start, a), min(stop, b)
            if lo < hi:
                parts.append(self._features(windows[a:b], estimator, lo - a, hi - a))
        return np.concatenate(parts)

    def _fit(self, X, y, groups=None):
        """Validate, select the training windows and train ``estimator_`` on them."""
        self._check_options()
        self.estimator_ = self._make_estimator()
        windows = self._validate_windows(X, reset=True)
        n, w, c = windows.shape
        self.window_length_ = w
        self.n_channels_ = c
        self._check_rows(n, w, fitting=True)
        bounds = self._run_bounds(groups, n, w)
        if self.train_stride == "auto":
            n_real = int((bounds[1] - bounds[0] - w + 1).sum())
            self.train_stride_ = auto_train_stride(w, n_real) if self.grain == "timestamp" else 1
        else:
            self.train_stride_ = int(self.train_stride)
        labels = self._training_labels(y, n, w)

        index = self._candidates(n, w, labels, stride=self.train_stride_, bounds=bounds)
        self.n_train_windows_ = int(index.size)
        self.augmenter_ = None if self.augmenter is None else clone(self.augmenter)
        self._train(self.estimator_, windows, index, labels, augmenter=self.augmenter_)
        return windows, labels, bounds

    def _train(self, estimator, windows, index, labels, augmenter=None):
        """Fit ``estimator`` on ``windows[index]``, augmented when an augmenter is set."""
        train = np.ascontiguousarray(windows[index])
        if self.augmenter is not None:
            augmenter = clone(self.augmenter) if augmenter is None else augmenter
            train_y = None if labels is None else labels[index].astype(np.int64)
            resampled = augmenter.fit_resample(train, train_y)
            if isinstance(resampled, tuple):
                train, resampled_y = resampled
                if resampled_y is not None:
                    # Samplers return the original rows first. An autoencoder learns what
                    # it should reconstruct: appended synthetic anomalies (label != 0) would
                    # teach it to reconstruct them, so of the appended rows only normal
                    # copies train it.
                    keep = np.asarray(resampled_y) == 0
                    keep[: len(index)] = True
                    if len(keep) > len(index) and not keep[len(index) :].any():
                        warnings.warn(
                            f"The augmenter added {len(keep) - len(index)} windows, none "
                            "labelled 0: only normal copies train the autoencoder, so none "
                            "of them is used. For MIFGSMAugmenter set label=0.",
                            UserWarning,
                            stacklevel=4,
                        )
                    train = np.asarray(train)[keep]
            else:
                train = resampled
        if not hasattr(estimator, "reconstruct"):
            train = np.asarray(train).reshape(train.shape[0], -1)
        return estimator.fit(train)

    def _check_options(self):
        if self.aggregation == "path" and self.grain == "timestamp":
            if self.metric not in POINT_METRICS:
                raise ValueError(
                    f"aggregation='path' needs per-step costs, which metric={self.metric!r} "
                    f"does not give; use metric in {POINT_METRICS} or aggregation='covering'."
                )
        if self.metric == "model" and self.channels == "separate":
            raise ValueError("metric='model' gives one score per window: use channels='joint'.")
        params = {} if self.metric_params is None else self.metric_params
        allowed = {"dtw": {"window"}, "softdtw": {"gamma"}}.get(self.metric, set())
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ValueError(
                f"metric_params has unknown key(s) {unknown} for metric={self.metric!r}; "
                f"accepted keys: {sorted(allowed) or 'none'}."
            )
        gamma = params.get("gamma", 0.1)
        if self.metric == "softdtw" and not (isinstance(gamma, Real) and gamma > 0):
            raise ValueError(f"metric_params['gamma'] must be a float > 0, got {gamma!r}.")

    def _make_estimator(self):
        if self.estimator is None:
            from ..neural import CNNGRUAE

            estimator = CNNGRUAE()
        else:
            estimator = clone(self.estimator)
            # fit_context skips nested checks: the estimator's own run here, before training
            check_estimator_params(estimator)
        if not hasattr(estimator, "reconstruct") and not (
            hasattr(estimator, "transform") and hasattr(estimator, "inverse_transform")
        ):
            raise TypeError(
                f"estimator must have a reconstruct method or transform and "
                f"inverse_transform methods; got {type(estimator).__name__}."
            )
        if self.metric == "model" and not hasattr(estimator, "score_windows"):
            raise TypeError(
                f"metric='model' needs an estimator with score_windows (the "
                f"ecoai_sklearn.neural autoencoders); got {type(estimator).__name__}."
            )
        return estimator

    def _training_labels(self, y, n, w):
        """Per-window anomaly flags from ``y`` (None when not needed or not given)."""
        if self.fit_on == "all" and self.augmenter is None:
            return None
        return self._window_labels(y, n, w)

    # ------------------------------------------------------------------ transform
    def _model(self):
        return self.estimator_

    @property
    def _error_name(self):
        return self.metric

    def _errors(self, windows, estimator, start, stop, parts=False):
        """Error columns of the rows ``start .. stop - 1`` (and the channels' parts)."""
        if self.grain == "sample" or self.aggregation != "path":
            return super()._errors(windows, estimator, start, stop, parts)
        n, w = windows.shape[0], windows.shape[1]
        j0, j1 = covering_windows(n, w, start, stop)
        real = windows[w - 1 + j0 : w - 1 + j1]
        accumulator = PathAccumulator(n, w, self._n_columns(parts), j0, j1)
        for begin in range(0, real.shape[0], self.batch_size):
            batch = real[begin : begin + self.batch_size]
            costs = self._score_batch(batch, estimator, point=True, parts=parts)
            accumulator.add(j0 + begin, costs)
        return accumulator.result(start, stop)

    def _score_batch(self, windows, estimator, *, point, parts=False):
        return batch_errors(
            estimator,
            windows,
            metric=self.metric,
            channels=self.channels,
            point=point,
            metric_params={} if self.metric_params is None else self.metric_params,
            flatten=not hasattr(estimator, "reconstruct"),
            parts=parts,
        )
