"""Tests for EnsembleDetector and InjectedAnomalySelection."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ecoai_sklearn.pipelines import EnsembleDetector, InjectedAnomalySelection
from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer
from ecoai_sklearn.windowing import FFTWindower


def _series(n=24 * 40, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, np.newaxis]
    return np.sin(2 * np.pi * t / 24) + 0.05 * rng.standard_normal((n, 1))


def _knn(w=24):
    return make_pipeline(FFTWindower(window_size=w), KNNWindowScorer())


def _pca(w=24):
    return make_pipeline(
        FFTWindower(window_size=w),
        DTWReconstructionScorer(PCA(2), metric="mse", aggregation="covering"),
    )


class Noise(BaseEstimator):
    """A useless member: random scores."""

    def __init__(self, seed=0):
        self.seed = seed

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def score_samples(self, X):
        return np.random.default_rng(self.seed).standard_normal(len(X))


class Fails(BaseEstimator):
    def fit(self, X, y=None):
        raise ValueError("this member cannot fit")

    def score_samples(self, X):  # pragma: no cover - never fitted
        return np.zeros(len(X))


def test_members_are_normalised_on_the_training_rows_and_combined():
    X = _series()
    train = X[:720]
    for normalization, combination in [("zscore", "max"), ("robust", "mean")]:
        ensemble = EnsembleDetector(
            [("knn", _knn()), ("pca", _pca())],
            normalization=normalization,
            combination=combination,
            weights=[1.0, 3.0],
        ).fit(train)
        # oracle: the members fitted alone, normalised by hand
        raw_train = np.column_stack(
            [-clone(m).fit(train).score_samples(train) for m in (_knn(), _pca())]
        )
        raw = np.column_stack([-clone(m).fit(train).score_samples(X) for m in (_knn(), _pca())])
        if normalization == "zscore":
            center, scale = raw_train.mean(axis=0), raw_train.std(axis=0)
        else:
            center = np.median(raw_train, axis=0)
            scale = 1.4826 * np.median(np.abs(raw_train - center), axis=0)
        z = (raw - center) / scale
        assert_allclose(ensemble.member_scores(X), z, rtol=1e-9)
        combined = z.max(axis=1) if combination == "max" else z @ [0.25, 0.75]
        assert_allclose(ensemble.score_samples(X), -combined, rtol=1e-9)


def test_offset_flags_the_contamination_share_of_the_training_rows():
    X = _series()
    for contamination in (0.01, 0.05, 0.2):
        ensemble = EnsembleDetector([("knn", _knn())], contamination=contamination).fit(X)
        flagged = np.mean(ensemble.predict(X) == -1)
        assert abs(flagged - contamination) < 0.01
        assert_allclose(ensemble.decision_function(X), ensemble.score_samples(X) - ensemble.offset_)


def test_zero_weight_members_are_left_out_of_the_maximum():
    X = _series()
    ensemble = EnsembleDetector([("knn", _knn()), ("noise", Noise())], weights=[1, 0]).fit(X)
    alone = EnsembleDetector([("knn", _knn())]).fit(X)
    assert_allclose(ensemble.score_samples(X), alone.score_samples(X))
    assert_array_equal(ensemble.weights_, [1.0, 0.0])


def test_a_surge_is_found_by_the_ensemble():
    X = _series()
    X[900:903] += 2.0
    ensemble = EnsembleDetector([("knn", _knn()), ("pca", _pca())]).fit(X[:720])
    scores = ensemble.decision_function(X)
    assert 885 <= int(np.argmin(scores)) <= 915
    assert scores[890:905].max() < 0 < np.median(scores[720:880])


def test_failing_members_are_dropped_with_a_warning_or_raised():
    X = _series()
    with pytest.warns(UserWarning, match="members dropped.*bad.*cannot fit"):
        ensemble = EnsembleDetector([("knn", _knn()), ("bad", Fails())]).fit(X)
    assert list(ensemble.named_estimators_) == ["knn"] and "bad" in ensemble.failures_
    with pytest.raises(ValueError, match="cannot fit"):
        EnsembleDetector([("knn", _knn()), ("bad", Fails())], on_error="raise").fit(X)
    with pytest.raises(ValueError, match="every member failed"):
        EnsembleDetector([("bad", Fails())]).fit(X)


def test_params_reach_the_members_and_clone_is_unfitted():
    ensemble = EnsembleDetector([("knn", _knn()), ("pca", _pca())])
    params = ensemble.get_params()
    assert params["knn__knnwindowscorer__n_neighbors"] == 5
    ensemble.set_params(knn__knnwindowscorer__n_neighbors=3, combination="mean")
    assert ensemble.estimators[0][1][-1].n_neighbors == 3 and ensemble.combination == "mean"
    ensemble.set_params(pca=IsolationForest(random_state=0))
    assert isinstance(ensemble.estimators[1][1], IsolationForest)
    copy = clone(ensemble)
    assert not hasattr(copy, "estimators_") and copy.get_params()["combination"] == "mean"


@pytest.mark.parametrize(
    "estimators, params, error, match",
    [
        ([], {}, ValueError, "non-empty list"),
        ([("a", StandardScaler())], {}, TypeError, "must have fit and score_samples"),
        ([("a", Noise()), ("a", Noise())], {}, ValueError, "unique"),
        ([("a__b", Noise())], {}, ValueError, "must not contain '__'"),
        ([Noise()], {}, TypeError, r"\(name, estimator\) pairs"),
        ([("a", Noise())], {"weights": [1, 2]}, ValueError, "1 non-negative numbers"),
        ([("a", Noise())], {"weights": [0]}, ValueError, "at least one estimator"),
        ([("a", Noise())], {"contamination": 0.7}, ValueError, "'contamination'"),
        ([("a", Noise())], {"combination": "sum"}, ValueError, "'combination'"),
    ],
)
def test_bad_ensembles_are_refused(estimators, params, error, match):
    with pytest.raises(error, match=match):
        EnsembleDetector(estimators, **params).fit(_series(200))


def test_channels_are_checked_after_fit():
    X = np.hstack([_series(), _series(seed=1)])
    ensemble = EnsembleDetector([("knn", _knn())]).fit(X)
    assert ensemble.n_features_in_ == 2
    with pytest.raises(ValueError, match="2 features"):
        ensemble.score_samples(X[:, :1])


# ------------------------------------------------------------------ selection
def test_selection_keeps_the_member_that_finds_injected_anomalies():
    X = _series(24 * 80)
    selection = InjectedAnomalySelection(tolerance=0.9, random_state=0)
    members = [("knn", _knn()), ("noise", Noise()), ("noise2", Noise(seed=1))]
    result = selection.score_members(members, X)
    assert result["source"] == "injected"
    scores = result["scores"]
    assert scores[0] > 0.5 and scores[1] < 0.3 and scores[2] < 0.3
    assert_array_equal(selection.weights(scores), [1.0, 0.0, 0.0])
    ensemble = EnsembleDetector(members, selection=selection).fit(X)
    assert_array_equal(ensemble.weights_, [1.0, 0.0, 0.0])
    assert_allclose(ensemble.selection_scores_, scores)


def test_selection_uses_labels_when_the_held_back_part_has_some():
    X = _series(24 * 60)
    X[1300:1310] += 3.0
    y = np.zeros(len(X), dtype=int)
    y[1300:1310] = 1
    members = [("knn", _knn()), ("noise", Noise())]
    result = InjectedAnomalySelection(random_state=0).score_members(members, X, y)
    assert result["source"] == "labels"
    assert result["scores"][0] > 0.9 > result["scores"][1]
    # labels only before the held-back part: injected anomalies instead
    y_early = np.zeros(len(X), dtype=int)
    y_early[100:110] = 1
    assert (
        InjectedAnomalySelection(random_state=0).score_members(members, X, y_early)["source"]
        == "injected"
    )


def test_selection_is_reproducible_and_refuses_bad_settings():
    X = _series(24 * 40)
    members = [("knn", _knn()), ("pca", _pca())]
    a = InjectedAnomalySelection(random_state=3).score_members(members, X)["scores"]
    b = InjectedAnomalySelection(random_state=3).score_members(members, X)["scores"]
    assert_array_equal(a, b)
    with pytest.raises(ValueError, match="kinds must be some of"):
        InjectedAnomalySelection(kinds=["meteor"]).score_members(members, X)
    with pytest.raises(ValueError, match="'tolerance'"):
        InjectedAnomalySelection(tolerance=0).score_members(members, X)
    with pytest.raises(ValueError, match="leaves 2 rows to fit and 1 to validate"):
        InjectedAnomalySelection(validation_fraction=0.5).score_members(members, X[:3])
