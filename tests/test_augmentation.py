"""Tests of MIFGSMAugmenter and its MI-FGSM kernel (tiny autoencoders, few iterations)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils._param_validation import InvalidParameterError

from ecoai_sklearn.augmentation import MIFGSMAugmenter
from ecoai_sklearn.augmentation._attack import mifgsm_reconstruction
from ecoai_sklearn.neural import CNNGRUAE, LSTMAE

TINY_AE = dict(
    max_epochs=30,
    lr=1e-2,
    batch_size=16,
    random_state=0,
    module__conv_channels=(4,),
    module__kernel_size=3,
    module__hidden_size=8,
    module__latent_size=3,
)


def profiles(n=48, w=16, c=None, seed=0):
    """Noisy daily-like profiles in [0, 1]: 2D (n, w), or 3D (n, w, c) when c is given."""
    rng = np.random.default_rng(seed)
    t = np.arange(w) / w
    shape = (n, w) if c is None else (n, w, c)
    base = 0.5 + 0.3 * np.sin(2 * np.pi * t)
    if c is not None:
        base = base[:, None]
    return np.clip(base + 0.03 * rng.normal(size=shape), 0.0, 1.0)


@pytest.fixture(scope="module")
def data():
    return profiles()


@pytest.fixture(scope="module")
def ae(data):
    """A tiny CNN-GRU autoencoder fitted once on the 2D profiles."""
    return CNNGRUAE(**TINY_AE).fit(data)


def errors(estimator, X):
    return estimator.score_windows(X)


# ---------------------------------------------------------------------------- kernel oracle
class _LinearAE(torch.nn.Module):
    """x -> x mixed over time by A: loss and gradient have a closed form."""

    def __init__(self, A):
        super().__init__()
        self.A = torch.nn.Parameter(torch.as_tensor(A))

    def forward(self, x):
        return torch.einsum("btc,ts->bsc", x, self.A)


def _numpy_mifgsm(A, X, *, eps, step, n_iter, decay, grad_norm, low, high):
    """MI-FGSM written out with the analytic gradient of mean((x A - x) ** 2)."""
    n, w, c = X.shape
    M = A - np.eye(w)
    x, g = X.copy(), np.zeros_like(X)
    for _ in range(n_iter):
        r = np.einsum("btc,ts->bsc", x, M)
        grad = 2.0 / (w * c) * np.einsum("bsc,ts->btc", r, M)
        flat = grad.reshape(n, -1)
        if grad_norm == "l1":
            grad = grad / np.abs(flat).sum(axis=1)[:, None, None]
        elif grad_norm == "l2":
            grad = grad / np.sqrt((flat**2).sum(axis=1))[:, None, None]
        g = decay * g + grad
        x = np.clip(x + step * np.sign(g), X - eps, X + eps)
        if low is not None:
            x = np.clip(x, low, high)
    return x


@pytest.mark.parametrize("grad_norm", ["l1", "l2", None])
@pytest.mark.parametrize("decay", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("clip", [None, (0.1, 0.9)])
def test_kernel_matches_closed_form_mifgsm(grad_norm, decay, clip):
    rng = np.random.default_rng(1)
    w, c = 6, 2
    A = rng.normal(scale=0.4, size=(w, w))
    X = rng.uniform(0.2, 0.8, size=(7, w, c))
    low, high = (None, None) if clip is None else clip
    kwargs = dict(eps=0.15, step=0.04, n_iter=6, decay=decay, grad_norm=grad_norm)
    expected = _numpy_mifgsm(A, X, low=low, high=high, **kwargs)
    module = _LinearAE(A)  # float64 parameters: the kernel computes in float64
    got = mifgsm_reconstruction(module, X, low=low, high=high, batch_size=3, **kwargs)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert not np.allclose(got, X)  # the attack did move the samples


def test_kernel_leaves_module_untouched_and_restores_training_flag():
    module = _LinearAE(np.eye(4) * 0.5)
    module.train()
    before = module.A.detach().clone()
    X = np.full((2, 4, 1), 0.5)
    with torch.inference_mode():  # the attack needs gradients even inside a no-grad caller
        mifgsm_reconstruction(module, X, eps=0.1, step=0.05, n_iter=2)
    assert module.training
    assert module.A.grad is None
    assert torch.equal(module.A.detach(), before)


def test_kernel_zero_gradient_gives_no_step():
    # identity reconstruction: zero loss and zero gradient; no division by zero
    module = _LinearAE(np.eye(5))
    X = np.linspace(0, 1, 10).reshape(2, 5, 1)
    out = mifgsm_reconstruction(module, X, eps=0.2, step=0.1, n_iter=3)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out, X)


# ---------------------------------------------------------------------------- invariants
@settings(max_examples=15, deadline=None)
@given(
    eps=st.sampled_from([0.0, 1e-3, 0.05, 0.3]),
    n_iter=st.integers(1, 5),
    decay=st.sampled_from([0.0, 1.0, 2.0]),
    grad_norm=st.sampled_from(["l1", "l2", None]),
    clip=st.sampled_from(["auto", None, (0.0, 1.0)]),
    step_factor=st.sampled_from([None, 0.5, 3.0]),
    float32=st.booleans(),
)
def test_invariants_hold_exactly(
    ae, data, eps, n_iter, decay, grad_norm, clip, step_factor, float32
):
    X = data.astype(np.float32) if float32 else data.copy()
    X_before = X.copy()
    step = None if step_factor is None or eps == 0 else step_factor * eps
    augmenter = MIFGSMAugmenter(
        estimator=ae,
        eps=eps,
        step=step,
        n_iter=n_iter,
        decay=decay,
        grad_norm=grad_norm,
        clip=clip,
        label=0,
        random_state=0,
    )
    X_res, y_res = augmenter.fit_resample(X, None)
    n = X.shape[0]
    np.testing.assert_array_equal(X, X_before)  # input not mutated
    assert X_res.dtype == X.dtype
    np.testing.assert_array_equal(X_res[:n], X)  # originals unchanged and first
    copies, source = X_res[n:], X[augmenter.sample_indices_[n:]]
    assert copies.shape == X.shape
    assert np.all(np.abs(copies - source) <= X.dtype.type(eps))
    if clip is not None:
        low, high = (X.min(), X.max()) if clip == "auto" else clip
        assert copies.min() >= low and copies.max() <= high
    if eps == 0:
        np.testing.assert_array_equal(copies, source)
    np.testing.assert_array_equal(y_res, np.zeros(2 * n))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_eps_zero_returns_exact_copies(ae, data, dtype):
    X = data.astype(dtype)
    X_res, y_res = MIFGSMAugmenter(estimator=ae, eps=0.0, random_state=0).fit_resample(X)
    np.testing.assert_array_equal(X_res, np.concatenate([X, X]))
    np.testing.assert_array_equal(y_res, np.r_[np.zeros(len(X)), np.ones(len(X))])


def test_budget_is_reached_when_momentum_keeps_its_sign(ae, data):
    # eps / n_iter steps move each value by at most eps; most values go all the way
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.08, n_iter=8, label=0, clip=None)
    X_res, _ = augmenter.fit_resample(data)
    assert augmenter.step_ == pytest.approx(0.01)
    moved = np.abs(X_res[len(data) :] - data)
    assert np.isclose(moved, 0.08, atol=1e-6).mean() > 0.5


def test_attack_raises_error_more_than_uniform_noise(ae, data):
    eps = 0.05
    augmenter = MIFGSMAugmenter(estimator=ae, eps=eps, n_iter=10, label=0, clip=None)
    X_res, _ = augmenter.fit_resample(data)
    adversarial = X_res[len(data) :]
    rng = np.random.default_rng(0)
    uniform = data + rng.uniform(-eps, eps, size=data.shape)
    corners = data + eps * rng.choice([-1.0, 1.0], size=data.shape)  # noise at the budget
    e_clean, e_adv = errors(ae, data), errors(ae, adversarial)
    e_uniform, e_corners = errors(ae, uniform), errors(ae, corners)
    assert np.all(e_adv > e_clean)
    assert np.all(e_adv > e_uniform)
    assert np.all(e_adv > e_corners)
    # the increase over the clean error, which noise at the budget also gets
    assert (e_adv - e_clean).mean() > 2 * (e_corners - e_clean).mean()


def test_more_iterations_and_budget_raise_error_further(ae, data):
    def mean_error(**params):
        X_res, _ = MIFGSMAugmenter(estimator=ae, clip=None, label=0, **params).fit_resample(data)
        return errors(ae, X_res[len(data) :]).mean()

    assert mean_error(eps=0.02) < mean_error(eps=0.05) < mean_error(eps=0.1)
    assert mean_error(eps=0.1, n_iter=1, step=0.01) < mean_error(eps=0.1, n_iter=10)


def test_attack_is_deterministic_with_dropout_in_the_module(data):
    ae = CNNGRUAE(**{**TINY_AE, "max_epochs": 2, "module__dropout": 0.5}).fit(data)
    ae.module_.train()
    batch = torch.as_tensor(data[:, :, None], dtype=torch.float32)
    with torch.no_grad():
        assert not torch.equal(ae.module_(batch), ae.module_(batch))  # dropout is live
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.1, n_iter=3, label=0)
    first, _ = augmenter.fit_resample(data)
    second, _ = augmenter.fit_resample(data)
    np.testing.assert_array_equal(first, second)
    assert ae.module_.training  # the attack restores the module's mode


def test_3d_windows_and_per_channel_clip():
    X = profiles(n=30, w=12, c=2, seed=3)
    X[..., 1] = 5.0 + 10.0 * X[..., 1]  # second channel on another scale
    ae = LSTMAE(max_epochs=2, random_state=0, module__hidden_sizes=(6, 3)).fit(X)
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.5, n_iter=3, label=0)
    X_res, _ = augmenter.fit_resample(X)
    assert X_res.shape == (60, 12, 2)
    copies = X_res[30:]
    np.testing.assert_array_equal(augmenter.clip_[0], X.min(axis=(0, 1)))
    np.testing.assert_array_equal(augmenter.clip_[1], X.max(axis=(0, 1)))
    for ch in range(2):
        assert copies[..., ch].min() >= X[..., ch].min()
        assert copies[..., ch].max() <= X[..., ch].max()
    assert np.abs(copies - X).max() <= 0.5
    assert np.abs(copies - X).max() > 0.1


# ---------------------------------------------------------------------------- resampling
def _labels(n, anomalous):
    y = np.zeros(n, dtype=np.int64)
    y[anomalous] = 1
    return y


@pytest.mark.parametrize(
    "n_samples, label, expected",
    [
        ("auto", 1, 48 - 6 - 6),  # balances: normals minus anomalies
        ("auto", 0, 42),  # one copy per normal row
        (5, 1, 5),
        (0, 1, 0),
        (0.5, 1, 21),
        (0.01, 0, 1),  # a positive fraction gives at least one copy
        (1.0, 1, 42),
    ],
)
def test_number_of_copies_and_their_rows(ae, data, n_samples, label, expected):
    y = _labels(48, np.arange(0, 48, 8))
    augmenter = MIFGSMAugmenter(
        estimator=ae, eps=0.01, n_iter=1, n_samples=n_samples, label=label, random_state=0
    )
    X_res, y_res = augmenter.fit_resample(data, y)
    assert X_res.shape == (48 + expected, 16)
    np.testing.assert_array_equal(y_res, np.r_[y, np.full(expected, label)])
    chosen = augmenter.sample_indices_[48:]
    np.testing.assert_array_equal(augmenter.sample_indices_[:48], np.arange(48))
    assert np.all(y[chosen] == 0)  # only normal rows are copied
    assert np.all(np.diff(chosen) > 0)  # distinct rows, in input order


def test_random_state_selects_the_rows(ae, data):
    def chosen(seed):
        augmenter = MIFGSMAugmenter(estimator=ae, eps=0.0, n_samples=10, random_state=seed)
        augmenter.fit_resample(data)
        return augmenter.sample_indices_[48:]

    np.testing.assert_array_equal(chosen(1), chosen(1))
    assert not np.array_equal(chosen(1), chosen(2))


def test_y_none_and_single_class_y_are_accepted(ae, data):
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.01, n_iter=1)
    X_none, y_none = augmenter.fit_resample(data, None)
    X_zero, y_zero = augmenter.fit_resample(data, np.zeros(48, dtype=int))
    np.testing.assert_array_equal(X_none, X_zero)
    np.testing.assert_array_equal(y_none, y_zero)
    np.testing.assert_array_equal(y_none, np.r_[np.zeros(48), np.ones(48)])


def test_label_codes_bool_and_float_y(ae, data):
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.01, n_iter=1, n_samples=3, random_state=0)
    kinds = np.zeros(48, dtype=int)
    kinds[[1, 2]] = [2, 5]
    # the package's one label rule: codes of anomaly kinds are not 0/1 labels
    with pytest.raises(ValueError, match=r"y must contain only 0 .normal. and 1.*\[0, 2, 5\]"):
        augmenter.fit_resample(data, kinds)
    _, y_res = augmenter.fit_resample(data, (kinds > 0).astype(int))
    assert np.all(kinds[augmenter.sample_indices_[48:]] == 0)
    np.testing.assert_array_equal(y_res[48:], [1, 1, 1])
    _, y_bool = augmenter.fit_resample(data, kinds > 0)
    assert y_bool.dtype == bool and y_bool[48:].all()
    _, y_float = augmenter.fit_resample(data, (kinds > 0).astype(float))
    assert y_float.dtype == np.float64


def test_y_without_normal_rows_warns_and_copies_nothing(data):
    ae = CNNGRUAE(**{**TINY_AE, "max_epochs": 1})
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.1)
    with pytest.warns(UserWarning, match="no normal row"):
        X_res, y_res = augmenter.fit_resample(data[:8], np.ones(8, dtype=int))
    np.testing.assert_array_equal(X_res, data[:8])
    np.testing.assert_array_equal(y_res, np.ones(8))


def test_pandas_in_pandas_out(ae, data):
    X = pd.DataFrame(data, columns=[f"t{i}" for i in range(16)], index=np.arange(48) + 100)
    y = pd.Series(_labels(48, [0]), name="label", index=X.index)
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.01, n_iter=1, n_samples=4, random_state=0)
    X_res, y_res = augmenter.fit_resample(X, y)
    assert list(X_res.columns) == list(X.columns)
    assert y_res.name == "label" and len(y_res) == len(X_res) == 52
    np.testing.assert_array_equal(X_res.to_numpy()[:48], data)
    np.testing.assert_array_equal(augmenter.feature_names_in_, X.columns)


# ---------------------------------------------------------------------------- estimator
def test_fitted_estimator_is_used_as_is(ae, data):
    weights = {k: v.clone() for k, v in ae.module_.state_dict().items()}
    n_iter = ae.n_iter_
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.05).fit(data)
    assert augmenter.estimator_ is ae
    assert ae.n_iter_ == n_iter
    for key, value in ae.module_.state_dict().items():
        assert torch.equal(value, weights[key])


def test_unfitted_estimator_is_cloned_and_fitted_on_normal_rows(data):
    ae = CNNGRUAE(**{**TINY_AE, "max_epochs": 1})
    y = _labels(48, np.arange(12))
    augmenter = MIFGSMAugmenter(estimator=ae, eps=0.05).fit(data, y)
    assert augmenter.estimator_ is not ae
    assert not hasattr(ae, "net_")
    # fitted on the 36 normal rows only: the same as fitting the clone on them directly
    direct = clone(ae).fit(data[12:])
    np.testing.assert_allclose(
        augmenter.estimator_.score_windows(data), direct.score_windows(data), rtol=1e-6
    )


def test_default_estimator_is_a_small_cnngru_autoencoder():
    X = profiles(n=24, w=4, seed=2)
    augmenter = MIFGSMAugmenter(eps=0.05, n_iter=2, random_state=0)
    X_res, _ = augmenter.fit_resample(X)
    assert isinstance(augmenter.estimator_, CNNGRUAE)
    assert augmenter.estimator_.module_.encoder_conv[0].kernel_size == (3,)  # odd, <= w
    again = MIFGSMAugmenter(eps=0.05, n_iter=2, random_state=0).fit_resample(X)[0]
    np.testing.assert_array_equal(X_res, again)  # random_state seeds the default estimator


def test_frozen_estimator_survives_clone(ae, data):
    augmenter = clone(MIFGSMAugmenter(estimator=FrozenEstimator(ae), eps=0.05))
    augmenter.fit(data)
    assert augmenter.estimator_.estimator is ae


def test_estimator_without_torch_module_is_rejected(data):
    with pytest.raises(TypeError, match="module_"):
        MIFGSMAugmenter(estimator=PCA(2)).fit(data)


def test_estimator_fitted_on_other_windows_is_rejected(ae):
    with pytest.raises(ValueError, match="window_length_=16"):
        MIFGSMAugmenter(estimator=ae).fit(profiles(n=10, w=20))
    with pytest.raises(ValueError, match="n_channels_=1"):
        MIFGSMAugmenter(estimator=ae).fit(profiles(n=10, w=16, c=2))


# ---------------------------------------------------------------------------- input errors
@pytest.mark.parametrize(
    "params, match",
    [
        ({"eps": -0.1}, "'eps'"),
        ({"n_iter": 0}, "'n_iter'"),
        ({"step": 0.0}, "'step'"),
        ({"decay": -1.0}, "'decay'"),
        ({"grad_norm": "linf"}, "'grad_norm'"),
        ({"label": 2}, "'label'"),
        ({"n_samples": 1.5}, "'n_samples'"),
        ({"batch_size": 0}, "'batch_size'"),
        ({"clip": [0, 1]}, "'clip'"),
    ],
)
def test_invalid_parameters_are_named(data, params, match):
    with pytest.raises(InvalidParameterError, match=match):
        MIFGSMAugmenter(**params).fit_resample(data)


@pytest.mark.parametrize("clip", [(1.0, 0.0), (0.0,), ("a", "b")])
def test_invalid_clip_tuple(ae, data, clip):
    with pytest.raises(ValueError, match="clip must be"):
        MIFGSMAugmenter(estimator=ae, clip=clip).fit_resample(data)


def test_data_outside_clip_warns(ae, data):
    with pytest.warns(UserWarning, match="outside clip"):
        X_res, _ = MIFGSMAugmenter(estimator=ae, clip=(0.2, 0.8), eps=0.01).fit_resample(data)
    assert X_res[48:].min() >= 0.2 and X_res[48:].max() <= 0.8


def test_too_many_copies_requested(ae, data):
    with pytest.raises(ValueError, match="n_samples=49 copies requested.*48 normal"):
        MIFGSMAugmenter(estimator=ae, n_samples=49).fit_resample(data)


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.ones((4, 3, 2, 1)), None, ValueError, "2D array .* or a 3D array"),
        (np.ones(5), None, ValueError, "2D array"),
        (np.array([[0.0, np.nan]] * 4), None, ValueError, "NaN"),
        ("abc", None, TypeError, "string"),
        (np.ones((4, 3)), np.zeros(3), ValueError, "inconsistent numbers of samples"),
        (np.ones((4, 3)), np.array([0, 1, np.nan, 0]), ValueError, "y contains NaN"),
        (np.ones((4, 3, 0)), None, ValueError, "0 feature|0 channels"),
    ],
)
def test_bad_input_raises_clear_errors(ae, X, y, error, match):
    with pytest.raises(error, match=match):
        MIFGSMAugmenter(estimator=ae).fit_resample(X, y)


def test_fit_returns_self_without_resampling_state(ae, data):
    augmenter = MIFGSMAugmenter(estimator=ae)
    assert augmenter.fit(data) is augmenter
    assert augmenter.n_features_in_ == 16
    assert not hasattr(augmenter, "sample_indices_")


# ---------------------------------------------------------------------------- pipelines
class _RecordingAE(BaseEstimator):
    """Final step that remembers what it was fitted on and what it scored."""

    def fit(self, X, y=None):
        self.fit_shape_ = X.shape
        self.fit_y_ = None if y is None else np.asarray(y).copy()
        return self

    def score_samples(self, X):
        self.scored_shape_ = X.shape
        return -np.mean(X.reshape(len(X), -1), axis=1)

    def score(self, X, y=None):
        return float(np.mean(self.score_samples(X)))


def test_imblearn_pipeline_resamples_at_fit_only(ae, data):
    pipe = Pipeline(
        [
            ("augment", MIFGSMAugmenter(estimator=ae, eps=0.02, n_iter=2, label=0)),
            ("model", _RecordingAE()),
        ]
    )
    pipe.fit(data)
    assert pipe.named_steps["model"].fit_shape_ == (96, 16)
    np.testing.assert_array_equal(pipe.named_steps["model"].fit_y_, np.zeros(96))
    pipe.score_samples(data[:10])
    assert pipe.named_steps["model"].scored_shape_ == (10, 16)


def test_grid_search_over_the_augmenter(ae, data):
    pipe = Pipeline(
        [
            ("augment", MIFGSMAugmenter(estimator=FrozenEstimator(ae), n_iter=2, label=0)),
            ("model", _RecordingAE()),
        ]
    )
    search = GridSearchCV(pipe, {"augment__eps": [0.0, 0.05]}, cv=KFold(2)).fit(data)
    assert search.best_params_["augment__eps"] in (0.0, 0.05)
    assert search.best_estimator_.named_steps["model"].fit_shape_ == (96, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = search.score_samples(data)
    assert scores.shape == (48,)


# ---------------------------------------------------------------------------- scorer
def _trained_rows(estimator):
    """Rows the autoencoder saw in its first epoch (skorch records each batch size)."""
    return sum(batch["train_batch_size"] for batch in estimator.history_[0]["batches"])


def test_scorer_trains_only_its_autoencoder_on_adversarial_copies(ae, data):
    from ecoai_sklearn.scoring import DTWReconstructionScorer

    y = _labels(48, [5, 30])
    augmenter = MIFGSMAugmenter(estimator=FrozenEstimator(ae), eps=0.05, label=0)
    detector = CNNGRUAE(**{**TINY_AE, "max_epochs": 3})
    scorer = DTWReconstructionScorer(
        detector, grain="sample", metric="mse", augmenter=augmenter
    ).fit(data, y)
    assert _trained_rows(scorer.estimator_) == 48 + 46  # every normal row plus its copy
    assert scorer.transform(data).shape == (48, 1)  # the copies never reach the features
    # the same autoencoder as one trained by hand on the resampled windows
    windows = data[:, :, np.newaxis]
    X_res, y_res = clone(augmenter).fit_resample(windows, y)
    np.testing.assert_array_equal(y_res, np.r_[y, np.zeros(46)])
    by_hand = clone(detector).fit(X_res)
    np.testing.assert_allclose(
        scorer.estimator_.score_windows(data), by_hand.score_windows(data), rtol=1e-5
    )


def test_scorer_does_not_train_on_synthetic_anomalies(ae, data):
    from ecoai_sklearn.scoring import DTWReconstructionScorer

    augmenter = MIFGSMAugmenter(estimator=FrozenEstimator(ae), eps=0.05, label=1)
    detector = CNNGRUAE(**{**TINY_AE, "max_epochs": 1})
    scorer = DTWReconstructionScorer(detector, grain="sample", metric="mse", augmenter=augmenter)
    with pytest.warns(UserWarning, match="none labelled 0"):
        scorer.fit(data, np.zeros(48, dtype=int))
    assert _trained_rows(scorer.estimator_) == 48
