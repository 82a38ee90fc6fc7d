"""What the detector factories share: steps, parameter constraints and docstring text.

A new factory builds its Pipeline from these steps, declares its parameters with
:data:`COMMON_CONSTRAINTS` (plus its own) and fills its docstring with :data:`document`
(placeholders ``%(single_scale_parameters)s``, ``%(parameters)s``, ``%(window_size)s``,
``%(estimator_params)s``, ``%(random_state)s``, ``%(notes)s``), so that a parameter reads
and validates the same in every factory.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_random_state

from ..preprocessing import Differencer, SeriesKNNImputer
from ..scoring import DTWReconstructionScorer
from ..thresholding import WeightedZScoreThresholder
from ..utils import Interval, StrOptions, Substitution

_SEED_MAX = np.iinfo(np.int32).max

# Training settings of the factories' autoencoders (the estimators' own lr=1e-3 and batch
# 64 left CNN-GRU on its loss plateau: benchmarks/RESULTS.md, section 6).
CNNGRU_DEFAULTS = {"max_epochs": 20, "lr": 3e-3, "batch_size": 32}
LSTMAE_DEFAULTS = {"max_epochs": 20, "lr": 3e-3, "batch_size": 32}
USAD_DEFAULTS = {"max_epochs": 50}

# Shortest window that window_size="auto" may pick: a few samples hold too little shape
# to learn, and CNN-GRU's default kernel spans 7 steps (FFT peaks at 3 samples happen on
# noisy 5-minute series).
MIN_AUTO_WINDOW = 8

# Defaults of the final steps (benchmarks/RESULTS.md, section 6).
DEFAULT_RATIO = 0.02
DEFAULT_CONTAMINATION = 0.03
# Z cuts from the empirical quantile of heavy-tailed errors exceed the thresholder's
# default clip of (1.5, 6): keep them as they are.
_UNCLIPPED = (1e-3, 1e6)

_SCORER = DTWReconstructionScorer._parameter_constraints

#: The scorer parameters every factory passes through, validated by the scorer's own
#: constraints (as scikit-learn's LocalOutlierFactor takes NeighborsBase's).
SCORER_PARAMS = ("metric", "aggregation", "channels", "train_stride", "fit_on", "augmenter")

#: Constraints of the parameters all factories share.
COMMON_CONSTRAINTS = {
    **{key: _SCORER[key] for key in SCORER_PARAMS},
    "difference": ["boolean"],
    "final_step": [StrOptions({"zscore", "iforest"})],
    "expected_ratio": [Interval(Real, 0, 1, closed="neither")],
    "contamination": IsolationForest._parameter_constraints["contamination"],
    "include_values": [StrOptions({"auto"}), *_SCORER["include_values"]],
    "random_state": ["random_state"],
}

#: Constraints of the single-scale factories (one window size, one autoencoder).
SINGLE_CONSTRAINTS = {
    "window_size": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
    "estimator_params": [None, dict],
    **COMMON_CONSTRAINTS,
}


def seeds(random_state, n):
    """Seeds of the random components: an int or None is passed to each unchanged."""
    if random_state is None or isinstance(random_state, Integral):
        return [random_state] * n
    rng = check_random_state(random_state)
    return [int(s) for s in rng.randint(_SEED_MAX, size=n)]


def neural(name):
    """An autoencoder class of :mod:`ecoai_sklearn.neural`, imported on first use
    (torch and skorch cost seconds to import)."""
    from .. import neural

    return getattr(neural, name)


def preprocessing_steps(difference):
    """Imputer, optional differencer and scaler, as ``(name, step)`` pairs."""
    return [
        ("imputer", SeriesKNNImputer()),
        ("differencer", Differencer() if difference else "passthrough"),
        ("scaler", MinMaxScaler()),
    ]


def scorer_step(estimator, scorer_params, *, include_values, final_step, values=True):
    """The scorer; ``values=False`` keeps a branch's reading columns out.

    ``include_values="auto"`` appends the readings for the ``"iforest"`` final step only:
    a one-sided Z cut on the readings would flag every daily peak.
    """
    if include_values == "auto":
        include_values = final_step == "iforest"
    return DTWReconstructionScorer(
        estimator, include_values=bool(include_values and values), **scorer_params
    )


def final_step_for(final_step, *, expected_ratio, contamination, random_state):
    """The detector on the error features."""
    if final_step == "iforest":
        return IsolationForest(contamination=contamination, random_state=random_state)
    return WeightedZScoreThresholder(
        tail="upper",
        reference="empirical",
        expected_ratio=expected_ratio,
        threshold_bounds=_UNCLIPPED,
    )


_WINDOW_SIZE = """\
window_size : "auto" or int, default="auto"
    Window length of :class:`~ecoai_sklearn.windowing.FFTWindower`: ``"auto"`` uses
    the dominant period of the (detrended) training series, e.g. 96 for a day of
    15-minute readings, among periods of at least 8 samples (``windower__min_period``;
    shorter windows hold too little shape to learn) and at most 256
    (``windower__max_size``: a longer period is cut to it, which bounds the cost of
    training and DTW). A series with no significant period gets a window of 64
    samples and a warning (``windower__fallback_size``)."""

_PARAMETERS = """\
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
    training rows it flags. Set it near the share of anomalous rows you expect.
include_values : "auto" or bool, default="auto"
    Whether the final step also sees each timestamp's scaled readings beside the
    reconstruction errors (``scorer__include_values``, see
    :class:`~ecoai_sklearn.scoring.DTWReconstructionScorer`). ``"auto"``: with the
    ``"iforest"`` final step only (a one-sided Z cut on the readings would flag
    every daily peak). See the Notes of :func:`make_fft_cnngru_detector`.
augmenter : object with ``fit_resample`` or None, default=None
    Sampler whose synthetic windows train only the autoencoder (e.g.
    :class:`~ecoai_sklearn.augmentation.MIFGSMAugmenter`)."""

_ESTIMATOR_PARAMS = """\
estimator_params : dict or None, default=None
    Parameters of the autoencoder, overriding the factory's (``max_epochs``,
    ``lr``, ``batch_size``, ``module__*``, ``device``, ...)."""

_RANDOM_STATE = """\
random_state : int, RandomState instance or None, default=None
    Seeds the autoencoder(s) and the isolation forest. An int (or None) is passed
    to each; a RandomState instance draws one seed for each."""

_NOTES = """\
**Defaults, and why.** The measurements behind each rule are in section 6 of
``benchmarks/RESULTS.md`` ("Defaults of the factories").

- ``aggregation="path"``: the covering mean of whole-window errors smears a spike
  over ``2 w - 1`` rows; per-step path costs keep it on its row.
- ``metric="dtw"`` is the research's choice, robust to small time shifts; on events
  that are not time shifts ``"mse"`` does as well, at a lower cost.
- Level values, not differenced (``difference=False``): differencing echoes each
  spike onto the next row and changes the shape the autoencoder must learn.
- Final step with the readings (``include_values="auto"`` with IsolationForest): an
  autoencoder reconstructs a level shift, a drift, a sag or an outage that keeps the
  daily shape well; the readings show them, the errors show the shapes, and the two
  kinds of feature complement each other.
- ``contamination`` should be near the expected share of anomalous rows;
  ``"auto"`` flags far too many rows on these features.
- ``"zscore"`` cuts at an empirical quantile of the normal training errors, not at a
  Gaussian Z: the errors are heavy-tailed, and larger on data after the training
  period than within it, so a cut placed just above the training errors flags too
  much.
- Autoencoders train with ``lr=3e-3`` and batch 32 for 20 epochs, which leaves the
  loss plateau where the estimators' own ``lr=1e-3`` does not.

**Cost.** Training the autoencoder (at most about 10,000 windows, see
``train_stride``, for 20 epochs) is most of ``fit``; ``predict`` grows linearly with
the number of rows. Times and memory by series length: ``benchmarks/RESULTS.md``,
section 5.

**New data.** ``predict`` scores each call on its own: the first and last ``w - 1``
rows rest on fewer windows (see :class:`~ecoai_sklearn.scoring.DTWReconstructionScorer`).
To score a chunk as part of the running series, prepend the previous ``w - 1`` rows
and drop their predictions."""

#: Parameters and Returns sections of the single-scale factories.
_SINGLE_SCALE_PARAMETERS = f"""\
Parameters
----------
{_WINDOW_SIZE}
{_PARAMETERS}
{_ESTIMATOR_PARAMS}
{_RANDOM_STATE}

Returns
-------
detector : Pipeline
    Unfitted detector."""

#: Fills the shared placeholders of the factories' docstrings.
document = Substitution(
    single_scale_parameters=_SINGLE_SCALE_PARAMETERS,
    window_size=_WINDOW_SIZE,
    parameters=_PARAMETERS,
    estimator_params=_ESTIMATOR_PARAMS,
    random_state=_RANDOM_STATE,
    notes=_NOTES,
)
