"""Safe model files: round trips, the allowlist, crafted files, atomic writes."""

import collections
import io
import json
import math
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
from skorch.callbacks import GradientNormClipping, LRScheduler

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.metrics import make_anomaly_scorer
from ecoai_sklearn.neural import CNNGRUAE
from ecoai_sklearn.persistence import (
    FORMAT_VERSION,
    get_untrusted_types,
    load,
    read_metadata,
    save,
)
from ecoai_sklearn.pipelines import (
    make_fft_cnngru_detector,
    make_lstmae_detector,
    make_multiscale_detector,
    make_usad_detector,
)

TINY_CNNGRU = {"max_epochs": 1, "batch_size": 128, "module__hidden_size": 4,
               "module__latent_size": 2}  # fmt: skip
FACTORIES = {
    "cnngru": lambda: make_fft_cnngru_detector(
        window_size=16, estimator_params=TINY_CNNGRU, random_state=0
    ),
    "lstmae": lambda: make_lstmae_detector(
        window_size=16,
        estimator_params={"max_epochs": 1, "module__hidden_sizes": (4, 2)},
        random_state=0,
    ),
    "usad-zscore": lambda: make_usad_detector(
        window_size=16, final_step="zscore", estimator_params={"max_epochs": 1}, random_state=0
    ),
    "multiscale": lambda: make_multiscale_detector(
        window_sizes=[16, 8],
        estimator=CNNGRUAE(max_epochs=1, module__hidden_size=4, random_state=0),
        random_state=0,
    ),
}
METHODS = ("score_samples", "decision_function", "predict")


@pytest.fixture(scope="module")
def series():
    X, y, _ = make_industrial_load(n_days=5, n_anomalies=2, random_state=0)
    return X[:384], y[:384], X[384:]


@pytest.fixture(scope="module")
def fitted(series):
    X, y, _ = series
    return {name: factory().fit(X, y) for name, factory in FACTORIES.items()}


def _round_trip(obj, tmp_path, **kwargs):
    path = tmp_path / "model.model"
    save(obj, path)
    return load(path, **kwargs)


# ------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("name", FACTORIES)
def test_factory_round_trip_gives_bit_identical_scores(name, fitted, series, tmp_path):
    X, _, X_new = series
    detector = fitted[name]
    loaded = _round_trip(detector, tmp_path)
    assert loaded is not detector
    for data in (X, X_new):
        for method in METHODS:
            np.testing.assert_array_equal(
                getattr(loaded, method)(data), getattr(detector, method)(data)
            )
    assert get_untrusted_types(tmp_path / "model.model") == []


def test_loaded_detector_clones_sets_params_and_refits_like_the_original(fitted, series, tmp_path):
    X, y, X_new = series
    detector = fitted["cnngru"]
    loaded = _round_trip(detector, tmp_path)
    params, loaded_params = detector.get_params(deep=False), loaded.get_params(deep=False)
    assert list(loaded_params) == list(params)
    assert repr(loaded) == repr(detector)
    assert loaded.get_params()["scorer__estimator__module__hidden_size"] == 4
    # a refit of the loaded detector and of a clone of the original agree bit for bit
    loaded.set_params(detector__n_estimators=20, scorer__estimator__lr=0.01)
    refit = clone(detector).set_params(detector__n_estimators=20, scorer__estimator__lr=0.01)
    np.testing.assert_array_equal(
        clone(loaded).fit(X, y).score_samples(X_new), refit.fit(X, y).score_samples(X_new)
    )
    np.testing.assert_array_equal(loaded.fit(X, y).score_samples(X_new), refit.score_samples(X_new))


def test_unfitted_detector_round_trip(series, tmp_path):
    X, y, X_new = series
    detector = FACTORIES["usad-zscore"]()
    loaded = _round_trip(detector, tmp_path)
    assert repr(loaded) == repr(detector)
    assert not hasattr(loaded, "n_features_in_")
    np.testing.assert_array_equal(
        loaded.fit(X, y).predict(X_new), detector.fit(X, y).predict(X_new)
    )


def test_saving_does_not_change_the_estimator(fitted, tmp_path):
    detector = fitted["lstmae"]
    before = joblib.hash(detector)
    save(detector, tmp_path / "a.model")
    assert joblib.hash(detector) == before


def test_files_are_reproducible_bytes(fitted, tmp_path):
    save(fitted["usad-zscore"], tmp_path / "a.model")
    save(fitted["usad-zscore"], tmp_path / "b.model")
    assert (tmp_path / "a.model").read_bytes() == (tmp_path / "b.model").read_bytes()


def test_file_bytes_do_not_depend_on_the_process_string_hashes(tmp_path):
    script = (
        "import sys; from ecoai_sklearn.persistence import save; "
        "save({'names': {'alpha', 'beta', 'gamma', 'delta', 'eps'}, 'n': frozenset('xyz')}, "
        "sys.argv[1])"
    )
    root = Path(__file__).resolve().parents[1]
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"{seed}.model")], env=env, check=True
        )
    assert (tmp_path / "1.model").read_bytes() == (tmp_path / "2.model").read_bytes()
    assert load(tmp_path / "1.model")["names"] == {"alpha", "beta", "gamma", "delta", "eps"}


def test_warm_start_continues_from_the_saved_optimizer_state(tmp_path):
    rng = np.random.default_rng(0)
    W = np.sin(np.linspace(0, 6.3, 16))[None, :] + 0.1 * rng.normal(size=(64, 16))
    ae = CNNGRUAE(max_epochs=1, warm_start=True, random_state=0, module__hidden_size=4)
    ae.fit(W)
    loaded = _round_trip(ae, tmp_path)
    net = loaded.net_
    # the optimizer updates the very parameters of the module, as before saving
    assert net.optimizer_.param_groups[0]["params"][0] is next(net.module_.parameters())
    assert len(net.optimizer_.state) == len(list(net.module_.parameters()))
    np.testing.assert_array_equal(loaded.fit(W).score_windows(W), ae.fit(W).score_windows(W))
    assert loaded.n_iter_ == ae.n_iter_ == 2


@pytest.mark.parametrize("case", ["early-stopping", "lr-scheduler", "sgd"])
def test_skorch_callbacks_and_optimizers_round_trip(case, tmp_path):
    W = np.random.default_rng(0).normal(size=(48, 12))
    tiny = {"max_epochs": 2, "random_state": 0, "module__hidden_size": 4}
    ae = {
        "early-stopping": lambda: CNNGRUAE(validation_fraction=0.25, **tiny),
        "lr-scheduler": lambda: CNNGRUAE(
            callbacks=[LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1),
                       GradientNormClipping(1.0)], **tiny),
        "sgd": lambda: CNNGRUAE(optimizer=torch.optim.SGD, optimizer__momentum=0.9, **tiny),
    }[case]().fit(W)  # fmt: skip
    loaded = _round_trip(ae, tmp_path)
    assert get_untrusted_types(tmp_path / "model.model") == []
    np.testing.assert_array_equal(loaded.score_windows(W), ae.score_windows(W))
    # training goes on from the restored optimizer state exactly as from the original
    loaded.set_params(warm_start=True, max_epochs=1)
    ae.set_params(warm_start=True, max_epochs=1)
    np.testing.assert_array_equal(loaded.fit(W).score_windows(W), ae.fit(W).score_windows(W))


def test_metadata_routing_requests_round_trip(tmp_path):
    W = np.random.default_rng(0).normal(size=(40, 3))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            IsolationForest(n_estimators=3, random_state=0),
        ).fit(W)
        loaded = _round_trip(pipe, tmp_path)
        assert get_untrusted_types(tmp_path / "model.model") == []
        assert str(loaded[0].get_metadata_routing()) == str(pipe[0].get_metadata_routing())
    np.testing.assert_array_equal(loaded.score_samples(W), pipe.score_samples(W))


def _nearest(X):
    return [NearestNeighbors(n_neighbors=3).fit(X),
            NearestNeighbors(n_neighbors=3, algorithm="ball_tree", metric="minkowski",
                             p=3).fit(X)]  # fmt: skip


@pytest.mark.parametrize("case", ["pca", "neighbors", "search", "ensemble", "per-series"])
def test_generic_sklearn_objects_round_trip(case, series, tmp_path):
    """Upcoming detectors: window PCA, kNN trees, grid search, lists and dicts of models."""
    X, y, X_new = series
    if case == "pca":
        obj = make_pipeline(MinMaxScaler(), PCA(n_components=2, random_state=0)).fit(X)
        check = [("transform", X_new), ("inverse_transform", obj.transform(X_new))]
    elif case == "neighbors":
        obj = _nearest(X)
        loaded = _round_trip(obj, tmp_path)
        for before, after in zip(obj, loaded):
            for got, want in zip(after.kneighbors(X_new), before.kneighbors(X_new)):
                np.testing.assert_array_equal(got, want)
        assert type(loaded[1]._tree).__name__ == "BallTree"
        return
    elif case == "search":
        rng = np.random.default_rng(0)
        Xs, ys = rng.normal(size=(300, 2)), np.zeros(300, dtype=int)
        ys[::25] = 1
        Xs[ys == 1] += 6.0
        obj = GridSearchCV(
            make_pipeline(MinMaxScaler(), IsolationForest(n_estimators=10, random_state=0)),
            {"isolationforest__contamination": [0.02, 0.05]},
            scoring=make_anomaly_scorer(["f1", "roc_auc"]),
            refit="f1",
            cv=TimeSeriesSplit(n_splits=2),
        ).fit(Xs, ys)
        loaded = _round_trip(obj, tmp_path)
        assert loaded.best_params_ == obj.best_params_
        assert loaded.cv_results_.keys() == obj.cv_results_.keys()
        param = "param_isolationforest__contamination"
        assert isinstance(loaded.cv_results_[param], np.ma.MaskedArray)
        np.testing.assert_array_equal(loaded.cv_results_[param], obj.cv_results_[param])
        assert loaded.scorer_(loaded, Xs, ys) == obj.scorer_(obj, Xs, ys)
        check = [("predict", Xs), ("score_samples", Xs)]
    elif case == "ensemble":
        obj = [IsolationForest(n_estimators=5, random_state=s).fit(X) for s in range(3)]
        loaded = _round_trip(obj, tmp_path)
        for before, after in zip(obj, loaded):
            np.testing.assert_array_equal(after.score_samples(X_new), before.score_samples(X_new))
        return
    else:
        obj = {("site", 1): IsolationForest(n_estimators=5, random_state=0).fit(X),
               "site-2": make_pipeline(MinMaxScaler(), PCA(1)).fit(X)}  # fmt: skip
        loaded = _round_trip(obj, tmp_path)
        assert list(loaded) == list(obj)
        np.testing.assert_array_equal(
            loaded[("site", 1)].predict(X_new), obj[("site", 1)].predict(X_new)
        )
        return
    loaded = _round_trip(obj, tmp_path)
    for method, data in check:
        np.testing.assert_array_equal(getattr(loaded, method)(data), getattr(obj, method)(data))


def test_plain_values_round_trip_exactly(tmp_path):
    shared = [1, 2]
    cyclic = []
    cyclic.append(cyclic)
    values = {
        "floats": [math.nan, math.inf, -math.inf, -0.0, 0.1, 1e308],
        "ints": [0, -1, 2**100, True, False, None],
        "text": ["", "é🙂", b"\x00\xff"],
        "numbers": [1 + 2j, slice(1, None, 2), range(0, 10, 3)],
        "containers": ((1, "a"), {3, 4}, frozenset({5}), collections.deque([1, 2], maxlen=3)),
        "ordered": collections.OrderedDict(b=1, a=2),
        "default": collections.defaultdict(list, {"x": [1]}),
        "keys": {1: "int", (2, "t"): "tuple", None: "none", 1.5: "float"},
        "shared": [shared, shared],
        "cyclic": cyclic,
        "scalars": [np.float32(0.1), np.int8(-3), np.bool_(True), np.str_("ab"),
                    np.datetime64("2026-01-02T03:04"), np.float64(np.nan)],
        "dtypes": [np.dtype("<f4"), np.dtype([("a", "<i8"), ("b", "<f8", (2,))]), np.float64],
        "arrays": [np.arange(6.0).reshape(2, 3, order="F"), np.array(3.5), np.empty((0, 4)),
                   np.array(["x", None, 3], dtype=object), np.array([b"ab", b"c"]),
                   np.ma.masked_array([1.0, 2.0], mask=[True, False])],
        "random": [np.random.RandomState(3), np.random.default_rng(4)],
        "torch": [torch.float16, torch.device("cpu"), torch.Generator().manual_seed(5),
                  torch.arange(4, dtype=torch.int16), torch.ones(2, requires_grad=True)],
    }  # fmt: skip
    values["random"][0].random_sample(3)  # a state other than the seed's
    loaded = _round_trip(values, tmp_path)

    floats = loaded["floats"]
    assert math.isnan(floats[0]) and floats[1:3] == [math.inf, -math.inf]
    assert math.copysign(1.0, floats[3]) == -1.0 and floats[4:] == [0.1, 1e308]
    assert loaded["ints"] == values["ints"] and type(loaded["ints"][3]) is bool
    for key in ("text", "numbers", "containers", "ordered", "keys"):
        assert loaded[key] == values[key] and type(loaded[key]) is type(values[key])
    assert loaded["containers"][3].maxlen == 3
    assert loaded["default"]["new"] == [] and loaded["default"]["x"] == [1]
    assert loaded["shared"][0] is loaded["shared"][1]
    assert loaded["cyclic"][0] is loaded["cyclic"]
    for got, want in zip(loaded["scalars"][:-1], values["scalars"]):
        assert type(got) is type(want) and got == want
    assert np.isnan(loaded["scalars"][-1]) and type(loaded["scalars"][-1]) is np.float64
    assert loaded["dtypes"] == values["dtypes"]
    for got, want in zip(loaded["arrays"], values["arrays"]):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert loaded["arrays"][0].flags.f_contiguous and loaded["arrays"][0].flags.writeable
    np.testing.assert_array_equal(loaded["arrays"][-1].mask, [True, False])
    assert loaded["random"][0].random_sample() == values["random"][0].random_sample()
    assert loaded["random"][1].random() == values["random"][1].random()
    assert loaded["torch"][:2] == values["torch"][:2]
    assert torch.equal(loaded["torch"][2].get_state(), values["torch"][2].get_state())
    assert torch.equal(loaded["torch"][3], values["torch"][3])
    assert loaded["torch"][4].requires_grad


def test_random_state_parameter_round_trip(series, tmp_path):
    X, _, _ = series
    forest = IsolationForest(n_estimators=5, random_state=np.random.RandomState(0))
    loaded = _round_trip(forest, tmp_path)
    np.testing.assert_array_equal(loaded.fit(X).score_samples(X), forest.fit(X).score_samples(X))


# ------------------------------------------------------------------------------ API details
def test_paths_metadata_and_read_metadata(fitted, tmp_path):
    metadata = {"columns": ["a", "b"], "info": {"period": 96, "ratio": 0.5, "ok": True}}
    save(fitted["usad-zscore"], str(tmp_path / "str.model"), metadata=metadata)
    save(fitted["usad-zscore"], tmp_path / "path.model", metadata=metadata)
    assert read_metadata(tmp_path / "str.model") == metadata
    assert read_metadata(str(tmp_path / "path.model")) == metadata
    assert read_metadata(_saved(MinMaxScaler(), tmp_path)) == {}


def _saved(obj, tmp_path, name="saved.model", **kwargs):
    path = tmp_path / name
    save(obj, path, **kwargs)
    return path


@pytest.mark.parametrize(
    "metadata, match",
    [
        (["a"], "metadata must be a dict or None, got list"),
        ({"a": object()}, "metadata must be JSON"),
        ({"a": math.nan}, "metadata must be JSON"),
        ({"a": (1, 2)}, "come back unchanged from JSON"),
        ({1: "a"}, "come back unchanged from JSON"),
    ],
)
def test_bad_metadata_is_a_type_error(metadata, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        save(MinMaxScaler(), tmp_path / "m.model", metadata=metadata)
    assert os.listdir(tmp_path) == []


def _local_function(x):
    return x


@pytest.mark.parametrize(
    "obj, match",
    [
        (make_pipeline(FunctionTransformer(lambda x: x)),
         r"estimator\.steps\[0\]\[1\]\.func: .*lambda"),
        ({"gen": (i for i in range(3))}, r"estimator\['gen'\]: a generator cannot be stored"),
        ({"mod": os}, r"estimator\['mod'\]: a module cannot be stored"),
        ([np.ones(2).view(np.matrix)], r"estimator\[0\]: arrays of type matrix"),
        ([torch.ones(2).to_sparse()], r"estimator\[0\]: a sparse or quantized tensor"),
        ([FunctionTransformer(print).fit_transform], r"estimator\[0\]: a method"),
    ],
)  # fmt: skip
def test_unsupported_objects_are_a_type_error_naming_their_path(obj, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        save(obj, tmp_path / "m.model")
    assert os.listdir(tmp_path) == []


def test_local_class_cannot_be_saved(tmp_path):
    class Local(BaseEstimator):
        pass

    with pytest.raises(TypeError, match=r"estimator \(class .*Local\): .*local class"):
        save(Local(), tmp_path / "m.model")


# ------------------------------------------------------------------------------ atomic writes
@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_no_partial_file_and_the_old_file_intact(
    error, fitted, tmp_path, monkeypatch
):
    path = _saved(MinMaxScaler(), tmp_path, "model.model")
    before = path.read_bytes()
    calls = []
    real = np.lib.format.write_array

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(type(error)):
        save(fitted["cnngru"], path)
    assert len(calls) == 3
    assert os.listdir(tmp_path) == ["model.model"]
    assert path.read_bytes() == before
    monkeypatch.undo()
    save(fitted["cnngru"], path)  # and a complete write replaces it
    assert os.listdir(tmp_path) == ["model.model"] and path.read_bytes() != before


def test_the_temporary_file_is_synced_then_renamed(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os,
        "replace",
        lambda a, b: (events.append(("replace", Path(a).parent)), real_replace(a, b))[1],
    )
    save(MinMaxScaler(), tmp_path / "m.model")
    assert events[0] == "fsync" and events[1] == ("replace", tmp_path)


# ------------------------------------------------------------------------------ not our files
def _rewrite(path, *, tree=None, manifest=None, members=None, drop=(), out=None):
    """Copy a model file with edited JSON members, replaced or added members."""
    members = dict(members or {})
    with zipfile.ZipFile(path) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    if tree is not None:
        contents["tree.json"] = json.dumps(tree(json.loads(contents["tree.json"]))).encode()
    if manifest is not None:
        contents["manifest.json"] = json.dumps(
            manifest(json.loads(contents["manifest.json"]))
        ).encode()
    contents.update(members)
    target = Path(out or path)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in contents.items():
            if name not in drop:
                archive.writestr(name, data)
    return target


def _edit(key, value):
    def edit(document):
        document[key] = value
        return document

    return edit


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "is not an ecoai_sklearn model file: an empty file"),
        (b"hello, world", "is not an ecoai_sklearn model file: not a zip container"),
        (b"ECOAI-SKLEARN-MODEL 1\n{}\n", "old pickle-based 'ecoai-detect' format"),
        (pickle.dumps({"a": 1}), "looks like a pickle .* open it with joblib.load only if"),
        (b"PK\x03\x04garbage", "is not a valid model file .*damaged zip"),
    ],
)
def test_files_that_are_not_model_files_are_refused(content, match, tmp_path):
    path = tmp_path / "x.model"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load(path)
    with pytest.raises(ValueError, match=match):
        read_metadata(path)


def test_missing_file_and_folder_are_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.model")
    with pytest.raises(IsADirectoryError):
        load(tmp_path)


@pytest.mark.parametrize(
    "edit, match",
    [
        (dict(manifest=_edit("format_version", 2)),
         "has model file format version 2 .*reads format version 1 only"),
        (dict(manifest=_edit("format", "other")), "is not an ecoai_sklearn model file .*format"),
        (dict(manifest=_edit("metadata", [1])), "its metadata is not a JSON object"),
        (dict(drop=["manifest.json"]), r"a zip file without manifest\.json"),
        (dict(drop=["tree.json"]), r"member 'tree\.json' is missing"),
        (dict(drop=["arrays/0.npy"]), r"member 'arrays/0\.npy' is missing"),
        (dict(members={"extra.bin": b"1"}), "unexpected member 'extra.bin'"),
        (dict(members={"tree.json": b"{not json"}), "member 'tree.json' is not valid JSON"),
        (dict(tree=lambda t: {"root": {"t": "ref", "id": 0}}),
         "reference to an undefined object 0"),
        (dict(tree=lambda t: {"root": {"t": "eval", "code": "1"}}), "unknown node kind 'eval'"),
        (dict(tree=lambda t: {"root": [[[[]]]]}), "unknown node kind 'list'"),
        (dict(tree=lambda t: {"root": {"t": ["list"]}}), r"unknown node kind \['list'\]"),
        (dict(tree=lambda t: {"root": {"t": "list", "id": 5, "items": []}}),
         "object id 5 out of order"),
        (dict(tree=lambda t: {"root": {"t": "dict", "id": 0, "items": [[{"t": "list", "id": 1,
                                                                          "items": []}, 1]]}}),
         "bad dict key: .*unhashable"),
        (dict(tree=lambda t: {"root": {"t": "scalar", "dtype": "|O", "hex": "00"}}),
         "object dtypes are refused"),
    ],
)  # fmt: skip
def test_damaged_or_foreign_containers_are_value_errors(edit, match, tmp_path):
    saved = PCA(1).fit(np.eye(3)) if "arrays/0.npy" in str(edit) else {"a": [1]}
    path = _rewrite(_saved(saved, tmp_path), **edit)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert str(info.value).startswith(str(path))
    assert FORMAT_VERSION == 1


def test_a_truncated_file_is_a_value_error(tmp_path):
    path = _saved(PCA(1).fit(np.eye(3)), tmp_path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ValueError, match="not a valid model file"):
        load(path)


def test_deeply_nested_trees_are_a_value_error(tmp_path):
    depth = 100_000
    nested = '{"t":"tuple","items":[' * depth + "]}" * depth
    path = _rewrite(_saved([], tmp_path), members={"tree.json": f'{{"root":{nested}}}'.encode()})
    with pytest.raises(ValueError, match="nested too deeply|not valid JSON"):
        load(path)
    shallow = '{"t":"tuple","items":[' * 400 + "]}" * 400  # valid JSON, deep objects
    _rewrite(path, members={"tree.json": f'{{"root":{shallow}}}'.encode()})
    with pytest.raises(ValueError, match="its objects are nested too deeply"):
        load(path)


# ------------------------------------------------------------------------------ crafted files
class _Payload:
    """Unpickling it creates the file ``marker``: what an attacker's pickle would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def marker(tmp_path):
    marker = tmp_path / "payload-ran"
    # the payload is live: unpickling it does create a marker
    pickle.loads(pickle.dumps(_Payload(tmp_path / "control"))).close()
    assert (tmp_path / "control").exists()
    yield marker
    assert not marker.exists(), "the payload of the crafted file ran"


@pytest.mark.parametrize("dump", [pickle.dump, joblib.dump])
def test_a_raw_pickle_is_refused_and_its_payload_never_runs(dump, marker, tmp_path):
    path = tmp_path / "evil.model"
    with open(path, "wb") as handle:
        dump({"estimator": _Payload(marker)}, handle)
    with pytest.raises(ValueError, match="looks like a pickle"):
        load(path)
    with pytest.raises(ValueError, match="looks like a pickle"):
        get_untrusted_types(path)


def _first(node, kind):
    """The first node of a kind in a tree (depth first)."""
    stack = [node]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            if item.get("t") == kind:
                return item
            stack[:0] = list(item.values())
        elif isinstance(item, list):
            stack[:0] = item
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def small_net():
    rng = np.random.default_rng(0)
    return CNNGRUAE(max_epochs=1, random_state=0, module__hidden_size=4).fit(
        rng.normal(size=(32, 8))
    )


def test_a_pickled_object_array_in_place_of_an_array_is_refused(marker, small_net, tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    path = _rewrite(_saved(small_net, tmp_path), members={"arrays/0.npy": buffer.getvalue()})
    with pytest.raises(ValueError, match=r"member 'arrays/0\.npy' holds Python objects"):
        load(path)


def test_a_torch_pickle_in_place_of_a_tensor_is_refused(marker, small_net, tmp_path):
    path = _saved(small_net, tmp_path)
    with zipfile.ZipFile(path) as archive:
        member = _first(json.loads(archive.read("tree.json")), "tensor")["member"]
    buffer = io.BytesIO()
    torch.save({"weight": _Payload(marker)}, buffer)
    _rewrite(path, members={member: buffer.getvalue()})
    with pytest.raises(ValueError, match=f"member '{member}' is not a valid .npy array"):
        load(path)


def test_a_pickle_added_as_an_extra_member_is_refused(marker, small_net, tmp_path):
    path = _rewrite(
        _saved(small_net, tmp_path), members={"net.pkl": pickle.dumps(_Payload(marker))}
    )
    with pytest.raises(ValueError, match="unexpected member 'net.pkl'"):
        load(path)


@pytest.mark.parametrize(
    "kind, name",
    [
        ("object", "os:system"),
        ("object", "subprocess:Popen"),
        ("function", "builtins:eval"),
        ("function", "builtins:exec"),
        ("type", "builtins:type"),
        ("function", "os:system"),
        ("function", "sklearn.base:warnings.warn"),  # a module reached through a module
        ("object", "ecoai_sklearn.persistence._container:zipfile.ZipFile"),
        ("function", "ecoai_sklearn._cli_model:load_model"),  # unpickles
        ("function", "ecoai_sklearn.cli:main"),
        ("object", "skorch.callbacks:Checkpoint"),
        ("object", "skorch.callbacks:LoadInitState"),
        ("function", "numpy:load"),
        ("function", "this:s"),  # importing 'this' would print; never imported
    ],
)
def test_a_class_or_function_outside_the_allowlist_is_refused(kind, name, small_net, tmp_path):
    def inject(tree):
        node = _first(tree, "object")
        node["state"]["payload"] = {"t": kind, "name": name, "class": name, "state": {},
                                    "id": 10**6}  # fmt: skip
        return tree

    path = _rewrite(_saved(small_net, tmp_path), tree=inject)
    dotted = name.replace(":", ".")
    with pytest.raises(ValueError, match=f"is refused: .*{dotted}") as info:
        load(path)
    assert "this" not in sys.modules
    assert dotted in get_untrusted_types(path)
    if "cannot be found" not in str(info.value):
        assert f"trusted=['{dotted}']" in str(info.value)


def test_nothing_is_built_when_one_name_is_refused(small_net, tmp_path, monkeypatch):
    def inject(tree):
        tree["root"]["state"]["zz_last"] = {"t": "function", "name": "os:system"}
        return tree

    path = _rewrite(_saved(small_net, tmp_path), tree=inject)
    built = []
    monkeypatch.setattr(CNNGRUAE, "__setstate__", lambda self, s: built.append(s), raising=False)
    with pytest.raises(ValueError, match="os.system"):
        load(path)
    assert built == []


class _Twice(TransformerMixin, BaseEstimator):
    """A user's own estimator: loaded only when trusted."""

    def fit(self, X, y=None):
        self.factor_ = 2.0
        return self

    def transform(self, X):
        return X * self.factor_


def test_user_classes_load_only_when_trusted(tmp_path):
    pipe = make_pipeline(_Twice(), PCA(1)).fit(np.eye(3))
    path = _saved(pipe, tmp_path)
    name = f"{_Twice.__module__}._Twice"
    assert get_untrusted_types(path) == [name]
    with pytest.raises(ValueError, match=f"the class {name} is not allowed .*trusted="):
        load(path)
    for trusted in ([_Twice], [name], name):
        np.testing.assert_array_equal(
            load(path, trusted=trusted).transform(np.eye(3)), pipe.transform(np.eye(3))
        )
    with pytest.raises(TypeError, match="trusted must hold classes"):
        load(path, trusted=[3])


def test_crafted_tree_indices_are_refused_before_sklearn_sees_them(tmp_path):
    forest = IsolationForest(n_estimators=2, random_state=0).fit(
        np.random.default_rng(0).random((50, 2))
    )
    path = _saved(forest, tmp_path)

    with zipfile.ZipFile(path) as archive:
        tree = json.loads(archive.read("tree.json"))
        node = _first(tree, "reduce")
        assert node["class"] == "sklearn.tree._tree:Tree"
        member = _first(node["state"], "ndarray")["member"]  # "nodes"
        nodes = np.load(io.BytesIO(archive.read(member)))
    nodes["left_child"][0] = 0  # node 0 would be its own child: an endless walk
    buffer = io.BytesIO()
    np.save(buffer, nodes)
    _rewrite(path, members={member: buffer.getvalue()})
    with pytest.raises(ValueError, match="Tree: child indices must follow their parent"):
        load(path)


def test_crafted_neighbour_tree_indices_are_refused(tmp_path):
    path = _saved(NearestNeighbors().fit(np.random.default_rng(0).random((40, 2))), tmp_path)
    with zipfile.ZipFile(path) as archive:
        tree = json.loads(archive.read("tree.json"))
    state = _first(tree, "reduce")["state"]
    assert state["t"] == "tuple"  # (data, idx_array, node_data, ...)
    idx_member = state["items"][1]["member"]
    buffer = io.BytesIO()
    np.save(buffer, np.full(40, 10**6, dtype=np.intp))
    _rewrite(path, members={idx_member: buffer.getvalue()})
    with pytest.raises(ValueError, match="idx_array must hold one index in range"):
        load(path)


def test_an_npy_header_larger_than_its_data_is_refused_before_allocating(tmp_path):
    path = _saved([np.zeros(3)], tmp_path)
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    _rewrite(path, members={"arrays/0.npy": buffer.getvalue() + b"\0" * 24})
    with pytest.raises(ValueError, match=r"has 24 bytes of data where its header"):
        load(path)


# ------------------------------------------------------------------------------ versions, devices
def test_other_package_versions_warn(tmp_path):
    def older(manifest):
        manifest["created_with"]["ecoai_sklearn"] = "0.0.1"
        return manifest

    path = _rewrite(_saved(MinMaxScaler(), tmp_path), manifest=older)
    with pytest.warns(UserWarning, match=r"other package versions: ecoai_sklearn 0\.0\.1"):
        load(path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_tensors_load_on_the_cpu_with_a_warning(small_net, tmp_path):
    def on_cuda(tree):
        stack = [tree]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if item.get("t") == "tensor":
                    item["device"] = "cuda:0"
                if item.get("class", "").endswith("_AutoencoderNet"):
                    item["state"]["device"] = "cuda"
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return tree

    path = _rewrite(_saved(small_net, tmp_path), tree=on_cuda)
    with pytest.warns(UserWarning, match="holds tensors on cuda"):
        loaded = load(path)
    assert loaded.net_.device == "cpu"
    W = np.random.default_rng(1).normal(size=(5, 8))
    np.testing.assert_array_equal(loaded.score_windows(W), small_net.score_windows(W))


def test_random_edits_of_a_tree_are_value_or_type_errors_naming_the_file(tmp_path):
    """A small fuzz: each edit loads or raises a ValueError/TypeError about the file."""
    import random

    obj = {"forest": IsolationForest(n_estimators=2, random_state=0).fit(np.eye(4)),
           "values": [1, 2.5, None, collections.deque([1]), np.random.RandomState(0)],
           "nodes": (np.float32(1), np.dtype("<i4"), {"k": np.arange(3)})}  # fmt: skip
    path = _saved(obj, tmp_path)
    with zipfile.ZipFile(path) as archive:
        tree = json.loads(archive.read("tree.json"))
    values = [None, True, -1, 2**70, 1.5, "", "object", "ref", "|O", [], {}, [1],
              {"t": "ref", "id": 0}, {"t": "list", "id": 999, "items": []}]  # fmt: skip
    rng = random.Random(0)
    target = tmp_path / "edited.model"
    for _ in range(150):
        edited = json.loads(json.dumps(tree))
        slots, stack = [], [edited]
        while stack:
            item = stack.pop()
            keys = item.keys() if isinstance(item, dict) else range(len(item))
            for key in keys:
                slots.append((item, key))
                if isinstance(item[key], dict | list):
                    stack.append(item[key])
        parent, key = rng.choice(slots)
        parent[key] = rng.choice(values)
        _rewrite(path, tree=lambda t, edited=edited: edited, out=target)
        try:
            load(target)
        except (ValueError, TypeError) as exc:
            assert str(exc).startswith(str(target)), exc
