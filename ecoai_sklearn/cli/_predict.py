"""The ``predict`` subcommand: score every row of a CSV file with a saved model."""

from ._apply import detector_input, load_and_read, score_rows
from ._base import CLIError, Reporter, one_line
from ._io import take, write_results
from ._threads import ThreadLimit


def run(args):
    """Run ``ecoai-detect predict`` with the parsed ``args``; return the exit code.

    Each run of the file (``--series``) is scored on its own, so that no window crosses
    from one run into the next; the output holds them one after the other. With
    ``--explain``, each channel's share of each row's anomaly follows
    (``contribution_<column>``).
    """
    reporter = Reporter(quiet=args.quiet)
    score = explain_rows if args.explain else score_rows
    with ThreadLimit(args.threads) as threads:
        detector, runs = load_and_read(args, reporter, threads)
        scored = [score(detector, data, n_history, reporter) for data, n_history in runs]
    write_results(args.out, scored)
    n = int(sum(labels.sum() for _, _, labels, *_ in scored))
    total = sum(data.n_rows for data, *_ in scored)
    reporter.say(
        f"{n:,} of {total:,} rows flagged anomalous ({100.0 * n / total:.2f} %)"
        + ("" if args.out == "-" else f"; results written to {args.out}")
    )
    return 0


def explain_rows(detector, data, n_history, reporter):
    """As ``score_rows``, with the columns of each channel's share of the anomaly."""
    from ..pipelines import detection_frame
    from ..utils import CONTRIBUTION_PREFIX

    shape = f"{data.n_rows:,} rows" + ("" if data.run is None else f" of series {data.run}")
    with reporter.stage(f"scoring and explaining {shape}"):
        try:
            frame = detection_frame(detector, detector_input(data), contributions=True)
        except TypeError as exc:
            raise CLIError(
                f"--explain needs a detector that splits its scores among the channels (a "
                f"window scorer of ecoai_sklearn, or an ensemble of them); this model "
                f"({type(detector).__name__}) does not: predict without --explain."
            ) from exc
        except ValueError as exc:
            raise CLIError(f"cannot score {data.name} ({shape}): {one_line(exc)}") from exc
    rows = slice(n_history, None)
    shares = {
        name: frame[name].to_numpy()[rows]
        for name in frame.columns
        if str(name).startswith(CONTRIBUTION_PREFIX)
    }
    scores, labels = frame["score"].to_numpy()[rows], frame["label"].to_numpy()[rows]
    return take(data, rows), scores, labels, shares
