"""What the subcommands share: reading the data file, loading a model, scoring rows."""

from .. import __version__
from ._base import CLIError, one_line
from ._detectors import history_rows, score_detector
from ._io import read_header, read_series, take, with_history
from ._model import load_model


def read_data(args, reporter, *, columns=None, timestamp_column=None, need_labels=False, history=0):
    """Read the data file of ``args``; with ``history``, keep that many rows before --start.

    Returns ``(data, n_history)``: the first ``n_history`` rows are history, to be scored
    (their windows feed the rows after them) but not reported.
    """
    data = read_series(
        args.data,
        timestamp_column=args.timestamp_column or timestamp_column,
        value_columns=args.columns or columns,
        label_column=args.label_column,
        series=args.series,
        need_labels=need_labels,
        delimiter=args.delimiter,
        start=None if history else args.start,
        end=args.end,
    )
    n_history = 0
    if history:
        data, n_history = with_history(data, args.start, history)
    for message in data.warnings:
        reporter.warn(message)
    n_missing = int(data.values.isna().to_numpy().sum())
    reporter.say(
        f"read {data.source}: {data.n_rows:,} rows x {data.values.shape[1]} column(s) "
        f"({', '.join(data.values.columns)})"
        + (f", {n_missing:,} missing value(s)" if n_missing else "")
        + (f", the first {n_history:,} as history before {args.start}" if n_history else "")
    )
    return data, n_history


def load_and_read(args, reporter, *, need_labels=False):
    """The model of ``args`` and its data file, read with the model's columns.

    Returns ``(detector, data, n_history)`` as :func:`read_data`.
    """
    detector, header = load_model(args.model)
    info = header.get("info", {})
    reporter.say(
        f"model {args.model}: {info.get('detector')} fitted on {info.get('trained_on')} "
        f"({info.get('n_rows')} rows), ecoai_sklearn {header.get('ecoai_sklearn_version')}"
    )
    if header.get("ecoai_sklearn_version") != __version__:
        reporter.warn(
            f"{args.model} was written by ecoai_sklearn {header.get('ecoai_sklearn_version')}, "
            f"this is {__version__}; results may differ."
        )
    columns = info.get("columns")
    use_history = args.start is not None and args.history
    data, n_history = read_data(
        args,
        reporter,
        columns=columns if args.columns is None else None,
        timestamp_column=_existing(args, info.get("timestamp_column")),
        need_labels=need_labels,
        history=history_rows(detector) if use_history else 0,
    )
    if columns is not None and data.values.shape[1] != len(columns):
        raise CLIError(
            f"the model was fitted on {len(columns)} column(s) ({', '.join(columns)}), but "
            f"{data.values.shape[1]} were selected in {data.source}."
        )
    if columns is not None and args.columns is not None:
        # same count, other names: feed the model under the names it knows
        data.values.columns = columns
    return detector, data, n_history


def _existing(args, name):
    """The model's timestamp column, if the data file has it (else rows are numbered)."""
    if name is None or args.timestamp_column is not None:
        return None
    header = read_header(args.data, delimiter=args.delimiter)
    return name if header is not None and name in header else None


def score_rows(detector, data, n_history, reporter):
    """Scores and labels of the rows after the history, and those rows' data."""
    shape = f"{data.n_rows:,} rows"
    with reporter.stage(f"scoring {shape}"):
        try:
            scores, labels = score_detector(detector, data.values)
        except (ValueError, TypeError) as exc:
            raise CLIError(f"cannot score {data.source} ({shape}): {one_line(exc)}") from exc
    rows = slice(n_history, None)
    return take(data, rows), scores[rows], labels[rows]
