"""Fleet refit throughput: one detector per meter with PerSeriesDetector.

Generates ``--meters`` meters, each ``make_industrial_load(n_days=--days,
random_state=i)`` (4 channels, 15-minute readings: 8 weeks = 5,376 rows by default), in
one long frame, and times ``PerSeriesDetector(detector).fit(frame)`` three ways:

* ``n_jobs=1``: one process, meters one after the other;
* ``n_jobs=2``: joblib's default (loky) backend, two worker processes;
* ``dask``: ``joblib.parallel_config(backend="dask")`` on a ``LocalCluster`` of two
  worker processes with one thread each.

Start-up (worker processes, imports, first calls of the numba kernels) is paid once per
process, not per night: each run is preceded by an untimed warm-up fit of two meters,
and the parallel runs' start-up time is reported apart. Every run must give the same
decision values as ``n_jobs=1`` on the first meters (``same`` column): seeds do not
depend on the backend.

From the cost of one meter (``n_jobs=1`` wall time / meters, one core) the last table
projects how many single-core workers refit 10,000 meters in an 8-hour night, ideally
and at the parallel efficiency measured with two workers.

Every process computes on one core: torch and numba (the DTW kernel) get one thread each
(``OMP_NUM_THREADS=1``, ``NUMBA_NUM_THREADS=1``, set here before any import and
inherited by the workers), so that ``n_jobs=1`` is one core and two workers are two
cores without oversubscription. One intra-op thread fits these models as fast as two,
and far faster when other processes are busy (DESIGN.md).

Usage::

    python benchmarks/bench_fleet.py                           # 100 meters x 8 weeks
    python benchmarks/bench_fleet.py --detector lstmae --meters 20
    python benchmarks/bench_fleet.py --quick                   # 6 meters x 2 weeks, tiny nets (CI)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import inspect
import logging
import math
import platform
import time
import warnings

import numpy as np
import pandas as pd

NIGHT_HOURS = 8
FLEET_SIZE = 10_000
CHECKED_METERS = 3  # meters whose decision values are compared across runs
# Tiny networks for --quick: the point is the plumbing, not the models.
QUICK_PARAMS = {
    "max_epochs": 1,
    "batch_size": 128,
    "module__conv_channels": (4,),
    "module__hidden_size": 8,
    "module__latent_size": 4,
}


def default_detector_name():
    from ecoai_sklearn import pipelines

    return "default" if hasattr(pipelines, "make_default_detector") else "fft_cnngru"


def build_detector(name, quick):
    """``make_<name>_detector(random_state=0)``, with tiny networks in quick mode."""
    from ecoai_sklearn import pipelines

    factory = getattr(pipelines, f"make_{name}_detector", None)
    if factory is None:
        names = sorted(n[5:-9] for n in dir(pipelines) if n.startswith("make_") and "detector" in n)
        raise SystemExit(f"unknown --detector {name!r}; available: {', '.join(names)}")
    parameters = inspect.signature(factory).parameters
    kwargs = {"random_state": 0} if "random_state" in parameters else {}
    if quick and "estimator_params" in parameters:
        kwargs["estimator_params"] = dict(QUICK_PARAMS)
        if name in ("lstmae", "usad"):  # other module parameters than the CNN-GRU's
            kwargs["estimator_params"] = {"max_epochs": 1, "batch_size": 128}
    return factory(**kwargs)


def make_fleet(n_meters, n_days):
    """Long frame: timestamp, the 4 channels, label, series_id; meters one after another."""
    from ecoai_sklearn.datasets import make_industrial_load

    frames = []
    for i in range(n_meters):
        X, y, _ = make_industrial_load(n_days=n_days, random_state=i, as_frame=True)
        frame = X.reset_index()
        frame["label"] = y.to_numpy()
        frame["series_id"] = f"meter_{i:05d}"
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def timed_fit(detector, frame, *, n_jobs=None):
    from ecoai_sklearn.fleet import PerSeriesDetector

    model = PerSeriesDetector(detector, n_jobs=n_jobs, on_error="raise")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame)
    return model, time.perf_counter() - start


def first_meters(frame, n):
    ids = frame["series_id"].unique()[:n]
    return frame[frame["series_id"].isin(ids)]


def run(args):
    import joblib

    detector = build_detector(args.detector, args.quick)
    frame = make_fleet(args.meters, args.days)
    warm = first_meters(frame, 2)
    check = first_meters(frame, CHECKED_METERS)
    rows, reference, startup = [], None, {}

    def record(label, workers, model, seconds):
        nonlocal reference
        values = model.decision_function(check)
        if reference is None:
            reference = values
        rows.append(
            {
                "run": label,
                "workers": workers,
                "meters": args.meters,
                "fit s": seconds,
                "meters/min": 60 * args.meters / seconds,
                "s/meter": seconds / args.meters,
                "speed-up": rows[0]["fit s"] / seconds if rows else 1.0,
                "same": bool(np.array_equal(values, reference, equal_nan=True)),
            }
        )

    timed_fit(detector, warm, n_jobs=1)  # imports and first calls in this process
    model, seconds = timed_fit(detector, frame, n_jobs=1)
    record("n_jobs=1", 1, model, seconds)

    start = time.perf_counter()
    with joblib.parallel_config(backend="loky", n_jobs=2):
        timed_fit(detector, warm, n_jobs=2)  # starts the worker processes
        startup["n_jobs=2"] = time.perf_counter() - start
        model, seconds = timed_fit(detector, frame, n_jobs=2)
        record("n_jobs=2 (loky)", 2, model, seconds)

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("distributed is not installed: no Dask run (pip install ecoai_sklearn[dask])")
    else:
        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster),
            joblib.parallel_config(backend="dask"),
        ):
            timed_fit(detector, warm)
            startup["dask"] = time.perf_counter() - start
            model, seconds = timed_fit(detector, frame)
            record("dask LocalCluster", 2, model, seconds)
    return rows, startup


def projection(rows):
    """Workers to refit FLEET_SIZE meters in NIGHT_HOURS, from the measured costs."""
    per_meter = rows[0]["s/meter"]
    budget = NIGHT_HOURS * 3600
    ideal = math.ceil(FLEET_SIZE * per_meter / budget)
    out = [["ideal (linear)", per_meter, 1.0, ideal]]
    for row in rows[1:]:
        efficiency = row["speed-up"] / row["workers"]
        out.append([row["run"], per_meter, efficiency, math.ceil(ideal / efficiency)])
    return out


def markdown(header, rows):
    def fmt(value):
        if isinstance(value, bool):
            return "yes" if value else "NO"
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def environment():
    import joblib
    import sklearn
    import torch

    versions = [f"python {platform.python_version()}", f"scikit-learn {sklearn.__version__}"]
    versions += [f"torch {torch.__version__}", f"joblib {joblib.__version__}"]
    try:
        import distributed

        versions.append(f"distributed {distributed.__version__}")
    except ImportError:
        pass
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}; " + ", ".join(versions)
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, default=None, help="meters (default 100)")
    parser.add_argument("--days", type=int, default=None, help="days per meter (default 56)")
    parser.add_argument(
        "--detector",
        default=None,
        help="factory make_<NAME>_detector of ecoai_sklearn.pipelines (default: "
        "'default' if it exists, else 'fft_cnngru')",
    )
    parser.add_argument("--quick", action="store_true", help="6 meters x 14 days, tiny nets")
    args = parser.parse_args(argv)
    args.meters = args.meters or (6 if args.quick else 100)
    args.days = args.days or (14 if args.quick else 56)
    args.detector = args.detector or default_detector_name()

    import torch

    torch.set_num_threads(1)
    rows, startup = run(args)
    header = ["run", "workers", "meters", "fit s", "meters/min", "s/meter", "speed-up", "same"]
    print(
        f"\n## Fleet refit: {args.meters} meters x {args.days} days "
        f"({args.days * 96} rows x 4 channels each), detector {args.detector!r}"
        f"{' (quick: tiny nets)' if args.quick else ''}\n"
    )
    print(markdown(header, [[row[h] for h in header] for row in rows]))
    print(
        "\nWorker start-up, paid once and not in the times above: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in startup.items())
    )
    print(f"\n## Workers to refit {FLEET_SIZE:,} meters in {NIGHT_HOURS} hours\n")
    print(
        markdown(
            ["scaling", "s/meter (1 core)", "efficiency", "workers"],
            projection(rows),
        )
    )
    print(f"\n{environment()}")
    return rows


if __name__ == "__main__":
    main()
