"""How good are the default detector's alarms? Its "auto" cut against other training-only cuts.

PR AUC and VUS-PR (``bench_quality.py``) judge how the scores rank the rows; a user sees
the alarms: the rows whose score crosses the cut that ``fit`` set on the training rows.
This script scores each series once with ``make_default_detector()`` and compares cuts,
each computed from the **training rows' scores only** (no test label chooses anything):

- ``auto``: the detector's own (``contamination="auto"``): median + 4 robust standard
  deviations (1.4826 x MAD) of the training scores;
- ``madK``: median + K robust standard deviations, K = 3, 5;
- ``left_mad4``: median + 4 x 1.4826 x the median distance *below* the median (a spread
  that anomalies in the training rows, which lie above the median, cannot widen);
- ``clipped4``: the ``auto`` rule applied again to the rows below the last cut, until the
  cut stops moving (sigma clipping);
- ``q0.99``: the 99th percentile of the training scores (``contamination=0.01``).

Per cut: mean point-wise F1, event-wise F1 (an event counts as found when any of its rows
is flagged), the share of judged rows flagged and the alarms (stretches of flagged rows)
per 1,000 judged rows; and the same counts where there is nothing to find: the series of
the shared data whose second half holds no anomaly, and the demo's load generated
without anomalies (every alarm there is false).

Protocol: the series of ``bench_quality.py`` (fit on the first half without labels, judge
the second half; series without anomalies in the second half left out), plus the
synthetic load of ``ecoai-detect demo`` (seeds 0-4, 21 days: fit on 14, judge 7; one
event every two days, so its training days hold anomalies).

Usage::

    python -m benchmarks.bench_alarms               # every series
    python -m benchmarks.bench_alarms --groups generated   # the 8 generated series
    python -m benchmarks.bench_alarms --quick       # 4 short series, 2 demo seeds
"""

import argparse
import sys
import warnings

import numpy as np

try:
    from ._common import environment, markdown_table
    from .bench_quality import GROUPS, load_series
except ImportError:  # run as a file: python benchmarks/bench_alarms.py
    from _common import environment, markdown_table
    from bench_quality import GROUPS, load_series

def robust_cut(scores, k):
    """``k`` robust standard deviations (1.4826 x MAD) above the median of ``scores``."""
    median = np.median(scores)
    return median + k * 1.4826 * np.median(np.abs(scores - median))


def cuts(train_scores):
    """Every compared cut, from the training rows' anomaly scores (higher = more anomalous)."""
    from ecoai_sklearn.pipelines._ensemble import AUTO_CUT, _offset

    a = np.asarray(train_scores, dtype=np.float64)
    median = np.median(a)
    below = a[a <= median]
    clipped = robust_cut(a, AUTO_CUT)
    for _ in range(50):  # sigma clipping: the same rule on the rows below the last cut
        cut = robust_cut(a[a <= clipped], AUTO_CUT)
        if np.isclose(cut, clipped):
            break
        clipped = cut
    return {
        "mad3": robust_cut(a, 3),
        "auto": -_offset(-a, "auto"),  # the detector's own rule (score_samples = -a)
        "mad5": robust_cut(a, 5),
        "left_mad4": median + AUTO_CUT * 1.4826 * np.median(median - below),
        "clipped4": clipped,
        "q0.99": float(np.quantile(a, 0.99)),
    }


def alarm_scores(truth, flagged):
    """F1s (when ``truth`` holds anomalies), share of rows flagged, alarms per 1,000 rows."""
    from ecoai_sklearn.metrics import event_f1_score, point_f1_score
    from ecoai_sklearn.utils import runs

    result = {
        "flagged": float(np.mean(flagged)),
        "alarms_per_1000": 1000.0 * len(runs(flagged)[0]) / len(flagged),
    }
    if truth.any():
        kwargs = {"pred_convention": "binary", "zero_division": 0.0}
        result["f1"] = float(point_f1_score(truth, flagged, **kwargs))
        result["event_f1"] = float(event_f1_score(truth, flagged, **kwargs))
    return result


def run_one(X, y, split):
    from ecoai_sklearn.pipelines import make_default_detector

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detector = make_default_detector().fit(X[:split])
        train = -detector.score_samples(X[:split])
        scores = -detector.score_samples(X)[split:]
        own = detector.predict(X)[split:] == -1
    result = {}
    for rule, cut in cuts(train).items():
        flagged = (scores > cut).astype(np.int64)
        result[rule] = alarm_scores(np.asarray(y[split:]), flagged)
    # the script's "auto" is the detector's own rule, recomputed: check they agree
    result["auto_matches_predict"] = bool(np.mean(own == (scores > cuts(train)["auto"])) > 0.999)
    return result


def demo_series(seeds, n_days=21, clean=False):
    """The demo's load (or the same without anomalies), fitted on its first 2/3."""
    from ecoai_sklearn.cli._demo import demo_data
    from ecoai_sklearn.datasets import make_industrial_load

    for seed in seeds:
        if clean:
            X, y, _ = make_industrial_load(n_days=n_days, n_anomalies=0, random_state=seed)
        else:
            X, y, _ = demo_data(n_days, seed)
        name = f"{'clean ' if clean else ''}demo:{seed}"
        yield name, np.asarray(X, np.float64), np.asarray(y), n_days * 96 * 2 // 3


def summary(results, names, rules, columns):
    if not names:
        return "(no series)"
    rows = []
    for rule in rules:
        values = np.array([[results[n][rule][k] for k in columns] for n in names])
        rows.append([rule, *(f"{v:.3f}" for v in values.mean(axis=0))])
    return markdown_table(["cut", *columns], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 short series, 2 demo seeds")
    parser.add_argument(
        "--groups", nargs="+", default=list(GROUPS), choices=[*GROUPS, "generated"],
        help="sources of bench_quality.py (default: every real one)",
    )
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    series = [(n, X, y, len(X) // 2) for n, X, y in load_series(args.groups)]
    clean = [(n, X, y, len(X) // 2) for n, X, y in load_series(args.groups, clean=True)]
    seeds = range(2) if args.quick else range(5)
    if args.quick:
        series = [(n, X[-1500:], y[-1500:], 750) for n, X, y, _ in series[::8]]
        series = [s for s in series if s[2][750:].any() and not s[2][750:].all()][:4]
        clean = clean[:1]
    demo = list(demo_series(seeds))
    clean += list(demo_series(seeds, clean=True))
    print(f"# bench_alarms {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    results = {}
    for name, X, y, split in series + demo + clean:
        results[name] = run_one(X, y, split)
        shown = " ".join(
            f"{rule}={results[name][rule]['flagged']:.3f}" for rule in ("auto", "q0.99")
        )
        print(f"  {name} n={len(X)} share flagged: {shown}", flush=True)
    rules = list(cuts(np.arange(3.0)))
    judged = ["f1", "event_f1", "flagged", "alarms_per_1000"]
    tables = [
        (f"Judged series of {', '.join(args.groups)}", [s[0] for s in series], judged),
        ("Synthetic demo load", [d[0] for d in demo], judged),
        ("No anomaly to find (every alarm is false)", [c[0] for c in clean],
         ["flagged", "alarms_per_1000"]),
    ]
    for title, names, columns in tables:
        print(f"\n{title} ({len(names)} series), mean per series:\n")
        print(summary(results, names, rules, columns))
    assert all(r["auto_matches_predict"] for r in results.values()), "auto != predict"
    return results


if __name__ == "__main__":
    main()
