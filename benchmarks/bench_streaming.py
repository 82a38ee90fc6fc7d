"""Latency and throughput of StreamingDetector.update against the naive way.

Data: ``make_industrial_load`` (4 channels of 15-minute industrial load), the default
detector fitted on the first 8 weeks (5,376 rows); the rows after them arrive one at a
time (latency of each ``update``: median, 99th percentile, max) and in chunks of 96 rows,
one day (readings per second; the median of 3 runs). Issue #15's goals: one-row median <= 5 ms, 99th
percentile <= 20 ms; >= 10,000 readings/s in chunks of 96.

Ways:

- ``stream causal``: ``StreamingDetector(make_default_detector())`` (``mode="causal"``):
  each step runs on the new rows only, one new window per kNN member;
- ``stream delayed``: ``mode="delayed"``: the batch values, ``w - 1`` rows late (it
  re-scores the last ``2 (w - 1)`` rows with the new ones);
- ``naive batch``: what a user does without it (the factories' Notes): the batch
  detector's ``decision_function`` on the last ``w - 1`` rows of history plus the new
  rows, the history's answers dropped (and the new rows' windows padded on the right:
  not the batch values either);
- ``naive causal``: the same with the causal detector (values equal to ``stream
  causal``'s, checked).

The streamed values are checked against the batch causal values of the same rows.
Also timed: saving and loading the fitted streaming detector
(:func:`ecoai_sklearn.persistence.save` / ``load``), the state file of
``ecoai-detect stream --state``.

Usage::

    python -m benchmarks.bench_streaming            # 2 weeks one by one, 8 weeks in chunks
    python -m benchmarks.bench_streaming --quick    # 200 rows, 8 chunks
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

try:
    from ._common import environment, markdown_table
except ImportError:  # run as a file: python benchmarks/bench_streaming.py
    from _common import environment, markdown_table

TRAIN_DAYS = 56
CHUNK = 96
GOALS = {"median_ms": 5.0, "p99_ms": 20.0, "rows_per_s": 10_000.0}


def _data(n_days):
    from ecoai_sklearn.datasets import make_industrial_load

    X, _, _ = make_industrial_load(n_days=n_days, random_state=0)
    return X


def _latency(update, rows):
    times = np.empty(rows.shape[0])
    values = np.empty(rows.shape[0])
    for i, row in enumerate(rows):
        start = time.perf_counter()
        values[i] = update(row[np.newaxis, :])[0]
        times[i] = time.perf_counter() - start
    return times * 1e3, values


def _throughput(update, rows, chunk):
    n = rows.shape[0] // chunk * chunk
    values = []
    start = time.perf_counter()
    for begin in range(0, n, chunk):
        values.append(update(rows[begin : begin + chunk]))
    seconds = time.perf_counter() - start
    return n / seconds, np.concatenate(values)


class Naive:
    """Re-score the last ``context`` rows of history with the new ones."""

    def __init__(self, detector, history, context):
        self.detector, self.context = detector, context
        self.history = np.array(history[-context:])

    def update(self, rows):
        buffer = np.vstack([self.history, rows])
        self.history = buffer[-self.context :]
        return self.detector.decision_function(buffer)[-rows.shape[0] :]


def run(n_rows, n_chunks, repeats=3):
    from ecoai_sklearn.persistence import load, save
    from ecoai_sklearn.pipelines import make_default_detector
    from ecoai_sklearn.streaming import StreamingDetector

    n_train = TRAIN_DAYS * 96
    n_test = max(n_rows, n_chunks * CHUNK)
    X = _data(TRAIN_DAYS + -(-n_test // 96) + 1)
    train, test = X[:n_train], X[n_train : n_train + n_test]
    start = time.perf_counter()
    causal = StreamingDetector(make_default_detector()).fit(train)
    fit_seconds = time.perf_counter() - start
    delayed = StreamingDetector(make_default_detector(), mode="delayed").fit(train)
    batch = make_default_detector().fit(train)
    context = causal.context_
    expected = causal.decision_function(np.vstack([train[-context:], test]))[context:]

    rows, checks = [], {}
    ways = {
        "stream causal": lambda: _copy(causal).update,
        "stream delayed": lambda: _copy(delayed).update,
        "naive batch": lambda: Naive(batch, train, context).update,
        "naive causal": lambda: Naive(causal.detector_, train, context).update,
    }
    # throughput: the median of `repeats` rounds, the ways in turn within each round (a
    # load that comes and goes on the machine hits them alike), each from the fitted state
    speeds = {name: [] for name in ways}
    chunked = {}
    for _ in range(repeats):
        for name, make in ways.items():
            speed, chunked[name] = _throughput(make(), test[: n_chunks * CHUNK], CHUNK)
            speeds[name].append(speed)
    for name, make in ways.items():
        times, values = _latency(make(), test[:n_rows])
        if name in ("stream causal", "naive causal"):
            n = min(values.size, chunked[name].size)
            checks[name] = max(
                float(np.max(np.abs(values - expected[: values.size]))),
                float(np.max(np.abs(chunked[name] - expected[: chunked[name].size]))),
            )
            assert np.allclose(values[:n], chunked[name][:n], atol=1e-9), name
            assert checks[name] < 1e-8, (name, checks[name])
        rows.append(
            [
                name,
                float(np.median(times)),
                float(np.percentile(times, 99)),
                float(times.max()),
                float(np.median(speeds[name])),
                max(speeds[name]),
            ]
        )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "stream.model")
        start = time.perf_counter()
        save(causal, path)
        save_ms = (time.perf_counter() - start) * 1e3
        start = time.perf_counter()
        load(path)
        load_ms = (time.perf_counter() - start) * 1e3
        size_kb = os.path.getsize(path) / 1024
    return {
        "rows": rows,
        "fit_seconds": fit_seconds,
        "windows": causal.window_sizes_,
        "delay": delayed.delay_,
        "fast_path": causal.fast_path_,
        "max_abs_difference": checks,
        "save_ms": save_ms,
        "load_ms": load_ms,
        "state_kb": size_kb,
    }


def _copy(stream):
    import copy

    return copy.deepcopy(stream)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 rows, 8 chunks")
    parser.add_argument("--rows", type=int, default=1344, help="rows updated one at a time")
    parser.add_argument("--chunks", type=int, default=56, help="chunks of 96 rows")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    n_rows, n_chunks = (200, 8) if args.quick else (args.rows, args.chunks)
    load_before = os.getloadavg()[0]
    print(f"# bench_streaming {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    out = run(n_rows, n_chunks)
    out["load"] = (load_before, os.getloadavg()[0])
    print(
        f"default detector fitted on {TRAIN_DAYS * 96} rows in {out['fit_seconds']:.1f} s; "
        f"windows {out['windows']}, delayed mode's delay {out['delay']} rows, fast path "
        f"{out['fast_path']}; {n_rows} rows one at a time, {n_chunks} chunks of {CHUNK}; "
        f"load average {out['load'][0]:.1f} before, {out['load'][1]:.1f} after"
    )
    header = [
        "way",
        "one row: median ms",
        "p99 ms",
        "max ms",
        f"chunks of {CHUNK}: rows/s (median of 3)",
        "best of 3",
    ]
    print(markdown_table(header, out["rows"]))
    print(
        f"goals: median <= {GOALS['median_ms']:g} ms, p99 <= {GOALS['p99_ms']:g} ms, "
        f">= {GOALS['rows_per_s']:,.0f} rows/s in chunks of {CHUNK}"
    )
    print(f"largest difference from the batch causal values: {out['max_abs_difference']}")
    print(
        f"state file (persistence.save of the fitted StreamingDetector): "
        f"{out['state_kb']:.0f} kB, save {out['save_ms']:.0f} ms, load {out['load_ms']:.0f} ms"
    )
    return out


if __name__ == "__main__":
    main()
