"""The ``ecoai-detect`` command: fit, apply and evaluate anomaly detectors on CSV files.

Subcommands::

    ecoai-detect demo                                  default detector on built-in data
    ecoai-detect fit DATA.csv --detector NAME --out MODEL
    ecoai-detect predict MODEL DATA.csv --out RESULT.csv
    ecoai-detect evaluate MODEL DATA.csv               metrics against a label column
    ecoai-detect stream MODEL [DATA.csv | -]           score readings as they arrive

Use ``main(argv)`` to run it from Python (or ``python -m ecoai_sklearn.cli``); it returns
the exit code (0 success, 1 error in the data or the run, 2 bad command line, 130
interrupted, 141 when the reader of standard output went away, as after ``| head``).
Heavy libraries (torch, skorch, pandas, scikit-learn) are imported only by the
subcommands that need them.

One private module per concern: ``_parser`` (the arguments, one function per
subcommand), ``_registry`` (the detectors), ``_io`` (series files and results),
``_model`` (model files), ``_detectors`` (building, fitting, scoring), ``_threads``
(``--threads``), and one module per subcommand (``_fit``, ``_predict``, ``_evaluate``,
``_demo``, ``_stream``) on ``_apply`` (what they share: reading the data, loading a
model, scoring).
"""

import os
import sys

from ._base import EXIT_BROKEN_PIPE, PROG, CLIError, one_line
from ._parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv=None):
    """Run ``ecoai-detect`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments, without the program name.

    Returns
    -------
    code : int
        0 on success, 1 when the data or the run fails, 2 for a bad command line
        (argparse's convention, and the bad values found after parsing: a ``--set``
        value, ``--start`` after ``--end``), 130 when interrupted, 141 when standard
        output was closed by its reader (``ecoai-detect predict ... | head``: quietly,
        as a command ended by SIGPIPE).

    Examples
    --------
    >>> from ecoai_sklearn.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    ecoai-detect ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:  # the reader went away (| head): nothing left to say
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except CLIError as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an unforeseen failure: still one line by default
        if args.debug:
            raise
        print(
            f"{PROG}: error: unexpected {type(exc).__name__}: {one_line(exc)} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _discard_stdout():
    """Point standard output at /dev/null, so that flushing it at exit fails no more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (e.g. captured)
        pass


def _progress(args):
    if args.progress is None:
        return not args.quiet and sys.stderr.isatty()
    return args.progress


# Each subcommand's module is imported when it runs: they import numpy, pandas and
# scikit-learn, which --help does not need.
def _run_demo(args):
    from ._demo import run

    return run(args, progress=_progress(args))


def _run_fit(args):
    from ._fit import run

    return run(args, progress=_progress(args))


def _run_predict(args):
    from ._predict import run

    return run(args)


def _run_evaluate(args):
    from ._evaluate import run

    return run(args)


def _run_stream(args):
    from ._stream import run

    return run(args)


_COMMANDS = {
    "demo": _run_demo,
    "fit": _run_fit,
    "predict": _run_predict,
    "evaluate": _run_evaluate,
    "stream": _run_stream,
}
