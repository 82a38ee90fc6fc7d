"""Tests of ``ecoai_sklearn.datasets.regularize``: hand-made series, exact rows expected.

The examples of the user guide page "Preparing real data" run here too.
"""

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from ecoai_sklearn.datasets import RegularizeReport, regularize


def _series(times, values, **columns):
    return pd.DataFrame({"load": values, **columns}, index=pd.DatetimeIndex(times, name="time"))


def test_gap_becomes_missing_rows_and_report_counts():
    X = _series(
        ["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 01:00", "2024-01-01 01:15"],
        [1.0, np.nan, 4.0, 5.0],
    )
    out, report = regularize(X)
    expected = pd.date_range("2024-01-01 00:00", "2024-01-01 01:15", freq="15min", name="time")
    pd.testing.assert_index_equal(out.index, expected, check_freq=True)
    assert_array_equal(out["load"].to_numpy(), [1.0, np.nan, np.nan, np.nan, 4.0, 5.0])
    assert report.freq == pd.Timedelta("15min")
    assert (report.n_rows_in, report.n_rows_out, report.n_inserted) == (4, 6, 2)
    assert (report.n_duplicates, report.n_reordered, report.n_converted) == (0, 0, 0)
    assert_array_equal(report.inserted_rows, [False, False, True, True, False, False])
    assert_array_equal(report.imputed_rows, [False, True, True, True, False, False])
    assert report.changed
    assert report.summary() == (
        "inserted 2 missing rows in gaps of the 15min grid; 3 rows to impute"
    )
    assert str(report) == report.summary()
    # the input is not modified
    assert len(X) == 4 and X.index.name == "time"


def test_regular_series_comes_back_unchanged():
    X = _series(pd.date_range("2024-01-01", periods=5, freq="h"), np.arange(5.0))
    out, report = regularize(X)
    pd.testing.assert_frame_equal(out, X.astype({"load": "float64"}))
    assert out.index.freq == pd.Timedelta("1h")
    assert not report.changed
    assert report.summary() == "regular h grid, nothing changed"


@pytest.mark.parametrize(
    "rule, expected",
    [("mean", [1.0, 3.0, 6.0]), ("first", [1.0, 2.0, 6.0]), ("last", [1.0, 4.0, 6.0])],
)
def test_duplicates_follow_the_rule(rule, expected):
    X = _series(
        ["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:15", "2024-01-01 00:30"],
        [1.0, 2.0, 4.0, 6.0],
        label=[0, 1, 0, 0],
    )
    out, report = regularize(X, on_duplicate=rule, label_column="label")
    assert_array_equal(out["load"].to_numpy(), expected)
    # labels: the max under "mean" (anomalous if one row is), the kept row otherwise
    assert out["label"].tolist() == {"mean": [0, 1, 0], "first": [0, 1, 0], "last": [0, 0, 0]}[rule]
    assert out["label"].dtype == np.int64
    assert report.n_duplicates == 1


def test_duplicate_mean_ignores_missing_readings():
    X = _series(["2024-01-01 00:00", "2024-01-01 00:00", "2024-01-01 00:15"], [np.nan, 2.0, 3.0])
    out, _ = regularize(X, freq="15min")
    assert_array_equal(out["load"].to_numpy(), [2.0, 3.0])
    X = _series(["2024-01-01 00:00", "2024-01-01 00:00", "2024-01-01 00:15"], [np.nan, np.nan, 3.0])
    out, report = regularize(X, freq="15min")
    assert_array_equal(out["load"].to_numpy(), [np.nan, 3.0])
    assert_array_equal(report.imputed_rows, [True, False])


def test_duplicates_raise_when_asked():
    X = _series(["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:15"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"1 row\(s\) repeat the timestamp .*2024-01-01 00:15"):
        regularize(X, on_duplicate="raise")


def test_unsorted_rows_are_sorted_and_counted():
    X = _series(
        ["2024-01-01 00:30", "2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:45"],
        [3.0, 1.0, 2.0, 4.0],
    )
    out, report = regularize(X)
    assert_array_equal(out["load"].to_numpy(), [1.0, 2.0, 3.0, 4.0])
    assert report.n_reordered == 2
    assert "sorted 2 rows into time order" in report.summary()


def test_daylight_saving_offsets_become_utc():
    # 02:30+02:00 then 02:00+01:00: thirty minutes later in real time (end of CEST)
    text = [
        "2014-10-26T02:00:00+02:00",
        "2014-10-26T02:30:00+02:00",
        "2014-10-26T02:00:00+01:00",
        "2014-10-26T03:00:00+01:00",
    ]
    X = pd.DataFrame({"when": text, "load": [1.0, 2.0, 3.0, 5.0]})
    out, report = regularize(X, time_column="when")
    expected = pd.DatetimeIndex(
        [
            "2014-10-26 00:00",
            "2014-10-26 00:30",
            "2014-10-26 01:00",
            "2014-10-26 01:30",
            "2014-10-26 02:00",
        ],  # fmt: skip
        name="when",
    ).tz_localize("UTC")
    pd.testing.assert_index_equal(out.index.as_unit("ns"), expected.as_unit("ns"), check_freq=False)
    assert list(out.columns) == ["load"]
    assert_array_equal(out["load"].to_numpy(), [1.0, 2.0, 3.0, np.nan, 5.0])
    assert report.n_converted == 4
    assert report.summary().startswith("converted 4 timestamps with a UTC offset to UTC")
    # the same as a tz-aware index in a named zone: UTC out, same rows
    local = pd.DataFrame(
        {"load": [1.0, 2.0, 3.0, 5.0]},
        index=pd.DatetimeIndex(pd.to_datetime(text, utc=True)).tz_convert("Europe/Berlin"),
    )
    out2, report2 = regularize(local)
    assert_array_equal(out2.index.asi8, out.index.as_unit(out2.index.unit).asi8)
    assert str(out2.index.tz) == "UTC" and report2.n_converted == 4


def test_utc_offsets_of_zero_are_not_counted_as_converted():
    X = pd.DataFrame(
        {"load": [1.0, 2.0]}, index=["2024-01-01T00:00:00Z", "2024-01-01T00:15:00+00:00"]
    )
    out, report = regularize(X)
    assert str(out.index.tz) == "UTC" and report.n_converted == 0


def test_mixed_offsets_and_naive_timestamps_are_refused():
    X = pd.DataFrame({"load": [1.0, 2.0]}, index=["2024-01-01T00:00:00+01:00", "2024-01-01 00:15"])
    with pytest.raises(ValueError, match="mix timestamps with a UTC offset and without one"):
        regularize(X)


def test_off_grid_timestamps():
    X = _series(
        [
            "2024-01-01 00:00",
            "2024-01-01 00:15",
            "2024-01-01 00:31",
            "2024-01-01 00:45",
            "2024-01-01 01:00",
        ],  # fmt: skip
        [1.0, 2.0, 3.0, 4.0, 5.0],
    )
    with pytest.raises(ValueError, match=r"1 timestamp\(s\) lie between .*15min grid.*00:31"):
        regularize(X)
    out, report = regularize(X, off_grid="nearest")
    assert_array_equal(out["load"].to_numpy(), [1.0, 2.0, 3.0, 4.0, 5.0])
    assert out.index[2] == pd.Timestamp("2024-01-01 00:30")
    assert report.n_off_grid == 1


def test_explicit_freq_and_bad_freq():
    X = _series(["2024-01-01 00:00", "2024-01-01 01:00"], [1.0, 2.0])
    out, report = regularize(X, freq="30min")
    assert_array_equal(out["load"].to_numpy(), [1.0, np.nan, 2.0])
    assert report.freq == pd.Timedelta("30min")
    with pytest.raises(ValueError, match="fixed duration"):
        regularize(X, freq="MS")
    with pytest.raises(ValueError, match="positive duration"):
        regularize(X, freq=pd.Timedelta(0))
    with pytest.raises(ValueError, match="at least two distinct timestamps"):
        regularize(X.iloc[:1])


def test_several_series_each_on_its_own_grid():
    X = pd.DataFrame(
        {
            "site": ["a", "b", "a", "b", "a", "b"],
            "load": [1.0, 10.0, 3.0, 20.0, 4.0, 30.0],
        },
        index=pd.to_datetime(
            [
                "2024-01-01 00:00",
                "2024-01-01 00:00",
                "2024-01-01 00:20",
                "2024-01-01 01:00",
                "2024-01-01 00:30",
                "2024-01-01 03:00",
            ]
        ),
    )
    out, report = regularize(X, series_column="site")
    # a: steps of 20 and 10 minutes, a tie: the shorter; b: 1 h twice, 2 h once
    assert out["site"].tolist() == ["a", "a", "a", "a", "b", "b", "b", "b"]
    assert_array_equal(out["load"].to_numpy(), [1.0, np.nan, 3.0, 4.0, 10.0, 20.0, np.nan, 30.0])
    assert report.freq == {"a": pd.Timedelta("10min"), "b": pd.Timedelta("1h")}
    assert report.n_inserted == 2
    with pytest.raises(TypeError, match="column\\(s\\) 'site' hold .*series_column"):
        regularize(X)


def test_several_value_columns_and_nullable_dtypes():
    X = pd.DataFrame(
        {"a": pd.array([1.0, None], dtype="Float64"), "b": pd.array([1, 2], dtype="Int64")},
        index=pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:10"]),
    )
    out, report = regularize(X, freq="5min")
    assert out.dtypes.tolist() == [np.float64, np.float64]
    assert_array_equal(out.to_numpy(), [[1.0, 1.0], [np.nan, np.nan], [np.nan, 2.0]])
    assert_array_equal(report.imputed_rows, [False, True, True])


@pytest.mark.parametrize(
    "X, kwargs, error, match",
    [
        (pd.DataFrame({"load": [1.0, 2.0]}), {}, TypeError, "X needs timestamps"),
        (np.ones((2, 1)), {}, ValueError, "parameter of regularize must be"),
        (
            pd.DataFrame({"t": ["2024-01-01", "soon"], "load": [1.0, 2.0]}),
            {"time_column": "t"},
            ValueError,
            "row 1 is not an ISO 8601 timestamp: 'soon'",
        ),
        (
            _series(["2024-01-01", "2024-01-02"], [1.0, 2.0]),
            {"time_column": "when"},
            ValueError,
            "time_column='when' is not a column",
        ),
        (
            _series(["2024-01-01", "2024-01-02"], [1.0, 2.0], label=[0, 2]),
            {"label_column": "label"},
            ValueError,
            "must hold 0 or 1",
        ),
        (
            _series(["2000-01-01", "2024-01-01"], [1.0, 2.0]),
            {"freq": "1s"},
            ValueError,
            "points for 2 timestamps",
        ),
        (
            _series(["2024-01-01", "2024-01-02"], [1.0, 2.0]),
            {"on_duplicate": "max"},
            ValueError,
            "on_duplicate",
        ),
    ],
    ids=["no-time", "array", "bad-text", "no-time-column", "bad-label", "huge-grid", "bad-rule"],
)
def test_bad_input(X, kwargs, error, match):
    with pytest.raises(error, match=match):
        regularize(X, **kwargs)


def test_report_is_a_public_frozen_record():
    _, report = regularize(_series(["2024-01-01", "2024-01-02"], [1.0, 2.0]))
    assert isinstance(report, RegularizeReport)
    with pytest.raises(AttributeError):
        report.n_inserted = 3
    assert "inserted_rows" not in repr(report) and "n_inserted=0" in repr(report)


def test_preparing_data_page_examples_run():
    page = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "preparing_data.rst"
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(page), module_relative=False, optionflags=flags)
    assert result.attempted > 15 and result.failed == 0
