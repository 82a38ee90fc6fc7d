"""The factories' defaults against their alternatives (benchmarks/RESULTS.md, section 6).

Protocol: :func:`~ecoai_sklearn.datasets.make_industrial_load` (4 channels of 15-minute
load, 84 days, 24 events of the chosen kinds); ``make_fft_cnngru_detector`` with one
parameter changed per variant, fitted with labels on the first 8 weeks and judged
point-wise on the 4 weeks after them, scored with the last window of the training weeks
as history (so the first judged rows see the readings before them); no threshold sees
the test labels. Reported per variant and seed: point F1 of ``predict``, best F1 (the
threshold chosen on the test labels: an upper bound, not a result), ROC AUC and PR AUC
(average precision) of the anomaly score ``-decision_function``.

Usage::

    python -m benchmarks.bench_defaults                     # all variants, seeds 0 and 1
    python -m benchmarks.bench_defaults --kinds sags --seeds 0 1 2 3
    python -m benchmarks.bench_defaults --variants defaults include_values=False
    python -m benchmarks.bench_defaults --set contamination=0.05   # changes every variant
    python -m benchmarks.bench_defaults --quick             # 21 days, 2 epochs (smoke run)

(or ``python benchmarks/bench_defaults.py ...``)
"""

import argparse
import ast
import time

import numpy as np

from ecoai_sklearn.datasets import ANOMALY_KINDS, make_industrial_load
from ecoai_sklearn.metrics import best_f1_score
from ecoai_sklearn.pipelines import make_fft_cnngru_detector

try:
    from ._common import at_threshold, environment, markdown_table, set_threads
except ImportError:  # run as a file: python benchmarks/bench_defaults.py
    from _common import at_threshold, environment, markdown_table, set_threads

SAMPLES_PER_DAY = 96
KINDS = {
    "spikes": ("spike", "surge", "outage"),
    "sags": ("spike", "surge", "outage", "sag"),
    "all": ANOMALY_KINDS,
}
VARIANTS = {
    "defaults": {},
    'aggregation="covering"': {"aggregation": "covering"},
    'metric="mse"': {"metric": "mse"},
    "difference=True": {"difference": True},
    "include_values=False": {"include_values": False},
    'final_step="zscore"': {"final_step": "zscore"},
    "contamination=0.01": {"contamination": 0.01},
    "contamination=0.02": {"contamination": 0.02},
    "contamination=0.05": {"contamination": 0.05},
    'contamination="auto"': {"contamination": "auto"},
}
HEADER = ["variant", "seed", "point F1", "best F1 (oracle)", "ROC AUC", "PR AUC", "fit s"]


def run(variant, seed, *, n_days, n_events, kinds, estimator_params, settings=None):
    """Metrics of one variant (on top of ``settings``) on one generated series."""
    X, y, _ = make_industrial_load(
        n_days=n_days, n_anomalies=n_events, anomaly_kinds=kinds, random_state=seed
    )
    split = (n_days * 2 // 3) * SAMPLES_PER_DAY
    params = {**(settings or {}), **VARIANTS[variant]}
    detector = make_fft_cnngru_detector(
        random_state=seed, estimator_params=estimator_params, **params
    )
    start = time.perf_counter()
    detector.fit(X[:split], y[:split])
    fit_time = time.perf_counter() - start
    history = int(detector.named_steps["windower"].window_size_)
    scores = -detector.decision_function(X[split - history :])[history:]
    y_test = y[split:]
    # predict's rule: a score above 0 is an anomaly (at_threshold flags scores >= threshold)
    result = at_threshold(y_test, scores, np.nextafter(0.0, 1.0))
    oracle = best_f1_score(y_test, scores)
    return [result["f1"], oracle, result["roc_auc"], result["pr_auc"], fit_time]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--kinds", choices=list(KINDS), default="spikes")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a factory parameter for every variant (VALUE a Python literal)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--quick", action="store_true", help="21 days, 2 epochs, small net")
    args = parser.parse_args(argv)
    settings = {}
    for pair in args.set:
        key, _, value = pair.partition("=")
        settings[key] = ast.literal_eval(value)
    set_threads(args.threads)
    n_days, n_events, params = 84, 24, None
    if args.quick:
        n_days, n_events = 21, 6
        params = {"max_epochs": 2, "module__hidden_size": 8}
    print(f"# {environment()}")
    print(
        f"# bench_defaults: {n_days} days, {n_events} events of {KINDS[args.kinds]}"
        + (f", every variant with {settings}" if settings else "")
    )
    rows = []
    for variant in args.variants:
        for seed in args.seeds:
            metrics = run(
                variant,
                seed,
                n_days=n_days,
                n_events=n_events,
                kinds=KINDS[args.kinds],
                estimator_params=params,
                settings=settings,
            )
            rows.append([variant, seed, *metrics])
            print(markdown_table(HEADER, rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(markdown_table(HEADER, rows))
    return rows


if __name__ == "__main__":
    main()
