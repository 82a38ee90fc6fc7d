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


class CLIError(Exception):
    """A user-facing error: bad file, bad option, impossible request (one-line message)."""


def one_line(message):
    """``str(message)`` with every run of whitespace (newlines too) as one space."""
    return " ".join(str(message).split())


class Reporter:
    """Stage messages with elapsed times on stderr, and warnings as single lines."""

    def __init__(self, *, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream

    def say(self, message):
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def warn(self, message):
        print(f"{PROG}: warning: {message}", file=self.stream, flush=True)

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
