"""Tests of the ``ecoai-detect`` command, run in-process through ``main(argv)``.

A fast detector (window PCA reconstruction error, no neural network) is registered for
most tests (the neural ones are covered by the demo tests with ``--quick``); its
predictions are checked against the same pipeline fitted directly. Model files are
those of :mod:`ecoai_sklearn.persistence`, read back here with its public functions.
"""

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from ecoai_sklearn.cli import main
from ecoai_sklearn.cli._registry import DETECTORS
from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import event_f1_score, point_f1_score
from ecoai_sklearn.persistence import load as load_model
from ecoai_sklearn.persistence import read_metadata, save
from ecoai_sklearn.preprocessing import SeriesKNNImputer
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.windowing import FFTWindower


def make_fast_detector(random_state=None):
    return make_pipeline(
        SeriesKNNImputer(),
        MinMaxScaler(),
        FFTWindower(max_period=200),
        DTWReconstructionScorer(estimator=PCA(n_components=2, svd_solver="full"), metric="mse"),
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
    """The error line of stderr: the last line, checked to be the only error line."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert sum("error:" in line for line in lines) == 1, captured.err
    assert lines[-1].startswith("ecoai-detect") and "error: " in lines[-1]
    return lines[-1]


def _only_error(capsys):
    """The whole stderr, checked to be one line: an error with nothing before it."""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1, captured.err
    return captured.err.strip()


# -- help and laziness ------------------------------------------------------------------


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "fit", "predict", "evaluate"):
        assert command in out
    assert "load only models you trust" not in out
    flat = " ".join(out.split())
    assert "ecoai_sklearn.persistence" in flat and "a crafted file cannot run code" in flat
    assert main(["fit", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "fft-cnngru" in out and "--set KEY=VALUE" in out
    assert "--threads N" in out and "one thread fits these small models as fast as two" in out
    assert "training progress bars" in out
    assert main(["predict", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "'score' (anomaly score, higher = more anomalous" in out
    assert "'imputed' (1 where a reading of the row was missing" in out
    assert "--progress" not in out and "training" not in out  # nothing is trained
    assert "feature_names_in_" in out and "--trust NAME" in out
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
    capsys.readouterr()
    assert main(["fit", "data.csv"]) == 2  # --out missing
    assert "--out" in _only_error(capsys)
    assert main(["demo", "--days", "0"]) == 2
    assert "argument --days: expected a positive integer, got '0'" in _only_error(capsys)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--random-state", "-1"], "argument --random-state: expected an integer from 0 to"),
        (["--random-state", str(2**32)], "expected an integer from 0 to 4294967295"),
        (["--random-state", "1.5"], "expected an integer from 0 to 4294967295, got '1.5'"),
        (["--delimiter", ""], "argument --delimiter: expected one character"),
        (["--delimiter", ";;"], "argument --delimiter: expected one character"),
        (["--threads", "0"], "argument --threads: expected a positive integer"),
        (["--decimal", ";"], "argument --decimal: invalid choice"),
        (["--on-duplicate", "max"], "argument --on-duplicate: invalid choice"),
        (["--series", " "], "argument --series: expected a series_id"),
    ],
)
def test_bad_options_are_one_line_usage_errors(argv, message, capsys):
    assert main(["fit", "data.csv", "--out", "m.model", *argv]) == 2
    line = _only_error(capsys)
    assert line.startswith("ecoai-detect fit: error: argument")
    assert message in line and line.endswith("(see 'ecoai-detect fit --help')")


# -- fit, predict, evaluate -------------------------------------------------------------


def test_predict_matches_the_pipeline_fitted_directly(tmp_path, load, model, load_csv, capsys):
    X, _ = load
    out = tmp_path / "result.csv"
    assert main(["predict", str(model), str(load_csv), "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["timestamp", "score", "label", "imputed"]
    assert len(result) == len(X) and result["imputed"].sum() == 0
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
    assert list(frame.columns) == ["timestamp", "score", "label", "imputed"]


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
    metadata = read_metadata(model)
    assert metadata["columns"] == ["value"] and metadata["freq"] == "15min"
    assert metadata["detector"] == "fast" and metadata["written_by"] == "ecoai-detect fit"


def test_file_without_timestamps_numbers_rows(tmp_path, load, capsys):
    X, _ = load
    path = tmp_path / "values.csv"
    X.to_csv(path, index=False)
    model = tmp_path / "m.model"
    assert main(["fit", str(path), "--detector", "fast", "--out", str(model)]) == 0
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(path), "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["row", "score", "label", "imputed"]
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
    assert main([*args, "--series", "site_b"]) == 1
    assert (
        "column 'time' holds timestamps (e.g. '2024-01-01 00:00:00'); use --time-column time"
        in (_error_line(capsys))
    )
    assert main([*args, "--series", "site_b", "--timestamp-column", "time"]) == 0
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(path), "--series", "site_b", "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert len(result) == len(X) and result["timestamp"].iloc[0] == "2024-01-01 00:00:00"
    assert main([*args, "--series", "site_c", "--time-column", "time"]) == 1
    assert "series 'site_c' not found" in _error_line(capsys)


def test_period_selection(tmp_path, load_csv, load, capsys):
    X, _ = load
    model = tmp_path / "m.model"
    fit = ["fit", str(load_csv), "--detector", "fast", "--out", str(model)]
    assert main([*fit, "--end", "2024-01-08"]) == 0
    metadata = read_metadata(model)
    assert metadata["n_rows"] == 7 * 96
    assert metadata["last_timestamp"] == "2024-01-07 23:45:00"
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
    assert main([*predict, "--start", "soon"]) == 2
    assert "--start must be a timestamp" in _error_line(capsys)
    assert main([*fit, "--end", "2024-01-01 02:00"]) == 1
    assert "too short to fit a detector: 8 rows" in _error_line(capsys)
    # --start after --end: said as such, not as a problem of the file's range
    assert main([*predict, "--start", "2024-01-09", "--end", "2024-01-08"]) == 2
    line = _only_error(capsys)
    assert "--start 2024-01-09 is not before --end 2024-01-08" in line
    assert "its rows run from" not in line


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


def test_a_gap_is_repaired_and_said_in_one_line_even_when_quiet(tmp_path, capsys):
    rows = [
        f"2024-01-01 {h:02d}:{m:02d}:00,{(h * 4 + m // 15) % 7}"
        for h in range(8)
        for m in (0, 15, 30, 45)
    ]
    del rows[5]
    path = tmp_path / "gappy.csv"
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    model = tmp_path / "m"
    assert main(["fit", str(path), "--detector", "fast", "--out", str(model), "--quiet"]) == 0
    assert capsys.readouterr().err == (
        f"ecoai-detect: repaired {path}: inserted 1 missing row in gaps of the 15min grid; "
        "1 row to impute\n"
    )
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(path), "--out", str(out), "--quiet"]) == 0
    result = pd.read_csv(out)
    assert len(result) == 32 and result["timestamp"].iloc[5] == "2024-01-01 01:15:00"
    assert result["imputed"].tolist() == [0] * 5 + [1] + [0] * 26


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
    assert load_model(model, trusted=[_LabelRecorder])[-1].y_seen_ is None
    assert main([*argv, "--use-labels"]) == 0
    detector = load_model(model, trusted=[_LabelRecorder])
    np.testing.assert_array_equal(detector[-1].y_seen_, y)
    assert read_metadata(model)["used_labels"] is True
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
    capsys.readouterr()
    detector = load_model(model)
    assert detector.get_params()["isolationforest__n_estimators"] == 7
    assert len(detector[-1].estimators_) == 7
    assert detector.get_params()["fftwindower__max_period"] is None
    assert read_metadata(model)["settings"] == {
        "isolationforest__n_estimators": "7",
        "fftwindower__max_period": "None",
    }
    # command-line mistakes: one line, exit code 2, before any data is read
    assert main([*argv, "--set", "n_estimators=3"]) == 2
    assert "isolationforest__n_estimators" in _only_error(capsys)
    assert main([*argv, "--set", "novalue"]) == 2
    assert "--set expects KEY=VALUE" in _only_error(capsys)
    assert main([*argv[:-2], "--detector", "nope", "--out", str(model)]) == 2
    assert "unknown detector 'nope'" in _only_error(capsys)
    # a value the estimator's constraints refuse, nested or not
    assert main([*argv, "--set", "isolationforest__n_estimators=0"]) == 2
    line = _only_error(capsys)
    assert line.startswith("ecoai-detect: error: --set isolationforest__n_estimators=0: The ")
    assert "'n_estimators' parameter of IsolationForest must be an int in the range [1, inf)" in (
        line
    )
    assert main([*argv, "--set", "dtwreconstructionscorer__estimator__n_components=-2"]) == 2
    assert "'n_components' parameter of PCA must be" in _only_error(capsys)


def test_nested_parameters_are_validated_before_fitting(tmp_path, load_csv, capsys):
    """``--set scorer__estimator__max_epochs=0`` used to fit and save an untrained model."""
    model = tmp_path / "m.model"
    argv = ["fit", str(load_csv), "--out", str(model), "--detector", "fft-cnngru"]
    argv += ["--set", "scorer__estimator__max_epochs=0"]
    assert main(argv) == 2
    line = _only_error(capsys)
    assert line == (
        "ecoai-detect: error: --set scorer__estimator__max_epochs=0: The 'max_epochs' "
        "parameter of CNNGRUAE must be an int in the range [1, inf). Got 0 instead."
    )
    assert not model.exists()
    argv[-1] = "scorer__estimator__lr=-1.0"
    assert main(argv) == 2
    assert "'lr' parameter of CNNGRUAE" in _only_error(capsys)


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


_SEMI = _GOOD.replace(",", ";")
_HUGE = "9" * 10 + "x" * 3_000_000


@pytest.mark.parametrize(
    "content, extra, message",
    [
        (None, [], "no such file"),
        ("", [], "is empty"),
        ("timestamp,value\n", [], "has a header but no data rows"),
        (_GOOD, ["--columns", "power"], "has no column 'power'"),
        (_GOOD, ["--timestamp-column", "time"], "has no time column 'time'"),
        (_GOOD.replace(",5\n", ",abc\n", 1), [], "line 7: column 'value' must be a number"),
        (_GOOD.replace(",5\n", ",inf\n", 1), [], "must be a finite number"),
        (
            _GOOD.replace("00:30:00", "00:10:00", 1),
            [],
            "1 timestamp(s) lie between the points of the 15min grid of the others (first: "
            "2024-01-01 00:10:00); move them to the nearest point (--off-grid nearest).",
        ),
        (
            _GOOD.replace("00:15:00", "00:00:00", 1),
            ["--on-duplicate", "raise"],
            "line 3: timestamp '2024-01-01 00:00:00' repeats line 2's (1 row(s) repeat an "
            "earlier one); choose what to keep with --on-duplicate mean, first or last.",
        ),
        (_GOOD.replace("2024-01-01 01:00:00", "yesterday", 1), [], "must be an ISO 8601 timestamp"),
        (_GOOD.replace("2024-01-01 01:00:00", "", 1), [], "must be a timestamp"),
        ("timestamp,value\n" + "".join(_GOOD.splitlines(True)[1:11]), [], "too short"),
        ("timestamp\n2024-01-01 00:00:00\n", [], "has no value column"),
        ("timestamp,value\n2024-01-01,1,2\n", [], "is not a valid CSV file"),
        ("timestamp,value,value\n2024-01-01,1,2\n", [], "duplicate column names"),
        (
            _GOOD.replace("2024-01-01 00:15:00", "2024-01-01T00:15:00+01:00", 1),
            [],
            "column 'timestamp' mixes timestamps with a UTC offset (line 3: "
            "'2024-01-01T00:15:00+01:00') and without one (line 2: '2024-01-01 00:00:00')",
        ),
        (
            _GOOD.replace(",5\n", ",2,5\n", 1),
            [],
            "is not a valid CSV file: line 7 has 3 fields, the header 2 (a number with a decimal "
            "comma must be quoted in a ','-separated file).",
        ),
        (
            _SEMI.replace(";5\n", ";2,5\n", 1),
            [],
            "line 7: column 'value' must be a number (or empty when missing), got '2,5' (1 such "
            "row(s)); the file seems to use decimal commas: use --decimal ,.",
        ),
        (
            _SEMI,
            ["--delimiter", ","],
            "separated by ';', not ',': use --delimiter ';'",
        ),
        (
            _GOOD.replace("timestamp,", "time,", 1),
            [],
            "column 'time' holds timestamps (e.g. '2024-01-01 00:00:00'); use --time-column time",
        ),
        (
            _GOOD.replace("timestamp,", "time,", 1),
            ["--columns", "time,value"],
            "column 'time' holds timestamps (e.g. '2024-01-01 00:00:00'); use --time-column time",
        ),
        (_GOOD.replace(",5\n", f",{_HUGE}\n", 1), [], "(3,000,010 characters) (1 such row(s))"),
        (_GOOD.replace(",3\n", ",\n"), [], None),  # missing readings are fine: imputed
        (_SEMI, [], None),  # ';' found from the header
        ("\ufeff" + _GOOD, [], None),  # a byte-order mark
        (_GOOD.replace("00:15:00", "00:00:00", 1), [], None),  # duplicates: averaged
        (_GOOD.replace("00:30:00", "00:10:00", 1), ["--off-grid", "nearest"], None),
    ],
    ids=[
        "missing",
        "empty",
        "header-only",
        "no-such-column",
        "no-such-timestamp-column",
        "non-numeric",
        "infinite",
        "off-grid",
        "duplicate-timestamp",
        "bad-timestamp",
        "empty-timestamp",
        "too-short",
        "no-value-column",
        "ragged",
        "duplicate-column",
        "mixed-offsets",
        "decimal-comma-in-a-comma-file",
        "decimal-comma",
        "wrong-delimiter",
        "time-column-named-time",
        "time-column-among-columns",
        "huge-field",
        "gaps-are-fine",
        "semicolons",
        "bom",
        "duplicates-averaged",
        "off-grid-nearest",
    ],
)
def test_bad_files_give_one_clear_line(tmp_path, capsys, content, extra, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code = main(
        ["fit", str(path), "--detector", "fast", "--out", str(tmp_path / "m"), "--quiet", *extra]
    )
    if message is None:
        assert code == 0, capsys.readouterr().err
        return
    assert code == 1
    line = _only_error(capsys)
    assert line.startswith("ecoai-detect: error: ")
    assert message in line
    assert len(line) < 400


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


# -- model files: the format of ecoai_sklearn.persistence, both ways --------------------

_UNPICKLED = []


def _record_unpickling():
    _UNPICKLED.append(True)
    return {}


class _Sneaky:
    def __reduce__(self):
        return (_record_unpickling, ())


def test_model_written_by_fit_opens_in_python(model, load, tmp_path, load_csv):
    X, _ = load
    detector = load_model(model)
    reference = make_fast_detector(random_state=0).fit(X)
    np.testing.assert_allclose(detector.decision_function(X), reference.decision_function(X))
    # bit-identical to what predict wrote, from the same file
    out = tmp_path / "out.csv"
    assert main(["predict", str(model), str(load_csv), "--out", str(out), "--quiet"]) == 0
    written = pd.read_csv(out)["score"].to_numpy()
    np.testing.assert_allclose(written, -detector.decision_function(X), rtol=1e-5)
    metadata = read_metadata(model)
    assert metadata["n_rows"] == len(X) and metadata["first_timestamp"] == "2024-01-01 00:00:00"
    assert metadata["columns"] == list(X.columns) and metadata["time_column"] == "timestamp"
    assert zipfile.is_zipfile(model)


def test_model_saved_from_python_is_read_by_predict(tmp_path, load, load_csv, capsys):
    X, _ = load
    detector = make_fast_detector(random_state=0).fit(X[["general", "industrial"]])
    path = tmp_path / "python.model"
    save(detector, path)  # no metadata: the columns come from feature_names_in_
    out = tmp_path / "out.csv"
    assert main(["predict", str(path), str(load_csv), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "model " + str(path) + ": Pipeline (saved from Python)" in err
    assert "2 column(s) (general, industrial)" in err
    result = pd.read_csv(out)
    expected = -detector.decision_function(X[["general", "industrial"]])
    np.testing.assert_allclose(result["score"], expected, rtol=1e-5)
    # without names (fitted on an array): every numeric column, as many as the model takes
    unnamed = make_fast_detector(random_state=0).fit(X.to_numpy())
    save(unnamed, path)
    assert main(["predict", str(path), str(load_csv), "--out", str(out), "--quiet"]) == 0
    np.testing.assert_allclose(
        pd.read_csv(out)["score"], -unnamed.decision_function(X.to_numpy()), rtol=1e-5
    )
    assert main(["predict", str(path), str(load_csv), "--columns", "general"]) == 1
    assert "the model was fitted on 4 column(s), but 1 were selected" in _error_line(capsys)


def _pickled_sneaky():
    return pickle.dumps(_Sneaky())


def test_crafted_files_are_refused_in_one_line_and_never_run(tmp_path, load_csv, capsys):
    _UNPICKLED.clear()
    pickled = tmp_path / "foreign.model"
    pickled.write_bytes(_pickled_sneaky())
    assert main(["predict", str(pickled), str(load_csv)]) == 1
    line = _only_error(capsys)
    assert "is not an ecoai_sklearn model file: what looks like a pickle" in line
    # the same payload inside a zip that looks like a model file
    inside = tmp_path / "inside.model"
    with zipfile.ZipFile(inside, "w") as archive:
        archive.writestr(
            "manifest.json", json.dumps({"format": "ecoai_sklearn model", "format_version": 1})
        )
        archive.writestr("tree.json", json.dumps({"root": {"kind": "pickle"}}))
        archive.writestr("payload.pkl", _pickled_sneaky())
    assert main(["evaluate", str(inside), str(load_csv)]) == 1
    assert "is not a valid model file" in _only_error(capsys)
    # a file naming a function that could do harm: refused, with the option to trust it
    harmful = tmp_path / "harmful.model"
    save(make_pipeline(FunctionTransformer(os.getcwd)), harmful)
    assert main(["predict", str(harmful), str(load_csv)]) == 1
    line = _only_error(capsys)
    assert "harmful.model is refused: it names posix.getcwd" in line or "os.getcwd" in line
    assert "--trust" in line
    assert _UNPICKLED == []


def test_trust_accepts_a_function_of_your_own(tmp_path, load, load_csv, capsys):
    X, _ = load
    detector = make_pipeline(
        FunctionTransformer(_double), IsolationForest(n_estimators=10, random_state=0)
    ).fit(X)
    path = tmp_path / "own.model"
    save(detector, path)
    assert main(["predict", str(path), str(load_csv), "--quiet"]) == 1
    line = _only_error(capsys)
    name = f"{_double.__module__}._double"
    assert f"add --trust {name}." in line
    out = tmp_path / "out.csv"
    argv = ["predict", str(path), str(load_csv), "--out", str(out), "--quiet", "--trust", name]
    assert main(argv) == 0
    np.testing.assert_allclose(pd.read_csv(out)["score"], -detector.decision_function(X), rtol=1e-5)


def _double(X):
    return 2 * np.asarray(X)


def test_damaged_and_old_models_are_refused(tmp_path, model, load_csv, capsys):
    content = model.read_bytes()
    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(content[:-100])
    assert main(["predict", str(truncated), str(load_csv)]) == 1
    assert "is not a valid model file (a damaged zip container" in _only_error(capsys)
    assert main(["predict", str(tmp_path / "absent.model"), str(load_csv)]) == 1
    assert "no such model file" in _only_error(capsys)
    assert main(["predict", str(tmp_path), str(load_csv)]) == 1
    assert "is a directory, not a model file" in _only_error(capsys)
    # a model file of the older pickle-based format: recognised, never unpickled
    _UNPICKLED.clear()
    old = tmp_path / "old.model"
    old.write_bytes(b"ECOAI-SKLEARN-MODEL 1\n{}\n" + _pickled_sneaky())
    assert main(["predict", str(old), str(load_csv)]) == 1
    assert _only_error(capsys) == (
        f"ecoai-detect: error: {old} was written by an older version of ecoai-detect (a "
        "pickle-based model file, which is never loaded); refit the model with "
        "'ecoai-detect fit'."
    )
    assert _UNPICKLED == []


def test_fit_leaves_no_partial_file_on_error(tmp_path, load_csv, capsys):
    target = tmp_path / "sub" / "m.model"
    code = main(["fit", str(load_csv), "--detector", "fast", "--out", str(target)])
    assert code == 1
    assert "cannot write the model: no such directory" in _error_line(capsys)
    assert not (tmp_path / "sub").exists()
    # the same file twice: the bytes depend on the model only (no clock in the file)
    first, second = tmp_path / "a.model", tmp_path / "b.model"
    for path in (first, second):
        argv = ["fit", str(load_csv), "--detector", "fast", "--out", str(path), "--quiet"]
        assert main([*argv, "--random-state", "0"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


# -- real-world files: offsets, gaps, separators, decimal commas, duplicates, runs -------


# A meter export: UTF-8 with a byte-order mark, ';'-separated, decimal commas, two
# channels and a text column, UTC offsets that change at the end of daylight-saving time
# (02:45+02:00 is followed by 02:00+01:00, fifteen minutes later), a missing reading
# (row 10), an absent row (04:30+01:00) and a repeated timestamp (05:15+01:00 twice).
def _export_rows():
    rows = []
    # 2014-10-25 22:00 UTC (00:00+02:00) to 00:45 UTC (02:45+02:00), then +01:00
    start = pd.Timestamp("2014-10-25 22:00", tz="UTC")
    for k in range(64):
        when = start + pd.Timedelta(minutes=15 * k)
        local = when.tz_convert("Europe/Berlin")
        a = 10 + 5 * np.sin(2 * np.pi * k / 16) + (k % 3) * 0.25
        b = 230 + np.cos(2 * np.pi * k / 16)
        rows.append([local.isoformat(), f"{a:.2f}".replace(".", ","), f"{b:.2f}".replace(".", ",")])
    return rows


def _write_export(path):
    rows = _export_rows()
    rows[10][1] = ""  # a missing reading
    del rows[22]  # 04:30+01:00 is absent
    rows.insert(25, [rows[24][0], "99,00", "231,00"])  # 05:15+01:00 twice
    text = "timestamp;current;voltage;note\n" + "".join(f"{t};{a};{b};ok\n" for t, a, b in rows)
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    return rows


def test_a_real_world_export_through_fit_and_predict(tmp_path, capsys):
    path = tmp_path / "export.csv"
    rows = _write_export(path)
    assert rows[11][0] == "2014-10-26T02:45:00+02:00"
    assert rows[12][0] == "2014-10-26T02:00:00+01:00"
    assert rows[24][0] == rows[25][0] == "2014-10-26T05:15:00+01:00"
    model = tmp_path / "m.model"
    argv = ["fit", str(path), "--detector", "fast", "--out", str(model), "--decimal", ","]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert f"{path}: fields separated by ';' (found from the header)" in err
    assert f"{path}: left out column(s) of text 'note'" in err
    assert (
        f"ecoai-detect: repaired {path}: converted 64 timestamps with a UTC offset to UTC; "
        "removed 1 row with a repeated timestamp (averaged); inserted 1 missing row in gaps "
        "of the 15min grid; 2 rows to impute"
    ) in err
    metadata = read_metadata(model)
    assert metadata["columns"] == ["current", "voltage"] and metadata["time_zone"] == "UTC"
    assert metadata["n_rows"] == 64 and metadata["freq"] == "15min"
    assert metadata["first_timestamp"] == "2014-10-25 22:00:00+00:00"

    out = tmp_path / "out.csv"
    argv = ["predict", str(model), str(path), "--out", str(out), "--decimal", ",", "--quiet"]
    assert main(argv) == 0
    result = pd.read_csv(out)
    expected = pd.date_range("2014-10-25 22:00", periods=64, freq="15min", tz="UTC")
    assert result["timestamp"].tolist() == [t.isoformat() for t in expected]
    assert result["timestamp"].iloc[12] == "2014-10-26T01:00:00+00:00"  # 02:00+01:00
    assert np.flatnonzero(result["imputed"]).tolist() == [10, 22]
    # the scores are those of the pipeline on the same rows, put on the grid by hand
    values = np.array([[float(a.replace(",", ".")) if a else np.nan, float(b.replace(",", "."))]
                       for _, a, b in _export_rows()])  # fmt: skip
    values[10, 0] = np.nan
    values[22] = np.nan
    values[25] = [(values[25, 0] + 99.0) / 2, (values[25, 1] + 231.0) / 2]
    frame = pd.DataFrame(values, columns=["current", "voltage"], index=expected)
    detector = load_model(model)
    np.testing.assert_allclose(result["score"], -detector.decision_function(frame), rtol=1e-5)
    reference = make_fast_detector().fit(frame)  # the data the command fitted on
    np.testing.assert_allclose(
        detector[0].transform(frame), reference[0].transform(frame), rtol=1e-12
    )


def test_naive_local_time_repeats_an_hour_and_duplicates_are_averaged(tmp_path, capsys):
    # the same change of time without offsets: 02:00-02:45 twice (local time)
    quarters = [(h, m) for h in range(24) for m in (0, 15, 30, 45)]
    times = [f"2014-10-26 {h:02d}:{m:02d}:00" for h, m in quarters[:12]]
    times += [f"2014-10-26 02:{m:02d}:00" for m in (0, 15, 30, 45)]
    times += [f"2014-10-26 {h:02d}:{m:02d}:00" for h, m in quarters[12:]]
    values = [f"{np.sin(2 * np.pi * k / 16):.4f}" for k in range(len(times))]
    path = tmp_path / "local.csv"
    path.write_text("timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in zip(times, values)))
    model = tmp_path / "m.model"
    argv = ["fit", str(path), "--detector", "fast", "--out", str(model), "--quiet"]
    assert main(argv) == 0
    assert capsys.readouterr().err == (
        f"ecoai-detect: repaired {path}: sorted 3 rows into time order; removed 4 rows with a "
        "repeated timestamp (averaged)\n"
    )
    assert main([*argv, "--on-duplicate", "raise"]) == 1
    assert "line 14: timestamp '2014-10-26 02:00:00' repeats line 10's (4 row(s) repeat" in (
        _only_error(capsys)
    )


def _runs_file(tmp_path, load):
    X, y = load
    frames = []
    for name, scale in (("run_a", 1.0), ("run_b", 3.0), ("run_c", 0.5)):
        frame = X[["industrial", "general"]].iloc[:480] * scale
        frame["label"] = y[:480]
        frame["series_id"] = name
        frames.append(frame)
    path = tmp_path / "runs.csv"
    pd.concat(frames).to_csv(path, index_label="timestamp")
    return path


@pytest.mark.shared_data
def test_skab_multichannel_runs(shared_data_dir, tmp_path, capsys):
    path = shared_data_dir / "skab_multivariate.csv"
    model = tmp_path / "pump.model"
    free = "skab:anomaly-free/anomaly-free"
    fit = ["fit", str(path), "--detector", "fast", "--out", str(model), "--series", free]
    # no significant FFT period in these runs: a fixed window
    fixed = ["--set", "fftwindower__window_size=32"]
    assert main([*fit, *fixed, "--end", "2020-02-08 14:00", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"ecoai-detect: repaired {path} (series {free}): inserted ")
    metadata = read_metadata(model)
    assert len(metadata["columns"]) == 8 and metadata["columns"][2] == "current"
    assert metadata["freq"] == "s"
    out = tmp_path / "out.csv"
    runs = ["--series", "skab:valve1/0", "--series", "skab:valve1/1"]
    assert main(["predict", str(model), str(path), "--out", str(out), "--quiet", *runs]) == 0
    result = pd.read_csv(out)
    assert result["series_id"].unique().tolist() == ["skab:valve1/0", "skab:valve1/1"]
    assert result["imputed"].sum() > 0  # the loggers skipped seconds: rows inserted


def test_several_runs(tmp_path, load, capsys):
    path = _runs_file(tmp_path, load)
    model = tmp_path / "m.model"
    fit = ["fit", str(path), "--detector", "fast", "--out", str(model), "--quiet"]
    for extra in (["--series", "run_a", "--series", "run_b"], ["--series", "all"]):
        assert main([*fit, *extra]) == 2
        line = _only_error(capsys)
        assert "fit takes one run with detector 'fast', and --series selected" in line
        assert "windows that never cross from one run into the next" in line
        assert not model.exists()
    assert main([*fit, "--series", "run_a"]) == 0
    assert read_metadata(model)["series"] == "run_a"
    # predict: each run scored on its own, as if alone in its file
    out = tmp_path / "out.csv"
    predict = ["predict", str(model), str(path), "--out", str(out), "--quiet"]
    assert main([*predict, "--series", "run_c", "--series", "run_b"]) == 0
    both = pd.read_csv(out)
    assert list(both.columns) == ["series_id", "timestamp", "score", "label", "imputed"]
    assert both["series_id"].tolist() == ["run_c"] * 480 + ["run_b"] * 480
    assert main([*predict, "--series", "all"]) == 0
    every = pd.read_csv(out)
    assert every["series_id"].unique().tolist() == ["run_a", "run_b", "run_c"]
    for name in ("run_b", "run_c"):
        assert main([*predict, "--series", name]) == 0
        alone = pd.read_csv(out)
        assert "series_id" in alone  # a file of several runs: the run is named
        mine = every[every["series_id"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)
    # evaluate pools the runs; events never continue from one run into the next
    assert main(["evaluate", str(model), str(path), "--series", "all", "--json", "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["runs"] == 3 and metrics["rows"] == 3 * 480
    labels = every["label"].to_numpy()
    assert metrics["predicted_anomalous_rows"] == int(labels.sum())
    _, y = load
    assert metrics["labelled_anomalous_rows"] == 3 * int(y[:480].sum())


def test_evaluate_judges_only_the_rows_of_the_file(tmp_path, model, load_csv, load, capsys):
    _, y = load
    frame = pd.read_csv(load_csv)
    gappy = tmp_path / "gappy.csv"
    frame.drop(index=range(300, 310)).to_csv(gappy, index=False)
    assert main(["evaluate", str(model), str(gappy), "--json", "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["rows"] == len(y) - 10 and metrics["inserted_rows_not_judged"] == 10
    assert main(["evaluate", str(model), str(gappy), "--quiet"]) == 0
    assert f"rows               {len(y) - 10:,} (and 10 rows inserted in gaps, not judged)" in (
        capsys.readouterr().out
    )


def test_closed_output_pipe_exits_quietly(tmp_path, model, load_csv):
    command = [sys.executable, "-m", "ecoai_sklearn.cli", "predict", str(model), str(load_csv)]
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + str(os.path.dirname(__file__))}
    # the reader goes away at once (as 'head -1' does after its line): every write fails
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=os.getcwd()
    )
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141  # 128 + SIGPIPE, as a shell reports it
    assert "Traceback" not in err and "BrokenPipe" not in err and "error" not in err
    assert "Exception ignored" not in err


def make_tiny_threads_detector(random_state=None):
    from ecoai_sklearn.neural import CNNGRUAE

    return make_pipeline(
        MinMaxScaler(),
        FFTWindower(window_size=16),
        DTWReconstructionScorer(
            estimator=CNNGRUAE(max_epochs=2, module__hidden_size=4, random_state=random_state),
            metric="mse",
        ),
        IsolationForest(n_estimators=20, random_state=random_state),
    )


def test_threads_do_not_change_the_results(monkeypatch, tmp_path, load_csv, capsys):
    torch = pytest.importorskip("torch")
    monkeypatch.setitem(DETECTORS, "tiny", (make_tiny_threads_detector, "tiny neural detector"))
    before = torch.get_num_threads()
    results = []
    for threads in ("1", "2"):
        model = tmp_path / f"m{threads}.model"
        common = ["--columns", "industrial", "--end", "2024-01-04", "--quiet", "--threads", threads]
        fit = ["fit", str(load_csv), "--detector", "tiny", "--out", str(model), *common]
        assert main([*fit, "--random-state", "0"]) == 0
        out = tmp_path / f"out{threads}.csv"
        assert main(["predict", str(model), str(load_csv), "--out", str(out), *common]) == 0
        results.append(pd.read_csv(out))
        assert torch.get_num_threads() == before  # put back after the command
    np.testing.assert_allclose(results[0]["score"], results[1]["score"], rtol=1e-4, atol=1e-6)


def test_thread_limit_sets_and_restores_torch_and_blas(monkeypatch):
    torch = pytest.importorskip("torch")
    from threadpoolctl import threadpool_info

    from ecoai_sklearn.cli._threads import ThreadLimit

    before = torch.get_num_threads()
    with ThreadLimit(3) as limit:
        assert torch.get_num_threads() == 3
        limit.apply_torch()  # once only: the value to put back is kept
        assert all(pool["num_threads"] <= 3 for pool in threadpool_info())
    assert torch.get_num_threads() == before


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


class NeverAlarm(OutlierMixin, BaseEstimator):
    """A detector whose cut no row crosses."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def decision_function(self, X):
        return np.ones(len(X))

    def predict(self, X):
        return np.ones(len(X), dtype=int)


@pytest.mark.parametrize("detector", ["never", "fast"])
def test_demo_says_why_when_nothing_is_flagged(monkeypatch, capsys, detector):
    monkeypatch.setitem(DETECTORS, "never", (lambda random_state=None: NeverAlarm(), "test"))
    assert main(["demo", "--detector", detector, "--days", "8", "--no-plot", "--quiet"]) == 0
    out = capsys.readouterr().out
    flagged_nothing = "detected           0 rows" in out
    assert flagged_nothing == (detector == "never")
    assert ("no row crossed the detector's cut" in out) == flagged_nothing
    assert "--set" not in out  # neither has a contamination to suggest


@pytest.mark.parametrize("share, hint", [(0.125, True), (0.0, False), (0.6, False)])
def test_demo_note_suggests_the_training_share_as_contamination(share, hint):
    from ecoai_sklearn.cli._demo import _nothing_flagged
    from ecoai_sklearn.pipelines import make_default_detector

    text = "\n".join(_nothing_flagged(make_default_detector(), share))
    assert ("--set ensemble__contamination=0.125" in text) == hint
    assert ("--set" in text) == hint  # a share outside (0, 0.5] is not a valid setting


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
    detector = load_model(model)
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
    # the default detector trains no network: --quick changes no parameter of it
    assert header == "detector make_default_detector() defaults"
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


# -- explanations and several runs (issue #14) ----------------------------------------------


def test_predict_explain_adds_each_channels_share(tmp_path, model, load_csv, load, capsys):
    X, _ = load
    out = tmp_path / "explained.csv"
    predict = ["predict", str(model), str(load_csv), "--quiet"]
    assert main([*predict, "--out", str(out), "--explain"]) == 0
    explained = pd.read_csv(out)
    shares = [f"contribution_{name}" for name in X.columns]
    assert explained.columns.tolist() == ["timestamp", "score", "label", "imputed", *shares]
    np.testing.assert_allclose(explained[shares].sum(axis=1), 1.0, atol=1e-5)
    assert (explained[shares] >= 0).all().all()
    # the same scores and labels as without --explain
    plain = tmp_path / "plain.csv"
    assert main([*predict, "--out", str(plain)]) == 0
    pd.testing.assert_frame_equal(explained.drop(columns=shares), pd.read_csv(plain))
    # a model with no window scorer has no contributions to give: one line
    forest = tmp_path / "forest.model"
    save(make_pipeline(MinMaxScaler(), IsolationForest(random_state=0)).fit(X), forest)
    assert main(["predict", str(forest), str(load_csv), "--explain", "--quiet"]) == 1
    assert "--explain needs a detector that splits its scores" in _only_error(capsys)


def test_fit_on_several_runs_keeps_windows_inside_each(tmp_path, load, capsys):
    from ecoai_sklearn.pipelines import make_default_detector

    path = _runs_file(tmp_path, load)
    model = tmp_path / "runs.model"
    runs = ["--series", "run_a", "--series", "run_b"]
    fit = ["fit", str(path), "--detector", "default", "--out", str(model)]
    assert main([*fit, *runs]) == 0
    err = capsys.readouterr().err
    assert "fitting default on 960 rows x 2 channel(s) in 2 runs" in err
    metadata = read_metadata(model)
    assert metadata["series"] == ["run_a", "run_b"] and metadata["n_rows"] == 960
    # the same detector as fitted in Python with groups
    frame = pd.read_csv(path, parse_dates=["timestamp"])
    chosen = frame[frame["series_id"].isin(["run_a", "run_b"])]
    X = chosen.set_index("timestamp")[["industrial", "general"]]
    expected = make_default_detector().fit(X, groups=chosen["series_id"].to_numpy())
    out = tmp_path / "out.csv"
    predict = ["predict", str(model), str(path), "--series", "run_c", "--quiet"]
    assert main([*predict, "--out", str(out)]) == 0
    got = pd.read_csv(out)
    run_c = frame[frame["series_id"] == "run_c"].set_index("timestamp")[["industrial", "general"]]
    np.testing.assert_allclose(got["score"], -expected.decision_function(run_c), rtol=1e-5)
    assert main([*fit, "--series", "all", "--quiet"]) == 0
    assert read_metadata(model)["series"] == ["run_a", "run_b", "run_c"]

