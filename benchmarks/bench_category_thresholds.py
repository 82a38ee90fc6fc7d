"""Per-category Z thresholds on generated category data: what failed, and the defaults now.

Run: ``python -m benchmarks.bench_category_thresholds [--quick] [--seeds 0 1 2 3 4]
[--days 112]`` (or ``python benchmarks/bench_category_thresholds.py ...``).

Data: :func:`~ecoai_sklearn.datasets.make_industrial_load` with shares 70/20/8/2 %
(industrial, general, late-night, agricultural), 15-minute readings (period 96), every
anomaly kind on every channel (the generator's defaults, 0.1 event a day); the first half
of the days trains, the later half tests. Two scenarios:

- ``stationary``: ``seasonal_amplitude=0, trend=0`` (the weekly cycle stays: weekends at
  0.6 of the weekday level);
- ``seasonal``: the generator's defaults (a yearly cycle of 15 % and a 5 % trend), so
  the level of the test half drifts away from the training half.

Contenders, all fitted on the training half (point F1 on the test half):

- ``before``: the former defaults, ``WeightedZScoreThresholder(period=96, weekly=None,
  expected_ratio=0.0027, level_window=None)``, fitted without labels and with them
  (labels only cleaned the profile then);
- the parts of the fix added one at a time: ``+ weekly="auto"`` (day groups learned),
  ``+ expected_ratio="auto"`` (the level ``c`` set per row), then ``after`` (``+
  level_window="auto"``, the level tracked over the trailing week): the current defaults,
  ``WeightedZScoreThresholder(period=96)``; ``after + labels``: labels choose ``c``;
- ``global cut, train-tuned``: one cut on ``max_k |z_k|`` of the ``after`` profile, the
  best F1 on the training labels; ``global cut, oracle``: the best cut on the test labels
  (an upper bound), on the ``before`` profile (as in the issue) and on the ``after`` one.

Diagnostics per scenario: the fraction of normal training and test rows flagged by
``before`` and ``after``, and the largest mean Z of a column over the normal test rows
(0 without drift).
"""

import argparse

import numpy as np

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import best_f1_score, point_f1_score
from ecoai_sklearn.thresholding import WeightedZScoreThresholder

try:
    from ._common import environment
except ImportError:  # run as a file: python benchmarks/bench_category_thresholds.py
    from _common import environment

SHARES = (0.70, 0.20, 0.08, 0.02)
PERIOD = 96
SCENARIOS = {
    "stationary": dict(seasonal_amplitude=0.0, trend=0.0),
    "seasonal": dict(),
}
BEFORE = dict(weekly=None, expected_ratio=0.0027, level_window=None)
AFTER = 'after (+ level_window="auto")'
STEPS = {
    "before": BEFORE,
    '+ weekly="auto"': dict(BEFORE, weekly="auto"),
    '+ expected_ratio="auto"': dict(BEFORE, weekly="auto", expected_ratio="auto"),
    AFTER: dict(),
}
CONTENDERS = (
    "before",
    "before + labels",
    *list(STEPS)[1:],
    "after + labels",
    "global cut, train-tuned",
    "global cut, oracle (before profile)",
    "global cut, oracle (after profile)",
)
GRID = np.round(np.arange(1.5, 8.0 + 1e-9, 0.05), 2)


def f1(y_true, flagged):
    """Point F1 of bool flags (0 when nothing is flagged)."""
    return point_f1_score(y_true, flagged, pred_convention="binary", zero_division=0.0)


def split(scenario, n_days, seed):
    X, y, _ = make_industrial_load(n_days, shares=SHARES, random_state=seed, **SCENARIOS[scenario])
    n_train = (n_days // 2) * PERIOD
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def run_seed(scenario, n_days, seed):
    """F1 of every contender and the diagnostics, for one generated series."""
    X_train, y_train, X_test, y_test = split(scenario, n_days, seed)
    fitted = {
        name: WeightedZScoreThresholder(period=PERIOD, **params).fit(X_train)
        for name, params in STEPS.items()
    }
    fitted["before + labels"] = WeightedZScoreThresholder(period=PERIOD, **BEFORE)
    fitted["before + labels"].fit(X_train, y_train)
    fitted["after + labels"] = WeightedZScoreThresholder(period=PERIOD).fit(X_train, y_train)
    scores = {name: f1(y_test, d.predict(X_test) == -1) for name, d in fitted.items()}
    before, after = fitted["before"], fitted[AFTER]
    peak_train = np.abs(after.zscores(X_train)).max(axis=1)
    peak_test = np.abs(after.zscores(X_test)).max(axis=1)
    train_f1 = [f1(y_train, peak_train > t) for t in GRID]
    cut = GRID[int(np.argmax(train_f1))]
    scores["global cut, train-tuned"] = f1(y_test, peak_test > cut)
    peak_before = np.abs(before.zscores(X_test)).max(axis=1)
    scores["global cut, oracle (before profile)"] = best_f1_score(y_test, peak_before)
    scores["global cut, oracle (after profile)"] = best_f1_score(y_test, peak_test)

    # rows sit at their cycle position: predict whole blocks, then keep the normal rows
    normal_train, normal_test = y_train == 0, y_test == 0
    diagnostics = {"test anomaly rate": float(y_test.mean())}
    for name in STEPS:
        detector = fitted[name]
        flagged_train = detector.predict(X_train)[normal_train] == -1
        flagged_test = detector.predict(X_test)[normal_test] == -1
        drift = np.abs(detector.zscores(X_test)[normal_test].mean(axis=0)).max()
        diagnostics[f"{name}: normal train rows flagged"] = float(flagged_train.mean())
        diagnostics[f"{name}: normal test rows flagged"] = float(flagged_test.mean())
        diagnostics[f"{name}: largest |mean z| of a column, normal test rows"] = float(drift)
    diagnostics["after: weekend split found"] = float(after.day_groups_ is not None)
    diagnostics["after: expected_ratio_ c"] = float(after.expected_ratio_)
    diagnostics["after + labels: tuned c"] = float(fitted["after + labels"].expected_ratio_)
    return scores, diagnostics


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds x 56 days")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--days", type=int, default=112)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    args = parser.parse_args(argv)
    seeds, n_days = (args.seeds[:2], 56) if args.quick else (args.seeds, args.days)
    print(f"# {environment()}")
    print(f"# shares {SHARES}, period {PERIOD}, {n_days} days (first half trains), seeds {seeds}")
    rows = []
    for scenario in args.scenarios:
        runs = [run_seed(scenario, n_days, seed) for seed in seeds]
        print(f"\n## {scenario}: point F1 on the later half, mean and per seed")
        print("| contender | mean F1 | per seed |")
        print("|---|---|---|")
        for name in CONTENDERS:
            values = np.array([scores[name] for scores, _ in runs])
            rows.append((scenario, name, float(values.mean()), values.tolist()))
            print(f"| {name} | {values.mean():.3f} | {' '.join(f'{v:.3f}' for v in values)} |")
        print(f"\n{scenario} diagnostics (mean over seeds):")
        for key in runs[0][1]:
            values = [diagnostics[key] for _, diagnostics in runs]
            print(f"- {key}: {np.mean(values):.4g}")
    return rows


if __name__ == "__main__":
    main()
