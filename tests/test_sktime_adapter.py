"""Tests of ecoai_sklearn.sktime.EcoaiDetector (run where the ``sktime`` extra installs)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.preprocessing import SeriesKNNImputer
from ecoai_sklearn.windowing import FFTWindower

pytest.importorskip("sktime")
from ecoai_sklearn.sktime import EcoaiDetector


class _RecordingDetector(OutlierMixin, BaseEstimator):
    """Flags rows above ``limit``; remembers the labels ``fit`` received."""

    def __init__(self, limit=5.0):
        self.limit = limit

    def fit(self, X, y=None):
        self.y_seen_ = None if y is None else np.asarray(y).copy()
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        return self.limit - np.asarray(X).max(axis=1)

    def predict(self, X):
        return np.where(self.decision_function(X) < 0, -1, 1)


def _last_row_error(windows):
    return np.abs(windows[:, -1, :] - np.median(windows, axis=1)).mean(axis=1, keepdims=True)


def test_sktime_estimator_checks_pass():
    from sktime.utils.estimator_checks import check_estimator

    results = check_estimator(EcoaiDetector, raise_exceptions=False)
    failed = {name: result for name, result in results.items() if result != "PASSED"}
    assert len(results) > 50
    assert failed == {}


def test_outputs_match_the_wrapped_estimator():
    rng = np.random.default_rng(0)
    index = pd.date_range("2024-01-01", periods=300, freq="15min")
    X = pd.DataFrame(rng.normal(size=(300, 2)), index=index, columns=["a", "b"])
    X.iloc[[40, 41, 200]] += 8.0
    forest = IsolationForest(contamination=0.01, random_state=0)
    reference = IsolationForest(contamination=0.01, random_state=0).fit(X)

    detector = EcoaiDetector(forest).fit(X)
    expected = np.flatnonzero(reference.predict(X) == -1)
    np.testing.assert_array_equal(detector.predict(X)["ilocs"].to_numpy(), expected)
    assert set(expected) >= {40, 41, 200}

    dense = detector.transform(X)
    assert list(dense.columns) == ["labels"]
    np.testing.assert_array_equal(np.flatnonzero(dense["labels"].to_numpy()), expected)

    scores = detector.transform_scores(X)
    assert scores.index.equals(X.index)
    np.testing.assert_allclose(scores["scores"], -reference.decision_function(X))
    # positive exactly where sklearn predicts an anomaly
    np.testing.assert_array_equal(np.flatnonzero(scores["scores"].to_numpy() > 0), expected)
    np.testing.assert_allclose(
        detector.predict_scores(X).to_numpy().ravel(), -reference.decision_function(X)[expected]
    )
    assert not hasattr(forest, "estimators_")  # the given estimator is left unfitted


def test_univariate_series_and_array_input():
    values = np.r_[np.zeros(30), 9.0, np.zeros(9)]
    detector = EcoaiDetector(_RecordingDetector()).fit(pd.Series(values))
    assert detector.predict(pd.Series(values))["ilocs"].tolist() == [30]
    assert detector.predict_points(pd.Series(values))["ilocs"].tolist() == [30]
    assert detector.fit_transform(values)["labels"].tolist() == [0] * 30 + [1] + [0] * 9


@pytest.mark.parametrize(
    "y, expected",
    [
        (pd.DataFrame({"ilocs": [2, 5]}), [0, 0, 1, 0, 0, 1, 0, 0]),
        (
            pd.DataFrame({"ilocs": pd.IntervalIndex.from_tuples([(1, 3)], closed="left")}),
            [0, 1, 1, 0, 0, 0, 0, 0],
        ),
        (pd.Series([6], name="ilocs"), [0, 0, 0, 0, 0, 0, 1, 0]),
        (pd.Series([0, 0, 0, 1, 1, 0, 0, 0]), [0, 0, 0, 1, 1, 0, 0, 0]),
        (pd.DataFrame({"ilocs": []}, dtype="int64"), [0] * 8),
    ],
)
def test_known_events_become_one_label_per_row(y, expected):
    X = pd.DataFrame({"v": np.arange(8.0)})
    detector = EcoaiDetector(_RecordingDetector()).fit(X, y)
    np.testing.assert_array_equal(detector.estimator_.y_seen_, expected)


@pytest.mark.parametrize(
    "y, match",
    [
        (pd.DataFrame({"ilocs": [3, 8]}), "outside X"),
        (pd.Series([0, 1, 0]), "one 0/1 label per row of X"),
        (pd.DataFrame({"x": [0] * 8, "z": [1] * 8}), "with columns"),
    ],
)
def test_bad_events(y, match):
    with pytest.raises(ValueError, match=match):
        EcoaiDetector(_RecordingDetector()).fit(pd.DataFrame({"v": np.arange(8.0)}), y)


def test_inside_an_sktime_pipeline():
    from sktime.detection.compose import DetectorPipeline
    from sktime.transformations.series.adapt import TabularToSeriesAdaptor

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"v": rng.normal(size=200) * 10 + 100})
    X.iloc[120] = 200.0
    pipeline = TabularToSeriesAdaptor(MinMaxScaler()) * EcoaiDetector(
        IsolationForest(contamination=0.01, random_state=0)
    )
    assert isinstance(pipeline, DetectorPipeline)
    found = pipeline.fit(X).predict(X)["ilocs"].to_numpy()
    reference = make_pipeline(MinMaxScaler(), IsolationForest(contamination=0.01, random_state=0))
    np.testing.assert_array_equal(found, np.flatnonzero(reference.fit(X).predict(X) == -1))
    assert 120 in found


def test_multiscale_pipeline_on_industrial_load_with_gaps():
    X, y, _ = make_industrial_load(n_days=10, n_anomalies=3, random_state=0, as_frame=True)
    X.iloc[50:53, 1] = np.nan
    branches = [
        make_pipeline(FFTWindower(period_rank=k, n_periods=2), FunctionTransformer(_last_row_error))
        for k in range(2)
    ]
    estimator = make_pipeline(
        SeriesKNNImputer(period=96),
        MinMaxScaler(),
        make_union(*branches),
        IsolationForest(contamination=0.05, random_state=0),
    )
    detector = EcoaiDetector(estimator)
    assert detector.get_tag("capability:missing_values") is True
    assert EcoaiDetector(_RecordingDetector()).get_tag("capability:missing_values") is False
    dense = detector.fit_transform(X)
    assert dense.index.equals(X.index)  # sktime 1.2's own fit_transform fails here (#9998)
    labels = dense["labels"].to_numpy()
    np.testing.assert_array_equal(labels, detector.transform(X)["labels"].to_numpy())
    assert 0 < labels.mean() <= 0.06
    scores = detector.transform_scores(X)["scores"].to_numpy()
    np.testing.assert_array_equal(scores > 0, labels == 1)
