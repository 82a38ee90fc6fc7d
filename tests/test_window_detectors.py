"""Tests for the window detectors' factories and the default detector."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import make_anomaly_scorer, point_average_precision_score
from ecoai_sklearn.pipelines import (
    EnsembleDetector,
    InjectedAnomalySelection,
    make_default_detector,
    make_ensemble_detector,
    make_knn_detector,
    make_pca_detector,
)
from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer

SPIKES_AND_EVENTS = ("spike", "surge", "sag", "outage")


def _noise(n, seed=0, c=1):
    """White noise: no period at all (a random walk's slow wander reads as a long one)."""
    return np.random.default_rng(seed).standard_normal((n, c))


def _periodic(n, period, seed=0):
    t = np.arange(n)[:, np.newaxis]
    noise = 0.1 * np.random.default_rng(seed).standard_normal((n, 1))
    return np.sin(2 * np.pi * t / period) + noise


def _fit_predict(detector, X):
    """Fit on the first half, answer every row; no warning may escape but the fallback's."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="window_size='auto' found no period")
        warnings.filterwarnings("ignore", message="members dropped")
        # scikit-learn's PCA divides by a total variance of 0 on a constant series
        warnings.filterwarnings("ignore", message="invalid value encountered in divide")
        detector.fit(X[: len(X) // 2])
        return detector.predict(X), detector.score_samples(X)


@pytest.mark.parametrize(
    "X",
    [
        pytest.param(_noise(3000), id="no period"),
        pytest.param(_periodic(12000, 2000), id="very long period"),
        pytest.param(np.full((1000, 2), 7.5), id="constant"),
        pytest.param(_noise(120, c=2), id="short"),
        pytest.param(_periodic(17000, 288, seed=1), id="17000 rows of 5-minute data"),
    ],
)
def test_the_default_detector_answers_every_row_of_awkward_series(X):
    labels, scores = _fit_predict(make_default_detector(), X)
    assert labels.shape == scores.shape == (len(X),)
    assert set(np.unique(labels)) <= {-1, 1}
    assert np.isfinite(scores).all()


def test_long_periods_are_capped_and_missing_periods_fall_back():
    detector = make_default_detector()
    _fit_predict(detector, _periodic(12000, 2000))
    ensemble = detector.named_steps["ensemble"]
    assert ensemble.named_estimators_["knn_auto"][0].window_size_ == 256
    assert ensemble.named_estimators_["knn_auto"][0].window_rule_ == "capped"
    with pytest.warns(UserWarning, match="found no period"):
        detector.fit(_noise(3000))
    windower = detector.named_steps["ensemble"].named_estimators_["knn_auto"][0]
    assert windower.window_size_ == 64 and windower.window_rule_ == "fallback"


def test_a_short_series_drops_the_members_whose_window_does_not_fit():
    detector = make_default_detector()
    with pytest.warns(UserWarning, match="members dropped.*knn_64"):
        detector.fit(_noise(100, c=2))
    assert list(detector.named_steps["ensemble"].named_estimators_) == ["knn_auto"]


def test_the_default_detector_is_the_documented_ensemble():
    detector = make_default_detector()
    assert [name for name, _ in detector.steps] == ["imputer", "scaler", "ensemble"]
    ensemble = detector.named_steps["ensemble"]
    assert isinstance(ensemble, EnsembleDetector)
    assert [name for name, _ in ensemble.estimators] == ["knn_auto", "knn_64"]
    assert ensemble.combination == "max" and ensemble.normalization == "zscore"
    assert ensemble.contamination == "auto"
    windows = [member[0].window_size for _, member in ensemble.estimators]
    assert windows == ["auto", 64]
    assert all(isinstance(member[-1], KNNWindowScorer) for _, member in ensemble.estimators)
    pca = make_ensemble_detector(["pca"], [64]).named_steps["ensemble"].estimators[0][1][-1]
    assert isinstance(pca, DTWReconstructionScorer)
    assert pca.metric == "mse" and pca.aggregation == "covering"


def test_the_auto_cut_flags_new_spikes_and_few_normal_rows():
    X = _periodic(6000, 96)
    rng = np.random.default_rng(0)
    X[rng.choice(4000, 12, replace=False)] += 4.0  # a few spikes among the training rows
    spikes = np.array([4300, 4700, 5100, 5500, 5900])
    X[spikes] += 4.0
    labels = make_default_detector().fit(X[:4000]).predict(X)
    # a row's score is the mean over the windows covering it: a spike raises the rows
    # within one window (96 rows) of it; the rows farther away are judged normal
    distance = np.abs(np.arange(4000, 6000)[:, np.newaxis] - spikes).min(axis=1)
    normal = np.arange(4000, 6000)[distance > 96]
    assert np.sum(labels[spikes] == -1) >= 4
    assert np.mean(labels[normal] == -1) < 0.01


def test_the_default_detector_beats_a_window_isolation_forest_on_later_weeks():
    X, y, _ = make_industrial_load(
        n_days=84, anomaly_kinds=SPIKES_AND_EVENTS, n_anomalies=24, random_state=0
    )
    cut = 56 * 96  # eight weeks to train, the four weeks after them to judge
    detector = make_default_detector().fit(X[:cut])
    ours = point_average_precision_score(y[cut:], -detector.score_samples(X[cut:]))
    # an independent baseline: IsolationForest on the lagged daily windows, scores at the end
    mean, std = X[:cut].mean(axis=0), X[:cut].std(axis=0)
    Z = (X - mean) / std
    windows = np.lib.stride_tricks.sliding_window_view(Z, 96, axis=0).reshape(len(Z) - 95, -1)
    forest = IsolationForest(random_state=0).fit(windows[: cut - 95])
    baseline = point_average_precision_score(y[cut:], -forest.score_samples(windows)[cut - 95 :])
    assert ours > 0.4 and ours > baseline + 0.1, (ours, baseline)


def test_identical_results_for_a_given_series_and_in_parallel_threads():
    X = _periodic(3000, 96)
    a = make_default_detector().fit(X[:2000]).score_samples(X)
    b = make_default_detector(n_jobs=2).fit(X[:2000]).score_samples(X)
    assert_array_equal(a, b)


def test_knn_and_pca_detectors_are_pipelines_with_a_quantile_cut():
    X = _periodic(3000, 96)
    for factory, scorer in ((make_knn_detector, KNNWindowScorer), (make_pca_detector, None)):
        detector = factory(contamination=0.05).fit(X)
        assert [n for n, _ in detector.steps] == [
            "imputer",
            "scaler",
            "windower",
            "scorer",
            "detector",
        ]
        if scorer is not None:
            assert isinstance(detector.named_steps["scorer"], scorer)
        assert abs(np.mean(detector.predict(X) == -1) - 0.05) < 0.02
    assert make_pca_detector(n_components=3).get_params()["scorer__estimator__n_components"] == 3
    assert make_knn_detector(n_neighbors=7).get_params()["scorer__n_neighbors"] == 7


def test_ensemble_factory_builds_one_member_per_family_and_window():
    detector = make_ensemble_detector(["knn", "pca", "cnngru"], ["auto", 16])
    names = [name for name, _ in detector.named_steps["ensemble"].estimators]
    assert names == ["knn_auto", "knn_16", "pca_auto", "pca_16", "cnngru_auto", "cnngru_16"]
    autoencoder = detector.named_steps["ensemble"].estimators[4][1][-1].estimator
    assert type(autoencoder).__name__ == "CNNGRUAE" and autoencoder.max_epochs == 20
    selection = InjectedAnomalySelection(random_state=0)
    detector = make_ensemble_detector(["knn"], [24], selection=selection)
    assert detector.named_steps["ensemble"].selection is selection


def test_an_autoencoder_member_trains_in_the_ensemble():
    X = _periodic(1200, 24)
    detector = make_ensemble_detector(["knn", "lstmae"], [24], random_state=0)
    detector.set_params(
        ensemble__lstmae_24__scorer__estimator__max_epochs=1,
        ensemble__lstmae_24__scorer__estimator__module__hidden_sizes=(4, 2),
    )
    scores = detector.fit(X[:800]).score_samples(X)
    assert scores.shape == (1200,) and np.isfinite(scores).all()
    assert detector.named_steps["ensemble"].named_estimators_["lstmae_24"][-1].estimator_.history_


@pytest.mark.parametrize(
    "factory, kwargs, match",
    [
        (make_ensemble_detector, {"members": ["forest"]}, "members must be some of"),
        (make_ensemble_detector, {"members": []}, "members must be some of"),
        (make_ensemble_detector, {"window_sizes": [1]}, "window_sizes must be"),
        (make_ensemble_detector, {"window_sizes": ["auto", "auto"]}, "repeat a member"),
        (make_ensemble_detector, {"combination": "sum"}, "'combination'"),
        (make_default_detector, {"contamination": 0.0}, "'contamination'"),
        (make_knn_detector, {"n_neighbors": 0}, "'n_neighbors'"),
        (make_pca_detector, {"window_size": 1}, "'window_size'"),
        (make_pca_detector, {"n_components": 1.5}, "'n_components'"),
    ],
)
def test_factories_refuse_bad_parameters(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)


def test_grid_search_tunes_the_default_detector_on_time_ordered_folds():
    X, y, _ = make_industrial_load(
        n_days=28, anomaly_kinds=SPIKES_AND_EVENTS, n_anomalies=8, random_state=1
    )
    search = GridSearchCV(
        make_default_detector(),
        {"ensemble__combination": ["max", "mean"]},
        scoring=make_anomaly_scorer("average_precision"),
        cv=TimeSeriesSplit(n_splits=2),
    ).fit(X, y)
    assert search.best_params_["ensemble__combination"] in ("max", "mean")
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert_allclose(
        search.best_estimator_.score_samples(X[:500]),
        clone(search.best_estimator_).fit(X, y).score_samples(X[:500]),
    )
