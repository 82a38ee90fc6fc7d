"""Factories of complete anomaly detectors (scikit-learn pipelines)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_random_state

from ..preprocessing import Differencer, SeriesKNNImputer
from ..scoring import DTWReconstructionScorer
from ..thresholding import WeightedZScoreThresholder
from ..utils import HasMethods, Interval, StrOptions, validate_params
from ..windowing import FFTWindower

__all__ = [
    "make_fft_cnngru_detector",
    "make_lstmae_detector",
    "make_multiscale_detector",
    "make_usad_detector",
]

_SEED_MAX = np.iinfo(np.int32).max

# Training settings of the factories' autoencoders. With the estimators' own lr=1e-3
# and batch 64, 20 epochs of 1,000 windows of make_industrial_load left CNN-GRU on its
# loss plateau (0.029); lr=3e-3 with batch 32 left it in each of 6 runs (final loss
# 0.0018-0.0048); lr=1e-2 with batch 64 (twice as fast per window) stayed on the
# plateau (0.021) in 1 run of 2.
_CNNGRU_DEFAULTS = {"max_epochs": 20, "lr": 3e-3, "batch_size": 32}
_LSTMAE_DEFAULTS = {"max_epochs": 20, "lr": 3e-3, "batch_size": 32}
_USAD_DEFAULTS = {"max_epochs": 50}

_SCORER_PARAMS = {
    "metric": [StrOptions({"dtw", "mse", "softdtw", "model"})],
    "aggregation": [StrOptions({"path", "covering"})],
    "channels": [StrOptions({"joint", "separate"})],
    "train_stride": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "fit_on": [StrOptions({"all", "normal"})],
    "augmenter": [None, HasMethods(["fit_resample"])],
}
_COMMON_PARAMS = {
    "difference": ["boolean"],
    "final_step": [StrOptions({"zscore", "iforest"})],
    "expected_ratio": [Interval(Real, 0, 1, closed="neither")],
    "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    "include_values": [StrOptions({"auto"}), "boolean"],
    "random_state": ["random_state"],
    **_SCORER_PARAMS,
}
_SINGLE_PARAMS = {
    "window_size": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
    "estimator_params": [None, dict],
    **_COMMON_PARAMS,
}

# Shortest window that window_size="auto" may pick: a few samples hold too little shape
# to learn, and CNN-GRU's default kernel spans 7 steps (FFT peaks at 3 samples happen on
# noisy 5-minute series).
_MIN_AUTO_WINDOW = 8

# Final steps (see the Notes of make_fft_cnngru_detector for the measurements).
_DEFAULT_RATIO = 0.02
_DEFAULT_CONTAMINATION = 0.03
# Z cuts from the empirical quantile of heavy-tailed errors exceed the thresholder's
# default clip of (1.5, 6): keep them as they are.
_UNCLIPPED = (1e-3, 1e6)


def _seeds(random_state, n):
    """Seeds of the random components: an int or None is passed to each unchanged."""
    if random_state is None or isinstance(random_state, Integral):
        return [random_state] * n
    rng = check_random_state(random_state)
    return [int(s) for s in rng.randint(_SEED_MAX, size=n)]


def _final_step(final_step, expected_ratio, contamination, seed):
    if final_step == "iforest":
        return IsolationForest(contamination=contamination, random_state=seed)
    return WeightedZScoreThresholder(
        tail="upper",
        reference="empirical",
        expected_ratio=expected_ratio,
        threshold_bounds=_UNCLIPPED,
    )


def _preprocessing(difference):
    return [
        ("imputer", SeriesKNNImputer()),
        ("differencer", Differencer() if difference else "passthrough"),
        ("scaler", MinMaxScaler()),
    ]


def _scorer(estimator, params, values=True):
    """The scorer step; ``values=False`` keeps a branch's value columns out."""
    include = params["include_values"]
    if include == "auto":
        # a one-sided Z cut on the value columns would flag every daily peak
        include = params["final_step"] == "iforest"
    return DTWReconstructionScorer(
        estimator,
        include_values=bool(include and values),
        **{k: params[k] for k in _SCORER_PARAMS},
    )


def _single(estimator_class, defaults, params):
    ae_seed, final_seed = _seeds(params["random_state"], 2)
    estimator = estimator_class(
        **{**defaults, "random_state": ae_seed, **(params["estimator_params"] or {})}
    )
    return Pipeline(
        [
            *_preprocessing(params["difference"]),
            (
                "windower",
                FFTWindower(window_size=params["window_size"], min_period=_MIN_AUTO_WINDOW),
            ),
            ("scorer", _scorer(estimator, params)),
            (
                "detector",
                _final_step(
                    params["final_step"],
                    params["expected_ratio"],
                    params["contamination"],
                    final_seed,
                ),
            ),
        ]
    )


_WINDOW_SIZE_DOC = """
    window_size : "auto" or int, default="auto"
        Window length of :class:`~ecoai_sklearn.windowing.FFTWindower`: ``"auto"`` uses
        the dominant period of the (detrended) training series, e.g. 96 for a day of
        15-minute readings, among periods of at least 8 samples (``windower__min_period``;
        shorter windows hold too little shape to learn). A series with no significant
        period raises a ``ValueError``: set the window size then.
"""

_PARAMETERS_DOC = """
    difference : bool, default=False
        Whether to difference the series (:class:`~ecoai_sklearn.preprocessing.Differencer`)
        before scaling. Off by default: see the Notes of :func:`make_fft_cnngru_detector`.
    metric : {"dtw", "mse", "softdtw", "model"}, default="dtw"
        Reconstruction error, see :class:`~ecoai_sklearn.scoring.DTWReconstructionScorer`.
    aggregation : {"path", "covering"}, default="path"
        How window errors become per-timestamp features (same class).
    channels : {"joint", "separate"}, default="joint"
        One error over all channels, or one error column per channel.
    train_stride : "auto" or int, default="auto"
        Stride of the autoencoder's training windows; every window is scored.
    fit_on : {"all", "normal"}, default="normal"
        With labels ``y`` given to ``fit``, train the autoencoder on windows without a
        labelled anomaly only (the ``"zscore"`` final step then also fits on normal rows
        only; IsolationForest ignores labels). Without labels all windows are used.
    final_step : {"iforest", "zscore"}, default="iforest"
        The detector on the error features: the research's
        :class:`~sklearn.ensemble.IsolationForest` with ``contamination``, or
        :class:`~ecoai_sklearn.thresholding.WeightedZScoreThresholder` with one-sided
        robust Z scores cut at the empirical ``1 - expected_ratio`` quantile of the
        training rows (of the normal ones when labels are given).
    expected_ratio : float in (0, 1), default=0.02
        Fraction of the (normal) training rows above the cut of the ``"zscore"`` final
        step. For a fixed Z cut instead, set ``detector__thresholds`` (a float).
    contamination : "auto" or float in (0, 0.5], default=0.03
        ``contamination`` of the ``"iforest"`` final step: about the fraction of
        training rows it flags.
    include_values : "auto" or bool, default="auto"
        Whether the final step also sees each timestamp's scaled readings beside the
        reconstruction errors (``scorer__include_values``, see
        :class:`~ecoai_sklearn.scoring.DTWReconstructionScorer`). ``"auto"``: with the
        ``"iforest"`` final step only (a one-sided Z cut on the readings would flag
        every daily peak). See the Notes for the measurements.
    augmenter : object with ``fit_resample`` or None, default=None
        Sampler whose synthetic windows train only the autoencoder (e.g.
        :class:`~ecoai_sklearn.augmentation.MIFGSMAugmenter`).
"""

_ESTIMATOR_PARAMS_DOC = """
    estimator_params : dict or None, default=None
        Parameters of the autoencoder, overriding the factory's (``max_epochs``,
        ``lr``, ``batch_size``, ``module__*``, ``device``, ...).
"""

_RANDOM_STATE_DOC = """
    random_state : int, RandomState instance or None, default=None
        Seeds the autoencoder(s) and the isolation forest. An int (or None) is passed
        to each; a RandomState instance draws one seed for each.
"""

_NOTES_DOC = """
    **Defaults, and how they were chosen.** Measured on
    :func:`~ecoai_sklearn.datasets.make_industrial_load` (4 channels of 15-minute load,
    84 days, 24 events), fitted with labels on the first 8 weeks and judged point-wise
    on the 4 weeks after them; no threshold sees the test labels. "Best F1" is the F1
    of the best threshold on the test labels, an upper bound. Spikes, surges and
    outages (seeds 0 and 1):

    =====================================  ===============  ==============  =========
    variant                                point F1         best F1         ROC AUC
    =====================================  ===============  ==============  =========
    defaults                               0.82, 0.73       0.91, 0.76      0.99, 0.98
    ``aggregation="covering"``             0.00, 0.58       0.18, 0.60      0.77, 0.87
    ``metric="mse"``                       0.88, 0.73       0.89, 0.76      0.99, 0.97
    ``difference=True``                    0.12, 0.11       0.23, 0.13      0.59, 0.40
    =====================================  ===============  ==============  =========

    - ``aggregation="path"``: the covering mean of whole-window errors smears a spike
      over ``2 w - 1`` rows; per-step path costs keep it on its row.
    - ``metric="dtw"`` is the research's choice; on these events (none is a time
      shift) MSE did as well, and DTW costs about 1 s per 35,000 windows of 96 steps.
    - Level values (no differencing): differencing echoes each spike onto the next
      row and changes the shape the autoencoder must learn (see DESIGN notes); it
      brought ROC AUC down to chance here.
    - Final step, errors only (``include_values=False``): IsolationForest with
      ``contamination=0.05`` gave point F1 0.82, 0.73, 0.67, 0.74 on seeds 0-3 (mean
      0.74) and, with sags added to the events, 0.61, 0.46, 0.65, 0.73, 0.53, 0.64 on
      seeds 0-5 (mean 0.60), against means of 0.69 and 0.59 for 0.03, 0.55 and 0.51
      for 0.02; ``"auto"`` flagged far too much (F1 0.08-0.34). The ``"zscore"`` cut at
      the 98th percentile of the normal training errors reached means of 0.71 and
      0.57; Gaussian robust Z cuts from 4 to 10 reached 0.46-0.50 with sags: the errors
      are heavy-tailed, and the autoencoder erred 1.5 to 2 times more on the weeks
      after its training period than within it, so a cut placed just above the
      normal training errors flags too much.
    - Final step with the readings (the default): with sags among the events (seeds
      0-3, 4.2-7.2 % of the judged rows anomalous), ``contamination`` 0.01 / 0.02 /
      0.03 / 0.05 gave mean point F1 0.50 / 0.74 / 0.78 / 0.64; hence 0.03. Set it near
      the share of anomalous rows you expect.
    - ``include_values``: the final IsolationForest sees each timestamp's scaled
      readings beside the errors. An autoencoder reconstructs a level shift, a drift,
      a sag or an outage that keeps the daily shape well; the readings show them. Same
      protocol, 3 seeds (0-2), IsolationForest alone on the errors against errors and
      readings: PR AUC 0.807 -> 0.916 and point F1 0.744 -> 0.835 with spikes, surges
      and outages (better on every seed); PR AUC 0.324 -> 0.459 and F1 0.214 -> 0.255
      with all 8 anomaly kinds of the generator. The readings alone reached PR AUC
      0.811 and 0.508, F1 0.556 and 0.239: the two kinds of feature complement each
      other. The table above predates this option (errors only).
    - Autoencoder: ``lr=3e-3`` and batch 32 for 20 epochs left the loss plateau in all
      of 10 runs (final loss 0.0014-0.0048); the estimator's own ``lr=1e-3`` did not.

    **Cost.** On one year of 15-minute data (35,040 rows, 4 channels; 2 CPU threads of
    an idle machine) ``fit`` took 38 s (training 1,018 windows for 20 epochs: 26 s;
    scoring the 35,040 training rows: 6 s) and ``predict`` 6 s, 44.5 s in all
    (``python benchmarks/bench_detector.py --threads 2``).

    **New data.** ``predict`` scores each call on its own: the first and last ``w - 1``
    rows rest on fewer windows (see :class:`~ecoai_sklearn.scoring.DTWReconstructionScorer`).
    To score a chunk as part of the running series, prepend the previous ``w - 1`` rows
    and drop their predictions.
"""


def _fill_doc(function):
    """Put the shared parameter (and Notes) text into a factory's docstring."""
    parts = {
        "window_size": _WINDOW_SIZE_DOC,
        "parameters": _PARAMETERS_DOC,
        "estimator_params": _ESTIMATOR_PARAMS_DOC,
        "random_state": _RANDOM_STATE_DOC,
        "notes": _NOTES_DOC,
    }
    # placeholders sit indented in the docstrings: drop the first line's own indent
    function.__doc__ = function.__doc__.format(
        **{key: text.strip("\n").lstrip() for key, text in parts.items()}
    )
    return function


@validate_params(_SINGLE_PARAMS, prefer_skip_nested_validation=True)
@_fill_doc
def make_fft_cnngru_detector(
    *,
    window_size="auto",
    difference=False,
    metric="dtw",
    aggregation="path",
    channels="joint",
    train_stride="auto",
    fit_on="normal",
    final_step="iforest",
    expected_ratio=_DEFAULT_RATIO,
    contamination=_DEFAULT_CONTAMINATION,
    include_values="auto",
    augmenter=None,
    estimator_params=None,
    random_state=None,
):
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

    Parameters
    ----------
    {window_size}
    {parameters}
    {estimator_params}
    {random_state}

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    make_lstmae_detector, make_usad_detector : The same pipeline with other
        autoencoders.
    make_multiscale_detector : One branch per FFT period.

    Notes
    -----
    {notes}

    Examples
    --------
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_fft_cnngru_detector
    >>> X, y, _ = make_industrial_load(n_days=14, n_anomalies=3, random_state=0)
    >>> detector = make_fft_cnngru_detector(
    ...     estimator_params={{"max_epochs": 2, "batch_size": 128, "module__hidden_size": 8}},
    ...     random_state=0,
    ... )
    >>> labels = detector.fit(X[:960], y[:960]).predict(X[960:])
    >>> labels.shape, sorted(set(labels.tolist())) <= [-1, 1]
    ((384,), True)
    >>> detector.named_steps["windower"].window_size_
    96
    """
    return _single(_neural("CNNGRUAE"), _CNNGRU_DEFAULTS, locals())


@validate_params(_SINGLE_PARAMS, prefer_skip_nested_validation=True)
@_fill_doc
def make_lstmae_detector(
    *,
    window_size="auto",
    difference=False,
    metric="dtw",
    aggregation="path",
    channels="joint",
    train_stride="auto",
    fit_on="normal",
    final_step="iforest",
    expected_ratio=_DEFAULT_RATIO,
    contamination=_DEFAULT_CONTAMINATION,
    include_values="auto",
    augmenter=None,
    estimator_params=None,
    random_state=None,
):
    """Detector with an LSTM autoencoder: the pipeline of :func:`make_fft_cnngru_detector`.

    Same steps and parameters, with :class:`~ecoai_sklearn.neural.LSTMAE` (20 epochs,
    ``lr=3e-3``, ``batch_size=32``) as the scorer's autoencoder. LSTM-AE trains at
    about 1,100 windows per CPU second, CNN-GRU at about 600
    (``python benchmarks/bench_training.py --threads 2``).

    Parameters
    ----------
    {window_size}
    {parameters}
    {estimator_params}
    {random_state}

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    make_fft_cnngru_detector : The default detector, with its Notes.

    Examples
    --------
    >>> from ecoai_sklearn.pipelines import make_lstmae_detector
    >>> detector = make_lstmae_detector(random_state=0)
    >>> type(detector.named_steps["scorer"].estimator).__name__
    'LSTMAE'
    """
    return _single(_neural("LSTMAE"), _LSTMAE_DEFAULTS, locals())


@validate_params(_SINGLE_PARAMS, prefer_skip_nested_validation=True)
@_fill_doc
def make_usad_detector(
    *,
    window_size="auto",
    difference=False,
    metric="dtw",
    aggregation="path",
    channels="joint",
    train_stride="auto",
    fit_on="normal",
    final_step="iforest",
    expected_ratio=_DEFAULT_RATIO,
    contamination=_DEFAULT_CONTAMINATION,
    include_values="auto",
    augmenter=None,
    estimator_params=None,
    random_state=None,
):
    """Detector with USAD: the pipeline of :func:`make_fft_cnngru_detector`.

    Same steps and parameters, with :class:`~ecoai_sklearn.neural.USAD` (its own
    defaults: 50 epochs, ``alpha=1``, ``beta=0``) as the scorer's autoencoder. The
    errors compare each window with ``AE1(W)``; ``metric="model"`` (with
    ``aggregation="covering"``) uses USAD's own score
    ``alpha * mse(W, AE1(W)) + beta * mse(W, AE2(AE1(W)))`` instead, with ``alpha``
    and ``beta`` set through ``estimator_params`` or ``scorer__estimator__alpha``.
    USAD's decoders end with a sigmoid, which the MinMaxScaler's [0, 1] range suits.

    Parameters
    ----------
    {window_size}
    {parameters}
    {estimator_params}
    {random_state}

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    make_fft_cnngru_detector : The default detector, with its Notes.

    Examples
    --------
    >>> from ecoai_sklearn.pipelines import make_usad_detector
    >>> detector = make_usad_detector(
    ...     metric="model", aggregation="covering", estimator_params={{"beta": 0.5}}
    ... )
    >>> detector.get_params()["scorer__estimator__beta"]
    0.5
    """
    return _single(_neural("USAD"), _USAD_DEFAULTS, locals())


@validate_params(
    {
        "n_periods": [Interval(Integral, 1, None, closed="left")],
        "window_sizes": [None, "array-like"],
        "estimator": [None, HasMethods(["fit"])],
        **_COMMON_PARAMS,
    },
    prefer_skip_nested_validation=True,
)
@_fill_doc
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
    expected_ratio=_DEFAULT_RATIO,
    contamination=_DEFAULT_CONTAMINATION,
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
    found 96, 24 and 16 samples on 15-minute load) and contributes one error column
    (``channels="joint"``) or one per channel; the final detector sees all of them, so
    a short event that only the short windows resolve and a slow one that only the
    daily window sees are both represented.

    Parameters
    ----------
    n_periods : int, default=3
        Number of branches, i.e. of FFT periods used (ranks 0 to ``n_periods - 1``,
        periods of at least 8 samples). ``fit`` raises a ValueError when the training
        series has fewer significant periods; pass ``window_sizes`` then.
    window_sizes : array-like of int or None, default=None
        Fixed window sizes, one branch each, instead of FFT periods (then
        ``n_periods`` is ignored).
    estimator : estimator object or None, default=None
        Autoencoder of every branch (cloned per branch); None means
        ``CNNGRUAE(max_epochs=20, lr=3e-3, batch_size=32)`` seeded by ``random_state``.
    {parameters}
    {random_state}

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
    params = locals()
    if window_sizes is None:
        windowers = [
            FFTWindower(period_rank=k, n_periods=n_periods, min_period=_MIN_AUTO_WINDOW)
            for k in range(n_periods)
        ]
    else:
        sizes = np.asarray(window_sizes)
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu" or sizes.min() < 2:
            raise ValueError(
                f"window_sizes must be a non-empty list of ints >= 2, got {window_sizes!r}."
            )
        windowers = [FFTWindower(window_size=int(size)) for size in sizes]
    seeds = _seeds(random_state, len(windowers) + 1)
    if estimator is None:
        cnngru = _neural("CNNGRUAE")
        estimators = [cnngru(**_CNNGRU_DEFAULTS, random_state=seed) for seed in seeds[:-1]]
    else:
        estimators = [clone(estimator) for _ in windowers]
    branches = [
        (
            f"scale{k}",
            # the readings are the same in every branch: one copy, in the first
            Pipeline([("windower", windower), ("scorer", _scorer(est, params, k == 0))]),
        )
        for k, (windower, est) in enumerate(zip(windowers, estimators))
    ]
    return Pipeline(
        [
            *_preprocessing(difference),
            ("scales", FeatureUnion(branches)),
            ("detector", _final_step(final_step, expected_ratio, contamination, seeds[-1])),
        ]
    )


def _neural(name):
    # imported on first use: torch and skorch cost seconds to import
    from .. import neural

    return getattr(neural, name)
