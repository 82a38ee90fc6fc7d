"""Detectors on the team's real labelled series, next to an IsolationForest baseline.

Runs the detectors of :mod:`ecoai_sklearn.pipelines` on the shared data sets (LEAD
buildings, AIOps KPI, NAB, SKAB; see ``../shared/data/README.md``) and prints, per
series, point-wise precision, recall and F1 of ``predict`` and ROC AUC and PR AUC
(average precision) of the anomaly scores (``-decision_function``), next to
scikit-learn's :class:`~sklearn.ensemble.IsolationForest` on raw lagged values.

Protocol (no threshold ever sees test labels):

* LEAD, KPI, NAB: each series is split in time; the detectors are fitted on the first
  half (with its labels: ``fit_on="normal"`` trains the autoencoder on windows without a
  labelled anomaly and the Z-score threshold on normal rows) and judged on the second.
* SKAB: one detector is fitted on the anomaly-free run and judged on every valve1 run.
* Baseline: ``IsolationForest(contamination="auto")`` on the vectors of the last ``w``
  values (``w`` = the detector's window), fitted on the normal training rows.
* When the FFT finds no significant period in a training series, the window falls back
  to 32 samples (printed as ``w=32*``).

Usage::

    python examples/shared_data_detectors.py                      # default detector
    python examples/shared_data_detectors.py --detectors cnngru,usad,multiscale
    python examples/shared_data_detectors.py --quick              # smoke run, 2 epochs
    python examples/shared_data_detectors.py --threads 1          # on a busy machine

The data directory defaults to ``../shared/data`` beside the repository (or the
``ECOAI_SHARED_DATA`` environment variable); LEAD data must not be bundled.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest

from ecoai_sklearn.datasets import load_series_csv
from ecoai_sklearn.metrics import (
    point_average_precision_score,
    point_f1_score,
    point_precision_score,
    point_recall_score,
    point_roc_auc_score,
)
from ecoai_sklearn.pipelines import (
    make_fft_cnngru_detector,
    make_lstmae_detector,
    make_multiscale_detector,
    make_usad_detector,
)
from ecoai_sklearn.windowing import FFTWindower

DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FILES = {
    "lead": "lead_buildings.csv",
    "kpi": "kpi_aiops.csv",
    "nab": "nab.csv",
    "skab": "skab_current.csv",
}
FACTORIES = {
    "cnngru": make_fft_cnngru_detector,
    "lstmae": make_lstmae_detector,
    "usad": make_usad_detector,
    "multiscale": make_multiscale_detector,
}
FALLBACK_WINDOW = 32


def window_for(X_train):
    """FFT period of the training series, or the fallback window when none is found."""
    try:
        return FFTWindower().fit(_filled(X_train)).window_size_, False
    except ValueError:
        return FALLBACK_WINDOW, True


def make_detector(name, window, quick, seed):
    estimator_params = {"device": "cpu"}
    if quick:
        estimator_params["max_epochs"] = 2
    if name == "multiscale":
        # short windows as the other scales (the research: 96, 24, 16 on 15-minute data)
        sizes = sorted({window, max(8, window // 4), max(8, window // 6)}, reverse=True)
        detector = make_multiscale_detector(window_sizes=sizes, random_state=seed)
        if quick:
            detector.set_params(
                **{f"scales__scale{k}__scorer__estimator__max_epochs": 2 for k in range(len(sizes))}
            )
        return detector
    return FACTORIES[name](window_size=window, estimator_params=estimator_params, random_state=seed)


def _filled(X):
    """Missing readings carried forward (then backward): only for the baseline/FFT."""
    X = np.array(X, dtype=np.float64)
    for column in X.T:
        mask = np.isnan(column)
        if mask.all():
            column[:] = 0.0
        elif mask.any():
            index = np.where(~mask, np.arange(len(column)), 0)
            np.maximum.accumulate(index, out=index)
            column[:] = column[index]
            first = np.argmax(~mask)
            column[:first] = column[first]
    return X


def lagged(X, window):
    """Row t = the last ``window`` values up to t (edge-padded), one block per channel."""
    X = _filled(X)
    padded = np.pad(X, ((window - 1, 0), (0, 0)), mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)
    return view.reshape(len(X), -1)


def evaluate(y, labels, scores):
    """Precision, recall, F1 of the -1/+1 labels; ROC AUC and PR AUC of the scores."""
    if y.sum() == 0 or y.sum() == len(y):
        ranking = (np.nan, np.nan)  # undefined with one class
    else:
        ranking = (point_roc_auc_score(y, scores), point_average_precision_score(y, scores))
    return (
        point_precision_score(y, labels, pred_convention="sign", zero_division=0.0),
        point_recall_score(y, labels, pred_convention="sign", zero_division=0.0),
        point_f1_score(y, labels, pred_convention="sign", zero_division=0.0),
        *ranking,
    )


def run_series(name, X_train, y_train, tests, detectors, quick, seed):
    """Fit each detector once; yield result rows for every test part."""
    window, fallback = window_for(X_train)
    fitted = {}
    for detector_name in detectors:
        detector = make_detector(detector_name, window, quick, seed)
        start = time.perf_counter()
        try:
            detector.fit(X_train, y_train)
        except ValueError as exc:  # e.g. too few significant periods for multiscale
            print(f"  {name}: {detector_name} skipped ({exc})")
            continue
        fitted[detector_name] = (detector, time.perf_counter() - start)
    normal = y_train == 0
    baseline = IsolationForest(random_state=seed).fit(lagged(X_train, window)[normal])
    for test_name, X_test, y_test in tests:
        rows = []
        for detector_name, (detector, seconds) in fitted.items():
            rows.append(
                (
                    detector_name,
                    seconds,
                    *evaluate(
                        y_test, detector.predict(X_test), -detector.decision_function(X_test)
                    ),
                )
            )
        features = lagged(X_test, window)
        rows.append(
            (
                "iforest_lags",
                np.nan,
                *evaluate(
                    y_test, baseline.predict(features), -baseline.decision_function(features)
                ),
            )
        )
        yield test_name, window, fallback, len(X_train), y_test, rows


def splits(data_dir, datasets, quick):
    """(name, X_train, y_train, [(test name, X_test, y_test), ...]) per experiment."""
    for dataset in datasets:
        path = Path(data_dir) / FILES[dataset]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NAB has 12 rows out of time order
            series = load_series_csv(path, on_bad_order="ignore")
        if dataset == "skab":
            train = series.pop("skab:anomaly-free/anomaly-free")
            tests = [(k, b.X, b.y) for k, b in series.items()]
            yield "skab:anomaly-free", train.X, train.y, tests[:2] if quick else tests
            continue
        items = list(series.items())[:1] if quick else series.items()
        for key, bunch in items:
            half = len(bunch.y) // 2
            yield (
                key,
                bunch.X[:half],
                bunch.y[:half],
                [(key, bunch.X[half:], bunch.y[half:])],
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", default=os.environ.get("ECOAI_SHARED_DATA", DEFAULT_DIR), type=Path
    )
    parser.add_argument("--datasets", default=",".join(FILES), help="comma-separated subset")
    parser.add_argument("--detectors", default="cnngru", help=",".join(FACTORIES))
    parser.add_argument("--quick", action="store_true", help="2 epochs, fewer series")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (1 on a busy machine)"
    )
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    datasets = args.datasets.split(",")
    detectors = args.detectors.split(",")
    unknown = sorted(set(datasets) - set(FILES)) + sorted(set(detectors) - set(FACTORIES))
    if unknown:
        parser.error(f"unknown dataset(s) or detector(s): {unknown}")
    if not (Path(args.data_dir) / "README.md").exists():
        parser.error(f"shared data not found in {args.data_dir} (use --data-dir)")

    header = f"{'series':58s} {'w':>4s} {'train':>6s} {'test%':>6s}  {'method':12s} "
    header += f"{'fit s':>6s} {'prec':>5s} {'rec':>5s} {'F1':>5s} {'ROC':>5s} {'PR':>5s}"
    print(header)
    print("-" * len(header))
    for name, X_train, y_train, tests in splits(args.data_dir, datasets, args.quick):
        results = run_series(name, X_train, y_train, tests, detectors, args.quick, args.seed)
        for test_name, window, fallback, n_train, y_test, rows in results:
            for k, (method, seconds, *metrics) in enumerate(rows):
                first = k == 0
                label = test_name[:58] if first else ""
                w = f"{window}{'*' if fallback else ''}" if first else ""
                n = f"{n_train}" if first else ""
                share = f"{100 * y_test.mean():.1f}" if first else ""
                values = " ".join(f"{v:5.2f}" for v in metrics)
                print(
                    f"{label:58s} {w:>4s} {n:>6s} {share:>6s}  {method:12s} {seconds:6.1f} {values}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
