"""The argument parser of ``ecoai-detect``, one function per subcommand.

Nothing heavy is imported here (no numpy, pandas, scikit-learn or torch): ``--help``
and usage errors answer at once.
"""

import argparse

from ._base import DEFAULT_THREADS, DEMO_DAYS, PROG, QUICK_DAYS, QUICK_EPOCHS
from ._registry import DEFAULT_DETECTOR, DETECTORS, describe_detectors

_DESCRIPTION = """\
Find anomalies in electric-power time series with the detectors of ecoai_sklearn.

A data file is a CSV with a header line (UTF-8; fields separated by ',', ';' or a tab,
found from the header): a 'timestamp' column (ISO 8601, e.g. 2024-01-01 00:15:00;
timestamps with a UTC offset, e.g. 2024-10-27T02:30:00+02:00, are converted to UTC)
and one or more value columns (numbers; an empty field is a missing reading, which the
detectors impute). A plain 'timestamp,value' file needs no option. Rows are put on
their regular time grid first: a gap becomes rows of missing readings, repeated
timestamps are resolved (--on-duplicate), and what was changed is said on stderr. A
'label' column (1 = anomaly, 0 = normal) is used by 'evaluate', and by 'fit' only with
--use-labels; a 'series_id' column holds several runs, chosen with --series.
"""

_EPILOG = """\
examples:
  ecoai-detect demo
  ecoai-detect fit load.csv --detector fft-cnngru --out load.model
  ecoai-detect predict load.model new.csv --out scores.csv
  ecoai-detect evaluate load.model labelled.csv
  ecoai-detect fit load.csv --streaming --out live.model
  tail -f readings.csv | ecoai-detect stream live.model - --state live.state

model files are those of ecoai_sklearn.persistence (save/load): a zip of JSON and
arrays, loaded without running any code stored in them, so a crafted file cannot run
code. Files written by persistence.save in Python are read too. Model files of older
versions (pickles) are refused: fit the model again.
"""

_FIT_EPILOG = """\
detectors (--detector):
{detectors}

Parameters of a detector can be changed with --set KEY=VALUE (repeatable); KEY is a
scikit-learn parameter name of the pipeline, as get_params() lists it, e.g.
--set scorer__estimator__max_epochs=10 (names depend on the detector; a wrong name is
reported with the matching ones). VALUE is read as a Python literal (3, 0.5, None, 'x').
Every value is checked against the constraints of its estimator, nested ones included,
before any data is read: a refused value is a usage error (exit code 2).

A file of several runs (series_id): fit on one (--series NAME) or on several (--series
repeated, or --series all); the runs are fitted together as independent runs, no window
crossing from one run into the next. --per-series fits one detector per run instead
(all runs, or those of --series), into one model file
(ecoai_sklearn.fleet.PerSeriesDetector); predict, evaluate and stream then answer each
run with its own detector. A run that cannot be fitted (too short, ...) is reported
and left without a model.

--streaming fits a model for 'ecoai-detect stream' (ecoai_sklearn.streaming
.StreamingDetector): every window scorer scores a row from the window ending at it
(aggregation='causal'), so that each row's score depends on it and the rows before it
only, and the last rows of DATA are kept as the history of the first streamed rows.
predict and evaluate take such a model too (and give the same scores as the stream).
"""

_PREDICT_EPILOG = """\
output: one row per step of the file's regular time grid (rows the file lacked are
inserted), columns 'series_id' (with several runs), 'timestamp' (or 'row' when the
input has no timestamps), 'score' (anomaly score, higher = more anomalous; positive =
anomaly), 'label' (1 = anomaly, 0 = normal) and 'imputed' (1 where a reading of the
row was missing, or the whole row, and the detector filled it in). With --explain, one
column per channel follows, 'contribution_<column>': the channel's share of the row's
anomaly (0 to 1, each row summing to 1), which says which channel caused an alarm.

columns: --columns, else the columns named in the model file (written by 'fit'), else
the feature names the model was fitted with (feature_names_in_, a model saved from
Python after fitting on a DataFrame), else every numeric column but timestamp, label
and series_id. A model file from Python may hold classes of your own: --trust NAME
accepts one (after you checked it).

The first rows of a file are scored without the readings that preceded them (the
windows are padded at the start). With --start, the rows just before it serve as that
history (--no-history turns this off); otherwise start the file a window earlier (e.g.
one day) and ignore those rows of the output.
"""


_THREADS_HELP = (
    f"threads for torch and the BLAS libraries (default: {DEFAULT_THREADS}: one thread fits "
    "these small models as fast as two on an idle machine and far faster on a busy one; "
    "results do not depend on it beyond float rounding)"
)


class _Parser(argparse.ArgumentParser):
    """argparse's parser whose usage errors are one line, as every error of the command."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text[:40]!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text[:40]!r}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text[:40]!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text[:40]!r}")
    return value


def _seed(text):
    """A seed of numpy's generators: an integer from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to 4294967295, got {text[:40]!r}"
        )
    return value


def _delimiter(text):
    """One character; ``\\t`` or ``tab`` for a tab."""
    value = "\t" if text in ("\\t", "tab", "TAB") else text
    if len(value) != 1 or value in '"\r\n':
        raise argparse.ArgumentTypeError(
            f"expected one character such as ',', ';' or '\\t' (tab), got {text[:40]!r}"
        )
    return value


def _series_name(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a series_id (or 'all'), got ''")
    return text.strip()


def _column_list(text):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def _add_column_options(parser, *, labels, fit=False):
    group = parser.add_argument_group("columns of the data file")
    group.add_argument(
        "--time-column",
        "--timestamp-column",
        dest="time_column",
        metavar="NAME",
        help="column of timestamps (default: 'timestamp' if present, else rows are numbered)",
    )
    group.add_argument(
        "--columns",
        metavar="A,B",
        type=_column_list,
        help="value columns (default: every column of numbers except timestamp, label and "
        "series_id; for predict/evaluate: the columns the model was fitted on)",
    )
    group.add_argument(
        "--label-column",
        metavar="NAME",
        help="column of 0/1 labels (default: 'label' if present)"
        + ("; required by evaluate" if labels else ""),
    )
    group.add_argument(
        "--series",
        metavar="ID",
        action="append",
        type=_series_name,
        help="series_id of the run to use in a file of several runs; repeat it, or give "
        "'all', for several runs"
        + (
            " (fit takes one run: windows must not cross from one run into the next)"
            if fit
            else " (each run is scored on its own)"
        ),
    )
    group.add_argument(
        "--start",
        metavar="TIME",
        help="use only rows at or after TIME (e.g. 2016-09-01; in UTC when the file's "
        "timestamps have offsets, unless TIME has one)",
    )
    group.add_argument("--end", metavar="TIME", help="use only rows before TIME")
    group = parser.add_argument_group("format of the data file")
    _add_number_format_options(group)
    group.add_argument(
        "--on-duplicate",
        choices=["mean", "first", "last", "raise"],
        default="mean",
        help="rows with the same timestamp: one row with the mean of their readings "
        "(labels: 1 if one row has 1), the first or the last of them, or an error "
        "(default: mean; as ecoai_sklearn.datasets.regularize)",
    )
    group.add_argument(
        "--off-grid",
        choices=["raise", "nearest"],
        default="raise",
        help="timestamps between the points of the time grid: an error, or moved to the "
        "nearest point (default: raise)",
    )


def _add_number_format_options(group):
    """``--delimiter`` and ``--decimal``: how the fields and numbers of a file are written."""
    group.add_argument(
        "--delimiter",
        type=_delimiter,
        metavar="CHAR",
        help="field separator (default: ',', ';' or tab, whichever the header line uses)",
    )
    group.add_argument(
        "--decimal",
        choices=[".", ","],
        default=".",
        help="decimal separator of the numbers (default: '.'; ',' for 2,5)",
    )


def _add_trust_option(parser):
    parser.add_argument(
        "--trust",
        action="append",
        metavar="NAME",
        help="also rebuild this class or function (module.name) from the model file; by "
        "default only estimators of ecoai_sklearn, scikit-learn, skorch and torch are "
        "(repeatable)",
    )


def _add_history_option(parser):
    parser.add_argument(
        "--history",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --start, score the rows just before it too (one window of the model) so "
        "that the first windows see real history; those rows are not reported "
        "(default: on)",
    )


def _add_run_options(parser, *, training):
    group = parser.add_argument_group("run")
    group.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    if training:
        group.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="training progress bars on stderr (default: when stderr is a terminal)",
        )
    group.add_argument(
        "--threads", type=_positive_int, default=DEFAULT_THREADS, metavar="N", help=_THREADS_HELP
    )


def build_parser():
    """Build the argparse parser of ``ecoai-detect``.

    Nothing heavy is imported (no numpy, pandas or torch): the subcommands import what
    they need when they run.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with one subparser per subcommand.

    Examples
    --------
    >>> from ecoai_sklearn.cli import build_parser
    >>> args = build_parser().parse_args(["fit", "load.csv", "--out", "load.model"])
    >>> args.command, args.detector, args.out
    ('fit', 'default', 'load.model')
    """
    from .. import __version__

    parser = _Parser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _add_demo_parser(commands)
    _add_fit_parser(commands)
    _add_predict_parser(commands)
    _add_evaluate_parser(commands)
    _add_stream_parser(commands)
    return parser


def _subcommand(commands, name, **texts):
    """A subparser whose description and epilog keep their line breaks."""
    return commands.add_parser(name, formatter_class=argparse.RawDescriptionHelpFormatter, **texts)


def _add_demo_parser(commands):
    """The ``demo`` subcommand."""
    demo = _subcommand(
        commands,
        "demo",
        help="run the default detector on built-in synthetic data and report",
        description="Fit a detector on the first two weeks of synthetic 15-minute industrial "
        "load (4 usage categories, labelled anomalies), detect anomalies in the week after, "
        "which it never saw, and report what was found, precision/recall/F1 and the time "
        "taken. Writes a plot when matplotlib is installed.",
    )
    demo.add_argument(
        "--detector", default=DEFAULT_DETECTOR, choices=list(DETECTORS), help="detector"
    )
    demo.add_argument(
        "--days",
        type=_positive_int,
        help=f"days of data, two thirds fitted on (default: {DEMO_DAYS}; quick: {QUICK_DAYS})",
    )
    demo.add_argument(
        "--epochs",
        type=_positive_int,
        help=f"training epochs of the autoencoder (default: the detector's own; quick: "
        f"{QUICK_EPOCHS})",
    )
    demo.add_argument("--random-state", type=_seed, default=0, help="seed (default: 0)")
    demo.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="change a detector parameter"
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny run: {QUICK_DAYS} days, {QUICK_EPOCHS} epochs (smoke test)",
    )
    demo.add_argument(
        "--plot",
        metavar="PATH",
        default="ecoai-demo.png",
        help="where to write the plot (default: ecoai-demo.png)",
    )
    demo.add_argument("--no-plot", action="store_true", help="do not write a plot")
    _add_run_options(demo, training=True)


def _add_fit_parser(commands):
    """The ``fit`` subcommand."""
    fit = _subcommand(
        commands,
        "fit",
        help="fit a detector on a CSV file and save it",
        description="Fit a detector on the series of DATA and save it to MODEL. Fitting is "
        "unsupervised unless --use-labels is given.",
        epilog=_FIT_EPILOG.format(detectors=describe_detectors()),
    )
    fit.add_argument("data", metavar="DATA.csv", help="training series")
    fit.add_argument("--out", metavar="MODEL", required=True, help="model file to write")
    fit.add_argument(
        "--detector",
        default=DEFAULT_DETECTOR,
        metavar="NAME",
        help=f"detector to fit (default: {DEFAULT_DETECTOR}; see below)",
    )
    fit.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="change a detector parameter"
    )
    fit.add_argument("--random-state", type=_seed, help="seed, for reproducible models")
    fit.add_argument(
        "--use-labels",
        action="store_true",
        help="pass the label column to the detector's fit: the factories then train the "
        "autoencoder on windows without a labelled anomaly, and a zscore final step on "
        "normal rows (default: unsupervised)",
    )
    fit.add_argument(
        "--epochs",
        type=_positive_int,
        help="training epochs of every autoencoder (default: the detector's own)",
    )
    fit.add_argument(
        "--quick",
        action="store_true",
        help=f"train each autoencoder for {QUICK_EPOCHS} epochs only (smoke test)",
    )
    fit.add_argument(
        "--per-series",
        action="store_true",
        help="fit one detector per series_id (every run of the file, or those of --series) "
        "into one model file (see below)",
    )
    fit.add_argument(
        "--streaming",
        action="store_true",
        help="fit for 'ecoai-detect stream': causal window scores, the last rows of DATA "
        "kept as history (see below)",
    )
    _add_column_options(fit, labels=False, fit=True)
    _add_run_options(fit, training=True)


def _add_predict_parser(commands):
    """The ``predict`` subcommand."""
    predict = _subcommand(
        commands,
        "predict",
        help="score every row of a CSV file with a saved model",
        description="Score every row of DATA with the detector saved in MODEL.",
        epilog=_PREDICT_EPILOG,
    )
    predict.add_argument(
        "model", metavar="MODEL", help="model file written by 'fit' (or persistence.save)"
    )
    predict.add_argument("data", metavar="DATA.csv", help="series to score")
    predict.add_argument(
        "--out", metavar="RESULT.csv", default="-", help="output CSV (default: standard output)"
    )
    predict.add_argument(
        "--explain",
        action="store_true",
        help="add one column per channel, contribution_<column>: the channel's share of "
        "the row's anomaly (0 to 1, each row summing to 1)",
    )
    _add_trust_option(predict)
    _add_column_options(predict, labels=False)
    _add_history_option(predict)
    _add_run_options(predict, training=False)


def _add_evaluate_parser(commands):
    """The ``evaluate`` subcommand."""
    evaluate = _subcommand(
        commands,
        "evaluate",
        help="compare a saved model's detections with a label column",
        description="Score DATA with the detector saved in MODEL and compare the "
        "detections with the file's 0/1 label column: point-wise and event-wise "
        "precision, recall and F1, and threshold-free ROC AUC and average precision.",
    )
    evaluate.add_argument(
        "model", metavar="MODEL", help="model file written by 'fit' (or persistence.save)"
    )
    evaluate.add_argument("data", metavar="DATA.csv", help="labelled series")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _add_trust_option(evaluate)
    _add_column_options(evaluate, labels=True)
    _add_history_option(evaluate)
    _add_run_options(evaluate, training=False)


_STREAM_EPILOG = """\
input: a header line first (the same CSV conventions as predict), then one reading per
line, read as it arrives: from standard input (DATA '-', the default; e.g. 'tail -f
file.csv | ecoai-detect stream ...') or from a file. Each row is answered at once with
one line on standard output, 'timestamp,score,label' ('row' without timestamps;
'series_id' first for a model of several series), flushed: 'score' is the anomaly score
(higher = more anomalous; positive = anomaly), 'label' 1 for an anomaly. A gap in the
timestamps (steps of the model's grid missing) becomes rows of missing readings, filled
by the detector and answered like the others. An empty field is a missing reading.

the model: a file written by 'ecoai-detect fit ... --streaming' (optionally with
--per-series: a 'series_id' column then routes each row to its series' detector). Its
history is the end of the training data: stream the readings that follow it.

alarm events: flagged rows are grouped into events (ecoai_sklearn.streaming
.AlarmAggregator): an event is raised once --min-duration consecutive rows are flagged
and takes in the flags that follow within --suppression rows, so a noisy stretch pages
once. 'alarm raised' and 'alarm closed' lines go to standard error, or rows to the CSV
file of --events (status, series_id, start_time, end_time, raised_time, n_rows,
n_flagged, peak_score).

a bad line (a field that is not a number, a timestamp that does not follow the previous
one, too many fields, an unknown series) gets one line on standard error and is skipped;
--stop-on-error stops at the first one (exit code 1). The other rows go on.

--state FILE: the detectors (with their history), the alarm events in progress and the
last timestamp of each series are saved to FILE (the model file format), after each
reading when no further input is waiting and every --save-every rows, and at the end; a
later 'ecoai-detect stream MODEL ... --state FILE' resumes from it, as if never stopped:
rows up to the last timestamp scored are skipped, and no header line is written again.
Without --state, the events still open at the end of the input are closed and reported.
"""


def _add_stream_parser(commands):
    """The ``stream`` subcommand."""
    stream = _subcommand(
        commands,
        "stream",
        help="score readings as they arrive (standard input or a file), one line per row",
        description="Score each reading of DATA as it arrives with the streaming detector "
        "saved in MODEL, report alarm events, and keep the state to resume after a restart.",
        epilog=_STREAM_EPILOG,
    )
    stream.add_argument("model", metavar="MODEL", help="model file written by 'fit --streaming'")
    stream.add_argument(
        "data",
        metavar="DATA.csv",
        nargs="?",
        default="-",
        help="readings, a header line first ('-': standard input, the default)",
    )
    stream.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state in FILE and resume from it when it exists",
    )
    stream.add_argument(
        "--save-every",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="with --state, save at least every N rows even when more input is waiting "
        "(default: 1000)",
    )
    stream.add_argument(
        "--events", metavar="FILE", help="append alarm events to this CSV file (not stderr)"
    )
    stream.add_argument(
        "--min-duration",
        type=_positive_int,
        metavar="N",
        help="consecutive flagged rows that raise an alarm (default: 2, or the state's)",
    )
    stream.add_argument(
        "--suppression",
        type=_non_negative_int,
        metavar="N",
        help="unflagged rows after an alarm within which new flags join it (default: 8, "
        "or the state's)",
    )
    stream.add_argument(
        "--stop-on-error",
        action="store_true",
        help="stop at the first bad line (exit code 1) instead of skipping it",
    )
    _add_trust_option(stream)
    group = stream.add_argument_group("columns of the input")
    group.add_argument(
        "--time-column",
        "--timestamp-column",
        dest="time_column",
        metavar="NAME",
        help="column of timestamps (default: the model's, or 'timestamp' if present, else "
        "rows are numbered)",
    )
    group.add_argument(
        "--columns",
        metavar="A,B",
        type=_column_list,
        help="value columns (default: the columns the model was fitted on)",
    )
    group.add_argument(
        "--label-column",
        metavar="NAME",
        help="a column to ignore, such as labels (default: 'label' if present)",
    )
    _add_number_format_options(group)
    _add_run_options(stream, training=False)
