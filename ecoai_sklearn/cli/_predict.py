"""The ``predict`` subcommand: score every row of a CSV file with a saved model."""

from ._apply import load_and_read, score_rows
from ._base import Reporter
from ._io import write_results


def run(args):
    """Run ``ecoai-detect predict`` with the parsed ``args``; return the exit code."""
    reporter = Reporter(quiet=args.quiet)
    detector, data, n_history = load_and_read(args, reporter)
    data, scores, labels = score_rows(detector, data, n_history, reporter)
    write_results(args.out, data, scores, labels)
    n = int(labels.sum())
    reporter.say(
        f"{n:,} of {data.n_rows:,} rows flagged anomalous ({100.0 * n / data.n_rows:.2f} %)"
        + ("" if args.out == "-" else f"; results written to {args.out}")
    )
    return 0
