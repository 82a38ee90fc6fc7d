"""Our default detector against the baselines a user would pick instead, on every series.

Same data, same time-ordered splits and the same threshold rule for every method (see
``benchmarks/_common.py``): fitted on the first 60 % (SKAB: the anomaly-free run),
threshold from the next 20 % (validation), scored on the last 20 % (SKAB: the valve
runs). Reports point-wise F1 and PR AUC (average precision of the scores, threshold
free), ROC AUC and, separately marked, the optimistic point-adjusted F1.

Methods:

- ``ours``: ``make_fft_cnngru_detector(random_state=0)`` (FFT window, CNN-GRU AE, DTW
  errors mapped to timestamps, robust Z final step); its score is ``-score_samples``;
- ``iforest``, ``lof``: scikit-learn ``IsolationForest`` / ``LocalOutlierFactor
  (novelty=True)`` on lagged windows (row t = the last w scaled values, w = the FFT
  period of the training rows, at most 96);
- ``pyod_ae``, ``pyod_iforest``: PyOD's ``AutoEncoder`` / ``IForest`` on the same windows;
- ``deepod_usad``: DeepOD's USAD, when importable (a missing or crashing peer is a table
  entry, never a crash of the script).

Usage::

    python -m benchmarks.bench_peers            # every series of ../shared/data + generated
    python -m benchmarks.bench_peers --quick    # 1 series per source, 3,000 rows, 2 epochs
    python -m benchmarks.bench_peers --methods ours iforest --groups lead

(or ``python benchmarks/bench_peers.py ...``; run from the repository root)
"""

import argparse
import sys
import time
import traceback

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import MinMaxScaler

try:
    from ._common import (
        environment,
        evaluate,
        fill_missing,
        load_tasks,
        markdown_table,
        set_threads,
    )
except ImportError:  # run as a file: python benchmarks/bench_peers.py
    from _common import environment, evaluate, fill_missing, load_tasks, markdown_table, set_threads

METRICS = ("f1", "pr_auc", "roc_auc", "pa_f1")
HEADER = ["series", "method", "F1", "PR AUC", "ROC AUC", "PA-F1 (optimistic)", "fit+score s"]
_LOF_MAX_TRAIN = 5000
# quick (CI-size) runs: one epoch of a small network
QUICK_PARAMS = {
    "make_fft_cnngru_detector": {"max_epochs": 1, "module__hidden_size": 8},
    "make_multiscale_detector": {"max_epochs": 1, "module__hidden_size": 8},
    "make_lstmae_detector": {"max_epochs": 1, "module__hidden_sizes": (8, 4)},
    "make_usad_detector": {"max_epochs": 1},
}


def window_length(X_train, cap=96):
    from ecoai_sklearn.windowing import find_periods

    try:
        return int(
            min(cap, find_periods(fill_missing(X_train), 1, max_period=len(X_train) // 4)[0])
        )
    except ValueError:
        return 32


class LaggedPeer:
    """A peer on lagged windows: scaler and model fitted on the training rows."""

    def __init__(self, make_model, score):
        self.make_model, self.score_fn = make_model, score

    def _windows(self, X):
        X = self.scaler_.transform(fill_missing(X))
        padded = np.concatenate([np.repeat(X[:1], self.w_ - 1, axis=0), X])
        view = np.lib.stride_tricks.sliding_window_view(padded, self.w_, axis=0)
        return view.reshape(len(X), -1)

    def fit(self, X, y):
        self.w_ = window_length(X)
        self.scaler_ = MinMaxScaler().fit(fill_missing(X))
        W = self._windows(X)
        if len(W) > _LOF_MAX_TRAIN:  # LOF is quadratic; the others see the same rows
            W = W[np.linspace(0, len(W) - 1, _LOF_MAX_TRAIN).astype(int)]
        self.model_ = self.make_model().fit(W)
        return self

    def score(self, X):
        return self.score_fn(self.model_, self._windows(X))


def _finds_period(model, X):
    """Whether the windower of ``model`` finds an FFT period in the series it receives."""
    front = model[: list(model.named_steps).index("windower")]
    windower = model.named_steps["windower"]
    if windower.window_size != "auto":
        return True
    try:
        clone(windower).fit(clone(front).fit_transform(X))
    except ValueError:  # the windower's only error on a valid series: no significant period
        return False
    return True


class Ours:
    def __init__(self, quick, factory="make_fft_cnngru_detector", **kwargs):
        self.quick, self.factory, self.kwargs = quick, factory, kwargs

    def fit(self, X, y):
        from ecoai_sklearn import pipelines

        kwargs = dict(self.kwargs)
        params = dict(kwargs.pop("estimator_params", None) or {})
        if self.quick:
            params.update(QUICK_PARAMS[self.factory])
        make = getattr(pipelines, self.factory)
        if self.factory == "make_multiscale_detector":
            self.model_ = make(random_state=0, **kwargs)
            if self.quick:
                for name, _ in self.model_.named_steps["scales"].transformer_list:
                    self.model_.set_params(
                        **{
                            f"scales__{name}__scorer__estimator__{k}": v
                            for k, v in QUICK_PARAMS[self.factory].items()
                        }
                    )
        else:
            self.model_ = make(random_state=0, estimator_params=params, **kwargs)
        if "windower" in self.model_.named_steps and not _finds_period(self.model_, X):
            # no FFT period (e.g. SKAB's 1 s current): the peers' fallback window
            self.note = f"no FFT period, window {window_length(X)}"
            self.model_.set_params(windower__window_size=window_length(X))
        self.model_.fit(X, y)
        return self

    def score(self, X):
        return -self.model_.score_samples(X)

    def window(self):
        steps = self.model_.named_steps
        if "windower" in steps:
            return int(steps["windower"].window_size_)
        return max(
            int(branch.named_steps["windower"].window_size_)
            for _, branch in steps["scales"].transformer_list
        )


def _pyod(name):
    def make():
        if name == "ae":
            from pyod.models.auto_encoder import AutoEncoder

            return AutoEncoder(epoch_num=10, verbose=0, random_state=0, contamination=0.05)
        from pyod.models.iforest import IForest

        return IForest(random_state=0)

    return LaggedPeer(make, lambda model, W: model.decision_function(W))


class DeepODUSAD:
    def fit(self, X, y):
        from deepod.models.time_series import USAD

        self.model_ = USAD(epochs=10, random_state=0, verbose=0)
        self.scaler_ = MinMaxScaler().fit(fill_missing(X))
        self.model_.fit(self.scaler_.transform(fill_missing(X)))
        return self

    def score(self, X):
        return self.model_.decision_function(self.scaler_.transform(fill_missing(X)))


def make_method(name, quick):
    if name == "ours":
        return Ours(quick)
    if name == "iforest":
        return LaggedPeer(lambda: IsolationForest(random_state=0), lambda m, W: -m.score_samples(W))
    if name == "lof":
        return LaggedPeer(
            lambda: LocalOutlierFactor(n_neighbors=20, novelty=True),
            lambda m, W: -m.score_samples(W),
        )
    if name == "pyod_ae":
        return _pyod("ae")
    if name == "pyod_iforest":
        return _pyod("iforest")
    if name == "deepod_usad":
        return DeepODUSAD()
    raise ValueError(f"unknown method {name!r}")


def run_method(task, method, **evaluate_kwargs):
    """Fit on the task's training rows, score every block: (metrics dict, seconds, status)."""
    start = time.perf_counter()
    try:
        X_train, y_train = task.train
        method.fit(X_train, y_train)
        scores = [method.score(X) for X, _, _ in task.blocks]
        if evaluate_kwargs.get("study_window") == "auto":
            evaluate_kwargs["study_window"] = method.window()
        result = evaluate(task, scores, **evaluate_kwargs)
        status = "ok"
    except ImportError as exc:
        result, status = {}, f"not installed ({exc.name or exc})"
        if (exc.name or "").startswith("deepod"):
            status += ": DeepOD pins torch<1.13.1, which would replace torch 2.13"
    except Exception as exc:  # a crashing peer is a table entry, not a crash
        traceback.print_exc(file=sys.stderr)
        result, status = {}, f"crashed: {type(exc).__name__}: {str(exc)[:80]}"
    return result, time.perf_counter() - start, status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["ours", "iforest", "lof", "pyod_ae", "pyod_iforest", "deepod_usad"],
    )
    parser.add_argument("--groups", nargs="+", default=["lead", "kpi", "nab", "skab", "industrial"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    print(f"# bench_peers {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    rows = []
    for task in load_tasks(args.groups, quick=args.quick):
        n_test = task.n_rows("test", anomalies=True)
        print(f"## {task.name}: {task.n_rows('test')} test rows, {n_test} anomalous", flush=True)
        for name in args.methods:
            result, seconds, status = run_method(task, make_method(name, args.quick))
            if status == "ok":
                row = [task.name, name, *(result[m] for m in METRICS), seconds]
            else:
                row = [task.name, name, status, "", "", "", seconds]
            rows.append(row)
            print("  " + " | ".join(str(v if isinstance(v, str) else round(v, 3)) for v in row))
    print()
    print(markdown_table(HEADER, rows))
    print()
    print(summary(rows))
    return rows


def summary(rows):
    """Where ours beats every baseline on PR AUC, and where not."""
    by_series = {}
    for row in rows:
        by_series.setdefault(row[0], {})[row[1]] = row[3]
    wins, losses = [], []
    for series, results in by_series.items():
        ours = results.get("ours")
        others = {k: v for k, v in results.items() if k != "ours" and isinstance(v, float)}
        if not isinstance(ours, float) or not np.isfinite(ours) or not others:
            continue
        best = max(others, key=lambda k: -np.inf if not np.isfinite(others[k]) else others[k])
        (wins if ours >= others[best] else losses).append(
            f"{series} (ours {ours:.3f}, best peer {best} {others[best]:.3f})"
        )
    lines = [f"PR AUC: ours beats every peer on {len(wins)} of {len(wins) + len(losses)} series."]
    lines += ["Where we do not: " + ("; ".join(losses) if losses else "none")]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
