"""FFTWindower: one window per timestamp, sized by the series' dominant period."""

import warnings
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import (
    Interval,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    channel_names,
    group_bounds,
    validate_series,
)
from ._periods import find_periods

_OUTPUT_CONTAINERS = (None, "default", "pandas", "polars")


class FFTWindower(TransformerMixin, BaseEstimator):
    """Turn a series into one window per timestamp, sized by its dominant FFT period.

    ``transform`` maps a series ``X`` of shape ``(n_timestamps, n_channels)`` to an
    array of shape ``(n_timestamps, window_size_, n_channels)`` whose row ``t`` is the
    window ending at timestamp ``t``: ``X[t - window_size_ + 1 : t + 1]``. The number of
    rows does not change, so labels ``y`` stay aligned with the rows through a
    :class:`~sklearn.pipeline.Pipeline`.

    With ``window_size="auto"``, ``fit`` finds the dominant periods of ``X`` with
    :func:`find_periods` and uses the one of rank ``period_rank`` (0 = best), at most
    ``max_size`` samples long; a series without such a period gets ``fallback_size``
    and a warning (see Notes).

    Parameters
    ----------
    window_size : "auto" or int, default="auto"
        Window length in samples, or ``"auto"`` to use a period found in ``X`` by
        ``fit`` (see ``fallback_size`` and ``max_size``).
    period_rank : int, default=0
        Which of the found periods is the window length with ``"auto"`` (0 = the
        dominant one); a multi-scale detector uses one windower per rank.
    n_periods : int, default=None
        Number of periods ``fit`` looks for (stored in ``periods_``); ``None`` means
        ``period_rank + 1``, the fewest that define the window. When ``X`` has fewer
        significant periods, ``fallback_size`` applies.
    detrend : {"linear", "constant", "difference"}, default="linear"
        Preprocessing before the FFT, see :func:`find_periods`. Differencing
        over-weights harmonics (it picks 48 instead of 96 on harmonic-heavy 15-minute
        load); the windows themselves are always cut from ``X`` as given.
    min_period : int, default=2
        Shortest period considered by ``"auto"``.
    max_period : int, default=None
        Longest period considered by ``"auto"``; ``None`` means ``n_timestamps // 2``.
    padding : {"edge", "constant"}, default="edge"
        Values before the first timestamp, which fill the first ``window_size_ - 1``
        windows: ``"edge"`` repeats the first row of ``X``, ``"constant"`` uses zeros.
    fallback_size : int or None, default=64
        Window length of ``"auto"`` when ``X`` has no significant period of rank
        ``period_rank`` (constant, noise only, too short for a spectrum): a
        ``UserWarning`` says why, and the window is ``fallback_size`` samples, at most
        a quarter of the training series and at least ``min_period``. None: raise the
        period finder's ``ValueError`` instead.
    max_size : int or None, default=256
        Longest window of ``"auto"``: a longer period (a weekly cycle of 15-minute
        data is 672 samples) gives a window of ``max_size`` samples, which covers part
        of a cycle. The cost of every scorer grows with the window (the DTW of a
        window with its reconstruction as ``w ** 2``), so this bounds it whatever the
        series. To see whole long cycles, resample the series to a coarser step first.
        None: no cap.

    Attributes
    ----------
    window_size_ : int
        Window length used by ``transform``.
    window_rule_ : {"fixed", "period", "capped", "fallback"}
        How ``window_size_`` was chosen: given as an int, the period found, the period
        cut to ``max_size``, or ``fallback_size`` for lack of a period.
    periods_ : ndarray of shape (n_periods,), dtype int64, or None
        Periods found in the training series, best first (``None`` when
        ``window_size`` is an int: no search is run).
    period_amplitudes_ : ndarray of shape (n_periods,), or None
        Amplitude of each period's own spectral peak, see :func:`find_periods`.
    n_features_in_ : int
        Number of channels seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Channel names seen during ``fit``. Defined only when ``X`` has feature names
        that are all strings.

    See Also
    --------
    find_periods : The period finder used by ``window_size="auto"``.

    Notes
    -----
    **Automatic window.** The period of rank ``period_rank`` found by
    :func:`find_periods` between ``min_period`` and ``max_period`` samples is the
    window, cut to ``max_size``. Many real series have no significant period (server
    metrics, traffic counts, one-second sensor runs): then ``fallback_size`` samples,
    with a warning. A fixed length of a few dozen samples sees the local shape of such
    series; the development benchmark's numbers behind the default of 64 are in
    ``benchmarks/RESULTS.md`` (section "Default detector").

    **Padding and chunks.** Row ``t`` for ``t < window_size_ - 1`` reaches before the
    first timestamp; those positions take the padding values (the first row of the
    ``X`` being transformed, with ``padding="edge"``). A chunk transformed on its own
    therefore differs from the same rows of a longer transform in its first
    ``window_size_ - 1`` rows, and only there. To window new data exactly as if it
    continued the training series, prepend the previous ``window_size_ - 1`` rows of
    history and drop the first ``window_size_ - 1`` output rows. ``fit`` needs at
    least ``2 * window_size_`` rows; ``transform`` accepts any number of rows.

    **Zero copy.** The output is a read-only view of one padded copy of ``X``, made by
    :func:`numpy.lib.stride_tricks.sliding_window_view`: ``n_timestamps`` windows cost
    the memory of ``n_timestamps + window_size_ - 1`` rows, and ``X`` itself is never
    shared nor modified. Call :func:`numpy.ascontiguousarray` (or ``.copy()``) to get
    a writeable, contiguous array.

    **Output container and names.** A 3D array cannot be a DataFrame: ``set_output``
    accepts any container so that ``Pipeline.set_output(transform="pandas")`` works,
    but this step's output stays an ndarray. :meth:`get_feature_names_out` names its
    last axis, the channels (``feature_names_in_``, else ``ch0``, ``ch1``, ...), which a
    :class:`~sklearn.pipeline.Pipeline` passes on to the scorer after this step, so
    that its columns carry the channel names (``knn_error_voltage``).

    **Several runs.** ``fit(X, groups=...)`` takes a series of several independent
    runs one after the other (``groups`` labels each row's run, one contiguous block
    per run): the periods of ``"auto"`` are searched in the longest run, where no
    jump from one run to the next blurs the spectrum. The windows of ``transform``
    are cut from ``X`` as one series; the window scorers given the same ``groups``
    use only the windows that lie inside one run (see
    :class:`~ecoai_sklearn.scoring.KNNWindowScorer`).

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.windowing import FFTWindower
    >>> t = np.arange(96 * 14)
    >>> X = np.column_stack([np.sin(2 * np.pi * t / 96) + 0.8 * np.sin(2 * np.pi * t / 48)])
    >>> windower = FFTWindower().fit(X)
    >>> windower.window_size_
    96
    >>> windows = windower.transform(X)
    >>> windows.shape
    (1344, 96, 1)
    >>> bool(np.array_equal(windows[200, :, 0], X[105:201, 0]))
    True
    >>> FFTWindower(window_size=3).fit_transform(np.arange(6.0).reshape(-1, 1))[..., 0]
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.],
           [3., 4., 5.]])
    """

    _parameter_constraints = {
        "window_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "period_rank": [Interval(Integral, 0, None, closed="left")],
        "n_periods": [Interval(Integral, 1, None, closed="left"), None],
        "detrend": [StrOptions({"linear", "constant", "difference"})],
        "min_period": [Interval(Integral, 2, None, closed="left")],
        "max_period": [Interval(Integral, 2, None, closed="left"), None],
        "padding": [StrOptions({"edge", "constant"})],
        "fallback_size": [Interval(Integral, 2, None, closed="left"), None],
        "max_size": [Interval(Integral, 2, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        window_size="auto",
        period_rank=0,
        n_periods=None,
        detrend="linear",
        min_period=2,
        max_period=None,
        padding="edge",
        fallback_size=64,
        max_size=256,
    ):
        self.window_size = window_size
        self.period_rank = period_rank
        self.n_periods = n_periods
        self.detrend = detrend
        self.min_period = min_period
        self.max_period = max_period
        self.padding = padding
        self.fallback_size = fallback_size
        self.max_size = max_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Choose the window length (find the periods of ``X`` if ``"auto"``).

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Training series, rows in time order, without missing values.
        y : None
            Ignored.
        groups : array-like of shape (n_timestamps,), default=None
            Run label of each row when ``X`` holds several independent runs one after
            the other (each run one contiguous block of rows): the periods are searched
            in the longest run. None: ``X`` is one run.

        Returns
        -------
        self : FFTWindower
            The fitted windower.
        """
        X = validate_series(self, X, dtype=[np.float64, np.float32])
        if groups is not None:
            starts, stops, _ = group_bounds(groups, X.shape[0])
            longest = int(np.argmax(stops - starts))
            X = X[starts[longest] : stops[longest]]
        n_periods = self.period_rank + 1 if self.n_periods is None else self.n_periods
        if self.period_rank >= n_periods:
            raise ValueError(
                f"period_rank={self.period_rank} must be smaller than "
                f"n_periods={n_periods} (ranks start at 0)."
            )
        if self.window_size == "auto":
            self._auto_window(X, n_periods)
        else:
            self.periods_ = None
            self.period_amplitudes_ = None
            self.window_size_ = int(self.window_size)
            self.window_rule_ = "fixed"
        if X.shape[0] < 2 * self.window_size_:
            where = "its longest run (groups)" if groups is not None else "X"
            raise ValueError(
                f"{where} has n_samples={X.shape[0]} timestamps but window_size="
                f"{self.window_size_} needs at least {2 * self.window_size_} "
                "(two windows) to fit."
            )
        return self

    def _auto_window(self, X, n_periods):
        """Set the window from the period of rank ``period_rank``, capped, or the fallback."""
        try:
            self.periods_, self.period_amplitudes_ = find_periods(
                X,
                n_periods,
                detrend=self.detrend,
                min_period=self.min_period,
                max_period=self.max_period,
                return_amplitudes=True,
            )
        except ValueError as exc:
            # X is a valid series (validated above): the finder found too few periods
            if self.fallback_size is None:
                raise
            self.periods_ = self.period_amplitudes_ = None
            self.window_size_ = max(self.min_period, min(self.fallback_size, X.shape[0] // 4))
            self.window_rule_ = "fallback"
            warnings.warn(
                f"window_size='auto' found no period for the window ({exc}); using "
                f"window_size_={self.window_size_} (fallback_size={self.fallback_size}, at "
                "most a quarter of the series).",
                UserWarning,
                stacklevel=3,
            )
            return
        period = int(self.periods_[self.period_rank])
        capped = self.max_size is not None and period > self.max_size
        self.window_size_ = int(self.max_size) if capped else period
        self.window_rule_ = "capped" if capped else "period"

    def transform(self, X):
        """Return the window ending at each timestamp.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series to window, rows in time order, without missing values.

        Returns
        -------
        windows : ndarray of shape (n_timestamps, window_size_, n_channels)
            Read-only view; row ``t`` is ``X[t - window_size_ + 1 : t + 1]``, padded
            before the first row as set by ``padding``. Same float dtype as ``X``
            (float32 is kept, other dtypes become float64).
        """
        check_is_fitted(self)
        X = validate_series(self, X, reset=False, dtype=[np.float64, np.float32])
        return _sliding_windows(X, self.window_size_, self.padding)

    def get_feature_names_out(self, input_features=None):
        """Names of the channels, the last axis of the windows.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Channel names, e.g. from the step before this one in a Pipeline; they must
            match ``feature_names_in_`` when it is set. None: ``feature_names_in_``,
            else ``ch0``, ``ch1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (n_features_in_,)

        Examples
        --------
        >>> import pandas as pd
        >>> from ecoai_sklearn.windowing import FFTWindower
        >>> X = pd.DataFrame({"current": range(8), "voltage": range(8)}, dtype=float)
        >>> FFTWindower(window_size=2).fit(X).get_feature_names_out()
        array(['current', 'voltage'], dtype=object)
        """
        check_is_fitted(self)
        if input_features is None and not hasattr(self, "feature_names_in_"):
            names = channel_names(self.n_features_in_)
        else:
            names = _check_feature_names_in(self, input_features)
        return np.asarray(names, dtype=object)

    def set_output(self, *, transform=None):
        """Accept an output container request; the output stays a 3D ndarray.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            Requested container. Accepted so that ``Pipeline.set_output`` works on a
            pipeline holding this step, but a 3D array has no DataFrame form.

        Returns
        -------
        self : FFTWindower
            This windower, unchanged.
        """
        if transform not in _OUTPUT_CONTAINERS:
            raise ValueError(
                f"transform must be one of 'default', 'pandas', 'polars' or None; got "
                f"{transform!r}."
            )
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _sliding_windows(X, window_size, padding):
    """Read-only ``(n, w, c)`` view of ``X`` padded with ``w - 1`` leading rows."""
    padded = np.pad(X, ((window_size - 1, 0), (0, 0)), mode=padding)
    # (n, c, w) -> (n, w, c): time inside the window on axis 1, channels last.
    return sliding_window_view(padded, window_size, axis=0).transpose(0, 2, 1)
