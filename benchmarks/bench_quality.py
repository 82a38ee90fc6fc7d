"""The development benchmark: our detectors against window baselines on every shared series.

Protocol (issue #12): every series of ``../shared/data`` (LEAD buildings, the KPI, NAB,
more NAB, the SKAB runs' current channel) and the 16 SKAB valve runs with all 8
channels (multivariate) is fitted on its first half **without labels** and scored in
full (a row may use earlier rows as context); PR AUC (average precision), VUS-PR
(:func:`~ecoai_sklearn.metrics.vus_pr_score`, default parameters) and ROC AUC are
computed on the rows of the second half. Series whose second half holds no anomaly are
left out (their metrics are undefined). No threshold is involved: the metrics rank the
scores, so no test label chooses anything.

Methods:

- ``default``: ``make_default_detector()``; ``selected``: the same with
  ``selection=InjectedAnomalySelection(random_state=0)`` (members judged on anomalies
  injected into the last 30 % of the training half; the summary says how often the
  member it ranks first is the member with the best PR AUC on the second half);
  ``knn_pca``: ``make_ensemble_detector(("knn", "pca"))``, kNN and window PCA at both
  window lengths;
  ``research``:
  ``make_fft_cnngru_detector(random_state=0)``; ``knn_detector``, ``pca_detector``:
  our single-scorer factories; the variants of ``VARIANTS`` (the default with PCA members
  combined by their mean or robustly normalised, whole windows instead of 32 PAA
  segments, channels scored separately, 10 neighbours, a third window of 16 samples),
  run only when named;
- peers on lagged windows, as TSB-AD runs them ("Sub-" methods, Liu & Paparrizos,
  NeurIPS 2024): the window is the series' ACF period (TSB-AD's ``find_length_rank``:
  the highest autocorrelation peak between lags 3 and 300, else 125), each channel
  z-scored on the training rows, models fitted on at most 5,000 evenly spaced training
  windows, a window's score given to its centre row. ``iforest``
  (IsolationForest, 200 trees), ``lof`` (LocalOutlierFactor, 50 neighbours),
  ``knn`` (distance to the 10th neighbour), ``pca`` (PyOD's PCA score: distances to
  the components weighted by their explained variance), ``pyod_ae`` (PyOD's
  AutoEncoder, 10 epochs).

``--groups generated`` judges the same way 8 generated series (``make_industrial_load
(n_days=56, random_state=0..7)``, 4 channels, 15-minute load; the seeds whose second
half holds anomalies), the package's own domain, which the shared data do not cover.

Usage::

    python -m benchmarks.bench_quality                   # every series, every method
    python -m benchmarks.bench_quality --groups generated --methods default knn_pca lof
    python -m benchmarks.bench_quality --quick           # 4 short series, fast methods
    python -m benchmarks.bench_quality --methods default pca lof --groups nab skab_multi

Results are cached per series and method in ``benchmarks/_out/quality/`` (delete it, or
pass ``--fresh``, to recompute); the tables are printed at the end.
"""

import argparse
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
from scipy.signal import argrelextrema

try:
    from ._common import environment, markdown_table, shared_csv
except ImportError:  # run as a file: python benchmarks/bench_quality.py
    from _common import environment, markdown_table, shared_csv

GROUPS = {
    "lead": "lead_buildings.csv",
    "kpi": "kpi_aiops.csv",
    "nab": "nab.csv",
    "nab_more": "nab_more.csv",
    "skab": "skab_current.csv",
    "skab_multi": "skab_multivariate.csv",
}
OURS = ("default", "selected", "knn_pca", "knn_detector", "pca_detector", "research")
#: variants of the default weighed against it (not run unless named in --methods):
#: make_ensemble_detector keywords, then parameters set on every member
VARIANTS = {
    "knn_pca_mean": ({"members": ("knn", "pca"), "combination": "mean"}, {}),
    "knn_pca_robust": ({"members": ("knn", "pca"), "normalization": "robust"}, {}),
    "knn_whole_windows": ({"members": ("knn",)}, {"scorer__n_segments": None}),
    "knn_separate_channels": ({"members": ("knn",)}, {"scorer__channels": "separate"}),
    "knn_k10": ({"members": ("knn",), "n_neighbors": 10}, {}),
    "knn_three_windows": ({"members": ("knn",), "window_sizes": ("auto", 64, 16)}, {}),
}
PEERS = ("iforest", "lof", "knn", "pca", "pyod_ae")
METRICS = ("pr_auc", "vus_pr", "roc_auc")
OUT = Path(__file__).resolve().parent / "_out" / "quality"
_MAX_TRAIN = 5000


# ---------------------------------------------------------------------------- data
def generated_series(seeds=range(8), n_days=56):
    """Generated 15-minute industrial load (:func:`make_industrial_load`, 4 channels)."""
    from ecoai_sklearn.datasets import make_industrial_load

    for seed in seeds:
        X, y, _ = make_industrial_load(n_days=n_days, random_state=seed)
        yield f"generated:{seed}", X, y


def group_of(name):
    """``"nab"``, ``"skab"``, ``"skab 8 ch"``, ...: the source of a series, by its name."""
    group = name.split(":")[0]
    return f"{group} {name.rsplit('[', 1)[1][:-1]}" if name.endswith("ch]") else group


def load_series(groups, *, clean=False):
    """``[(name, X (n, c), y (n,))]`` of every judged series of the groups.

    ``clean=True``: the series left out instead, those whose second half holds no
    anomaly (where every alarm is a false one).
    """
    import pandas as pd

    series = []
    for group in groups:
        if group == "generated":
            series += [
                (n, X, y) for n, X, y in generated_series() if y[len(y) // 2 :].any() != clean
            ]
            continue
        path = shared_csv(GROUPS[group])
        if path is None:
            print(f"# {group}: {GROUPS[group]} absent, skipped")
            continue
        frame = pd.read_csv(path)
        values = [c for c in frame.columns if c not in ("timestamp", "label", "series_id")]
        for sid, rows in frame.groupby("series_id", sort=False):
            X = rows[values].to_numpy(dtype=np.float64)
            y = rows["label"].to_numpy(dtype=np.int64)
            name = f"{sid} [{len(values)} ch]" if group == "skab_multi" else sid
            half = y[len(y) // 2 :]
            if (not half.any()) if clean else (half.any() and not half.all()):
                series.append((name, X, y))
    return series


# ---------------------------------------------------------------------------- peers
def acf_period(x):
    """TSB-AD's ``find_length_rank(x, rank=1)``: ACF peak between lags 3 and 300, else 125."""
    x = np.asarray(x, dtype=np.float64)[:20000]
    x = x - x.mean()
    spectrum = np.fft.rfft(x, 2 * len(x))
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:401]
    acf = acf / acf[0] if acf[0] > 0 else acf
    tail = acf[3:]
    peaks = argrelextrema(tail, np.greater)[0]
    if peaks.size == 0:
        return 125
    best = peaks[np.argmax(tail[peaks])]
    return 125 if best < 3 or best > 300 else int(best + 3)


def _fill(X):
    """Forward then backward fill, column by column (peers only)."""
    X = np.array(X, dtype=np.float64)
    for column in X.T:
        missing = np.isnan(column)
        if missing.any() and not missing.all():
            index = np.where(~missing, np.arange(len(column)), 0)
            np.maximum.accumulate(index, out=index)
            column[:] = column[index]
            column[np.isnan(column)] = column[~np.isnan(column)][0]
        elif missing.all():
            column[:] = 0.0
    return X


class WindowPeer:
    """A TSB-AD style "Sub-" detector: a model on lagged windows, scores to the centres."""

    def __init__(self, name):
        self.name = name

    def fit(self, X):
        X = _fill(X)
        self.mean_, std = X.mean(axis=0), X.std(axis=0)
        self.std_ = np.where(std > 0, std, 1.0)
        Z = (X - self.mean_) / self.std_
        self.w_ = min(acf_period(Z.mean(axis=1)), max(2, len(Z) // 4))
        W = self._windows(Z)
        keep = np.linspace(0, len(W) - 1, min(len(W), _MAX_TRAIN)).round().astype(int)
        self.model_ = self._model().fit(W[keep])
        return self

    def _windows(self, Z):
        view = np.lib.stride_tricks.sliding_window_view(Z, self.w_, axis=0)
        return view.transpose(0, 2, 1).reshape(view.shape[0], -1)

    def _model(self):
        if self.name == "iforest":
            from sklearn.ensemble import IsolationForest

            return IsolationForest(n_estimators=200, random_state=0)
        if self.name == "lof":
            from sklearn.neighbors import LocalOutlierFactor

            return LocalOutlierFactor(n_neighbors=50, novelty=True)
        if self.name == "knn":
            from pyod.models.knn import KNN

            return KNN(n_neighbors=10, method="largest")
        if self.name == "pca":
            from pyod.models.pca import PCA

            return PCA()
        from pyod.models.auto_encoder import AutoEncoder

        return AutoEncoder(epoch_num=10, verbose=0, random_state=0)

    def score(self, X):
        Z = (_fill(X) - self.mean_) / self.std_
        W = self._windows(Z)
        if self.name in ("iforest", "lof"):
            scores = -self.model_.score_samples(W)
        else:
            scores = self.model_.decision_function(W)
        left, right = self.w_ // 2, (self.w_ - 1) // 2
        # TSB-AD's padding: a window's score goes to its centre, the edges repeat
        return np.concatenate([np.full(left, scores[0]), scores, np.full(right, scores[-1])])


class Ours:
    def __init__(self, name, quick):
        self.name, self.quick = name, quick

    def fit(self, X):
        from ecoai_sklearn import pipelines

        if self.name == "default":
            self.model_ = pipelines.make_default_detector()
        elif self.name == "knn_pca":
            self.model_ = pipelines.make_ensemble_detector(("knn", "pca"))
        elif self.name == "selected":
            self.model_ = pipelines.make_default_detector()
            selection = pipelines.InjectedAnomalySelection(random_state=0)
            self.model_.set_params(ensemble__selection=selection)
        elif self.name == "knn_detector":
            self.model_ = pipelines.make_knn_detector()
        elif self.name == "pca_detector":
            self.model_ = pipelines.make_pca_detector()
        elif self.name in VARIANTS:
            keywords, member_params = VARIANTS[self.name]
            self.model_ = pipelines.make_ensemble_detector(**keywords)
            for member, _ in self.model_.named_steps["ensemble"].estimators:
                self.model_.set_params(
                    **{f"ensemble__{member}__{k}": v for k, v in member_params.items()}
                )
        else:
            params = {"max_epochs": 1, "module__hidden_size": 8} if self.quick else None
            self.model_ = pipelines.make_fft_cnngru_detector(
                random_state=0, estimator_params=params
            )
        self.model_.fit(X)
        return self

    def score(self, X):
        return -self.model_.score_samples(X)

    def details(self, X, y):
        """For ``selected``: each member's selection score and PR AUC on the second half."""
        if self.name != "selected":
            return {}
        pipeline = self.model_
        ensemble = pipeline.named_steps["ensemble"]
        members = ensemble.member_scores(pipeline[:-1].transform(X))
        half = len(y) // 2
        return {
            "members": list(ensemble.named_estimators_),
            "selection_scores": [float(v) for v in ensemble.selection_scores_],
            "member_pr_auc": [
                evaluate(y, members[:, k])["pr_auc"] for k in range(members.shape[1])
            ],
            "judged_rows": len(y) - half,
        }


def make_method(name, quick):
    return Ours(name, quick) if name in OURS or name in VARIANTS else WindowPeer(name)


# ---------------------------------------------------------------------------- running
def evaluate(y, scores):
    from ecoai_sklearn.metrics import (
        point_average_precision_score,
        point_roc_auc_score,
        vus_pr_score,
    )

    half = len(y) // 2
    truth, s = y[half:], np.asarray(scores, dtype=np.float64)[half:]
    finite = np.isfinite(s)
    if not finite.all():  # a method's NaN or inf counts as the least anomalous score
        s = np.where(finite, s, np.min(s[finite]) if finite.any() else 0.0)
    return {
        "pr_auc": float(point_average_precision_score(truth, s)),
        "vus_pr": float(vus_pr_score(truth, s)),
        "roc_auc": float(point_roc_auc_score(truth, s)),
    }


def run_one(name, X, y, method, quick):
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make_method(method, quick).fit(X[: len(X) // 2])
            scores = model.score(X)
            details = model.details(X, y) if hasattr(model, "details") else {}
        result = {**evaluate(y, scores), **details}
        result["status"] = "ok"
    except Exception as exc:  # a failing method is a table entry, never a crash
        traceback.print_exc(file=sys.stderr)
        result = {"status": f"failed: {type(exc).__name__}: {str(exc)[:100]}"}
    result["seconds"] = time.perf_counter() - start
    return result


def _cache_path(name, method):
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return OUT / method / f"{safe}.json"


def run(series, methods, quick, fresh):
    results = {}
    for name, X, y in series:
        print(f"## {name}: n={len(X)}, c={X.shape[1]}", flush=True)
        for method in methods:
            path = _cache_path(name, method)
            if path.exists() and not fresh and not quick:
                result = json.loads(path.read_text())
            else:
                result = run_one(name, X, y, method, quick)
                if not quick:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps(result))
            results[name, method] = result
            shown = " ".join(f"{k}={result[k]:.3f}" for k in METRICS if k in result)
            print(f"  {method:13s} {shown} {result['seconds']:.1f}s {result['status']}")
    return results


# ---------------------------------------------------------------------------- tables
def summary(series, methods, results, reference="default"):
    names = [name for name, _, _ in series]
    rows = []
    for method in methods:
        values = [results[n, method] for n in names]
        ok = [v for v in values if v["status"] == "ok"]
        failed = len(values) - len(ok)
        means = [np.mean([v[m] for v in ok]) if ok else float("nan") for m in METRICS]
        seconds = [v["seconds"] for v in values]
        rows.append([method, *means, failed, float(np.median(seconds)), float(np.max(seconds))])
    header = [
        "method",
        "mean PR AUC",
        "mean VUS-PR",
        "mean ROC AUC",
        "failures",
        "median s",
        "max s",
    ]
    lines = [f"{len(names)} series.", "", markdown_table(header, rows)]
    groups = sorted({group_of(n) for n in names})
    if len(groups) > 1:
        by_group = []
        for group in groups:
            members = [n for n in names if group_of(n) == group]
            row = [f"{group} ({len(members)})"]
            for method in methods:
                ok = [results[n, method] for n in members if results[n, method]["status"] == "ok"]
                row.append(np.mean([v["pr_auc"] for v in ok]) if ok else float("nan"))
            by_group.append(row)
        lines += ["", "Mean PR AUC by source:", "", markdown_table(["source", *methods], by_group)]
    if reference in methods:
        duel = []
        for method in methods:
            if method == reference:
                continue
            row = [f"{reference} vs {method}"]
            for metric in ("pr_auc", "vus_pr"):
                a = np.array([results[n, reference].get(metric, np.nan) for n in names])
                b = np.array([results[n, method].get(metric, np.nan) for n in names])
                a, b = np.nan_to_num(a, nan=-1.0), np.nan_to_num(b, nan=-1.0)
                row.append(f"{int((a > b).sum())} / {int((a == b).sum())} / {int((a < b).sum())}")
            duel.append(row)
        lines += [
            "",
            "Head to head (series won / tied / lost):",
            "",
            markdown_table(["pair", "PR AUC", "VUS-PR"], duel),
        ]
    return "\n".join(lines)


def selection_report(series, results):
    """How often the selection's first choice is the member with the best test PR AUC."""
    hits = judged = 0
    for name, _, _ in series:
        result = results.get((name, "selected"), {})
        scores, truth = result.get("selection_scores"), result.get("member_pr_auc")
        if not scores or not truth or len(scores) != len(truth):
            continue  # a member failed to fit: not comparable
        judged += 1
        hits += int(np.nanargmax(scores) == int(np.argmax(truth)))
    if not judged:
        return ""
    members = len(results[series[0][0], "selected"].get("members", [])) or 4
    return (
        f"Selection: its best-ranked member had the best second-half PR AUC on {hits} of "
        f"{judged} series (chance: about {judged / members:.0f})."
    )


def per_series(series, methods, results):
    header = ["series", *[f"{m} PR" for m in methods]]
    rows = []
    for name, _, _ in series:
        rows.append([name, *[results[name, m].get("pr_auc", float("nan")) for m in methods]])
    return markdown_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 short series, fast methods")
    parser.add_argument("--methods", nargs="+", default=[*OURS, *PEERS])
    parser.add_argument(
        "--groups", nargs="+", default=list(GROUPS), choices=[*GROUPS, "generated"],
        help="sources (default: every real one; 'generated': 8 series of make_industrial_load)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    parser.add_argument("--per-series", action="store_true", help="print every series' PR AUC")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    series = load_series(args.groups)
    methods = args.methods
    if args.quick:
        series = [(n, X[-1500:], y[-1500:]) for n, X, y in series[:: max(1, len(series) // 4)]]
        series = [s for s in series if s[2][750:].any() and not s[2][750:].all()][:4]
        methods = [m for m in methods if m not in ("research", "pyod_ae")]
    print(f"# bench_quality {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    results = run(series, methods, args.quick, args.fresh)
    print()
    print(summary(series, methods, results))
    if "selected" in methods:
        print()
        print(selection_report(series, results))
    if args.per_series:
        print()
        print(per_series(series, methods, results))
    return results


if __name__ == "__main__":
    main()
