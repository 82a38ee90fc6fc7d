"""Tests for ecoai_sklearn.datasets."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ecoai_sklearn.datasets import ANOMALY_KINDS, make_industrial_load

# ---------------------------------------------------------------------------------------------
# make_industrial_load


def test_make_industrial_load_shapes_and_determinism():
    X, y, table = make_industrial_load(n_days=14, n_anomalies=5, random_state=3)
    assert X.shape == (14 * 96, 4) and X.dtype == np.float64
    assert y.shape == (14 * 96,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}
    assert np.all(X >= 0)
    X2, y2, table2 = make_industrial_load(n_days=14, n_anomalies=5, random_state=3)
    assert_array_equal(X, X2)
    assert_array_equal(y, y2)
    pd.testing.assert_frame_equal(table, table2)
    X3, _, _ = make_industrial_load(n_days=14, n_anomalies=5, random_state=4)
    assert not np.allclose(X, X3)


def test_labels_are_the_union_of_the_event_table():
    X, y, table = make_industrial_load(n_days=60, n_anomalies=16, random_state=0)
    expected = np.zeros(len(y), dtype=int)
    for start, end in zip(table["start"], table["end"]):
        expected[start:end] = 1
    assert_array_equal(y, expected)
    assert list(table.columns) == [
        "start",
        "end",
        "start_time",
        "end_time",
        "kind",
        "channel",
        "channel_name",
        "magnitude",
    ]
    # events do not overlap and are sorted
    assert np.all(table["start"].to_numpy()[1:] >= table["end"].to_numpy()[:-1])
    # every kind and every channel occurs (dealt round-robin)
    assert sorted(table["kind"].value_counts().to_dict().values()) == [2] * 8
    assert table["channel"].value_counts().to_dict() == {0: 4, 1: 4, 2: 4, 3: 4}
    spikes = table[table["kind"] == "spike"]
    assert np.all(spikes["end"] - spikes["start"] == 1)


def test_event_effects_match_the_documented_formulas():
    kwargs = dict(n_days=60, random_state=7)
    clean, _, _ = make_industrial_load(n_anomalies=0, **kwargs)
    X, _, table = make_industrial_load(n_anomalies=16, **kwargs)
    level = 1000.0 * np.array([0.70, 0.20, 0.08, 0.02])
    touched = np.zeros_like(X, dtype=bool)
    for row in table.itertuples():
        s, e, c, m = row.start, row.end, row.channel, row.magnitude
        touched[s:e, c] = True
        got, ref = X[s:e, c], clean[s:e, c]
        if row.kind in ("spike", "surge"):
            assert_allclose(got - ref, m * level[c])
        elif row.kind == "sag":
            assert_allclose(got, ref * (1 - m))
        elif row.kind == "outage":
            assert_array_equal(got, 0.0)
        elif row.kind == "level_shift":
            assert_allclose(got, np.maximum(ref + m * level[c], 0.0))
        elif row.kind == "drift":
            assert_allclose(got - ref, np.linspace(0, m, e - s) * level[c])
        elif row.kind == "noise":
            assert np.std(got - ref) > 0.1 * m * level[c]
        else:
            d = int(m)
            assert d >= 1
            assert_array_equal(got, clean[s - d : e - d, c])
    # rows and channels outside every event are exactly the clean series
    assert_array_equal(X[~touched], clean[~touched])


def test_shares_weekend_and_anomaly_scale():
    X, _, _ = make_industrial_load(n_days=364, n_anomalies=0, random_state=0)
    assert_allclose(X.mean(axis=0) / X.sum(axis=1).mean(), [0.70, 0.20, 0.08, 0.02], rtol=0.02)
    X, _, _ = make_industrial_load(
        n_days=7, start="2024-01-01", n_anomalies=0, noise=0.0, seasonal_amplitude=0.0, trend=0.0
    )
    daily = X.reshape(7, 96, 4).mean(axis=1)  # 2024-01-01 is a Monday
    assert_allclose(daily[5:] / daily[0], 0.6, rtol=1e-3)
    assert_allclose(daily[1:5] / daily[0], 1.0, rtol=1e-3)
    _, _, t1 = make_industrial_load(n_days=30, anomaly_kinds=["surge"], random_state=1)
    _, _, t2 = make_industrial_load(
        n_days=30, anomaly_kinds=["surge"], anomaly_scale=0.5, random_state=1
    )
    assert_allclose(t2["magnitude"], 0.5 * t1["magnitude"])


@pytest.mark.parametrize("channel", [0, 1, 2, 3])
def test_daily_period_dominates_despite_strong_12h_harmonic(channel):
    X, _, _ = make_industrial_load(n_days=28, n_anomalies=0, random_state=0)
    x = X[:, channel] - X[:, channel].mean()
    amplitude = np.abs(np.fft.rfft(x))
    n = len(x)
    k = np.argmax(amplitude[2:]) + 2  # skip the series-long components
    assert n / k == 96
    # the 12-hour component is about harmonic_ratio (0.6) of the daily one
    assert_allclose(amplitude[n // 48] / amplitude[n // 96], 0.6, atol=0.05)


def test_as_frame_returns_calendar_indexed_frames():
    X, y, table = make_industrial_load(
        n_days=3, start="2023-06-30 00:00", n_anomalies=2, random_state=0, as_frame=True
    )
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert list(X.columns) == ["industrial", "general", "late_night", "agricultural"]
    assert X.index[0] == pd.Timestamp("2023-06-30") and X.index[1] - X.index[0] == pd.Timedelta(
        "15min"
    )
    assert X.index.name == "timestamp" and y.name == "label"
    assert y.index.equals(X.index)
    for row in table.itertuples():
        assert row.start_time == X.index[row.start]
        assert row.end_time == X.index[0] + row.end * pd.Timedelta("15min")
        assert row.channel_name == X.columns[row.channel]


def test_channel_and_length_selection():
    _, _, table = make_industrial_load(
        n_days=40,
        shares=(0.7, 0.2, 0.08, 0.02),
        anomaly_channels=["general", 3],
        anomaly_kinds=("surge", "outage"),
        n_anomalies=10,
        event_length={"outage": 96, "surge": (2, 5)},
        random_state=0,
    )
    assert set(table["channel"]) == {1, 3}
    assert set(table["kind"]) == {"surge", "outage"}
    lengths = table["end"] - table["start"]
    assert np.all(lengths[table["kind"] == "outage"] == 96)
    surge = lengths[table["kind"] == "surge"]
    assert surge.min() >= 2 and surge.max() <= 5


def test_hourly_and_single_channel():
    X, y, table = make_industrial_load(
        n_days=20, samples_per_day=24, shares=[1.0], n_anomalies=3, random_state=0
    )
    assert X.shape == (480, 1)
    assert set(table["channel_name"]) == {"industrial"}
    X, _, _ = make_industrial_load(n_days=2, shares=[1] * 5, n_anomalies=0)
    assert X.shape == (192, 5)


def test_daily_profile_recipe_for_a_few_percent_anomalous_days():
    # The MI-FGSM study: three years of daily profiles, about 5 % anomalous days.
    n_days = 3 * 365
    X, y, table = make_industrial_load(
        n_days=n_days,
        anomaly_rate=0.05,
        anomaly_kinds=("spike", "surge", "sag", "outage", "noise", "time_shift"),
        event_length=(4, 48),
        random_state=0,
    )
    assert len(table) == round(0.05 * n_days)
    days = X[:, 0].reshape(n_days, 96)
    day_labels = y.reshape(n_days, 96).any(axis=1)
    assert days.shape == (1095, 96)
    assert 0.05 <= day_labels.mean() <= 0.10


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_days": 0}, ValueError, "n_days"),
        ({"shares": [0.5, -0.5]}, ValueError, "shares"),
        ({"shares": []}, ValueError, "shares"),
        ({"anomaly_kinds": ["spikes"]}, ValueError, "anomaly_kinds"),
        ({"samples_per_day": 7}, ValueError, "samples_per_day"),
        ({"start": "not a date"}, ValueError, "start"),
        ({"anomaly_channels": ["solar"]}, ValueError, "anomaly_channels"),
        ({"anomaly_channels": 4}, ValueError, "anomaly_channels"),
        ({"event_length": (5, 2)}, ValueError, "event_length"),
        ({"event_length": {"bump": 3}}, ValueError, "event_length"),
        ({"n_anomalies": 50, "n_days": 3}, ValueError, "n_anomalies"),
        ({"n_anomalies": 1, "anomaly_kinds": []}, ValueError, "anomaly_kinds"),
        ({"noise": -1.0}, ValueError, "noise"),
        ({"harmonic_ratio": 1.5}, ValueError, "harmonic_ratio"),
    ],
)
def test_make_industrial_load_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_industrial_load(random_state=0, **kwargs)


def test_anomaly_kinds_constant():
    assert ANOMALY_KINDS == (
        "spike",
        "surge",
        "sag",
        "outage",
        "level_shift",
        "drift",
        "noise",
        "time_shift",
    )
