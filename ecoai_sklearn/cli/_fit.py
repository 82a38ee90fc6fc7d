"""The ``fit`` subcommand: fit a detector on a CSV file and save it."""

import inspect
import os

from ._apply import detector_input, freq_text, read_data
from ._base import QUICK_EPOCHS, CLIError, Reporter, UsageError, one_line
from ._detectors import build_detector, fit_detector, parse_settings
from ._io import check_period
from ._model import save_model
from ._threads import ThreadLimit

# Fewer rows than this cannot hold two cycles of even a short period: refuse before fitting.
MIN_FIT_ROWS = 16


def run(args, *, progress):
    """Run ``ecoai-detect fit`` with the parsed ``args``; return the exit code."""
    reporter = Reporter(quiet=args.quiet)
    check_period(args.start, args.end)
    settings = parse_settings(args.set)
    epochs = QUICK_EPOCHS if args.quick else args.epochs
    with ThreadLimit(args.threads) as threads:
        detector = build_detector(
            args.detector, random_state=args.random_state, settings=settings, epochs=epochs
        )
        threads.apply_torch()
        runs = read_data(args, reporter, need_labels=args.use_labels)
        if len(runs) > 1 and "groups" not in inspect.signature(detector.fit).parameters:
            names = ", ".join(repr(data.run) for data, _ in runs[:4])
            raise UsageError(
                f"fit takes one run with detector {args.detector!r}, and --series selected "
                f"{len(runs)} ({names}{', ...' if len(runs) > 4 else ''}): fitting on "
                "several runs needs windows that never cross from one run into the next, "
                "and this detector's fit takes no groups to keep them apart. Fit on one run "
                "and predict the others with it (predict takes several runs)."
            )
        data = runs[0][0]
        X, y, groups = _training_data(runs, args.use_labels)
        name = data.name if groups is None else f"{data.source} ({len(runs)} runs)"
        n_rows = X.shape[0]
        if n_rows < MIN_FIT_ROWS:
            raise CLIError(
                f"{name} is too short to fit a detector: {n_rows} rows; at least "
                f"{MIN_FIT_ROWS} are needed, and in practice several cycles (days) of readings."
            )
        shape = f"{n_rows:,} rows x {data.values.shape[1]} channel(s)"
        if groups is not None:
            shape += f" in {len(runs)} runs"
        with reporter.stage(f"fitting {args.detector} on {shape}"):
            try:
                fit_detector(detector, X, y, progress=progress, groups=groups)
            except (ValueError, TypeError) as exc:
                raise CLIError(
                    f"cannot fit {args.detector} on {name} ({shape}): {one_line(exc)}"
                ) from exc
    times = data.timestamps
    info = {
        "detector": args.detector,
        "settings": {key: repr(value) for key, value in settings.items()},
        "random_state": args.random_state,
        "epochs": epochs,
        "used_labels": bool(args.use_labels),
        "columns": [str(c) for c in data.values.columns],
        "time_column": None if times is None else times.name,
        "freq": freq_text(data.freq),
        "time_zone": None if times is None or times.tz is None else str(times.tz),
        "trained_on": os.path.basename(data.source),
        "series": data.run if groups is None else [run.run for run, _ in runs],
        "n_rows": n_rows,
        "first_timestamp": None if times is None else str(times[0]),
        "last_timestamp": None if times is None else str(runs[-1][0].timestamps[-1]),
    }
    save_model(args.out, detector, info=info)
    reporter.say(f"model written to {args.out}")
    return 0


def _training_data(runs, use_labels):
    """``(X, y, groups)``: the detector's input, the labels (with ``use_labels``) and
    each row's run (None for one run), the runs one after the other."""
    import numpy as np
    import pandas as pd

    if len(runs) == 1:
        data, _ = runs[0]
        return detector_input(data), data.labels if use_labels else None, None
    X = pd.concat([detector_input(data) for data, _ in runs])
    y = np.concatenate([data.labels for data, _ in runs]) if use_labels else None
    groups = np.concatenate([np.full(data.n_rows, data.run, dtype=object) for data, _ in runs])
    return X, y, groups
