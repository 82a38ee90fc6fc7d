"""Benchmark ecoai_sklearn.dtw.paired_dtw against other DTW implementations.

For each configuration (window length w, channels c, with or without a Sakoe-Chiba band
of radius floor(0.1 * w)) it times, on the same random pairs:

- ``ours``: :func:`ecoai_sklearn.dtw.paired_dtw` with numba's default thread count, with
  one thread, and with ``return_point_costs=True``;
- ``tslearn``: a Python loop over :func:`tslearn.metrics.dtw`;
- ``dtaidistance``: a loop over ``dtw.distance_fast`` (``dtw_ndim.distance_fast`` for
  c > 1) with ``use_pruning=False`` (with pruning it returns inf when DTW equals the
  Euclidean distance);
- ``aeon``: a loop over ``aeon.distances.dtw_distance`` (numba). aeon 1.6 needs
  numba < 0.64, so it runs in a separate interpreter given by ``--aeon-python`` or the
  ``ECOAI_AEON_PYTHON`` environment variable (e.g. a venv made with
  ``python -m venv /tmp/venv-aeon && /tmp/venv-aeon/bin/pip install aeon==1.6.0``);
- ``sktime``: a loop over ``sktime.distances.dtw_distance`` when sktime is importable.

A peer that is not installed is reported as such. Every time is the median of
``--repeats`` runs after a warm-up call (compile time excluded; ours is reported
separately, measured in fresh processes with an empty and then a filled numba cache).
Each peer's distances are compared with ours (max abs difference, tslearn's convention:
square root of the summed squared differences).

Cells are the DTW matrix cells visited: ``n * w * w`` without band, the band's cells
with one. Ratios are ours (all threads) / peer in pairs per second, measured in the same
run. The machine may be shared: compare ratios from one run, not absolute numbers
across runs.

Usage::

    python -m benchmarks.bench_dtw            # n = 5000 pairs, 5 repeats
    python -m benchmarks.bench_dtw --quick    # n = 300, 3 repeats, seconds
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numba
import numpy as np

from ecoai_sklearn.dtw import paired_dtw
from ecoai_sklearn.dtw._paired import sakoe_chiba_band

WINDOWS = (16, 24, 96)
CHANNELS = (1, 3)
BAND_FRACTION = 0.1


def _median_time(func, repeats):
    func()  # warm-up: compilation, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _radius(w, band):
    return int(np.floor(BAND_FRACTION * w)) if band else None


def _cells(w, radius):
    lo, hi = sakoe_chiba_band(w, w, radius)
    return int((hi - lo + 1).sum())


# ------------------------------------------------------------------------------- peers


def _tslearn_peer():
    try:
        from tslearn.metrics import dtw
    except ImportError:
        return None

    def run(X, Y, radius):
        kw = {} if radius is None else {"sakoe_chiba_radius": radius}
        return np.array([dtw(x, y, **kw) for x, y in zip(X, Y)])

    return run


def _dtaidistance_peer():
    try:
        from dtaidistance import dtw, dtw_ndim
    except ImportError:
        return None

    def run(X, Y, radius):
        # dtaidistance's window is radius + 1 (checked against tslearn)
        window = None if radius is None else radius + 1
        if X.shape[2] == 1:
            xs = [np.ascontiguousarray(x[:, 0]) for x in X]
            ys = [np.ascontiguousarray(y[:, 0]) for y in Y]
            return np.array(
                [dtw.distance_fast(x, y, window=window, use_pruning=False) for x, y in zip(xs, ys)]
            )
        return np.array(
            [dtw_ndim.distance_fast(x, y, window=window, use_pruning=False) for x, y in zip(X, Y)]
        )

    return run


def _sktime_peer():
    try:
        from sktime.distances import dtw_distance
    except ImportError:
        return None

    def run(X, Y, radius):
        w = X.shape[1]
        window = None if radius is None else radius / w
        # sktime: (n_channels, n_timepoints), returns the squared distance
        return np.sqrt([dtw_distance(x.T.copy(), y.T.copy(), window=window) for x, y in zip(X, Y)])

    return run


_AEON_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from aeon.distances import dtw_distance
    data = np.load(sys.argv[1])
    spec = json.loads(open(sys.argv[2]).read())
    out = {}
    for key, window, repeats in spec:
        X, Y = data[key + "_X"], data[key + "_Y"]
        # aeon: (n_channels, n_timepoints) or 1D; returns the squared distance
        if X.shape[2] == 1:
            xs = [np.ascontiguousarray(x[:, 0]) for x in X]
            ys = [np.ascontiguousarray(y[:, 0]) for y in Y]
        else:
            xs = [np.ascontiguousarray(x.T) for x in X]
            ys = [np.ascontiguousarray(y.T) for y in Y]
        def run():
            return np.array([dtw_distance(x, y, window=window) for x, y in zip(xs, ys)])
        values = run()
        times = []
        for _ in range(repeats):
            t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
        out[key] = {"time": float(np.median(times)), "values": np.sqrt(values).tolist()}
    print(json.dumps(out))
    """
)


def _run_aeon(python, datasets, repeats):
    """Time aeon in its own interpreter; return {key: (time, values)} or a reason."""
    if python is None:
        return "not installed (set --aeon-python)"
    if not os.path.exists(python):
        return f"not installed ({python} not found)"
    with tempfile.TemporaryDirectory() as tmp:
        arrays = {}
        spec = []
        for key, (X, Y, radius) in datasets.items():
            arrays[key + "_X"], arrays[key + "_Y"] = X, Y
            # aeon's float window: thickness = int(window * w), our radius exactly
            window = None if radius is None else BAND_FRACTION
            spec.append([key, window, repeats])
        np.savez(os.path.join(tmp, "data.npz"), **arrays)
        with open(os.path.join(tmp, "spec.json"), "w") as f:
            json.dump(spec, f)
        with open(os.path.join(tmp, "run.py"), "w") as f:
            f.write(_AEON_SCRIPT)
        proc = subprocess.run(
            [python, "run.py", "data.npz", "spec.json"], cwd=tmp, capture_output=True, text=True
        )
    if proc.returncode != 0:
        if "No module named 'aeon'" in proc.stderr:
            return f"not installed (no aeon in {python})"
        return "failed: " + proc.stderr.strip().splitlines()[-1]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {k: (v["time"], np.array(v["values"])) for k, v in result.items()}


def _compile_times():
    """First-call time of ours in fresh processes: empty numba cache, then filled.

    Two calls, one small (serial kernel) and one large (parallel kernel), float64.
    """
    code = (
        "import time, numpy as np; from ecoai_sklearn.dtw import paired_dtw;"
        "X = np.random.default_rng(0).normal(size=(2000, 96, 1));"
        "t = time.perf_counter(); paired_dtw(X[:70], X[70:140]); paired_dtw(X, X[::-1]);"
        "print(time.perf_counter() - t)"
    )
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            proc = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out.append(float(proc.stdout.strip()))
    return out


_HEADER = (
    f"{'config':<16} {'implementation':<22} {'pairs/s':>12} {'Mcells/s':>10} "
    f"{'ours/peer':>10} {'max|diff|':>10}"
)


def _print_row(key, name, n, cells, seconds, *, note="", ours_time=None, diff=None):
    if seconds is None:
        print(f"{key:<16} {name:<22} {note}")
        return
    ratio = "" if ours_time is None else f"{seconds / ours_time:10.1f}"
    diff = "" if diff is None else f"{diff:10.1e}"
    print(
        f"{key:<16} {name:<22} {n / seconds:12.4g} {n * cells / seconds / 1e6:10.1f} "
        f"{ratio:>10} {diff:>10}"
    )


def _bench_config(key, X, Y, radius, repeats, peers, aeon, threads):
    n, w = X.shape[0], X.shape[1]
    cells = _cells(w, radius)
    reference = paired_dtw(X, Y, window=radius)

    def ours(points=False):
        return paired_dtw(X, Y, window=radius, return_point_costs=points)

    ours_time = _median_time(ours, repeats)
    _print_row(key, "ours (default)", n, cells, ours_time, diff=0.0)
    numba.set_num_threads(1)
    try:
        one = _median_time(ours, repeats)
    finally:
        numba.set_num_threads(threads)
    _print_row(key, "ours (1 thread)", n, cells, one, ours_time=ours_time)
    with_points = _median_time(lambda: ours(points=True), repeats)
    _print_row(key, "ours + point costs", n, cells, with_points, ours_time=ours_time)
    for name, peer in peers.items():
        if peer is None:
            _print_row(key, name, n, cells, None, note="not installed")
            continue
        diff = float(np.max(np.abs(peer(X, Y, radius) - reference)))
        seconds = _median_time(lambda: peer(X, Y, radius), repeats)  # noqa: B023
        _print_row(key, name, n, cells, seconds, ours_time=ours_time, diff=diff)
    if isinstance(aeon, str):
        _print_row(key, "aeon", n, cells, None, note=aeon)
    else:
        seconds, values = aeon[key]
        diff = float(np.max(np.abs(values - reference)))
        _print_row(key, "aeon (own process)", n, cells, seconds, ours_time=ours_time, diff=diff)


# -------------------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="n=300, 3 repeats (seconds)")
    parser.add_argument("--n", type=int, default=None, help="number of pairs (default 5000)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5)")
    parser.add_argument(
        "--aeon-python",
        default=os.environ.get("ECOAI_AEON_PYTHON"),
        help="interpreter that has aeon installed (its numba must be < 0.64)",
    )
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 5000)
    repeats = args.repeats or (3 if args.quick else 5)
    threads = numba.get_num_threads()

    print(f"paired DTW benchmark: n={n} pairs, median of {repeats} repeats after a warm-up")
    print(
        f"numba threads={threads}, cpu_count={os.cpu_count()}, "
        f"load average at start={os.getloadavg()[0]:.2f}"
    )
    cold, warm = _compile_times()
    print(
        f"ours, first calls (serial and parallel kernel) in a fresh process: {cold:.2f} s "
        f"with an empty numba cache (compilation), {warm:.2f} s with the cache filled"
    )

    rng = np.random.default_rng(0)
    datasets = {}
    for w in WINDOWS:
        for c in CHANNELS:
            for band in (False, True):
                X = rng.normal(size=(n, w, c))
                Y = X + 0.3 * rng.normal(size=(n, w, c))
                datasets[f"w{w}_c{c}_{'band' if band else 'full'}"] = (X, Y, _radius(w, band))

    peers = {
        "tslearn": _tslearn_peer(),
        "dtaidistance": _dtaidistance_peer(),
        "sktime": _sktime_peer(),
    }
    aeon = _run_aeon(args.aeon_python, datasets, repeats)

    print()
    print(_HEADER)
    print("-" * len(_HEADER))
    for key, (X, Y, radius) in datasets.items():
        _bench_config(key, X, Y, radius, repeats, peers, aeon, threads)
    print()
    print("ours/peer: how many times faster ours (default threads) is than the peer; peers")
    print("are loops over pairs on one thread. Band radius = floor(0.1 * w). Ours runs on")
    print("the calling thread below ~8 M cell updates per call (small n or w).")
    print(f"load average at end={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
