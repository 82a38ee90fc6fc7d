"""PerSeriesDetector: one model per series, row-aligned answers, failures, joblib and Dask."""

import doctest
import io
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import get_tags

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.fleet import PerSeriesDetector, _per_series
from ecoai_sklearn.metrics import make_anomaly_scorer
from ecoai_sklearn.scoring import DTWReconstructionScorer
from ecoai_sklearn.windowing import FFTWindower

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["predict", "score_samples", "decision_function"]


def cheap_detector():
    return make_pipeline(
        MinMaxScaler(),
        FFTWindower(window_size=8),
        DTWReconstructionScorer(PCA(2), train_stride=1),
        IsolationForest(n_estimators=20, random_state=0),
    )


def make_frame(n_series=3, *, n_days=2, kinds=("spike", "sag"), n_anomalies=2, seed=0):
    """Long frame of two-channel meters, rows interleaved by timestamp across series."""
    frames = []
    for k in range(n_series):
        X, y, _ = make_industrial_load(
            n_days=n_days,
            shares=(0.7, 0.3),
            anomaly_kinds=kinds,
            n_anomalies=n_anomalies,
            event_length=8,
            random_state=seed + k,
            as_frame=True,
        )
        frame = X.reset_index()
        frame["label"] = y.to_numpy()
        frame["series_id"] = f"meter_{k}"
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values("timestamp", kind="stable", ignore_index=True)


def rows_of(frame, series_id):
    return frame.index[frame["series_id"] == series_id].to_numpy()


class Recorder(OutlierMixin, BaseEstimator):
    """Keeps what fit received; fails on series shorter than ``min_rows``."""

    def __init__(self, min_rows=0):
        self.min_rows = min_rows

    def fit(self, X, y=None):
        if X.shape[0] < self.min_rows:
            raise ValueError(f"needs {self.min_rows} rows, got {X.shape[0]}")
        self.X_, self.y_ = X, y
        return self

    def score_samples(self, X):
        if X.shape[0] < self.min_rows:
            raise ValueError("too short to score")
        return X[:, 0].copy()

    def decision_function(self, X):
        return self.score_samples(X) - 500.0

    def predict(self, X):
        return np.where(self.decision_function(X) < 0, -1, 1)


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def fitted(frame):
    return PerSeriesDetector(cheap_detector()).fit(frame)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


# ---------------------------------------------------------------- core promise
def test_each_series_gets_the_model_it_would_get_alone(frame, fitted):
    assert list(fitted.detectors_) == ["meter_0", "meter_1", "meter_2"]
    assert fitted.failures_ == {}
    assert fitted.value_columns_ == ["industrial", "general"]
    for series_id, _detector in fitted.detectors_.items():
        rows = rows_of(frame, series_id)
        X = frame.loc[rows, ["industrial", "general"]].to_numpy()
        alone = clone(cheap_detector()).fit(X)
        for method in METHODS:
            answers = getattr(fitted, method)(frame)
            np.testing.assert_array_equal(answers[rows], getattr(alone, method)(X))


def test_answers_follow_the_input_row_order(frame, fitted):
    expected = {method: getattr(fitted, method)(frame) for method in METHODS}
    order = np.random.default_rng(0).permutation(len(frame))
    # keep each series' rows in time order, interleave the series differently
    order = np.concatenate(
        [
            np.sort(order[frame["series_id"].to_numpy()[order] == s])
            for s in ["meter_2", "meter_0", "meter_1"]
        ]
    )
    shuffled = frame.iloc[order]  # a non-default index too
    for method in METHODS:
        np.testing.assert_array_equal(getattr(fitted, method)(shuffled), expected[method][order])
    subset = frame[frame["series_id"] == "meter_1"]
    np.testing.assert_array_equal(fitted.predict(subset), expected["predict"][subset.index])


def test_detectors_receive_their_own_rows_and_labels_as_float_arrays():
    frame = pd.DataFrame(
        {
            "series_id": ["b", "a", "b", "a", "b"],
            "x": [1, 10, 2, 20, 3],
            "flag": [True, False, False, True, True],
            "label": [0, 1, 0, 0, 1],
        }
    )
    model = PerSeriesDetector(Recorder()).fit(frame, y=frame["label"])
    b, a = model.detectors_["b"], model.detectors_["a"]
    np.testing.assert_array_equal(b.X_, [[1.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
    np.testing.assert_array_equal(a.X_, [[10.0, 0.0], [20.0, 1.0]])
    assert b.X_.dtype == np.float64 and isinstance(b.X_, np.ndarray)
    np.testing.assert_array_equal(b.y_, [0, 0, 1])
    np.testing.assert_array_equal(a.y_, [1, 0])
    assert PerSeriesDetector(Recorder()).fit(frame).detectors_["a"].y_ is None
    np.testing.assert_array_equal(model.score_samples(frame), [1, 10, 2, 20, 3])
    only_x = PerSeriesDetector(Recorder(), value_columns=pd.Index(["x"])).fit(frame)
    assert only_x.detectors_["a"].X_.shape == (2, 1) and only_x.value_columns_ == ["x"]


def test_grid_search_tunes_each_series_on_its_own(frame):
    # meter_0 has rare spikes (best: low contamination), meter_1 long sags (high)
    rare = make_frame(1, kinds=("spike",), n_anomalies=2, seed=0)
    many = make_frame(1, kinds=("sag", "surge"), n_anomalies=6, seed=0)
    many["series_id"] = "meter_1"
    data = pd.concat([rare, many], ignore_index=True)
    search = GridSearchCV(
        cheap_detector(),
        {"isolationforest__contamination": [0.01, 0.2]},
        scoring=make_anomaly_scorer("f1", zero_division=0.0),
        cv=TimeSeriesSplit(2),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # PCA on constant windows
        model = PerSeriesDetector(search).fit(data, data["label"])
        best = {s: d.best_params_ for s, d in model.detectors_.items()}
        assert best == {
            "meter_0": {"isolationforest__contamination": 0.01},
            "meter_1": {"isolationforest__contamination": 0.2},
        }
        rows = rows_of(data, "meter_1")
        X = data.loc[rows, ["industrial", "general"]].to_numpy()
        alone = clone(search).fit(X, data.loc[rows, "label"].to_numpy())
        np.testing.assert_array_equal(
            model.decision_function(data)[rows], alone.decision_function(X)
        )


# ---------------------------------------------------------------- failures
def test_a_failing_series_is_reported_and_does_not_stop_the_others(frame):
    short = pd.DataFrame({"series_id": "tiny", "industrial": [1.0] * 10, "general": [2.0] * 10})
    data = pd.concat([frame.drop(columns=["timestamp", "label"]), short], ignore_index=True)
    with pytest.warns(FitFailedWarning, match=r"1 of 4 series failed.*'tiny'"):
        model = PerSeriesDetector(cheap_detector()).fit(data)
    assert list(model.detectors_) == ["meter_0", "meter_1", "meter_2"]
    assert list(model.failures_) == ["tiny"]
    assert model.failures_["tiny"].startswith("ValueError: ")
    assert "needs at least 16" in model.failures_["tiny"]
    assert list(model.series_ids_) == ["meter_0", "meter_1", "meter_2", "tiny"]

    scores = model.score_samples(data)
    tiny = (data["series_id"] == "tiny").to_numpy()
    assert np.isnan(scores[tiny]).all() and np.isfinite(scores[~tiny]).all()
    assert np.isnan(model.decision_function(data)[tiny]).all()
    with pytest.raises(ValueError, match=r"no label for the rows of 1 series.*'tiny'"):
        model.predict(data)
    np.testing.assert_array_equal(
        model.predict(data[~tiny]), PerSeriesDetector(cheap_detector()).fit(frame).predict(frame)
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = PerSeriesDetector(cheap_detector(), on_error="ignore").fit(data)
    assert list(quiet.failures_) == ["tiny"]
    with pytest.raises(ValueError, match=r"Series 'tiny': fitting failed: .*needs at least 16"):
        PerSeriesDetector(cheap_detector(), on_error="raise").fit(data)


def test_raise_keeps_the_error_type_and_every_failure_is_an_error():
    frame = pd.DataFrame({"series_id": ["a", "a", "b"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="Series 'b': fitting failed: needs 2 rows, got 1"):
        PerSeriesDetector(Recorder(min_rows=2), on_error="raise").fit(frame)

    class Picky(Recorder):
        def fit(self, X, y=None):
            raise TypeError("no thanks")

    with pytest.raises(TypeError, match="Series 'a': fitting failed: no thanks"):
        PerSeriesDetector(Picky(), on_error="raise").fit(frame)
    with pytest.raises(ValueError, match=r"All 2 series failed to fit.*TypeError: no thanks"):
        PerSeriesDetector(Picky()).fit(frame)


def test_failures_at_scoring_time_give_nan_or_raise():
    frame = pd.DataFrame({"series_id": list("aaabbb"), "x": [1.0, 2, 3, 4, 5, 6]})
    model = PerSeriesDetector(Recorder(min_rows=3)).fit(frame)
    short = frame.iloc[[0, 1, 3, 4, 5]]  # series "a" now too short to score
    with pytest.warns(UserWarning, match=r"score_samples failed for 1 series: 'a'"):
        scores = model.score_samples(short)
    np.testing.assert_array_equal(scores, [np.nan, np.nan, 4, 5, 6])
    with pytest.raises(ValueError, match=r"no label .*'a' \(ValueError: too short to score\)"):
        model.predict(short)
    with pytest.raises(ValueError, match="Series 'a': score_samples failed: too short"):
        model.set_params(on_error="raise").score_samples(short)


def test_unseen_series_and_rows_out_of_time_order():
    frame = make_frame(2)
    model = PerSeriesDetector(cheap_detector()).fit(frame)
    other = frame.assign(series_id=frame["series_id"].replace("meter_1", "meter_9"))
    for method in METHODS:
        with pytest.raises(ValueError, match=r"1 series were not seen in fit: 'meter_9'"):
            getattr(model, method)(other)

    backwards = frame.copy()
    rows = rows_of(frame, "meter_1")
    backwards.loc[rows, "timestamp"] = frame.loc[rows[::-1], "timestamp"].to_numpy()
    with pytest.warns(FitFailedWarning):
        model = PerSeriesDetector(cheap_detector()).fit(backwards)
    assert "not in strictly increasing 'timestamp' order" in model.failures_["meter_1"]
    assert list(model.detectors_) == ["meter_0"]
    with pytest.raises(ValueError, match="Series 'meter_1': fitting failed: ValueError: rows"):
        PerSeriesDetector(cheap_detector(), on_error="raise").fit(backwards)
    # no time column: no check
    PerSeriesDetector(Recorder(), time_column=None, value_columns=["industrial"]).fit(backwards)


# ---------------------------------------------------------------- sklearn conventions
def test_bad_input_is_a_clear_error(frame, fitted):
    model = PerSeriesDetector(Recorder())
    with pytest.raises(TypeError, match="expects a pandas DataFrame"):
        model.fit(frame.to_numpy())
    with pytest.raises(ValueError, match="no series column 'series_id'"):
        model.fit(frame.drop(columns="series_id"))
    with pytest.raises(ValueError, match="empty frame"):
        model.fit(frame.iloc[:0])
    with pytest.raises(TypeError, match=r"numeric; got 'site' \("):
        model.fit(frame.assign(site="plant"))
    with pytest.raises(ValueError, match="missing ids"):
        model.fit(frame.assign(series_id=frame["series_id"].where(frame.index != 5)))
    with pytest.raises(ValueError, match="one label per row"):
        model.fit(frame, frame["label"][:-1])
    with pytest.raises(ValueError, match=r"lacks value_columns: \['power'\]"):
        PerSeriesDetector(Recorder(), value_columns=["power"]).fit(frame)
    with pytest.raises(ValueError, match="no value column"):
        model.fit(frame[["series_id", "timestamp", "label"]])
    with pytest.raises(ValueError, match="on_error"):
        PerSeriesDetector(Recorder(), on_error="skip").fit(frame)
    with pytest.raises(NotFittedError):
        model.predict(frame)
    with pytest.raises(ValueError, match=r"lacks the value columns seen in fit: \['general'\]"):
        fitted.predict(frame.drop(columns="general"))


def test_inputs_are_not_modified(frame):
    data = make_frame(2).iloc[::-1].sort_values("timestamp", kind="stable")
    before = data.copy(deep=True)
    model = PerSeriesDetector(cheap_detector()).fit(data, data["label"])
    for method in METHODS:
        getattr(model, method)(data)
    pd.testing.assert_frame_equal(data, before)


def test_clone_params_and_fitted_attributes(frame, fitted):
    model = PerSeriesDetector(cheap_detector(), n_jobs=2)
    params = model.get_params()
    assert params["detector__isolationforest__n_estimators"] == 20
    model.set_params(detector__isolationforest__n_estimators=3, n_jobs=1)
    fitted_small = model.fit(frame)
    assert all(len(d[-1].estimators_) == 3 for d in fitted_small.detectors_.values())
    copy_ = clone(fitted_small)
    assert not hasattr(copy_, "detectors_")
    assert copy_.get_params()["detector__isolationforest__n_estimators"] == 3
    assert fitted.n_features_in_ == 5
    assert list(fitted.feature_names_in_) == [
        "timestamp",
        "industrial",
        "general",
        "label",
        "series_id",
    ]
    # later frames need the series and value columns only
    fitted.predict(frame[["series_id", "general", "industrial"]])
    assert get_tags(PerSeriesDetector(cheap_detector())).input_tags.allow_nan is False
    assert get_tags(PerSeriesDetector(IsolationForest())).input_tags.allow_nan
    pickled = joblib.load(_dump(fitted))
    np.testing.assert_array_equal(pickled.predict(frame), fitted.predict(frame))


def _dump(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return buffer


def test_methods_exist_only_when_the_detector_has_them():
    class PredictOnly(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict(self, X):
            return np.ones(X.shape[0], dtype=int)

    model = PerSeriesDetector(PredictOnly())
    assert not hasattr(model, "score_samples") and not hasattr(model, "decision_function")
    frame = pd.DataFrame({"series_id": ["a", "b"], "x": [1.0, 2.0]})
    np.testing.assert_array_equal(model.fit(frame).predict(frame), [1, 1])
    assert model.fit_predict(frame).tolist() == [1, 1]


# ---------------------------------------------------------------- parallel, Dask
def test_same_results_with_threads_and_on_dask(frame, fitted, dask_client):
    expected = {method: getattr(fitted, method)(frame) for method in METHODS}
    # threads: loky's worker processes would cost seconds of imports in a test
    with joblib.parallel_config(backend="threading"):
        threaded = PerSeriesDetector(cheap_detector(), n_jobs=2).fit(frame)
        threaded_answers = {method: getattr(threaded, method)(frame) for method in METHODS}
    with joblib.parallel_config(backend="dask"):
        on_dask = PerSeriesDetector(cheap_detector()).fit(frame)
        dask_answers = {method: getattr(on_dask, method)(frame) for method in METHODS}
    for method in METHODS:
        np.testing.assert_array_equal(threaded_answers[method], expected[method])
        np.testing.assert_array_equal(dask_answers[method], expected[method])
        # fitted on the cluster, answering here: the same models
        np.testing.assert_array_equal(getattr(on_dask, method)(frame), expected[method])


# Spies at module level: Dask serialises tasks even on an in-process cluster, and a
# module-level function travels by reference, so the workers append to this very list.
RECEIVED = []


def spy_fit(detector, series_id, X, y, on_error):
    RECEIVED.append(("fit", series_id, X.shape, y.shape, X.nbytes + y.nbytes))
    return _FIT_SERIES(detector, series_id, X, y, on_error)


def spy_apply(detector, method, series_id, X, on_error):
    RECEIVED.append((method, series_id, X.shape, None, X.nbytes + len(joblib_dumps(detector))))
    return _APPLY_SERIES(detector, method, series_id, X, on_error)


def joblib_dumps(obj):
    return _dump(obj).getvalue()


_FIT_SERIES, _APPLY_SERIES = _per_series._fit_series, _per_series._apply_series


def test_each_dask_task_receives_its_own_series_only(frame, fitted, dask_client, monkeypatch):
    RECEIVED.clear()
    monkeypatch.setattr(_per_series, "_fit_series", spy_fit)
    monkeypatch.setattr(_per_series, "_apply_series", spy_apply)
    with joblib.parallel_config(backend="dask"):
        model = PerSeriesDetector(cheap_detector()).fit(frame, frame["label"])
        model.score_samples(frame)
    sizes = frame["series_id"].value_counts().to_dict()
    model_bytes = {s: len(joblib_dumps(d)) for s, d in model.detectors_.items()}
    assert sorted(r[:2] for r in RECEIVED) == sorted(
        (method, s) for method in ["fit", "score_samples"] for s in sizes
    )
    for method, series_id, shape, y_shape, nbytes in RECEIVED:
        assert shape == (sizes[series_id], 2)  # its own rows, value columns only
        if method == "fit":  # its rows, two values and a label each
            assert y_shape == (sizes[series_id],) and nbytes == sizes[series_id] * 3 * 8
        else:  # its rows and its own fitted model, not the others
            own = sizes[series_id] * 2 * 8 + model_bytes[series_id]
            assert own <= nbytes < 1.1 * own  # (a used model pickles a few bytes longer)


def test_a_seeded_neural_detector_gives_the_same_scores_whatever_the_backend(dask_client):
    from ecoai_sklearn.pipelines import make_fft_cnngru_detector

    detector = make_fft_cnngru_detector(
        window_size=16,
        random_state=0,
        estimator_params={
            "max_epochs": 1,
            "batch_size": 64,
            "module__conv_channels": (2,),
            "module__hidden_size": 4,
            "module__latent_size": 2,
        },
    )
    frame = make_frame(2, n_days=2)
    serial = PerSeriesDetector(detector, n_jobs=1).fit(frame).score_samples(frame)
    with joblib.parallel_config(backend="dask"):
        parallel = PerSeriesDetector(detector).fit(frame).score_samples(frame)
    np.testing.assert_array_equal(parallel, serial)


@pytest.mark.slow
def test_bench_fleet_quick():
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_fleet

    rows = bench_fleet.main(["--quick", "--meters", "3"])
    assert [row["run"] for row in rows] == ["n_jobs=1", "n_jobs=2 (loky)", "dask LocalCluster"]
    assert all(row["same"] and row["meters/min"] > 0 for row in rows)
    assert bench_fleet.projection(rows)[0][3] >= 1


# ---------------------------------------------------------------- docs
def test_user_guide_page_examples_run():
    page = ROOT / "docs" / "user_guide" / "realtime.rst"
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0 and result.failed == 0
