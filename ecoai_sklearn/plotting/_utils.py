"""Matplotlib helpers shared by the displays (private).

matplotlib is imported inside the functions only: ``import ecoai_sklearn.plotting`` must
work without the ``plot`` extra, and fail with an actionable message when a plot is drawn.
"""

import numpy as np
import pandas as pd

from ..utils import Substitution, runs

#: Fills the drawing parameters and Returns section shared by each display's
#: ``from_*`` constructors.
document = Substitution(
    anomaly_drawing="""\
ax : matplotlib Axes or sequence of Axes, default=None
    Where to draw, see :meth:`plot`.
show_legend : bool, default=True
    Whether to draw legends.

Returns
-------
display : AnomalyDisplay""",
    periodogram_drawing="""\
ax : matplotlib Axes, default=None
    Axes to draw on.
show_legend : bool, default=True
    Whether to draw a legend.

Returns
-------
display : PeriodogramDisplay""",
)


def check_matplotlib(caller):
    """Import and return ``matplotlib.pyplot``, or raise an ImportError naming the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install the plotting "
            "extra with: pip install ecoai_sklearn[plot]"
        ) from exc
    return plt


def make_axes(ax, n_rows, height_ratios, caller):
    """Return ``(figure, axes)`` with ``n_rows`` stacked Axes sharing the x axis.

    ``ax`` is None (new figure), one Axes made by ``subplots`` (its cell is split into
    ``n_rows`` panels, the Axes itself removed) or a sequence of exactly ``n_rows`` Axes.
    """
    plt = check_matplotlib(caller)
    from matplotlib.axes import Axes

    if ax is None:
        figure, axes = plt.subplots(
            n_rows,
            1,
            sharex=True,
            squeeze=False,
            figsize=(10.0, max(4.0, 1.0 + 1.5 * sum(height_ratios))),
            gridspec_kw={"height_ratios": height_ratios, "hspace": 0.08},
        )
        return figure, axes[:, 0]
    if isinstance(ax, Axes):
        if n_rows == 1:
            return ax.figure, np.array([ax], dtype=object)
        spec = ax.get_subplotspec()
        if spec is None:
            raise ValueError(
                f"ax must be None, an Axes made by subplots (split into {n_rows} panels) or "
                f"a sequence of {n_rows} Axes; got an Axes outside any grid."
            )
        figure = ax.figure
        ax.remove()
        grid = spec.subgridspec(n_rows, 1, height_ratios=height_ratios, hspace=0.08)
        first = figure.add_subplot(grid[0])
        rest = [figure.add_subplot(grid[i], sharex=first) for i in range(1, n_rows)]
        axes = np.array([first, *rest], dtype=object)
        for upper in axes[:-1]:
            upper.tick_params(labelbottom=False)
        return figure, axes
    axes = np.empty(0, dtype=object) if isinstance(ax, str) else np.asarray(ax, dtype=object)
    axes = axes.ravel()
    if axes.size != n_rows or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(
            f"ax must be None, one Axes or a sequence of {n_rows} Axes (one per panel); got "
            f"{type(ax).__name__} with {axes.size} element(s)."
        )
    return axes[0].figure, axes


def as_x(timestamps, n, *, name="timestamps"):
    """Validated x coordinates: ``arange(n)``, numbers, or naive datetime64 values."""
    if timestamps is None:
        return np.arange(n)
    if isinstance(timestamps, str):
        raise TypeError(f"{name} must be an array-like of length {n}, got a string.")
    if isinstance(timestamps, pd.DatetimeIndex | pd.Series) and isinstance(
        getattr(timestamps, "dtype", None), pd.DatetimeTZDtype
    ):
        # matplotlib shows naive datetimes; keep the wall-clock time of the zone.
        timestamps = pd.DatetimeIndex(timestamps).tz_localize(None)
    values = np.asarray(timestamps)
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(
            f"{name} must be 1D with one entry per row of X ({n}); got shape {values.shape}."
        )
    if values.dtype.kind in "iuf":
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} contains NaN or inf.")
        return values
    if values.dtype.kind != "M":
        try:
            values = pd.DatetimeIndex(pd.to_datetime(values, format="mixed"))
            values = values.tz_localize(None).to_numpy()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numbers or datetimes: {exc}") from exc
    if np.isnat(values).any():
        raise ValueError(f"{name} contains missing timestamps (NaT).")
    return values


def cell_edges(x):
    """Boundaries between consecutive x values, ``n + 1`` of them, half a step outside."""
    if x.shape[0] == 1:
        half = np.timedelta64(1, "s") if x.dtype.kind == "M" else 0.5
        return np.array([x[0] - half, x[0] + half])
    x = x if x.dtype.kind == "M" else x.astype(np.float64)
    middle = x[:-1] + (x[1:] - x[:-1]) / 2
    return np.concatenate([[x[0] - (x[1] - x[0]) / 2], middle, [x[-1] + (x[-1] - x[-2]) / 2]])


def shade(ax, edges, mask, *, label, **kwargs):
    """One ``axvspan`` per run of True in ``mask``; only the first one carries the label.

    A run ``[start, stop)`` spans the cells from ``edges[start]`` to ``edges[stop]``.
    """
    spans = []
    for start, end in zip(*runs(mask)):
        spans.append(
            ax.axvspan(
                edges[start], edges[end], label=label if not spans else "_nolegend_", **kwargs
            )
        )
    return spans


def format_time_axis(ax, x):
    """Concise date labels when x holds datetimes."""
    if x.dtype.kind == "M":
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
