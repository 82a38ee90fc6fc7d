"""USAD against CNN-GRU and LSTM-AE on the same generated industrial windows.

The experiment of issue 12 made reproducible: 8 weeks of
:func:`~ecoai_sklearn.datasets.make_industrial_load` (15-minute load, 4 channels, 10
anomaly events of all kinds), the first 5 weeks train and the last 3 test. A
``MinMaxScaler`` fitted on the training rows scales the series, and
``FFTWindower(window_size=96)`` cuts one window per row. Every model trains, without
labels, on every ``--stride``-th real training window (1,089 of them), and scores every
real window ending in the test weeks (1,921); a window is anomalous when any row it
covers is labelled 1. The table gives the window ROC AUC of ``score_windows`` per seed
(data and model seed together) and its mean, and for USAD two diagnostics of the trained
net: the fraction of ``AE2(AE1(W))`` outputs within 1e-3 of 0 or 1 on the test windows
(a saturated second decoder), and the fraction of the encoder's first-layer units whose
pre-activation is <= 0 on every training window (dead units for a ReLU).

Models: ``cnngru`` and ``lstmae`` with the factories' training settings (20 epochs,
lr 3e-3, batch 32); ``paper*``: USAD as it was before issue 12 (the paper's schedule,
ReLU) with one change each; ``usad*``: USAD's current defaults with one change each
(``*-own``: the estimator's own 50 epochs, which ``make_usad_detector`` uses). ``--curves``
prints USAD's errors, saturation, units off and test ROC AUC after every epoch.

Usage::

    python benchmarks/bench_usad.py --quick                 # smoke run (about a minute)
    python benchmarks/bench_usad.py --seeds 0 1 2 3 4       # the main rows
    python benchmarks/bench_usad.py --models paper usad --seeds 0 --curves
    python benchmarks/bench_usad.py --models all --seeds 0 1 2 3 4   # every variant
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.neural import CNNGRUAE, LSTMAE, USAD
from ecoai_sklearn.neural._usad import _CappedUSADNet
from ecoai_sklearn.windowing import FFTWindower

WINDOW = 96
DAY = 96
#: the factories' training settings (pipelines/_factories.py: _CNNGRU_DEFAULTS, ...)
FACTORY = {"max_epochs": 20, "lr": 3e-3, "batch_size": 32}
#: USAD before the fix: the paper's schedule, ReLU, lr 1e-3, batch 128 (50 epochs)
PAPER = {"max_adversarial_weight": 1.0, "module__activation": "relu"}
PAPER_OWN = {**PAPER, "max_epochs": 50, "lr": 1e-3, "batch_size": 128}


def _schedule(name, weight):
    """USAD whose reconstruction weight at epoch n is ``weight(n)`` (the paper: 1/n)."""

    def _epoch_weight(self):
        return weight(max(1, len(self.history)))

    net = type(f"_Net_{name}", (_CappedUSADNet,), {"_epoch_weight": _epoch_weight})
    return type(f"USAD_{name}", (USAD,), {"_net_class": net})


#: name -> (estimator class, parameters, what it tests)
VARIANTS = {}


def add_variant(name, params, note, base=FACTORY, cls=USAD):
    VARIANTS[name] = (cls, {**base, **params}, note)


add_variant("cnngru", {}, "reference: CNN-GRU, factory settings", cls=CNNGRUAE)
add_variant("lstmae", {}, "reference: LSTM-AE, factory settings", cls=LSTMAE)
# USAD as it was, and one hypothesis at a time on top of it
add_variant(
    "paper-own", PAPER_OWN, "old USAD: paper schedule, ReLU, its own 50 ep/lr 1e-3/batch 128"
)
add_variant("paper", PAPER, "old USAD with the others' 20 ep/lr 3e-3/batch 32")
add_variant("paper-ab55", {**PAPER, "alpha": 0.5, "beta": 0.5}, "paper's score alpha=beta=0.5")
add_variant("paper-linear", {**PAPER, "module__output_activation": "identity"}, "linear output")
add_variant("paper-lr1e-3", {**PAPER, "lr": 1e-3}, "lr 1e-3")
add_variant("paper-ep50", {**PAPER, "max_epochs": 50}, "50 epochs")
add_variant("paper-latent8", {**PAPER, "module__latent_size": 8}, "latent 8 (default w*c//8 = 48)")
add_variant(
    "paper-warmup5",
    PAPER,
    "5 epochs without adversarial terms, then 1/(n-5)",
    cls=_schedule("warmup5", lambda n: 1.0 if n <= 5 else 1.0 / (n - 5)),
)
add_variant(
    "paper-slow10",
    PAPER,
    "slower schedule 1/(1+(n-1)/10)",
    cls=_schedule("slow10", lambda n: 1.0 / (1 + (n - 1) / 10)),
)
add_variant("paper-range", {**PAPER, "feature_range": (0.1, 0.9)}, "windows scaled to [0.1, 0.9]")
add_variant("paper-gelu", {**PAPER, "module__activation": "gelu"}, "GELU")
add_variant("paper-cap0.1", {**PAPER, "max_adversarial_weight": 0.1}, "adversarial weight <= 0.1")
add_variant("paper-cap0", {**PAPER, "max_adversarial_weight": 0.0}, "no adversarial terms")
# USAD's new defaults, and one step back at a time
add_variant("usad-own", {}, "new USAD defaults (make_usad_detector: 50 epochs)", base={})
add_variant("usad", {}, "new USAD defaults with the others' 20 epochs")
add_variant("usad-relu", {"module__activation": "relu"}, "ReLU")
add_variant("usad-cap0.25", {"max_adversarial_weight": 0.25}, "adversarial weight <= 0.25")
add_variant("usad-cap0", {"max_adversarial_weight": 0.0}, "no adversarial terms")
add_variant("usad-ab55", {"alpha": 0.5, "beta": 0.5}, "paper's score alpha=beta=0.5")
add_variant("usad-range", {"feature_range": (0.1, 0.9)}, "windows scaled to [0.1, 0.9]")
add_variant("usad-linear", {"module__output_activation": "identity"}, "linear output")
add_variant(
    "usad-lr1e-3-b128", {"lr": 1e-3, "batch_size": 128}, "old lr 1e-3 and batch 128", base={}
)

REFERENCES = ("cnngru", "lstmae")
DEFAULT_MODELS = ["cnngru", "lstmae", "paper-own", "paper", "usad-own", "usad"]


def windows(seed, n_days, train_days, stride, n_events):
    """Scaled training windows, test windows and test labels of one generated series."""
    X, y, _ = make_industrial_load(n_days=n_days, n_anomalies=n_events, random_state=seed)
    n_train = train_days * DAY
    scaler = MinMaxScaler().fit(X[:n_train])
    windower = FFTWindower(window_size=WINDOW).fit(scaler.transform(X[:n_train]))
    W = windower.transform(scaler.transform(X))
    # label of the window ending at t: any row of t-w+1..t labelled 1
    covered = np.lib.stride_tricks.sliding_window_view(y, WINDOW).max(axis=1)
    train_rows = np.arange(WINDOW - 1, n_train, stride)
    test_rows = np.arange(n_train + WINDOW - 1, len(X))  # windows inside the test weeks
    labels = covered[test_rows - (WINDOW - 1)]
    return np.asarray(W[train_rows]), np.asarray(W[test_rows]), labels


def diagnostics(module, train, test):
    """Fraction of AE2(AE1(W)) outputs saturated (within 1e-3 of 0 or 1) on the test
    windows, and fraction of the encoder's first-layer units whose pre-activation is
    <= 0 on every training window (dead for a ReLU)."""
    module.eval()
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(test, dtype=np.float32))
        w3 = module.usad_outputs(x)[2]
        saturated = float(((w3 < 1e-3) | (w3 > 1 - 1e-3)).float().mean())
        x = torch.from_numpy(np.ascontiguousarray(train, dtype=np.float32))
        pre = module.encoder[0](x.reshape(len(x), -1))
        off = float((pre.max(dim=0).values <= 0).float().mean())
    return saturated, off


class Curves(Callback):
    """Print USAD's training curves: errors, AE2 saturation, units off, test ROC AUC."""

    def __init__(self, train, test, labels):
        self.train, self.test, self.labels = train, test, labels

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        errors = []
        with torch.no_grad():
            for windows in (self.train, self.test):
                x = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
                module.eval()
                w1, _, w3 = module.usad_outputs(x)
                errors.append((((x - w1) ** 2).mean((1, 2)), ((x - w3) ** 2).mean((1, 2))))
        saturated, off = diagnostics(module, self.train, self.test)
        module.train()
        h = net.history[-1]
        print(
            f"epoch {len(net.history):3d} adversarial weight "
            f"{h.get('adversarial_weight', float('nan')):.2f} | train mse AE1 "
            f"{float(errors[0][0].mean()):.4f} AE2(AE1) {float(errors[0][1].mean()):.4f} | "
            f"AE2(AE1) saturated {saturated:.2f}, units off {off:.2f} | test ROC AUC AE1 "
            f"{roc_auc_score(self.labels, errors[1][0].numpy()):.3f} AE2(AE1) "
            f"{roc_auc_score(self.labels, errors[1][1].numpy()):.3f}",
            flush=True,
        )


def run(name, seed, data, curves=False):
    cls, params, _ = VARIANTS[name]
    train, test, labels = data
    if "feature_range" in params:  # the MinMaxScaler's range, [0, 1] otherwise
        low, high = params["feature_range"]
        train, test = (low + (high - low) * w for w in (train, test))
        params = {k: v for k, v in params.items() if k != "feature_range"}
    if curves:
        params = {**params, "callbacks": [Curves(train, test, labels)]}
    est = cls(random_state=seed, device="cpu", **params).fit(train)
    auc = roc_auc_score(labels, est.score_windows(test))
    loss = est.history_[-1, "train_loss"]
    extra = diagnostics(est.module_, train, test) if isinstance(est, USAD) else (np.nan, np.nan)
    return auc, loss, *extra


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 weeks train, 1 test, 6 events, 3 epochs"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--models", nargs="+", default=None, help=f"'all' or among {sorted(VARIANTS)}"
    )
    parser.add_argument("--stride", type=int, default=3, help="training window stride")
    parser.add_argument("--events", type=int, default=10, help="anomaly events in 8 weeks")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--curves", action="store_true", help="print USAD's curves per epoch")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    n_days, train_days = (21, 14) if args.quick else (56, 35)
    models = args.models or DEFAULT_MODELS
    if models == ["all"]:
        models = list(VARIANTS)
    unknown = sorted(set(models) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown models {unknown}; choose among {sorted(VARIANTS)}")
    if args.quick:
        for name in models:
            cls, params, note = VARIANTS[name]
            VARIANTS[name] = (cls, {**params, "max_epochs": 3}, note)

    print(f"# bench_usad {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"torch threads {args.threads}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    n_events = 6 if args.quick else args.events
    data = {s: windows(s, n_days, train_days, args.stride, n_events) for s in args.seeds}
    for s, (train, test, labels) in data.items():
        print(
            f"seed {s}: {len(train)} training windows, {len(test)} test windows, "
            f"{labels.mean():.0%} anomalous"
        )
    results = {}
    for name in models:
        for s in args.seeds:
            start = time.perf_counter()
            results[name, s] = run(name, s, data[s], args.curves and name not in REFERENCES)
            auc, loss = results[name, s][:2]
            print(
                f"  {name} seed {s}: ROC AUC {auc:.3f}, final train_loss {loss:.4g} "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    seeds = " | ".join(f"seed {s}" for s in args.seeds)
    print(f"\n| model | {seeds} | mean | AE2(AE1) saturated | units off | what it tests |")
    print("|---|" + "---|" * len(args.seeds) + "---|---|---|---|")
    for name in models:
        aucs, _, sat, off = np.array([results[name, s] for s in args.seeds]).T
        cells = " | ".join(f"{a:.3f}" for a in aucs)
        diag = "| | |" if name in REFERENCES else f"| {sat.mean():.2f} | {off.mean():.2f} |"
        print(f"| {name} | {cells} | **{aucs.mean():.3f}** {diag} {VARIANTS[name][2]} |")


if __name__ == "__main__":
    main()
