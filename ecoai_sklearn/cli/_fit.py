"""The ``fit`` subcommand: fit a detector on a CSV file and save it.

Several runs (``--series`` repeated or ``all``) are fitted together as independent runs
(``fit(X, groups=...)``); ``--per-series`` fits one detector per run of the file
(:class:`~ecoai_sklearn.fleet.PerSeriesDetector`); ``--streaming`` wraps the detector
in a :class:`~ecoai_sklearn.streaming.StreamingDetector` (causal window scores, the last
rows kept as history) for the ``stream`` subcommand.
"""

import inspect
import os

import numpy as np
import pandas as pd

from ._apply import detector_input, freq_text, read_data
from ._base import QUICK_EPOCHS, CLIError, Reporter, UsageError, one_line
from ._detectors import build_detector, fit_detector, parse_settings
from ._io import ALL_SERIES, SERIES_ID, check_period, read_header
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
    if args.per_series:
        header = read_header(args.data, delimiter=args.delimiter)
        if header is not None and SERIES_ID not in header:
            raise UsageError(
                f"--per-series fits one detector per {SERIES_ID}, but {args.data} has no "
                f"{SERIES_ID} column: fit without --per-series."
            )
        if args.series is None:
            args.series = [ALL_SERIES]
    with ThreadLimit(args.threads) as threads:
        detector = build_detector(
            args.detector, random_state=args.random_state, settings=settings, epochs=epochs
        )
        if args.streaming:
            from ..streaming import StreamingDetector

            detector = StreamingDetector(detector)
        threads.apply_torch()
        runs = read_data(args, reporter, need_labels=args.use_labels)
        if args.per_series:
            detector, data, info = _fit_per_series(args, detector, runs, reporter, progress)
        else:
            detector, data, info = _fit_one(args, detector, runs, reporter, progress)
    times = data.timestamps
    info = {
        "detector": args.detector,
        "settings": {key: repr(value) for key, value in settings.items()},
        "random_state": args.random_state,
        "epochs": epochs,
        "used_labels": bool(args.use_labels),
        "streaming": bool(args.streaming),
        "columns": [str(c) for c in data.values.columns],
        "time_column": None if times is None else times.name,
        "freq": freq_text(data.freq),
        "time_zone": None if times is None or times.tz is None else str(times.tz),
        "trained_on": os.path.basename(data.source),
        **info,
    }
    save_model(args.out, detector, info=info)
    reporter.say(f"model written to {args.out}")
    return 0


def _fit_one(args, detector, runs, reporter, progress):
    """One detector on the selected runs: several runs are fitted as independent runs
    (``fit(X, groups=...)``: no window crosses from one run into the next)."""
    if len(runs) > 1 and "groups" not in inspect.signature(detector.fit).parameters:
        names = ", ".join(repr(data.run) for data, _ in runs[:4])
        raise UsageError(
            f"fit takes one run with detector {args.detector!r}, and --series selected "
            f"{len(runs)} ({names}{', ...' if len(runs) > 4 else ''}): fitting on "
            "several runs needs windows that never cross from one run into the next, "
            "and this detector's fit takes no groups to keep them apart. Fit on one run "
            "and predict the others with it (predict takes several runs), or fit one "
            "detector per run with --per-series."
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
        "series": data.run if groups is None else [run.run for run, _ in runs],
        "n_rows": n_rows,
        "first_timestamp": None if times is None else str(times[0]),
        "last_timestamp": None if times is None else str(runs[-1][0].timestamps[-1]),
    }
    return detector, data, info


def _training_data(runs, use_labels):
    """``(X, y, groups)``: the detector's input, the labels (with ``use_labels``) and
    each row's run (None for one run), the runs one after the other."""
    if len(runs) == 1:
        data, _ = runs[0]
        return detector_input(data), data.labels if use_labels else None, None
    X = pd.concat([detector_input(data) for data, _ in runs])
    y = np.concatenate([data.labels for data, _ in runs]) if use_labels else None
    groups = np.concatenate([np.full(data.n_rows, data.run, dtype=object) for data, _ in runs])
    return X, y, groups


def _fit_per_series(args, detector, runs, reporter, progress):
    """One clone of ``detector`` per run, in a PerSeriesDetector (failures reported)."""
    import warnings

    from ..fleet import PerSeriesDetector

    columns = [str(c) for c in runs[0][0].values.columns]
    frames, labels = [], []
    for data, _ in runs:
        frame = data.values.copy()
        frame.columns = columns
        frame.insert(0, SERIES_ID, data.run)
        frames.append(frame)
        if args.use_labels:
            labels.append(data.labels)
    frame = pd.concat(frames, ignore_index=True)
    y = np.concatenate(labels) if args.use_labels else None
    fleet = PerSeriesDetector(
        detector, value_columns=columns, time_column=None, label_column=None, on_error="warn"
    )
    shape = f"{len(runs)} series, {frame.shape[0]:,} rows x {len(columns)} channel(s)"
    with reporter.stage(f"fitting {args.detector} on each of {shape}"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the failures are reported below, one per line
            try:
                fit_detector(fleet, frame, y, progress=progress)
            except (ValueError, TypeError) as exc:
                raise CLIError(
                    f"cannot fit {args.detector} on any series of {runs[0][0].source}: "
                    f"{one_line(exc)}"
                ) from exc
    for name, reason in fleet.failures_.items():
        reporter.warn(f"series {name} has no model: {one_line(reason)}")
    data = runs[0][0]
    info = {
        "per_series": True,
        "series": [str(s) for s in fleet.detectors_],
        "failed_series": {str(k): one_line(v) for k, v in fleet.failures_.items()},
        "n_rows": int(frame.shape[0]),
    }
    return fleet, data, info
