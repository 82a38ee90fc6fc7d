"""What every window scorer shares: windows in, one feature row per timestamp out (private).

A window scorer is fitted on windows ``(n, w, c)`` (row ``t`` = the window ending at
timestamp ``t``, as :class:`~ecoai_sklearn.windowing.FFTWindower` makes them, or
independent samples) and returns error columns, higher = more anomalous, plus optionally
each row's own readings. A subclass says how a batch of windows is scored
(:meth:`_WindowScorer._score_batch`) and how it is fitted; this base validates, maps
window errors onto timestamps, splits them among the channels
(:meth:`_WindowScorer.channel_contributions`), handles several runs (``groups``) and
names the columns.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import (
    StrOptions,
    channel_names,
    check_anomaly_labels,
    error_feature_names,
    group_bounds,
    shares,
    validate_windows,
    value_feature_names,
)
from ._aggregate import covering_mean, covering_windows

#: constraints every window scorer shares
BASE_CONSTRAINTS = {
    "grain": [StrOptions({"timestamp", "sample"})],
    "channels": [StrOptions({"joint", "separate"})],
    "fit_on": [StrOptions({"all", "normal"})],
    "include_values": ["boolean"],
}


class _WindowScorer(TransformerMixin, BaseEstimator):
    """Base of the window scorers (not public).

    Subclasses set ``_error_name`` (the prefix of the error columns), implement
    ``_score_batch(windows, model, point, parts)`` returning ``(b, k)`` window errors
    (or ``(b, w, k)`` per-step costs when ``point``), followed, when ``parts`` (one
    error over ``c > 1`` channels), by ``c`` columns that split the error among the
    channels (they sum to it), and fit the model they score with.
    """

    _error_name = "error"

    # ------------------------------------------------------------------ fit helpers
    def _validate_windows(self, X, *, reset):
        windows = validate_windows(self, X, reset=reset, dtype=[np.float64, np.float32])
        return windows[:, :, np.newaxis] if windows.ndim == 2 else windows

    def _check_rows(self, n, w, *, fitting):
        if self.grain == "timestamp" and n < w:
            need = "rows (one window without padding) to fit" if fitting else (
                f"consecutive windows (the first {w - 1} hold padding)"
            )
            raise ValueError(
                f"X has n_samples={n} windows of length {w}; grain='timestamp' needs at "
                f"least {w} {need}."
            )

    def _window_labels(self, y, n, w):
        """True for each window (row) that covers a row labelled 1 (None without y)."""
        if y is None:
            return None
        anomalous = check_anomaly_labels(y, n_samples=n)
        if self.grain == "sample":
            return anomalous
        counts = np.concatenate(([0], np.cumsum(anomalous, dtype=np.int64)))
        ends = np.arange(n) + 1
        return (counts[ends] - counts[np.maximum(ends - w, 0)]) > 0

    def _run_bounds(self, groups, n, w):
        """``(starts, stops)`` of the runs of ``groups`` (one run without), each checked to
        hold a window (timestamp grain); with ``grain="sample"`` groups are ignored."""
        if groups is None or self.grain == "sample":
            return np.array([0]), np.array([n])
        starts, stops, labels = group_bounds(groups, n)
        short = np.flatnonzero(stops - starts < w)
        if short.size:
            k = int(short[0])
            raise ValueError(
                f"groups: the run {labels[k]!r} has {int(stops[k] - starts[k])} rows, fewer "
                f"than the window length {w}: no window lies inside it. Drop such runs or "
                "use shorter windows."
            )
        return starts, stops

    def _candidates(self, n, w, labels, stride=1, bounds=None):
        """Real windows (rows) at ``stride``, without anomalies with ``fit_on="normal"``.

        With ``bounds`` (runs), the real windows of each run: those lying inside it.
        """
        first = w - 1 if self.grain == "timestamp" else 0
        if bounds is None or len(bounds[0]) == 1:
            index = np.arange(first, n, stride)
        else:
            index = np.concatenate(
                [np.arange(a + first, b, stride) for a, b in zip(*bounds)]
            ).astype(np.int64)
        if self.fit_on == "normal" and labels is not None:
            index = index[~labels[index]]
        if index.size == 0:
            raise ValueError(
                "fit_on='normal' leaves no training window: every selected window "
                "covers a row labelled 1. Use fit_on='all' or more normal data."
            )
        return index

    # ------------------------------------------------------------------ transform
    def transform(self, X):
        """Per-timestamp (or per-sample) error features.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows with the length and channels seen in fit; with
            ``grain="timestamp"`` at least ``window_length_`` consecutive windows.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float64
            ``n_features_out`` is 1 (``channels="joint"``) or ``n_channels_`` error
            columns (higher = more anomalous), plus ``n_channels_`` value columns with
            ``include_values=True``.
        """
        return self._features(self._checked_windows(X), self._model())

    def fit_transform(self, X, y=None, groups=None):
        """Fit on ``X`` and return the error features of its rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows, as for :meth:`fit`.
        y : array-like of shape (n_samples,), default=None
            Labels, as for :meth:`fit`.
        groups : array-like of shape (n_samples,), default=None
            Run of each row, as for :meth:`fit`: each run's rows get the features they
            get when the run is transformed on its own.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), float64
        """
        return self.fit(X, y, groups=groups)._transform_runs(X, groups)

    def _transform_runs(self, X, groups):
        """Features of the rows of ``X``, each run of ``groups`` as a series of its own."""
        windows = self._validate_windows(X, reset=False)
        model = self._model()
        starts, stops = self._run_bounds(groups, windows.shape[0], windows.shape[1])
        return np.concatenate(
            [self._features(windows[a:b], model) for a, b in zip(starts, stops)]
        )

    def channel_contributions(self, X):
        """Each channel's share of each row's error: rows sum to 1.

        The error of a row (``-score_samples(X)``, the mean of the error columns) is
        split among the channels, window by window, and the parts are mapped onto the
        timestamps like the errors themselves (same ``aggregation``); each row's parts
        are then divided by their sum. How a window's error is split depends on the
        scorer (see its Notes): with ``channels="separate"`` each channel's own error
        column is its part.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows, as for :meth:`transform`.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_channels_), float64
            Non-negative shares, each row summing to 1 (a row with no error at all is
            split evenly). Multiply by ``-score_samples(X)[:, None]`` for each channel's
            part of the error.

        Examples
        --------
        >>> import numpy as np
        >>> from ecoai_sklearn.scoring import KNNWindowScorer
        >>> from ecoai_sklearn.windowing import FFTWindower
        >>> t = np.arange(24 * 30)
        >>> X = np.column_stack([np.sin(2 * np.pi * t / 24 + k) for k in range(3)])
        >>> X[600:604, 1] += 2.0  # a surge in channel 1
        >>> windower = FFTWindower(window_size=24).fit(X[:480])
        >>> scorer = KNNWindowScorer().fit(windower.transform(X[:480]))
        >>> shares = scorer.channel_contributions(windower.transform(X))
        >>> shares[600:604].argmax(axis=1).tolist(), bool(np.allclose(shares.sum(axis=1), 1))
        ([1, 1, 1, 1], True)
        """
        return self._score_samples_and_contributions(X)[1]

    def _score_samples_and_contributions(self, X):
        """``(score_samples(X), channel_contributions(X))`` from one pass."""
        windows = self._checked_windows(X)
        errors, parts = self._errors_and_parts(windows, self._model(), 0, windows.shape[0])
        return -errors.mean(axis=1), shares(parts)

    def _transform_and_contributions(self, X):
        """``(transform(X), channel_contributions(X))`` from one pass."""
        windows = self._checked_windows(X)
        errors, parts = self._errors_and_parts(windows, self._model(), 0, windows.shape[0])
        if self.include_values:
            errors = np.hstack([errors, windows[:, -1, :]])
        return errors, shares(parts)

    def _errors_and_parts(self, windows, model, start, stop):
        """Error columns and each channel's part of the row error (``(n, c)``)."""
        if self.channels == "separate" or self.n_channels_ == 1:
            errors = self._errors(windows, model, start, stop)
            # the row error is the mean of the columns: column k's part is 1/c of it
            return errors, errors / errors.shape[1]
        combined = self._errors(windows, model, start, stop, parts=True)
        k = self._n_error_columns
        return combined[:, :k], combined[:, k:]

    def score_samples(self, X):
        """Opposite of the mean error of each row: the higher, the more normal.

        The scorer as an outlier detector of its own (scikit-learn's convention):
        ``-errors.mean(axis=1)`` over the error columns of :meth:`transform` (the value
        columns of ``include_values`` are left out). A Pipeline ending with this step
        has ``score_samples`` too, so a windower and a scorer make a detector that an
        :class:`~ecoai_sklearn.pipelines.EnsembleDetector` can combine.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
            Windows, as for :meth:`transform`.

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64
        """
        windows = self._checked_windows(X)
        errors = self._errors(windows, self._model(), 0, windows.shape[0])
        return -errors.mean(axis=1)

    def _checked_windows(self, X):
        check_is_fitted(self)
        windows = self._validate_windows(X, reset=False)
        n, w, c = windows.shape
        if c != self.n_channels_:
            raise ValueError(
                f"X has windows with {c} channel(s), but {type(self).__name__} was fitted "
                f"on windows with {self.n_channels_} channel(s)."
            )
        self._check_rows(n, w, fitting=False)
        return windows

    def _features(self, windows, model, start=0, stop=None):
        """Features of the rows ``start .. stop - 1`` with a fitted ``model``."""
        stop = windows.shape[0] if stop is None else stop
        errors = self._errors(windows, model, start, stop)
        if not self.include_values:
            return errors
        # the last step of window t is timestamp t's own (scaled) reading
        return np.hstack([errors, windows[start:stop, -1, :]])

    def _errors(self, windows, model, start, stop, parts=False):
        """Error columns of the rows ``start .. stop - 1`` (covering or causal rule),
        followed with ``parts`` by the channels' parts of the error."""
        n, w = windows.shape[0], windows.shape[1]
        if self.grain == "sample":
            return self._window_errors(windows, model, start, stop, parts)
        if self.aggregation == "causal":
            # the window ending at each row (rows before the first real window: the first)
            first = max(start, w - 1)
            errors = self._window_errors(windows, model, first, stop, parts)
            return np.concatenate([np.repeat(errors[:1], first - start, axis=0), errors])
        j0, j1 = covering_windows(n, w, start, stop)
        errors = self._window_errors(windows, model, w - 1 + j0, w - 1 + j1, parts)
        return covering_mean(errors, n, w, start, stop)

    def _window_errors(self, windows, model, start, stop, parts=False):
        """Errors ``(stop - start, k)`` of the windows ``start .. stop - 1`` of ``windows``
        (and the channels' parts with ``parts``)."""
        out = np.empty((stop - start, self._n_columns(parts)))
        for begin in range(start, stop, self.batch_size):
            batch = windows[begin : min(begin + self.batch_size, stop)]
            out[begin - start : begin - start + batch.shape[0]] = self._score_batch(
                batch, model, point=False, parts=parts
            )
        return out

    @property
    def _n_error_columns(self):
        return 1 if self.channels == "joint" else self.n_channels_

    def _n_columns(self, parts):
        return self._n_error_columns + (self.n_channels_ if parts else 0)

    @property
    def _n_features_out(self):
        return self._n_error_columns + (self.n_channels_ if self.include_values else 0)

    def get_feature_names_out(self, input_features=None):
        """Names of the features, with the channels' names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the channels (the last axis of the windows), as the windower's
            ``get_feature_names_out`` gives them: a
            :class:`~sklearn.pipeline.Pipeline` passes them on. None: ``ch0``,
            ``ch1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["<error>_error"]`` or ``["<error>_error_<channel>", ...]`` per channel,
            then ``["value_<channel>", ...]`` with ``include_values=True``.
        """
        check_is_fitted(self)
        names = channel_names(self.n_channels_, input_features)
        joint = self.channels == "joint"
        out = error_feature_names(self._error_name, self.n_channels_, joint=joint, names=names)
        if self.include_values:
            out += value_feature_names(self.n_channels_, names)
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
