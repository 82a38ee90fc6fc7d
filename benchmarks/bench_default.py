"""Cost of the default detector on one year of 15-minute data, alone and on a shared machine.

Fits ``make_default_detector()`` on 35,040 rows x 4 channels of
:func:`~ecoai_sklearn.datasets.make_industrial_load` (one year) and predicts the same
rows, with the thread settings given (BLAS threads through ``threadpoolctl``; member
threads through ``n_jobs``). Each setting runs ``--repeats`` times; the median is
printed. Then the same runs beside one other CPU-bound process (a pure-Python busy loop
in a subprocess), and the ratio busy / idle. Goals (issue #12): at most 15 s for fit +
predict on 2 idle cores, at most 2x slower with one other CPU-bound process.

Usage::

    python -m benchmarks.bench_default                 # 1 and 2 BLAS threads, idle and busy
    python -m benchmarks.bench_default --quick         # 8 weeks, one repeat
    python -m benchmarks.bench_default --research      # also the research detector (slow),
                                                       # with 1 and 2 torch threads
"""

import argparse
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

try:
    from ._common import environment, markdown_table
except ImportError:  # run as a file: python benchmarks/bench_default.py
    from _common import environment, markdown_table

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.pipelines import make_default_detector, make_fft_cnngru_detector

#: (label, BLAS threads, n_jobs of the ensemble)
SETTINGS = [("1 thread", 1, None), ("2 BLAS threads", 2, None), ("2 member threads", 1, 2)]


def _time(make, X, threads):
    with threadpool_limits(threads):
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:  # pragma: no cover - torch is a dependency
            pass
        start = time.perf_counter()
        detector = make().fit(X)
        fitted = time.perf_counter()
        detector.predict(X)
        return fitted - start, time.perf_counter() - fitted


class _Busy:
    """One other CPU-bound process for the duration of a ``with`` block."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def measure(X, repeats, research):
    detectors = [(label, threads, jobs, "default") for label, threads, jobs in SETTINGS]
    if research:  # torch threads of the autoencoder: its n_threads, set to the same count
        detectors.append(("1 thread", 1, None, "research"))
        detectors.append(("2 threads", 2, None, "research"))
    rows = []
    for label, threads, jobs, kind in detectors:

        def make(jobs=jobs, kind=kind, threads=threads):
            if kind == "research":
                params = {"n_threads": threads}
                return make_fft_cnngru_detector(random_state=0, estimator_params=params)
            return make_default_detector(n_jobs=jobs)

        medians = {}
        for load in ("idle", "busy"):
            runs = []
            for _ in range(repeats):
                if load == "busy":
                    with _Busy():
                        runs.append(_time(make, X, threads))
                else:
                    runs.append(_time(make, X, threads))
            fit, predict = np.median(np.array(runs), axis=0)
            medians[load] = (fit, predict)
            print(f"  {kind} {label} {load}: fit {fit:.1f} s, predict {predict:.1f} s", flush=True)
        idle, busy = sum(medians["idle"]), sum(medians["busy"])
        rows.append([f"{kind}, {label}", *medians["idle"], idle, busy, busy / idle])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 weeks, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--research", action="store_true", help="also the research detector")
    args = parser.parse_args(argv)
    days = 56 if args.quick else 365
    repeats = 1 if args.quick else args.repeats
    X, _, _ = make_industrial_load(n_days=days, random_state=0)
    print(f"# bench_default {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    print(f"# {X.shape[0]} rows x {X.shape[1]} channels, median of {repeats} runs")
    rows = measure(X, repeats, args.research)
    header = ["detector, threads", "fit s", "predict s", "idle s", "busy s", "busy / idle"]
    print()
    print(markdown_table(header, rows))
    return rows


if __name__ == "__main__":
    main()
