"""Tests for ecoai_sklearn.datasets."""

import hashlib
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ecoai_sklearn.datasets import (
    ANOMALY_KINDS,
    _fetch,
    fetch_kpi,
    fetch_lead,
    fetch_nab,
    get_data_home,
    load_sample,
    load_series_csv,
    make_industrial_load,
    regularize,
)

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
        # checked even when no event is drawn
        ({"event_length": (5, 2), "n_anomalies": 0}, ValueError, r"got \(5, 2\)\.$"),
        ({"event_length": {"sag": 0}, "n_anomalies": 0}, ValueError, "got 0 for 'sag'"),
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
        (CSV.replace("-2.25", "abc"), r"line 6: column 'value' must be a number.*'abc'"),
        (CSV.replace("-2.25", "inf"), r"line 6: column 'value' must be a finite number"),
        (
            CSV.replace("11.0,1", "11.0,2"),
            r"line 5: column 'label' must be 0 or 1 \(1 = anomaly\), got '2'",
        ),
        (CSV.replace("11.0,1", "11.0,"), r"line 5: column 'label' must be 0 or 1"),
        (
            CSV.replace("2024-01-01 00:15:00", "yesterday"),
            r"line 4: column 'timestamp' must be an ISO 8601 timestamp",
        ),
        (CSV.replace("11.0,1,b", "11.0,1,"), r"line 5: column 'series_id' must be a name"),
    ],
)
def test_load_series_csv_bad_content(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_series_csv(_write(tmp_path, text))


def test_load_series_csv_file_problems(tmp_path):
    # the parser shared with ecoai-detect: a row longer than the header is an error (it
    # used to shift silently into the index), a missing file names the path
    ragged = CSV.replace("1.5,0,a", "1.5,0,a,extra")
    with pytest.raises(ValueError, match="not a valid CSV file: a row has more fields"):
        load_series_csv(_write(tmp_path, ragged))
    with pytest.raises(FileNotFoundError, match="absent.csv: no such file"):
        load_series_csv(tmp_path / "absent.csv")


def test_load_series_csv_order_checks(tmp_path):
    duplicate = _write(tmp_path, CSV.replace("00:30:00", "00:15:00"), "dup.csv")
    with pytest.raises(ValueError, match=r"line 6: series 'a' has a duplicate timestamp"):
        load_series_csv(duplicate)
    unsorted = _write(tmp_path, CSV.replace("2024-01-01 01:00:00", "2023-12-31 23:00:00"), "u.csv")
    with pytest.raises(ValueError, match=r"line 5: series 'b' has a timestamp earlier"):
        load_series_csv(unsorted)
    # selecting only a clean series does not trip on another series' problem
    assert list(load_series_csv(duplicate, series="b")) == ["b"]
    with pytest.warns(UserWarning, match="duplicate timestamp") as record:
        data = load_series_csv(duplicate, on_bad_order="warn")
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert len(data["a"].y) == 3
    assert len(load_series_csv(duplicate, on_bad_order="ignore")["a"].y) == 3
    with pytest.raises(ValueError, match="on_bad_order"):
        load_series_csv(duplicate, on_bad_order="sort")


def test_load_series_csv_does_not_bundle_missing_tokens_with_zero(tmp_path):
    text = "timestamp,value,label,series_id\n2024-01-01,0,0,a\n2024-01-02,NaN,0,a\n"
    data = load_series_csv(_write(tmp_path, text))
    assert_array_equal(data["a"].X.ravel(), [0.0, np.nan])


# A meter export as users have it: UTF-8 with a byte-order mark, ';'-separated, decimal
# commas, two channels, offsets that change at the end of daylight-saving time
# (02:30+02:00 is followed by 02:00+01:00, thirty minutes later), a gap of two rows
# (03:00 and 03:30 absent) and a repeated timestamp (04:00 twice).
EXPORT = (
    "\ufefftimestamp;current;voltage;note;label;series_id\n"
    "2014-10-26T01:30:00+02:00;2,5;230,1;ok;0;pump\n"
    "2014-10-26T02:00:00+02:00;2,6;229,8;ok;0;pump\n"
    "2014-10-26T02:30:00+02:00;;230,0;ok;0;pump\n"
    "2014-10-26T02:00:00+01:00;2,7;230,2;ok;1;pump\n"
    "2014-10-26T02:30:00+01:00;2,8;230,4;;0;pump\n"
    "2014-10-26T04:00:00+01:00;3,0;231,0;ok;0;pump\n"
    "2014-10-26T04:00:00+01:00;3,2;231,2;ok;1;pump\n"
    "2014-10-26T04:30:00+01:00;3,1;230,9;ok;0;pump\n"
)


def test_load_series_csv_reads_a_real_world_export(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT.encode("utf-8"))
    pump = load_series_csv(path, decimal=",", on_bad_order="ignore")["pump"]
    assert pump.feature_names.tolist() == ["current", "voltage"]  # 'note' is text: left out
    assert_array_equal(
        pump.X,
        [
            [2.5, 230.1],
            [2.6, 229.8],
            [np.nan, 230.0],
            [2.7, 230.2],
            [2.8, 230.4],
            [3.0, 231.0],
            [3.2, 231.2],
            [3.1, 230.9],
        ],  # fmt: skip
    )
    assert_array_equal(pump.y, [0, 0, 0, 1, 0, 0, 1, 0])
    utc = ["23:30", "00:00", "00:30", "01:00", "01:30", "03:00", "03:00", "03:30"]
    expected = pd.to_datetime(
        [("2014-10-25 " if t == "23:30" else "2014-10-26 ") + t for t in utc]
    ).tz_localize("UTC")
    assert_array_equal(pump.timestamps.as_unit("ns").asi8, expected.as_unit("ns").asi8)
    assert str(pump.timestamps.tz) == "UTC"
    # the repeated 04:00 is refused by default, and regularize resolves it
    with pytest.raises(ValueError, match=r"line 8: series 'pump' has a duplicate timestamp"):
        load_series_csv(path, decimal=",")
    frame = load_series_csv(path, decimal=",", on_bad_order="ignore", as_frame=True)
    assert list(frame.columns) == ["timestamp", "current", "voltage", "label", "series_id"]
    regular, report = regularize(
        frame, time_column="timestamp", series_column="series_id", label_column="label"
    )
    assert report.freq == {"pump": pd.Timedelta("30min")}
    assert (report.n_inserted, report.n_duplicates, report.n_converted) == (2, 1, 0)
    assert_array_equal(
        regular[["current", "voltage"]].to_numpy(),
        [
            [2.5, 230.1],
            [2.6, 229.8],
            [np.nan, 230.0],
            [2.7, 230.2],
            [2.8, 230.4],
            [np.nan, np.nan],
            [np.nan, np.nan],
            [3.1, 231.1],
            [3.1, 230.9],
        ],  # fmt: skip
    )
    assert regular["label"].tolist() == [0, 0, 0, 1, 0, 0, 0, 1, 0]
    assert_array_equal(report.imputed_rows, [0, 0, 1, 0, 0, 1, 1, 0, 0])


def test_load_series_csv_value_columns_delimiter_and_decimal(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT.encode("utf-8"))
    kwargs = {"decimal": ",", "on_bad_order": "ignore"}
    pump = load_series_csv(path, value_columns=["voltage"], **kwargs)["pump"]
    assert pump.X.shape == (8, 1) and pump.feature_names.tolist() == ["voltage"]
    assert load_series_csv(path, delimiter=";", **kwargs)["pump"].X.shape == (8, 2)
    with pytest.raises(ValueError, match="separated by ';', not ',': use delimiter=';'"):
        load_series_csv(path, delimiter=",", **kwargs)
    with pytest.raises(ValueError, match=r"got '2,5' .*decimal commas: use decimal=','"):
        load_series_csv(path, on_bad_order="ignore")
    with pytest.raises(ValueError, match=r"must be a number .*'ok'"):
        load_series_csv(path, value_columns=["note"], **kwargs)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['power'\]"):
        load_series_csv(path, value_columns=["power"], **kwargs)
    with pytest.raises(ValueError, match="decimal"):
        load_series_csv(path, decimal=";")


def test_load_series_csv_mixed_offsets_and_long_fields(tmp_path):
    text = CSV.replace("2024-01-01 00:15:00", "2024-01-01T00:15:00+01:00")
    with pytest.raises(ValueError, match=r"mixes timestamps with a UTC offset \(line 4"):
        load_series_csv(_write(tmp_path, text))
    huge = CSV.replace("-2.25", "9" * 50 + "x" * 3_000_000)
    with pytest.raises(ValueError) as info:
        load_series_csv(_write(tmp_path, huge, "huge.csv"))
    assert len(str(info.value)) < 300 and "(3,000,050 characters)" in str(info.value)


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

    multi = load_series_csv(shared_data_dir / "skab_multivariate.csv")
    assert len(multi) == 17 and sum(len(b.y) for b in multi.values()) == 27565
    run = multi["skab:anomaly-free/anomaly-free"]
    assert run.X.shape == (9405, 8) and run.y.sum() == 0
    assert run.feature_names.tolist() == [
        "accelerometer1rms", "accelerometer2rms", "current", "pressure", "temperature",
        "thermocouple", "voltage", "volume_flow_raterms",
    ]  # fmt: skip
    assert_allclose(run.X[0, [2, 6]], [2.16975, 238.852])


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


# ---------------------------------------------------------------------------------------------
# fetch_* (no network: upstream files are served from tmp_path through file:// URLs)

KPI_RAW = """timestamp,value,label,KPI_ID
1472918400,0.2341910677954737,0,0efb375b-b902-3661-ab23-9a0bb799f4e3
1472918700,0.2366572262083881,1,0efb375b-b902-3661-ab23-9a0bb799f4e3
1472919000,0.2308873461480024,0,0efb375b-b902-3661-ab23-9a0bb799f4e3
"""


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """Serve fake upstream files from tmp_path/upstream; return a helper to publish one."""
    folder = tmp_path / "upstream"
    folder.mkdir()
    monkeypatch.delenv("ECOAI_DATA", raising=False)

    def publish(key, filename, content, sha256=None):
        path = folder / filename
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        monkeypatch.setitem(_fetch._REMOTE, key, _fetch.RemoteFile(filename, path.as_uri(), sha256))
        return path

    return publish


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_kpi_converts_and_records_checksum(upstream, tmp_path):
    source = upstream("kpi", "kpi.csv", KPI_RAW)
    home = tmp_path / "cache"
    data = fetch_kpi(data_home=home)
    (series,) = data.values()
    assert list(data) == ["kpi:0efb375b-b902-3661-ab23-9a0bb799f4e3"]
    # unix seconds as UTC: the first row of the team's kpi_aiops.csv is 2016-09-03 16:00:00
    assert series.timestamps[0] == pd.Timestamp("2016-09-03 16:00:00")
    assert series.timestamps[1] - series.timestamps[0] == pd.Timedelta("5min")
    assert_array_equal(series.y, [0, 1, 0])
    assert series.X[0, 0] == 0.2341910677954737
    cached = home / "kpi" / "kpi.csv"
    assert cached.read_bytes() == source.read_bytes()
    record = (home / "kpi" / "kpi.csv.sha256").read_text().split()
    assert record == [_sha(source), "kpi.csv"]
    # later calls read the cache, even without network
    source.unlink()
    frame = fetch_kpi(data_home=home, as_frame=True)
    assert len(frame) == 3 and frame["label"].sum() == 1
    # a changed cache is detected against the recorded checksum
    cached.write_text(KPI_RAW.replace("0.2341910677954737", "0.9"))
    with pytest.raises(OSError, match="does not match its checksum"):
        fetch_kpi(data_home=home)


def test_fetch_without_network_or_download_gives_clear_errors(upstream, tmp_path):
    source = upstream("kpi", "kpi.csv", KPI_RAW)
    source.unlink()  # the URL now fails like an unreachable server
    home = tmp_path / "cache"
    with pytest.raises(ConnectionError, match=r"Could not download file://.*kpi\.csv"):
        fetch_kpi(data_home=home)
    assert list((home / "kpi").iterdir()) == []  # no partial file left behind
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_kpi(data_home=home, download_if_missing=False)


def test_fetch_checks_a_known_checksum(upstream, tmp_path):
    upstream("kpi", "kpi.csv", KPI_RAW, sha256="0" * 64)
    home = tmp_path / "cache"
    with pytest.raises(OSError, match="expected 0000"):
        fetch_kpi(data_home=home)
    assert not (home / "kpi" / "kpi.csv").exists()
    source = upstream("kpi", "kpi.csv", KPI_RAW)
    upstream("kpi", "kpi.csv", KPI_RAW, sha256=_sha(source))
    assert len(fetch_kpi(data_home=home, as_frame=True)) == 3


def test_data_home_from_environment(upstream, tmp_path, monkeypatch):
    upstream("kpi", "kpi.csv", KPI_RAW)
    monkeypatch.setenv("ECOAI_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == tmp_path / "from_env"
    fetch_kpi()
    assert (tmp_path / "from_env" / "kpi" / "kpi.csv").exists()
    assert get_data_home(tmp_path / "explicit") == tmp_path / "explicit"
    assert (tmp_path / "explicit").is_dir()


def test_fetch_lead_unzips_sorts_and_selects(upstream, tmp_path):
    raw = (
        "building_id,timestamp,meter_reading,anomaly\n"
        "118,2016-01-01 01:00:00,234.4,0\n"
        "685,2016-01-01 00:00:00,,1\n"
        "118,2016-01-01 00:00:00,117.2,0\n"
        "685,2016-01-01 01:00:00,50.0,0\n"
    )
    archive = tmp_path / "lead1.0-small.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("lead1.0-small.csv", raw)
    upstream("lead", "lead1.0-small.zip", archive.read_bytes(), sha256=_sha(archive))
    home = tmp_path / "cache"
    data = fetch_lead(data_home=home)
    assert list(data) == ["lead:building_118", "lead:building_685"]
    assert_array_equal(data["lead:building_118"].X.ravel(), [117.2, 234.4])
    assert_array_equal(data["lead:building_685"].X.ravel(), [np.nan, 50.0])
    assert_array_equal(data["lead:building_685"].y, [1, 0])
    assert list(fetch_lead(buildings=[685], data_home=home)) == ["lead:building_685"]
    with pytest.raises(ValueError, match="building_7"):
        fetch_lead(buildings=[7], data_home=home)


def test_fetch_nab_labels_windows_inclusively(upstream, tmp_path, monkeypatch):
    windows = {
        "realKnownCause/nyc_taxi.csv": [["2014-07-01 01:00:00.000000", "2014-07-01 01:30:00"]]
    }
    upstream("nab_windows", "combined_windows.json", json.dumps(windows))
    series_dir = tmp_path / "upstream" / "data" / "realKnownCause"
    series_dir.mkdir(parents=True)
    times = pd.date_range("2014-07-01", periods=5, freq="30min").strftime("%Y-%m-%d %H:%M:%S")
    (series_dir / "nyc_taxi.csv").write_text(
        "timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in zip(times, [5, 6, 7, 8, 9]))
    )
    base = (tmp_path / "upstream" / "data").as_uri()
    monkeypatch.setattr(_fetch, "_NAB_DATA_URL", base + "/{name}.csv")
    home = tmp_path / "cache"
    data = fetch_nab("realKnownCause/nyc_taxi", data_home=home)
    taxi = data["nab:realKnownCause/nyc_taxi"]
    assert_array_equal(taxi.y, [0, 0, 1, 1, 0])  # 01:00 and 01:30, both ends included
    assert_array_equal(taxi.X.ravel(), [5, 6, 7, 8, 9])
    assert (home / "nab" / "realKnownCause__nyc_taxi.csv.sha256").exists()
    with pytest.raises(ValueError, match="not in NAB's label file"):
        fetch_nab(["realKnownCause/unknown"], data_home=home)


def test_load_sample_offline():
    data = load_sample()
    taxi = data["nab:realKnownCause/nyc_taxi"]
    assert taxi.X.shape == (10320, 1) and taxi.y.sum() == 1035
    assert taxi.timestamps[0] == pd.Timestamp("2014-07-01")
    assert taxi.timestamps[-1] == pd.Timestamp("2015-01-31 23:30")
    # five anomalous runs, one per NAB window
    assert np.sum(np.diff(np.concatenate([[0], taxi.y, [0]])) == 1) == 5
    frame = load_sample("nyc_taxi", as_frame=True)
    assert len(frame) == 10320
    with pytest.raises(ValueError, match="name"):
        load_sample("nab")


@pytest.mark.shared_data
def test_load_sample_matches_the_shared_nab_file(shared_data_dir):
    shared = load_series_csv(
        shared_data_dir / "nab.csv", series="nab:realKnownCause/nyc_taxi", on_bad_order="ignore"
    )["nab:realKnownCause/nyc_taxi"]
    taxi = load_sample()["nab:realKnownCause/nyc_taxi"]
    assert_array_equal(taxi.X, shared.X)
    assert_array_equal(taxi.y, shared.y)
    assert taxi.timestamps.equals(shared.timestamps)
