"""PeriodogramDisplay: the FFT amplitude spectrum of a series and the periods chosen."""

import numpy as np

from ..windowing import amplitude_spectrum, find_periods
from ._inspect import windower_inputs
from ._utils import document, make_axes

__all__ = ["PeriodogramDisplay", "amplitude_spectrum"]


class PeriodogramDisplay:
    """FFT amplitude spectrum of a series against the period, with the chosen periods.

    The curve is the Hann-tapered amplitude spectrum that
    :func:`~ecoai_sklearn.windowing.find_periods` searches for peaks (channels detrended
    and standardized, root mean square over channels), drawn against the period in
    samples on a log axis; vertical lines mark the periods chosen as window sizes.

    Build it with :meth:`from_estimator` (a fitted windower or detector) or
    :meth:`from_series`; the constructor only stores data.

    Parameters
    ----------
    periods : ndarray of shape (n_bins,)
        Period of each spectrum bin, in samples.
    amplitudes : ndarray of shape (n_bins,)
        Amplitude of each bin (units of the standardized series; a pure sine has
        ``sqrt(2)``).
    chosen_periods : array-like of int, default=None
        Periods to mark, best first.
    name : str, default=None
        Title of the plot.

    Attributes
    ----------
    figure_ : matplotlib Figure
        Figure holding the plot.
    ax_ : matplotlib Axes
        Axes of the plot.
    line_ : matplotlib Line2D
        The spectrum.
    period_lines_ : list of matplotlib Line2D
        One vertical line per chosen period.

    See Also
    --------
    AnomalyDisplay : The series, score and anomalies of a detector.
    ecoai_sklearn.windowing.find_periods : The period finder.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from ecoai_sklearn.plotting import PeriodogramDisplay
    >>> t = np.arange(96 * 14)
    >>> X = np.sin(2 * np.pi * t / 96) + 0.5 * np.sin(2 * np.pi * t / 24)
    >>> display = PeriodogramDisplay.from_series(X, n_periods=2)
    >>> [int(p) for p in display.chosen_periods]
    [96, 24]
    >>> [line.get_label() for line in display.period_lines_]
    ['period 96', 'period 24']
    """

    def __init__(self, *, periods, amplitudes, chosen_periods=None, name=None):
        self.periods = periods
        self.amplitudes = amplitudes
        self.chosen_periods = chosen_periods
        self.name = name

    def plot(self, ax=None, *, show_legend=True):
        """Draw the spectrum and the chosen periods.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        show_legend : bool, default=True
            Whether to draw a legend.

        Returns
        -------
        display : PeriodogramDisplay
        """
        periods = np.asarray(self.periods, dtype=np.float64)
        amplitudes = np.asarray(self.amplitudes, dtype=np.float64)
        if periods.ndim != 1 or periods.shape != amplitudes.shape or periods.size == 0:
            raise ValueError(
                "periods and amplitudes must be non-empty 1D arrays of the same length; got "
                f"shapes {periods.shape} and {amplitudes.shape}."
            )
        chosen = [] if self.chosen_periods is None else np.atleast_1d(self.chosen_periods)
        self.figure_, axes = make_axes(ax, 1, [1.0], "PeriodogramDisplay.plot")
        self.ax_ = axes[0]
        (self.line_,) = self.ax_.plot(periods, amplitudes, color="black", linewidth=0.8)
        self.line_.set_label("amplitude spectrum")
        self.period_lines_ = [
            self.ax_.axvline(
                float(period),
                color=f"C{rank}",
                linestyle="--",
                linewidth=1.2,
                label=f"period {int(period)}",
            )
            for rank, period in enumerate(chosen)
        ]
        self.ax_.set_xscale("log")
        self.ax_.set_xlabel("period (samples)")
        self.ax_.set_ylabel("amplitude")
        if self.name is not None:
            self.ax_.set_title(str(self.name))
        if show_legend:
            self.ax_.legend(loc="upper left", fontsize="small")
        return self

    @classmethod
    @document
    def from_series(
        cls,
        X,
        *,
        chosen_periods=None,
        n_periods=3,
        detrend="linear",
        min_period=2,
        max_period=None,
        name=None,
        ax=None,
        show_legend=True,
    ):
        """Plot the spectrum of a series and its dominant periods.

        Parameters
        ----------
        X : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
            The series, without missing values.
        chosen_periods : array-like of int, default=None
            Periods to mark; ``None`` marks the ``n_periods`` periods that
            :func:`~ecoai_sklearn.windowing.find_periods` returns.
        n_periods, detrend, min_period, max_period
            Passed to :func:`~ecoai_sklearn.windowing.find_periods`; ``detrend`` also
            preprocesses the plotted spectrum.
        name : str, default=None
            Title.
        %(periodogram_drawing)s
        """
        periods, amplitudes = amplitude_spectrum(X, detrend=detrend)
        if chosen_periods is None:
            chosen_periods = find_periods(
                X,
                n_periods=n_periods,
                detrend=detrend,
                min_period=min_period,
                max_period=max_period,
            )
        display = cls(
            periods=periods, amplitudes=amplitudes, chosen_periods=chosen_periods, name=name
        )
        return display.plot(ax=ax, show_legend=show_legend)

    @classmethod
    @document
    def from_estimator(cls, estimator, X, *, name=None, ax=None, show_legend=True):
        """Plot the spectrum a fitted detector's windowers saw, and their window sizes.

        Parameters
        ----------
        estimator : fitted FFTWindower, or a fitted pipeline holding FFTWindowers
            The window sizes (``window_size_``) of its windowers are marked, in order.
        X : array-like of shape (n_timestamps, n_channels)
            The series given to ``estimator``; the pipeline steps before the first
            windower (imputer, scaler) transform it, and the spectrum is that of the
            series the windower receives, preprocessed with the windower's ``detrend``.
        name : str, default=None
            Title; default: the class name of ``estimator``.
        %(periodogram_drawing)s
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        pairs = windower_inputs(estimator, X)
        if not pairs:
            raise ValueError(
                f"{type(estimator).__name__} holds no FFTWindower: there is no period to show. "
                "Use PeriodogramDisplay.from_series(X) for a plain series."
            )
        chosen = list(dict.fromkeys(int(w.window_size_) for w, _ in pairs))
        windower, series = pairs[0]
        periods, amplitudes = amplitude_spectrum(series, detrend=windower.detrend)
        display = cls(
            periods=periods,
            amplitudes=amplitudes,
            chosen_periods=chosen,
            name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(ax=ax, show_legend=show_legend)
