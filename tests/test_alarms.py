"""Alarm events: hand-made flags, a per-row oracle, chunking and restart equivalence."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from ecoai_sklearn.streaming import AlarmAggregator, alarm_events

COLUMNS = ["start", "end", "raised_at", "n_rows", "n_flagged", "peak_score"]


def events(flags, **kwargs):
    """``alarm_events`` on 0/1 flags (1 = anomaly), as a list of (start, end) pairs."""
    table = alarm_events(np.asarray(flags), pred_convention="binary", **kwargs)
    return list(zip(table["start"].tolist(), table["end"].tolist()))


def oracle(mask, scores, min_duration, suppression):
    """The documented rule, row by row, written independently of the module."""
    found, event, run_start = [], None, None
    for t, flagged in enumerate(mask):
        if not flagged:
            continue
        if event is not None and t - event["end"] - 1 <= suppression:
            event["end"] = t
            event["rows"].append(t)
            continue
        if event is not None:
            found.append(event)
            event = None
        if t == 0 or not mask[t - 1]:
            run_start = t
        if t - run_start + 1 >= min_duration:
            event = {"start": run_start, "end": t, "raised_at": t}
            event["rows"] = list(range(run_start, t + 1))
    if event is not None:
        found.append(event)
    rows = []
    for event in found:
        peak = np.nan if scores is None else float(np.fmin.reduce(scores[event["rows"]]))
        rows.append(
            (
                event["start"],
                event["end"],
                event["raised_at"],
                event["end"] - event["start"] + 1,
                len(event["rows"]),
                peak,
            )
        )
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {**{c: np.int64 for c in COLUMNS[:-1]}, "peak_score": np.float64}
    )


# ------------------------------------------------------------------ hand-made flags
def test_min_duration_drops_short_runs_and_keeps_runs_at_the_edges():
    flags = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1]
    assert events(flags) == [(0, 1), (3, 3), (6, 8), (10, 10), (12, 13)]
    assert events(flags, min_duration=2) == [(0, 1), (6, 8), (12, 13)]
    assert events(flags, min_duration=3) == [(6, 8)]
    assert events(flags, min_duration=4) == []


def test_adjacent_runs_merge_only_within_the_suppression_period():
    flags = [0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert events(flags) == [(1, 2), (4, 4), (7, 7), (11, 11)]
    # gap of 1 row joins; gaps of 2 and 3 rows do not
    assert events(flags, suppression=1) == [(1, 4), (7, 7), (11, 11)]
    # a gap of exactly `suppression` rows joins, one more does not
    assert events(flags, suppression=2) == [(1, 7), (11, 11)]
    assert events(flags, suppression=3) == [(1, 11)]


def test_suppression_merges_short_runs_into_an_event_but_never_backwards():
    flags = [1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1]
    # the single flag at 0 comes before any event: dropped, not merged backwards
    table = alarm_events(flags, min_duration=3, suppression=1, pred_convention="binary")
    assert table[["start", "end", "raised_at", "n_rows", "n_flagged"]].values.tolist() == [
        [2, 8, 4, 7, 5]
    ]
    # the flag at 12 is 3 rows after the event: too short to raise an event of its own
    assert events(flags, min_duration=3, suppression=2) == [(2, 8)]
    assert events(flags, min_duration=1, suppression=2) == [(0, 8), (12, 12)]


def test_a_noisy_stretch_pages_once():
    flags = np.zeros(200, dtype=int)
    flags[50:120:5] = 1  # a flag every 5 rows, as a noisy stretch gives
    flags[[61, 62, 119]] = 1
    table = alarm_events(flags, min_duration=1, suppression=12, pred_convention="binary")
    assert table[["start", "end"]].values.tolist() == [[50, 119]]
    assert table["n_flagged"].iloc[0] == flags.sum()
    assert len(alarm_events(flags, pred_convention="binary")) > 10


def test_empty_and_flag_free_input_give_an_empty_table_with_the_columns():
    for flags in ([], [1, 1, 1]):
        table = alarm_events(flags, pred_convention="sign")
        assert list(table.columns) == COLUMNS and len(table) == 0
        assert table["start"].dtype == np.int64 and table["peak_score"].dtype == np.float64
    timed = alarm_events([], index=pd.DatetimeIndex([]))
    assert list(timed.columns) == [*COLUMNS, "start_time", "end_time", "raised_time"]


def test_whole_input_flagged_is_one_event():
    table = alarm_events([-1] * 5, min_duration=5)
    assert table[COLUMNS[:-1]].values.tolist() == [[0, 4, 4, 5, 5]]


def test_peak_score_is_the_lowest_score_of_the_flagged_rows_and_ignores_nan():
    flags = [-1, 1, -1, -1, 1, 1, 1, -1]
    scores = [-0.2, -9.0, np.nan, -0.4, 0.3, 0.2, 0.1, np.nan]
    table = alarm_events(flags, scores, suppression=1)
    # -9.0 sits in a gap row (not flagged): not the peak; an event of NaN scores has NaN
    assert table["peak_score"].tolist()[0] == -0.4
    assert np.isnan(table["peak_score"].iloc[1])
    assert alarm_events(flags)["peak_score"].isna().all()


def test_index_labels_the_rows_with_the_inclusive_end():
    index = pd.date_range("2024-01-01", periods=6, freq="15min", tz="UTC")
    table = alarm_events([1, -1, -1, -1, 1, 1], index=index, min_duration=2)
    row = table.iloc[0]
    assert (row["start_time"], row["end_time"], row["raised_time"]) == (
        index[1],
        index[3],
        index[2],
    )
    assert table["end_time"].dtype == index.dtype


def test_sign_binary_and_bool_flags_give_the_same_events():
    sign = np.array([1, -1, -1, 1, -1, 1])
    expected = alarm_events(sign)
    pd.testing.assert_frame_equal(alarm_events((sign == -1).astype(int)), expected)
    pd.testing.assert_frame_equal(alarm_events(sign == -1), expected)
    pd.testing.assert_frame_equal(alarm_events(pd.Series(sign).astype(float)), expected)
    pd.testing.assert_frame_equal(alarm_events(sign.reshape(-1, 1)), expected)


@pytest.mark.parametrize(
    "flags, kwargs, error, match",
    [
        ([1, 1, 1], {}, ValueError, "only 1s, which is ambiguous"),
        ([1, 0, 1], {"pred_convention": "sign"}, ValueError, "holds 0 but"),
        ([1, -1], {"pred_convention": "binary"}, ValueError, "holds -1 but"),
        ([1, -1, 0], {}, ValueError, "mixes -1 and 0"),
        ([0, 2, 1], {}, ValueError, r"other values such as \[2"),
        ([0, np.nan], {}, ValueError, r"such as \[nan\]"),
        (["a", "b"], {}, TypeError, "must be numeric"),
        ([[0, 1], [1, 0]], {}, ValueError, "must be 1D"),
        ([0, 1], {"scores": [0.5]}, ValueError, "one value per flag"),
        ([0, 1], {"scores": ["x", "y"]}, TypeError, "scores must be numeric"),
        ([0, 1], {"index": [1, 2, 3]}, ValueError, "one label per flag"),
        ([0, 1], {"min_duration": 0}, ValueError, "min_duration"),
        ([0, 1], {"suppression": -1}, ValueError, "suppression"),
    ],
)
def test_bad_input_is_a_clear_error(flags, kwargs, error, match):
    with pytest.raises(error, match=match):
        alarm_events(flags, **kwargs)


# ------------------------------------------------------------------ oracle, chunking
flag_arrays = st.lists(st.sampled_from([0, 0, 0, 1, 1]), max_size=60).map(np.array)


@settings(max_examples=150, deadline=None)
@given(flags=flag_arrays, min_duration=st.integers(1, 4), suppression=st.integers(0, 4))
def test_batch_events_follow_the_row_by_row_rule(flags, min_duration, suppression):
    scores = np.sin(np.arange(flags.size) * 1.7)
    scores[::5] = np.nan
    table = alarm_events(
        flags,
        scores,
        min_duration=min_duration,
        suppression=suppression,
        pred_convention="binary",
    )
    expected = oracle(flags.astype(bool), scores, min_duration, suppression)
    pd.testing.assert_frame_equal(table, expected)


def _same(records):
    """Records with NaN peaks spelled out, so that == compares them (nan != nan)."""
    return [{**r, "peak_score": repr(r["peak_score"])} for r in records]


def _feed(aggregator, flags, scores, index, sizes, *, rows_seen=None):
    """Feed the rows in chunks of the given sizes (the rest at the end); all records.

    ``rows_seen``, a list, receives for each record the number of rows fed when it came
    (``None`` for the records of ``flush``).
    """
    records, position = [], 0
    for size in [*sizes, flags.size]:
        stop = min(position + size, flags.size)
        chunk = slice(position, stop)
        new = aggregator.update(flags[chunk], scores[chunk], index=index[chunk])
        records += new
        position = stop
        if rows_seen is not None:
            rows_seen += [stop] * len(new)
    last = aggregator.flush()
    if rows_seen is not None:
        rows_seen += [None] * len(last)
    return records + last


def _chunk_at(sizes, stop):
    """Length of the chunk that ends at row ``stop`` when feeding chunks of ``sizes``."""
    bounds = np.minimum(np.cumsum([0, *sizes]), stop)
    return stop - bounds[bounds < stop].max(initial=0)


@settings(max_examples=150, deadline=None)
@given(
    flags=flag_arrays,
    min_duration=st.integers(1, 4),
    suppression=st.integers(0, 4),
    sizes=st.lists(st.integers(0, 7), max_size=20),
)
def test_online_events_equal_the_batch_events_over_any_chunking(
    flags, min_duration, suppression, sizes
):
    sign = np.where(flags == 1, -1, 1)
    scores = np.random.default_rng(flags.size).normal(size=flags.size)
    scores[::7] = np.nan
    index = pd.date_range("2024-01-01", periods=flags.size, freq="15min")
    kwargs = {"min_duration": min_duration, "suppression": suppression}

    rows_seen = []
    chunked = _feed(AlarmAggregator(**kwargs), sign, scores, index, sizes, rows_seen=rows_seen)
    whole = _feed(AlarmAggregator(**kwargs), sign, scores, index, [])
    assert _same(chunked) == _same(whole)  # every record, raised and closed, in the same order

    table = alarm_events(sign, scores, index=index, pred_convention="sign", **kwargs)
    closed = pd.DataFrame([r for r in chunked if r["status"] == "closed"], columns=table.columns)
    pd.testing.assert_frame_equal(closed, table, check_dtype=False)
    raised = [r for r in chunked if r["status"] == "raised"]
    assert [(r["start"], r["raised_at"]) for r in raised] == list(
        zip(table["start"], table["raised_at"])
    )
    for record, seen in zip(chunked, rows_seen):  # each record as soon as its row comes
        if record["status"] == "raised":
            assert seen - 1 >= record["raised_at"] > seen - 1 - _chunk_at(sizes, seen)
        elif seen is not None:  # closed by the row `suppression` rows after its end
            assert seen - 1 >= record["end"] + suppression + 1 > seen - 1 - _chunk_at(sizes, seen)
        else:  # closed by flush: the input ended first
            assert record["end"] + suppression + 1 >= flags.size
    for record in raised:  # the event as it stood when it was raised
        assert record["end"] == record["raised_at"] and record["n_flagged"] == min_duration
        head = slice(record["start"], record["raised_at"] + 1)
        np.testing.assert_equal(record["peak_score"], np.fmin.reduce(scores[head]))
        assert record["raised_time"] == index[record["raised_at"]]


@settings(max_examples=60, deadline=None)
@given(flags=flag_arrays, cut=st.integers(0, 60), sizes=st.lists(st.integers(1, 5), max_size=8))
def test_a_restored_state_continues_with_the_same_records(flags, cut, sizes):
    sign = np.where(flags == 1, -1, 1)
    scores = np.random.default_rng(flags.size).normal(size=flags.size)
    index = np.arange(flags.size) * 900  # e.g. unix seconds: JSON-friendly labels
    cut = min(cut, flags.size)
    kwargs = {"min_duration": 2, "suppression": 3}
    reference = _feed(AlarmAggregator(**kwargs), sign, scores, index, [cut, *sizes])

    first = AlarmAggregator(**kwargs)
    records = first.update(sign[:cut], scores[:cut], index=index[:cut])
    state = json.loads(json.dumps(first.get_state(), default=int))
    second = AlarmAggregator(**kwargs).set_state(state)
    assert second.n_seen_ == cut
    rest = slice(cut, None)
    records += _feed(second, sign[rest], scores[rest], index[rest], sizes)
    assert _same(records) == _same(reference)


def test_records_of_a_chunked_stream_hand_checked():
    aggregator = AlarmAggregator(min_duration=2, suppression=1)
    assert aggregator.update([-1]) == []  # a run of 1: not yet an event
    raised = aggregator.update([-1, 1], [-0.5, 0.2])
    assert raised == [
        {
            "status": "raised",
            "start": 0,
            "end": 1,
            "raised_at": 1,
            "n_rows": 2,
            "n_flagged": 2,
            "peak_score": -0.5,
        }
    ]
    assert aggregator.update([-1]) == []  # joins the event (1 gap row)
    closed = aggregator.update([1, 1])
    assert [(r["status"], r["start"], r["end"], r["n_flagged"]) for r in closed] == [
        ("closed", 0, 3, 3)
    ]
    assert aggregator.flush() == [] and aggregator.n_seen_ == 6


def test_flush_closes_the_open_event_and_drops_a_short_run():
    aggregator = AlarmAggregator(min_duration=2, suppression=5)
    aggregator.update([-1, -1, 1, 1])
    assert [r["status"] for r in aggregator.flush()] == ["closed"]
    other = AlarmAggregator(min_duration=3)
    assert other.update([-1, -1]) == [] and other.flush() == []
    assert other.update([-1]) == []  # after flush the earlier run does not continue


def test_online_conventions_and_the_index_rule():
    auto = AlarmAggregator(pred_convention="auto")
    with pytest.raises(ValueError, match="ambiguous"):
        auto.update([1, 1])
    assert auto.update([1, -1]) != []  # decides "sign"
    # then a chunk of +1 is all normal, no longer ambiguous: it closes the event
    assert [r["status"] for r in auto.update([1, 1])] == ["closed"]
    assert auto.get_state()["convention"] == "sign"
    binary = AlarmAggregator(pred_convention="binary")
    assert binary.update([0, 1, 0])[0]["start"] == 1
    assert AlarmAggregator().update(np.array([False, True]))[0]["start"] == 1

    timed = AlarmAggregator()
    timed.update([1], index=pd.DatetimeIndex(["2024-01-01"]))
    with pytest.raises(ValueError, match="index must be given with every chunk"):
        timed.update([1])
    untimed = AlarmAggregator()
    untimed.update([1])
    with pytest.raises(ValueError, match="or with none"):
        untimed.update([1], index=[5])


def test_state_checks_and_estimator_api():
    aggregator = AlarmAggregator(min_duration=2)
    aggregator.update([-1, -1, 1])
    with pytest.raises(ValueError, match="parameters"):
        AlarmAggregator(min_duration=3).set_state(aggregator.get_state())
    with pytest.raises(ValueError, match="get_state"):
        AlarmAggregator().set_state({"n_seen": 3})
    fresh = clone(aggregator)
    assert fresh.get_params() == aggregator.get_params()
    assert not hasattr(fresh, "n_seen_")
    assert "min_duration=2" in repr(aggregator)
    with pytest.raises(ValueError, match="min_duration"):
        AlarmAggregator(min_duration=0).update([1])
