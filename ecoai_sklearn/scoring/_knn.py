"""KNNWindowScorer: per-timestamp distance of each window to its nearest training windows."""

import hashlib
from numbers import Integral

import numpy as np

from ..utils import Interval, StrOptions, _fit_context, shares
from ._base import BASE_CONSTRAINTS, _WindowScorer
from ._knn_kernel import mean_of, nearest


class KNNWindowScorer(_WindowScorer):
    """Per-timestamp distance of each window to its nearest training windows.

    The window version of the nearest-neighbour outlier score (kNN distance, as in
    PyOD's ``KNN`` and TSB-AD's ``Sub-KNN``): :meth:`fit` keeps up to
    ``max_train_windows`` training windows spread evenly over the series; a window's
    error is its mean distance to the ``n_neighbors`` closest of them. A window unlike
    every stretch of the training series (a spike, a sag, an unusual daily shape, a
    level never seen) is far from all of them. With ``grain="timestamp"`` each
    timestamp then gets the mean error of the windows covering it (``"covering"``) or
    the error of the window ending at it (``"causal"``), as
    :class:`DTWReconstructionScorer` does for reconstruction errors.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of nearest training windows averaged.
    aggregation : {"covering", "causal"}, default="covering"
        How window errors become per-timestamp features (``grain="timestamp"``):
        the mean error of the windows covering the timestamp, or the error of the
        window ending at it (depends on that row and earlier ones only).
    grain : {"timestamp", "sample"}, default="timestamp"
        Whether the rows are consecutive windows of one series or independent
        samples.
    channels : {"joint", "separate"}, default="joint"
        One distance over all channels, or one error column per channel (a
        neighbour search per channel), which says which channel is unusual.
    n_segments : int or None, default=32
        Each window is reduced to at most ``n_segments`` segment means per channel
        (piecewise aggregate approximation, scaled by the square root of each
        segment's length, so that distances keep the scale of the full window's and
        never exceed it). Searches then cost the same for long windows as for short
        ones. None: full windows.
    max_train_windows : int, default=2000
        Most training windows kept, evenly spaced (all when there are fewer); the
        search costs ``n_samples * max_train_windows`` distances.
    fit_on : {"all", "normal"}, default="all"
        Keep all training windows, or only those covering no row labelled 1 when
        ``y`` is given to :meth:`fit`.
    batch_size : int, default=4096
        Windows per batch of the search: memory grows with ``batch_size *
        max_train_windows``.
    include_values : bool, default=False
        Append each timestamp's own readings to the error columns (see
        :class:`DTWReconstructionScorer`).

    Attributes
    ----------
    train_windows_ : ndarray of shape (n_kept, n_segments_ * n_channels_)
        The kept training windows, reduced.
    train_positions_ : ndarray of shape (n_kept,)
        Row of each kept window in the training windows.
    n_segments_ : int
        Segments per channel of a reduced window (``window_length_`` when not reduced).
    window_length_ : int
        Window length ``w`` seen in fit.
    n_channels_ : int
        Channels per time step ``c`` seen in fit.
    n_features_in_ : int
        Same as ``window_length_``.

    See Also
    --------
    DTWReconstructionScorer : Reconstruction errors of an autoencoder or PCA.
    ecoai_sklearn.pipelines.make_knn_detector : A full detector around this step.

    Notes
    -----
    **Scoring the training series.** Neighbouring windows overlap: the window one step
    after a kept training window is nearly the same, so scoring the training series
    with the training windows would find near-copies of every window and give
    in-sample errors far below those of new data. When :meth:`transform` or
    :meth:`score_samples` receive the training windows again (recognised by a
    fingerprint of the series), each window ignores the kept windows that overlap it
    (positions less than ``w`` apart; for ``grain="sample"``, itself), as scikit-learn's
    :class:`~sklearn.neighbors.LocalOutlierFactor` leaves a sample out of its own
    neighbourhood for ``negative_outlier_factor_``. Thresholds and normalizations fitted
    on the training rows then see errors like those of new data.

    **Channel contributions.** :meth:`channel_contributions` splits a window's error
    (``channels="joint"``) among the channels in proportion to each channel's part of
    the squared distances to the ``n_neighbors`` nearest kept windows (the distances
    of the reduced windows, summed over the neighbours): a window unusual in one
    channel is far from its neighbours in that channel. The parts are then mapped onto
    the timestamps like the errors. With ``channels="separate"``, each channel's own
    error column is its part.

    **Several runs.** ``fit(X, y, groups=...)`` takes the windows of a series of
    several independent runs one after the other (``groups`` labels each row's run):
    only the windows that lie inside one run are kept (a window reaching back into the
    previous run is no training window), and ``fit_transform`` scores each run as a
    series of its own. Each run's windows transformed later on their own are still
    recognised as training windows (see above).

    **Cost.** One search costs ``n_samples * n_kept`` distances of
    ``n_segments_ * n_channels_`` values, computed in batches with BLAS; the timings of
    the default detector, which uses two of these scorers, are in
    ``benchmarks/RESULTS.md``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.scoring import KNNWindowScorer
    >>> from ecoai_sklearn.windowing import FFTWindower
    >>> t = np.arange(24 * 30)
    >>> series = np.sin(2 * np.pi * t / 24)[:, np.newaxis]
    >>> series[600:606] += 1.5  # a surge, after the training days
    >>> windower = FFTWindower(window_size=24).fit(series[:480])
    >>> scorer = KNNWindowScorer().fit(windower.transform(series[:480]))
    >>> errors = scorer.transform(windower.transform(series))
    >>> errors.shape, scorer.get_feature_names_out()
    ((720, 1), array(['knn_error'], dtype=object))
    >>> 590 <= int(np.argmax(errors[:, 0])) <= 615
    True
    """

    _error_name = "knn"

    _parameter_constraints = {
        **BASE_CONSTRAINTS,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "aggregation": [StrOptions({"covering", "causal"})],
        "n_segments": [Interval(Integral, 1, None, closed="left"), None],
        "max_train_windows": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_neighbors=5,
        *,
        aggregation="covering",
        grain="timestamp",
        channels="joint",
        n_segments=32,
        max_train_windows=2000,
        fit_on="all",
        batch_size=4096,
        include_values=False,
    ):
        self.n_neighbors = n_neighbors
        self.aggregation = aggregation
        self.grain = grain
        self.channels = channels
        self.n_segments = n_segments
        self.max_train_windows = max_train_windows
        self.fit_on = fit_on
        self.batch_size = batch_size
        self.include_values = include_values

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Keep (a reduced copy of) the training windows.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows; with ``grain="timestamp"`` row ``t`` is the window ending at
            timestamp ``t`` (output of :class:`~ecoai_sklearn.windowing.FFTWindower`).
        y : array-like of shape (n_samples,), default=None
            Labels, 1 = anomaly and 0 = normal, used by ``fit_on="normal"``.
        groups : array-like of shape (n_samples,), default=None
            Run label of each row when the series holds several independent runs one
            after the other (each run one contiguous block of rows, at least
            ``window_length_`` rows long): only windows inside one run are kept. None:
            one run. Ignored with ``grain="sample"``.

        Returns
        -------
        self : KNNWindowScorer
            The fitted scorer.
        """
        windows = self._validate_windows(X, reset=True)
        n, w, c = windows.shape
        self.window_length_, self.n_channels_ = w, c
        self._check_rows(n, w, fitting=True)
        bounds = self._run_bounds(groups, n, w)
        labels = self._window_labels(y, n, w) if self.fit_on == "normal" else None
        candidates = self._candidates(n, w, labels, bounds=bounds)
        if candidates.size <= self.n_neighbors:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} needs more than {self.n_neighbors} "
                f"training windows; X gives n_samples={candidates.size}."
            )
        keep = np.linspace(0, candidates.size - 1, min(candidates.size, self.max_train_windows))
        positions = candidates[np.unique(keep.round().astype(np.int64))]
        self.n_segments_ = w if self.n_segments is None else min(w, self.n_segments)
        self.train_positions_ = positions
        self.train_windows_ = self._reduce(windows[positions])
        # the training windows as a whole, and each run on its own: where its rows begin
        self._fingerprints = {_fingerprint(windows, self.grain): 0}
        if len(bounds[0]) > 1:
            for a, b in zip(*bounds):
                self._fingerprints.setdefault(_fingerprint(windows[a:b], self.grain), int(a))
        return self

    def _model(self):
        return self.train_windows_

    def _reduce(self, windows):
        """``(b, w, c)`` -> ``(b, n_segments_ * c)`` scaled segment means, float64."""
        windows = np.asarray(windows, dtype=np.float64)
        b, w, c = windows.shape
        if self.n_segments_ == w:
            return windows.reshape(b, w * c)
        edges = np.linspace(0, w, self.n_segments_ + 1).round().astype(np.int64)
        lengths = np.diff(edges)[:, np.newaxis]
        sums = np.add.reduceat(windows, edges[:-1], axis=1)
        return (sums / np.sqrt(lengths)).reshape(b, -1)

    def _score_batch(self, windows, train, *, point=False, parts=False, positions=None):
        """Mean distance to the ``n_neighbors`` nearest kept windows, per column; with
        ``parts`` (joint), followed by each channel's part of it."""
        b, w, c = windows.shape
        query = self._reduce(windows)
        groups = [slice(None)] if self.channels == "joint" else [
            slice(k, None, c) for k in range(c)
        ]
        size = float(w * (c if self.channels == "joint" else 1))
        positions = np.full(b, -1, dtype=np.int64) if positions is None else positions
        reach = w if self.grain == "timestamp" else 1
        errors = np.empty((b, len(groups)))
        for k, group in enumerate(groups):
            q, t = query[:, group], train[:, group]
            # |q - t|^2 = |q|^2 + |t|^2 - 2 q.t, one BLAS product per batch
            squared = (q * q).sum(axis=1)[:, np.newaxis] + (t * t).sum(axis=1) - 2.0 * (q @ t.T)
            index = nearest(squared, self.n_neighbors, positions, self.train_positions_, reach)
            errors[:, k] = mean_of(squared, index, size)
        if not parts:
            return errors
        return np.hstack([errors, errors * self._neighbour_shares(query, train, index, c)])

    def _neighbour_shares(self, query, train, index, c):
        """Each channel's share of the squared distances to the chosen neighbours."""
        valid = index >= 0
        diff = query[:, np.newaxis, :] - train[np.where(valid, index, 0)]
        squared = (diff * diff).reshape(*index.shape, -1, c).sum(axis=2)  # (b, k, c)
        return shares((squared * valid[:, :, np.newaxis]).sum(axis=1))

    def _window_errors(self, windows, train, start, stop, parts=False):
        # the training windows scored again (all, or one run's): leave each window's
        # overlapping ones out
        fingerprints = getattr(self, "_fingerprints", None)
        if fingerprints is None:  # a scorer saved before runs were supported
            fingerprints = {getattr(self, "_fingerprint", None): 0}
        offset = fingerprints.get(_fingerprint(windows, self.grain))
        out = np.empty((stop - start, self._n_columns(parts)))
        for begin in range(start, stop, self.batch_size):
            end = min(begin + self.batch_size, stop)
            positions = None
            if offset is not None:
                positions = np.arange(offset + begin, offset + end, dtype=np.int64)
            out[begin - start : end - start] = self._score_batch(
                windows[begin:end], train, parts=parts, positions=positions
            )
        return out


def _fingerprint(windows, grain):
    """A digest of the windows: of the series behind them when they are consecutive
    (every last step: the rows themselves, whatever the padding before the first, so
    that a run's windows cut alone or out of the whole series match), of every value
    when they are samples."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.asarray(windows.shape, dtype=np.int64).tobytes())
    digest.update(str(windows.dtype).encode())
    if grain == "sample":
        digest.update(np.ascontiguousarray(windows).tobytes())
    else:
        digest.update(np.ascontiguousarray(windows[:, -1, :]).tobytes())
    return digest.hexdigest()
