"""Factories of complete anomaly detectors (scikit-learn pipelines).

The steps, shared parameter constraints and docstring text live in ``_steps``.
"""

from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import FeatureUnion, Pipeline

from ..utils import HasMethods, Interval, validate_params
from ..windowing import FFTWindower
from ._pipeline import DetectorPipeline
from ._steps import (
    CNNGRU_DEFAULTS,
    COMMON_CONSTRAINTS,
    DEFAULT_CONTAMINATION,
    DEFAULT_RATIO,
    LSTMAE_DEFAULTS,
    MIN_AUTO_WINDOW,
    SINGLE_CONSTRAINTS,
    USAD_DEFAULTS,
    document,
    final_step_for,
    neural,
    preprocessing_steps,
    scorer_step,
    seeds,
)

__all__ = [
    "make_fft_cnngru_detector",
    "make_lstmae_detector",
    "make_multiscale_detector",
    "make_usad_detector",
]


def _single_scale_factory(name, autoencoder, defaults, docstring):
    """A public factory of the single-scale Pipeline around one autoencoder.

    The single-scale factories differ only in the autoencoder (a class name of
    :mod:`ecoai_sklearn.neural`) and its training defaults: one signature, one body and
    one set of constraints serve all of them; each keeps its own name and docstring.
    """

    def factory(
        *,
        window_size="auto",
        difference=False,
        metric="dtw",
        aggregation="path",
        channels="joint",
        train_stride="auto",
        fit_on="normal",
        final_step="iforest",
        expected_ratio=DEFAULT_RATIO,
        contamination=DEFAULT_CONTAMINATION,
        include_values="auto",
        augmenter=None,
        estimator_params=None,
        random_state=None,
    ):
        ae_seed, final_seed = seeds(random_state, 2)
        settings = {**defaults, "random_state": ae_seed, **(estimator_params or {})}
        scorer_params = {
            "metric": metric,
            "aggregation": aggregation,
            "channels": channels,
            "train_stride": train_stride,
            "fit_on": fit_on,
            "augmenter": augmenter,
        }
        scorer = scorer_step(
            neural(autoencoder)(**settings),
            scorer_params,
            include_values=include_values,
            final_step=final_step,
        )
        detector = final_step_for(
            final_step,
            expected_ratio=expected_ratio,
            contamination=contamination,
            random_state=final_seed,
        )
        windower = FFTWindower(window_size=window_size, min_period=MIN_AUTO_WINDOW)
        return DetectorPipeline(
            [
                *preprocessing_steps(difference),
                ("windower", windower),
                ("scorer", scorer),
                ("detector", detector),
            ]
        )

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = docstring
    return validate_params(SINGLE_CONSTRAINTS, prefer_skip_nested_validation=True)(
        document(factory)
    )


make_fft_cnngru_detector = _single_scale_factory(
    "make_fft_cnngru_detector",
    "CNNGRUAE",
    CNNGRU_DEFAULTS,
    """The research detector: FFT-sized windows, CNN-GRU autoencoder, DTW errors.

    Builds the :class:`~sklearn.pipeline.Pipeline`::

        imputer     SeriesKNNImputer        fills missing readings
        differencer Differencer or "passthrough" (difference=False, the default)
        scaler      MinMaxScaler
        windower    FFTWindower             one window per timestamp, length = period
        scorer      DTWReconstructionScorer(CNNGRUAE)   per-timestamp error features
        detector    IsolationForest or WeightedZScoreThresholder

    ``fit(X, y=None)`` takes a series ``(n_timestamps, n_channels)`` in time order and
    optional labels (1 = anomaly); ``predict(X)`` returns -1 (anomaly) or +1 (normal)
    for every row, ``score_samples`` and ``decision_function`` one score per row
    (higher = more normal). Every parameter stays reachable by ``set_params`` and
    :class:`~sklearn.model_selection.GridSearchCV`, e.g. ``windower__window_size``,
    ``scorer__metric``, ``scorer__estimator__lr``, ``detector__contamination``.

    %(single_scale_parameters)s

    See Also
    --------
    make_lstmae_detector, make_usad_detector : The same pipeline with other
        autoencoders.
    make_multiscale_detector : One branch per FFT period.

    Notes
    -----
    %(notes)s

    Examples
    --------
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_fft_cnngru_detector
    >>> X, y, _ = make_industrial_load(n_days=14, n_anomalies=3, random_state=0)
    >>> detector = make_fft_cnngru_detector(
    ...     estimator_params={"max_epochs": 2, "batch_size": 128, "module__hidden_size": 8},
    ...     random_state=0,
    ... )
    >>> labels = detector.fit(X[:960], y[:960]).predict(X[960:])
    >>> labels.shape, sorted(set(labels.tolist())) <= [-1, 1]
    ((384,), True)
    >>> detector.named_steps["windower"].window_size_
    96
    """,
)


make_lstmae_detector = _single_scale_factory(
    "make_lstmae_detector",
    "LSTMAE",
    LSTMAE_DEFAULTS,
    """Detector with an LSTM autoencoder: the pipeline of :func:`make_fft_cnngru_detector`.

    Same steps and parameters, with :class:`~ecoai_sklearn.neural.LSTMAE` (20 epochs,
    ``lr=3e-3``, ``batch_size=32``) as the scorer's autoencoder. LSTM-AE trains faster
    per window than CNN-GRU (``benchmarks/RESULTS.md``, section 5, autoencoder
    training).

    %(single_scale_parameters)s

    See Also
    --------
    make_fft_cnngru_detector : The default detector, with its Notes.

    Examples
    --------
    >>> from ecoai_sklearn.pipelines import make_lstmae_detector
    >>> detector = make_lstmae_detector(random_state=0)
    >>> type(detector.named_steps["scorer"].estimator).__name__
    'LSTMAE'
    """,
)


make_usad_detector = _single_scale_factory(
    "make_usad_detector",
    "USAD",
    USAD_DEFAULTS,
    """Detector with USAD: the pipeline of :func:`make_fft_cnngru_detector`.

    Same steps and parameters, with :class:`~ecoai_sklearn.neural.USAD` (its own
    defaults: 50 epochs, ``alpha=1``, ``beta=0``) as the scorer's autoencoder. The
    errors compare each window with ``AE1(W)``; ``metric="model"`` (with
    ``aggregation="covering"``) uses USAD's own score
    ``alpha * mse(W, AE1(W)) + beta * mse(W, AE2(AE1(W)))`` instead, with ``alpha``
    and ``beta`` set through ``estimator_params`` or ``scorer__estimator__alpha``.
    USAD's decoders end with a sigmoid, which the MinMaxScaler's [0, 1] range suits.

    %(single_scale_parameters)s

    See Also
    --------
    make_fft_cnngru_detector : The default detector, with its Notes.

    Examples
    --------
    >>> from ecoai_sklearn.pipelines import make_usad_detector
    >>> detector = make_usad_detector(
    ...     metric="model", aggregation="covering", estimator_params={"beta": 0.5}
    ... )
    >>> detector.get_params()["scorer__estimator__beta"]
    0.5
    """,
)


@validate_params(
    {
        "n_periods": [Interval(Integral, 1, None, closed="left")],
        "window_sizes": [None, "array-like"],
        "estimator": [None, HasMethods(["fit"])],
        **COMMON_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
@document
def make_multiscale_detector(
    n_periods=3,
    *,
    window_sizes=None,
    estimator=None,
    difference=False,
    metric="dtw",
    aggregation="path",
    channels="joint",
    train_stride="auto",
    fit_on="normal",
    final_step="iforest",
    expected_ratio=DEFAULT_RATIO,
    contamination=DEFAULT_CONTAMINATION,
    include_values="auto",
    augmenter=None,
    random_state=None,
):
    """Multi-scale detector: one window size per FFT period, one final detector.

    Builds the :class:`~sklearn.pipeline.Pipeline`::

        imputer, differencer, scaler     as in make_fft_cnngru_detector
        scales      FeatureUnion of n_periods branches "scale0", "scale1", ...
                    each Pipeline(windower=FFTWindower(period_rank=k),
                                  scorer=DTWReconstructionScorer(autoencoder))
        detector    IsolationForest or WeightedZScoreThresholder on the k error columns

    Branch ``k`` windows the series at its ``k``-th strongest period (the research
    reports 96, 24 and 16 samples on 15-minute load) and contributes one error column
    (``channels="joint"``) or one per channel; the final detector sees all of them, so
    a short event that only the short windows resolve and a slow one that only the
    daily window sees are both represented.

    Parameters
    ----------
    n_periods : int, default=3
        Number of branches, i.e. of FFT periods used (ranks 0 to ``n_periods - 1``,
        periods of at least 8 samples). When the training series has fewer
        significant periods, the branches without one use the windower's fallback
        length (64 samples) with a warning; pass ``window_sizes`` to choose them.
    window_sizes : array-like of int or None, default=None
        Fixed window sizes, one branch each, instead of FFT periods (then
        ``n_periods`` is ignored).
    estimator : estimator object or None, default=None
        Autoencoder of every branch (cloned per branch); None means
        ``CNNGRUAE(max_epochs=20, lr=3e-3, batch_size=32)`` seeded by ``random_state``.
    %(parameters)s
    %(random_state)s

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    make_fft_cnngru_detector : The single-scale detector, with its Notes.

    Notes
    -----
    Each branch trains its own autoencoder: the training cost is about ``n_periods``
    times that of the single-scale detector (a shorter window trains faster per
    window; ``train_stride="auto"`` keeps between about 1,000 and 10,000 training
    windows per branch, depending on the length of the series).

    Examples
    --------
    >>> from ecoai_sklearn.pipelines import make_multiscale_detector
    >>> detector = make_multiscale_detector(window_sizes=[96, 24, 16], random_state=0)
    >>> [name for name, _ in detector.named_steps["scales"].transformer_list]
    ['scale0', 'scale1', 'scale2']
    >>> detector.get_params()["scales__scale1__windower__window_size"]
    24
    """
    if window_sizes is None:
        windowers = [
            FFTWindower(period_rank=k, n_periods=n_periods, min_period=MIN_AUTO_WINDOW)
            for k in range(n_periods)
        ]
    else:
        sizes = np.asarray(window_sizes)
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu" or sizes.min() < 2:
            raise ValueError(
                f"window_sizes must be a non-empty list of ints >= 2, got {window_sizes!r}."
            )
        windowers = [FFTWindower(window_size=int(size)) for size in sizes]
    *branch_seeds, final_seed = seeds(random_state, len(windowers) + 1)
    if estimator is None:
        cnngru = neural("CNNGRUAE")
        estimators = [cnngru(**CNNGRU_DEFAULTS, random_state=seed) for seed in branch_seeds]
    else:
        estimators = [clone(estimator) for _ in windowers]
    scorer_params = {
        "metric": metric,
        "aggregation": aggregation,
        "channels": channels,
        "train_stride": train_stride,
        "fit_on": fit_on,
        "augmenter": augmenter,
    }
    branches = []
    for k, (windower, autoencoder) in enumerate(zip(windowers, estimators)):
        # the readings are the same in every branch: one copy, in the first
        scorer = scorer_step(
            autoencoder,
            scorer_params,
            include_values=include_values,
            final_step=final_step,
            values=k == 0,
        )
        branches.append((f"scale{k}", Pipeline([("windower", windower), ("scorer", scorer)])))
    detector = final_step_for(
        final_step,
        expected_ratio=expected_ratio,
        contamination=contamination,
        random_state=final_seed,
    )
    return DetectorPipeline(
        [
            *preprocessing_steps(difference),
            ("scales", FeatureUnion(branches)),
            ("detector", detector),
        ]
    )
