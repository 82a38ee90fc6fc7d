"""Synthetic industrial load with labelled anomalies."""

import datetime
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..utils import Interval, validate_params

ANOMALY_KINDS = (
    "spike",
    "surge",
    "sag",
    "outage",
    "level_shift",
    "drift",
    "noise",
    "time_shift",
)

# Daily shape of each usage category: amplitude of the 24-hour component, hour of its peak,
# hour of a 12-hour component peak, and a small 8-hour component. The 12-hour amplitude is
# ``harmonic_ratio`` times the 24-hour one for every category, so that the daily period stays
# dominant in every channel (period finders must find one day, not half a day).
_TEMPLATES = (
    # name,          a24,  peak24, peak12, a8,   seasonal peak (day of year)
    ("industrial", 0.35, 14.0, 10.0, 0.05, 15.0),
    ("general", 0.45, 13.0, 11.0, 0.04, 200.0),
    ("late_night", 0.55, 2.0, 2.0, 0.03, 15.0),
    ("agricultural", 0.45, 16.0, 7.0, 0.06, 190.0),
)

# Event length range per kind, in hours (a spike is always one sample).
_DEFAULT_HOURS = {
    "spike": (0.0, 0.0),
    "surge": (1.0, 4.0),
    "sag": (1.0, 4.0),
    "outage": (2.0, 12.0),
    "level_shift": (24.0, 72.0),
    "drift": (24.0, 96.0),
    "noise": (4.0, 24.0),
    "time_shift": (6.0, 24.0),
}

# Magnitude range per kind; see the table in the docstring for the units.
_MAGNITUDES = {
    "spike": (2.0, 4.0),
    "surge": (0.5, 1.0),
    "sag": (0.4, 0.7),
    "outage": (1.0, 1.0),
    "level_shift": (0.3, 0.6),
    "drift": (0.5, 1.0),
    "noise": (0.2, 0.4),
    "time_shift": (2.0, 6.0),  # hours of delay, converted to samples
}

_TABLE_COLUMNS = [
    "start",
    "end",
    "start_time",
    "end_time",
    "kind",
    "channel",
    "channel_name",
    "magnitude",
]


@validate_params(
    {
        "n_days": [Interval(Integral, 1, None, closed="left")],
        "start": [str, datetime.date, np.datetime64],
        "samples_per_day": [Interval(Integral, 1, None, closed="left")],
        "shares": ["array-like"],
        "base_load": [Interval(Real, 0, None, closed="neither")],
        "harmonic_ratio": [Interval(Real, 0, 1, closed="left")],
        "weekend_factor": [Interval(Real, 0, None, closed="left")],
        "seasonal_amplitude": [Interval(Real, 0, 1, closed="left")],
        "trend": [Interval(Real, None, None, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "anomaly_kinds": ["array-like"],
        "n_anomalies": [Interval(Integral, 0, None, closed="left"), None],
        "anomaly_rate": [Interval(Real, 0, None, closed="left")],
        "anomaly_channels": ["array-like", Integral, str, None],
        "event_length": [Interval(Integral, 1, None, closed="left"), tuple, Mapping, None],
        "anomaly_scale": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_industrial_load(
    n_days=56,
    *,
    start="2024-01-01",
    samples_per_day=96,
    shares=(0.70, 0.20, 0.08, 0.02),
    base_load=1000.0,
    harmonic_ratio=0.6,
    weekend_factor=0.6,
    seasonal_amplitude=0.15,
    trend=0.05,
    noise=0.03,
    anomaly_kinds=ANOMALY_KINDS,
    n_anomalies=None,
    anomaly_rate=0.1,
    anomaly_channels=None,
    event_length=None,
    anomaly_scale=1.0,
    random_state=None,
    as_frame=False,
):
    """Generate industrial electric load with labelled anomalies.

    Each channel is one usage category (by default industrial, general, late-night and
    agricultural power) with its own daily shape and share of the total load. The clean
    signal of channel ``c`` at time ``t`` is::

        base_load * shares[c] * daily_c(t) * weekly(t) * seasonal_c(t) * trend(t)
                  * day_factor_c(day) * (1 + noise * e_ct)

    where ``daily_c`` is a sum of 24-, 12- and 8-hour cosines with mean 1 (the 12-hour
    amplitude is ``harmonic_ratio`` times the 24-hour one, so one day stays the dominant
    period), ``weekly`` is ``weekend_factor`` on Saturdays and Sundays and 1 otherwise,
    ``seasonal_c`` a yearly cosine (winter peak for industrial and late-night power, summer
    peak for general and agricultural power), ``trend`` a linear growth of ``trend`` per
    year, ``day_factor_c`` a random level ``1 + noise * N(0, 1)`` per channel and day, and
    ``e_ct`` standard normal noise. Values are clipped at 0.

    Anomaly events are then injected at random, non-overlapping positions (at least six
    hours apart), one channel per event. Kinds and channels are dealt round-robin in a
    random order, so every kind and every anomalous channel occurs as soon as there are
    enough events. ``magnitude`` in the returned table means, per kind (``level`` is
    ``base_load * shares[c]``, the channel's nominal mean):

    ===========  ===============================================================
    kind         effect on the event rows ``start:end``
    ===========  ===============================================================
    spike        one sample, ``x += magnitude * level`` (magnitude 2-4)
    surge        ``x += magnitude * level`` (0.5-1.0)
    sag          ``x *= 1 - magnitude`` (0.4-0.7)
    outage       ``x = 0`` (magnitude 1)
    level_shift  ``x += magnitude * level``, sign random (0.3-0.6)
    drift        slow leak: ``x += linspace(0, magnitude, n) * level`` (0.5-1.0)
    noise        ``x += N(0, magnitude * level)`` (0.2-0.4)
    time_shift   ``x[t] = x[t - magnitude]``: the load runs late by ``magnitude``
                 samples (2-6 hours)
    ===========  ===============================================================

    Magnitudes other than outage and time_shift are multiplied by ``anomaly_scale``.

    Parameters
    ----------
    n_days : int, default=56
        Number of days; the series has ``n_days * samples_per_day`` rows.
    start : str or datetime-like, default="2024-01-01"
        Timestamp of the first row; weekends and seasons follow the calendar from here.
    samples_per_day : int, default=96
        Readings per day (96 = every 15 minutes); must divide one day into whole
        nanoseconds.
    shares : array-like of float, default=(0.70, 0.20, 0.08, 0.02)
        Share of the total mean load of each channel; its length is the number of
        channels. Normalised to sum to 1. Channels take the category shapes in the order
        industrial, general, late-night, agricultural (repeating after four).
    base_load : float, default=1000.0
        Mean total load (for example in kW).
    harmonic_ratio : float in [0, 1), default=0.6
        Amplitude of the 12-hour component relative to the 24-hour one.
    weekend_factor : float, default=0.6
        Load level on Saturdays and Sundays relative to weekdays (1 removes the weekly
        cycle).
    seasonal_amplitude : float in [0, 1), default=0.15
        Relative amplitude of the yearly cycle.
    trend : float, default=0.05
        Relative linear growth per year (negative for a decline).
    noise : float, default=0.03
        Relative standard deviation of the per-sample noise and of the per-day level.
    anomaly_kinds : array-like of str, default=all kinds
        Kinds to inject, among ``"spike", "surge", "sag", "outage", "level_shift",
        "drift", "noise", "time_shift"``; empty for a clean series.
    n_anomalies : int, default=None
        Number of events. ``None`` means ``round(anomaly_rate * n_days)``.
    anomaly_rate : float, default=0.1
        Events per day, used when ``n_anomalies`` is None.
    anomaly_channels : int, str or array-like, default=None
        Channels (indices or names) that receive anomalies; ``None`` means all.
    event_length : int, tuple of two ints, dict or None, default=None
        Event length in samples for every kind except spike (always one sample): an int,
        a ``(low, high)`` range (inclusive), or a dict mapping kinds to an int or a range
        (other kinds keep their default). ``None`` uses the defaults, in hours: surge and
        sag 1-4, outage 2-12, level_shift 24-72, drift 24-96, noise 4-24, time_shift 6-24.
    anomaly_scale : float, default=1.0
        Multiplies the magnitudes, to make anomalies easier (>1) or harder (<1) to see.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    as_frame : bool, default=False
        If True, ``X`` is a DataFrame with a DatetimeIndex named ``"timestamp"`` and one
        column per channel, and ``y`` a Series named ``"label"`` on the same index.

    Returns
    -------
    X : ndarray of shape (n_days * samples_per_day, n_channels) or DataFrame
        The load.
    y : ndarray of shape (n_days * samples_per_day,) or Series
        1 where any channel is inside an anomaly event, else 0 (int).
    anomalies : DataFrame
        One row per event, sorted by start, with columns ``start``, ``end`` (row
        positions, end exclusive), ``start_time``, ``end_time`` (timestamps of those rows;
        ``end_time`` is one step after the last anomalous row), ``kind``, ``channel``
        (index), ``channel_name`` and ``magnitude``.

    Examples
    --------
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> X, y, anomalies = make_industrial_load(n_days=28, n_anomalies=4, random_state=0)
    >>> X.shape, y.shape
    ((2688, 4), (2688,))
    >>> sorted(anomalies.columns[:4])
    ['end', 'end_time', 'start', 'start_time']
    >>> bool(y[anomalies["start"].iloc[0]])
    True
    >>> frame, _, _ = make_industrial_load(n_days=2, n_anomalies=0, as_frame=True)
    >>> list(frame.columns)
    ['industrial', 'general', 'late_night', 'agricultural']
    >>> str(frame.index.freq)
    '<15 * Minutes>'
    """
    rng = check_random_state(random_state)
    shares = _check_shares(shares)
    kinds = _check_kinds(anomaly_kinds)
    names = _channel_names(len(shares))
    step = _step(samples_per_day)
    try:
        first = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"start must be a date or timestamp, got {start!r}.") from exc
    n = n_days * samples_per_day
    index = pd.date_range(first, periods=n, freq=step, name="timestamp")

    X = _clean_load(
        index,
        rng,
        shares=shares,
        samples_per_day=samples_per_day,
        base_load=base_load,
        harmonic_ratio=harmonic_ratio,
        weekend_factor=weekend_factor,
        seasonal_amplitude=seasonal_amplitude,
        trend=trend,
        noise=noise,
    )

    if n_anomalies is None:
        n_anomalies = int(round(anomaly_rate * n_days))
    if n_anomalies and not kinds:
        raise ValueError(f"n_anomalies={n_anomalies} events requested but anomaly_kinds is empty.")
    channels = _check_anomaly_channels(anomaly_channels, names)
    events = _place_events(
        n_anomalies,
        kinds,
        channels,
        n_samples=n,
        samples_per_day=samples_per_day,
        event_length=event_length,
        rng=rng,
    )
    y = np.zeros(n, dtype=np.int64)
    levels = base_load * shares
    for event in events:
        _inject(X, event, levels, samples_per_day, anomaly_scale, rng)
        y[event["start"] : event["end"]] = 1

    table = pd.DataFrame(events, columns=[c for c in _TABLE_COLUMNS if "time" not in c])
    table = table.astype(
        {"start": np.int64, "end": np.int64, "channel": np.int64, "magnitude": np.float64}
    )
    table["channel_name"] = [names[c] for c in table["channel"]]
    table["start_time"] = first + table["start"].to_numpy() * step
    table["end_time"] = first + table["end"].to_numpy() * step
    table = table[_TABLE_COLUMNS].sort_values("start", ignore_index=True)

    if as_frame:
        return (
            pd.DataFrame(X, index=index, columns=names),
            pd.Series(y, index=index, name="label"),
            table,
        )
    return X, y, table


def _check_shares(shares):
    try:
        shares = np.asarray(shares, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"shares must be an array of positive floats, got {shares!r}.") from exc
    if shares.size == 0 or not np.all(np.isfinite(shares)) or np.any(shares <= 0):
        raise ValueError(f"shares must be a non-empty array of positive floats, got {shares!r}.")
    return shares / shares.sum()


def _check_kinds(anomaly_kinds):
    if isinstance(anomaly_kinds, str):
        anomaly_kinds = (anomaly_kinds,)
    kinds = tuple(anomaly_kinds)
    unknown = [k for k in kinds if k not in ANOMALY_KINDS]
    if unknown:
        raise ValueError(
            f"anomaly_kinds has unknown kinds {unknown}; expected some of {ANOMALY_KINDS}."
        )
    return tuple(dict.fromkeys(kinds))


def _channel_names(n_channels):
    names = [_TEMPLATES[i % len(_TEMPLATES)][0] for i in range(n_channels)]
    if n_channels > len(_TEMPLATES):
        names = [f"{name}_{i}" for i, name in enumerate(names)]
    return names


def _step(samples_per_day):
    day = pd.Timedelta(days=1)
    if day.value % samples_per_day:
        raise ValueError(
            f"samples_per_day must divide one day into whole nanoseconds, got {samples_per_day}."
        )
    return day / samples_per_day


def _check_anomaly_channels(anomaly_channels, names):
    if anomaly_channels is None:
        return list(range(len(names)))
    if isinstance(anomaly_channels, (str, Integral)):
        anomaly_channels = [anomaly_channels]
    channels = []
    for channel in anomaly_channels:
        if isinstance(channel, str):
            if channel not in names:
                raise ValueError(
                    f"anomaly_channels: unknown channel {channel!r}; names are {names}."
                )
            channels.append(names.index(channel))
        elif isinstance(channel, Integral) and 0 <= channel < len(names):
            channels.append(int(channel))
        else:
            raise ValueError(
                f"anomaly_channels: expected channel names or indices in [0, {len(names)}), "
                f"got {channel!r}."
            )
    if not channels:
        raise ValueError("anomaly_channels must name at least one channel, or be None.")
    return list(dict.fromkeys(channels))


def _clean_load(
    index,
    rng,
    *,
    shares,
    samples_per_day,
    base_load,
    harmonic_ratio,
    weekend_factor,
    seasonal_amplitude,
    trend,
    noise,
):
    n, n_channels = len(index), len(shares)
    n_days = n // samples_per_day
    hours = (np.arange(n) % samples_per_day) * (24.0 / samples_per_day)
    hours = hours + (index[0] - index[0].normalize()) / pd.Timedelta(hours=1)
    day_of_year = index.day_of_year.to_numpy(dtype=np.float64)
    years = np.arange(n) / (samples_per_day * 365.25)
    weekly = np.where(index.day_of_week.to_numpy() >= 5, weekend_factor, 1.0)

    a24, peak24, peak12, a8, season_peak = (
        np.array([_TEMPLATES[c % len(_TEMPLATES)][k] for c in range(n_channels)])
        for k in range(1, 6)
    )
    h = hours[:, np.newaxis]
    daily = (
        1.0
        + a24 * np.cos(2 * np.pi * (h - peak24) / 24.0)
        + harmonic_ratio * a24 * np.cos(2 * np.pi * (h - peak12) / 12.0)
        + a8 * np.cos(2 * np.pi * (h - peak24) / 8.0)
    )
    daily = np.maximum(daily, 0.02)
    seasonal = 1.0 + seasonal_amplitude * np.cos(
        2 * np.pi * (day_of_year[:, np.newaxis] - season_peak) / 365.25
    )
    day_factor = 1.0 + noise * rng.standard_normal((n_days, n_channels))
    X = (base_load * shares) * daily * seasonal
    X *= (weekly * (1.0 + trend * years))[:, np.newaxis]
    X *= np.repeat(day_factor, samples_per_day, axis=0)
    X *= 1.0 + noise * rng.standard_normal((n, n_channels))
    return np.maximum(X, 0.0, out=X)


def _length_ranges(event_length, kinds, samples_per_day):
    ranges = {}
    for kind in kinds:
        low, high = _DEFAULT_HOURS[kind]
        ranges[kind] = (
            max(1, round(low * samples_per_day / 24)),
            max(1, round(high * samples_per_day / 24)),
        )
    if event_length is None:
        return ranges
    # key None: one length for every kind; checked even when no event uses it
    override = dict(event_length) if isinstance(event_length, Mapping) else {None: event_length}
    for kind, value in override.items():
        if kind is not None and kind not in ANOMALY_KINDS:
            raise ValueError(
                f"event_length has unknown kind {kind!r}; expected one of {ANOMALY_KINDS}."
            )
        given = value
        if isinstance(value, Integral) and not isinstance(value, bool):
            value = (value, value)
        ok = (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1]
        )
        if not ok:
            where = "" if kind is None else f" for {kind!r}"
            raise ValueError(
                "event_length must be an int >= 1, a (low, high) tuple of ints with "
                f"1 <= low <= high, or a dict of those per kind; got {given!r}{where}."
            )
        for target in kinds if kind is None else (kind,):
            if target != "spike" and target in ranges:
                ranges[target] = (int(value[0]), int(value[1]))
    return ranges


def _place_events(n_events, kinds, channels, *, n_samples, samples_per_day, event_length, rng):
    """Random non-overlapping events, as dicts without timestamps."""
    ranges = _length_ranges(event_length, kinds, samples_per_day)
    if n_events == 0:
        return []
    event_kinds = np.resize(rng.permutation(kinds), n_events)
    event_channels = np.resize(rng.permutation(channels), n_events)
    rng.shuffle(event_kinds)
    lengths = np.array([rng.randint(ranges[k][0], ranges[k][1] + 1) for k in event_kinds])
    # Delays are drawn up front because the first event must start after its delay.
    delays = np.array(
        [
            max(1, round(rng.uniform(*_MAGNITUDES[k]) * samples_per_day / 24))
            if k == "time_shift"
            else 0
            for k in event_kinds
        ]
    )
    lead = int(delays.max())
    # Six hours between events: a time-shifted event never copies rows of the previous one.
    gap = max(1, samples_per_day // 4, lead)
    slack = n_samples - lead - lengths.sum() - gap * (n_events - 1)
    if slack < 0:
        raise ValueError(
            f"{n_events} anomaly events of {int(lengths.sum())} samples in all do not fit in "
            f"{n_samples} samples; use fewer events (n_anomalies / anomaly_rate), shorter "
            "events (event_length) or more days (n_days)."
        )
    offsets = np.sort(rng.randint(0, slack + 1, size=n_events))
    starts = lead + offsets + np.concatenate(([0], np.cumsum(lengths[:-1] + gap)))
    events = []
    for kind, channel, begin, length, delay in zip(
        event_kinds, event_channels, starts, lengths, delays
    ):
        if kind == "time_shift":
            magnitude = float(delay)
        else:
            magnitude = float(rng.uniform(*_MAGNITUDES[kind]))
        events.append(
            {
                "start": int(begin),
                "end": int(begin + length),
                "kind": str(kind),
                "channel": int(channel),
                "magnitude": magnitude,
            }
        )
    return events


def _inject(X, event, levels, samples_per_day, scale, rng):
    """Apply one event to X in place, and record the scaled magnitude in the event."""
    kind, c = event["kind"], event["channel"]
    rows = slice(event["start"], event["end"])
    n = event["end"] - event["start"]
    level = levels[c]
    m = event["magnitude"]
    if kind not in ("outage", "time_shift"):
        m *= scale
    if kind == "spike" or kind == "surge":
        X[rows, c] += m * level
    elif kind == "sag":
        m = min(m, 1.0)
        X[rows, c] *= 1.0 - m
    elif kind == "outage":
        X[rows, c] = 0.0
    elif kind == "level_shift":
        m *= rng.choice((-1.0, 1.0))
        X[rows, c] = np.maximum(X[rows, c] + m * level, 0.0)
    elif kind == "drift":
        X[rows, c] += np.linspace(0.0, m, n) * level
    elif kind == "noise":
        X[rows, c] = np.maximum(X[rows, c] + rng.normal(0.0, m * level, n), 0.0)
    else:  # time_shift
        delay = int(m)
        X[rows, c] = X[event["start"] - delay : event["end"] - delay, c]
    event["magnitude"] = float(m)
