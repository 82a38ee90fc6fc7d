"""Tests of the autoencoders in ecoai_sklearn.neural (tiny nets, few epochs)."""

import copy
import pickle
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import estimator_checks
from skorch.callbacks import Callback

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.neural import (
    CNNGRUAE,
    LSTMAE,
    USAD,
    CNNGRUModule,
    LSTMAEModule,
    USADModule,
    reset_parameters,
)

TINY = {
    CNNGRUAE: dict(
        module__conv_channels=(4,),
        module__kernel_size=3,
        module__hidden_size=8,
        module__latent_size=3,
    ),
    LSTMAE: dict(module__hidden_sizes=(8, 3)),
    USAD: dict(module__hidden_sizes=(8, 4), module__latent_size=3),
}
MODELS = list(TINY)


def tiny(cls, **params):
    kwargs = {"max_epochs": 2, "batch_size": 16, "random_state": 0, **TINY[cls], **params}
    return cls(**kwargs)


def sine_windows(n=60, w=12, c=2, seed=0):
    """Noisy phase-shifted sines in [0, 1] (USAD's sigmoid output needs that range)."""
    rng = np.random.default_rng(seed)
    t = np.arange(w)[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1, c))
    return 0.5 + 0.35 * np.sin(2 * np.pi * t / w + phase) + 0.02 * rng.normal(size=(n, w, c))


def state(est):
    return {k: v.detach().clone() for k, v in est.module_.state_dict().items()}


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


# --------------------------------------------------------------------- shapes / oracles
@pytest.mark.parametrize("cls", MODELS)
def test_shapes_3d_input(cls):
    X = sine_windows()
    est = tiny(cls).fit(X)
    latent = est.transform(X)
    assert latent.shape == (60, 3) and latent.dtype == np.float32
    assert est.reconstruct(X).shape == X.shape
    assert est.inverse_transform(latent).shape == X.shape
    assert est.score_windows(X).shape == (60,)
    assert (est.window_length_, est.n_channels_, est.n_features_in_) == (12, 2, 12)
    assert list(est.get_feature_names_out()) == [f"{cls.__name__.lower()}{i}" for i in range(3)]


@pytest.mark.parametrize("cls", MODELS)
def test_2d_input_is_one_channel(cls):
    X2 = sine_windows(c=1)[:, :, 0]
    est2 = tiny(cls).fit(X2)
    est3 = tiny(cls).fit(X2[:, :, None])
    assert_same_state(state(est2), state(est3))
    assert est2.reconstruct(X2).shape == X2.shape
    assert est2.reconstruct(X2[:, :, None]).shape == X2[:, :, None].shape
    assert est2.inverse_transform(est2.transform(X2)).shape == X2.shape
    assert est3.inverse_transform(est3.transform(X2)).ndim == 3
    np.testing.assert_array_equal(est2.score_windows(X2), est3.score_windows(X2))


@pytest.mark.parametrize("cls", [CNNGRUAE, LSTMAE])
def test_score_windows_is_mse_of_reconstruction(cls):
    X = sine_windows()
    est = tiny(cls).fit(X)
    expected = ((X - est.reconstruct(X).astype(np.float64)) ** 2).mean(axis=(1, 2))
    np.testing.assert_allclose(est.score_windows(X), expected, rtol=1e-5)
    np.testing.assert_allclose(est.score(X), -expected.mean(), rtol=1e-5)


def test_usad_score_windows_formula():
    X = sine_windows()
    usad = tiny(USAD, alpha=0.3, beta=0.7).fit(X)
    module = usad.module_
    with torch.no_grad():
        x = torch.tensor(X, dtype=torch.float32)
        w1 = module.decoder1(module.encoder(x.reshape(60, -1))).numpy().reshape(X.shape)
        w3 = module.decoder2(module.encoder(torch.tensor(w1).reshape(60, -1))).numpy()
    err1 = ((X - w1) ** 2).mean(axis=(1, 2))
    err3 = ((X - w3.reshape(X.shape)) ** 2).mean(axis=(1, 2))
    np.testing.assert_allclose(usad.score_windows(X), 0.3 * err1 + 0.7 * err3, rtol=1e-5)
    np.testing.assert_allclose(usad.reconstruct(X), w1, rtol=1e-6)
    # score ignores alpha/beta: it is the AE1 reconstruction loss
    np.testing.assert_allclose(usad.score(X), -err1.mean(), rtol=1e-5)


@pytest.mark.parametrize("cls", MODELS)
def test_inverse_transform_of_transform_is_reconstruct(cls):
    X = sine_windows()
    est = tiny(cls).fit(X)
    np.testing.assert_allclose(
        est.inverse_transform(est.transform(X)), est.reconstruct(X), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("cls", MODELS)
def test_batched_inference_matches_single_pass(cls):
    X = sine_windows(n=50)
    est = tiny(cls).fit(X)
    np.testing.assert_allclose(
        est.reconstruct(X, batch_size=7), est.reconstruct(X, batch_size=50), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        est.score_windows(X, batch_size=3), est.score_windows(X), rtol=1e-5, atol=1e-9
    )


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 20), w=st.integers(1, 9), c=st.integers(1, 3), latent=st.integers(1, 4))
def test_shape_contract_property(n, w, c, latent):
    X = np.random.default_rng(n).uniform(size=(n, w, c))
    est = LSTMAE(
        max_epochs=1, random_state=0, module__hidden_sizes=(4,), module__latent_size=latent
    )
    Z = est.fit(X).transform(X)
    assert Z.shape == (n, latent)
    assert est.reconstruct(X).shape == (n, w, c)
    assert est.inverse_transform(Z).shape == (n, w, c)


# --------------------------------------------------------------------- training oracles
class _InitialState(Callback):
    """Records the module's weights when training starts."""

    def on_train_begin(self, net, **kwargs):
        self.state_ = copy.deepcopy(net.module_.state_dict())


def test_training_matches_plain_adam_loop():
    # full batch, no dropout: two epochs are two Adam steps on mse(module(X), X)
    X = sine_windows(n=32)
    recorder = _InitialState()
    est = CNNGRUAE(
        max_epochs=2,
        lr=0.01,
        batch_size=32,
        callbacks=[recorder],
        random_state=0,
        **{**TINY[CNNGRUAE], "module__dropout": 0.0},
    ).fit(X)
    module = CNNGRUModule(
        2, 12, conv_channels=(4,), kernel_size=3, hidden_size=8, latent_size=3, dropout=0.0
    )
    module.load_state_dict(recorder.state_)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    x = torch.tensor(X, dtype=torch.float32)
    losses = []
    for _ in range(2):
        optimizer.zero_grad()
        loss = torch.mean((module(x) - x) ** 2)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    for key, value in module.state_dict().items():
        torch.testing.assert_close(est.module_.state_dict()[key], value, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(est.history_[:, "train_loss"], losses, rtol=1e-5)


@pytest.mark.parametrize("cap", [1.0, 0.3])
def test_usad_training_matches_paper_losses(cap):
    # cap=1 is the paper's schedule exactly; a cap replaces 1 - 1/n by min(1 - 1/n, cap)
    X = sine_windows(n=32)
    recorder = _InitialState()
    usad = USAD(
        max_epochs=3,
        lr=0.01,
        batch_size=32,
        callbacks=[recorder],
        random_state=0,
        max_adversarial_weight=cap,
        module__activation="relu",
        **TINY[USAD],
    ).fit(X)
    module = USADModule(2, 12, hidden_sizes=(8, 4), latent_size=3, activation="relu")
    module.load_state_dict(recorder.state_)
    enc, dec1, dec2 = module.encoder, module.decoder1, module.decoder2
    opt1 = torch.optim.Adam([*enc.parameters(), *dec1.parameters()], lr=0.01)
    opt2 = torch.optim.Adam([*enc.parameters(), *dec2.parameters()], lr=0.01)
    w = torch.tensor(X, dtype=torch.float32).reshape(32, -1)
    l1s, l2s = [], []
    for n in (1, 2, 3):
        a = min(1 - 1 / n, cap)
        for opt, phase in ((opt1, 1), (opt2, 2)):
            module.zero_grad(set_to_none=True)
            z = enc(w)
            w1, w2 = dec1(z), dec2(z)
            w3 = dec2(enc(w1))
            if phase == 1:
                loss = (1 - a) * torch.mean((w - w1) ** 2) + a * torch.mean((w - w3) ** 2)
                l1s.append(loss.item())
            else:
                loss = (1 - a) * torch.mean((w - w2) ** 2) - a * torch.mean((w - w3) ** 2)
                l2s.append(loss.item())
            loss.backward()
            opt.step()
    for key, value in module.state_dict().items():
        torch.testing.assert_close(usad.module_.state_dict()[key], value, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(usad.history_[:, "train_loss"], l1s, rtol=1e-5)
    np.testing.assert_allclose(
        [b[0]["train_loss2"] for b in usad.history_[:, "batches"]], l2s, rtol=1e-5, atol=1e-7
    )
    expected = [min(1 - 1 / n, cap) for n in (1, 2, 3)]
    np.testing.assert_allclose(usad.history_[:, "adversarial_weight"], expected)


def test_reset_parameters_matches_pytorch_default_bounds():
    module = LSTMAEModule(3, 5, hidden_sizes=(16, 4), latent_size=2)
    reset_parameters(module, torch.Generator().manual_seed(0))
    # PyTorch's defaults: U(-1/sqrt(hidden), 1/sqrt(hidden)) for LSTMs,
    # U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Linear
    lstm_weight = module.encoder_rnn.layers[0].weight_ih_l0.detach()
    assert 0.9 / 4 < float(lstm_weight.abs().max()) <= 1 / 4
    latent_weight = module.to_latent.weight.detach()  # Linear(4 -> 2)
    assert 0.4 < float(latent_weight.abs().max()) <= 1 / 2


# --------------------------------------------------------------------- randomness
@pytest.mark.parametrize("cls", MODELS)
def test_same_seed_same_weights_other_seed_other_weights(cls):
    X = sine_windows()
    a, b = tiny(cls).fit(X), tiny(cls).fit(X)
    assert_same_state(state(a), state(b))
    c = tiny(cls, random_state=1).fit(X)
    assert not all(torch.equal(state(a)[k], state(c)[k]) for k in state(a))


def test_unseeded_fits_differ():
    X = sine_windows()
    a, b = tiny(CNNGRUAE, random_state=None).fit(X), tiny(CNNGRUAE, random_state=None).fit(X)
    assert not torch.equal(a.module_.to_latent.weight, b.module_.to_latent.weight)


def test_same_seed_in_parallel_threads():
    # dropout is on (0.1): masks, shuffling and weights must not touch torch's global RNG
    X = sine_windows()
    est = tiny(CNNGRUAE, max_epochs=3, **{"module__dropout": 0.3})
    sequential = state(clone(est).fit(X))
    fitted = joblib.Parallel(n_jobs=2, backend="threading")(
        joblib.delayed(clone(est).fit)(X) for _ in range(2)
    )
    assert_same_state(state(fitted[0]), state(fitted[1]))
    # Against a fit in the main thread: equal up to float32 rounding. Worker threads can
    # run torch's CPU kernels with another intra-op thread count than the main thread,
    # which changes summation order (seen as a rare failure of bitwise equality in the full
    # suite, never alone); a seeding fault would differ by far more than this tolerance.
    for key, value in state(fitted[0]).items():
        torch.testing.assert_close(value, sequential[key], rtol=1e-4, atol=1e-5, msg=key)


def test_global_torch_seed_does_not_matter():
    X = sine_windows()
    with torch.random.fork_rng():  # the global stream is restored for the other tests
        torch.manual_seed(1)
        a = state(tiny(LSTMAE, **{"module__dropout": 0.5}).fit(X))
        torch.manual_seed(2)
        b = state(tiny(LSTMAE, **{"module__dropout": 0.5}).fit(X))
    assert_same_state(a, b)


@pytest.mark.parametrize("cls", MODELS)
def test_fit_leaves_the_global_torch_stream_alone(cls):
    X = sine_windows()
    with torch.random.fork_rng():
        torch.manual_seed(3)
        expected = torch.rand(4)
        torch.manual_seed(3)
        tiny(cls, **{"module__dropout": 0.5} if cls is not USAD else {}).fit(X).transform(X)
        after = torch.rand(4)
    assert torch.equal(after, expected)


class _FirstBatch(Callback):
    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and not hasattr(self, "batch_"):
            self.batch_ = batch[0].clone()


def test_shuffling_is_on_by_default_and_routable():
    X = sine_windows(n=40)
    first = torch.tensor(X[:16], dtype=torch.float32)
    shuffled, ordered = _FirstBatch(), _FirstBatch()
    tiny(LSTMAE, callbacks=[shuffled]).fit(X)
    tiny(LSTMAE, callbacks=[ordered], iterator_train__shuffle=False).fit(X)
    assert not torch.equal(shuffled.batch_, first)
    assert torch.equal(ordered.batch_, first)


# --------------------------------------------------------------------- training options
def test_no_validation_split_unless_asked():
    X = sine_windows(n=100)
    est = tiny(LSTMAE, batch_size=10).fit(X)
    assert est.history_[-1, "train_batch_count"] == 10
    assert "valid_loss" not in est.history_[-1]


def test_validation_fraction_holds_back_the_last_windows_and_stops_early():
    X = sine_windows(n=100)
    valid_batches = []

    class Valid(Callback):
        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            if not training:
                valid_batches.append(batch[0].numpy().copy())

    # lr so small that the validation loss never improves: stops after patience epochs
    est = tiny(
        LSTMAE,
        batch_size=10,
        lr=1e-12,
        max_epochs=20,
        validation_fraction=0.2,
        n_iter_no_change=3,
        callbacks=[Valid()],
    ).fit(X)
    assert est.history_[-1, "train_batch_count"] == 8
    assert est.history_[-1, "valid_batch_count"] == 2
    np.testing.assert_allclose(np.concatenate(valid_batches[:2]), X[80:], rtol=1e-6)
    assert est.n_iter_ == 4  # first epoch sets the best score, then 3 misses


def test_warm_start_continues_training():
    X = sine_windows()
    est = tiny(USAD, warm_start=True).fit(X)
    module = est.module_
    est.fit(X)
    assert est.module_ is module
    assert est.n_iter_ == 4 and len(est.history_) == 4
    cold = tiny(USAD).fit(X).fit(X)
    assert cold.n_iter_ == 2


def test_warm_start_rejects_other_window_length():
    est = tiny(LSTMAE, warm_start=True).fit(sine_windows(w=12))
    with pytest.raises(ValueError, match="features"):
        est.fit(sine_windows(w=10))


def test_verbose_prints_epoch_table(capsys):
    tiny(LSTMAE, verbose=1).fit(sine_windows())
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out
    tiny(LSTMAE).fit(sine_windows())
    assert capsys.readouterr().out == ""


def test_y_is_ignored():
    X = sine_windows()
    y = np.arange(60) % 2
    assert_same_state(state(tiny(CNNGRUAE).fit(X, y)), state(tiny(CNNGRUAE).fit(X)))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64])
def test_any_real_dtype_trains_as_float32(dtype):
    X = (sine_windows() * 100).astype(dtype)
    ref = tiny(LSTMAE).fit(X.astype(np.float32))
    est = tiny(LSTMAE).fit(X)
    assert_same_state(state(est), state(ref))
    assert est.reconstruct(X).dtype == np.float32


def test_device_auto_is_cpu_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    est = tiny(LSTMAE).fit(sine_windows())
    assert est.net_.device == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        tiny(LSTMAE, device="cuda").fit(sine_windows())


# --------------------------------------------------------------------- inputs
@pytest.mark.parametrize("cls", MODELS)
def test_inputs_are_not_mutated(cls):
    X = sine_windows().astype(np.float32)
    X_copy = X.copy()
    est = tiny(cls).fit(X)
    est.transform(X), est.reconstruct(X), est.score_windows(X)
    np.testing.assert_array_equal(X, X_copy)


def test_read_only_strided_views_are_accepted():
    series = np.linspace(0, 1, 300).reshape(150, 2)
    windows = np.lib.stride_tricks.sliding_window_view(series, 12, axis=0).transpose(0, 2, 1)
    assert not windows.flags.writeable and not windows.flags.c_contiguous
    est = tiny(CNNGRUAE).fit(windows)
    np.testing.assert_allclose(
        est.reconstruct(windows), est.reconstruct(np.ascontiguousarray(windows)), rtol=1e-6
    )


def test_inference_converts_one_batch_at_a_time():
    # 50,000 windows of 96 steps as a zero-copy broadcast: a whole float32 copy would
    # allocate 19 MB, batches of 1,024 windows allocate 0.4 MB
    est = tiny(USAD, module__latent_size=2).fit(sine_windows(n=40, w=96, c=1))
    windows = np.broadcast_to(sine_windows(n=1, w=96, c=1), (50_000, 96, 1))
    tracemalloc.start()
    scores = est.score_windows(windows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert scores.shape == (50_000,)
    assert peak < 5_000_000


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_windows_are_rejected(cls, bad):
    X = sine_windows()
    X[3, 4, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        tiny(cls).fit(X)
    est = tiny(cls).fit(sine_windows())
    with pytest.raises(ValueError, match="NaN|infinity"):
        est.reconstruct(X)


@pytest.mark.parametrize(
    "X",
    [
        "windows",
        [["a", "b"], ["c", "d"]],
        np.array([["0.5", "1"], ["2", "3"]]),  # numeric text is not parsed silently
        np.array([[1.0, "a"]], dtype=object),
    ],
)
def test_text_windows_get_a_type_error(X):
    with pytest.raises(TypeError, match="X must be a numeric array of windows"):
        tiny(LSTMAE).fit(X)


@pytest.mark.parametrize("shape", [(4, 0, 2), (4, 12, 0)])
def test_empty_windows_are_rejected(shape):
    # before, a zero-length window reached the module and was reported as a bad
    # module__ parameter
    with pytest.raises(ValueError, match="X has empty windows"):
        tiny(LSTMAE).fit(np.zeros(shape))


@pytest.mark.parametrize("shape", [(10,), (4, 12, 2, 1)])
def test_wrong_rank_is_rejected(shape):
    with pytest.raises(ValueError, match="2D"):
        tiny(LSTMAE).fit(np.zeros(shape))


def test_window_shorter_than_kernel_is_rejected():
    with pytest.raises(ValueError, match="kernel_size=7"):
        CNNGRUAE(max_epochs=1).fit(sine_windows(w=5))
    with pytest.raises(ValueError, match="kernel_size=3"):
        tiny(CNNGRUAE).fit(sine_windows(w=2))


@pytest.mark.parametrize("cls", MODELS)
def test_channel_or_length_change_is_rejected(cls):
    est = tiny(cls).fit(sine_windows(c=2))
    with pytest.raises(ValueError, match=r"1 channel\(s\).*fitted on windows with 2"):
        est.transform(sine_windows(c=1))
    with pytest.raises(ValueError, match="X has 10 features"):
        est.reconstruct(sine_windows(w=10))
    with pytest.raises(ValueError, match="latent codes of size 3"):
        est.inverse_transform(np.zeros((4, 5)))


def test_parameter_errors_name_the_parameter():
    X = sine_windows()
    with pytest.raises(ValueError, match="module__hiden_size"):
        CNNGRUAE(module__hiden_size=4).fit(X)
    with pytest.raises(TypeError, match="'hidden_size'.*module__hidden_size"):
        CNNGRUAE(hidden_size=4).fit(X)
    with pytest.raises(ValueError, match="max_epochs"):
        CNNGRUAE(max_epochs=0).fit(X)
    with pytest.raises(ValueError, match="dropout"):
        LSTMAE(module__dropout=1.5).fit(X)
    with pytest.raises(ValueError, match="activation"):
        CNNGRUAE(module__activation="swish").fit(X)
    with pytest.raises(ValueError, match="latent_size"):
        USAD(module__latent_size=0).fit(X)


def test_unfitted_methods_raise():
    est = LSTMAE()
    for method in (est.transform, est.reconstruct, est.score_windows, est.score):
        with pytest.raises(NotFittedError):
            method(sine_windows())


def test_usad_warns_outside_unit_interval():
    with pytest.warns(UserWarning, match=r"sigmoid.*\[0, 1\]"):
        tiny(USAD).fit(sine_windows() * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny(USAD).fit(sine_windows())
        # MinMaxScaler rounding (1 + 2e-16, or float32's 1 + 1e-7) is no reason to warn
        tiny(USAD).fit(np.clip(sine_windows() * 1.1, 0, 1 + 1e-7))
        tiny(USAD, module__output_activation="identity").fit(sine_windows() * 3)


# --------------------------------------------------------------------- sklearn API
def test_params_are_routed_and_cloned():
    est = CNNGRUAE(lr=0.01, module__hidden_size=8, optimizer__weight_decay=1e-4)
    params = est.get_params()
    assert params["module__hidden_size"] == 8 and params["optimizer__weight_decay"] == 1e-4
    est.set_params(module__latent_size=5, lr=0.02)
    twin = clone(est)
    assert twin.get_params()["module__latent_size"] == 5 and twin.lr == 0.02
    twin.fit(sine_windows(w=12))
    assert twin.module_.latent_size == 5
    assert twin.module_.to_latent.in_features == 8
    assert twin.net_.optimizer_.param_groups[0]["weight_decay"] == 1e-4
    assert "module__hidden_size=8" in repr(est)


@pytest.mark.parametrize("cls", MODELS)
def test_pickle_and_joblib_round_trip(cls, tmp_path):
    X = sine_windows()
    est = tiny(cls).fit(X)
    expected = est.score_windows(X)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.score_windows(X), expected)
    joblib.dump(est, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").score_windows(X), expected)
    # a reloaded model keeps training
    loaded.set_params(warm_start=True).fit(X)
    assert loaded.n_iter_ == 4


def test_model_saved_on_cuda_loads_on_cpu():
    X = sine_windows()
    est = tiny(LSTMAE).fit(X)
    expected = est.score_windows(X)
    est.net_.device = "cuda"  # what a GPU-trained net records
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    with pytest.warns(UserWarning, match="CUDA"):
        loaded = pickle.loads(pickle.dumps(est))
    assert torch.device(loaded.net_.device).type == "cpu"
    np.testing.assert_array_equal(loaded.score_windows(X), expected)


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_set_output_transform,
        estimator_checks.check_set_output_transform_pandas,
        estimator_checks.check_transformer_get_feature_names_out,
        estimator_checks.check_transformer_get_feature_names_out_pandas,
        estimator_checks.check_dataframe_column_names_consistency,
    ],
)
def test_sklearn_checks_outside_check_estimator(check):
    # these checks are not yielded by check_estimator in scikit-learn 1.9
    est = CNNGRUAE(max_epochs=1, **{**TINY[CNNGRUAE], "module__kernel_size": 1})
    check("CNNGRUAE", est)


def test_grid_search_over_module_and_lr_in_a_pipeline():
    X = sine_windows(n=48, c=1)[:, :, 0]
    y = np.zeros(48, dtype=int)
    pipe = Pipeline([("scale", MinMaxScaler()), ("ae", tiny(LSTMAE))])
    grid = GridSearchCV(
        pipe,
        {"ae__module__hidden_sizes": [(4,), (8, 3)], "ae__lr": [1e-3, 1e-2]},
        cv=KFold(2),
    )
    grid.fit(X, y)  # labels pass through the pipeline and are ignored
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert grid.best_score_ == scores.max()
    assert grid.best_estimator_.named_steps["ae"].get_params()["module__hidden_sizes"] in [
        (4,),
        (8, 3),
    ]
    assert grid.score(X) == pytest.approx(grid.best_estimator_.score(X))


def test_pipeline_after_fft_windower():
    from ecoai_sklearn.windowing import FFTWindower

    X, y, _ = make_industrial_load(n_days=4, n_anomalies=2, random_state=0)
    pipe = Pipeline(
        [("scale", MinMaxScaler()), ("win", FFTWindower(window_size=16)), ("ae", tiny(CNNGRUAE))]
    )
    codes = pipe.fit(X, y).transform(X)
    assert codes.shape == (len(X), 3)  # one row per timestamp
    windows = pipe[:-1].transform(X)
    assert windows.shape == (len(X), 16, 4)
    ae = pipe.named_steps["ae"]
    assert ae.reconstruct(windows).shape == windows.shape
    np.testing.assert_allclose(ae.score_windows(np.array(windows)), ae.score_windows(windows))


# --------------------------------------------------------------------- detection
KINDS = ("spike", "surge", "sag", "outage", "noise")


def industrial_windows(seed, kinds, n_anomalies, stride, w=24):
    X, y, _ = make_industrial_load(
        n_days=14,
        anomaly_kinds=kinds,
        n_anomalies=n_anomalies,
        anomaly_scale=2.0,
        random_state=seed,
    )
    windows = np.lib.stride_tricks.sliding_window_view(X, w, axis=0).transpose(0, 2, 1)
    labels = np.lib.stride_tricks.sliding_window_view(y, w).max(axis=1)
    return windows[::stride], labels[::stride]


@pytest.fixture(scope="module")
def industrial():
    """Clean training windows and held-back windows with injected events, in [0, 1]."""
    train, _ = industrial_windows(0, (), 0, stride=2)
    test, labels = industrial_windows(100, KINDS, 10, stride=4)
    low, high = train.min(axis=(0, 1)), train.max(axis=(0, 1))
    return (train - low) / (high - low), (test - low) / (high - low), labels


DETECTORS = {
    CNNGRUAE: dict(
        max_epochs=10,
        lr=3e-3,
        module__conv_channels=(8,),
        module__kernel_size=5,
        module__hidden_size=16,
        module__latent_size=8,
    ),
    LSTMAE: dict(max_epochs=10, lr=3e-3, module__hidden_sizes=(16, 8)),
    USAD: dict(max_epochs=30, lr=1e-3),
}


@pytest.mark.parametrize("cls", MODELS)
def test_reconstruction_error_separates_anomalous_windows(cls, industrial):
    train, test, labels = industrial
    assert 0.2 < labels.mean() < 0.5
    est = cls(random_state=0, batch_size=32, **DETECTORS[cls]).fit(train)
    auc = roc_auc_score(labels, est.score_windows(test))
    assert auc > 0.75, auc  # 0.83-0.89 on this data; chance is 0.5


@pytest.mark.slow
@pytest.mark.parametrize("cls", MODELS)
def test_default_models_separate_anomalous_windows_over_seeds(cls):
    aucs = []
    for seed in range(3):
        X, _, _ = make_industrial_load(n_days=28, n_anomalies=0, random_state=seed)
        train = np.lib.stride_tricks.sliding_window_view(X, 24, axis=0).transpose(0, 2, 1)
        test, labels = industrial_windows(seed + 100, KINDS, 10, stride=4)
        low, high = train.min(axis=(0, 1)), train.max(axis=(0, 1))
        est = cls(random_state=seed).fit((train - low) / (high - low))
        aucs.append(roc_auc_score(labels, est.score_windows((test - low) / (high - low))))
    assert min(aucs) > 0.75 and np.mean(aucs) > 0.8, aucs


# --------------------------------------------------------------------- USAD's fix
def _usad_on_industrial(industrial, **params):
    """USAD fitted on the clean windows; ROC AUCs of AE1's error and of the paper's
    mixed score on the held-back windows, and the fraction of AE2(AE1(W)) saturated."""
    train, test, labels = industrial
    usad = USAD(max_epochs=10, random_state=0, device="cpu", **params).fit(train)
    with torch.no_grad():
        w3 = usad.module_.usad_outputs(torch.tensor(test, dtype=torch.float32))[2]
    saturated = float(((w3 < 1e-3) | (w3 > 1 - 1e-3)).float().mean())
    auc = roc_auc_score(labels, usad.score_windows(test))
    mixed = roc_auc_score(labels, usad.set_params(alpha=0.5, beta=0.5).score_windows(test))
    return auc, mixed, saturated


def test_usad_defaults_keep_ae2_alive_and_beat_the_paper_schedule(industrial):
    # the paper's adversarial weight 1 - 1/n passes 1/2 after epoch 2: AE2 then maximises
    # its error on every window and its sigmoid saturates, which ruins the mixed score
    # and, through the shared encoder, AE1's; capped at 0.1, AE2 keeps reconstructing
    paper = _usad_on_industrial(industrial, max_adversarial_weight=1.0, module__activation="relu")
    auc, mixed, saturated = _usad_on_industrial(industrial)
    assert paper[2] > 0.9, paper  # 1.00 saturated
    assert saturated < 0.05, saturated  # 0.00
    assert auc > 0.93, auc  # 0.957; the same budget with the old defaults: 0.838
    assert auc > paper[0] + 0.05, (auc, paper)
    assert mixed > 0.9 and mixed > paper[1] + 0.1, (mixed, paper)  # 0.938 against 0.568


# ------------------------------------------------------- magnitudes and nested checks (#13)
@pytest.mark.parametrize("cls", MODELS)
def test_values_beyond_float32_are_refused_not_scored_nan(cls):
    X = sine_windows(n=32, w=12, c=1)
    # #13: fit(W * 1e39).score_windows(W * 1e39) gave all-NaN scores
    with pytest.raises(ValueError, match=rf"beyond the float32 range .* {cls.__name__}"):
        tiny(cls, max_epochs=1).fit(X * 1e39)
    fitted = tiny(cls, max_epochs=1).fit(X)
    for method in ("score_windows", "reconstruct", "transform", "score"):
        with pytest.raises(ValueError, match="beyond the float32 range"):
            getattr(fitted, method)(X * 1e39)


@pytest.mark.parametrize("cls", [CNNGRUAE, LSTMAE])
def test_errors_of_large_float32_windows_are_finite(cls):
    # squared in float64: an error of 1e40 is fine, float32 made it inf
    X = sine_windows(n=32, w=12, c=1)
    fitted = tiny(cls, max_epochs=1).fit(X)
    scores = fitted.score_windows(X * 1e20)
    assert np.all(np.isfinite(scores)) and scores.min() > 1e38
    reconstruction = fitted.reconstruct(X * 1e20).astype(np.float64)
    expected = np.mean((reconstruction - X * 1e20) ** 2, axis=(1, 2))
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


def test_float32_overflow_inside_the_model_is_an_error_not_nan():
    X = sine_windows(n=32, w=12, c=1)
    usad = tiny(USAD, max_epochs=1).fit(X)  # its score squares in float32
    with pytest.raises(ValueError, match="USAD computed NaN or inf from X .* overflowed"):
        usad.score_windows(X * 1e25)


def test_diverged_training_is_refused():
    X = sine_windows(n=32, w=12, c=1)
    estimator = tiny(CNNGRUAE, max_epochs=2, lr=1e30)  # NaN weights, NaN scores before
    with pytest.raises(ValueError, match="training diverged: its weights are NaN or inf"):
        estimator.fit(X)
    assert not hasattr(estimator, "net_")
    # a warm start that diverges leaves no fitted net behind either
    warm = tiny(CNNGRUAE, max_epochs=1, warm_start=True).fit(X)
    with pytest.raises(ValueError, match="training diverged"):
        warm.set_params(lr=1e30).fit(X)
    with pytest.raises(NotFittedError):
        warm.score_windows(X)


@pytest.mark.parametrize("cls", MODELS)
def test_parameters_are_checked_when_nested_validation_is_skipped(cls):
    # #13: a meta-estimator's _fit_context(prefer_skip_nested_validation=True) skipped
    # them, and DTWReconstructionScorer(CNNGRUAE(max_epochs=0)) fitted an untrained model
    from sklearn import config_context

    X = sine_windows(n=32, w=12, c=1)
    with config_context(skip_parameter_validation=True):
        with pytest.raises(ValueError, match=f"'max_epochs' parameter of {cls.__name__}"):
            tiny(cls, max_epochs=0).fit(X)
        with pytest.raises(TypeError, match="unexpected parameter 'hidden'"):
            tiny(cls, hidden=3).fit(X)


def test_a_meta_estimator_cannot_fit_an_invalid_autoencoder():
    from ecoai_sklearn.scoring import DTWReconstructionScorer

    windows = sine_windows(n=40, w=12, c=1)
    scorer = DTWReconstructionScorer(tiny(CNNGRUAE, max_epochs=0), grain="sample")
    with pytest.raises(ValueError, match="'max_epochs' parameter of CNNGRUAE"):
        scorer.fit(windows)
    with pytest.raises(ValueError, match="'batch_size' parameter of LSTMAE"):
        DTWReconstructionScorer(tiny(LSTMAE, batch_size=True), grain="sample").fit(windows)


# ------------------------------------------------------------------ torch threads (#12)
@pytest.mark.parametrize("cls", MODELS)
def test_n_threads_sets_torch_threads_for_the_call_and_restores_them(cls, monkeypatch):
    seen = []
    fit = cls._fit

    def spy(self, X):
        seen.append(torch.get_num_threads())
        return fit(self, X)

    monkeypatch.setattr(cls, "_fit", spy)
    before = torch.get_num_threads()
    X = sine_windows(n=32, w=12, c=1)
    model = tiny(cls, max_epochs=1, n_threads=2).fit(X)
    assert seen == [2] and torch.get_num_threads() == before
    one = tiny(cls, max_epochs=1, n_threads=1).fit(X).score_windows(X)
    # results agree across thread counts to float rounding
    np.testing.assert_allclose(model.score_windows(X), one, rtol=1e-4, atol=1e-7)
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="'n_threads'"):
        tiny(cls, n_threads=0).fit(X)
