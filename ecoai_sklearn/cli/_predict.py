"""The ``predict`` subcommand: score every row of a CSV file with a saved model."""

from ._apply import load_and_read, score_rows
from ._base import Reporter
from ._io import write_results
from ._threads import ThreadLimit


def run(args):
    """Run ``ecoai-detect predict`` with the parsed ``args``; return the exit code.

    Each run of the file (``--series``) is scored on its own, so that no window crosses
    from one run into the next; the output holds them one after the other.
    """
    reporter = Reporter(quiet=args.quiet)
    with ThreadLimit(args.threads) as threads:
        detector, runs = load_and_read(args, reporter, threads)
        scored = [score_rows(detector, data, n_history, reporter) for data, n_history in runs]
    write_results(args.out, scored)
    n = int(sum(labels.sum() for _, _, labels in scored))
    total = sum(data.n_rows for data, _, _ in scored)
    reporter.say(
        f"{n:,} of {total:,} rows flagged anomalous ({100.0 * n / total:.2f} %)"
        + ("" if args.out == "-" else f"; results written to {args.out}")
    )
    return 0
