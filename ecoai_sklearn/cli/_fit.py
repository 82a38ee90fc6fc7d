"""The ``fit`` subcommand: fit a detector on a CSV file and save it."""

import datetime
import os

from ._apply import read_data
from ._base import QUICK_EPOCHS, CLIError, Reporter, one_line
from ._detectors import build_detector, fit_detector, parse_settings
from ._model import save_model

# Fewer rows than this cannot hold two cycles of even a short period: refuse before fitting.
MIN_FIT_ROWS = 16


def run(args, *, progress):
    """Run ``ecoai-detect fit`` with the parsed ``args``; return the exit code."""
    reporter = Reporter(quiet=args.quiet)
    settings = parse_settings(args.set)
    epochs = QUICK_EPOCHS if args.quick else args.epochs
    detector = build_detector(
        args.detector, random_state=args.random_state, settings=settings, epochs=epochs
    )
    data, _ = read_data(args, reporter, need_labels=args.use_labels)
    if data.n_rows < MIN_FIT_ROWS:
        raise CLIError(
            f"{data.source} is too short to fit a detector: {data.n_rows} rows; at least "
            f"{MIN_FIT_ROWS} are needed, and in practice several cycles (days) of readings."
        )
    shape = f"{data.n_rows:,} rows x {data.values.shape[1]} channel(s)"
    with reporter.stage(f"fitting {args.detector} on {shape}"):
        try:
            y = data.labels if args.use_labels else None
            fit_detector(detector, data.values, y, progress=progress)
        except (ValueError, TypeError) as exc:
            raise CLIError(
                f"cannot fit {args.detector} on {data.source} ({shape}): {one_line(exc)}"
            ) from exc
    times = data.timestamps
    info = {
        "detector": args.detector,
        "settings": {key: repr(value) for key, value in settings.items()},
        "random_state": args.random_state,
        "epochs": epochs,
        "used_labels": bool(args.use_labels),
        "columns": list(data.values.columns),
        "timestamp_column": None if times is None else times.name,
        "trained_on": os.path.basename(data.source),
        "n_rows": data.n_rows,
        "first_timestamp": None if times is None else str(times[0]),
        "last_timestamp": None if times is None else str(times[-1]),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    save_model(args.out, detector, info=info)
    reporter.say(f"model written to {args.out}")
    return 0
