"""What causal scoring costs: the default detector's batch, causal and delayed scores.

A stream cannot know the windows that end after a row: the batch default gives each row
the mean error of the windows *covering* it (``aggregation="covering"``: windows ending
up to ``w - 1`` rows later), a stream only the error of the window *ending* at it
(``aggregation="causal"``). A delayed stream waits ``d`` rows, then gives each row the
mean of the windows ending ``0 .. d`` rows after it; ``d = w - 1`` is the batch value
(``StreamingDetector(mode="delayed")``).

Protocol: the development benchmark of ``bench_quality.py`` (every labelled series of
``../shared/data``; ``load_series`` and ``evaluate`` are reused): each series fitted on
its first half without labels, scored in full, PR AUC and VUS-PR on the second half.
Methods, all ``make_default_detector()`` (window kNN at the series' period and at 64
rows, each member normalised on its training scores, maximum):

- ``batch``: the default (``aggregation="covering"``);
- ``causal``: every scorer with ``aggregation="causal"``, fitted so (the normalisation of
  each member is learned on causal training scores);
- ``delay f``: delayed by a fraction ``f`` of each member's window: member ``m`` gives row
  ``t`` the mean error of its windows ending at ``t .. t + d_m``, ``d_m = round(f * (w_m -
  1))``, normalised on the training rows' scores of the same rule, then the ensemble's
  maximum. ``f = 0`` is ``causal`` and ``f = 1`` is ``batch`` (checked on every series,
  to float tolerance); the row's answer comes ``max_m d_m`` rows late.

Alarms: with each detector's own cut (``decision_function < 0``), how many labelled
events of the second halves get an alarm, and how many rows after the event's start
it comes (the delayed mode's alarms come ``w - 1`` rows after its flagged row).

Usage::

    python -m benchmarks.bench_causal               # every series (cached per series)
    python -m benchmarks.bench_causal --quick       # 4 short series
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

try:
    from ._common import environment, markdown_table
    from .bench_quality import GROUPS, METRICS, evaluate, load_series
except ImportError:  # run as a file: python benchmarks/bench_causal.py
    from _common import environment, markdown_table
    from bench_quality import GROUPS, METRICS, evaluate, load_series

FRACTIONS = (0.0, 0.125, 0.25, 0.5, 1.0)
OUT = Path(__file__).resolve().parent / "_out" / "causal"


def _detector(causal):
    from ecoai_sklearn.pipelines import make_default_detector

    detector = make_default_detector()
    if causal:
        params = detector.get_params()
        detector.set_params(
            **{key: "causal" for key in params if key.endswith("scorer__aggregation")}
        )
    return detector


def partial_mean(errors, window, delay):
    """Mean of the real windows ending at ``t .. t + delay`` for each row ``t``.

    ``errors[j]`` is the error of the window ending at row ``j`` (real from ``window -
    1`` on; the causal rule gives earlier rows the first real window's). The windows
    considered end in ``[max(t, w - 1), min(t + delay, n - 1)]``, at least the first
    real one: ``delay = 0`` is the causal rule, ``delay = w - 1`` the covering mean,
    computed as the scorers compute it (a running sum, in which an infinite error makes
    the later rows NaN: the in-sample errors of a long window can be infinite).
    """
    n = errors.shape[0]
    if delay == 0:  # the causal scorer's own rule (no running sum)
        return errors.copy()
    t = np.arange(n)
    lo = np.maximum(t, window - 1)
    hi = np.maximum(np.minimum(t + delay, n - 1), lo)
    cumulative = np.concatenate(([0.0], np.cumsum(errors)))
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, as the scorers' own rule
        return (cumulative[hi + 1] - cumulative[lo]) / (hi - lo + 1)


def alarm_delays(y, flags, reach, *, emitted_after):
    """Rows from each labelled event's start (second half) to its first alarm.

    An event ``[start, stop)`` is found when a row of ``[start, stop + reach - 1)`` is
    flagged (a causal window still holds the event's rows ``reach - 1`` rows after it);
    the alarm is emitted ``emitted_after`` rows after the flagged row (the delayed
    mode's delay for the batch values). Returns ``(n_events, delays of those found)``.
    """
    from ecoai_sklearn.utils import runs

    half = len(y) // 2
    starts, stops = runs(np.asarray(y[half:]) == 1)
    found = []
    for start, stop in zip(starts + half, stops + half):
        hits = np.flatnonzero(flags[start : min(stop + reach - 1, len(y))])
        if hits.size:
            found.append(int(hits[0]) + emitted_after)
    return [int(starts.size), found]


def _normalise(train, values):
    """The ensemble's ``"zscore"`` normalisation, fitted on the training rows' finite
    scores (kNN errors of a long window are infinite in-sample when fewer than
    ``n_neighbors`` training windows are far enough from a window)."""
    train = np.where(np.isfinite(train), train, np.nan)
    center = float(np.nanmean(train))
    scale = max(float(np.nanstd(train)), 1e-6 * max(1.0, abs(center)))
    return (values - center) / scale


def run_one(X, y):
    half = len(X) // 2
    result = {}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = _detector(causal=False).fit(X[:half])
        batch_scores = -batch.score_samples(X)
        causal = _detector(causal=True).fit(X[:half])
        causal_scores = -causal.score_samples(X)
        # members' causal window errors, on the training rows (as fit saw them) and all
        prefix, ensemble = causal[:-1], causal[-1]
        train, full = prefix.transform(X[:half]), prefix.transform(X)
        members = []
        for member in ensemble.estimators_:
            window = member.named_steps["windower"].window_size_
            members.append((window, -member.score_samples(train), -member.score_samples(full)))
    result["windows"] = [w for w, _, _ in members]
    for name, scores in (("batch", batch_scores), ("causal", causal_scores)):
        result[name] = evaluate(y, scores)
    # alarms: the detectors' own cut (decision_function < 0), judged per labelled event
    reach = max(result["windows"])
    delay = reach - 1
    result["alarms"] = {
        "batch": alarm_delays(y, batch.decision_function(X) < 0, reach, emitted_after=delay),
        "causal": alarm_delays(y, causal.decision_function(X) < 0, reach, emitted_after=0),
    }
    for fraction in FRACTIONS:
        z = []
        for window, e_train, e_full in members:
            delay = int(round(fraction * (window - 1)))
            z.append(
                _normalise(
                    partial_mean(e_train, window, delay), partial_mean(e_full, window, delay)
                )
            )
        scores = np.max(z, axis=0)
        if fraction == 0.0:
            _check(scores, causal_scores, "delay 0 vs causal")
        if fraction == 1.0:
            _check(scores, batch_scores, "delay w - 1 vs batch")
        result[f"delay {fraction:g}"] = evaluate(y, scores)
    result["delay_rows"] = {
        f"{fraction:g}": max(int(round(fraction * (w - 1))) for w in result["windows"])
        for fraction in FRACTIONS
    }
    result["seconds"] = time.perf_counter() - start
    return result


def _check(mine, theirs, what):
    # the detector's score_samples is minus the combination, minus the offset-free score
    if not np.allclose(mine, theirs, rtol=1e-7, atol=1e-7, equal_nan=True):
        worst = float(np.nanmax(np.abs(mine - theirs)))
        raise AssertionError(f"{what}: the re-computed scores differ (max {worst:.3g})")


def _cache_path(name):
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return OUT / f"{safe}.json"


def methods():
    # "delay 1" is "batch" (checked), the values of StreamingDetector(mode="delayed")
    return ["batch", "causal", *[f"delay {f:g}" for f in FRACTIONS[1:-1]]]


def summary(results):
    names = list(results)
    rows = []
    for method in methods():
        values = [results[n][method] for n in names]
        row = [method]
        for metric in METRICS[:2]:
            row.append(float(np.mean([v[metric] for v in values])))
        if method == "causal":
            row.append("0")
        else:
            fraction = method.split()[1] if method.startswith("delay") else "1"
            delays = [results[n]["delay_rows"][fraction] for n in names]
            row.append(f"{np.median(delays):g} (max {max(delays)})")
        gap = [v["pr_auc"] - results[n]["batch"]["pr_auc"] for n, v in zip(names, values)]
        row += [sum(g < -0.05 for g in gap), sum(g > 0.05 for g in gap)]
        rows.append(row)
    header = [
        "scores",
        "mean PR AUC",
        "mean VUS-PR",
        "answer delay, rows (median over series)",
        "series > 0.05 PR AUC below batch",
        "series > 0.05 above batch",
    ]
    return markdown_table(header, rows)


def alarm_summary(results):
    """Events found and rows to the first alarm, pooled over the series."""
    rows = []
    for method, label in (("causal", "causal"), ("batch", "delayed (batch values)")):
        events = sum(results[n]["alarms"][method][0] for n in results)
        delays = [d for n in results for d in results[n]["alarms"][method][1]]
        rows.append(
            [
                label,
                events,
                len(delays),
                float(np.median(delays)) if delays else float("nan"),
                float(np.percentile(delays, 90)) if delays else float("nan"),
            ]
        )
    header = [
        "alarms (decision_function < 0)",
        "labelled events",
        "events alarmed",
        "median rows from event start to alarm",
        "90th percentile",
    ]
    return markdown_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 short series")
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    series = load_series(args.groups)
    if args.quick:
        series = [(n, X[-1500:], y[-1500:]) for n, X, y in series[:: max(1, len(series) // 4)]]
        series = [s for s in series if s[2][750:].any() and not s[2][750:].all()][:4]
    print(f"# bench_causal {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    results = {}
    for name, X, y in series:
        path = _cache_path(name)
        if path.exists() and not (args.fresh or args.quick):
            result = json.loads(path.read_text())
        else:
            result = run_one(X, y)
            if not args.quick:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(result))
        results[name] = result
        shown = " ".join(f"{m}={result[m]['pr_auc']:.3f}" for m in ("batch", "causal"))
        print(f"  {name} n={len(X)} w={result['windows']} {shown} {result['seconds']:.1f}s")
    print()
    print(f"{len(results)} series")
    print(summary(results))
    print()
    print(alarm_summary(results))
    return results


if __name__ == "__main__":
    main()
