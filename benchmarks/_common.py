"""Shared pieces of the benchmark scripts: data, time-ordered splits, thresholds, metrics.

Every script imports it as ``from ._common import ...`` when run as a module
(``python -m benchmarks.bench_x`` from the repository root) and as ``from _common import
...`` when run as a file (``python benchmarks/bench_x.py``, whose folder Python puts on
``sys.path``); no script edits ``sys.path``.

Protocol (the same for our detectors and every peer):

- a *task* is one or more contiguous *blocks* (series); each row of a block has a role:
  ``train``, ``val`` or ``test``. Split series are cut in time order: first 60 % train,
  next 20 % validation, last 20 % test. SKAB: the anomaly-free run is the training block
  (first 80 % train, last 20 % validation, no anomalies there) and the 16 valve runs are
  test blocks, each scored on its own.
- a method is fitted on the training rows only (scalers included), then scores every row
  of every block (a row's score may use earlier rows of its block as context, never
  labels).
- the alarm threshold comes from the validation rows: the best-F1 threshold on the
  validation labels when they hold anomalies, else a robust cut ``median + 4 * 1.4826 *
  MAD`` of the training and validation scores. Test labels are never used, except in the
  separately labelled "study protocol" columns.
"""

import os
import platform
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecoai_sklearn.datasets import load_series_csv, make_industrial_load
from ecoai_sklearn.metrics import (
    best_f1_score,
    point_adjusted_f1_score,
    point_average_precision_score,
    point_f1_score,
    point_precision_score,
    point_recall_score,
    point_roc_auc_score,
)

TRAIN_FRACTION, VAL_FRACTION = 0.6, 0.2
ROBUST_Z = 4.0


def shared_data_dir():
    """The team's labelled datasets: ``$ECOAI_SHARED_DATA``, else ``../shared/data``.

    ``../shared/data`` is the folder beside this repository's checkout. It belongs to the
    team's workspace, not to the installed package, hence it is defined here, once, for
    the benchmarks and the tests (``tests/conftest.py`` imports it).
    """
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(os.environ.get("ECOAI_SHARED_DATA", default)).resolve()


DATA_DIR = str(shared_data_dir())


@dataclass
class Task:
    """One benchmark series: blocks of rows with their roles."""

    name: str
    blocks: list  # list of (X (n, c) float, y (n,) int, roles (n,) str)
    step: str = ""
    notes: list = field(default_factory=list)

    @property
    def train(self):
        X, y, roles = self.blocks[0]
        n_train = int(np.count_nonzero(roles == "train"))
        if not (roles[:n_train] == "train").all():
            raise ValueError(f"{self.name}: training rows must be a prefix of the first block")
        return X[:n_train], y[:n_train]

    def concat(self, role, arrays):
        """Rows of ``role`` from per-block ``arrays`` (one array per block), concatenated."""
        return np.concatenate([a[r == role] for a, (_, _, r) in zip(arrays, self.blocks)])

    def n_rows(self, role, anomalies=False):
        return int(
            sum(
                np.count_nonzero((r == role) & (y == 1) if anomalies else r == role)
                for _, y, r in self.blocks
            )
        )


def _roles(n, train=TRAIN_FRACTION, val=VAL_FRACTION):
    roles = np.full(n, "test", dtype=object)
    n_train, n_val = int(round(n * train)), int(round(n * val))
    roles[:n_train] = "train"
    roles[n_train : n_train + n_val] = "val"
    return roles


def split_task(name, X, y, step=""):
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return Task(name, [(X, np.asarray(y, dtype=int), _roles(len(X)))], step)


def _load(filename, **kwargs):
    path = shared_csv(filename)
    if path is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NAB's two out-of-order series: kept in file order
        return load_series_csv(path, on_bad_order="warn", **kwargs)


def industrial_task(n_days=364, random_state=0):
    """Generated 15-minute industrial load (total of the 4 categories, 1 channel)."""
    X, y, _ = make_industrial_load(
        n_days=n_days,
        n_anomalies=max(4, n_days // 7),
        anomaly_kinds=("spike", "surge", "sag", "outage", "level_shift", "drift", "time_shift"),
        random_state=random_state,
    )
    return split_task(f"industrial:{n_days}d (generated)", X.sum(axis=1), y, "15 min")


def skab_task(data):
    free = data["skab:anomaly-free/anomaly-free"]
    blocks = [(free.X, free.y, _roles(len(free.X), 0.8, 0.2))]
    for sid, bunch in data.items():
        if sid.startswith("skab:valve"):
            blocks.append((bunch.X, bunch.y, np.full(len(bunch.X), "test", dtype=object)))
    return Task("skab:current (16 valve runs)", blocks, "1 s")


def load_tasks(groups=("lead", "kpi", "nab", "skab", "industrial"), quick=False):
    """Benchmark tasks; series whose file is absent are skipped (with a note printed)."""
    tasks = []
    steps = {"lead": "1 h", "kpi": "5 min"}
    files = {"lead": "lead_buildings.csv", "kpi": "kpi_aiops.csv", "nab": "nab.csv"}
    for group in groups:
        if group == "industrial":
            tasks.append(industrial_task(n_days=56 if quick else 364))
            continue
        data = _load("skab_current.csv" if group == "skab" else files[group])
        if data is None:
            print(f"# {group}: {DATA_DIR} absent, skipped")
            continue
        if group == "skab":
            tasks.append(skab_task(data))
            continue
        for sid, bunch in data.items():
            step = steps.get(group, "")
            tasks.append(split_task(sid, bunch.X, bunch.y, step))
            if quick:
                break
    if quick:
        tasks = [shorten(t, 1500) for t in tasks]
    return tasks


def shorten(task, n_max):
    """Quick mode: ``n_max`` rows of the first block ending shortly after its last anomaly
    (so the test part holds one), and at most 2 other blocks."""
    X, y, roles = task.blocks[0]
    if len(X) > n_max:
        hits = np.flatnonzero(y)
        end = len(X) if not hits.size else min(len(X), max(n_max, hits[-1] + n_max // 20))
        X, y = X[end - n_max : end], y[end - n_max : end]
        roles = _roles(n_max) if len(task.blocks) == 1 else _roles(n_max, 0.8, 0.2)
    return Task(task.name, [(X, y, roles), *task.blocks[1:3]], task.step, task.notes)


def fill_missing(X):
    """Forward then backward fill (peers only; our pipelines impute with SeriesKNNImputer)."""
    X = np.array(X, dtype=np.float64)
    for c in range(X.shape[1]):
        col = X[:, c]
        bad = np.isnan(col)
        if bad.any():
            idx = np.where(~bad, np.arange(len(col)), 0)
            np.maximum.accumulate(idx, out=idx)
            col[:] = col[idx]
            first = np.flatnonzero(~np.isnan(col))
            col[np.isnan(col)] = col[first[0]] if first.size else 0.0
    return X


def robust_cut(scores, z=ROBUST_Z):
    """``median + z * 1.4826 * MAD`` of the finite scores (the std where the MAD is 0)."""
    scores = scores[np.isfinite(scores)]
    median = np.median(scores)
    mad = 1.4826 * np.median(np.abs(scores - median))
    return median + z * (mad if mad > 0 else np.std(scores) + 1e-12)


def val_threshold(scores_val, y_val, scores_train):
    """Alarm threshold from validation labels (best F1), else a robust cut of normal scores."""
    if 0 < np.count_nonzero(y_val) < len(y_val):
        _, threshold = best_f1_score(y_val, scores_val, return_threshold=True)
        return float(threshold), "val-F1"
    normal = np.concatenate([scores_train, scores_val[y_val == 0]])
    return float(robust_cut(normal)), "robust-z"


def _safe(func, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(func(*args, **kwargs))
    except ValueError:
        return float("nan")


def at_threshold(y_true, scores, threshold):
    """Precision, recall, F1 and PA-F1 of ``scores >= threshold``; ROC and PR AUC of the
    scores (NaN where undefined)."""
    pred = (scores >= threshold).astype(int)
    binary = {"pred_convention": "binary", "zero_division": 0.0}
    return {
        "precision": _safe(point_precision_score, y_true, pred, **binary),
        "recall": _safe(point_recall_score, y_true, pred, **binary),
        "f1": _safe(point_f1_score, y_true, pred, **binary),
        "roc_auc": _safe(point_roc_auc_score, y_true, scores),
        "pr_auc": _safe(point_average_precision_score, y_true, scores),
        "pa_f1": _safe(point_adjusted_f1_score, y_true, pred, **binary),
    }


def evaluate(task, block_scores, *, study_window=None):
    """Metrics of per-block anomaly scores (higher = more anomalous) on the test rows.

    Returns a dict: precision, recall, f1, roc_auc, pr_auc, pa_f1 (point-adjusted, same
    threshold) on test rows with the validation threshold; with ``study_window`` also
    ``study_f1``: windows of that length labelled anomalous if any point is, scored by
    their maximum point score, threshold chosen on the test labels (the study's protocol).
    """
    scores = [np.nan_to_num(np.asarray(s, float), nan=0.0, posinf=1e300) for s in block_scores]
    ys = [y for _, y, _ in task.blocks]
    s_train, s_val = task.concat("train", scores), task.concat("val", scores)
    y_val = task.concat("val", ys)
    threshold, rule = val_threshold(s_val, y_val, s_train)
    s_test, y_test = task.concat("test", scores), task.concat("test", ys)
    out = {**at_threshold(y_test, s_test, threshold), "rule": rule}
    if not np.count_nonzero(y_test):
        out.update({k: float("nan") for k in ("recall", "f1", "roc_auc", "pr_auc", "pa_f1")})
    if study_window:
        w_scores, w_labels = [], []
        for s, (_, y, roles) in zip(scores, task.blocks):
            test = roles == "test"
            s, y = s[test], y[test]
            if len(s) < study_window:
                continue
            view = np.lib.stride_tricks.sliding_window_view
            w_scores.append(view(s, study_window).max(axis=1))
            w_labels.append(view(y, study_window).max(axis=1))
        ws, wl = np.concatenate(w_scores), np.concatenate(w_labels)
        out["study_f1"] = _safe(best_f1_score, wl, ws) if wl.any() else float("nan")
    return out


def fmt(value, digits=3):
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return str(value)
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def environment():
    import sklearn
    import torch

    import ecoai_sklearn

    versions = [
        f"python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"scikit-learn {sklearn.__version__}",
        f"torch {torch.__version__}",
        f"ecoai_sklearn {getattr(ecoai_sklearn, '__version__', '?')}",
    ]
    try:
        import pyod

        versions.append(f"pyod {pyod.__version__}")
    except ImportError:
        pass
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}; "
        + ", ".join(versions)
    )


def set_threads(n):
    import torch

    torch.set_num_threads(n)


def shared_csv(filename):
    """Path of a file of the shared datasets, or None when it is absent."""
    path = Path(DATA_DIR) / filename
    return path if path.exists() else None
