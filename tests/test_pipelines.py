"""Tests for ecoai_sklearn.pipelines: the detector factories, grid search, dask, persistence."""

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import make_anomaly_scorer, point_f1_score
from ecoai_sklearn.neural import CNNGRUAE, LSTMAE, USAD
from ecoai_sklearn.pipelines import (
    make_fft_cnngru_detector,
    make_lstmae_detector,
    make_multiscale_detector,
    make_usad_detector,
)
from ecoai_sklearn.preprocessing import Differencer
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.thresholding import WeightedZScoreThresholder
from ecoai_sklearn.windowing import find_periods

TINY_CNNGRU = {
    "max_epochs": 2,
    "batch_size": 256,
    "module__conv_channels": (4,),
    "module__kernel_size": 3,
    "module__hidden_size": 8,
    "module__latent_size": 4,
    "device": "cpu",
}
SPIKES_AND_EVENTS = ("spike", "surge", "sag", "outage")


@pytest.fixture(scope="module")
def load():
    """Three weeks of 15-minute load with spikes and longer events."""
    X, y, _ = make_industrial_load(
        n_days=21, anomaly_kinds=SPIKES_AND_EVENTS, n_anomalies=8, random_state=0
    )
    return X, y


def tiny_detector(**params):
    params = {
        "window_size": 24,
        "train_stride": 5,
        "estimator_params": TINY_CNNGRU,
        "random_state": 0,
        **params,
    }
    return make_fft_cnngru_detector(**params)


# ---------------------------------------------------------------------------------------------
# structure and parameters


@pytest.mark.parametrize(
    "factory, autoencoder",
    [
        (make_fft_cnngru_detector, CNNGRUAE),
        (make_lstmae_detector, LSTMAE),
        (make_usad_detector, USAD),
    ],
)
def test_factories_build_the_research_pipeline(factory, autoencoder):
    detector = factory(random_state=7)
    assert isinstance(detector, Pipeline)
    assert [name for name, _ in detector.steps] == [
        "imputer",
        "differencer",
        "scaler",
        "windower",
        "scorer",
        "detector",
    ]
    assert detector.named_steps["differencer"] == "passthrough"
    scorer = detector.named_steps["scorer"]
    assert isinstance(scorer, DTWReconstructionScorer)
    assert isinstance(scorer.estimator, autoencoder)
    params = detector.get_params()
    assert params["scorer__estimator__random_state"] == 7
    assert isinstance(detector.named_steps["detector"], IsolationForest)
    assert params["detector__contamination"] == 0.03
    assert params["scorer__include_values"] is True  # "auto" with the iforest final step
    assert factory(final_step="zscore").get_params()["scorer__include_values"] is False
    assert factory(include_values=False).get_params()["scorer__include_values"] is False
    assert params["detector__random_state"] == 7
    zscore = factory(final_step="zscore", expected_ratio=0.01).named_steps["detector"]
    assert isinstance(zscore, WeightedZScoreThresholder)
    assert (zscore.tail, zscore.reference, zscore.expected_ratio) == ("upper", "empirical", 0.01)


def test_factory_options_reach_their_steps():
    detector = make_fft_cnngru_detector(
        difference=True,
        contamination=0.02,
        metric="mse",
        aggregation="covering",
        channels="separate",
        train_stride=5,
        fit_on="all",
        estimator_params={"lr": 0.01, "module__hidden_size": 8},
        random_state=3,
    )
    params = detector.get_params()
    assert isinstance(detector.named_steps["differencer"], Differencer)
    assert isinstance(detector.named_steps["detector"], IsolationForest)
    assert params["detector__contamination"] == 0.02
    assert params["detector__random_state"] == 3
    assert (params["scorer__metric"], params["scorer__aggregation"]) == ("mse", "covering")
    assert (params["scorer__channels"], params["scorer__train_stride"]) == ("separate", 5)
    assert params["scorer__fit_on"] == "all"
    assert params["scorer__estimator__lr"] == 0.01
    assert params["scorer__estimator__module__hidden_size"] == 8
    assert params["scorer__estimator__max_epochs"] == 20  # the factory's default kept


def test_random_state_instance_draws_reproducible_seeds():
    a = make_multiscale_detector(window_sizes=[24, 16], random_state=np.random.RandomState(0))
    b = make_multiscale_detector(window_sizes=[24, 16], random_state=np.random.RandomState(0))
    seeds = [a.get_params()[f"scales__scale{k}__scorer__estimator__random_state"] for k in (0, 1)]
    assert all(isinstance(s, int) for s in seeds) and seeds[0] != seeds[1]
    assert seeds == [
        b.get_params()[f"scales__scale{k}__scorer__estimator__random_state"] for k in (0, 1)
    ]


@pytest.mark.parametrize(
    "factory, kwargs, match",
    [
        (make_fft_cnngru_detector, {"final_step": "svm"}, "final_step"),
        (make_fft_cnngru_detector, {"expected_ratio": 1.5}, "expected_ratio"),
        (make_lstmae_detector, {"window_size": 1}, "window_size"),
        (make_usad_detector, {"estimator_params": [1]}, "estimator_params"),
        (make_multiscale_detector, {"n_periods": 0}, "n_periods"),
    ],
)
def test_bad_factory_parameters_name_themselves(factory, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        factory(**kwargs)


def test_bad_window_sizes_are_rejected():
    with pytest.raises(ValueError, match="window_sizes"):
        make_multiscale_detector(window_sizes=[96, 1.5])


# ---------------------------------------------------------------------------------------------
# the detector contract


@pytest.mark.parametrize("final_step", ["iforest", "zscore"])
def test_predict_scores_and_decision_function_one_value_per_row(load, final_step):
    X, y = load
    detector = tiny_detector(final_step=final_step).fit(X[:1344], y[:1344])
    test = X[1344:]
    labels = detector.predict(test)
    assert labels.shape == (len(test),)
    assert set(np.unique(labels)) <= {-1, 1}
    scores = detector.score_samples(test)
    decision = detector.decision_function(test)
    assert scores.shape == decision.shape == (len(test),)
    assert_allclose(decision, scores - detector.named_steps["detector"].offset_)
    assert_array_equal(labels == -1, decision < 0)


def test_fit_on_normal_uses_training_labels(load):
    X, y = load
    detector = tiny_detector().fit(X[:1344], y[:1344])
    unlabelled = tiny_detector().fit(X[:1344])
    n_labelled = detector.named_steps["scorer"].n_train_windows_
    assert n_labelled < unlabelled.named_steps["scorer"].n_train_windows_


def test_joblib_round_trip_gives_identical_scores(load, tmp_path):
    X, y = load
    detector = tiny_detector().fit(X[:1344], y[:1344])
    expected = detector.score_samples(X[1344:])
    joblib.dump(detector, tmp_path / "detector.joblib")
    loaded = joblib.load(tmp_path / "detector.joblib")
    assert_array_equal(loaded.score_samples(X[1344:]), expected)
    assert_array_equal(loaded.predict(X[1344:]), detector.predict(X[1344:]))


def test_pandas_input_and_output(load):
    X, y = load
    frame = pd.DataFrame(X, columns=["industrial", "general", "late_night", "agricultural"])
    detector = tiny_detector().set_output(transform="pandas").fit(frame[:1344], y[:1344])
    features = detector[:-1].transform(frame[1344:])
    assert isinstance(features, pd.DataFrame)
    # the readings are named after the channels (issue #14), the rows after X's index
    assert list(features.columns) == ["dtw_error"] + [f"value_{name}" for name in frame.columns]
    assert features.index.equals(frame.index[1344:])
    assert detector.predict(frame[1344:]).shape == (len(frame) - 1344,)


def test_multiscale_detector_has_one_column_per_scale(load):
    X, y = load
    detector = make_multiscale_detector(
        window_sizes=[24, 16], estimator=CNNGRUAE(**TINY_CNNGRU, random_state=0)
    )
    assert isinstance(detector.named_steps["scales"], FeatureUnion)
    detector.fit(X[:1344], y[:1344])
    features = detector[:-1].transform(X[1344:])
    # one error column per scale, and the 4 channels' readings once (first branch)
    assert features.shape == (len(X) - 1344, 2 + 4)
    union = detector.named_steps["scales"]
    names = [list(branch[-1].get_feature_names_out()) for _, branch in union.transformer_list]
    assert names == [["dtw_error"] + [f"value_ch{k}" for k in range(4)], ["dtw_error"]]
    assert_allclose(features[:, 1:5], detector[:3].transform(X[1344:]))
    assert detector.predict(X[1344:]).shape == (len(X) - 1344,)
    only_errors = make_multiscale_detector(window_sizes=[24, 16], include_values=False)
    assert not only_errors.get_params()["scales__scale0__scorer__include_values"]


def test_multiscale_windows_follow_the_fft_periods():
    X, y, _ = make_industrial_load(n_days=14, n_anomalies=0, random_state=1)
    detector = make_multiscale_detector(
        n_periods=2, estimator=CNNGRUAE(**TINY_CNNGRU, random_state=0), train_stride=5
    ).fit(X)
    union = detector.named_steps["scales"]
    sizes = [branch.named_steps["windower"].window_size_ for _, branch in union.transformer_list]
    periods = union.transformer_list[0][1].named_steps["windower"].periods_
    assert sizes == list(periods)
    assert sizes[0] == 96


def test_auto_window_skips_periods_too_short_to_learn():
    # the strongest FFT peak is at 3 samples (noisy 5-minute series show such peaks);
    # a 3-step window would hold no shape and is shorter than CNN-GRU's kernel
    t = np.arange(2400)
    rng = np.random.default_rng(0)
    X = (np.sin(2 * np.pi * t / 3) + 0.6 * np.sin(2 * np.pi * t / 12))[:, np.newaxis]
    X += 0.1 * rng.normal(size=X.shape)
    assert find_periods(X, n_periods=1)[0] == 3
    detector = tiny_detector(window_size="auto").fit(X)
    assert detector.named_steps["windower"].window_size_ == 12
    assert detector.predict(X).shape == (len(X),)
    multiscale = make_multiscale_detector(n_periods=1)
    assert multiscale.get_params()["scales__scale0__windower__min_period"] == 8


# ---------------------------------------------------------------------------------------------
# model selection: GridSearchCV with TimeSeriesSplit, joblib threads/processes and dask

PARAM_GRID = [
    # window size, an autoencoder parameter, the metric and IsolationForest parameters
    {
        "windower__window_size": [24, 48],
        "scorer__estimator__lr": [1e-2],
        "scorer__metric": ["dtw"],
        "detector__n_estimators": [50],
    },
    {
        "scorer__metric": ["mse"],
        "scorer__aggregation": ["covering"],
        "detector__contamination": [0.02, 0.05],
    },
]
SCORING = make_anomaly_scorer(["f1", "precision", "recall", "average_precision", "roc_auc"])


def _search(n_jobs):
    return GridSearchCV(
        tiny_detector(),
        PARAM_GRID,
        scoring=SCORING,
        refit="f1",
        cv=TimeSeriesSplit(n_splits=2),
        n_jobs=n_jobs,
        error_score="raise",
    )


def _scores(search):
    keys = [k for k in search.cv_results_ if k.startswith("split") and "_test_" in k]
    return np.array([search.cv_results_[k] for k in sorted(keys)])


@pytest.fixture(scope="module")
def serial_search(load):
    X, y = load
    return _search(n_jobs=1).fit(X, y)


def test_grid_search_with_time_series_split(serial_search, load):
    X, y = load
    search = serial_search
    assert len(search.cv_results_["params"]) == 4
    scores = _scores(search)
    assert np.all((scores >= 0) & (scores <= 1))
    assert search.best_params_ in search.cv_results_["params"]
    labels = search.predict(X)
    assert labels.shape == (len(X),)
    assert set(np.unique(labels)) <= {-1, 1}


def test_grid_search_two_jobs_gives_the_same_results(serial_search, load):
    X, y = load
    parallel = _search(n_jobs=2).fit(X, y)
    assert_allclose(_scores(parallel), _scores(serial_search))
    assert parallel.best_params_ == serial_search.best_params_


def test_grid_search_on_a_dask_cluster(serial_search, load):
    distributed = pytest.importorskip("dask.distributed")
    X, y = load
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            search = _search(n_jobs=2).fit(X, y)
    assert_allclose(_scores(search), _scores(serial_search))


# ---------------------------------------------------------------------------------------------
# evidence: detection quality of the default detector


def test_research_detector_finds_spikes_and_events_on_later_data():
    X, y, _ = make_industrial_load(
        n_days=84, anomaly_kinds=SPIKES_AND_EVENTS, n_anomalies=24, random_state=0
    )
    cut = 56 * 96  # eight weeks to train, the four weeks after them to judge
    detector = make_fft_cnngru_detector(random_state=0, estimator_params={"device": "cpu"})
    detector.fit(X[:cut], y[:cut])
    f1 = point_f1_score(y[cut:], detector.predict(X[cut:]), pred_convention="sign")
    assert f1 >= 0.6, f1


def test_clone_of_a_factory_detector_is_unfitted_and_equal():
    detector = tiny_detector()
    copy = clone(detector)
    assert copy.get_params()["scorer__estimator__module__hidden_size"] == 8
    assert not hasattr(copy.named_steps["scorer"], "estimator_")
