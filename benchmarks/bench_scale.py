"""End-to-end speed and memory of the default detector as the series grows.

Each size runs in a fresh subprocess: ``make_industrial_load`` (4 channels, 15-minute
steps), ``make_fft_cnngru_detector(random_state=0)`` fitted with the labels and then
``predict`` on the same rows. Reported per size: fit and predict wall time (median of
``--repeats`` runs), the peak resident memory of the child (``ru_maxrss``) minus its
resident memory after the imports, and the peak of traced Python/numpy allocations
(``tracemalloc``, torch's own CPU allocations are not traced). A log-log plot of time and
memory against n goes to ``benchmarks/scale.png`` (``--plot``).

Memory must not grow with n x window x channels: a materialised window array of one year
(35,040 x 96 x 4 float32) would take 54 MB, of 1,000,000 rows 1.5 GB.

Usage::

    python -m benchmarks.bench_scale                    # 8,760 .. 70,080 rows, 20 epochs
    python -m benchmarks.bench_scale --sizes 35040 1000000 --threads 2
    python -m benchmarks.bench_scale --quick            # 4 small sizes, 1 epoch (CI)
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

try:
    from ._common import environment, markdown_table
except ImportError:  # run as a file, as the child processes are
    from _common import environment, markdown_table

HEADER = [
    "rows",
    "fit s",
    "predict s",
    "rows/s (fit+predict)",
    "peak RSS growth MB",
    "traced peak MB",
    "n*w*c float32 MB",
    "F1 (in-sample)",
]


def child(n_rows, epochs, threads, quick):
    """Runs in the subprocess: one size, prints a JSON line."""
    import resource
    import time
    import tracemalloc

    import torch

    from ecoai_sklearn.datasets import make_industrial_load
    from ecoai_sklearn.metrics import point_f1_score
    from ecoai_sklearn.pipelines import make_fft_cnngru_detector

    torch.set_num_threads(threads)
    n_days = int(np.ceil(n_rows / 96))
    X, y, _ = make_industrial_load(
        n_days=n_days,
        anomaly_kinds=("spike", "surge", "sag", "outage"),
        n_anomalies=max(4, n_days // 4),
        random_state=0,
    )
    X, y = X[:n_rows], y[:n_rows]
    params = {"max_epochs": epochs}
    if quick:
        params["module__hidden_size"] = 8
    # warm-up on 10 days: numba compilation and lazy imports are one-off costs
    make_fft_cnngru_detector(random_state=0, estimator_params={**params, "max_epochs": 1}).fit(
        X[:960], y[:960]
    ).predict(X[:960])
    detector = make_fft_cnngru_detector(random_state=0, estimator_params=params)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    start = time.perf_counter()
    detector.fit(X, y)
    fitted = time.perf_counter()
    labels = detector.predict(X)
    done = time.perf_counter()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    w = int(detector.named_steps["windower"].window_size_)
    print(
        json.dumps(
            {
                "rows": n_rows,
                "fit": fitted - start,
                "predict": done - fitted,
                "rss_growth": peak_rss - base_rss,
                "traced": traced,
                "window_mb": n_rows * w * X.shape[1] * 4 / 2**20,
                "f1": float(point_f1_score(y, labels, zero_division=0.0)),
            }
        )
    )


def run_size(n_rows, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", str(n_rows)]
    cmd += ["--epochs", str(args.epochs), "--threads", str(args.threads)]
    cmd += ["--quick"] if args.quick else []
    results = []
    for _ in range(args.repeats):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return {"rows": n_rows, "error": proc.stderr.strip().splitlines()[-1:]}
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {key: float(np.median([r[key] for r in results])) for key in results[0]}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in results if "error" not in r]
    n = np.array([r["rows"] for r in ok])
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(8, 3.2))
    ax_t.loglog(n, [r["fit"] for r in ok], "o-", label="fit")
    ax_t.loglog(n, [r["predict"] for r in ok], "s-", label="predict")
    ax_t.loglog(n, n / n[0] * ok[0]["fit"], ":", color="grey", label="linear")
    ax_t.set(xlabel="rows", ylabel="seconds", title="time")
    ax_t.legend()
    ax_m.loglog(n, [max(r["rss_growth"], 1e-1) for r in ok], "o-", label="peak RSS growth")
    ax_m.loglog(n, [r["traced"] for r in ok], "s-", label="traced peak")
    ax_m.loglog(n, [r["window_mb"] for r in ok], ":", color="grey", label="n*w*c float32")
    ax_m.set(xlabel="rows", ylabel="MB", title="memory")
    ax_m.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 small sizes, 1 epoch")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--plot", default=None, help="path of the log-log plot (PNG)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 1 if args.quick else 20
    if args.child is not None:
        child(args.child, args.epochs, args.threads, args.quick)
        return None
    sizes = args.sizes or ([960, 1920, 3840, 7680] if args.quick else [8760, 17520, 35040, 70080])
    print(f"# bench_scale {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}; child torch threads {args.threads}, {args.epochs} epochs")
    results, rows = [], []
    for n in sizes:
        result = run_size(n, args)
        results.append(result)
        if "error" in result:
            rows.append([n, f"failed: {result['error']}", "", "", "", "", "", ""])
        else:
            total = result["fit"] + result["predict"]
            rows.append(
                [
                    int(n),
                    result["fit"],
                    result["predict"],
                    n / total,
                    result["rss_growth"],
                    result["traced"],
                    result["window_mb"],
                    result["f1"],
                ]
            )
        print(f"  {rows[-1]}", flush=True)
    print(markdown_table(HEADER, rows))
    ok = [r for r in results if "error" not in r]
    if len(ok) >= 2:
        n = np.log([r["rows"] for r in ok])
        for key in ("fit", "predict", "traced"):
            slope = np.polyfit(n, np.log([max(r[key], 1e-9) for r in ok]), 1)[0]
            print(f"log-log slope of {key}: {slope:.2f} (1 = linear in n)")
    if args.plot and ok:
        plot(results, args.plot)
        print(f"plot: {args.plot}")
    return rows


if __name__ == "__main__":
    main()
