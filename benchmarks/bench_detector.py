"""Time and peak memory of the default detector on one year of 15-minute data.

Fits ``make_fft_cnngru_detector()`` (or another factory) on 35,040 rows of
:func:`~ecoai_sklearn.datasets.make_industrial_load` (4 channels, one year) with their
labels, predicts the same rows, and prints the wall time of each stage, the peak memory
of numpy allocations (``tracemalloc``) and the peak resident memory of the process
(which includes torch). The goal is well under a minute for fit + predict on 2 cores.

A second part streams the scorer over many rows (default 1,000,000, ``w=96``) with a
cheap stand-in autoencoder, to show that memory stays bounded: the peak stays far below
the ``n * w * c`` floats a materialised window array would take.

Usage::

    python -m benchmarks.bench_detector                   # default detector, one year
    python -m benchmarks.bench_detector --detector multiscale --threads 2
    python -m benchmarks.bench_detector --quick           # 8 weeks, 2 epochs (smoke run)
    python -m benchmarks.bench_detector --stream-rows 0   # skip the streaming part
"""

import argparse
import resource
import time
import tracemalloc

import numpy as np
from sklearn.base import BaseEstimator

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import point_f1_score
from ecoai_sklearn.pipelines import (
    make_fft_cnngru_detector,
    make_lstmae_detector,
    make_multiscale_detector,
    make_usad_detector,
)
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.windowing import FFTWindower

FACTORIES = {
    "cnngru": make_fft_cnngru_detector,
    "lstmae": make_lstmae_detector,
    "usad": make_usad_detector,
    "multiscale": make_multiscale_detector,
}


class _Shrink(BaseEstimator):
    """Stand-in autoencoder for the streaming part: reconstructs ``0.9 * X``."""

    def fit(self, X, y=None):
        return self

    def reconstruct(self, X):
        return 0.9 * np.asarray(X, dtype=np.float32)


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_detector(args):
    import torch

    torch.set_num_threads(args.threads)
    n_days = 56 if args.quick else args.days
    X, y, _ = make_industrial_load(
        n_days=n_days,
        anomaly_kinds=("spike", "surge", "sag", "outage"),
        n_anomalies=max(4, n_days // 4),
        random_state=0,
    )
    if args.detector == "multiscale":
        detector = make_multiscale_detector(random_state=0)
        if args.quick:
            detector.set_params(
                **{f"scales__scale{k}__scorer__estimator__max_epochs": 2 for k in range(3)}
            )
    else:
        params = {"max_epochs": 2} if args.quick else {}
        detector = FACTORIES[args.detector](random_state=0, estimator_params=params)

    tracemalloc.start()
    start = time.perf_counter()
    detector.fit(X, y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    labels = detector.predict(X)
    predict_s = time.perf_counter() - start
    _, numpy_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        f"detector: {args.detector}, {len(X)} rows x {X.shape[1]} channels, "
        f"torch threads: {args.threads}"
    )
    windowers = [step for _, step in detector.named_steps.items() if isinstance(step, FFTWindower)]
    if windowers:
        scorer = detector.named_steps["scorer"]
        print(
            f"window: {windowers[0].window_size_}, training windows: "
            f"{scorer.n_train_windows_} (stride {scorer.train_stride_}), "
            f"epochs: {scorer.estimator_.n_iter_}"
        )
    print(f"fit:     {fit_s:7.1f} s")
    print(f"predict: {predict_s:7.1f} s")
    print(f"total:   {fit_s + predict_s:7.1f} s   ({(fit_s + predict_s) / 60:.2f} of a minute)")
    print(f"peak numpy/python memory (tracemalloc): {numpy_peak / 1e6:8.1f} MB")
    print(f"peak resident memory of the process:    {_peak_rss_mb():8.1f} MB")
    f1 = point_f1_score(y, labels, pred_convention="sign")
    print(f"in-sample point F1 (fit rows, for orientation only): {f1:.2f}")


def bench_streaming(n_rows, window=96):
    X = np.sin(np.arange(n_rows) / 15.0)[:, np.newaxis]
    windows = FFTWindower(window_size=window).fit(X[: 4 * window]).transform(X)
    scorer = DTWReconstructionScorer(_Shrink(), train_stride=10_000).fit(windows)
    tracemalloc.start()
    start = time.perf_counter()
    features = scorer.transform(windows)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense = n_rows * window * 8
    print(f"\nstreaming: {n_rows} rows, w={window}, DTW path costs, batch 8192")
    print(f"transform: {seconds:7.1f} s, features {features.shape}")
    print(
        f"peak numpy memory {peak / 1e6:8.1f} MB vs {dense / 1e6:8.1f} MB for n x w float64 "
        f"(ratio {peak / dense:.3f})"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--detector", choices=sorted(FACTORIES), default="cnngru")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stream-rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    bench_detector(args)
    if args.stream_rows:
        bench_streaming(200_000 if args.quick else args.stream_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
