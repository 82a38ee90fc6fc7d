"""Tests for ecoai_sklearn.datasets."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ecoai_sklearn.datasets import ANOMALY_KINDS, load_series_csv, make_industrial_load

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


# ---------------------------------------------------------------------------------------------
# load_series_csv

CSV = """timestamp,value,label,series_id
2024-01-01 00:00:00,1.5,0,a
2024-01-01 00:00:00,10.0,0,b
2024-01-01 00:15:00,,0,a
2024-01-01 01:00:00,11.0,1,b
2024-01-01 00:30:00,-2.25,1,a
"""


def _write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_series_csv_arrays(tmp_path):
    data = load_series_csv(_write(tmp_path, CSV))
    assert list(data) == ["a", "b"]
    a = data["a"]
    assert a.X.shape == (3, 1) and a.X.dtype == np.float64
    assert_array_equal(a.X.ravel(), [1.5, np.nan, -2.25])
    assert_array_equal(a.y, [0, 0, 1])
    assert a.y.dtype == np.int64
    assert list(a.timestamps) == list(
        pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:30"])
    )
    assert a.series_id == "a"
    assert_array_equal(data["b"].X.ravel(), [10.0, 11.0])
    assert_array_equal(data["b"].y, [0, 1])


def test_load_series_csv_frame_and_selection(tmp_path):
    path = _write(tmp_path, CSV)
    frame = load_series_csv(str(path), as_frame=True)
    assert list(frame.columns) == ["timestamp", "value", "label", "series_id"]
    assert frame["timestamp"].dtype.kind == "M"
    assert frame["label"].dtype == np.int64
    assert frame["series_id"].tolist() == ["a", "b", "a", "b", "a"]
    assert frame["value"].isna().sum() == 1
    only_b = load_series_csv(path, series="b")
    assert list(only_b) == ["b"]
    both = load_series_csv(path, series=["b", "a"], as_frame=True)
    assert len(both) == 5
    with pytest.raises(ValueError, match=r"series \['c'\] not found.*'a', 'b'"):
        load_series_csv(path, series=["a", "c"])


@pytest.mark.parametrize(
    "text, match",
    [
        ("timestamp,value,series_id\n2024-01-01,1,a\n", r"lacks the column\(s\) \['label'\]"),
        (CSV.replace("-2.25", "abc"), r"line 6: value must be a number.*'abc'"),
        (CSV.replace("-2.25", "inf"), r"line 6: value must be a finite number"),
        (CSV.replace("11.0,1", "11.0,2"), r"line 5: label must be 0 or 1, got '2'"),
        (CSV.replace("11.0,1", "11.0,"), r"line 5: label must be 0 or 1"),
        (CSV.replace("2024-01-01 00:15:00", "yesterday"), r"line 4: timestamp must be"),
        (CSV.replace("11.0,1,b", "11.0,1,"), r"line 5: series_id must be a name"),
    ],
)
def test_load_series_csv_bad_content(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_series_csv(_write(tmp_path, text))


def test_load_series_csv_order_checks(tmp_path):
    duplicate = _write(tmp_path, CSV.replace("00:30:00", "00:15:00"), "dup.csv")
    with pytest.raises(ValueError, match=r"line 6: series 'a' has a duplicate timestamp"):
        load_series_csv(duplicate)
    unsorted = _write(tmp_path, CSV.replace("2024-01-01 01:00:00", "2023-12-31 23:00:00"), "u.csv")
    with pytest.raises(ValueError, match=r"line 5: series 'b' has a timestamp earlier"):
        load_series_csv(unsorted)
    # selecting only a clean series does not trip on another series' problem
    assert list(load_series_csv(duplicate, series="b")) == ["b"]
    with pytest.warns(UserWarning, match="duplicate timestamp"):
        data = load_series_csv(duplicate, on_bad_order="warn")
    assert len(data["a"].y) == 3
    assert len(load_series_csv(duplicate, on_bad_order="ignore")["a"].y) == 3
    with pytest.raises(ValueError, match="on_bad_order"):
        load_series_csv(duplicate, on_bad_order="sort")


def test_load_series_csv_does_not_bundle_missing_tokens_with_zero(tmp_path):
    text = "timestamp,value,label,series_id\n2024-01-01,0,0,a\n2024-01-02,NaN,0,a\n"
    data = load_series_csv(_write(tmp_path, text))
    assert_array_equal(data["a"].X.ravel(), [0.0, np.nan])


@pytest.mark.shared_data
def test_load_series_csv_real_files(shared_data_dir):
    # Expected counts are those of /work/shared/data/README.md.
    lead = load_series_csv(shared_data_dir / "lead_buildings.csv")
    assert sorted(lead) == [f"lead:building_{b}" for b in ("1074", "1143", "118", "685")]
    assert sum(len(b.y) for b in lead.values()) == 35136
    assert int(np.isnan(lead["lead:building_685"].X).sum()) == 29
    assert sum(int(np.isnan(b.X).sum()) for b in lead.values()) == 29
    assert_allclose(np.mean(np.concatenate([b.y for b in lead.values()])), 0.0216, atol=5e-4)
    step = np.diff(lead["lead:building_118"].timestamps)
    assert np.all(step == np.timedelta64(1, "h"))

    kpi = load_series_csv(shared_data_dir / "kpi_aiops.csv")
    (series,) = kpi.values()
    assert len(series.y) == 8784 and series.y.sum() == 13

    skab = load_series_csv(shared_data_dir / "skab_current.csv", as_frame=True)
    assert skab["series_id"].nunique() == 17 and len(skab) == 27565
    free = skab[skab["series_id"] == "skab:anomaly-free/anomaly-free"]
    assert free["label"].sum() == 0


@pytest.mark.shared_data
def test_load_series_csv_real_nab_has_out_of_order_rows(shared_data_dir):
    # Two NAB series repeat timestamps (daylight-saving artefacts): strict loading refuses.
    path = shared_data_dir / "nab.csv"
    with pytest.raises(ValueError, match="machine_temperature_system_failure"):
        load_series_csv(path)
    with pytest.warns(UserWarning):
        nab = load_series_csv(path, on_bad_order="warn")
    assert len(nab) == 5
    assert sum(len(b.y) for b in nab.values()) == 62364
    assert_allclose(np.mean(np.concatenate([b.y for b in nab.values()])), 0.094, atol=5e-3)
    taxi = load_series_csv(path, series="nab:realKnownCause/nyc_taxi")
    assert len(taxi["nab:realKnownCause/nyc_taxi"].y) == 10320
