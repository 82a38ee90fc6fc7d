"""Reproductions of the study's claims on our data, with an honest protocol.

Part ``table2`` (the study's Table 2, LSTM-AE vs USAD across time resolutions):
``make_lstmae_detector`` and ``make_usad_detector`` on the LEAD1.0 buildings (hourly), the
KPI series (5-minute) and generated 15-minute industrial load, with precision, recall, F1,
ROC AUC and PR AUC on the last 20 % of each series (threshold from the validation 20 %,
see ``benchmarks/_common.py``), beside the F1 the study reported and, separately
labelled, the "study protocol" F1 of the same scores: windows (the detector's length)
labelled anomalous if any point is, threshold chosen on the test labels.

Part ``ablation`` (does DTW help, does multi-scale help?): the FFT + GELU CNN-GRU AE +
DTW pipeline (``make_fft_cnngru_detector``), the same with MSE errors
(``metric="mse"``), the same without FFT (fixed window of 32), and the multi-scale
detector (3 FFT periods, ``make_multiscale_detector``) on the same series.

The MI-FGSM epsilon sweep and the weighted Z-score thresholds have their own scripts
(``bench_mifgsm.py``, ``bench_thresholds.py``); ``RESULTS.md`` collects their tables.

Usage::

    python -m benchmarks.bench_research                       # both parts, all series
    python -m benchmarks.bench_research --part table2 --groups lead
    python -m benchmarks.bench_research --part ablation --series building_118 industrial
    python -m benchmarks.bench_research --quick               # CI-size smoke run
"""

import argparse
import sys

try:
    from ._common import environment, load_tasks, markdown_table, set_threads
    from .bench_peers import Ours, run_method
except ImportError:  # run as a file: python -m benchmarks.bench_research
    from _common import environment, load_tasks, markdown_table, set_threads
    from bench_peers import Ours, run_method

#: F1 reported by the study (Table 2), per data set kind: (LSTM-AE, USAD)
STUDY_F1 = {"lead": (0.7013, 0.8636), "industrial": (0.8135, 0.8612), "kpi": (0.8800, 0.7685)}
MODELS = {"LSTM-AE": "make_lstmae_detector", "USAD": "make_usad_detector"}
ABLATIONS = {
    "FFT+CNN-GRU+DTW (default)": ("make_fft_cnngru_detector", {}),
    "FFT+CNN-GRU+MSE": ("make_fft_cnngru_detector", {"metric": "mse"}),
    "no FFT (window 32)+CNN-GRU+DTW": ("make_fft_cnngru_detector", {"window_size": 32}),
    "multi-scale (3 FFT periods)+DTW": ("make_multiscale_detector", {"n_periods": 3}),
}
TABLE2_HEADER = [
    "series",
    "model",
    "precision",
    "recall",
    "F1",
    "ROC AUC",
    "PR AUC",
    "study F1 (reported)",
    "study-protocol F1 (test-tuned, window-any)",
]
ABLATION_HEADER = ["series", "variant", "F1", "PR AUC", "ROC AUC", "PA-F1 (optimistic)"]


def _kind(task):
    return task.name.split(":")[0]


def _row(task, label, result, status, keys):
    if status != "ok":
        return [task.name, label, status] + [""] * (len(keys) - 1)
    return [task.name, label, *(result[k] for k in keys)]


def table2(tasks, quick):
    rows = []
    for task in tasks:
        for i, (label, factory) in enumerate(MODELS.items()):
            result, seconds, status = run_method(task, Ours(quick, factory), study_window="auto")
            row = _row(task, label, result, status, ("precision", "recall", "f1", "roc_auc"))
            if status == "ok":
                row += [result["pr_auc"], STUDY_F1[_kind(task)][i], result["study_f1"]]
            else:
                row += ["", STUDY_F1[_kind(task)][i], ""]
            rows.append(row)
            print(f"  {row} ({seconds:.0f} s)", flush=True)
    return rows


def ablation(tasks, quick):
    rows = []
    for task in tasks:
        for label, (factory, kwargs) in ABLATIONS.items():
            result, seconds, status = run_method(task, Ours(quick, factory, **kwargs))
            rows.append(_row(task, label, result, status, ("f1", "pr_auc", "roc_auc", "pa_f1")))
            print(f"  {rows[-1]} ({seconds:.0f} s)", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--part", choices=["table2", "ablation", "all"], default="all")
    parser.add_argument("--groups", nargs="+", default=["lead", "kpi", "industrial"])
    parser.add_argument(
        "--series", nargs="+", default=None, help="keep series whose name contains one of these"
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    print(f"# bench_research {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# {environment()}")
    tasks = load_tasks(args.groups, quick=args.quick)
    if args.series:
        tasks = [t for t in tasks if any(part in t.name for part in args.series)]
    out = {}
    if args.part in ("table2", "all"):
        print("## Table 2: LSTM-AE vs USAD (honest protocol, then the study's)")
        out["table2"] = table2(tasks, args.quick)
        print(markdown_table(TABLE2_HEADER, out["table2"]), "\n")
    if args.part in ("ablation", "all"):
        print("## Ablation: DTW vs MSE, FFT vs fixed window, single vs multi-scale")
        out["ablation"] = ablation(tasks, args.quick)
        print(markdown_table(ABLATION_HEADER, out["ablation"]), "\n")
    return out


if __name__ == "__main__":
    main()
