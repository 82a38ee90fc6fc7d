"""Location and scale per position in a cycle (private kernels of the thresholder)."""

import numpy as np

# 1 / Phi^-1(3/4): makes the MAD a consistent estimator of a Gaussian standard deviation
# (Rousseeuw & Croux 1993).
MAD_TO_STD = 1.482602218505602
# sqrt(pi / 2): the same for the mean absolute deviation, the fallback that Iglewicz &
# Hoaglin (1993) recommend when the MAD is zero.
MEANAD_TO_STD = 1.2533141373155001

WEEKEND_DAYS = (5, 6)  # Saturday and Sunday with Monday = 0, as pandas' ``dayofweek``


# ``weekly="auto"``: the day groups are learned from at least this many weeks of training
# rows, and kept only when the best-fitting split of the week into a run of 1-3
# consecutive days and the rest separates the daily levels by at least this many
# standard errors. On simulated Gaussian and t(3) day levels without a weekly cycle
# (3 to 8 weeks, 1 or 4 columns), the largest statistic over all runs stayed below it in
# 99.9 % of the series, and the best-fitting run's in all but 1 of 1,800.
AUTO_WEEKLY_MIN_WEEKS = 3
AUTO_WEEKLY_MIN_SEPARATION = 8.0
# The candidate groups: runs of 1, 2 or 3 consecutive days of the week (circularly).
_DAY_RUNS = [
    tuple((first + i) % 7 for i in range(size)) for size in (1, 2, 3) for first in range(7)
]


def day_groups(weekly):
    """Group of each day of the week (0 = the day at ``phase``), or None for no groups.

    ``weekly`` is None, ``"weekend"`` (days 5 and 6 form group 1), ``"day_of_week"``
    (seven groups) or already an array of seven group numbers (a learned grouping).
    """
    if weekly is None:
        return None
    if isinstance(weekly, str):
        if weekly == "weekend":
            return np.isin(np.arange(7), WEEKEND_DAYS).astype(np.intp)
        return np.arange(7, dtype=np.intp)
    return np.asarray(weekly, dtype=np.intp)


def cycle_layout(period, weekly):
    """Return ``(n_slots, n_groups)``: slots per cycle and day groups of a row layout."""
    if period is None:
        return 1, 1
    groups = day_groups(weekly)
    if groups is None:
        return period, 1
    return period, int(groups.max()) + 1


def row_positions(n_rows, *, period, weekly, phase):
    """Position of each row: ``group * n_slots + slot``, in ``[0, n_slots * n_groups)``.

    Row ``i`` is taken to sit ``phase + i`` steps after the start of the cycle: the slot is
    that count modulo ``period``; with ``weekly`` the day of the week is the count divided by
    ``period``, modulo 7 (day 0 = Monday), grouped into weekdays and weekend
    (``"weekend"``), kept as seven days (``"day_of_week"``) or grouped by an array of
    seven group numbers (see :func:`day_groups`).
    """
    if period is None:
        return np.zeros(n_rows, dtype=np.intp)
    steps = phase + np.arange(n_rows, dtype=np.int64)
    slot = steps % period
    groups = day_groups(weekly)
    if groups is None:
        return slot.astype(np.intp)
    group = groups[(steps // period) % 7]
    return (group * period + slot).astype(np.intp)


def detect_day_groups(X, rows, *, period, phase):
    """Learn whether some days of the week need their own profile (``weekly="auto"``).

    Each whole training day (at least half of its ``period`` rows present) gets its mean
    level per column. Among the runs of 1 to 3 consecutive days of the week, the run
    whose median level and the other days' median level fit the daily levels best (the
    smallest mean absolute residual, columns in units of their day-to-day spread) is
    kept as group 1 when the difference of the two medians reaches
    ``AUTO_WEEKLY_MIN_SEPARATION`` standard errors in some column (the error from the
    spread of the residuals) and at least ``7 * AUTO_WEEKLY_MIN_WEEKS`` whole days are
    there. The runs are found in the day count from ``phase``, so a wrong ``phase``
    changes the names of the days, not the groups.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        Training rows (normal rows only when labels are known).
    rows : ndarray of shape (n_rows,)
        Index of each row in the training series (its step is ``phase + rows``).
    period : int
        Rows per day.
    phase : int
        Cycle step of the first training row.

    Returns
    -------
    groups : ndarray of shape (7,) or None
        1 for the days of the detected run, 0 for the others; None when no run stands out
        (or the data are too short to tell).
    """
    day = (phase + rows.astype(np.int64)) // period
    days, index, counts = np.unique(day, return_inverse=True, return_counts=True)
    sums = np.zeros((days.size, X.shape[1]))
    np.add.at(sums, index, X)
    whole = counts >= max(1, period // 2)
    if whole.sum() < 7 * AUTO_WEEKLY_MIN_WEEKS:
        return None
    levels = sums[whole] / counts[whole, np.newaxis]
    weekday = days[whole] % 7
    # columns in units of their day-to-day spread, so that each weighs the same
    deviation = np.abs(levels - np.median(levels, axis=0))
    unit = MAD_TO_STD * np.median(deviation, axis=0)
    unit = np.where(unit > 0, unit, np.maximum(deviation.mean(axis=0), np.finfo(float).tiny))
    best_cost, best = np.inf, None
    for run in _DAY_RUNS:
        inside = np.isin(weekday, run)
        n_in, n_out = int(inside.sum()), int((~inside).sum())
        if n_in < AUTO_WEEKLY_MIN_WEEKS or n_out < AUTO_WEEKLY_MIN_WEEKS:
            continue
        median_in = np.median(levels[inside], axis=0)
        median_out = np.median(levels[~inside], axis=0)
        residuals = np.where(inside[:, np.newaxis], levels - median_in, levels - median_out)
        # the run whose two medians fit the daily levels best (a day of the week put in
        # the wrong group leaves large residuals on all its days)
        cost = float(np.sum(np.abs(residuals).mean(axis=0) / unit))
        if cost < best_cost:
            best_cost, best = cost, (run, residuals, median_in - median_out, n_in, n_out)
    if best is None:
        return None
    run, residuals, gap, n_in, n_out = best
    spread = MAD_TO_STD * np.median(np.abs(residuals), axis=0)
    # standard error of a difference of two medians (asymptotic, Gaussian levels)
    error = spread * np.sqrt(np.pi / 2 * (1.0 / n_in + 1.0 / n_out))
    gap = np.abs(gap)
    with np.errstate(divide="ignore", invalid="ignore"):
        separation = np.where(error > 0, gap / error, np.where(gap > 0, np.inf, 0.0))
    if separation.max() < AUTO_WEEKLY_MIN_SEPARATION:
        return None
    return np.isin(np.arange(7), run).astype(np.intp)


def trailing_levels(ratios, *, window, min_rows):
    """Median of each column of ``ratios`` over the trailing ``window`` rows.

    Row ``t`` gets the median of rows ``t - window + 1 .. t`` (NaN ignored) when at
    least ``min_rows`` of them are not NaN, else 1.0 (no correction); a median that is not
    positive (a week of outage) is also replaced by 1.0. Causal: a row's level uses no
    later row.
    """
    import pandas as pd

    levels = pd.DataFrame(ratios).rolling(window, min_periods=min_rows).median().to_numpy()
    return np.where(np.isfinite(levels) & (levels > 0), levels, 1.0)


def location_scale(X, *, robust):
    """Column-wise location and scale of ``X`` (n, k); a zero scale is returned as 0.

    Robust: median and 1.4826 * MAD, or 1.2533 * mean absolute deviation from the median
    where the MAD is zero. Classical: mean and standard deviation (ddof=1 when n > 1).
    """
    if robust:
        location = np.median(X, axis=0)
        deviation = np.abs(X - location)
        scale = MAD_TO_STD * np.median(deviation, axis=0)
        zero = scale == 0
        if np.any(zero):
            scale[zero] = MEANAD_TO_STD * np.mean(deviation[:, zero], axis=0)
        return location, scale
    location = np.mean(X, axis=0)
    scale = np.std(X, axis=0, ddof=1 if X.shape[0] > 1 else 0)
    return location, scale


def _window_rows(order, starts, slot, h, n_slots, group):
    """Training rows in the slots ``slot - h .. slot + h`` (circular) of a day group.

    ``order`` sorts the rows by position, so the rows of consecutive slots are one
    contiguous range of it (two when the window wraps around the cycle): the cost is the
    number of rows returned, not ``h``. Rows come in increasing slot order.
    """
    first = group * n_slots
    if 2 * h + 1 >= n_slots:
        ranges = [(0, n_slots - 1)]
    else:
        low, high = slot - h, slot + h
        if low < 0:
            ranges = [(0, high), (low + n_slots, n_slots - 1)]
        elif high >= n_slots:
            ranges = [(0, high - n_slots), (low, n_slots - 1)]
        else:
            ranges = [(low, high)]
    parts = [order[starts[first + a] : starts[first + b + 1]] for a, b in ranges]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _location_half_widths(group_counts, min_samples):
    """Per slot, the smallest half-width whose slots hold ``min_samples`` rows, or -1.

    The window of half-width ``h`` holds the ``min(2h + 1, n_slots)`` slots around the
    slot (circularly). Its row count grows with ``h``, so each slot's smallest sufficient
    ``h`` is found by a bisection run for all slots at once: O(n_slots log n_slots).
    """
    n_slots = group_counts.shape[0]
    total = int(group_counts.sum())
    if total < min_samples:
        return np.full(n_slots, -1, dtype=np.intp)
    cumulative = np.concatenate(([0], np.cumsum(np.tile(group_counts, 3))))
    slots = np.arange(n_slots)

    def window_count(h):
        inner = cumulative[slots + n_slots + h + 1] - cumulative[slots + n_slots - h]
        return np.where(2 * h + 1 >= n_slots, total, inner)

    low = np.zeros(n_slots, dtype=np.intp)  # window_count(low - 1) < min_samples
    high = np.full(n_slots, n_slots // 2, dtype=np.intp)  # window_count(high) suffices
    while np.any(low < high):
        middle = (low + high) // 2
        enough = window_count(middle) >= min_samples
        high = np.where(enough, middle, high)
        low = np.where(enough, low, middle + 1)
    return high


def fit_profile(X, positions, *, n_slots, n_groups, robust, min_samples, scale_window):
    """Location and scale per cycle position, pooling neighbours where data are thin.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows (normal rows only when labels are known).
    positions : ndarray of shape (n_samples,)
        Position of each row, from :func:`row_positions`.
    n_slots, n_groups : int
        Layout from :func:`cycle_layout`.
    robust : bool
        Median/MAD or mean/std.
    min_samples : int
        Fewest rows a position's location may rest on. A position with fewer rows pools
        the slots around it (circularly, within its day group), widening one slot on each
        side at a time; if the whole group has fewer rows, it uses all training rows.
    scale_window : int
        The scale of a position comes from the residuals ``x - location`` of the rows
        in at least ``scale_window`` slots on each side (more if the location pooled
        more): residuals are centred, so pooling them does not mix levels of the cycle,
        and the scale estimate rests on several times more rows than one slot holds.

    Returns
    -------
    location, scale : ndarray of shape (n_slots * n_groups, n_features)
        A zero scale (constant data) is replaced by the column's scale over all rows, and
        a column that is constant overall gets scale 1.0 (deviations in its own units).
    half_width : ndarray of shape (n_slots * n_groups,)
        Slots pooled on each side of each position for its location (0 = the position
        alone, -1 = all training rows).
    """
    n_positions = n_slots * n_groups
    n_features = X.shape[1]
    global_location, global_scale = location_scale(X, robust=robust)
    global_scale = np.where(global_scale > 0, global_scale, 1.0)
    location = np.empty((n_positions, n_features))
    scale = np.empty((n_positions, n_features))
    half_width = np.zeros(n_positions, dtype=np.intp)
    order = np.argsort(positions, kind="stable")
    counts = np.bincount(positions, minlength=n_positions)
    starts = np.concatenate(([0], np.cumsum(counts)))
    for group in range(n_groups):
        group_counts = counts[group * n_slots : (group + 1) * n_slots]
        widths = _location_half_widths(group_counts, min_samples)
        half_width[group * n_slots : (group + 1) * n_slots] = widths
        for slot in range(n_slots):
            position = group * n_slots + slot
            h = widths[slot]
            if h < 0:
                location[position] = global_location
            else:
                rows = _window_rows(order, starts, slot, h, n_slots, group)
                location[position] = location_scale(X[rows], robust=robust)[0]
    residuals = X - location[positions]
    for group in range(n_groups):
        for slot in range(n_slots):
            position = group * n_slots + slot
            h = half_width[position]
            if h < 0:
                scale[position] = global_scale
                continue
            h = min(max(h, scale_window), n_slots // 2)
            rows = _window_rows(order, starts, slot, h, n_slots, group)
            scale[position] = location_scale(residuals[rows], robust=robust)[1]
    scale = np.where(scale > 0, scale, global_scale)
    return location, scale, half_width
