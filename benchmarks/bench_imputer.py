"""Gap filling: SeriesKNNImputer against KNNImputer on raw rows and linear interpolation.

Protocol: 60 days of :func:`~ecoai_sklearn.datasets.make_industrial_load` (4 channels of
15-minute load, no anomaly); removed: 2 % of the readings at random, ten 6-hour gaps
(one channel each) and two whole days (all channels). Each method fills the gaps of the
whole series; the error is the mean absolute error of the filled values divided by each
channel's mean (so channels of different shares weigh alike), averaged over channels.

Usage::

    python -m benchmarks.bench_imputer               # seeds 0, 1, 2
    python -m benchmarks.bench_imputer --seeds 0     # one seed, seconds

(or ``python benchmarks/bench_imputer.py ...``)
"""

import argparse

import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.preprocessing import SeriesKNNImputer

try:
    from ._common import environment, markdown_table
except ImportError:  # run as a file: python benchmarks/bench_imputer.py
    from _common import environment, markdown_table

DAY = 96
METHODS = {
    "SeriesKNNImputer (default)": lambda X: SeriesKNNImputer().fit_transform(X),
    "KNNImputer on raw rows": lambda X: KNNImputer().fit_transform(X),
    "linear interpolation": lambda X: (
        pd.DataFrame(X).interpolate(limit_direction="both").to_numpy()
    ),
}


def with_gaps(X, seed):
    """A copy of ``X`` with missing readings, and the mask of what was removed."""
    rng = np.random.default_rng(seed)
    n, c = X.shape
    missing = rng.random(X.shape) < 0.02
    for start in rng.choice(n - 24, size=10, replace=False):
        missing[start : start + 24, rng.integers(c)] = True
    for day in rng.choice(n // DAY, size=2, replace=False):
        missing[day * DAY : (day + 1) * DAY, :] = True
    gapped = X.copy()
    gapped[missing] = np.nan
    return gapped, missing


def relative_errors(X, seed):
    gapped, missing = with_gaps(X, seed)
    scale = X.mean(axis=0)
    errors = {}
    for name, fill in METHODS.items():
        filled = fill(gapped)
        per_channel = [
            np.abs(filled[missing[:, k], k] - X[missing[:, k], k]).mean() / scale[k]
            for k in range(X.shape[1])
        ]
        errors[name] = float(np.mean(per_channel))
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args(argv)
    print(f"# {environment()}")
    rows = []
    for seed in args.seeds:
        X, _, _ = make_industrial_load(n_days=args.days, n_anomalies=0, random_state=seed)
        for name, error in relative_errors(X, seed).items():
            rows.append([name, seed, error])
    print(markdown_table(["method", "seed", "mean abs. error / channel mean"], rows))
    return rows


if __name__ == "__main__":
    main()
