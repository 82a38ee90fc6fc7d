"""The detectors ``ecoai-detect`` can fit: name -> (factory, one-line description).

A plain dict of factory functions. The built-in ones are thin functions that import
:mod:`ecoai_sklearn.pipelines` when first called: importing it costs about as much as
scikit-learn itself (seconds on a busy machine), which ``ecoai-detect --help`` must not
pay. Each keeps the name of the pipeline factory it calls, which the demo reports.
"""

DEFAULT_DETECTOR = "default"


def make_default_detector(random_state=None):
    from ..pipelines import make_default_detector as factory

    return factory(random_state=random_state)


def make_fft_cnngru_detector(random_state=None):
    from ..pipelines import make_fft_cnngru_detector as factory

    return factory(random_state=random_state)


def make_lstmae_detector(random_state=None):
    from ..pipelines import make_lstmae_detector as factory

    return factory(random_state=random_state)


def make_usad_detector(random_state=None):
    from ..pipelines import make_usad_detector as factory

    return factory(random_state=random_state)


def make_multiscale_detector(random_state=None):
    from ..pipelines import make_multiscale_detector as factory

    return factory(random_state=random_state)


DETECTORS = {
    "default": (
        make_default_detector,
        "window nearest-neighbour scorers at the dominant FFT period and at 64 "
        "samples, normalised and combined; no training loop (the default)",
    ),
    "fft-cnngru": (
        make_fft_cnngru_detector,
        "the research detector: windows at the dominant FFT period, CNN-GRU "
        "autoencoder, DTW reconstruction error, isolation forest on the errors",
    ),
    "lstmae": (make_lstmae_detector, "as fft-cnngru with an LSTM autoencoder"),
    "usad": (make_usad_detector, "as fft-cnngru with USAD (two adversarial decoders)"),
    "multiscale": (
        make_multiscale_detector,
        "one CNN-GRU branch per dominant FFT period, one error column per period",
    ),
}


def describe_detectors(width=88):
    """The detector list for --help texts, wrapped to ``width`` columns."""
    import textwrap

    name_width = max(map(len, DETECTORS))
    lines = []
    for name, (_, description) in DETECTORS.items():
        lines.extend(
            textwrap.wrap(
                description,
                width=width,
                initial_indent=f"  {name:<{name_width}}  ",
                subsequent_indent=" " * (name_width + 4),
            )
        )
    return "\n".join(lines)
