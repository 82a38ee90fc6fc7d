"""The ``fit`` subcommand: fit a detector on a CSV file and save it."""

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
        if len(runs) > 1:
            names = ", ".join(repr(data.run) for data, _ in runs[:4])
            raise UsageError(
                f"fit takes one run, and --series selected {len(runs)} ({names}"
                f"{', ...' if len(runs) > 4 else ''}): one detector fitted on several runs "
                "needs windows that never cross from one run into the next, which "
                "ecoai_sklearn does not support yet, and joining the runs would make such "
                "windows. Fit on one run (e.g. a run without anomalies) and predict the "
                "others with it (predict takes several runs)."
            )
        data, _ = runs[0]
        if data.n_rows < MIN_FIT_ROWS:
            raise CLIError(
                f"{data.name} is too short to fit a detector: {data.n_rows} rows; at least "
                f"{MIN_FIT_ROWS} are needed, and in practice several cycles (days) of readings."
            )
        shape = f"{data.n_rows:,} rows x {data.values.shape[1]} channel(s)"
        with reporter.stage(f"fitting {args.detector} on {shape}"):
            try:
                y = data.labels if args.use_labels else None
                fit_detector(detector, detector_input(data), y, progress=progress)
            except (ValueError, TypeError) as exc:
                raise CLIError(
                    f"cannot fit {args.detector} on {data.name} ({shape}): {one_line(exc)}"
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
        "series": data.run,
        "n_rows": data.n_rows,
        "first_timestamp": None if times is None else str(times[0]),
        "last_timestamp": None if times is None else str(times[-1]),
    }
    save_model(args.out, detector, info=info)
    reporter.say(f"model written to {args.out}")
    return 0
