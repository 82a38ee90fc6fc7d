"""Light pieces of the ``ecoai-detect`` command: its error type and the detector registry.

This module imports nothing heavy (no numpy, pandas or torch), so that ``ecoai-detect
--help`` starts fast; everything that computes lives in the other ``_cli_*`` modules.
"""


class CLIError(Exception):
    """A user-facing error: bad file, bad option, impossible request (one-line message)."""


def one_line(message):
    """``str(message)`` with every run of whitespace (newlines too) as one space."""
    return " ".join(str(message).split())


_PIPELINES = "ecoai_sklearn.pipelines"
# name -> (module, factory function, one-line description); imported only when used.
DETECTORS = {
    "fft-cnngru": (
        _PIPELINES,
        "make_fft_cnngru_detector",
        "windows at the dominant FFT period, CNN-GRU autoencoder, DTW reconstruction "
        "error, outlier detector on the errors (the default)",
    ),
    "lstmae": (_PIPELINES, "make_lstmae_detector", "as fft-cnngru with an LSTM autoencoder"),
    "usad": (
        _PIPELINES,
        "make_usad_detector",
        "as fft-cnngru with USAD (two adversarial decoders)",
    ),
    "multiscale": (
        _PIPELINES,
        "make_multiscale_detector",
        "one CNN-GRU branch per dominant FFT period, one error column per period",
    ),
}
DEFAULT_DETECTOR = "fft-cnngru"
# Epochs per autoencoder in --quick mode (tests, smoke runs): enough to run every stage.
QUICK_EPOCHS = 2
# The demo's data size and training length: about a minute on 2 CPU cores (see _cli_demo).
DEMO_DAYS = 21
DEMO_EPOCHS = None  # the detector's own
QUICK_DAYS = 14


def describe_detectors(width=88):
    """The detector list for --help texts, wrapped to ``width`` columns."""
    import textwrap

    name_width = max(map(len, DETECTORS))
    lines = []
    for name, entry in DETECTORS.items():
        lines.extend(
            textwrap.wrap(
                entry[-1],
                width=width,
                initial_indent=f"  {name:<{name_width}}  ",
                subsequent_indent=" " * (name_width + 4),
            )
        )
    return "\n".join(lines)
