"""Per-category Z thresholds: derived values next to the published ones, F1 and speed.

Run: ``python -m benchmarks.bench_thresholds [--seeds 4] [--days 364]`` (or
``python benchmarks/bench_thresholds.py ...``)

A. Thresholds for shares 70/20/8/2 % (industrial, general, late-night, agricultural) from
   the weighted-average expected ratio rule, from generated data, and as published
   (3.0, 3.1, 2.3, 1.7).
B. Held-out point-wise F1 on generated years (weeks 1-36 train, 37-52 test), mean and
   standard deviation over seeds, for two anomaly scenarios: events per category in
   proportion to 1 / share (the rule's assumption) and equal events per category (the
   assumption violated). Everything tuned is tuned on the training weeks only.
C. The same contenders on the LEAD1.0 buildings in ../shared/data (columns = buildings),
   when the file is there.
D. Speed: fit + predict time of the thresholder against IsolationForest, as a ratio.
"""

import argparse
import time

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.stats import norm
from sklearn.ensemble import IsolationForest

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import point_f1_score
from ecoai_sklearn.thresholding import WeightedZScoreThresholder, weighted_ratio_thresholds

try:
    from ._common import environment, shared_csv
except ImportError:  # run as a file: python benchmarks/bench_thresholds.py
    from _common import environment, shared_csv

SHARES = np.array([0.70, 0.20, 0.08, 0.02])
PUBLISHED = np.array([3.0, 3.1, 2.3, 1.7])
KINDS = ("spike", "surge", "sag", "level_shift", "noise")
LEAD = "lead_buildings.csv"


def f1(y_true, flagged):
    """Point-wise F1 of bool flags (0 when there is nothing to find and nothing flagged)."""
    return point_f1_score(y_true, flagged, pred_convention="binary", zero_division=0.0)


def categories(n_days, seed, counts_per_84_days, scale=0.25):
    """One column per category; anomalies of column k come from its own generator call."""
    columns, labels = [], []
    for k, n_k in enumerate(counts_per_84_days):
        X, y, _ = make_industrial_load(
            n_days,
            shares=SHARES,
            seasonal_amplitude=0.0,
            trend=0.0,
            anomaly_kinds=KINDS,
            n_anomalies=round(n_k * n_days / 84),
            anomaly_channels=k,
            anomaly_scale=scale,
            event_length=(2, 8),
            random_state=100 * seed + k,
        )
        columns.append(X[:, k])
        labels.append(y)
    return np.column_stack(columns), np.any(labels, axis=0)


def fit_rule_to_published():
    def loss_c(log_c):
        return np.sum((weighted_ratio_thresholds(SHARES, np.exp(log_c))[0] - PUBLISHED) ** 2)

    c = float(np.exp(minimize_scalar(loss_c, bounds=(-12, -1), method="bounded").x))

    def loss_cg(params):
        s = SHARES ** (1 - params[1])
        ratios = np.exp(params[0]) * SHARES ** -params[1] / s.sum()
        return np.sum((norm.isf(np.clip(ratios, 1e-12, 1) / 2) - PUBLISHED) ** 2)

    best = minimize(loss_cg, [np.log(c), 1.0], method="Nelder-Mead")
    return c, float(np.exp(best.x[0])), float(best.x[1])


def contenders(X_train, y_train, X_test, y_test, common):
    """Held-out F1 of each contender, all fitted on the training rows only."""
    y_int = y_train.astype(int)
    results = {}
    derived = WeightedZScoreThresholder(**common, expected_ratio="tune").fit(X_train, y_int)
    z_train = np.abs(derived.zscores(X_train))
    grid = np.round(np.arange(1.5, 6.0 + 1e-9, 0.05), 2)
    t = grid[int(np.argmax([f1(y_train, (z_train > g).any(axis=1)) for g in grid]))]
    detectors = {
        "global t (tuned)": WeightedZScoreThresholder(**common, thresholds=float(t)),
        "derived, c tuned": derived,
        "derived, c default": WeightedZScoreThresholder(**common),
        "per-column tuned": WeightedZScoreThresholder(**common, thresholds="tune"),
    }
    for name, detector in detectors.items():
        if name != "derived, c tuned":
            detector.fit(X_train, None if "default" in name else y_int)
        results[name] = f1(y_test, detector.predict(X_test) == -1)
    z_test = np.abs(derived.zscores(X_test))
    for name, contamination in [("IForest(|z|), auto", "auto"), ("IForest(|z|), c=rate", None)]:
        c = min(0.5, float(y_train.mean())) if contamination is None else contamination
        forest = IsolationForest(contamination=c, random_state=0).fit(z_train)
        results[name] = f1(y_test, forest.predict(z_test) == -1)
    return results, derived.thresholds_, detectors["per-column tuned"].thresholds_


def section_a(seed):
    print("A. Thresholds, shares 70/20/8/2 % (industrial, general, late-night, agricultural)")
    rows = [("published (research)", PUBLISHED)]
    rows.append(("rule c=0.0027 (default)", weighted_ratio_thresholds(SHARES, 0.0027)[0]))
    c, c2, g2 = fit_rule_to_published()
    rows.append((f"rule c={c:.4f} (c fitted)", weighted_ratio_thresholds(SHARES, c)[0]))
    rows.append(
        (
            f"rule c={c2:.4f} g={g2:.2f} (fitted)",
            weighted_ratio_thresholds(SHARES, c2, share_power=g2)[0],
        )
    )
    X, y = categories(364, seed, (1.5, 5.0, 12.5, 50.0))
    n_train = 252 * 96
    common = dict(period=96, weekly="weekend")
    auto = WeightedZScoreThresholder(**common).fit(X[:n_train])
    rows.append(("generated, shares estimated", auto.thresholds_))
    tuned_c = WeightedZScoreThresholder(**common, expected_ratio="tune")
    tuned_c.fit(X[:n_train], y[:n_train].astype(int))
    rows.append((f"generated, c tuned={tuned_c.expected_ratio_:.1e}", tuned_c.thresholds_))
    tuned = WeightedZScoreThresholder(**common, thresholds="tune")
    tuned.fit(X[:n_train], y[:n_train].astype(int))
    rows.append(("generated, per-column tuned", tuned.thresholds_))
    print(f"   estimated shares: {np.round(auto.shares_, 3).tolist()}")
    for name, values in rows:
        print(f"   {name:<34s}" + "".join(f"{v:7.2f}" for v in values))
    print()


def section_b(seeds, n_days):
    n_train = round(n_days * 36 / 52) * 96
    for scenario, counts in [
        ("events per category ~ 1/share (rule's assumption)", (1.5, 5.0, 12.5, 50.0)),
        ("equal events per category (assumption violated)", (17.25,) * 4),
    ]:
        scores = []
        for seed in range(seeds):
            X, y = categories(n_days, seed, counts)
            result, _, _ = contenders(
                X[:n_train],
                y[:n_train],
                X[n_train:],
                y[n_train:],
                dict(period=96, weekly="weekend"),
            )
            scores.append(result)
        print(f"B. Held-out F1, {scenario}, {seeds} seeds x {n_days} days")
        for name in scores[0]:
            values = np.array([s[name] for s in scores])
            spread = f"{values.mean():.3f} +- {values.std():.3f}"
            print(f"   {name:<24s} {spread}  {np.round(values, 3)}")
        print()


def section_c():
    path = shared_csv(LEAD)
    if path is None:
        print(f"C. LEAD1.0: {LEAD} not in the shared datasets, skipped\n")
        return
    import pandas as pd

    frame = pd.read_csv(path, parse_dates=["timestamp"])
    values = frame.pivot(index="timestamp", columns="series_id", values="value")
    labels = frame.pivot(index="timestamp", columns="series_id", values="label").fillna(0)
    values = values.interpolate(limit_direction="both")  # 29 missing hours of building 685
    X, y = values.to_numpy(), labels.to_numpy().any(axis=1)
    first = values.index[0]
    common = dict(period=24, weekly="weekend", phase=int(first.day_of_week * 24 + first.hour))
    n_train = int(len(X) * 2 / 3)
    shares = X[:n_train].mean(axis=0) / X[:n_train].mean(axis=0).sum()
    rates = labels.to_numpy()[:n_train].mean(axis=0)
    print("C. LEAD1.0 buildings (hourly 2016, columns = buildings, first 2/3 train)")
    print(f"   buildings {[c.split(':')[1] for c in values.columns]}")
    print(f"   shares {np.round(shares, 3).tolist()}  train anomaly rates {np.round(rates, 3)}")
    result, derived, tuned = contenders(X[:n_train], y[:n_train], X[n_train:], y[n_train:], common)
    print(f"   derived thresholds {np.round(derived, 2)}  per-column tuned {np.round(tuned, 2)}")
    for name, value in result.items():
        print(f"   {name:<24s} {value:.3f}")
    print()


def section_d(repeats=3):
    X, _ = categories(364, 0, (1.5, 5.0, 12.5, 50.0))

    def best_time(make):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            make().fit(X).predict(X)
            times.append(time.perf_counter() - start)
        return min(times)

    period = best_time(lambda: WeightedZScoreThresholder(period=96, weekly="weekend"))
    flat = best_time(WeightedZScoreThresholder)
    forest = best_time(lambda: IsolationForest(random_state=0))
    print(f"D. Speed, fit + predict on {X.shape[0]} x {X.shape[1]} (one year of 15-min data)")
    print(f"   thresholder (period=96, weekend groups)  {period:.3f} s")
    print(f"   thresholder (no period)                  {flat:.3f} s")
    print(f"   IsolationForest (100 trees)              {forest:.3f} s")
    print(f"   ratio IsolationForest / thresholder(period): {forest / period:.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--days", type=int, default=364)
    args = parser.parse_args()
    print(f"# {environment()}")
    section_a(seed=0)
    section_b(args.seeds, args.days)
    section_c()
    section_d()


if __name__ == "__main__":
    main()
