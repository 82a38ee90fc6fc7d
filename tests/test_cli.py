"""Tests of the ``ecoai-detect`` command, run in-process through ``main(argv)``.

A fast, non-neural detector is registered for most tests (the neural ones are covered
by the demo tests with ``--quick``); its predictions are checked against the same
pipeline fitted directly.
"""

import io
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from ecoai_sklearn.cli import main
from ecoai_sklearn.cli._model import MAGIC, load_model
from ecoai_sklearn.cli._registry import DETECTORS
from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import event_f1_score, point_f1_score
from ecoai_sklearn.preprocessing import SeriesKNNImputer
from ecoai_sklearn.windowing import FFTWindower


def last_row_error(windows):
    return np.abs(windows[:, -1, :] - np.median(windows, axis=1)).mean(axis=1, keepdims=True)


def make_fast_detector(random_state=None):
    return make_pipeline(
        SeriesKNNImputer(),
        MinMaxScaler(),
        FFTWindower(max_period=200),
        FunctionTransformer(last_row_error),
        IsolationForest(n_estimators=50, contamination=0.02, random_state=random_state),
    )


@pytest.fixture(autouse=True)
def fast_detector(monkeypatch):
    monkeypatch.setitem(DETECTORS, "fast", (make_fast_detector, "test detector"))


@pytest.fixture(scope="module")
def load():
    X, y, _ = make_industrial_load(n_days=10, n_anomalies=5, random_state=0, as_frame=True)
    return X, y


@pytest.fixture
def load_csv(tmp_path, load):
    X, y = load
    frame = X.copy()
    frame["label"] = y
    path = tmp_path / "load.csv"
    frame.to_csv(path, index_label="timestamp")
    return path


@pytest.fixture
def model(tmp_path, load_csv):
    path = tmp_path / "load.model"
    code = main(
        ["fit", str(load_csv), "--detector", "fast", "--out", str(path), "--random-state", "0"]
    )
    assert code == 0
    return path


def _error_line(capsys):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    return lines[-1]


# -- help and laziness ------------------------------------------------------------------


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "fit", "predict", "evaluate"):
        assert command in out
    assert "load only models you trust" in out
    assert main(["fit", "--help"]) == 0
    out = capsys.readouterr().out
    assert "fft-cnngru" in out and "--set KEY=VALUE" in out
    assert main(["predict", "--help"]) == 0
    assert "'score' (anomaly score, higher = more anomalous" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("ecoai-detect 0.")


def test_help_never_needs_torch(monkeypatch, capsys):
    for name in ("torch", "skorch", "matplotlib"):
        monkeypatch.setitem(sys.modules, name, None)  # importing them now raises
    for argv in (["--help"], ["demo", "--help"], ["fit", "--help"], ["evaluate", "--help"]):
        assert main(argv) == 0
    capsys.readouterr()


def test_module_help_in_a_fresh_interpreter():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ecoai_sklearn.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ecoai-detect")
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert {"torch", "skorch", "pandas", "sklearn"}.isdisjoint(imported)


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["fit", "data.csv"]) == 2  # --out missing
    assert "--out" in capsys.readouterr().err
    assert main(["demo", "--days", "0"]) == 2


# -- fit, predict, evaluate -------------------------------------------------------------


def test_predict_matches_the_pipeline_fitted_directly(tmp_path, load, model, load_csv, capsys):
    X, _ = load
    out = tmp_path / "result.csv"
    assert main(["predict", str(model), str(load_csv), "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["timestamp", "score", "label"]
    assert len(result) == len(X)
    assert (pd.to_datetime(result["timestamp"]) == X.index).all()
    reference = make_fast_detector(random_state=0).fit(X)
    np.testing.assert_allclose(result["score"], -reference.decision_function(X), rtol=1e-5)
    np.testing.assert_array_equal(result["label"], (reference.predict(X) == -1).astype(int))
    assert 0 < result["label"].sum() < len(X)
    err = capsys.readouterr().err
    assert f"rows flagged anomalous ({100 * result['label'].mean():.2f} %)" in err


def test_predict_to_stdout_and_quiet(model, load_csv, capsys):
    capsys.readouterr()
    assert main(["predict", str(model), str(load_csv), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    frame = pd.read_csv(io.StringIO(captured.out))
    assert list(frame.columns) == ["timestamp", "score", "label"]


def test_model_columns_are_used_by_name(tmp_path, model, load_csv, capsys):
    original = tmp_path / "a.csv"
    main(["predict", str(model), str(load_csv), "--out", str(original), "--quiet"])
    frame = pd.read_csv(load_csv)
    shuffled = frame[["agricultural", "label", "timestamp", "general", "industrial"]].copy()
    shuffled["late_night"] = frame["late_night"]
    shuffled["note"] = "x"  # an extra, non-numeric column the model does not use
    path = tmp_path / "shuffled.csv"
    shuffled.to_csv(path, index=False)
    out = tmp_path / "b.csv"
    assert main(["predict", str(model), str(path), "--out", str(out), "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(original))


def test_evaluate_reports_the_metrics_of_the_predictions(tmp_path, model, load_csv, load, capsys):
    _, y = load
    out = tmp_path / "result.csv"
    main(["predict", str(model), str(load_csv), "--out", str(out), "--quiet"])
    labels = pd.read_csv(out)["label"].to_numpy()
    capsys.readouterr()
    assert main(["evaluate", str(model), str(load_csv), "--json", "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["rows"] == len(y)
    assert metrics["labelled_anomalous_rows"] == int(y.sum())
    assert metrics["predicted_anomalous_rows"] == int(labels.sum())
    assert metrics["point_f1"] == pytest.approx(point_f1_score(y, labels, zero_division=0.0))
    assert metrics["event_f1"] == pytest.approx(event_f1_score(y, labels, zero_division=0.0))
    assert 0.0 <= metrics["roc_auc"] <= 1.0
    assert main(["evaluate", str(model), str(load_csv), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert f"{metrics['point_f1']:.3f}" in text and "event-wise" in text


def test_plain_timestamp_value_file_needs_no_option(tmp_path, load, capsys):
    X, _ = load
    path = tmp_path / "plain.csv"
    X[["industrial"]].rename(columns={"industrial": "value"}).to_csv(path, index_label="timestamp")
    model = tmp_path / "plain.model"
    assert main(["fit", str(path), "--detector", "fast", "--out", str(model)]) == 0
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(path), "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert result["timestamp"].iloc[1] == "2024-01-01 00:15:00"
    _, header = load_model(model)
    assert header["info"]["columns"] == ["value"]
    assert header["info"]["detector"] == "fast"


def test_file_without_timestamps_numbers_rows(tmp_path, load, capsys):
    X, _ = load
    path = tmp_path / "values.csv"
    X.to_csv(path, index=False)
    model = tmp_path / "m.model"
    assert main(["fit", str(path), "--detector", "fast", "--out", str(model)]) == 0
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(path), "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["row", "score", "label"]
    np.testing.assert_array_equal(result["row"], np.arange(len(X)))


def test_selected_columns_and_series(tmp_path, load, capsys):
    X, _ = load
    frames = []
    for name, scale in (("site_a", 1.0), ("site_b", 2.0)):
        frame = pd.DataFrame({"time": X.index, "kw": X["industrial"].to_numpy() * scale})
        frame["series_id"] = name
        frames.append(frame)
    path = tmp_path / "sites.csv"
    pd.concat(frames).to_csv(path, index=False)
    model = tmp_path / "m.model"
    args = ["fit", str(path), "--detector", "fast", "--out", str(model)]
    assert main(args) == 1
    assert "holds 2 series ('site_a', 'site_b'); choose one with --series" in _error_line(capsys)
    assert main([*args, "--series", "site_b", "--timestamp-column", "time"]) == 0
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(path), "--series", "site_b", "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert len(result) == len(X) and result["timestamp"].iloc[0] == "2024-01-01 00:00:00"
    assert main([*args, "--series", "site_c"]) == 1
    assert "series 'site_c' not found" in _error_line(capsys)


def test_period_selection(tmp_path, load_csv, load, capsys):
    X, _ = load
    model = tmp_path / "m.model"
    fit = ["fit", str(load_csv), "--detector", "fast", "--out", str(model)]
    assert main([*fit, "--end", "2024-01-08"]) == 0
    _, header = load_model(model)
    assert header["info"]["n_rows"] == 7 * 96
    assert header["info"]["last_timestamp"] == "2024-01-07 23:45:00"
    out = tmp_path / "out.csv"
    predict = ["predict", str(model), str(load_csv), "--out", str(out)]
    assert main([*predict, "--start", "2024-01-08", "--end", "2024-01-09 06:00"]) == 0
    result = pd.read_csv(out)
    assert len(result) == 96 + 24
    assert result["timestamp"].iloc[0] == "2024-01-08 00:00:00"
    assert result["timestamp"].iloc[-1] == "2024-01-09 05:45:00"
    assert main([*predict, "--start", "2025-01-01"]) == 1
    assert "has no row from 2025-01-01 on" in _error_line(capsys)
    assert main([*predict, "--start", "2025-01-01", "--no-history"]) == 1
    assert "has no row from 2025-01-01 to the end" in _error_line(capsys)
    assert main([*predict, "--start", "soon"]) == 1
    assert "--start must be a timestamp" in _error_line(capsys)
    assert main([*fit, "--end", "2024-01-01 02:00"]) == 1
    assert "too short to fit a detector: 8 rows" in _error_line(capsys)


def test_history_before_start_gives_the_scores_of_the_whole_file(tmp_path, model, load_csv, capsys):
    whole = tmp_path / "whole.csv"
    assert main(["predict", str(model), str(load_csv), "--out", str(whole), "--quiet"]) == 0
    expected = pd.read_csv(whole)
    expected = expected[expected["timestamp"] >= "2024-01-05 10:00:00"].reset_index(drop=True)
    part = tmp_path / "part.csv"
    argv = ["predict", str(model), str(load_csv), "--out", str(part), "--start", "2024-01-05 10:00"]
    assert main(argv) == 0
    assert "the first 96 as history before 2024-01-05 10:00" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(part), expected)
    assert main([*argv, "--no-history"]) == 0
    alone = pd.read_csv(part)
    assert len(alone) == len(expected)
    assert not np.allclose(alone["score"][:96], expected["score"][:96])
    np.testing.assert_allclose(alone["score"][96:], expected["score"][96:], rtol=1e-6)


def test_irregular_steps_are_a_warning(tmp_path, capsys):
    rows = [
        f"2024-01-01 {h:02d}:{m:02d}:00,{(h * 4 + m // 15) % 7}"
        for h in range(8)
        for m in (0, 15, 30, 45)
    ]
    del rows[5]
    path = tmp_path / "gappy.csv"
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    assert main(["fit", str(path), "--detector", "fast", "--out", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    assert (
        "warning: " in err
        and "1 step(s) between timestamps differ from the usual 0 days 00:15:00" in err
    )


class _LabelRecorder(IsolationForest):
    def fit(self, X, y=None):
        self.y_seen_ = None if y is None else np.asarray(y).copy()
        return super().fit(X)


def make_label_recorder(random_state=None):
    return make_pipeline(MinMaxScaler(), _LabelRecorder(random_state=random_state))


def test_fit_uses_labels_only_when_asked(monkeypatch, tmp_path, load_csv, load, capsys):
    _, y = load
    monkeypatch.setitem(DETECTORS, "recorder", (make_label_recorder, "records y"))
    model = tmp_path / "m.model"
    argv = ["fit", str(load_csv), "--detector", "recorder", "--out", str(model)]
    assert main(argv) == 0
    assert load_model(model)[0][-1].y_seen_ is None
    assert main([*argv, "--use-labels"]) == 0
    detector, header = load_model(model)
    np.testing.assert_array_equal(detector[-1].y_seen_, y)
    assert header["info"]["used_labels"] is True
    plain = tmp_path / "plain.csv"
    pd.read_csv(load_csv).drop(columns="label").to_csv(plain, index=False)
    assert main(["fit", str(plain), *argv[2:], "--use-labels"]) == 1
    assert "has no 'label' column (columns:" in _error_line(capsys)


def test_settings_reach_the_detector(tmp_path, load_csv, capsys):
    model = tmp_path / "m.model"
    argv = ["fit", str(load_csv), "--detector", "fast", "--out", str(model)]
    assert (
        main(
            [
                *argv,
                "--set",
                "isolationforest__n_estimators=7",
                "--set",
                "fftwindower__max_period=None",
            ]
        )
        == 0
    )
    detector, header = load_model(model)
    assert detector.get_params()["isolationforest__n_estimators"] == 7
    assert len(detector[-1].estimators_) == 7
    assert detector.get_params()["fftwindower__max_period"] is None
    assert header["info"]["settings"] == {
        "isolationforest__n_estimators": "7",
        "fftwindower__max_period": "None",
    }
    assert main([*argv, "--set", "n_estimators=3"]) == 1
    assert "isolationforest__n_estimators" in _error_line(capsys)
    assert main([*argv, "--set", "novalue"]) == 1
    assert "--set expects KEY=VALUE" in _error_line(capsys)
    assert main([*argv[:-2], "--detector", "nope", "--out", str(model)]) == 1
    assert "unknown detector 'nope'" in _error_line(capsys)


class _Broken(IsolationForest):
    def fit(self, X, y=None):
        raise RuntimeError("boom\nsecond line")


def make_broken_detector(random_state=None):
    return make_pipeline(MinMaxScaler(), _Broken())


def test_unexpected_failures_are_one_line_unless_debug(monkeypatch, tmp_path, load_csv, capsys):
    monkeypatch.setitem(DETECTORS, "broken", (make_broken_detector, "fails"))
    argv = ["fit", str(load_csv), "--detector", "broken", "--out", str(tmp_path / "m")]
    assert main(argv) == 1
    line = _error_line(capsys)
    assert line == (
        "ecoai-detect: error: unexpected RuntimeError: boom second line "
        "(run with --debug for the traceback)"
    )
    with pytest.raises(RuntimeError, match="boom"):
        main(["--debug", *argv])


def make_long_window_detector(random_state=None):
    """Windows of 500 rows: fit needs 1,000, more than a short demo has."""
    detector = make_fast_detector(random_state)
    detector.set_params(fftwindower__window_size=500)
    return detector


def test_demo_fit_errors_are_one_line(monkeypatch, capsys):
    monkeypatch.setitem(DETECTORS, "short", (make_long_window_detector, "fast"))
    monkeypatch.setattr("ecoai_sklearn.cli._demo.SAMPLES_PER_DAY", 2)  # 12 rows in 6 "days"
    assert main(["demo", "--detector", "short", "--days", "6", "--no-plot", "--quiet"]) == 1
    assert _error_line(capsys).startswith("ecoai-detect: error: cannot fit short on the 4 demo")


# -- bad data files: one line, exit code 1 ----------------------------------------------

_GOOD = "timestamp,value\n" + "".join(
    f"2024-01-01 {h:02d}:{m:02d}:00,{(h * 4 + m // 15) % 7}\n"
    for h in range(8)
    for m in (0, 15, 30, 45)
)


@pytest.mark.parametrize(
    "content, extra, message",
    [
        (None, [], "no such file"),
        ("", [], "is empty"),
        ("timestamp,value\n", [], "has a header but no data rows"),
        (_GOOD, ["--columns", "power"], "has no column 'power'"),
        (_GOOD, ["--timestamp-column", "time"], "has no timestamp column 'time'"),
        (_GOOD.replace(",5\n", ",abc\n", 1), [], "line 7: column 'value' must be a number"),
        (_GOOD.replace(",5\n", ",inf\n", 1), [], "must be a finite number"),
        (
            _GOOD.replace("00:30:00", "00:10:00", 1),
            [],
            "line 4: timestamp '2024-01-01 00:10:00' is earlier",
        ),
        (
            _GOOD.replace("00:15:00", "00:00:00", 1),
            [],
            "line 3: timestamp '2024-01-01 00:00:00' repeats",
        ),
        (_GOOD.replace("2024-01-01 01:00:00", "yesterday", 1), [], "must be an ISO 8601 timestamp"),
        (_GOOD.replace("2024-01-01 01:00:00", "", 1), [], "must be a timestamp"),
        ("timestamp,value\n" + "".join(_GOOD.splitlines(True)[1:11]), [], "too short"),
        ("timestamp\n2024-01-01 00:00:00\n", [], "has no value column"),
        ("timestamp,value\n2024-01-01,1,2\n", [], "is not a valid CSV file"),
        ("timestamp,value,value\n2024-01-01,1,2\n", [], "duplicate column names"),
        (_GOOD.replace(",3\n", ",\n"), [], None),  # missing readings are fine: imputed
    ],
    ids=[
        "missing",
        "empty",
        "header-only",
        "no-such-column",
        "no-such-timestamp-column",
        "non-numeric",
        "infinite",
        "unsorted",
        "duplicate-timestamp",
        "bad-timestamp",
        "empty-timestamp",
        "too-short",
        "no-value-column",
        "ragged",
        "duplicate-column",
        "gaps-are-fine",
    ],
)
def test_bad_files_give_one_clear_line(tmp_path, capsys, content, extra, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    code = main(["fit", str(path), "--detector", "fast", "--out", str(tmp_path / "m"), *extra])
    if message is None:
        assert code == 0
        return
    assert code == 1
    line = _error_line(capsys)
    assert line.startswith("ecoai-detect: error: ")
    assert message in line


def test_binary_file_and_directory(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage\x00" * 20)
    assert main(["fit", str(path), "--detector", "fast", "--out", str(tmp_path / "m")]) == 1
    assert "is not a text (UTF-8) CSV file" in _error_line(capsys)
    assert main(["fit", str(tmp_path), "--detector", "fast", "--out", str(tmp_path / "m")]) == 1
    assert "is a directory" in _error_line(capsys)


def test_evaluate_needs_valid_labels(tmp_path, model, load_csv, capsys):
    frame = pd.read_csv(load_csv)
    no_labels = tmp_path / "nolabels.csv"
    frame.drop(columns="label").to_csv(no_labels, index=False)
    assert main(["evaluate", str(model), str(no_labels)]) == 1
    assert "has no 'label' column (columns:" in _error_line(capsys)
    frame.loc[5, "label"] = 2
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    assert main(["evaluate", str(model), str(bad)]) == 1
    assert "line 7: column 'label' must be 0 or 1" in _error_line(capsys)


def test_predict_with_missing_model_columns(tmp_path, model, load_csv, capsys):
    frame = pd.read_csv(load_csv).drop(columns="general")
    path = tmp_path / "three.csv"
    frame.to_csv(path, index=False)
    assert main(["predict", str(model), str(path)]) == 1
    assert "has no column 'general'" in _error_line(capsys)


def test_unwritable_output(tmp_path, model, load_csv, capsys):
    out = tmp_path / "missing_dir" / "out.csv"
    assert main(["predict", str(model), str(load_csv), "--out", str(out)]) == 1
    assert "cannot write" in _error_line(capsys)


# -- model files ------------------------------------------------------------------------

_UNPICKLED = []


def _record_unpickling():
    _UNPICKLED.append(True)
    return {}


class _Sneaky:
    def __reduce__(self):
        return (_record_unpickling, ())


def test_model_round_trip_keeps_scores(model, load):
    X, _ = load
    detector, header = load_model(model)
    reference = make_fast_detector(random_state=0).fit(X)
    np.testing.assert_allclose(detector.decision_function(X), reference.decision_function(X))
    assert header["info"]["n_rows"] == len(X)
    assert header["info"]["first_timestamp"] == "2024-01-01 00:00:00"
    assert model.read_bytes().startswith(MAGIC)


def test_foreign_pickles_are_refused_before_unpickling(tmp_path, load_csv, capsys):
    _UNPICKLED.clear()
    path = tmp_path / "foreign.model"
    with open(path, "wb") as handle:
        pickle.dump(_Sneaky(), handle)
    assert main(["predict", str(path), str(load_csv)]) == 1
    assert "is not an ecoai-detect model file" in _error_line(capsys)
    assert _UNPICKLED == []


def test_damaged_models_are_refused(tmp_path, model, load_csv, capsys):
    content = model.read_bytes()
    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(content[:-100])
    assert main(["predict", str(truncated), str(load_csv)]) == 1
    assert "truncated or was modified" in _error_line(capsys)
    flipped = bytearray(content)
    flipped[-50] ^= 0xFF
    modified = tmp_path / "modified.model"
    modified.write_bytes(bytes(flipped))
    assert main(["predict", str(modified), str(load_csv)]) == 1
    assert "truncated or was modified" in _error_line(capsys)
    header_only = tmp_path / "header.model"
    header_only.write_bytes(MAGIC + b"{not json\n")
    assert main(["predict", str(header_only), str(load_csv)]) == 1
    assert "header is damaged" in _error_line(capsys)
    assert main(["predict", str(tmp_path / "absent.model"), str(load_csv)]) == 1
    assert "no such model file" in _error_line(capsys)


def test_valid_header_without_envelope_is_refused(tmp_path, load_csv, capsys):
    import hashlib

    import joblib

    buffer = io.BytesIO()
    joblib.dump({"detector": make_fast_detector()}, buffer)
    payload = buffer.getvalue()
    header = {"payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest()}
    path = tmp_path / "no_envelope.model"
    path.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + payload)
    assert main(["predict", str(path), str(load_csv)]) == 1
    assert "(no envelope)" in _error_line(capsys)


def test_fit_leaves_no_partial_file_on_error(tmp_path, load_csv, capsys):
    target = tmp_path / "sub" / "m.model"
    code = main(["fit", str(load_csv), "--detector", "fast", "--out", str(target)])
    assert code == 1
    assert "cannot write the model" in _error_line(capsys)
    assert not os.path.exists(str(target) + ".partial")


# -- demo -------------------------------------------------------------------------------


def test_demo_with_the_fast_detector(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "demo.png"
    code = main(["demo", "--detector", "fast", "--days", "12", "--plot", str(plot), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "fitted on days 1-8 (768 rows), judged on days 9-12 (384 rows)" in out
    assert "anomaly events in the judged days" in out
    assert "point-wise" in out and "event-wise" in out
    assert f"plot     {plot}" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_demo_without_matplotlib(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    plot = tmp_path / "demo.png"
    code = main(["demo", "--detector", "fast", "--days", "8", "--plot", str(plot), "--quiet"])
    assert code == 0
    assert "pip install ecoai_sklearn[plot]" in capsys.readouterr().out
    assert not plot.exists()


# -- progress ---------------------------------------------------------------------------


def make_tiny_neural_detector(random_state=None):
    from ecoai_sklearn.neural import CNNGRUAE
    from ecoai_sklearn.scoring import DTWReconstructionScorer

    return make_pipeline(
        MinMaxScaler(),
        FFTWindower(window_size=24),
        DTWReconstructionScorer(estimator=CNNGRUAE(max_epochs=5, random_state=random_state)),
        IsolationForest(n_estimators=20, random_state=random_state),
    )


def test_progress_bars_go_to_stderr_and_models_stay_silent(monkeypatch, tmp_path, load_csv, capsys):
    monkeypatch.setitem(DETECTORS, "tiny", (make_tiny_neural_detector, "tiny neural detector"))
    model = tmp_path / "tiny.model"
    argv = ["fit", str(load_csv), "--detector", "tiny", "--out", str(model), "--quick"]
    assert main([*argv, "--progress", "--columns", "industrial"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # skorch's epoch table went to stderr with the bars
    assert "train_loss" in captured.err and "it/s" in captured.err
    detector, _ = load_model(model)
    params = detector.get_params()
    assert params["dtwreconstructionscorer__estimator__verbose"] == 0
    assert params["dtwreconstructionscorer__estimator__max_epochs"] == 2  # --quick
    assert len(detector[2].estimator_.net_.history) == 2
    assert main([*argv, "--no-progress", "--columns", "industrial"]) == 0
    assert "train_loss" not in capsys.readouterr().err


# -- the demo with the package's own detectors ------------------------------------------


def test_demo_quick_with_the_default_detector(tmp_path, capsys):
    """What README's first command runs, in its smoke-test size."""
    pytest.importorskip("matplotlib")
    plot = tmp_path / "demo.png"
    assert main(["demo", "--quick", "--plot", str(plot), "--quiet"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("detector"))
    assert header.startswith("detector make_fft_cnngru_detector() defaults, except ")
    assert header.endswith("max_epochs=2")
    assert "fitted on days 1-9 (864 rows), judged on days 10-14 (480 rows)" in out
    from ecoai_sklearn.cli._demo import demo_data

    _, _, events = demo_data(14, 0)
    judged = int((events["end"] > 9 * 96).sum())
    found = next(line for line in out.splitlines() if line.startswith("found"))
    assert found.split()[3] == str(judged)  # "found k of <judged> anomaly events"
    point = next(line for line in out.splitlines() if line.startswith("point-wise"))
    assert all(0.0 <= float(value) <= 1.0 for value in point.split()[1:])
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
@pytest.mark.parametrize("detector", ["lstmae", "usad"])
def test_demo_quick_with_the_other_detectors(detector, capsys):
    assert main(["demo", "--quick", "--detector", detector, "--no-plot", "--quiet"]) == 0
    assert f"make_{detector}_detector() defaults" in capsys.readouterr().out
