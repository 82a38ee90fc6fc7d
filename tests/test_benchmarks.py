"""The benchmark scripts: shared protocol helpers, and each script's --quick mode (slow)."""

import numpy as np
import pytest

from benchmarks import _common


def test_split_is_time_ordered_60_20_20():
    task = _common.split_task("s", np.arange(10.0), np.zeros(10, dtype=int))
    roles = task.blocks[0][2]
    assert roles.tolist() == ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    X_train, _ = task.train
    assert X_train.ravel().tolist() == [0, 1, 2, 3, 4, 5]


def test_val_threshold_uses_validation_labels_only():
    # validation: anomalies score 5 and 6, normal rows at most 2 -> best-F1 threshold 5
    scores_val = np.array([0.0, 1.0, 2.0, 5.0, 6.0])
    y_val = np.array([0, 0, 0, 1, 1])
    threshold, rule = _common.val_threshold(scores_val, y_val, np.zeros(3))
    assert (threshold, rule) == (5.0, "val-F1")


def test_val_threshold_falls_back_to_robust_cut_without_val_anomalies():
    normal = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    threshold, rule = _common.val_threshold(normal[:2], np.zeros(2, dtype=int), normal[2:])
    # median 3, MAD 1 -> 3 + 4 * 1.4826
    assert rule == "robust-z"
    assert threshold == pytest.approx(3 + 4 * 1.4826)


def test_evaluate_hand_computed():
    # 10 rows: train 0-5, val 6-7, test 8-9; test labels [1, 0]
    y = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 0])
    task = _common.split_task("s", np.zeros(10), y)
    scores = np.array([0, 0, 0, 0, 0, 0, 0.1, 0.9, 0.8, 0.2])
    result = _common.evaluate(task, [scores], study_window=2)
    # val threshold 0.9 -> test predictions [0, 0]: F1 0, but the ranking is perfect
    assert result["rule"] == "val-F1"
    assert result["f1"] == 0.0
    assert result["roc_auc"] == 1.0 and result["pr_auc"] == 1.0
    # study protocol: one test window [1, 0] -> labelled anomalous -> F1 1
    assert result["study_f1"] == 1.0


def test_evaluate_reports_nan_without_test_anomalies():
    task = _common.split_task("s", np.zeros(10), np.array([0] * 7 + [1] + [0] * 2))
    result = _common.evaluate(task, [np.arange(10.0)])
    assert np.isnan(result["f1"]) and np.isnan(result["pr_auc"])


def test_fill_missing_does_not_mutate_and_fills():
    X = np.array([[np.nan], [1.0], [np.nan], [3.0]])
    copy = X.copy()
    filled = _common.fill_missing(X)
    np.testing.assert_array_equal(X, copy)
    assert filled.ravel().tolist() == [1.0, 1.0, 1.0, 3.0]


@pytest.fixture
def data_dir(shared_data_dir, monkeypatch):
    monkeypatch.setattr(_common, "DATA_DIR", str(shared_data_dir))
    return shared_data_dir


def test_skab_task_roles(data_dir):
    tasks = _common.load_tasks(["skab"])
    (task,) = tasks
    assert task.n_rows("train", anomalies=True) == 0
    assert len(task.blocks) == 17 and task.n_rows("test", anomalies=True) > 0


def _finite(row, first, last):
    return all(isinstance(v, float) and np.isfinite(v) for v in row[first:last])


@pytest.mark.slow
def test_bench_peers_quick(data_dir):
    from benchmarks import bench_peers

    rows = bench_peers.main(["--quick", "--threads", "1", "--groups", "lead", "industrial"])
    methods = ["ours", "iforest", "lof", "pyod_ae", "pyod_iforest", "deepod_usad"]
    assert [r[1] for r in rows] == methods * 2
    assert all(len(r) == len(bench_peers.HEADER) for r in rows)
    for row in rows:
        if row[1] in ("ours", "iforest", "lof"):
            assert _finite(row, 2, 7), row
            assert 0 <= row[2] <= 1 and 0 <= row[3] <= 1


@pytest.mark.slow
def test_bench_research_quick(data_dir):
    from benchmarks import bench_research

    out = bench_research.main(["--quick", "--threads", "1", "--groups", "lead"])
    (a, b) = out["table2"]
    assert [a[1], b[1]] == ["LSTM-AE", "USAD"]
    assert a[7] == 0.7013 and b[7] == 0.8636  # the study's reported LEAD F1
    assert _finite(a, 2, 9) and _finite(b, 2, 9)
    variants = [r[1] for r in out["ablation"]]
    assert variants == list(bench_research.ABLATIONS)
    assert _finite(out["ablation"][0], 2, 6)


def test_bench_imputer_one_short_seed():
    from benchmarks import bench_imputer

    rows = bench_imputer.main(["--seeds", "0", "--days", "14"])
    assert [r[0] for r in rows] == list(bench_imputer.METHODS)
    assert all(np.isfinite(r[2]) and r[2] >= 0 for r in rows)


@pytest.mark.slow
def test_bench_defaults_quick():
    from benchmarks import bench_defaults

    rows = bench_defaults.main(["--quick", "--seeds", "0", "--variants", "defaults"])
    assert [r[0] for r in rows] == ["defaults"]
    assert _finite(rows[0], 2, 6) and 0 <= rows[0][2] <= 1


@pytest.mark.slow
def test_bench_scale_quick():
    from benchmarks import bench_scale

    rows = bench_scale.main(["--quick", "--threads", "1", "--sizes", "960", "1920"])
    assert [r[0] for r in rows] == [960, 1920]
    for row in rows:
        assert _finite(row, 1, 8), row
        assert row[1] > 0 and row[2] > 0 and 0 <= row[7] <= 1


def test_acf_period_follows_tsb_ad():
    from benchmarks import bench_quality

    t = np.arange(3000)
    assert bench_quality.acf_period(np.sin(2 * np.pi * t / 48)) == 48
    # no autocorrelation peak between lags 3 and 300: TSB-AD's fallback of 125
    assert bench_quality.acf_period(t.astype(float)) == 125


def test_quality_peers_score_every_row_and_the_centre_alignment():
    from benchmarks import bench_quality

    t = np.arange(2000)
    X = (np.sin(2 * np.pi * t / 50) + 0.01 * np.random.default_rng(0).standard_normal(2000))[
        :, np.newaxis
    ]
    X[1500:1503] += 3.0
    peer = bench_quality.WindowPeer("lof").fit(X[:1000])
    scores = peer.score(X)
    assert peer.w_ == 50 and scores.shape == (2000,)
    # a window's score goes to its centre: the peak lies within half a window of the spike
    assert abs(int(np.argmax(scores)) - 1501) <= 25


@pytest.mark.slow
def test_bench_quality_quick(data_dir):
    from benchmarks import bench_quality

    results = bench_quality.main(["--quick", "--methods", "default", "selected", "lof"])
    assert results and {m for _, m in results} == {"default", "selected", "lof"}
    for result in results.values():
        assert result["status"] == "ok" and 0 <= result["pr_auc"] <= 1
        assert 0 <= result["vus_pr"] <= 1


def test_alarm_cuts_auto_is_the_ensemble_rule_and_left_spread_ignores_the_upper_tail():
    from benchmarks import bench_alarms
    from ecoai_sklearn.pipelines._ensemble import _offset

    rng = np.random.default_rng(0)
    train = rng.standard_normal(5000)
    cuts = bench_alarms.cuts(train)
    assert cuts["auto"] == pytest.approx(-_offset(-train, "auto"))
    assert cuts["mad3"] < cuts["auto"] < cuts["mad5"]
    # anomalies in the training rows (an upper tail) widen the MAD more than the spread
    # below the median, which moves only with the median itself
    tailed = bench_alarms.cuts(np.concatenate([train, 10 + rng.standard_normal(1500)]))
    assert tailed["auto"] - cuts["auto"] > 1.3 * (tailed["left_mad4"] - cuts["left_mad4"]) > 0


@pytest.mark.slow
def test_bench_alarms_quick(data_dir):
    from benchmarks import bench_alarms

    results = bench_alarms.main(["--quick"])
    assert any(name.startswith("demo:") for name in results)
    for result in results.values():
        assert result["auto_matches_predict"]
        assert all(0 <= result[rule]["event_f1"] <= 1 for rule in ("auto", "q0.99"))


def test_quality_groups_by_source_and_generated_series_hold_anomalies():
    from benchmarks import bench_quality

    assert bench_quality.group_of("skab:valve1/0 [8 ch]") == "skab 8 ch"
    assert bench_quality.group_of("nab:realTweets/Twitter_volume_KO") == "nab"
    name, X, y = next(bench_quality.generated_series(seeds=[0], n_days=8))
    assert name == "generated:0" and X.shape == (8 * 96, 4) and set(np.unique(y)) <= {0, 1}
    # the 8 seeds all hold anomalies in their second half; none is left for clean=True
    assert len(bench_quality.load_series(["generated"])) == 8
    assert bench_quality.load_series(["generated"], clean=True) == []
