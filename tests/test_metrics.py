"""Tests for ecoai_sklearn.metrics: oracles are sklearn, hand counts, brute-force loops and
values computed with the reference VUS implementation (``vus`` 0.0.6)."""

import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, TimeSeriesSplit, cross_validate

from ecoai_sklearn.metrics import (
    best_f1_score,
    event_f1_score,
    event_precision_score,
    event_recall_score,
    get_anomaly_scorer_names,
    make_anomaly_scorer,
    make_anomaly_scorers,
    point_adjust,
    point_adjusted_f1_score,
    point_average_precision_score,
    point_f1_score,
    point_precision_score,
    point_recall_score,
    point_roc_auc_score,
    vus_pr_score,
    vus_roc_score,
)

LABEL_METRICS = [
    point_precision_score,
    point_recall_score,
    point_f1_score,
    point_adjusted_f1_score,
    event_precision_score,
    event_recall_score,
    event_f1_score,
]
SCORE_METRICS = [
    point_roc_auc_score,
    point_average_precision_score,
    best_f1_score,
    vus_pr_score,
    vus_roc_score,
]

labels_strategy = st.lists(st.integers(0, 1), min_size=1, max_size=40)


def _runs(values):
    """Slow run finder: list of (start, end) inclusive of runs of 1."""
    out, start = [], None
    for i, v in enumerate(list(values) + [0]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i - 1))
            start = None
    return out


# ---------------------------------------------------------------- label conventions


class TestConventions:
    def test_sign_and_binary_give_the_same_result(self):
        y_true = [0, 1, 1, 0, 1, 0]
        binary = [0, 1, 0, 1, 1, 0]
        sign = [1, -1, 1, -1, -1, 1]
        boolean = np.array(binary, dtype=bool)
        for metric in LABEL_METRICS:
            expected = metric(y_true, binary)
            assert metric(y_true, sign) == expected
            assert metric(y_true, boolean) == expected
            assert metric(np.array(y_true, dtype=bool), sign) == expected
            assert metric(np.array(y_true, dtype=float), np.array(sign, dtype=float)) == expected

    def test_all_plus_one_is_ambiguous_in_auto(self):
        with pytest.raises(ValueError, match="ambiguous.*pred_convention"):
            point_f1_score([0, 1, 0], [1, 1, 1])

    def test_all_plus_one_resolved_by_explicit_convention(self):
        y_true = [0, 1, 0, 0]
        # Outlier detector: all normal, nothing found.
        assert point_recall_score(y_true, [1, 1, 1, 1], pred_convention="sign") == 0.0
        # 0/1 labels: all anomalies, every anomaly found, precision = anomaly rate.
        assert point_recall_score(y_true, [1, 1, 1, 1], pred_convention="binary") == 1.0
        assert point_precision_score(y_true, [1, 1, 1, 1], pred_convention="binary") == 0.25

    def test_unambiguous_constant_vectors(self):
        # All -1: sign convention, all anomalies; all 0: binary, all normal.
        assert point_recall_score([0, 1, 1], [-1, -1, -1]) == 1.0
        assert point_precision_score([0, 1, 1], [-1, -1, -1]) == pytest.approx(2 / 3)
        assert point_recall_score([0, 1, 1], [0, 0, 0]) == 0.0
        # Bool True is always an anomaly, even when all True.
        assert point_recall_score([0, 1, 1], np.ones(3, dtype=bool)) == 1.0

    @pytest.mark.parametrize(
        "y_pred, convention, match",
        [
            ([-1, 0, 1], "auto", "mixes -1 and 0"),
            ([0, 2, 1], "auto", "got values \\[0, 1, 2\\]"),
            ([0, 1, 0], "sign", "contains 0 but pred_convention='sign'"),
            ([-1, 1, 1], "binary", "contains -1 but pred_convention='binary'"),
            ([0, 1, 0], "pm1", "pred_convention must be one of"),
            ([0.0, np.nan, 1.0], "auto", "NaN"),
        ],
    )
    def test_bad_predictions(self, y_pred, convention, match):
        with pytest.raises(ValueError, match=match):
            point_f1_score([0, 1, 0], y_pred, pred_convention=convention)

    @pytest.mark.parametrize(
        "y_true, match",
        [
            ([0, -1, 1], "only 0 \\(normal\\) and 1 \\(anomaly\\).*outlier detector"),
            ([0, 2, 1], "got values \\[0, 1, 2\\]"),
            ([0.0, np.nan, 1.0], "y_true contains NaN"),
        ],
    )
    def test_bad_labels(self, y_true, match):
        with pytest.raises(ValueError, match=match):
            event_f1_score(y_true, [0, 1, 0])
        with pytest.raises(ValueError, match=match):
            point_roc_auc_score(y_true, [0.1, 0.2, 0.3])

    @pytest.mark.parametrize("metric", LABEL_METRICS)
    def test_shape_errors(self, metric):
        with pytest.raises(ValueError, match="same length, got 3 and 2"):
            metric([0, 1, 0], [0, 1])
        with pytest.raises(ValueError, match="empty"):
            metric([], [])
        with pytest.raises(ValueError, match="1D array"):
            metric(np.zeros((3, 2)), [0, 1, 0])
        with pytest.raises(TypeError, match="numeric"):
            metric(["a", "b"], [0, 1])
        with pytest.raises(TypeError, match="1D array-like"):
            metric("01", [0, 1])
        with pytest.raises(ValueError, match="zero_division"):
            metric([0, 1], [0, 1], zero_division=2)

    def test_column_vectors_are_accepted(self):
        y_true = np.array([[0], [1], [1], [0]])
        assert point_f1_score(y_true, np.array([[0], [1], [0], [0]])) == pytest.approx(2 / 3)

    @pytest.mark.parametrize("metric", SCORE_METRICS)
    def test_score_errors(self, metric):
        with pytest.raises(ValueError, match="y_score contains NaN or infinity"):
            metric([0, 1, 0], [0.1, np.inf, 0.2])
        with pytest.raises(ValueError, match="same length, got 3 and 2"):
            metric([0, 1, 0], [0.1, 0.2])
        with pytest.raises(ValueError, match="no anomaly"):
            metric([0, 0, 0], [0.1, 0.2, 0.3])

    def test_inputs_are_not_mutated(self):
        y_true = np.array([0, 1, 1, 0, 0, 1])
        y_pred = np.array([1, -1, 1, 1, -1, 1])
        y_score = np.array([0.1, 0.9, 0.3, 0.2, 0.8, 0.4])
        copies = y_true.copy(), y_pred.copy(), y_score.copy()
        for metric in LABEL_METRICS + [point_adjust]:
            metric(y_true, y_pred)
        for metric in SCORE_METRICS:
            metric(y_true, y_score)
        best_f1_score(y_true, y_score, point_adjusted=True)
        for before, after in zip(copies, (y_true, y_pred, y_score)):
            np.testing.assert_array_equal(before, after)


# ---------------------------------------------------------------- point-wise


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_point_metrics_match_sklearn(data):
    y_true = data.draw(labels_strategy)
    y_pred = data.draw(st.lists(st.integers(0, 1), min_size=len(y_true), max_size=len(y_true)))
    sign = [-1 if v else 1 for v in y_pred]
    for ours, theirs in [
        (point_precision_score, skm.precision_score),
        (point_recall_score, skm.recall_score),
        (point_f1_score, skm.f1_score),
    ]:
        for zero_division in (0.0, 1.0):
            expected = theirs(y_true, y_pred, zero_division=zero_division)
            got = ours(y_true, sign, pred_convention="sign", zero_division=zero_division)
            assert got == pytest.approx(expected)


def test_point_zero_division():
    with pytest.warns(UndefinedMetricWarning, match="Precision is ill-defined"):
        assert point_precision_score([0, 1, 0], [0, 0, 0]) == 0.0
    for metric in (point_f1_score, point_adjusted_f1_score, event_f1_score):
        with pytest.warns(UndefinedMetricWarning, match="F-score is ill-defined") as record:
            assert metric([0, 0, 0], [0, 0, 0]) == 0.0
        assert record[0].filename == __file__, metric.__name__  # points at the caller
    assert point_precision_score([0, 1, 0], [0, 0, 0], zero_division=1.0) == 1.0
    assert np.isnan(point_recall_score([0, 0, 0], [0, 1, 0], zero_division=np.nan))
    # F1 is undefined only with neither true nor predicted anomalies (as in sklearn).
    assert point_f1_score([0, 0, 0], [0, 0, 0], zero_division=1.0) == 1.0
    assert point_f1_score([0, 1, 0], [0, 0, 0], zero_division=1.0) == 0.0


def _slow_point_adjust(y_true, y_pred):
    adjusted = list(y_pred)
    for start, end in _runs(y_true):
        if any(y_pred[start : end + 1]):
            adjusted[start : end + 1] = [1] * (end - start + 1)
    return adjusted


def test_point_adjust_hand_computed():
    y_true = [0, 1, 1, 1, 0, 0, 1, 1, 0, 1]
    y_pred = [0, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    np.testing.assert_array_equal(point_adjust(y_true, y_pred), [0, 1, 1, 1, 0, 1, 0, 0, 0, 1])
    # adjusted: TP = 4 (event 1..3 and 9), FP = 1 (5), FN = 2 (6, 7): F1 = 8 / 11.
    assert point_adjusted_f1_score(y_true, y_pred) == pytest.approx(8 / 11)
    # point-wise: TP = 2 (2, 9), FP = 1 (5), FN = 4 (1, 3, 6, 7): F1 = 4 / 9.
    assert point_f1_score(y_true, y_pred) == pytest.approx(4 / 9)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_point_adjust_matches_slow_loop(data):
    y_true = data.draw(labels_strategy)
    y_pred = data.draw(st.lists(st.integers(0, 1), min_size=len(y_true), max_size=len(y_true)))
    expected = _slow_point_adjust(y_true, y_pred)
    binary = {"pred_convention": "binary"}
    np.testing.assert_array_equal(point_adjust(y_true, y_pred, **binary), expected)
    pa = point_adjusted_f1_score(y_true, y_pred, zero_division=0.0, **binary)
    assert pa == pytest.approx(skm.f1_score(y_true, expected, zero_division=0.0))
    assert pa >= point_f1_score(y_true, y_pred, zero_division=0.0, **binary) - 1e-12


# ---------------------------------------------------------------- event-wise


def test_event_metrics_hand_computed():
    # True events: [1, 2], [6, 8], [11]. Predicted events: [2, 3], [5], [8], [13, 14].
    y_true = [0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0]
    y_pred = [0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1]
    assert event_recall_score(y_true, y_pred) == pytest.approx(2 / 3)
    assert event_precision_score(y_true, y_pred) == pytest.approx(2 / 4)
    assert event_f1_score(y_true, y_pred) == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_event_counts_each_event_once():
    # One long predicted event covering two true events: 1 correct predicted event out of
    # 1, and 2 detected true events out of 2.
    y_true = [1, 1, 0, 1, 0, 0]
    y_pred = [0, 1, 1, 1, 1, 0]
    assert event_precision_score(y_true, y_pred) == 1.0
    assert event_recall_score(y_true, y_pred) == 1.0
    # Events at both array edges.
    assert event_recall_score([1, 0, 0, 1], [-1, 1, 1, 1]) == 0.5
    assert event_precision_score([1, 0, 0, 1], [-1, 1, 1, -1]) == 1.0


def test_event_zero_division():
    with pytest.warns(UndefinedMetricWarning, match="Event precision"):
        assert event_precision_score([0, 1, 0], [0, 0, 0]) == 0.0
    assert event_recall_score([0, 0, 0], [0, 1, 0], zero_division=1.0) == 1.0
    assert event_f1_score([0, 0, 0], [0, 0, 0], zero_division=1.0) == 1.0
    with pytest.warns(UndefinedMetricWarning, match="Event F-score"):
        assert event_f1_score([0, 0, 0], [0, 0, 0]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Only one side has events: F1 is 0, no warning, whatever zero_division.
        assert event_f1_score([0, 1, 0], [0, 0, 0], zero_division=1.0) == 0.0
        assert event_f1_score([0, 0, 0], [0, 1, 0], zero_division=1.0) == 0.0


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_event_metrics_match_slow_loop(data):
    y_true = data.draw(labels_strategy)
    y_pred = data.draw(st.lists(st.integers(0, 1), min_size=len(y_true), max_size=len(y_true)))
    true_events, pred_events = _runs(y_true), _runs(y_pred)
    detected = sum(any(y_pred[s : e + 1]) for s, e in true_events)
    correct = sum(any(y_true[s : e + 1]) for s, e in pred_events)
    nan = float("nan")
    recall = detected / len(true_events) if true_events else nan
    precision = correct / len(pred_events) if pred_events else nan
    binary = {"pred_convention": "binary"}
    got_r = event_recall_score(y_true, y_pred, zero_division=np.nan, **binary)
    got_p = event_precision_score(y_true, y_pred, zero_division=np.nan, **binary)
    assert got_r == pytest.approx(recall, nan_ok=True)
    assert got_p == pytest.approx(precision, nan_ok=True)
    if true_events and pred_events and precision + recall > 0:
        f1 = 2 * precision * recall / (precision + recall)
        assert event_f1_score(y_true, y_pred, **binary) == pytest.approx(f1)


# ---------------------------------------------------------------- ranking


def test_ranking_match_sklearn():
    rng = np.random.default_rng(0)
    y_true = (rng.random(200) < 0.1).astype(int)
    y_score = y_true + rng.normal(size=200)
    assert point_roc_auc_score(y_true, y_score) == skm.roc_auc_score(y_true, y_score)
    assert point_average_precision_score(y_true, y_score) == pytest.approx(
        skm.average_precision_score(y_true, y_score)
    )
    with pytest.raises(ValueError, match="only anomalies"):
        point_roc_auc_score([1, 1], [0.1, 0.2])
    assert point_average_precision_score([1, 1], [0.1, 0.2]) == 1.0


def _brute_best_f1(y_true, y_score, point_adjusted):
    metric = point_adjusted_f1_score if point_adjusted else point_f1_score
    return max(
        metric(y_true, np.asarray(y_score) >= t, zero_division=0.0) for t in np.unique(y_score)
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data(), point_adjusted=st.booleans())
def test_best_f1_matches_brute_force(data, point_adjusted):
    y_true = data.draw(labels_strategy.filter(any))
    y_score = data.draw(
        st.lists(st.integers(0, 6), min_size=len(y_true), max_size=len(y_true))
    )  # small integers: many ties
    best, threshold = best_f1_score(
        y_true, y_score, point_adjusted=point_adjusted, return_threshold=True
    )
    assert best == pytest.approx(_brute_best_f1(y_true, y_score, point_adjusted))
    metric = point_adjusted_f1_score if point_adjusted else point_f1_score
    reached = metric(y_true, np.asarray(y_score) >= threshold)
    assert reached == pytest.approx(best)


def test_best_f1_hand_computed():
    y_true = [0, 0, 1, 1, 0, 0]
    y_score = [0.1, 0.5, 0.9, 0.4, 0.2, 0.3]
    # t = 0.9: F1 2/3; t = 0.5: 1/2; t = 0.4: P 2/3, R 1 -> 0.8.
    assert best_f1_score(y_true, y_score, return_threshold=True) == (0.8, 0.4)
    assert best_f1_score(y_true, y_score, point_adjusted=True, return_threshold=True) == (1.0, 0.9)
    # a string flag must not be read as True ("no" is truthy)
    with pytest.raises(TypeError, match="point_adjusted must be a bool"):
        best_f1_score(y_true, y_score, point_adjusted="no")
    with pytest.raises(TypeError, match="return_threshold must be a bool"):
        best_f1_score(y_true, y_score, return_threshold=1)


# ---------------------------------------------------------------- VUS


def _slow_vus(y_true, y_score, window_max, n_thresholds):
    """Obviously-correct loops over the definition of vus 0.0.6 (RangeAUC_volume_opt)."""
    y = [int(v) for v in y_true]
    score = [float(v) for v in y_score]
    n, n_anomalies, events = len(y), sum(y), _runs(y_true)
    n_thresholds = n if n_thresholds is None else n_thresholds
    descending = sorted(score, reverse=True)
    positions = np.linspace(0, n - 1, n_thresholds).astype(int)
    aps, aucs = [], []
    for window in range(window_max + 1):
        half = window // 2
        soft = [float(v) for v in y]
        for start, end in events:
            for d in range(1, half + 1):
                if end + d < n:
                    soft[end + d] += math.sqrt(1 - d / window)
                if start - d >= 0:
                    soft[start - d] += math.sqrt(1 - d / window)
        soft = [min(v, 1.0) for v in soft]
        segments = []
        for start, end in events:
            if segments and start - half <= segments[-1][1]:
                segments[-1][1] = min(end + half, n - 1)
            else:
                segments.append([max(start - half, 0), min(end + half, n - 1)])
        tprs, fprs, precisions = [0.0], [0.0], []
        for position in positions:
            pred = [s >= descending[position] for s in score]
            tp = sum(soft[t] for t in range(n) if pred[t])
            soft_fp = sum(soft[t] for t in range(n) if pred[t] and not y[t])
            p_new = (n_anomalies + (n_anomalies + soft_fp)) / 2
            found = sum(any(pred[a : b + 1]) for a, b in segments) / len(segments)
            tprs.append(min(tp / p_new, 1.0) * found)
            fprs.append((sum(pred) - tp) / (n - p_new))
            precisions.append(tp / sum(pred))
        aps.append(sum((tprs[k + 1] - tprs[k]) * precisions[k] for k in range(len(precisions))))
        tprs.append(1.0)
        fprs.append(1.0)
        aucs.append(
            sum((fprs[k + 1] - fprs[k]) * (tprs[k + 1] + tprs[k]) / 2 for k in range(len(fprs) - 1))
        )
    return sum(aps) / len(aps), sum(aucs) / len(aucs)


def _vus_case(name):
    if name == "doc":
        y = np.zeros(50, dtype=int)
        y[20:24] = 1
        s = np.zeros(50)
        s[22:27] = 1.0
        return y, s, 8, 250
    if name == "formula":
        n = 400
        y = np.zeros(n, dtype=int)
        y[50:60] = 1
        y[61:63] = 1
        y[200] = 1
        y[390:] = 1
        return y, ((np.arange(n) * 37) % 101) / 100 + 0.8 * y, 20, 250
    n = 120
    y = np.zeros(n, dtype=int)
    y[0:3] = 1
    y[40:52] = 1
    y[55:57] = 1
    return y, ((np.arange(n) * 7) % 5).astype(float) + 2.0 * y, 15, None


# vus 0.0.6 from PyPI: get_metrics(score, labels, metric="vus", slidingWindow=L, thre=T)
# (thre=n for the "ties" case), run on these exact inputs.
REFERENCE_VUS = {
    "doc": (0.5366272106815267, 0.8377144295101819),
    "formula": (0.9158625897787915, 0.990615698340801),
    "ties": (0.5365673474184571, 0.8529830510219677),
}


@pytest.mark.parametrize("name", sorted(REFERENCE_VUS))
def test_vus_matches_reference_package_values(name):
    y, s, window, n_thresholds = _vus_case(name)
    kwargs = {"sliding_window": window, "n_thresholds": n_thresholds}
    expected_pr, expected_roc = REFERENCE_VUS[name]
    assert vus_pr_score(y, s, **kwargs) == pytest.approx(expected_pr, rel=1e-12)
    assert vus_roc_score(y, s, **kwargs) == pytest.approx(expected_roc, rel=1e-12)
    if n_thresholds is None:
        kwargs["n_thresholds"] = y.size
        assert vus_pr_score(y, s, **kwargs) == pytest.approx(expected_pr, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    window=st.integers(0, 12),
    n_thresholds=st.one_of(st.none(), st.integers(1, 30)),
)
def test_vus_matches_slow_definition(data, window, n_thresholds):
    y_true = data.draw(st.lists(st.integers(0, 1), min_size=2, max_size=45).filter(any))
    if all(y_true):
        y_true[0] = 0
    y_score = data.draw(st.lists(st.integers(0, 8), min_size=len(y_true), max_size=len(y_true)))
    expected_pr, expected_roc = _slow_vus(y_true, y_score, window, n_thresholds)
    kwargs = {"sliding_window": window, "n_thresholds": n_thresholds}
    assert vus_pr_score(y_true, y_score, **kwargs) == pytest.approx(expected_pr, abs=1e-12)
    assert vus_roc_score(y_true, y_score, **kwargs) == pytest.approx(expected_roc, abs=1e-12)


def test_vus_without_buffer_on_one_event_is_average_precision_and_roc_auc():
    # One event, buffer 0 or 1 (no widening), every threshold: the range curves reduce to
    # the point-wise ones, so sklearn is an independent oracle.
    rng = np.random.default_rng(1)
    y = np.zeros(300, dtype=int)
    y[100:130] = 1
    s = np.round(y + rng.normal(size=300), 1)  # with ties
    for window in (0, 1):
        kwargs = {"sliding_window": window, "n_thresholds": None}
        ap = skm.average_precision_score(y, s)
        assert vus_pr_score(y, s, **kwargs) == pytest.approx(ap, rel=1e-12)
        assert vus_roc_score(y, s, **kwargs) == pytest.approx(skm.roc_auc_score(y, s))


def test_vus_properties_and_errors():
    y, _, window, _ = _vus_case("formula")
    s = np.random.default_rng(3).normal(size=y.size) + y
    # Ranking metric: invariant to strictly increasing transforms of the scores.
    assert vus_pr_score(y, np.exp(3 * s), sliding_window=window) == pytest.approx(
        vus_pr_score(y, s, sliding_window=window), rel=1e-12
    )
    assert 0.0 <= vus_pr_score(y, -s, sliding_window=window) < 0.5
    with pytest.raises(ValueError, match="sliding_window must be an int >= 0"):
        vus_pr_score(y, s, sliding_window=-1)
    with pytest.raises(TypeError, match="sliding_window"):
        vus_pr_score(y, s, sliding_window=2.5)
    with pytest.raises(ValueError, match="n_thresholds must be an int >= 1"):
        vus_roc_score(y, s, n_thresholds=0)
    with pytest.raises(ValueError, match="VUS-ROC is undefined: y_true holds only anomalies"):
        vus_roc_score([1, 1, 1], [0.1, 0.2, 0.3])


# ---------------------------------------------------------------- scorers


class _FixedDetector(OutlierMixin, BaseEstimator):
    """Outlier detector whose outputs are read from column 0 of X (the anomaly score)."""

    def __init__(self, threshold=0.5, predict_values="sign"):
        self.threshold = threshold
        self.predict_values = predict_values

    def fit(self, X, y=None):
        self.offset_ = -self.threshold
        return self

    def score_samples(self, X):
        return -np.asarray(X, dtype=float)[:, 0]

    def decision_function(self, X):
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        anomalous = self.decision_function(X) < 0
        if self.predict_values == "binary":
            return anomalous.astype(int)
        return np.where(anomalous, -1, 1)


class _NoDecision(_FixedDetector):
    decision_function = property()  # hasattr(...) is False


def _scored_data():
    y = np.zeros(60, dtype=int)
    y[10:14] = 1
    y[40:45] = 1
    score = np.linspace(0, 0.4, 60)
    score[11:13] = 0.9
    score[41] = 0.7
    score[50] = 0.8  # a false alarm
    return score[:, None], y


def test_scorers_match_metrics_on_mapped_outputs():
    X, y = _scored_data()
    detector = _FixedDetector().fit(X)
    pred01 = (X[:, 0] > 0.5).astype(int)
    anomaly_score = X[:, 0] - 0.5  # -decision_function
    expected = {
        "f1": point_f1_score(y, pred01),
        "precision": point_precision_score(y, pred01),
        "recall": point_recall_score(y, pred01),
        "point_adjusted_f1": point_adjusted_f1_score(y, pred01),
        "event_f1": event_f1_score(y, pred01),
        "event_precision": event_precision_score(y, pred01),
        "event_recall": event_recall_score(y, pred01),
        "roc_auc": point_roc_auc_score(y, anomaly_score),
        "average_precision": point_average_precision_score(y, anomaly_score),
        "pr_auc": point_average_precision_score(y, anomaly_score),
        "vus_pr": vus_pr_score(y, anomaly_score),
        "vus_roc": vus_roc_score(y, anomaly_score),
        "best_f1": best_f1_score(y, anomaly_score),
    }
    assert sorted(expected) == get_anomaly_scorer_names()
    # Hand counts: predicted {11, 12, 41, 50}; events [10, 13], [40, 44].
    assert expected["precision"] == 0.75 and expected["recall"] == pytest.approx(3 / 9)
    assert expected["event_precision"] == pytest.approx(2 / 3)
    assert expected["event_recall"] == 1.0
    for name, value in expected.items():
        assert make_anomaly_scorer(name)(detector, X, y) == pytest.approx(value), name
    together = make_anomaly_scorer(get_anomaly_scorer_names())(detector, X, y)
    assert together == pytest.approx(expected)
    separate = {k: s(detector, X, y) for k, s in make_anomaly_scorers().items()}
    assert separate == pytest.approx(expected)
    # score_samples fallback: same ranking, same value.
    assert make_anomaly_scorer("roc_auc")(_NoDecision().fit(X), X, y) == expected["roc_auc"]
    # The sign is handled: ranking by decision_function itself would give 1 - AUC.
    assert expected["roc_auc"] > 0.5
    assert expected["roc_auc"] == pytest.approx(
        1.0 - skm.roc_auc_score(y, detector.decision_function(X))
    )


def test_scorer_kwargs_and_conventions():
    X, y = _scored_data()
    binary = _FixedDetector(predict_values="binary").fit(X)
    with pytest.raises(ValueError, match=r"_FixedDetector.predict\(X\) contains 0"):
        make_anomaly_scorer("f1")(binary, X, y)
    sign_value = make_anomaly_scorer("f1")(_FixedDetector().fit(X), X, y)
    assert make_anomaly_scorer("f1", pred_convention="binary")(binary, X, y) == sign_value
    # Nothing predicted: zero_division reaches the metric.
    silent = _FixedDetector(threshold=5.0).fit(X)
    assert make_anomaly_scorer("precision", zero_division=1.0)(silent, X, y) == 1.0
    pa_best = make_anomaly_scorer("best_f1", point_adjusted=True)(silent, X, y)
    assert pa_best == best_f1_score(y, X[:, 0], point_adjusted=True)
    vus = make_anomaly_scorer(["vus_pr", "f1"], sliding_window=4, zero_division=0.0)
    assert vus(silent, X, y) == pytest.approx(
        {"vus_pr": vus_pr_score(y, X[:, 0], sliding_window=4), "f1": 0.0}
    )


def test_scorer_errors():
    X, y = _scored_data()
    with pytest.raises(ValueError, match="not a valid anomaly scorer name.*'event_f1'"):
        make_anomaly_scorer("F1")
    with pytest.raises(ValueError, match="valid names"):
        make_anomaly_scorer(["f1", "nope"])
    with pytest.raises(ValueError, match="more than once"):
        make_anomaly_scorer(["f1", "f1"])
    with pytest.raises(ValueError, match="non-empty list"):
        make_anomaly_scorer([])
    with pytest.raises(TypeError, match="unexpected keyword.*sliding_window"):
        make_anomaly_scorer("f1", sliding_window=3)
    with pytest.raises(ValueError, match="pred_convention must be one of"):
        make_anomaly_scorer("f1", pred_convention="pm1")
    with pytest.raises(ValueError, match="need the true labels y"):
        make_anomaly_scorer("f1")(_FixedDetector().fit(X), X, None)
    with pytest.raises(TypeError, match="classifier LogisticRegression"):
        make_anomaly_scorer("roc_auc")(LogisticRegression().fit(X, y), X, y)

    class PredictOnly(BaseEstimator):
        def predict(self, X):
            return np.ones(len(X), dtype=int)

    with pytest.raises(TypeError, match="neither decision_function nor score_samples"):
        make_anomaly_scorer("roc_auc")(PredictOnly(), X, y)


def test_scorer_pickle_and_repr():
    scorer = make_anomaly_scorer(["f1", "vus_pr"], sliding_window=8)
    assert repr(scorer) == "make_anomaly_scorer(['f1', 'vus_pr'], sliding_window=8)"
    X, y = _scored_data()
    detector = _FixedDetector().fit(X)
    assert pickle.loads(pickle.dumps(scorer))(detector, X, y) == scorer(detector, X, y)


def _iforest_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 2))
    y = np.zeros(240, dtype=int)
    for start in (30, 95, 150, 210):
        y[start : start + 3] = 1
    X[y == 1] += 5.0
    return X, y


def test_grid_search_dict_scoring_and_refit():
    X, y = _iforest_data()
    search = GridSearchCV(
        IsolationForest(n_estimators=10, random_state=0),
        {"contamination": [0.02, 0.3]},
        scoring=make_anomaly_scorers(["f1", "roc_auc", "event_f1"]),
        refit="f1",
        cv=TimeSeriesSplit(n_splits=3),
    ).fit(X, y)
    # contamination 0.3 floods each fold with false alarms: point F1 must prefer 0.02.
    assert search.best_params_ == {"contamination": 0.02}
    f1s = search.cv_results_["mean_test_f1"]
    assert f1s[0] > f1s[1]
    assert np.all(search.cv_results_["mean_test_roc_auc"] > 0.9)
    assert search.score(X, y) == make_anomaly_scorer("f1")(search.best_estimator_, X, y)


def test_grid_search_single_and_multimetric_callable():
    X, y = _iforest_data()
    grid = {"contamination": [0.02, 0.3]}
    base = IsolationForest(n_estimators=10, random_state=0)
    single = GridSearchCV(base, grid, scoring=make_anomaly_scorer("f1"), cv=KFold(3)).fit(X, y)
    assert single.best_params_ == {"contamination": 0.02}
    multi = GridSearchCV(
        base, grid, scoring=make_anomaly_scorer(["f1", "vus_pr"]), refit="f1", cv=KFold(3)
    ).fit(X, y)
    assert multi.best_params_ == single.best_params_
    np.testing.assert_allclose(
        multi.cv_results_["mean_test_f1"], single.cv_results_["mean_test_score"]
    )


def test_cross_validate_with_scorers():
    X, y = _iforest_data()
    detector = IsolationForest(n_estimators=10, contamination=0.05, random_state=0)
    result = cross_validate(
        detector,
        X,
        y,
        cv=TimeSeriesSplit(n_splits=3),
        scoring=make_anomaly_scorer(["f1", "pr_auc"]),
    )
    assert set(result) >= {"test_f1", "test_pr_auc"}
    # Oracle: refit each fold by hand and score with the metric functions.
    for fold, (train, test) in enumerate(TimeSeriesSplit(n_splits=3).split(X)):
        fitted = IsolationForest(n_estimators=10, contamination=0.05, random_state=0)
        fitted.fit(X[train], y[train])
        pred = fitted.predict(X[test])
        assert result["test_f1"][fold] == pytest.approx(
            point_f1_score(y[test], pred, pred_convention="sign")
        )
        expected = point_average_precision_score(y[test], -fitted.score_samples(X[test]))
        assert result["test_pr_auc"][fold] == pytest.approx(expected)


# ---------------------------------------------------------------- real labels


def _series(shared_data_dir, filename, index):
    import pandas as pd

    frame = pd.read_csv(shared_data_dir / filename)
    series = frame[frame.series_id == frame.series_id.unique()[index]]
    values = series.value.to_numpy(float)
    # A simple anomaly score: distance to a rolling median.
    median = pd.Series(values).rolling(24, min_periods=1).median().to_numpy()
    return series.label.to_numpy().astype(int), np.abs(values - median)


@pytest.mark.shared_data
def test_real_labels_against_sklearn(shared_data_dir):
    y, score = _series(shared_data_dir, "kpi_aiops.csv", 0)
    precision, recall, _ = skm.precision_recall_curve(y, score)
    with np.errstate(invalid="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    assert best_f1_score(y, score) == pytest.approx(f1.max())
    # skab valve1/2: a single labelled event; without buffer VUS reduces to AP / ROC AUC.
    y, score = _series(shared_data_dir, "skab_current.csv", 3)
    assert len(_runs(y)) == 1
    kwargs = {"sliding_window": 1, "n_thresholds": None}
    assert vus_pr_score(y, score, **kwargs) == pytest.approx(skm.average_precision_score(y, score))
    assert vus_roc_score(y, score, **kwargs) == pytest.approx(skm.roc_auc_score(y, score))


# ------------------------------------------------------ folds without anomalies (#14)


class _CountingDetector(_FixedDetector):
    """A _FixedDetector counting its predict and decision_function calls."""

    calls = 0

    def predict(self, X):
        type(self).calls += 1
        return super().predict(X)

    def decision_function(self, X):
        type(self).calls += 1
        return super().decision_function(X)


ALL_NAMES = ["f1", "event_f1", "roc_auc", "vus_roc", "average_precision", "precision"]


def test_rows_without_anomalies_give_nan_for_every_metric_with_one_warning():
    X, _ = _scored_data()
    y = np.zeros(len(X), dtype=int)
    detector = _CountingDetector().fit(X)
    _CountingDetector.calls = 0
    for scorer, expected in [
        (make_anomaly_scorer("f1"), None),
        (make_anomaly_scorer(ALL_NAMES), ALL_NAMES),
    ]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = scorer(detector, X, y)
        assert len(caught) == 1 and caught[0].category is UndefinedMetricWarning
        assert "y holds no anomaly" in str(caught[0].message)
        if expected is None:
            assert math.isnan(result)
        else:
            assert list(result) == expected and all(math.isnan(v) for v in result.values())
    assert _CountingDetector.calls == 0  # nothing to measure: the detector is not called


def test_rows_of_anomalies_only_give_nan_for_roc_metrics_only():
    X, _ = _scored_data()
    y = np.ones(len(X), dtype=int)
    detector = _FixedDetector().fit(X)
    with pytest.warns(UndefinedMetricWarning, match="roc_auc, vus_roc undefined .* no normal"):
        result = make_anomaly_scorer(ALL_NAMES)(detector, X, y)
    assert math.isnan(result["roc_auc"]) and math.isnan(result["vus_roc"])
    pred = detector.predict(X) == -1
    assert result["precision"] == 1.0
    assert result["f1"] == pytest.approx(point_f1_score(y, pred, pred_convention="binary"))
    assert result["average_precision"] == 1.0


def _rare_anomaly_data():
    X, y = _iforest_data()
    y = y.copy()
    y[:150] = 0  # anomalies only at rows 150-152 and 210-212
    return X, y


@pytest.mark.parametrize("kind", ["single", "multi", "dict"])
def test_cross_validate_keeps_folds_without_anomalies(kind):
    # #14: make_anomaly_scorer([...]) crashed with "'float' object is not subscriptable"
    X, y = _rare_anomaly_data()
    names = ["f1", "event_f1", "roc_auc"]
    scoring = {
        "single": make_anomaly_scorer("roc_auc"),
        "multi": make_anomaly_scorer(names),
        "dict": make_anomaly_scorers(names),
    }[kind]
    detector = IsolationForest(n_estimators=10, contamination=0.05, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        result = cross_validate(detector, X, y, cv=TimeSeriesSplit(n_splits=4), scoring=scoring)
    folds = list(TimeSeriesSplit(n_splits=4).split(X))
    has_anomaly = np.array([y[test].any() for _, test in folds])
    assert has_anomaly.tolist() == [False, False, True, True]
    keys = ["test_score"] if kind == "single" else [f"test_{name}" for name in names]
    for key in keys:
        assert np.all(np.isnan(result[key][~has_anomaly])), key
        assert np.all(np.isfinite(result[key][has_anomaly])), key
    # the defined folds hold the metric's value
    fitted = clone(detector).fit(X[folds[3][0]], y[folds[3][0]])
    test = folds[3][1]
    expected = point_roc_auc_score(y[test], -fitted.decision_function(X[test]))
    key = "test_score" if kind == "single" else "test_roc_auc"
    assert result[key][3] == pytest.approx(expected)


def test_grid_search_ranks_with_folds_without_anomalies():
    X, y = _rare_anomaly_data()
    search = GridSearchCV(
        IsolationForest(n_estimators=10, random_state=0),
        {"contamination": [0.02, 0.3]},
        scoring=make_anomaly_scorer(["f1", "roc_auc"]),
        refit="f1",
        cv=TimeSeriesSplit(n_splits=4),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined folds, and sklearn's non-finite means
        search.fit(X, y)
    f1_folds = np.array([search.cv_results_[f"split{i}_test_f1"] for i in range(4)])
    assert np.all(np.isnan(f1_folds[:2])) and np.all(np.isfinite(f1_folds[2:]))
    # the NaN folds make the plain means NaN; nanmean of the folds ranks the candidates
    assert np.all(np.isnan(search.cv_results_["mean_test_f1"]))
    assert np.nanmean(f1_folds[:, 0]) > np.nanmean(f1_folds[:, 1])


@pytest.mark.parametrize(
    ("names", "kwargs", "error", "match"),
    [
        ("vus_pr", dict(sliding_window=-3), ValueError, "sliding_window must be an int >= 0"),
        ("vus_roc", dict(n_thresholds=0), ValueError, "n_thresholds must be an int >= 1"),
        ("vus_pr", dict(sliding_window=2.5), TypeError, "sliding_window must be an int"),
        (["f1", "vus_pr"], dict(zero_division=2), ValueError, "zero_division must be"),
        ("best_f1", dict(point_adjusted="yes"), TypeError, "point_adjusted must be a bool"),
        ("best_f1", dict(return_threshold=False), TypeError, "does not accept return_thresh"),
    ],
)
def test_scorer_keyword_values_are_checked_when_built(names, kwargs, error, match):
    # #13: make_anomaly_scorer("vus_pr", sliding_window=-3) failed only when called
    with pytest.raises(error, match=match):
        make_anomaly_scorer(names, **kwargs)
