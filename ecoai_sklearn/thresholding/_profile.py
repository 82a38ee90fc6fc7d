"""Location and scale per position in a cycle (private kernels of the thresholder)."""

import numpy as np

# 1 / Phi^-1(3/4): makes the MAD a consistent estimator of a Gaussian standard deviation
# (Rousseeuw & Croux 1993).
MAD_TO_STD = 1.482602218505602
# sqrt(pi / 2): the same for the mean absolute deviation, the fallback that Iglewicz &
# Hoaglin (1993) recommend when the MAD is zero.
MEANAD_TO_STD = 1.2533141373155001

WEEKEND_DAYS = (5, 6)  # Saturday and Sunday with Monday = 0, as pandas' ``dayofweek``


def cycle_layout(period, weekly):
    """Return ``(n_slots, n_groups)``: slots per cycle and day groups of a row layout."""
    if period is None:
        return 1, 1
    if weekly is None:
        return period, 1
    return period, 2 if weekly == "weekend" else 7


def row_positions(n_rows, *, period, weekly, phase):
    """Position of each row: ``group * n_slots + slot``, in ``[0, n_slots * n_groups)``.

    Row ``i`` is taken to sit ``phase + i`` steps after the start of the cycle: the slot is
    that count modulo ``period``; with ``weekly`` the day of the week is the count divided by
    ``period``, modulo 7 (day 0 = Monday), grouped into weekdays and weekend
    (``"weekend"``) or kept as seven days (``"day_of_week"``).
    """
    if period is None:
        return np.zeros(n_rows, dtype=np.intp)
    steps = phase + np.arange(n_rows, dtype=np.int64)
    slot = steps % period
    if weekly is None:
        return slot.astype(np.intp)
    day = (steps // period) % 7
    if weekly == "weekend":
        group = np.isin(day, WEEKEND_DAYS).astype(np.int64)
    else:
        group = day
    return (group * period + slot).astype(np.intp)


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
