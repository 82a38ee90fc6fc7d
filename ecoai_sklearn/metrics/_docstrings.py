"""Shared docstring text of the metrics, filled in by one Substitution (private).

The label rule, ``zero_division``, the score convention, the event definition and the
VUS description must read the same in every function that uses them.
"""

from ..utils import Substitution

_LABELS = """\
y_true : array-like of shape (n_samples,)
    True labels: 1 (or True) = anomaly, 0 (or False) = normal.
y_pred : array-like of shape (n_samples,)
    Predicted labels, either an outlier detector's output (-1 = anomaly, +1 = normal)
    or 0/1 labels (1 = anomaly); see ``pred_convention``.
pred_convention : {"auto", "sign", "binary"}, default="auto"
    How to read ``y_pred``. ``"sign"``: values in {-1, +1}, -1 = anomaly.
    ``"binary"``: values in {0, 1} (or bool), 1 = anomaly. ``"auto"``: a bool array
    is binary; any -1 selects ``"sign"``; values within {0, 1} with at least one 0
    select ``"binary"``; a vector holding only 1s is ambiguous ("all normal" for a
    detector, "all anomalies" for 0/1 labels) and raises a ValueError asking for an
    explicit convention, as does a vector mixing -1 and 0."""

_ZERO_DIVISION = """\
zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
    Value returned when the metric is undefined (as in scikit-learn); ``"warn"``
    returns 0.0 and emits an :class:`~sklearn.exceptions.UndefinedMetricWarning`."""

_SCORES = """\
y_true : array-like of shape (n_samples,)
    True labels: 1 (or True) = anomaly, 0 (or False) = normal.
y_score : array-like of shape (n_samples,)
    Anomaly scores, higher = more anomalous. For a scikit-learn outlier detector
    pass ``-detector.decision_function(X)`` or ``-detector.score_samples(X)``
    (their higher values mean *more normal*); the scorers of
    :func:`make_anomaly_scorer` do this for you."""

_EVENT_DEFINITION = """\
An *event* is a maximal run of consecutive anomalous points: true events are the
runs of 1s in ``y_true``, predicted events the runs of anomalous predictions in
``y_pred``. A true event is *detected* when at least one of its points is predicted
anomalous; a predicted event is *correct* when it overlaps at least one true event.

- event recall = detected true events / true events;
- event precision = correct predicted events / predicted events;
- event F1 = their harmonic mean.

Each event counts once, whatever its length. Recall is the range-based recall of
Tatbul et al. (NeurIPS 2018) with existence reward only (alpha = 1); precision is its
existence counterpart on predicted ranges, using the overlap rule of Hundman et al.
(KDD 2018), who count true positives over true events instead. Unlike
:func:`point_adjusted_f1_score`, a long false alarm counts as one error, not as many
points, and a long missed event as one miss."""

_EVENT_REFERENCES = """\
N. Tatbul, T. J. Lee, S. Zdonik, M. Alam, J. Gottschlich, "Precision and Recall
for Time Series", NeurIPS 2018.

K. Hundman, V. Constantinou, C. Laporte, I. Colwell, T. Soderstrom, "Detecting
Spacecraft Anomalies Using LSTMs and Nonparametric Dynamic Thresholding", KDD 2018."""

_VUS = """\
VUS (Paparrizos et al., VLDB 2022) averages a range-based curve area over buffer
lengths ``w = 0, 1, ..., sliding_window``. For buffer ``w``, each true anomaly run
is widened by ``w // 2`` points on each side with soft labels ``sqrt(1 - d / w)``
(``d`` = distance to the run, overlapping buffers capped at 1); recall is weighted by
the fraction of buffered segments that hold a predicted point, and false positives
inside a buffer are partly forgiven. This reproduces the reference implementation,
``vus`` 0.0.6 ``get_metrics(score, labels, metric="vus", slidingWindow=...)``
(``metricor.RangeAUC_volume_opt``), to floating-point rounding, including its
``n_thresholds=250`` thresholds taken at evenly spaced positions of the sorted
scores; it runs in O(n log n + sliding_window * (m + n_thresholds)) where m <= n is
the number of points within ``sliding_window // 2`` of an anomaly.

Parameters
----------
y_true : array-like of shape (n_samples,)
    True labels, 1 (or True) = anomaly, 0 = normal; in time order.
y_score : array-like of shape (n_samples,)
    Anomaly scores, higher = more anomalous (for a scikit-learn outlier detector pass
    ``-decision_function(X)``).
sliding_window : int, default=100
    Largest buffer length ``L``; the reference uses the series' period (its
    ``find_length``), e.g. 96 for one day of 15-minute readings. 0 gives the
    range-based area without buffer.
n_thresholds : int or None, default=250
    Number of thresholds, as the reference's ``thre``. None uses every sorted
    position (every score), the exact curve."""

_VUS_REFERENCES = """\
J. Paparrizos, P. Boniol, T. Palpanas, R. S. Tsay, A. Elmore, M. J. Franklin,
"Volume Under the Surface: A New Accuracy Evaluation Measure for Time-Series
Anomaly Detection", PVLDB 15(11), 2022."""

#: Decorator filling ``%(labels)s``, ``%(zero_division)s``, ``%(scores)s``,
#: ``%(event_definition)s``, ``%(event_references)s``, ``%(vus)s`` and
#: ``%(vus_references)s``.
document = Substitution(
    labels=_LABELS,
    zero_division=_ZERO_DIVISION,
    scores=_SCORES,
    event_definition=_EVENT_DEFINITION,
    event_references=_EVENT_REFERENCES,
    vus=_VUS,
    vus_references=_VUS_REFERENCES,
)
