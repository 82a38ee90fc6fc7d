"""``ecoai-detect stream`` and ``--per-series``: through a pipe, restarts, bad lines, fleets."""

import csv
import io
import os
import select
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecoai_sklearn.cli import main
from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.persistence import load, read_metadata
from ecoai_sklearn.pipelines import make_default_detector
from ecoai_sklearn.streaming import StreamingDetector

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN = 14 * 96
COLUMNS = ["industrial", "general", "late_night", "agricultural"]


@pytest.fixture(scope="module")
def frames():
    X, y, _ = make_industrial_load(n_days=17, n_anomalies=4, random_state=0, as_frame=True)
    frame = X.copy()
    frame["label"] = y
    frame.index.name = "timestamp"
    return frame.iloc[:N_TRAIN], frame.iloc[N_TRAIN:]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("stream")


@pytest.fixture(scope="module")
def streaming_model(frames, folder):
    train, _ = frames
    train.to_csv(folder / "train.csv")
    path = folder / "live.model"
    assert main(["fit", str(folder / "train.csv"), "--streaming", "--out", str(path)]) == 0
    return path


def csv_lines(frame):
    """The rows of ``frame`` as the lines of a CSV file, the header first."""
    return frame.to_csv(lineterminator="\n").splitlines()


def run_stream(monkeypatch, capsys, argv, lines):
    """``main(["stream", ...])`` with ``lines`` on standard input: (code, out rows, err)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code = main(["stream", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out.splitlines(), captured.err


def python_scores(model_path, rows):
    """What StreamingDetector.update gives the rows, from the same model file."""
    stream = load(model_path)
    return -np.concatenate([stream.update(row) for row in rows])


# ---------------------------------------------------------------------------- stream
def test_fit_streaming_writes_a_streaming_detector(streaming_model):
    model = load(streaming_model)
    assert isinstance(model, StreamingDetector) and model.mode == "causal"
    assert model.window_sizes_ == [96, 64] and model.fast_path_
    metadata = read_metadata(streaming_model)
    assert metadata["streaming"] is True and metadata["freq"] == "15min"


def test_stream_answers_each_row_like_the_python_detector(
    streaming_model, frames, monkeypatch, capsys
):
    _, new = frames
    lines = csv_lines(new.iloc[:150])
    code, out, err = run_stream(monkeypatch, capsys, [str(streaming_model), "-"], lines)
    assert code == 0 and out[0] == "timestamp,score,label"
    rows = list(csv.reader(out[1:]))
    assert [r[0] for r in rows] == [t.strftime("%Y-%m-%d %H:%M:%S") for t in new.index[:150]]
    scores = np.array([float(r[1]) for r in rows])
    expected = python_scores(streaming_model, new[COLUMNS].to_numpy()[:150])
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)  # 6 digits written
    assert [int(r[2]) for r in rows] == (expected > 0).astype(int).tolist()
    assert "150 rows scored" in err


def _read_line(proc, timeout=120):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no answer from ecoai-detect stream"
    return proc.stdout.readline().rstrip("\n")


def test_stream_through_a_pipe_one_row_at_a_time_with_a_bad_line(streaming_model, frames, folder):
    _, new = frames
    lines = csv_lines(new.iloc[:40])
    bad_at = 20
    lines.insert(bad_at + 1, "2024-01-15 04:45:00,12.5,oops,3,4,0")  # a field not a number
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    state = folder / "pipe.state"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecoai_sklearn.cli", "stream", str(streaming_model), "-"]
        + ["--state", str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=env,
    )
    try:
        proc.stdin.write(lines[0] + "\n")
        proc.stdin.flush()
        assert _read_line(proc) == "timestamp,score,label"
        answers = []
        for line in lines[1:]:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            if "oops" in line:
                continue  # no answer: the next answer is the next row's
            answer = _read_line(proc)
            assert answer.startswith(line.split(",")[0])  # this row's answer, at once
            answers.append(answer)
        proc.stdin.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 0
    finally:
        proc.kill()
    assert "Traceback" not in err
    bad = [line for line in err.splitlines() if "line skipped" in line]
    assert bad == [
        f"ecoai-detect: standard input, line {bad_at + 2}: column 'general' must be a "
        "number (or empty when missing), got 'oops'; line skipped"
    ]
    scores = np.array([float(a.split(",")[1]) for a in answers])
    expected = python_scores(streaming_model, new[COLUMNS].to_numpy()[:40])
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)
    assert load(state).n_rows_seen_ == 40


def test_resume_from_the_state_equals_an_uninterrupted_run(
    streaming_model, frames, folder, monkeypatch, capsys
):
    _, new = frames
    new = new.iloc[:160].copy()
    new.iloc[60:75, :4] *= 0.1  # an outage: an alarm raised before the restart
    lines = csv_lines(new)
    whole_events = folder / "whole.events"
    code, whole, _ = run_stream(
        monkeypatch,
        capsys,
        [str(streaming_model), "-", "--events", str(whole_events), "--state", str(folder / "w")],
        lines,
    )
    assert code == 0
    state, events = folder / "split.state", folder / "split.events"
    argv = [str(streaming_model), "-", "--state", str(state), "--events", str(events)]
    code, first, _ = run_stream(monkeypatch, capsys, argv, lines[:101])
    assert code == 0 and state.exists()
    # the restart re-reads some rows already scored: they are skipped
    code, second, err = run_stream(monkeypatch, capsys, argv, [lines[0], *lines[90:]])
    assert code == 0 and "skipped 11 rows scored before the restart" in err
    assert first + second == whole  # no second header, same values
    written = pd.read_csv(whole_events)
    assert (written["status"] == "raised").sum() >= 1
    assert events.read_text() == whole_events.read_text()
    metadata = read_metadata(state)
    assert metadata["written_by"] == "ecoai-detect stream"


def test_stop_on_error_and_kinds_of_bad_lines(streaming_model, frames, monkeypatch, capsys):
    _, new = frames
    lines = csv_lines(new.iloc[:12])
    lines.insert(5, lines[4].replace(":45:00", ":50:00"))  # off the 15-minute grid
    lines.insert(3, lines[2])  # the same timestamp again
    lines.insert(3, lines[3] + ",1")  # one field too many
    code, out, err = run_stream(monkeypatch, capsys, [str(streaming_model)], lines)
    assert code == 0 and len(out) == 1 + 12
    skipped = [line for line in err.splitlines() if "line skipped" in line]
    assert len(skipped) == 3
    assert "7 field(s) where the header has 6" in skipped[0]
    assert "is not after the previous reading's" in skipped[1]
    assert "not on the time grid of the model" in skipped[2]
    code, out, err = run_stream(
        monkeypatch, capsys, [str(streaming_model), "-", "--stop-on-error"], lines
    )
    assert code == 1 and len(out) == 1 + 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("ecoai-detect: error: standard input, line 4: 7 field(s)")
    assert "(--stop-on-error)" in err


def test_a_gap_becomes_missing_rows_and_a_missing_reading_is_filled(
    streaming_model, frames, monkeypatch, capsys
):
    _, new = frames
    part = new.iloc[:30].copy()
    part.iloc[5, 1] = np.nan  # an empty field
    lines = csv_lines(part.drop(part.index[[10, 11]]))  # two rows absent
    code, out, _ = run_stream(monkeypatch, capsys, [str(streaming_model)], lines)
    rows = list(csv.reader(out[1:]))
    assert code == 0 and len(rows) == 30
    assert [r[0] for r in rows] == [t.strftime("%Y-%m-%d %H:%M:%S") for t in part.index]
    assert all(np.isfinite(float(r[1])) for r in rows)


def test_a_batch_model_is_refused_with_the_way_to_fit_one(frames, folder, monkeypatch, capsys):
    path = folder / "batch.model"
    assert main(["fit", str(folder / "train.csv"), "--out", str(path), "--quiet"]) == 0
    capsys.readouterr()
    code, out, err = run_stream(monkeypatch, capsys, [str(path)], csv_lines(frames[1][:3]))
    assert code == 1 and out == []
    assert err.count("\n") == 1 and "--streaming" in err


def test_a_delayed_model_is_refused(frames, folder, monkeypatch, capsys):
    from ecoai_sklearn.persistence import save

    train, new = frames
    stream = StreamingDetector(make_default_detector(), mode="delayed").fit(train[COLUMNS])
    save(stream, folder / "delayed.model")
    code, out, err = run_stream(monkeypatch, capsys, [str(folder / "delayed.model")], [])
    assert code == 1 and out == [] and "mode='delayed'" in err


def test_stream_help(capsys):
    assert main(["stream", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--state FILE", "--events FILE", "--stop-on-error", "--min-duration N"):
        assert option in text
    assert main(["--help"]) == 0
    assert "stream" in capsys.readouterr().out


# ---------------------------------------------------------------------------- per series
@pytest.fixture(scope="module")
def fleet_csv(folder):
    parts = []
    for k, name in enumerate(["meter_a", "meter_b"]):
        X, y, _ = make_industrial_load(
            n_days=16, shares=(1.0,), n_anomalies=3, random_state=k, as_frame=True
        )
        parts.append(
            pd.DataFrame(
                {"timestamp": X.index, "value": X["industrial"], "label": y, "series_id": name}
            )
        )
    short = parts[1].iloc[:12].assign(series_id="meter_new")  # too short to fit
    frame = pd.concat(parts + [short], ignore_index=True)
    frame.to_csv(folder / "fleet.csv", index=False)
    frame.groupby("series_id").head(N_TRAIN).to_csv(folder / "fleet_train.csv", index=False)
    return frame


def test_fit_per_series_then_predict_answers_each_series(fleet_csv, folder, monkeypatch, capsys):
    train = fleet_csv.groupby("series_id").head(N_TRAIN)
    model = folder / "fleet.model"
    code = main(["fit", str(folder / "fleet_train.csv"), "--per-series", "--out", str(model)])
    err = capsys.readouterr().err
    assert code == 0 and "series meter_new has no model" in err
    metadata = read_metadata(model)
    assert metadata["per_series"] and metadata["series"] == ["meter_a", "meter_b"]
    out = folder / "fleet_scores.csv"
    test = fleet_csv[fleet_csv["series_id"] != "meter_new"]
    test.to_csv(folder / "fleet_test.csv", index=False)
    assert main(["predict", str(model), str(folder / "fleet_test.csv"), "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    for name, rows in test.groupby("series_id"):
        alone = make_default_detector().fit(train[train["series_id"] == name][["value"]].to_numpy())
        expected = -alone.decision_function(rows[["value"]].to_numpy())
        got = scores[scores["series_id"] == name]["score"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    capsys.readouterr()
    assert main(["evaluate", str(model), str(folder / "fleet_test.csv"), "--json"]) == 0
    assert '"runs": 2' in capsys.readouterr().out
    # a series without a model is an error naming it
    code = main(["predict", str(model), str(folder / "fleet.csv")])
    assert code == 1 and "meter_new has no model" in capsys.readouterr().err


def test_per_series_needs_a_series_column(folder, capsys):
    code = main(["fit", str(folder / "train.csv"), "--per-series", "--out", str(folder / "x")])
    assert code == 2 and "series_id" in capsys.readouterr().err


def test_stream_routes_the_rows_of_each_series(fleet_csv, folder, monkeypatch, capsys):
    train = fleet_csv.groupby("series_id").head(N_TRAIN)
    model = folder / "fleet_live.model"
    code = main(
        ["fit", str(folder / "fleet_train.csv"), "--per-series", "--streaming"]
        + ["--out", str(model), "--quiet"]
    )
    assert code == 0
    capsys.readouterr()
    later = (
        fleet_csv[fleet_csv["series_id"] != "meter_new"]
        .groupby("series_id")
        .nth(list(range(N_TRAIN, N_TRAIN + 60)))
    )
    interleaved = later.sort_values(["timestamp", "series_id"])
    lines = interleaved.to_csv(index=False, lineterminator="\n").splitlines()
    lines.insert(5, "2024-01-15 01:00:00,3.0,0,meter_x")  # a series without a model
    code, out, err = run_stream(monkeypatch, capsys, [str(model)], lines)
    assert code == 0 and out[0] == "series_id,timestamp,score,label"
    assert "series 'meter_x' has no model" in err, err
    rows = pd.read_csv(io.StringIO("\n".join(out)))
    fleet = load(model)
    for name, group in interleaved.groupby("series_id"):
        expected = -fleet.detectors_[name].update(group[["value"]].to_numpy())
        got = rows[rows["series_id"] == name]["score"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert train is not None
