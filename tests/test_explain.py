"""Results aligned with the input and channel attribution (issue #14, items 2 and 3).

Feature names through every stage, set_output after fit, detection_frame and
detection_events, each scorer's channel contributions against a hand-computed oracle, and
the attribution of a surge injected in one known channel, for the default and the research
detector.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ecoai_sklearn.pipelines import (
    DetectorPipeline,
    EnsembleDetector,
    detection_events,
    detection_frame,
    make_default_detector,
    make_fft_cnngru_detector,
)
from ecoai_sklearn.scoring import DTWReconstructionScorer, KNNWindowScorer
from ecoai_sklearn.streaming import alarm_events
from ecoai_sklearn.windowing import FFTWindower

#: a CNN-GRU small enough for tests, trained long enough to reconstruct daily shapes
TRAINED_CNNGRU = {
    "max_epochs": 15,
    "batch_size": 32,
    "module__conv_channels": (8,),
    "module__kernel_size": 3,
    "module__hidden_size": 16,
    "module__latent_size": 8,
    "device": "cpu",
}
#: levels of the channels: very different scales, as current, voltage and power
LEVELS = (10.0, 230.0, 50.0, 3.0, 100.0, 1.0, 20.0, 5.0)
SURGE = slice(150, 162)


def _channels(n_channels=4, n_days=14, seed=0):
    """Daily load of ``n_channels`` channels named ch_0, ch_1, ..., 15-minute steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(96 * n_days)
    columns = {}
    for k, level in enumerate(LEVELS[:n_channels]):
        shape = 1 + 0.3 * np.sin(2 * np.pi * t / 96 + k) + 0.1 * np.sin(4 * np.pi * t / 96 + 2 * k)
        columns[f"ch_{k}"] = level * (shape + 0.02 * rng.standard_normal(t.size))
    index = pd.date_range("2024-01-01", periods=t.size, freq="15min")
    return pd.DataFrame(columns, index=index)


def _with_surge(X, channel=2):
    """The last four days, with a surge (readings x 1.6 for 3 hours) in one channel."""
    new = X.iloc[96 * 10 :].copy()
    new.iloc[SURGE, channel] *= 1.6
    return new


def _research_detector():
    return make_fft_cnngru_detector(
        window_size=24, train_stride=3, estimator_params=TRAINED_CNNGRU, random_state=0
    )


# ---------------------------------------------------------------------------------------------
# feature names through every stage


def test_windower_names_its_channels():
    X = _channels(3, n_days=3)
    windower = FFTWindower(window_size=8).fit(X)
    assert_array_equal(windower.get_feature_names_out(), ["ch_0", "ch_1", "ch_2"])
    assert_array_equal(windower.get_feature_names_out(["ch_0", "ch_1", "ch_2"]), X.columns)
    with pytest.raises(ValueError, match="input_features"):
        windower.get_feature_names_out(["a", "b", "c"])
    unnamed = FFTWindower(window_size=8).fit(X.to_numpy())
    assert_array_equal(unnamed.get_feature_names_out(), ["ch0", "ch1", "ch2"])
    assert_array_equal(unnamed.get_feature_names_out(["a", "b", "c"]), ["a", "b", "c"])


@pytest.mark.parametrize(
    "scorer, names",
    [
        (KNNWindowScorer(channels="separate"), ["knn_error_current", "knn_error_voltage"]),
        (KNNWindowScorer(include_values=True), ["knn_error", "value_current", "value_voltage"]),
        (
            DTWReconstructionScorer(PCA(2), metric="mse", include_values=True),
            ["mse_error", "value_current", "value_voltage"],
        ),
    ],
)
def test_scorers_name_their_columns_after_the_channels(scorer, names):
    X = _channels(2, n_days=4).to_numpy()
    scorer = clone(scorer).fit(FFTWindower(window_size=24).fit_transform(X))
    assert scorer.get_feature_names_out(["current", "voltage"]).tolist() == names
    generated = [name.replace("current", "ch0").replace("voltage", "ch1") for name in names]
    assert scorer.get_feature_names_out().tolist() == generated
    with pytest.raises(ValueError, match="input_features must hold one name per channel"):
        scorer.get_feature_names_out(["current"])


def test_a_pipeline_passes_the_channel_names_to_the_scorer():
    X = _channels(2, n_days=8).rename(columns={"ch_0": "current", "ch_1": "voltage"})
    detector = _research_detector().set_params(
        scorer__channels="separate", scorer__estimator__max_epochs=1
    )
    detector.fit(X.iloc[:600])
    assert detector[:-1].get_feature_names_out().tolist() == [
        "dtw_error_current",
        "dtw_error_voltage",
        "value_current",
        "value_voltage",
    ]
    plain = make_pipeline(FFTWindower(window_size=24), KNNWindowScorer(channels="separate"))
    assert plain.fit(X).get_feature_names_out().tolist() == [
        "knn_error_current",
        "knn_error_voltage",
    ]
    # fitted on an array: the channels are ch0, ch1 along the whole chain
    unnamed = make_default_detector().fit(X.to_numpy())
    assert unnamed[:-1].get_feature_names_out().tolist() == ["ch0", "ch1"]


# ---------------------------------------------------------------------------------------------
# set_output: before or after fit, no warning, the input's index


@pytest.mark.parametrize("when", ["before", "after"])
def test_set_output_pandas_works_after_fit_without_warnings(when):
    X = _channels(3, n_days=10)
    detector = make_default_detector()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if when == "before":
            detector.set_output(transform="pandas")
        detector.fit(X.iloc[:672])
        if when == "after":
            detector.set_output(transform="pandas")
        for _ in range(2):  # scikit-learn's Pipeline warned on every call
            labels = detector.predict(X.iloc[672:])
        front = detector[:-1].transform(X.iloc[672:])
    assert isinstance(labels, np.ndarray) and labels.shape == (X.shape[0] - 672,)
    assert isinstance(front, pd.DataFrame)
    assert front.index.equals(X.index[672:]) and front.columns.tolist() == X.columns.tolist()
    # the steps were not reconfigured: they keep exchanging arrays
    assert isinstance(detector["imputer"].transform(X.iloc[672:]), np.ndarray)
    assert getattr(clone(detector), "_sklearn_output_config", {}) == {"transform": "pandas"}
    assert isinstance(detector.set_output(transform="default")[:-1].transform(X), np.ndarray)
    with pytest.raises(ValueError, match="transform must be"):
        detector.set_output(transform="polars")


def test_set_output_after_fit_on_the_research_detector_names_the_scorer_columns():
    X = _channels(2, n_days=8).rename(columns={"ch_0": "current", "ch_1": "voltage"})
    detector = make_fft_cnngru_detector(
        window_size=24, train_stride=5, estimator_params={**TRAINED_CNNGRU, "max_epochs": 1}
    ).fit(X.iloc[:600])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        detector.set_output(transform="pandas")
        detector.predict(X.iloc[600:])
        features = detector[:-1].transform(X.iloc[600:])
    assert features.columns.tolist() == ["dtw_error", "value_current", "value_voltage"]
    assert features.index.equals(X.index[600:])


# ---------------------------------------------------------------------------------------------
# each scorer's split of the error among the channels, against oracles


def _train_and_new(n_channels=3):
    X = _channels(n_channels, n_days=6).to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    windower = FFTWindower(window_size=24).fit(X[:400])
    new = X[400:].copy()
    new[100:104, 1] += 3.0
    return windower.transform(X[:400]), windower.transform(new)


@pytest.mark.parametrize("aggregation", ["path", "covering", "causal"])
def test_mse_contributions_are_the_exact_split_of_the_error(aggregation):
    """Joint MSE error = mean over channels of each channel's own MSE error: the shares are
    the per-channel errors (channels="separate") divided by their sum."""
    train, new = _train_and_new()
    params = {"metric": "mse", "aggregation": aggregation, "train_stride": 1}
    joint = DTWReconstructionScorer(PCA(3), **params).fit(train)
    separate = DTWReconstructionScorer(PCA(3), channels="separate", **params).fit(train)
    per_channel = separate.transform(new)
    shares = joint.channel_contributions(new)
    assert_allclose(shares, per_channel / per_channel.sum(axis=1, keepdims=True), rtol=1e-9)
    assert_allclose(-joint.score_samples(new), per_channel.mean(axis=1), rtol=1e-9)
    # separate: each column is its channel's part
    assert_allclose(separate.channel_contributions(new), shares, rtol=1e-9)


def test_dtw_contributions_split_each_steps_cost_by_its_squared_differences():
    train, new = _train_and_new()
    scorer = DTWReconstructionScorer(PCA(3), metric="dtw", train_stride=1).fit(train)
    shares = scorer.channel_contributions(new)
    assert shares.shape == (new.shape[0], 3) and (shares >= 0).all()
    assert_allclose(shares.sum(axis=1), 1.0)
    assert shares[100:104].argmax(axis=1).tolist() == [1, 1, 1, 1]
    score_samples, same = scorer._score_samples_and_contributions(new)
    assert_allclose(score_samples, scorer.score_samples(new), rtol=1e-12)
    assert_array_equal(same, shares)


def test_knn_contributions_are_the_shares_of_the_squared_distance_to_the_neighbours():
    train, new = _train_and_new()
    train, new = train[23:], new[23:]  # real windows only: independent samples
    scorer = KNNWindowScorer(3, n_segments=None, grain="sample").fit(train)
    shares = scorer.channel_contributions(new)
    # oracle: the 3 nearest training windows by the full distance, then per channel
    d = ((new[:, np.newaxis] - train[np.newaxis]) ** 2).sum(axis=2)  # (n, m, c)
    nearest = np.argsort(d.sum(axis=2), axis=1, kind="stable")[:, :3]
    per_channel = np.take_along_axis(d, nearest[:, :, np.newaxis], axis=1).sum(axis=1)
    assert_allclose(shares, per_channel / per_channel.sum(axis=1, keepdims=True), rtol=1e-9)
    # errors unchanged by the split
    errors, _ = scorer._transform_and_contributions(new)
    assert_array_equal(errors, scorer.transform(new))


def test_knn_contributions_on_the_training_series_leave_overlapping_windows_out():
    train, _ = _train_and_new()
    scorer = KNNWindowScorer(2, n_segments=None).fit(train)
    shares = scorer.channel_contributions(train)
    assert_allclose(shares.sum(axis=1), 1.0)
    # in-sample errors: the same as transform, which leaves overlapping windows out
    score_samples, _ = scorer._score_samples_and_contributions(train)
    assert_allclose(-score_samples, scorer.transform(train)[:, 0], rtol=1e-12)
    assert np.median(-score_samples) > 0.05  # no window found itself


# ---------------------------------------------------------------------------------------------
# attribution on a surge injected in one known channel


@pytest.mark.parametrize("n_channels", [4, 8])
def test_default_detector_attributes_a_surge_to_its_channel(n_channels):
    X = _channels(n_channels)
    detector = make_default_detector().fit(X.iloc[: 96 * 10])
    new = _with_surge(X, channel=2)
    frame = detection_frame(detector, new)
    shares = frame.filter(like="contribution_")
    assert shares.columns.tolist() == [f"contribution_ch_{k}" for k in range(n_channels)]
    assert_allclose(shares.sum(axis=1), 1.0)
    assert frame["label"].iloc[SURGE].all()
    surge = shares.iloc[SURGE]
    assert (surge.idxmax(axis=1) == "contribution_ch_2").all()
    assert surge["contribution_ch_2"].mean() > 0.8  # measured: 0.88 for 4 and 8 channels
    events = detection_events(frame)
    hit = events[(events["start"] <= SURGE.start) & (events["end"] >= SURGE.stop - 1)]
    assert hit["top_channel"].tolist() == ["ch_2"]
    assert hit["contribution_ch_2"].iloc[0] > 0.6
    # the frame's scores and labels are the detector's own
    assert_allclose(frame["score"], -detector.decision_function(new), rtol=1e-12)
    assert_array_equal(frame["label"], detector.predict(new) == -1)


def test_research_detector_attributes_a_surge_to_its_channel():
    X = _channels(4)
    detector = _research_detector().fit(X.iloc[: 96 * 10])
    new = _with_surge(X, channel=2)
    frame = detection_frame(detector, new)
    shares = frame.filter(like="contribution_")
    assert_allclose(shares.sum(axis=1), 1.0)
    surge = shares.iloc[SURGE]
    assert surge["contribution_ch_2"].mean() > 0.6  # measured: 0.80
    assert (surge.idxmax(axis=1) == "contribution_ch_2").mean() >= 0.9
    assert frame["label"].iloc[SURGE].mean() > 0.5
    events = detection_events(frame)
    overlapping = events[(events["end"] >= SURGE.start) & (events["start"] < SURGE.stop)]
    assert "ch_2" in overlapping["top_channel"].tolist()
    assert_allclose(frame["score"], -detector.decision_function(new), rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# detection_frame: index, columns, any detector


def test_detection_frame_follows_the_input_index_and_marks_imputed_rows():
    X = _channels(3, n_days=10)
    detector = make_default_detector().fit(X.iloc[:672])
    new = X.iloc[672:].copy()
    new.iloc[5, 1] = np.nan
    frame = detection_frame(detector, new)
    assert frame.index.equals(new.index)
    assert frame.columns[:3].tolist() == ["score", "label", "imputed"]
    assert frame["imputed"].tolist() == [i == 5 for i in range(new.shape[0])]
    assert frame["label"].dtype == np.int64 and set(frame["label"]) <= {0, 1}
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        array = detection_frame(detector, new.to_numpy())  # named as in fit
    assert array.index.equals(pd.RangeIndex(new.shape[0]))
    assert array.columns[3:].tolist() == [
        "contribution_ch_0",
        "contribution_ch_1",
        "contribution_ch_2",
    ]
    assert_allclose(array["score"], frame["score"].to_numpy())
    bare = detection_frame(detector, new, contributions=False)
    assert bare.columns.tolist() == ["score", "label", "imputed"]
    assert_allclose(bare["score"], frame["score"])


def test_detection_frame_of_other_detectors():
    X = _channels(2, n_days=6)
    forest = make_pipeline(StandardScaler(), IsolationForest(random_state=0)).fit(X)
    frame = detection_frame(forest, X)
    assert frame.columns.tolist() == ["score", "label", "imputed"]
    assert_array_equal(frame["label"], forest.predict(X) == -1)
    with pytest.raises(TypeError, match="gives no channel contributions"):
        detection_frame(forest, X, contributions=True)
    # a plain scikit-learn Pipeline with a scorer before its final detector
    plain = make_pipeline(
        StandardScaler(), FFTWindower(window_size=24), KNNWindowScorer(), IsolationForest()
    ).fit(X)
    assert detection_frame(plain, X).filter(like="contribution_").shape == (X.shape[0], 2)
    scorer_only = make_pipeline(FFTWindower(window_size=24), KNNWindowScorer()).fit(X)
    with pytest.raises(TypeError, match="must be a fitted outlier detector"):
        detection_frame(scorer_only, X)
    with pytest.raises(ValueError, match="contributions must be"):
        detection_frame(forest, X, contributions="yes")


@pytest.mark.parametrize("combination", ["max", "mean"])
def test_ensemble_contributions_follow_its_combination(combination):
    X = _channels(3, n_days=8).to_numpy()
    members = [
        (f"knn_{w}", make_pipeline(FFTWindower(window_size=w), KNNWindowScorer())) for w in (24, 48)
    ]
    ensemble = EnsembleDetector(members, combination=combination).fit(X[:480])
    new = X[480:].copy()
    new[50:54, 0] *= 3.0
    shares = ensemble.channel_contributions(new)
    z = ensemble.member_scores(new)
    member_shares = np.stack(
        [m[-1].channel_contributions(m[:-1].transform(new)) for m in ensemble.estimators_]
    )
    if combination == "max":
        expected = member_shares[z.argmax(axis=1), np.arange(new.shape[0])]
    else:
        weights = np.clip(z, 0.0, None)
        weights[~(weights.sum(axis=1) > 0)] = 1.0
        expected = np.einsum("nm,mnc->nc", weights, member_shares)
        expected /= expected.sum(axis=1, keepdims=True)
    assert_allclose(shares, expected, rtol=1e-9)
    decision, same = ensemble._decision_and_contributions(new)
    assert_allclose(decision, ensemble.decision_function(new), rtol=1e-12)
    assert_array_equal(same, shares)


def test_ensemble_of_members_without_contributions_says_which():
    X = _channels(2, n_days=4).to_numpy()
    ensemble = EnsembleDetector([("forest", IsolationForest(random_state=0))]).fit(X)
    with pytest.raises(TypeError, match=r"\['forest'\] give no channel contributions"):
        ensemble.channel_contributions(X)
    # detection_frame gives its scores and labels alone, unless asked for contributions
    frame = detection_frame(ensemble, X)
    assert frame.columns.tolist() == ["score", "label", "imputed"]
    assert_allclose(frame["score"], -ensemble.decision_function(X))
    with pytest.raises(TypeError, match="give no channel contributions"):
        detection_frame(ensemble, X, contributions=True)


def test_detection_events_with_alarm_events_and_groups():
    frame = pd.DataFrame(
        {
            "score": [2.0, 1.0, -1.0, 3.0, 3.0, -1.0, 1.0],
            "label": [1, 1, 0, 1, 1, 0, 1],
            "contribution_a": [1.0, 0.0, 0.5, 0.0, 0.5, 0.5, 1.0],
            "contribution_b": [0.0, 1.0, 0.5, 1.0, 0.5, 0.5, 0.0],
        },
        index=pd.date_range("2024-01-01", periods=7, freq="h"),
    )
    runs = detection_events(frame)
    assert runs[["start", "end", "n_rows", "n_flagged"]].to_numpy().tolist() == [
        [0, 1, 2, 2],
        [3, 4, 2, 2],
        [6, 6, 1, 1],
    ]
    assert runs["start_time"].iloc[1] == pd.Timestamp("2024-01-01 03:00")
    assert_allclose(runs["contribution_a"], [2 / 3, 0.25, 1.0])
    assert runs["top_channel"].tolist() == ["a", "b", "a"]
    assert_allclose(runs[["contribution_a", "contribution_b"]].sum(axis=1), 1.0)
    # a boundary between runs splits an event
    split = detection_events(frame, groups=["x", "y", "y", "y", "y", "y", "y"])
    assert split[["start", "end"]].to_numpy().tolist() == [[0, 0], [1, 1], [3, 4], [6, 6]]
    # events with a suppression period, from the streaming module: flagged rows only count
    events = alarm_events(frame["label"], frame["score"], suppression=2)
    merged = detection_events(frame, events=events)
    assert merged[["start", "end", "n_rows", "n_flagged"]].to_numpy().tolist() == [[0, 6, 7, 5]]
    assert_allclose(merged["contribution_a"], (2 * 1 + 0 + 0 + 1.5 + 1) / 10)
    empty = detection_events(frame.assign(label=0))
    assert empty.shape[0] == 0 and "top_channel" in empty.columns
    with pytest.raises(ValueError, match="'label' column"):
        detection_events(frame.drop(columns="label"))
    with pytest.raises(ValueError, match="0-based positions"):
        detection_events(frame, events=pd.DataFrame({"start": [5], "end": [9]}))


def test_detector_pipeline_slices_and_clones_keep_their_class():
    detector = make_default_detector()
    assert isinstance(detector, DetectorPipeline)
    assert isinstance(detector[:-1], DetectorPipeline)
    assert isinstance(clone(detector), DetectorPipeline)
