"""Factories of the window detectors: kNN, PCA, their ensemble and the default detector.

Every detector here is a :class:`~sklearn.pipeline.Pipeline` from a series
``(n_timestamps, n_channels)`` to one answer per timestamp::

    imputer   SeriesKNNImputer      fills missing readings
    scaler    StandardScaler        each channel on the scale of its training rows
    ...       windows and scores (see each factory)

The measurements behind the defaults are in ``benchmarks/RESULTS.md``, section
"Default detector".
"""

from numbers import Integral, Real

from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..preprocessing import SeriesKNNImputer
from ..scoring import DTWReconstructionScorer, KNNWindowScorer
from ..thresholding import WeightedZScoreThresholder
from ..utils import HasMethods, Interval, StrOptions, Substitution, validate_params
from ..windowing import FFTWindower
from ._ensemble import AUTO_CUT, EnsembleDetector
from ._pipeline import DetectorPipeline
from ._steps import (
    CNNGRU_DEFAULTS,
    LSTMAE_DEFAULTS,
    MIN_AUTO_WINDOW,
    USAD_DEFAULTS,
    final_step_for,
    neural,
    seeds,
)

#: window length of the second scale of the default ensemble, and the fallback of "auto"
SECOND_WINDOW = 64
#: the ensembles' cut: robust standard deviations above the training scores' median
DEFAULT_CONTAMINATION = "auto"

FAMILIES = ("knn", "pca", "cnngru", "lstmae", "usad")
_AUTOENCODERS = {
    "cnngru": ("CNNGRUAE", CNNGRU_DEFAULTS),
    "lstmae": ("LSTMAE", LSTMAE_DEFAULTS),
    "usad": ("USAD", USAD_DEFAULTS),
}

_WINDOW_SIZE = [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")]
_CONTAMINATION = [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")]
_N_COMPONENTS = [Interval(Real, 0, 1, closed="neither"), Interval(Integral, 1, None, closed="left")]

document = Substitution(
    window_size="""\
window_size : "auto" or int, default="auto"
    Window length: ``"auto"`` is the dominant FFT period of the training series
    (at least 8, at most 256 samples), or 64 samples with a warning when the series
    has no period (:class:`~ecoai_sklearn.windowing.FFTWindower`, ``fallback_size``
    and ``max_size``).""",
    contamination="""\
contamination : "auto" or float in (0, 0.5], default="auto"
    The cut of the final step: ``"auto"`` at 4 robust standard deviations above the
    median of the training rows' scores, whatever anomalies the training series holds;
    a float flags that share of the training rows (set it near the share of anomalous
    rows you expect).""",
    steps="""\
imputer   SeriesKNNImputer    fills missing readings
scaler    StandardScaler      each channel on the scale of its training rows""",
)


def _preprocessing():
    return [("imputer", SeriesKNNImputer()), ("scaler", StandardScaler())]


def _windower(window_size):
    return FFTWindower(
        window_size=window_size,
        min_period=MIN_AUTO_WINDOW,
        fallback_size=SECOND_WINDOW,
    )


def _scorer(family, *, n_neighbors=5, n_components=0.9, seed=None):
    """The per-timestamp scorer of a member family."""
    if family == "knn":
        return KNNWindowScorer(n_neighbors)
    if family == "pca":
        pca = PCA(n_components=n_components, svd_solver="full")
        return DTWReconstructionScorer(pca, metric="mse", aggregation="covering")
    name, defaults = _AUTOENCODERS[family]
    autoencoder = neural(name)(**defaults, random_state=seed)
    return DTWReconstructionScorer(autoencoder, metric="mse", aggregation="path")


@validate_params(
    {
        "window_size": _WINDOW_SIZE,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "contamination": _CONTAMINATION,
    },
    prefer_skip_nested_validation=True,
)
@document
def make_knn_detector(*, window_size="auto", n_neighbors=5, contamination=DEFAULT_CONTAMINATION):
    """Nearest-neighbour detector of windows: each window's distance to the training ones.

    Builds the :class:`~sklearn.pipeline.Pipeline`::

        %(steps)s
        windower  FFTWindower         one window per timestamp
        scorer    KNNWindowScorer     mean distance to the nearest training windows,
                                      averaged over the windows covering each row
        detector  WeightedZScoreThresholder   robust Z cut of the errors

    Parameters
    ----------
    %(window_size)s
    n_neighbors : int, default=5
        Nearest training windows averaged (``scorer__n_neighbors``).
    %(contamination)s

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    make_pca_detector, make_default_detector

    Examples
    --------
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_knn_detector
    >>> X, y, _ = make_industrial_load(n_days=21, random_state=0)
    >>> detector = make_knn_detector().fit(X[:1344])
    >>> detector.named_steps["windower"].window_size_
    96
    >>> detector.predict(X[1344:]).shape
    (672,)
    """
    return _single_scorer(_scorer("knn", n_neighbors=n_neighbors), window_size, contamination)


@validate_params(
    {
        "window_size": _WINDOW_SIZE,
        "n_components": _N_COMPONENTS,
        "contamination": _CONTAMINATION,
    },
    prefer_skip_nested_validation=True,
)
@document
def make_pca_detector(*, window_size="auto", n_components=0.9, contamination=DEFAULT_CONTAMINATION):
    """Window PCA detector: how far each window lies from the training windows' subspace.

    The reconstruction detector of TSB-AD's "Sub-PCA", the best method of its
    univariate benchmark, in the package's row-aligned form: windows are projected
    on the principal components of the training windows and back; a window's error is
    the mean squared difference, and each row gets the mean error of the windows
    covering it. Builds the :class:`~sklearn.pipeline.Pipeline`::

        %(steps)s
        windower  FFTWindower         one window per timestamp
        scorer    DTWReconstructionScorer(PCA(n_components), metric="mse",
                                          aggregation="covering")
        detector  WeightedZScoreThresholder   robust Z cut of the errors

    Parameters
    ----------
    %(window_size)s
    n_components : float in (0, 1) or int, default=0.9
        Components kept: a share of the windows' variance, or a number
        (``scorer__estimator__n_components``).
    %(contamination)s

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    make_knn_detector, make_default_detector

    Examples
    --------
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_pca_detector
    >>> X, y, _ = make_industrial_load(n_days=21, random_state=0)
    >>> detector = make_pca_detector().fit(X[:1344])
    >>> detector.score_samples(X[1344:]).shape
    (672,)
    """
    return _single_scorer(_scorer("pca", n_components=n_components), window_size, contamination)


def _single_scorer(scorer, window_size, contamination):
    """Pipeline of one window scorer, cut as EnsembleDetector cuts (robust Z or quantile)."""
    if contamination == "auto":
        cut = WeightedZScoreThresholder(tail="upper", thresholds=AUTO_CUT)
    else:
        cut = final_step_for(
            "zscore", expected_ratio=contamination, contamination=None, random_state=None
        )
    steps = [("windower", _windower(window_size)), ("scorer", scorer), ("detector", cut)]
    return DetectorPipeline([*_preprocessing(), *steps])


@validate_params(
    {
        "members": ["array-like"],
        "window_sizes": ["array-like"],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "n_components": _N_COMPONENTS,
        "normalization": [StrOptions({"zscore", "robust"})],
        "combination": [StrOptions({"max", "mean"})],
        "selection": [None, HasMethods(["score_members", "weights"])],
        "contamination": _CONTAMINATION,
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
@document
def make_ensemble_detector(
    members=("knn", "pca"),
    window_sizes=("auto", SECOND_WINDOW),
    *,
    n_neighbors=5,
    n_components=0.9,
    normalization="zscore",
    combination="max",
    selection=None,
    contamination=DEFAULT_CONTAMINATION,
    n_jobs=None,
    random_state=None,
):
    """Ensemble of window scorers of several families and window lengths.

    Builds the :class:`~sklearn.pipeline.Pipeline`::

        %(steps)s
        ensemble  EnsembleDetector    one member per (family, window size):
                                      Pipeline(windower, scorer), named
                                      "<family>_<window size>" (e.g. "knn_auto")

    Each member scores every row; the ensemble normalises each member's scores on the
    training rows, combines them and cuts at the ``contamination`` quantile.

    Parameters
    ----------
    members : array-like of str, default=("knn", "pca")
        Families: ``"knn"`` (:class:`~ecoai_sklearn.scoring.KNNWindowScorer`),
        ``"pca"`` (window PCA, as in :func:`make_pca_detector`), ``"cnngru"``,
        ``"lstmae"``, ``"usad"`` (the autoencoders of :mod:`ecoai_sklearn.neural`
        with the research factories' training settings, MSE path errors; each trains
        a network, which costs far more than kNN and PCA).
    window_sizes : array-like of "auto" or int, default=("auto", 64)
        Window length of each scale; ``"auto"`` as in :func:`make_knn_detector`.
    n_neighbors : int, default=5
        Neighbours of the kNN members.
    n_components : float in (0, 1) or int, default=0.9
        Components of the PCA members.
    normalization : {"zscore", "robust"}, default="zscore"
        See :class:`EnsembleDetector`.
    combination : {"max", "mean"}, default="max"
        See :class:`EnsembleDetector`.
    selection : InjectedAnomalySelection or None, default=None
        Self-supervised choice of members, see :class:`EnsembleDetector`.
    %(contamination)s
    n_jobs : int or None, default=None
        Members fitted and scored in parallel threads.
    random_state : int, RandomState instance or None, default=None
        Seeds the autoencoder members (kNN and PCA members are deterministic).

    Returns
    -------
    detector : Pipeline
        Unfitted detector.

    See Also
    --------
    EnsembleDetector, make_default_detector

    Examples
    --------
    >>> from ecoai_sklearn.pipelines import make_ensemble_detector
    >>> detector = make_ensemble_detector(members=["knn"], window_sizes=["auto", 16, 64])
    >>> [name for name, _ in detector.named_steps["ensemble"].estimators]
    ['knn_auto', 'knn_16', 'knn_64']
    """
    families = [str(m) for m in members]
    unknown = sorted(set(families) - set(FAMILIES))
    if not families or unknown:
        raise ValueError(f"members must be some of {FAMILIES}; got {list(members)!r}.")
    sizes = list(window_sizes)
    if not sizes or any(
        not (s == "auto" or (isinstance(s, Integral) and not isinstance(s, bool) and s >= 2))
        for s in sizes
    ):
        raise ValueError(
            f"window_sizes must be a non-empty list of 'auto' or ints >= 2; got {window_sizes!r}."
        )
    member_seeds = iter(seeds(random_state, len(families) * len(sizes)))
    estimators = []
    for family in families:
        for size in sizes:
            scorer = _scorer(
                family,
                n_neighbors=n_neighbors,
                n_components=n_components,
                seed=next(member_seeds),
            )
            member = Pipeline([("windower", _windower(size)), ("scorer", scorer)])
            estimators.append((f"{family}_{size}", member))
    names = [name for name, _ in estimators]
    if len(set(names)) != len(names):
        raise ValueError(f"members and window_sizes repeat a member: {names}.")
    ensemble = EnsembleDetector(
        estimators,
        normalization=normalization,
        combination=combination,
        selection=selection,
        contamination=contamination,
        n_jobs=n_jobs,
    )
    return DetectorPipeline([*_preprocessing(), ("ensemble", ensemble)])


@validate_params(
    {
        "random_state": ["random_state"],
        "contamination": _CONTAMINATION,
        "n_jobs": [None, Integral],
    },
    prefer_skip_nested_validation=True,
)
@document
def make_default_detector(random_state=None, *, contamination=DEFAULT_CONTAMINATION, n_jobs=None):
    """The package's default detector: window kNN at two window lengths.

    ``make_ensemble_detector(members=("knn",), window_sizes=("auto", 64))``: two members,
    each a :class:`~ecoai_sklearn.scoring.KNNWindowScorer` on the windows of the series'
    period and of 64 samples, each normalised on the training rows, combined by their
    maximum. It beats PCA, kNN distance, LOF, IsolationForest and PyOD's AutoEncoder on
    lagged windows (TSB-AD's "Sub-" baselines) on the development benchmark (every
    labelled series of LEAD, KPI, NAB and SKAB) and on generated industrial load;
    window-PCA members raise its mean on the former but fail on the latter, so it has
    none (``benchmarks/RESULTS.md``, section "Default detector"). It never fails for
    want of a period and needs no training loop.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Accepted for the factories' common signature: the default members are
        deterministic.
    %(contamination)s
    n_jobs : int or None, default=None
        Members fitted and scored in parallel threads.

    Returns
    -------
    detector : Pipeline
        Unfitted detector: ``imputer``, ``scaler``, ``ensemble``.

    See Also
    --------
    make_ensemble_detector : The same with other members and windows.
    make_fft_cnngru_detector : The research detector.

    Notes
    -----
    **New data.** Each ``predict`` call is scored on its own; to score a chunk as part
    of the running series, prepend the previous rows of history (at least the
    longest window, 256 rows at most) and drop their answers.

    Examples
    --------
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.metrics import point_average_precision_score
    >>> from ecoai_sklearn.pipelines import make_default_detector
    >>> X, y, _ = make_industrial_load(n_days=28, n_anomalies=6, random_state=0)
    >>> detector = make_default_detector().fit(X[:1344])
    >>> [name for name, _ in detector.named_steps["ensemble"].estimators]
    ['knn_auto', 'knn_64']
    >>> scores = -detector.score_samples(X[1344:])
    >>> bool(point_average_precision_score(y[1344:], scores) > 0.3)
    True
    """
    return make_ensemble_detector(
        ("knn",),
        ("auto", SECOND_WINDOW),
        contamination=contamination,
        n_jobs=n_jobs,
        random_state=random_state,
    )
