"""AnomalyDisplay: a series with its anomaly score, threshold and anomalies."""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..utils import CONTRIBUTION_PREFIX, check_anomaly_labels, check_predictions
from ._inspect import detector_outputs
from ._utils import as_x, cell_edges, document, format_time_axis, make_axes, shade

_TRUE_STYLE = {"color": "tab:red", "alpha": 0.18, "linewidth": 0}
_PRED_STYLE = {"color": "tab:orange", "alpha": 0.35, "linewidth": 0}
_THRESHOLD_STYLE = {"color": "tab:red", "linestyle": "--", "linewidth": 1.0}
_SCORE_STYLE = {"color": "black", "linewidth": 0.8}
_LAYOUTS = ("auto", "shared", "separate", "scaled")
#: "auto" draws channels on one axis unless one of them would span less than this share
#: of the axis (a voltage near 230 flattens a current near 10)
_FLAT = 0.1
#: ... and in one panel each up to this many channels (scaled on one axis beyond)
_MAX_PANELS = 8


class AnomalyDisplay:
    """Series, anomaly score, threshold and anomalies of a detector, in stacked panels.

    The top panels show the series (one line per channel, in one panel or one panel per
    channel, see ``channel_layout``), with true anomalies shaded in red and predicted
    anomalies in orange. The bottom panel shows the anomaly score (higher = more
    anomalous), the threshold above which a row is predicted anomalous (dashed) and the
    true anomalies again. Between them, the multi-scale view adds one panel per error
    column (one per window size of a multi-scale detector), and the attribution view
    one panel of the score split among the channels (each channel's share of the
    row's anomaly times the positive part of the score, stacked, in the colours of the
    channels' lines), true anomalies shaded.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`; the constructor only
    stores data (in the style of scikit-learn's ``Display`` objects), and :meth:`plot`
    draws it.

    Parameters
    ----------
    series : ndarray of shape (n_timestamps, n_channels) or (n_timestamps,)
        The series, rows in time order (NaN = missing reading, drawn as a gap).
    scores : ndarray of shape (n_timestamps,)
        Anomaly score of each row, higher = more anomalous.
    timestamps : array-like of shape (n_timestamps,), default=None
        x coordinates (datetimes or numbers); ``None`` means row positions.
    y_true : array-like of shape (n_timestamps,), default=None
        True labels, 1 = anomaly, 0 = normal.
    y_pred : array-like of shape (n_timestamps,), default=None
        Predicted labels: an outlier detector's -1 (anomaly) / +1 (normal), or 0/1
        (1 = anomaly); see :func:`~ecoai_sklearn.metrics.point_f1_score` for the rule.
    threshold : float, default=None
        Score above which a row is anomalous, drawn as a horizontal line.
    errors : ndarray of shape (n_timestamps, n_errors), default=None
        Per-scale reconstruction errors, one panel per column.
    channel_names : list of str, default=None
        Legend entry of each channel.
    error_names : list of str, default=None
        y label of each error panel.
    contributions : ndarray of shape (n_timestamps, n_channels), default=None
        Each channel's share of each row's anomaly (rows summing to 1, as
        :func:`~ecoai_sklearn.pipelines.detection_frame` gives them): adds the panel of
        the score split among the channels.
    channel_layout : {"auto", "shared", "separate", "scaled"}, default="auto"
        How the channels are drawn: ``"shared"``, all on one axis; ``"separate"``, one
        panel each (named by its y label); ``"scaled"``, on one axis, each scaled to
        [0, 1] (its minimum to its maximum). ``"auto"``: one axis when every channel
        spans at least a tenth of it, else one panel per channel (up to 8 channels;
        scaled beyond, or when :meth:`plot` is given Axes for one series panel), so
        that a voltage near 230 does not flatten a current near 10.
    name : str, default=None
        Title of the figure (the detector's name).

    Attributes
    ----------
    figure_ : matplotlib Figure
        Figure holding the panels.
    ax_ : ndarray of matplotlib Axes of shape (n_panels,)
        The panels, top to bottom: the series (one, or one per channel), one per error
        column, the contributions (if any), the score.
    series_ax_ : ndarray of matplotlib Axes
        The series panels (the first ones of ``ax_``).
    series_lines_ : list of matplotlib Line2D
        One line per channel.
    error_lines_ : list of matplotlib Line2D
        One line per error column.
    contribution_areas_ : list of matplotlib PolyCollection
        One stacked area per channel (empty without ``contributions``).
    score_line_ : matplotlib Line2D
        The anomaly score.
    threshold_line_ : matplotlib Line2D or None
        The threshold, if any.
    true_spans_ : list of matplotlib patches
        Shaded runs of true anomalies, on every panel.
    pred_spans_ : list of matplotlib patches
        Shaded runs of predicted anomalies, on the series panel.

    See Also
    --------
    PeriodogramDisplay : The FFT periodogram and the periods a detector chose.

    Notes
    -----
    A shaded run covers its rows from half a step before the first to half a step after
    the last, so that a single anomalous row (a spike) stays visible.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from ecoai_sklearn.plotting import AnomalyDisplay
    >>> X = np.sin(np.arange(200) / 5.0)
    >>> X[120] = 4.0
    >>> scores = np.abs(X - np.sin(np.arange(200) / 5.0))
    >>> y_true = (np.arange(200) == 120).astype(int)
    >>> display = AnomalyDisplay.from_predictions(X, scores, y_true=y_true, threshold=1.0)
    >>> display.ax_.shape
    (2,)
    >>> len(display.true_spans_), len(display.pred_spans_)
    (2, 1)
    >>> float(display.threshold_line_.get_ydata()[0])
    1.0
    """

    def __init__(
        self,
        *,
        series,
        scores,
        timestamps=None,
        y_true=None,
        y_pred=None,
        threshold=None,
        errors=None,
        channel_names=None,
        error_names=None,
        contributions=None,
        channel_layout="auto",
        name=None,
    ):
        self.series = series
        self.scores = scores
        self.timestamps = timestamps
        self.y_true = y_true
        self.y_pred = y_pred
        self.threshold = threshold
        self.errors = errors
        self.channel_names = channel_names
        self.error_names = error_names
        self.contributions = contributions
        self.channel_layout = channel_layout
        self.name = name

    def plot(self, ax=None, *, show_legend=True):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of Axes, default=None
            ``None`` draws a new figure. One Axes made by ``subplots`` is split into the
            panels (and removed). A sequence must hold one Axes per panel: the series
            panels (1, or one per channel), one per error column, one for the
            contributions, one for the score.
        show_legend : bool, default=True
            Whether to draw legends on the series, contribution and score panels.

        Returns
        -------
        display : AnomalyDisplay
            The display, with the matplotlib artists as attributes.
        """
        data = _check_display_data(self)
        n_errors = 0 if data.errors is None else data.errors.shape[1]
        with_parts = data.contributions is not None
        if data.layout == "separate" and self.channel_layout == "auto" and _n_given(ax):
            # Axes given for one series panel: "auto" fits the channels into it, scaled
            if _n_given(ax) != data.series.shape[1] + n_errors + with_parts + 1:
                data.layout = "scaled"
        n_series = data.series.shape[1] if data.layout == "separate" else 1
        height = 2.0 if n_series == 1 else max(0.8, 3.0 / n_series)
        ratios = [height] * n_series + [1.0] * n_errors + [1.2] * with_parts + [1.5]
        self.figure_, self.ax_ = make_axes(ax, len(ratios), ratios, "AnomalyDisplay.plot")
        x, edges = data.x, cell_edges(data.x)
        self.series_ax_ = self.ax_[:n_series]
        score_ax = self.ax_[-1]
        colors = [f"C{k % 10}" for k in range(data.series.shape[1])]

        self.series_lines_ = []
        for channel, label in enumerate(data.channel_names):
            panel = self.series_ax_[channel if n_series > 1 else 0]
            values = data.series[:, channel]
            if data.layout == "scaled":
                values = _unit_scaled(values)
            (line,) = panel.plot(x, values, linewidth=0.8, label=label, color=colors[channel])
            self.series_lines_.append(line)
            if n_series > 1:
                panel.set_ylabel(label)
        if n_series == 1:
            self.series_ax_[0].set_ylabel("scaled value" if data.layout == "scaled" else "value")

        self.true_spans_, self.pred_spans_ = [], []
        for panel in self.ax_:
            if data.y_true is not None:
                self.true_spans_.extend(
                    shade(panel, edges, data.y_true, label="true anomaly", **_TRUE_STYLE)
                )
        if data.y_pred is not None:
            for panel in self.series_ax_:
                self.pred_spans_.extend(
                    shade(panel, edges, data.y_pred, label="predicted anomaly", **_PRED_STYLE)
                )

        self.error_lines_ = []
        for column in range(n_errors):
            panel = self.ax_[n_series + column]
            (line,) = panel.plot(x, data.errors[:, column], color="tab:purple", linewidth=0.8)
            panel.set_ylabel(data.error_names[column])
            self.error_lines_.append(line)

        self.contribution_areas_ = []
        if with_parts:
            panel = self.ax_[-2]
            parts = data.contributions * np.clip(np.nan_to_num(data.scores), 0.0, None)[:, None]
            self.contribution_areas_ = panel.stackplot(
                x, parts.T, labels=data.channel_names, colors=colors, linewidth=0
            )
            panel.set_ylabel("score by channel")
            if show_legend:
                panel.legend(loc="upper left", fontsize="small", ncols=min(4, len(colors)))

        (self.score_line_,) = score_ax.plot(x, data.scores, label="anomaly score", **_SCORE_STYLE)
        self.threshold_line_ = None
        if data.threshold is not None:
            self.threshold_line_ = score_ax.axhline(
                data.threshold, label="threshold", **_THRESHOLD_STYLE
            )
        score_ax.set_ylabel("anomaly score")
        score_ax.set_xlabel("time" if x.dtype.kind == "M" else "row")
        format_time_axis(score_ax, x)
        if self.name is not None:
            self.series_ax_[0].set_title(str(self.name))
        if show_legend:
            self.series_ax_[0].legend(loc="upper left", fontsize="small", ncols=2)
            score_ax.legend(loc="upper left", fontsize="small")
        return self

    @classmethod
    @document
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        y_true=None,
        timestamps=None,
        show_errors="auto",
        show_contributions="auto",
        channel_layout="auto",
        name=None,
        ax=None,
        show_legend=True,
    ):
        """Plot a fitted detector's anomaly score and predictions on a series.

        The score is ``-decision_function(X)`` and the threshold 0 (a row is predicted
        anomalous when its score is above 0, sklearn's ``predict == -1`` rule); a
        detector without ``decision_function`` is scored by ``-score_samples(X)`` and its
        predictions come from ``predict`` (no threshold line). ``X`` is passed through
        the detector once; the scores are then drawn by :meth:`from_predictions`.

        Parameters
        ----------
        estimator : fitted outlier detector
            Usually a pipeline from :mod:`ecoai_sklearn.pipelines`.
        X : array-like or DataFrame of shape (n_timestamps, n_channels)
            The series to score; a DataFrame's columns name the channels and its
            DatetimeIndex gives the timestamps.
        y_true : array-like of shape (n_timestamps,), default=None
            True labels (1 = anomaly) to shade.
        timestamps : array-like of shape (n_timestamps,), default=None
            x coordinates; default: the DatetimeIndex of ``X``, else row positions.
        show_errors : "auto" or bool, default="auto"
            For a Pipeline, whether to add one panel per column of the last step's input
            (the error of each scale). ``"auto"`` does so when it has several columns
            (a multi-scale detector). Columns fed by one FFTWindower each are labelled
            by their period.
        show_contributions : "auto" or bool, default="auto"
            Whether to add the panel of the score split among the channels, from
            :func:`~ecoai_sklearn.pipelines.detection_frame`. ``"auto"``: when the
            detector gives channel contributions and ``X`` has several channels; True:
            raise a ``TypeError`` when it gives none.
        channel_layout : {"auto", "shared", "separate", "scaled"}, default="auto"
            How the channels are drawn, see :class:`AnomalyDisplay`.
        name : str, default=None
            Title; default: the class name of ``estimator``.
        %(anomaly_drawing)s
        """
        if show_errors not in ("auto", True, False):
            raise ValueError(f"show_errors must be 'auto', True or False; got {show_errors!r}.")
        if show_contributions not in ("auto", True, False):
            raise ValueError(
                f"show_contributions must be 'auto', True or False; got {show_contributions!r}."
            )
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        outputs = detector_outputs(estimator, X, errors=show_errors)
        contributions = None
        if show_contributions is True or (show_contributions == "auto" and np.ndim(X) == 2):
            from ..pipelines import detection_frame

            frame = detection_frame(estimator, X, contributions=show_contributions)
            columns = [c for c in frame.columns if str(c).startswith(CONTRIBUTION_PREFIX)]
            if columns and (show_contributions is True or len(columns) > 1):
                contributions = frame[columns].to_numpy()
        return cls.from_predictions(
            X,
            outputs.score,
            y_true=y_true,
            y_pred=outputs.y_pred,
            threshold=outputs.threshold,
            timestamps=timestamps,
            errors=outputs.errors,
            error_names=outputs.error_names,
            contributions=contributions,
            channel_layout=channel_layout,
            name=type(estimator).__name__ if name is None else name,
            ax=ax,
            show_legend=show_legend,
        )

    @classmethod
    @document
    def from_predictions(
        cls,
        X,
        scores,
        *,
        y_true=None,
        y_pred=None,
        threshold=None,
        timestamps=None,
        errors=None,
        error_names=None,
        contributions=None,
        channel_layout="auto",
        name=None,
        ax=None,
        show_legend=True,
    ):
        """Plot a series with anomaly scores computed beforehand.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_timestamps, n_channels) or (n_timestamps,)
            The series; a DataFrame's columns name the channels and its DatetimeIndex
            gives the timestamps.
        scores : array-like of shape (n_timestamps,)
            Anomaly scores, higher = more anomalous (for an sklearn outlier detector:
            ``-decision_function(X)``).
        y_true : array-like of shape (n_timestamps,), default=None
            True labels (1 = anomaly, 0 = normal) to shade.
        y_pred : array-like of shape (n_timestamps,), default=None
            Predicted labels (-1/+1 or 0/1) to shade. ``None`` with a ``threshold``
            means ``scores > threshold``.
        threshold : float, default=None
            Threshold line on the score panel.
        timestamps : array-like of shape (n_timestamps,), default=None
            x coordinates; default: the DatetimeIndex of ``X``, else row positions.
        errors : array-like of shape (n_timestamps, n_errors), default=None
            Per-scale errors, one panel each (the multi-scale view).
        error_names : list of str, default=None
            Labels of the error panels; default ``"error 0"``, ``"error 1"``, ...
        contributions : array-like of shape (n_timestamps, n_channels), default=None
            Each channel's share of each row's anomaly, e.g. the ``contribution_*``
            columns of :func:`~ecoai_sklearn.pipelines.detection_frame`: adds the panel
            of the score split among the channels.
        channel_layout : {"auto", "shared", "separate", "scaled"}, default="auto"
            How the channels are drawn, see :class:`AnomalyDisplay`.
        name : str, default=None
            Title.
        %(anomaly_drawing)s
        """
        series, channel_names, index_times = _split_frame(X)
        if y_pred is None and threshold is not None:
            y_pred = _as_float_1d(scores, "scores") > _check_threshold(threshold)
        display = cls(
            series=series,
            scores=scores,
            timestamps=index_times if timestamps is None else timestamps,
            y_true=y_true,
            y_pred=y_pred,
            threshold=threshold,
            errors=errors,
            channel_names=channel_names,
            error_names=error_names,
            contributions=contributions,
            channel_layout=channel_layout,
            name=name,
        )
        return display.plot(ax=ax, show_legend=show_legend)


def _split_frame(X):
    """Values, channel names and DatetimeIndex (or None) of a series-like ``X``."""
    if isinstance(X, pd.Series):
        X = X.to_frame(name=X.name if X.name is not None else "value")
    if isinstance(X, pd.DataFrame):
        times = X.index if isinstance(X.index, pd.DatetimeIndex) else None
        return X.to_numpy(), [str(c) for c in X.columns], times
    return X, None, None


def _as_float_1d(values, name):
    if isinstance(values, str) or values is None:
        raise TypeError(f"{name} must be a 1D numeric array-like, got {type(values).__name__}.")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from exc
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1D, got an array of shape {array.shape}.")
    return array


def _check_threshold(threshold):
    try:
        value = float(threshold)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"threshold must be a number, got {threshold!r}.") from exc
    if not np.isfinite(value):
        raise ValueError(f"threshold must be finite, got {threshold!r}.")
    return value


def _check_display_data(display):
    """Validate the stored data; return arrays ready to draw (inputs are not modified)."""
    data = Bunch()
    series = display.series
    if isinstance(series, str) or series is None:
        raise TypeError(f"X must be a numeric series, got {type(series).__name__}.")
    try:
        series = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"X must be numeric: {exc}") from exc
    if series.ndim == 1:
        series = series[:, np.newaxis]
    if series.ndim != 2:
        raise ValueError(
            "X must be a series of shape (n_timestamps,) or (n_timestamps, n_channels); got "
            f"an array of shape {series.shape} (windows cannot be drawn as a series)."
        )
    n, n_channels = series.shape
    if n == 0 or n_channels == 0:
        raise ValueError(f"X is empty (shape {series.shape}).")
    data.series = series
    data.scores = _as_float_1d(display.scores, "scores")
    _check_length(data.scores, n, "scores")
    data.x = as_x(display.timestamps, n)
    data.y_true = None
    if display.y_true is not None:
        data.y_true = check_anomaly_labels(display.y_true, name="y_true")
        _check_length(data.y_true, n, "y_true")
    data.y_pred = None
    if display.y_pred is not None:
        data.y_pred = _check_y_pred(display.y_pred)
        _check_length(data.y_pred, n, "y_pred")
    data.threshold = None if display.threshold is None else _check_threshold(display.threshold)
    names = display.channel_names
    if names is None:
        names = ["value"] if n_channels == 1 else [f"channel {i}" for i in range(n_channels)]
    data.channel_names = _check_names(names, n_channels, "channel_names")
    data.errors, data.error_names = None, None
    if display.errors is not None:
        errors = np.asarray(display.errors, dtype=np.float64)
        if errors.ndim == 1:
            errors = errors[:, np.newaxis]
        if errors.ndim != 2 or errors.shape[1] == 0:
            raise ValueError(
                f"errors must have shape (n_timestamps, n_errors); got shape {errors.shape}."
            )
        _check_length(errors, n, "errors")
        names = display.error_names
        if names is None:
            names = [f"error {i}" for i in range(errors.shape[1])]
        data.errors = errors
        data.error_names = _check_names(names, errors.shape[1], "error_names")
    data.contributions = None
    if display.contributions is not None:
        parts = np.asarray(display.contributions, dtype=np.float64)
        if parts.ndim != 2 or parts.shape[1] != n_channels:
            raise ValueError(
                f"contributions must have shape (n_timestamps, {n_channels}), one column per "
                f"channel of X; got shape {parts.shape}."
            )
        _check_length(parts, n, "contributions")
        data.contributions = parts
    data.layout = _layout(display.channel_layout, series)
    return data


def _layout(layout, series):
    """The drawing of the channels: ``"shared"``, ``"separate"`` or ``"scaled"``."""
    if layout not in _LAYOUTS:
        raise ValueError(f"channel_layout must be one of {_LAYOUTS}; got {layout!r}.")
    n_channels = series.shape[1]
    if n_channels == 1:
        return "shared"
    if layout != "auto":
        return layout
    with warnings.catch_warnings():  # an all-missing channel: NaN, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(series, axis=0), np.nanmax(series, axis=0)
    span = np.nanmax(high) - np.nanmin(low)
    if not (np.isfinite(span) and span > 0) or np.nanmin(high - low) >= _FLAT * span:
        return "shared"
    return "separate" if n_channels <= _MAX_PANELS else "scaled"


def _n_given(ax):
    """Number of Axes in a sequence given as ``ax`` (0 for None or one Axes)."""
    if ax is None or isinstance(ax, str) or not hasattr(ax, "__len__"):
        return 0
    return int(np.asarray(ax, dtype=object).size)


def _unit_scaled(values):
    """``values`` from their minimum (0) to their maximum (1); constant: 0.5."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(values), np.nanmax(values)
    if not (np.isfinite(high - low) and high > low):
        return np.where(np.isnan(values), np.nan, 0.5)
    return (values - low) / (high - low)


def _check_y_pred(y_pred):
    values = np.asarray(y_pred)
    if values.dtype.kind in "iuf" and values.size and np.all(values == 1):
        # check_y_pred's own message points to a parameter this display does not have.
        raise ValueError(
            "y_pred holds only the value 1: 'all normal' for a detector's predict (-1/+1) "
            "but 'all anomalies' for 0/1 labels. Pass a bool array (True = anomaly), e.g. "
            "y_pred=(detector.predict(X) == -1)."
        )
    return check_predictions(y_pred)


def _check_length(array, n, name):
    if array.shape[0] != n:
        raise ValueError(f"{name} has {array.shape[0]} rows but X has {n}; they must match.")


def _check_names(names, expected, name):
    names = [names] if isinstance(names, str) else [str(v) for v in names]
    if len(names) != expected:
        raise ValueError(f"{name} must hold {expected} name(s), got {len(names)}.")
    return names
