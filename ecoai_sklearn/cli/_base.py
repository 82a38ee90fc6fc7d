"""Light pieces of the ``ecoai-detect`` command: its error type, settings and reporter.

This module imports nothing heavy (no numpy, pandas, scikit-learn or torch), so that
``ecoai-detect --help`` starts fast.
"""

import contextlib
import sys
import time
import warnings

PROG = "ecoai-detect"
# Epochs per autoencoder in --quick mode (tests, smoke runs): enough to run every stage.
QUICK_EPOCHS = 2
# The demo's data size and training length: about a minute on 2 CPU cores (see _demo).
DEMO_DAYS = 21
DEMO_EPOCHS = None  # the detector's own
QUICK_DAYS = 14


# A one-line message longer than this is cut (a message quoting a whole file is no help).
MAX_MESSAGE = 600
# Default of --threads: one torch thread fits these small models as fast as two on an
# idle machine and many times faster when another process competes for the cores.
DEFAULT_THREADS = 1
# Exit code after the reader of standard output went away (``| head``): 128 + SIGPIPE,
# what a shell reports for a command ended by a closed pipe.
EXIT_BROKEN_PIPE = 141


class CLIError(Exception):
    """A user-facing error: bad file, impossible request (one-line message, exit code 1)."""

    exit_code = 1


class UsageError(CLIError):
    """A bad command line found after parsing (a --set value, --start after --end, ...):
    exit code 2, as argparse's own usage errors."""

    exit_code = 2


def one_line(message, limit=MAX_MESSAGE):
    """``str(message)`` with every run of whitespace (newlines too) as one space, cut to
    ``limit`` characters."""
    text = " ".join(str(message).split())
    if len(text) > limit:
        text = f"{text[: limit - 40]}... ({len(text):,} characters in all)"
    return text


class Reporter:
    """Stage messages with elapsed times on stderr, and warnings and notes as single lines."""

    def __init__(self, *, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream

    def say(self, message):
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def warn(self, message):
        print(f"{PROG}: warning: {message}", file=self.stream, flush=True)

    def note(self, message):
        """A line that is printed even with --quiet (e.g. what was changed in the data)."""
        print(f"{PROG}: {message}", file=self.stream, flush=True)

    @contextlib.contextmanager
    def stage(self, message):
        """Announce a stage, time it, and turn Python warnings into one-line warnings."""
        self.say(f"{message} ...")
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield self
        self.elapsed = time.perf_counter() - start
        seen = set()
        for item in caught:
            text = one_line(item.message)
            if text not in seen and not issubclass(item.category, DeprecationWarning):
                seen.add(text)
                self.warn(text)
        self.say(f"  done in {self.elapsed:.1f} s")
