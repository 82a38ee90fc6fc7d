"""StreamingDetector: stream == chunks == batch causal, delayed == batch, alarms, restart, refit."""

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import make_anomaly_scorer
from ecoai_sklearn.persistence import load, save
from ecoai_sklearn.pipelines import (
    make_default_detector,
    make_fft_cnngru_detector,
    make_knn_detector,
)
from ecoai_sklearn.scoring import KNNWindowScorer
from ecoai_sklearn.streaming import AlarmAggregator, StreamingDetector, alarm_events
from ecoai_sklearn.thresholding import WeightedZScoreThresholder
from ecoai_sklearn.utils import InvalidParameterError

N_TRAIN = 14 * 96
N_NEW = 300
TINY_NET = {"max_epochs": 1, "module__hidden_size": 8}


@pytest.fixture(scope="module")
def series():
    X, y, _ = make_industrial_load(n_days=18, n_anomalies=6, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def fitted(series):
    X, _ = series
    return StreamingDetector(make_default_detector()).fit(X[:N_TRAIN])


def batch_causal(stream, X):
    """What the stream must give the rows after N_TRAIN: the batch values, history first."""
    context = stream.context_
    return stream.decision_function(X[N_TRAIN - context : N_TRAIN + N_NEW])[context:]


def feed(stream, rows, sizes):
    """``update`` on consecutive chunks of the given sizes (the last one takes the rest)."""
    out, begin = [], 0
    for size in sizes:
        if begin >= rows.shape[0]:
            break
        out.append(stream.update(rows[begin : begin + size]))
        begin += size
    if begin < rows.shape[0]:
        out.append(stream.update(rows[begin:]))
    return np.concatenate(out)


# ---------------------------------------------------------------------------- causal
def test_default_detector_row_by_row_equals_batch_causal(series, fitted):
    X, _ = series
    stream = copy.deepcopy(fitted)
    assert stream.fast_path_ and stream.window_sizes_ == [96, 64] and stream.context_ == 95
    expected = batch_causal(stream, X)
    rows = np.concatenate([stream.update(row) for row in X[N_TRAIN : N_TRAIN + N_NEW]])
    np.testing.assert_allclose(rows, expected, rtol=1e-9, atol=1e-9)
    assert stream.n_rows_seen_ == N_NEW
    # the same rows at once, from the fitted state
    at_once = copy.deepcopy(fitted).update(X[N_TRAIN : N_TRAIN + N_NEW])
    np.testing.assert_allclose(at_once, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=12, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=12))
def test_any_chunking_gives_the_same_values(series, fitted, sizes):
    X, _ = series
    expected = batch_causal(fitted, X)
    values = feed(copy.deepcopy(fitted), X[N_TRAIN : N_TRAIN + N_NEW], sizes)
    np.testing.assert_allclose(values, expected, rtol=1e-9, atol=1e-9)


def test_causal_mode_sets_every_window_scorer_causal(fitted):
    params = fitted.detector_.get_params()
    keys = [key for key in params if key.endswith("scorer__aggregation")]
    assert len(keys) == 2 and all(params[key] == "causal" for key in keys)
    # the detector given stays as it was (a clone is fitted)
    assert fitted.detector.get_params()[keys[0]] == "covering"
    members = fitted.detector_.named_steps["ensemble"].estimators_
    assert all(m.named_steps["scorer"].aggregation == "causal" for m in members)


def test_a_detector_without_window_scorers_is_causal_already(series):
    from sklearn.ensemble import IsolationForest

    X, _ = series
    stream = StreamingDetector(IsolationForest(n_estimators=20, random_state=0)).fit(X[:N_TRAIN])
    assert stream.context_ == 0 and stream.window_sizes_ == [] and stream.fast_path_
    new = X[N_TRAIN : N_TRAIN + 50]
    np.testing.assert_allclose(feed(stream, new, [7, 1, 13]), stream.decision_function(new))


@pytest.fixture(scope="module")
def research(series):
    X, _ = series
    detector = make_fft_cnngru_detector(estimator_params=TINY_NET, random_state=0)
    return StreamingDetector(detector).fit(X[:N_TRAIN])


def test_research_detector_stream_equals_batch_causal(series, research):
    X, _ = series
    assert research.fast_path_ and research.window_sizes_ == [96]
    scorer = research.detector_.named_steps["scorer"]
    assert scorer.aggregation == "causal" and scorer.include_values
    expected = batch_causal(research, X)
    new = X[N_TRAIN : N_TRAIN + N_NEW]
    rows = np.concatenate([r for r in map(copy.deepcopy(research).update, new[:40])])
    np.testing.assert_allclose(rows, expected[:40], rtol=1e-6, atol=1e-9)
    chunks = feed(copy.deepcopy(research), new, [1, 5, 96, 17])
    np.testing.assert_allclose(chunks, expected, rtol=1e-6, atol=1e-9)


def test_grid_search_around_a_detector(series):
    X, y = series
    search = GridSearchCV(
        make_default_detector(),
        {"ensemble__contamination": ["auto", 0.05]},
        scoring=make_anomaly_scorer("average_precision"),
        cv=TimeSeriesSplit(2),
    )
    stream = StreamingDetector(search).fit(X[:N_TRAIN], y[:N_TRAIN])
    assert stream.fast_path_
    best = stream.detector_.best_estimator_
    assert best.get_params()["ensemble__knn_64__scorer__aggregation"] == "causal"
    expected = batch_causal(stream, X)
    np.testing.assert_allclose(
        feed(stream, X[N_TRAIN : N_TRAIN + N_NEW], [3, 50]), expected, rtol=1e-9, atol=1e-9
    )


def test_unknown_steps_are_rescored_with_the_same_values(series, fitted):
    # a step the plan does not know: the detector is re-scored on context + new rows
    X, _ = series
    detector = make_knn_detector(window_size=32)
    odd = Pipeline([("identity", FunctionTransformer()), *detector.steps])
    slow = StreamingDetector(odd).fit(X[:N_TRAIN])
    fast = StreamingDetector(detector).fit(X[:N_TRAIN])
    assert not slow.fast_path_ and fast.fast_path_ and slow.context_ == 31
    new = X[N_TRAIN : N_TRAIN + 120]
    expected = fast.decision_function(np.vstack([X[N_TRAIN - 31 : N_TRAIN], new]))[31:]
    np.testing.assert_allclose(feed(slow, new, [1, 1, 40, 9]), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(feed(fast, new, [60]), expected, rtol=1e-9, atol=1e-9)


def test_missing_readings_are_filled_causally_and_chunking_still_agrees(series, fitted):
    X, _ = series
    new = X[N_TRAIN : N_TRAIN + 200].copy()
    new[10, 0] = np.nan
    new[11:14, :] = np.nan  # whole rows missing
    new[150, 2] = np.nan
    one_by_one = copy.deepcopy(fitted)
    rows = np.concatenate([one_by_one.update(r) for r in new[:160]])
    chunks = feed(copy.deepcopy(fitted), new[:160], [12, 1, 100])
    assert np.isfinite(rows).all()
    np.testing.assert_allclose(rows, chunks, rtol=1e-9, atol=1e-9)
    # complete rows long after the gap (beyond both windows) are the batch values again
    stream = copy.deepcopy(fitted)
    later = stream.update(new)[120:]
    complete = fitted.decision_function(X[N_TRAIN - 95 : N_TRAIN + 200])
    np.testing.assert_allclose(later[:25], complete[95 + 120 : 95 + 145], rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------- delayed
def test_delayed_mode_gives_the_batch_values_delay_rows_late(series):
    X, _ = series
    stream = StreamingDetector(make_default_detector(), mode="delayed").fit(X[:N_TRAIN])
    assert stream.delay_ == 95 and stream.context_ == 190 and stream.fast_path_
    params = stream.detector_.get_params()
    assert params["ensemble__knn_auto__scorer__aggregation"] == "covering"
    whole = np.vstack([X[:N_TRAIN], X[N_TRAIN : N_TRAIN + N_NEW]])
    batch = stream.decision_function(whole)  # the batch detector on the whole series
    values = feed(copy.deepcopy(stream), X[N_TRAIN : N_TRAIN + N_NEW], [1, 1, 30, 96])
    # value j belongs to row N_TRAIN + j - delay: the last training rows first
    np.testing.assert_allclose(values, batch[N_TRAIN - 95 : N_TRAIN + N_NEW - 95], atol=1e-9)
    rows = np.concatenate([stream.update(r) for r in X[N_TRAIN : N_TRAIN + 40]])
    np.testing.assert_allclose(rows, values[:40], atol=1e-9)


def test_delayed_mode_without_the_fast_path_gives_the_same_values(series):
    X, _ = series
    detector = make_knn_detector(window_size=32)
    odd = Pipeline([("identity", FunctionTransformer()), *detector.steps])
    slow = StreamingDetector(odd, mode="delayed").fit(X[:N_TRAIN])
    fast = StreamingDetector(detector, mode="delayed").fit(X[:N_TRAIN])
    assert fast.fast_path_ and not slow.fast_path_ and fast.delay_ == slow.delay_ == 31
    new = X[N_TRAIN : N_TRAIN + 100]
    expected = fast.decision_function(X[: N_TRAIN + 100])[N_TRAIN - 31 : N_TRAIN + 100 - 31]
    np.testing.assert_allclose(feed(slow, new, [1, 30, 2]), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(feed(fast, new, [5, 1, 64]), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.slow  # a second research fit, with DTW path costs: about 15 s
def test_delayed_research_detector_path_errors(series):
    # aggregation="path" (per-step DTW costs): delayed by re-scoring, the batch values
    X, _ = series
    detector = make_fft_cnngru_detector(estimator_params=TINY_NET, random_state=0)
    stream = StreamingDetector(detector, mode="delayed").fit(X[:N_TRAIN])
    assert not stream.fast_path_ and stream.delay_ == 95
    assert stream.detector_.named_steps["scorer"].aggregation == "path"
    # a row's batch value depends on the 2 x 95 rows around it: 300 rows before suffice
    expected = stream.decision_function(X[N_TRAIN - 300 : N_TRAIN + 10])[205:215]
    values = feed(stream, X[N_TRAIN : N_TRAIN + 10], [1, 9])
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------- alarms
def test_alarm_events_from_the_stream_page_once_per_event(series):
    X, _ = series
    new = X[N_TRAIN : N_TRAIN + N_NEW].copy()
    new[100:130] *= 0.2  # a sag of several hours: a noisy stretch of flags
    aggregator = AlarmAggregator(min_duration=2, suppression=8)
    stream = StreamingDetector(make_default_detector(), alarms=aggregator).fit(X[:N_TRAIN])
    times = pd.date_range("2024-01-15", periods=N_NEW, freq="15min")
    records, scores = [], []
    for begin in range(0, N_NEW, 25):
        scores.append(stream.update(new[begin : begin + 25], index=times[begin : begin + 25]))
        records += stream.last_records_
    records += stream.flush()
    scores = np.concatenate(scores)
    flags = np.where(scores < 0, -1, 1)
    # the causal windows see the sag as it fills them: flagged from some rows after its
    # start until they have left it
    assert (flags[130:220] == -1).mean() > 0.5 and (flags[:100] == 1).all()
    expected = alarm_events(flags, scores, index=times, min_duration=2, suppression=8)
    closed = [r for r in records if r["status"] == "closed"]
    raised = [r for r in records if r["status"] == "raised"]
    assert [(r["start"], r["end"]) for r in closed] == list(zip(expected["start"], expected["end"]))
    assert len(raised) == len(closed) == len(expected)
    sag = [r for r in raised if 100 <= r["start"] < 230]
    assert len(sag) == 1 and sag[0]["raised_time"] == times[sag[0]["raised_at"]]


def test_alarms_given_to_the_constructor_are_cloned_at_fit(series):
    X, _ = series
    aggregator = AlarmAggregator(min_duration=3)
    stream = StreamingDetector(make_knn_detector(window_size=16), alarms=aggregator)
    stream.fit(X[:N_TRAIN])
    assert stream.alarms_ is not aggregator and stream.alarms_.min_duration == 3
    stream.update(X[N_TRAIN : N_TRAIN + 10])
    assert stream.alarms_.n_seen_ == 10 and not hasattr(aggregator, "n_seen_")


# ---------------------------------------------------------------------------- restart
def test_saved_and_loaded_stream_continues_identically(series, tmp_path):
    X, _ = series
    new = X[N_TRAIN : N_TRAIN + N_NEW]
    detector = make_knn_detector(window_size=48)
    stream = StreamingDetector(detector, alarms=AlarmAggregator(min_duration=2))
    stream.fit(X[:N_TRAIN])
    uninterrupted = copy.deepcopy(stream)
    expected = feed(uninterrupted, new, [100, 37, *[1] * (N_NEW - 137)])
    first = feed(stream, new[:137], [100, 37])
    save(stream, tmp_path / "stream.model")
    del stream
    restored = load(tmp_path / "stream.model")
    assert restored.n_rows_seen_ == 137 and restored.alarms_.n_seen_ == 137
    rest = np.concatenate([restored.update(r) for r in new[137:]])
    # the same calls as the uninterrupted stream: the very same numbers
    np.testing.assert_array_equal(np.concatenate([first, rest]), expected)
    assert restored.alarms_.get_state() == uninterrupted.alarms_.get_state()


def test_refit_every_refits_on_recent_history(series):
    X, _ = series
    stream = StreamingDetector(make_knn_detector(window_size=32), refit_every=96, history=960)
    stream.fit(X[:N_TRAIN])
    first_model = stream.detector_
    assert stream.history_.size == 960
    rows = np.concatenate([stream.update(r) for r in X[N_TRAIN : N_TRAIN + 200]])
    assert stream.n_refits_ == 2 and stream.detector_ is not first_model
    assert np.isfinite(rows).all()
    chunked = StreamingDetector(make_knn_detector(window_size=32), refit_every=96, history=960)
    chunked.fit(X[:N_TRAIN])
    np.testing.assert_allclose(
        feed(chunked, X[N_TRAIN : N_TRAIN + 200], [50, 90, 60]), rows, rtol=1e-9, atol=1e-9
    )
    # after a refit the values are the new model's causal batch values
    recent = np.vstack([X[:N_TRAIN], X[N_TRAIN : N_TRAIN + 192]])[-960:]
    model = StreamingDetector(make_knn_detector(window_size=32)).fit(recent)
    after = model.decision_function(np.vstack([recent[-31:], X[N_TRAIN + 192 : N_TRAIN + 200]]))
    np.testing.assert_allclose(rows[192:], after[31:], rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------- input
def test_update_checks_its_input(fitted, series):
    X, _ = series
    stream = copy.deepcopy(fitted)
    with pytest.raises(ValueError, match="one row of 4 reading"):
        stream.update(X[N_TRAIN, :3])
    with pytest.raises(ValueError, match="infinite"):
        stream.update(np.array([1.0, np.inf, 0.0, 0.0]))
    assert stream.update(np.empty((0, 4))).shape == (0,)
    assert stream.n_rows_seen_ == 0
    with pytest.raises(ValueError, match="delayed mode"):
        StreamingDetector(make_knn_detector(window_size=16), mode="delayed").fit(
            X[:N_TRAIN]
        ).update(X[N_TRAIN], index=["t"])


def test_frames_keep_their_column_names(series):
    X, _ = series
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    stream = StreamingDetector(make_knn_detector(window_size=16)).fit(frame.iloc[:N_TRAIN])
    twin = copy.deepcopy(stream)
    values = stream.update(frame.iloc[N_TRAIN : N_TRAIN + 5])
    np.testing.assert_array_equal(values, twin.update(X[N_TRAIN : N_TRAIN + 5]))
    with pytest.raises(ValueError, match="columns"):
        stream.update(frame.iloc[:2].rename(columns={"a": "z"}))


def test_parameters_are_validated(series):
    X, _ = series
    with pytest.raises(InvalidParameterError, match="mode"):
        StreamingDetector(make_knn_detector(), mode="later").fit(X[:N_TRAIN])
    with pytest.raises(InvalidParameterError, match="refit_every"):
        StreamingDetector(make_knn_detector(), refit_every=0).fit(X[:N_TRAIN])
    with pytest.raises(InvalidParameterError, match="n_neighbors"):  # nested: checked
        StreamingDetector(make_knn_detector().set_params(scorer__n_neighbors=0)).fit(X[:N_TRAIN])
    positional = make_knn_detector(window_size=16).set_params(
        detector=WeightedZScoreThresholder(period=96)
    )
    with pytest.raises(ValueError, match="position"):
        StreamingDetector(positional).fit(X[:N_TRAIN])


def test_one_streaming_detector_per_series(series):
    from ecoai_sklearn.fleet import PerSeriesDetector

    X, _ = series
    frame = pd.DataFrame({"value": X[:, 0], "series_id": "a"})
    frame = pd.concat([frame, frame.assign(series_id="b", value=X[:, 1])], ignore_index=True)
    with pytest.raises(ValueError, match="PerSeriesDetector\\(StreamingDetector"):
        StreamingDetector(PerSeriesDetector(make_knn_detector())).fit(frame)
    train = frame.groupby("series_id").head(N_TRAIN)
    fleet = PerSeriesDetector(StreamingDetector(make_knn_detector(window_size=24))).fit(train)
    stream = fleet.detectors_["b"]
    assert isinstance(stream, StreamingDetector) and stream.history_.last().shape == (23, 1)
    new = X[N_TRAIN : N_TRAIN + 10, 1:2]
    expected = stream.decision_function(np.vstack([X[N_TRAIN - 23 : N_TRAIN, 1:2], new]))
    np.testing.assert_allclose(stream.update(new), expected[23:], rtol=1e-9, atol=1e-9)


def test_window_scorer_alone_as_a_detector(series):
    # a Pipeline(windower, scorer) has score_samples only: its values, no offset
    from ecoai_sklearn.windowing import FFTWindower

    X, _ = series
    member = Pipeline([("windower", FFTWindower(window_size=24)), ("scorer", KNNWindowScorer())])
    stream = StreamingDetector(member).fit(X[:N_TRAIN])
    assert stream.offset_ == 0.0 and stream.fast_path_
    new = X[N_TRAIN : N_TRAIN + 30]
    expected = stream.score_samples(np.vstack([X[N_TRAIN - 23 : N_TRAIN], new]))[23:]
    np.testing.assert_allclose(feed(stream, new, [4, 4]), expected, rtol=1e-9, atol=1e-9)


def test_user_guide_section_runs():
    # the "Streaming detector" section of the real-time page (the whole page also runs
    # in tests/test_fleet.py)
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "realtime.rst"
    text = page.read_text(encoding="utf-8")
    section = text[text.index(".. _streaming_detector:") :]
    globs = {"np": np, "make_industrial_load": make_industrial_load}
    test = doctest.DocTestParser().get_doctest(section, globs, "realtime", str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    assert runner.tries > 5 and runner.failures == 0


# ---------------------------------------------------------------------------- benchmarks
@pytest.mark.slow
def test_bench_streaming_quick():
    from benchmarks import bench_streaming

    out = bench_streaming.main(["--quick"])
    assert [row[0] for row in out["rows"]] == [
        "stream causal",
        "stream delayed",
        "naive batch",
        "naive causal",
    ]
    assert all(np.isfinite(row[1:]).all() and row[4] > 0 for row in out["rows"])
    assert out["fast_path"] and max(out["max_abs_difference"].values()) < 1e-8


@pytest.mark.slow
@pytest.mark.shared_data
def test_bench_causal_quick(shared_data_dir):
    from benchmarks import bench_causal

    results = bench_causal.main(["--quick"])
    assert results
    for result in results.values():
        for method in bench_causal.methods():
            assert 0 <= result[method]["pr_auc"] <= 1
