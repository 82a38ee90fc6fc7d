"""What the subcommands share: reading the data file, loading a model, scoring rows."""

import pandas as pd

from ._base import CLIError, one_line
from ._detectors import history_rows, score_detector
from ._io import ALL_SERIES, SERIES_ID, check_period, read_header, read_series, take, with_history
from ._model import WRITTEN_BY, load_model


def read_data(args, reporter, *, columns=None, time_column=None, need_labels=False, history=0):
    """Read the runs of the data file of ``args``; with ``history``, keep that many rows
    before --start.

    Returns a list of ``(data, n_history)``, one per run: the first ``n_history`` rows
    of ``data`` are history, to be scored (their windows feed the rows after them) but
    not reported. What the grid repaired is said on stderr in one line per run, even
    with --quiet (it changes the data); the rest only without --quiet.
    """
    check_period(args.start, args.end)
    runs = read_series(
        args.data,
        time_column=args.time_column or time_column,
        value_columns=args.columns or columns,
        label_column=args.label_column,
        series=args.series,
        need_labels=need_labels,
        delimiter=args.delimiter,
        decimal=args.decimal,
        on_duplicate=args.on_duplicate,
        off_grid=args.off_grid,
        start=None if history else args.start,
        end=args.end,
    )
    result = []
    for data in runs:
        n_history = 0
        if history:
            data, n_history = with_history(data, args.start, history)
        for note in data.notes:
            reporter.say(f"{data.name}: {note}")
        if data.repairs:
            reporter.note(f"repaired {data.name}: {data.repairs}")
        n_missing = int(data.values.isna().to_numpy().sum())
        reporter.say(
            f"read {data.name}: {data.n_rows:,} rows x {data.values.shape[1]} column(s) "
            f"({', '.join(data.values.columns)})"
            + (f", {n_missing:,} missing value(s)" if n_missing else "")
            + (f", the first {n_history:,} as history before {args.start}" if n_history else "")
        )
        result.append((data, n_history))
    return result


def load_and_read(args, reporter, threads, *, need_labels=False):
    """The model of ``args`` and the runs of its data file, read with the model's columns.

    Which columns: ``--columns`` (renamed to the model's names), else the columns in the
    model file's metadata (written by ``fit``), else the model's ``feature_names_in_``
    (a model saved from Python after fitting on a DataFrame), else every numeric column;
    their number must be the model's ``n_features_in_``.

    Returns ``(detector, runs)``, ``runs`` as :func:`read_data` returns them.
    """
    check_period(args.start, args.end)  # a usage error before the model is loaded
    detector, metadata, warnings = load_model(args.model, trusted=args.trust)
    threads.apply_torch()
    per_series = _is_per_series(detector)
    if per_series and args.series is None:
        args.series = [ALL_SERIES]  # every run of the file, each with its own detector
    for text in warnings:
        reporter.warn(text)
    if metadata.get("written_by") == WRITTEN_BY:
        reporter.say(
            f"model {args.model}: {metadata.get('detector')} fitted on "
            f"{metadata.get('trained_on')} ({metadata.get('n_rows')} rows"
            + (f", one detector per series: {len(detector.detectors_)}" if per_series else "")
            + ")"
        )
    else:
        reporter.say(f"model {args.model}: {type(detector).__name__} (saved from Python)")
    columns = metadata.get("columns")
    if per_series and columns is None:
        columns = list(detector.value_columns_)
    if columns is None and getattr(detector, "feature_names_in_", None) is not None:
        columns = [str(name) for name in detector.feature_names_in_]
    n_expected = len(columns) if columns is not None else getattr(detector, "n_features_in_", None)
    use_history = args.start is not None and args.history
    runs = read_data(
        args,
        reporter,
        columns=columns if args.columns is None else None,
        time_column=_existing(args, metadata.get("time_column")),
        need_labels=need_labels,
        history=history_rows(detector) if use_history else 0,
    )
    for data, _ in runs:
        if n_expected is not None and data.values.shape[1] != n_expected:
            fitted = f" ({', '.join(columns)})" if columns is not None else ""
            raise CLIError(
                f"the model was fitted on {n_expected} column(s){fitted}, but "
                f"{data.values.shape[1]} were selected in {data.name}; choose them with "
                "--columns."
            )
        if columns is not None and args.columns is not None:
            # same count, other names: feed the model under the names it knows
            data.values.columns = columns
        _check_step(metadata, data, reporter)
    return detector, runs


def _check_step(metadata, data, reporter):
    fitted = metadata.get("freq")
    if fitted is None or data.freq is None:
        return
    if pd.Timedelta(pd.tseries.frequencies.to_offset(fitted)) != data.freq:
        reporter.warn(
            f"the model was fitted on steps of {fitted}, but {data.name} has steps of "
            f"{freq_text(data.freq)}: its windows and periods do not match these rows."
        )


def freq_text(freq):
    """``"15min"`` for a Timedelta of 15 minutes; None for None."""
    return None if freq is None else pd.tseries.frequencies.to_offset(freq).freqstr


def _existing(args, name):
    """The model's timestamp column, if the data file has it (else rows are numbered)."""
    if name is None or args.time_column is not None:
        return None
    header = read_header(args.data, delimiter=args.delimiter)
    return name if header is not None and name in header else None


def detector_input(data):
    """The values of ``data`` as the detector takes them: a DataFrame, indexed by the
    timestamps of its regular grid when it has some (the imputer checks them)."""
    if data.timestamps is None:
        return data.values
    return data.values.set_index(pd.DatetimeIndex(data.timestamps, freq=None))


def _is_per_series(detector):
    from ..fleet import PerSeriesDetector

    return isinstance(detector, PerSeriesDetector)


def detector_for(detector, data):
    """The detector of ``data``'s run: ``detector`` itself, or, for a model of one
    detector per series, the one fitted on that series (a CLIError if it has none)."""
    if not _is_per_series(detector):
        return detector
    fitted = {str(name): model for name, model in detector.detectors_.items()}
    if data.run is None:
        if len(fitted) == 1:
            return next(iter(fitted.values()))
        raise CLIError(
            f"the model holds one detector per series ({len(fitted)}), but {data.source} has "
            f"no {SERIES_ID} column to say which series its rows belong to."
        )
    if data.run in fitted:
        return fitted[data.run]
    failures = {str(name): reason for name, reason in detector.failures_.items()}
    if data.run in failures:
        raise CLIError(
            f"series {data.run} has no model: it failed to fit ({one_line(failures[data.run])})."
        )
    shown = ", ".join(list(fitted)[:8]) + (", ..." if len(fitted) > 8 else "")
    raise CLIError(f"series {data.run} of {data.source} has no model; the model's series: {shown}.")


def score_rows(detector, data, n_history, reporter):
    """Scores and labels of the rows after the history, and those rows' data."""
    detector = detector_for(detector, data)
    shape = f"{data.n_rows:,} rows" + ("" if data.run is None else f" of series {data.run}")
    with reporter.stage(f"scoring {shape}"):
        try:
            scores, labels = score_detector(detector, detector_input(data))
        except (ValueError, TypeError) as exc:
            raise CLIError(f"cannot score {data.name} ({shape}): {one_line(exc)}") from exc
    rows = slice(n_history, None)
    return take(data, rows), scores[rows], labels[rows]
