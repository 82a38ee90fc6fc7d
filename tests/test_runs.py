"""Fitting on several independent runs without windows crossing from one run into the next
(issue #14, item 4): the groups argument of the windower, the scorers, the ensemble and the
factories' DetectorPipeline."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ecoai_sklearn.pipelines import (
    DetectorPipeline,
    EnsembleDetector,
    InjectedAnomalySelection,
    detection_frame,
    make_default_detector,
    make_fft_cnngru_detector,
)
from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer
from ecoai_sklearn.utils import group_bounds
from ecoai_sklearn.utils._runs import runs
from ecoai_sklearn.windowing import FFTWindower

TINY_CNNGRU = {
    "max_epochs": 10,
    "batch_size": 32,
    "module__conv_channels": (8,),
    "module__kernel_size": 3,
    "module__hidden_size": 16,
    "module__latent_size": 8,
    "device": "cpu",
}


def _run(level, n_days, seed, start):
    """Two channels of daily load around ``level``, 15-minute steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(96 * n_days)
    values = np.column_stack(
        [level + np.sin(2 * np.pi * t / 96), 2 * level + np.cos(2 * np.pi * t / 96)]
    )
    values += 0.05 * rng.standard_normal(values.shape)
    index = pd.date_range(start, periods=t.size, freq="15min")
    return pd.DataFrame(values, columns=["a", "b"], index=index)


@pytest.fixture(scope="module")
def two_runs():
    """Two runs of a week at different levels (a test rig run at two loads), months apart:
    joined up, the windows around the join hold a step found nowhere else."""
    first, second = _run(0.0, 7, 0, "2024-01-01"), _run(3.0, 7, 1, "2024-03-01 07:00")
    X = pd.concat([first, second])
    groups = np.repeat(["low", "high"], [len(first), len(second)])
    return X, groups, len(first)


def _longest_flagged_stretch(labels, lo, hi):
    starts, stops = runs(np.asarray(labels)[lo:hi] == 1)
    return int((stops - starts).max(initial=0))


# ---------------------------------------------------------------------------------------------
# the groups argument


def test_group_bounds():
    starts, stops, labels = group_bounds(np.array([2, 2, 1, 1, 1, 3]), 6)
    assert starts.tolist() == [0, 2, 5] and stops.tolist() == [2, 5, 6]
    assert labels == [2, 1, 3]
    assert group_bounds(None, 4)[2] == [None]
    with pytest.raises(ValueError, match="contiguous block"):
        group_bounds(["a", "b", "a"], 3)
    with pytest.raises(ValueError, match="one run label per row of X"):
        group_bounds(["a", "b"], 3)
    with pytest.raises(ValueError, match="missing run label"):
        group_bounds(np.array([1.0, np.nan, 2.0]), 3)
    with pytest.raises(TypeError, match="got a string"):
        group_bounds("ab", 2)


def test_windower_searches_the_period_in_the_longest_run():
    long = np.sin(2 * np.pi * np.arange(96 * 6) / 96)
    short = 5 + np.sin(2 * np.pi * np.arange(40) / 7)
    X = np.concatenate([short, long])[:, np.newaxis]
    groups = np.repeat([0, 1], [40, long.size])
    windower = FFTWindower(min_period=8).fit(X, groups=groups)
    assert windower.window_size_ == 96
    windows = windower.transform(X)
    assert windows.shape == (X.shape[0], 96, 1)  # cut from X as one series
    with pytest.raises(ValueError, match="its longest run"):
        FFTWindower(window_size=400).fit(X, groups=groups)


# ---------------------------------------------------------------------------------------------
# scorers: train inside runs, score each run as a series of its own


@pytest.mark.parametrize(
    "scorer",
    [
        KNNWindowScorer(n_segments=None),
        DTWReconstructionScorer(PCA(3), metric="mse", train_stride=1),
        DTWReconstructionScorer(PCA(3), metric="mse", aggregation="covering", cv=2),
    ],
    ids=["knn", "pca-path", "pca-cv"],
)
def test_scorers_use_only_windows_inside_runs(two_runs, scorer):
    X, groups, boundary = two_runs
    values = X.to_numpy()
    windower = FFTWindower(window_size=24).fit(values)
    windows = windower.transform(values)
    features = scorer.fit_transform(windows, groups=groups)
    w = 24
    if isinstance(scorer, KNNWindowScorer):
        kept = scorer.train_positions_
        assert not ((kept >= boundary) & (kept < boundary + w - 1)).any()
        assert kept.size == 2 * (boundary - w + 1)
    else:
        assert scorer.n_train_windows_ == 2 * (boundary - w + 1)
    assert features.shape[0] == len(X) and np.isfinite(features).all()
    if getattr(scorer, "cv", None) is not None:
        return  # cross-fitted: each run's block comes from a model of the other run
    # each run's rows: the features of the run transformed on its own
    for part in (slice(0, boundary), slice(boundary, None)):
        alone = scorer.transform(windower.transform(values[part]))
        assert_allclose(features[part], alone, rtol=1e-9, atol=1e-12)
    # joined up, the windows across the boundary look anomalous; run by run they do not
    joined = scorer.fit_transform(windows)[:, 0]
    per_run = features[:, 0]
    around = slice(boundary - w // 2, boundary + w // 2)
    away = np.r_[w : boundary - 2 * w, boundary + 2 * w : len(X) - w]
    assert joined[around].max() > 3 * np.quantile(joined[away], 0.99)
    assert per_run[around].max() < 2 * np.quantile(per_run[away], 0.99)


def test_knn_recognises_each_training_run_scored_alone(two_runs):
    X, groups, boundary = two_runs
    values = X.to_numpy()
    windower = FFTWindower(window_size=24).fit(values)
    scorer = KNNWindowScorer(1, n_segments=None).fit(windower.transform(values), groups=groups)
    second = windower.transform(values[boundary:])
    in_sample = scorer.transform(second)[:, 0]
    # new data that is a copy of the run: the same rows, so the same (in-sample) errors
    assert_allclose(scorer.transform(second.copy())[:, 0], in_sample)
    # without the run's fingerprint (one row less), each window finds itself: errors 0
    shifted = windower.transform(values[boundary + 1 :])
    assert np.median(scorer.transform(shifted)[:, 0]) < 1e-6 < np.median(in_sample)


def test_a_run_shorter_than_the_window_is_named(two_runs):
    X, _, _ = two_runs
    windows = FFTWindower(window_size=24).fit_transform(X.to_numpy())
    groups = np.array(["x"] * 10 + ["y"] * (len(X) - 10))
    with pytest.raises(ValueError, match="the run 'x' has 10 rows, fewer than the window"):
        KNNWindowScorer().fit(windows, groups=groups)


# ---------------------------------------------------------------------------------------------
# detectors


def test_default_detector_fitted_on_runs_does_not_flag_their_boundary(two_runs):
    X, groups, boundary = two_runs
    joined = make_default_detector().fit(X.reset_index(drop=True))
    joined_labels = detection_frame(joined, X.reset_index(drop=True))["label"].to_numpy()
    near = slice(boundary - 100, boundary + 100)
    assert joined_labels[near].sum() > 100  # measured: 182 rows around the join
    before, groups_before = X.copy(), groups.copy()
    detector = make_default_detector().fit(X, groups=groups)
    frame = detection_frame(detector, X, groups=groups)
    pd.testing.assert_frame_equal(X, before)  # the inputs are not modified
    assert_array_equal(groups, groups_before)
    assert frame.index.equals(X.index)
    assert frame["label"].sum() == 0  # measured: 0
    # several runs in one call: each scored on its own
    alone = pd.concat(
        [detection_frame(detector, X.iloc[:boundary]), detection_frame(detector, X.iloc[boundary:])]
    )
    pd.testing.assert_frame_equal(frame, alone)


def test_research_detector_fitted_on_runs_does_not_flag_their_boundary(two_runs):
    X, groups, boundary = two_runs

    def detector():
        return make_fft_cnngru_detector(
            window_size=24, train_stride=3, estimator_params=TINY_CNNGRU, random_state=0
        )

    values = X.reset_index(drop=True)
    joined = detector().fit(values)
    joined_labels = detection_frame(joined, values)["label"]
    grouped = detector().fit(X, groups=groups)
    labels = detection_frame(grouped, X, groups=groups)["label"]
    lo, hi = boundary - 24, boundary + 24
    # measured: 25 consecutive flagged rows across the join; 2 at most run by run (the
    # last and first rows of the runs, which rest on fewer windows like any series' ends)
    assert _longest_flagged_stretch(joined_labels, lo, hi) >= 12
    assert _longest_flagged_stretch(labels, lo, hi) <= 6
    scorer = grouped.named_steps["scorer"]
    assert scorer.n_train_windows_ < joined.named_steps["scorer"].n_train_windows_


def test_ensemble_normalises_on_the_runs_scored_alone(two_runs):
    X, groups, boundary = two_runs
    values = X.to_numpy()
    members = [("knn", make_pipeline(FFTWindower(window_size=24), KNNWindowScorer()))]
    ensemble = EnsembleDetector(members, normalization="robust").fit(values, groups=groups)
    member = ensemble.estimators_[0]
    assert not np.isin(np.arange(boundary, boundary + 23), member[-1].train_positions_).any()
    raw = -np.concatenate(
        [member.score_samples(values[:boundary]), member.score_samples(values[boundary:])]
    )
    assert_allclose(ensemble.center_, [np.median(raw)])
    forest = EnsembleDetector([("forest", IsolationForest(random_state=0))])
    assert forest.fit(values, groups=groups).n_features_in_ == 2  # row-wise: no groups needed
    selecting = EnsembleDetector(members, selection=InjectedAnomalySelection())
    with pytest.raises(ValueError, match="selection cannot judge members on several runs"):
        selecting.fit(values, groups=groups)


def test_groups_need_regular_runs_and_a_step_that_takes_them(two_runs):
    X, groups, _ = two_runs
    gappy = X.drop(X.index[100:110])
    with pytest.raises(ValueError, match="the run 'low' is not on a regular time grid"):
        make_default_detector().fit(gappy, groups=groups[10:])
    rowwise = DetectorPipeline([("scaler", StandardScaler()), ("forest", IsolationForest())])
    with pytest.raises(ValueError, match="no step of this pipeline takes groups"):
        rowwise.fit(X, groups=groups)
    detector = make_default_detector()
    with pytest.raises(ValueError, match="pass groups once"):
        detector.fit(X, groups=groups, ensemble__groups=groups)
    # a plain scikit-learn Pipeline routes groups by step name
    plain = make_pipeline(
        FFTWindower(window_size=24), KNNWindowScorer(), IsolationForest(random_state=0)
    )
    plain.fit(X.to_numpy(), fftwindower__groups=groups, knnwindowscorer__groups=groups)
    assert plain[1].train_positions_.size == 2 * (len(X) // 2 - 23)
