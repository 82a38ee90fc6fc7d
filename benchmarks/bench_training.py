"""Training and inference throughput: our estimators versus a plain torch loop.

For each autoencoder (research default sizes) this times, on the same float64 windows:

* ``estimator``: ``fit`` (validation, float32 conversion, module construction, skorch
  training loop) and ``score_windows`` (per-window error, streamed in batches);
* ``plain``: the same steps written as a bare torch loop over the *same module class*
  (same initialisation, optimizer, batch size, shuffling by ``randperm`` and
  ``index_select`` on a tensor, and for USAD the same two-phase step);
* ``DataLoader`` (training only, for reference): a textbook loop over
  ``DataLoader(TensorDataset(X), shuffle=True)``, which collates one window at a time.

Repetitions alternate estimator and plain runs and keep the best time of each, so a
burst of load from other processes does not land on one side only. CPU runs time the
process's CPU time (see ``timed``), GPU runs wall time. The overhead is
``estimator time / plain time - 1``; the goal is at most 10 %.

Usage::

    python -m benchmarks.bench_training --quick            # CPU smoke run (~1 min)
    python -m benchmarks.bench_training --device cuda      # GPU run, larger data
"""

import argparse
import time
from functools import partial

import numpy as np
import torch

from ecoai_sklearn.neural import CNNGRUAE, LSTMAE, USAD, reset_parameters

MODELS = {
    "CNNGRUAE": (CNNGRUAE, {"batch_size": 64}),
    "LSTMAE": (LSTMAE, {"batch_size": 64}),
    "USAD": (USAD, {"batch_size": 128}),
}


def make_windows(n_windows, window, n_channels, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_windows + window)
    # in [0, 1] like MinMax-scaled load (USAD's sigmoid output expects that)
    daily = 0.5 + 0.35 * np.sin(2 * np.pi * t / 96)[:, None]
    daily = np.clip(daily + 0.03 * rng.normal(size=(t.size, n_channels)), 0, 1)
    return np.lib.stride_tricks.sliding_window_view(daily, window, axis=0)[:n_windows].transpose(
        0, 2, 1
    )


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _plain_setup(est, X, device, seed):
    """Module, optimizer(s) and data exactly as the estimator builds them."""
    data = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(device)
    module = est._module_class(X.shape[2], X.shape[1], **est._module_kwargs())
    reset_parameters(module, torch.Generator().manual_seed(seed))
    module.to(device)
    if isinstance(est, USAD):
        optimizers = [
            torch.optim.Adam([*module.encoder.parameters(), *dec.parameters()], lr=est.lr)
            for dec in (module.decoder1, module.decoder2)
        ]
    else:
        optimizers = [torch.optim.Adam(module.parameters(), lr=est.lr)]
    return data, module, optimizers


def _usad_step(module, optimizers, x, epoch):
    inv_n = 1.0 / epoch
    opt1, opt2 = optimizers
    opt1.zero_grad(set_to_none=True)
    opt2.zero_grad(set_to_none=True)
    w1, _, w3 = module.usad_outputs(x)
    loss1 = inv_n * torch.mean((x - w1) ** 2) + (1 - inv_n) * torch.mean((x - w3) ** 2)
    loss1.backward()
    opt1.step()
    opt1.zero_grad(set_to_none=True)
    opt2.zero_grad(set_to_none=True)
    w1, w2, w3 = module.usad_outputs(x)
    loss2 = inv_n * torch.mean((x - w2) ** 2) - (1 - inv_n) * torch.mean((x - w3) ** 2)
    loss2.backward()
    opt2.step()
    return loss1.detach()


def _ae_step(module, optimizers, x, epoch):
    (opt,) = optimizers
    opt.zero_grad(set_to_none=True)
    loss = torch.mean((module(x) - x) ** 2)
    loss.backward()
    opt.step()
    return loss.detach()


def plain_fit(est, X, device, epochs, seed=0, dataloader=False):
    data, module, optimizers = _plain_setup(est, X, device, seed)
    step = _usad_step if isinstance(est, USAD) else _ae_step
    gen = torch.Generator().manual_seed(seed)
    module.train()
    n, size = len(data), est.batch_size
    losses = []
    for epoch in range(1, epochs + 1):
        if dataloader:
            loader = torch.utils.data.DataLoader(
                torch.utils.data.TensorDataset(data.cpu()), batch_size=size, shuffle=True
            )
            batches = (b.to(device) for (b,) in loader)
        else:
            order = torch.randperm(n, generator=gen).to(device)
            batches = (data.index_select(0, order[i : i + size]) for i in range(0, n, size))
        epoch_losses = [step(module, optimizers, x, epoch) for x in batches]
        losses.append(torch.stack(epoch_losses).mean().item())
    return module


def plain_score(est, module, X, device, batch_size):
    module.eval()
    out = np.empty(len(X))
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(X[i : i + batch_size], dtype=np.float32))
            x = x.to(device)
            if isinstance(est, USAD):
                w1 = module(x)
                w3 = module.decode2(module.encode(w1))
                err = 0.5 * torch.mean((x - w1) ** 2, dim=(1, 2)) + 0.5 * torch.mean(
                    (x - w3) ** 2, dim=(1, 2)
                )
            else:
                err = torch.mean((module(x) - x) ** 2, dim=(1, 2))
            out[i : i + batch_size] = err.cpu().numpy()
    return out


def timed(fn, device):
    """Run fn; return its duration and result.

    On CPU the duration is the process's CPU time: with one torch thread it is the work
    done, and other processes competing for the cores (a shared machine) inflate it
    far less than wall time. On GPU it is wall time between device synchronisations.
    """
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    _sync(device)
    start = clock()
    result = fn()
    _sync(device)
    return clock() - start, result


def bench_model(name, X, device, epochs, repeats, with_dataloader):
    cls, params = MODELS[name]
    est = cls(max_epochs=epochs, random_state=0, device=str(device), **params)
    inference_batch = max(1024, est.batch_size)
    n = len(X)
    # warm-up: allocator, kernels, lazy imports
    est.set_params(max_epochs=1).fit(X[: 4 * est.batch_size])
    plain_fit(est, X[: 4 * est.batch_size], device, 1)
    est.set_params(max_epochs=epochs)

    # inference on X repeated until a plain pass takes about 0.5 s: a call's fixed
    # cost (input validation, about 0.5 ms) is not what this measures
    X_infer = None
    times = {"fit_est": [], "fit_plain": [], "inf_est": [], "inf_plain": [], "fit_loader": []}
    for _ in range(repeats):
        t, _ = timed(lambda: est.fit(X), device)
        times["fit_est"].append(t)
        t, module = timed(lambda: plain_fit(est, X, device, epochs), device)
        times["fit_plain"].append(t)
        if X_infer is None:
            t, _ = timed(partial(plain_score, est, module, X, device, inference_batch), device)
            X_infer = np.concatenate([X] * max(1, int(np.ceil(0.5 / t))))
        t, _ = timed(partial(est.score_windows, X_infer), device)
        times["inf_est"].append(t)
        t, _ = timed(partial(plain_score, est, module, X_infer, device, inference_batch), device)
        times["inf_plain"].append(t)
    if with_dataloader:
        t, _ = timed(lambda: plain_fit(est, X, device, epochs, dataloader=True), device)
        times["fit_loader"].append(t)
    best = {k: min(v) for k, v in times.items() if v}
    row = {
        "model": name,
        "train est/s": n * epochs / best["fit_est"],
        "train plain/s": n * epochs / best["fit_plain"],
        "train overhead": best["fit_est"] / best["fit_plain"] - 1,
        "infer est/s": len(X_infer) / best["inf_est"],
        "infer plain/s": len(X_infer) / best["inf_plain"],
        "infer overhead": best["inf_est"] / best["inf_plain"] - 1,
    }
    if "fit_loader" in best:
        row["train DataLoader/s"] = n * epochs / best["fit_loader"]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="small data, 2 repeats")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--windows", type=int, default=None, help="number of windows")
    parser.add_argument("--window", type=int, default=96, help="window length (w)")
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-dataloader", action="store_true", help="skip DataLoader row")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    n_windows = args.windows or (1024 if args.quick else (20000 if gpu else 3000))
    epochs = args.epochs or (2 if args.quick else 3)
    repeats = args.repeats or (2 if args.quick else 3)
    X = make_windows(n_windows, args.window, args.channels)

    name = torch.cuda.get_device_name(device) if gpu else f"cpu ({args.threads} thread(s))"
    print(
        f"device={name} torch={torch.__version__} windows={n_windows} w={args.window} "
        f"c={args.channels} epochs={epochs} repeats={repeats} (best of; "
        f"{'wall' if gpu else 'process CPU'} time)"
    )
    rows = [bench_model(m, X, device, epochs, repeats, not args.no_dataloader) for m in args.models]
    cols = [
        "model",
        "train est/s",
        "train plain/s",
        "train overhead",
        "infer est/s",
        "infer plain/s",
        "infer overhead",
        "train DataLoader/s",
    ]
    cols = [c for c in cols if any(c in r for r in rows)]
    print(" | ".join(f"{c:>18}" for c in cols))
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            if isinstance(v, float):
                v = f"{v:+.1%}" if "overhead" in c else f"{v:,.0f}"
            cells.append(f"{v:>18}")
        print(" | ".join(cells))
    return rows


if __name__ == "__main__":
    main()
