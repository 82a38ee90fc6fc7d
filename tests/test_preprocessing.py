"""Tests for ecoai_sklearn.preprocessing: SeriesKNNImputer and Differencer."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.impute import KNNImputer
from sklearn.pipeline import make_pipeline

from ecoai_sklearn.datasets import make_industrial_load
from ecoai_sklearn.preprocessing import Differencer, SeriesKNNImputer

# ---------------------------------------------------------------------------------------------
# Differencer

SQUARES = np.array([[1.0], [4.0], [9.0], [16.0], [25.0]])


@pytest.mark.parametrize(
    "order, lag, expected",
    [
        (0, 1, [1, 4, 9, 16, 25]),
        (1, 1, [0, 3, 5, 7, 9]),
        (2, 1, [0, 0, 2, 2, 2]),
        (3, 1, [0, 0, 0, 0, 0]),
        (1, 2, [0, 0, 8, 12, 16]),
        (2, 2, [0, 0, 0, 0, 8]),
        (1, 5, [0, 0, 0, 0, 0]),
        (1, 9, [0, 0, 0, 0, 0]),
    ],
)
def test_differencer_hand_computed(order, lag, expected):
    diff = Differencer(order=order, lag=lag).fit(np.ones((max(order * lag, 1), 1)))
    assert_array_equal(diff.transform(SQUARES).ravel(), expected)


def test_differencer_fill_value_and_matches_pandas():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    for order in range(4):
        for lag in (1, 2, 7):
            Z = Differencer(order=order, lag=lag, fill_value=np.nan).fit_transform(X)
            reference = pd.DataFrame(X)
            for _ in range(order):
                reference = reference.diff(periods=lag)
            assert_allclose(Z, reference.to_numpy(), equal_nan=True)
            assert np.isnan(Z[: order * lag]).all() and not np.isnan(Z[order * lag :]).any()
            if lag == 1:
                assert_allclose(Z[order:], np.diff(X, n=order, axis=0))


def test_differencer_round_trip_and_prefixes():
    X = np.random.default_rng(1).normal(size=(200, 2)).cumsum(axis=0)
    diff = Differencer(order=2, lag=3).fit(X)
    assert_array_equal(diff.initial_rows_, X[:6])
    assert_allclose(diff.inverse_transform(diff.transform(X)), X, rtol=1e-12, atol=1e-10)
    # any prefix of the fit data, which starts with the same rows, round-trips too
    for m in (3, 6, 7, 50):
        assert_allclose(diff.inverse_transform(diff.transform(X[:m])), X[:m], atol=1e-10)
    # the filled first rows are ignored, even when NaN
    Z = diff.transform(X)
    Z[:6] = np.nan
    assert_allclose(diff.inverse_transform(Z), X, atol=1e-10)
    # other data is rebuilt from the stored start: same differences, fit data's start
    other = X + np.arange(200)[:, np.newaxis] ** 2 * 0.01 + 5.0
    rebuilt = diff.inverse_transform(diff.transform(other))
    assert_allclose(rebuilt[:6], X[:6])
    assert_allclose(diff.transform(rebuilt)[6:], diff.transform(other)[6:], atol=1e-8)


def test_differencer_chunk_matches_longer_series_after_its_edge():
    X = np.random.default_rng(2).normal(size=(100, 2))
    diff = Differencer(order=1, lag=4, fill_value=-1.0).fit(X)
    full, chunk = diff.transform(X), diff.transform(X[40:])
    assert_array_equal(chunk[:4], -1.0)
    assert_allclose(chunk[4:], full[44:])


@settings(max_examples=60, deadline=None)
@given(
    order=st.integers(0, 3),
    lag=st.integers(1, 5),
    extra=st.integers(0, 30),
    n_channels=st.integers(1, 3),
    data=st.data(),
)
def test_differencer_round_trip_property(order, lag, extra, n_channels, data):
    n = order * lag + extra
    if n == 0:
        n = 1
    # integer-valued floats: differences and sums are exact, so the round trip is exact
    ints = data.draw(arrays(np.int64, (n, n_channels), elements=st.integers(-1000, 1000)))
    X = ints.astype(np.float64)
    diff = Differencer(order=order, lag=lag).fit(X)
    assert_array_equal(diff.inverse_transform(diff.transform(X)), X)
    floats = data.draw(
        arrays(np.float64, (n, n_channels), elements=st.floats(-1e3, 1e3, allow_nan=False))
    )
    diff = Differencer(order=order, lag=lag).fit(floats)
    assert_allclose(diff.inverse_transform(diff.transform(floats)), floats, atol=1e-8)


def test_differencer_dtype_pandas_and_no_mutation():
    X = np.arange(12, dtype=np.float32).reshape(6, 2) ** 2
    copy = X.copy()
    diff = Differencer(order=1).fit(X)
    Z = diff.transform(X)
    assert Z.dtype == np.float32
    diff.inverse_transform(Z)
    assert_array_equal(X, copy)
    frame = pd.DataFrame(X, columns=["industrial", "general"])
    out = Differencer().set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == ["industrial", "general"]
    assert_array_equal(Differencer().fit(frame).get_feature_names_out(), ["industrial", "general"])


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((0, 2)), ValueError, "0 sample"),
        (np.zeros((4, 2, 2)), ValueError, "dim 3"),
        ([1.0, 2.0, 3.0], ValueError, "2D array"),
        ([["a", "b"], ["c", "d"]], TypeError, "X must be a numeric array"),
        # numpy would parse "1.5" as 1.5: text stays text
        (np.array([["1.5", "2"], ["3", "4"]]), TypeError, "numeric array .*dtype <U"),
        ("1.5", TypeError, "got a string"),
        ([[1.0, np.inf], [2.0, 3.0]], ValueError, "infinity"),
        ([[1.0, np.nan], [2.0, 3.0]], ValueError, "NaN, but Differencer .*SeriesKNNImputer"),
    ],
)
def test_differencer_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        Differencer().fit(X)
    fitted = Differencer().fit(np.ones((5, 2)))
    with pytest.raises(error, match=match):
        fitted.transform(X)


def test_differencer_bad_params_and_sizes():
    with pytest.raises(ValueError, match="order"):
        Differencer(order=-1).fit(SQUARES)
    with pytest.raises(ValueError, match="lag"):
        Differencer(lag=0).fit(SQUARES)
    with pytest.raises(ValueError, match=r"order \* lag = 6 rows"):
        Differencer(order=2, lag=3).fit(SQUARES)
    diff = Differencer().fit(np.ones((5, 2)))
    with pytest.raises(ValueError, match="2 features"):
        diff.transform(np.ones((5, 3)))
    with pytest.raises(ValueError, match="finite differences"):
        diff.inverse_transform([[0.0, 0.0], [np.nan, 1.0]])


# ---------------------------------------------------------------------------------------------
# SeriesKNNImputer

DAY_A = np.array([1.0, 5.0, 9.0, 5.0])
DAY_B = np.array([2.0, 7.0, 12.0, 6.0])


def _days(*days):
    return np.concatenate(days)[:, np.newaxis]


def test_imputer_hand_computed_neighbours():
    X = _days(DAY_A, DAY_B, DAY_A, DAY_B, DAY_A)
    X[6, 0] = np.nan  # phase 2 of the first DAY_B: the other DAY_B is at distance 0
    out = SeriesKNNImputer(n_neighbors=1, period=4).fit_transform(X)
    assert out[6, 0] == 12.0
    # two neighbours: the other DAY_B (distance 0) and a DAY_A (distance sqrt(4/3 * 9))
    out = SeriesKNNImputer(n_neighbors=2, period=4).fit_transform(X)
    assert out[6, 0] == pytest.approx((12.0 + 9.0) / 2)
    # distance weights: the zero-distance neighbour takes all the weight
    out = SeriesKNNImputer(n_neighbors=2, period=4, weights="distance").fit_transform(X)
    assert out[6, 0] == 12.0


def test_imputer_equals_knnimputer_on_the_cycle_matrix():
    # The documented equivalence: KNNImputer on the (n_cycles, period) matrix of a channel.
    X, _, _ = make_industrial_load(n_days=30, n_anomalies=0, random_state=0)
    rng = np.random.default_rng(0)
    Xm = np.where(rng.random(X.shape) < 0.1, np.nan, X)
    out = SeriesKNNImputer(n_neighbors=3, period=96, align="start").fit_transform(Xm)
    for c in range(X.shape[1]):
        cycles = Xm[:, c].reshape(30, 96)
        expected = KNNImputer(n_neighbors=3).fit_transform(cycles).ravel()
        assert_allclose(out[:, c], expected)


def test_identical_cycles_are_reconstructed_exactly_at_every_edge():
    day = np.sin(np.linspace(0, 2 * np.pi, 24, endpoint=False)) + 2.0
    X = np.tile(day, 10)[:, np.newaxis] * [1.0, 3.0]
    Xm = X.copy()
    Xm[:7, 0] = np.nan  # leading gap (partial first cycle)
    Xm[-5:, 1] = np.nan  # trailing gap (partial last cycle)
    Xm[48:72, 0] = np.nan  # a whole missing day
    Xm[100:130, 1] = np.nan  # a gap across midnight
    imputer = SeriesKNNImputer(period=24).fit(Xm)
    assert_allclose(imputer.transform(Xm), X)
    assert_allclose(imputer.profile_, X[:24])
    assert_array_equal(imputer.phase_counts_[:7, 0], 8)  # 10 days, 2 without those phases


def test_whole_missing_day_gets_the_mean_training_profile():
    X = _days(DAY_A, DAY_B, DAY_A, DAY_B)
    X[4:8, 0] = np.nan
    imputer = SeriesKNNImputer(period=4).fit(X)
    expected = (DAY_A + DAY_A + DAY_B) / 3
    assert_allclose(imputer.profile_[:, 0], expected)
    assert_allclose(imputer.transform(X)[4:8, 0], expected)


def test_cycle_blank_in_one_channel_borrows_neighbours_from_the_others():
    # Channel 0 tells the day type (A or B); channel 1 follows it with its own shape.
    kinds = [0, 1, 0, 1, 1, 0, 1, 0]
    shapes0, shapes1 = (DAY_A, DAY_B), (DAY_A * 10, DAY_B * 10 + 3)
    X = np.column_stack(
        [np.concatenate([shapes0[k] for k in kinds]), np.concatenate([shapes1[k] for k in kinds])]
    )
    X[12:16, 1] = np.nan  # day 3 (type B) blank in channel 1
    X[20:24, 1] = np.nan  # day 5 (type A) blank in channel 1
    out = SeriesKNNImputer(n_neighbors=2, period=4).fit_transform(X)
    assert_allclose(out[12:16, 1], DAY_B * 10 + 3)
    assert_allclose(out[20:24, 1], DAY_A * 10)
    # blank in every channel: the mean profile
    X[24:28] = np.nan
    imputer = SeriesKNNImputer(period=4).fit(X)
    assert_allclose(imputer.transform(X)[24:28], imputer.profile_)


def test_phase_never_observed_in_training_is_interpolated_from_the_profile():
    X = _days(DAY_A, DAY_A, DAY_A)
    X[2::4, 0] = np.nan  # phase 2 never observed
    imputer = SeriesKNNImputer(period=4).fit(X)
    assert_array_equal(imputer.phase_counts_[:, 0], [3, 3, 0, 3])
    assert imputer.profile_[2, 0] == pytest.approx((5.0 + 5.0) / 2)  # between phases 1 and 3
    assert_allclose(imputer.transform(X)[2::4, 0], 5.0)
    # circular: an unobserved phase 0 lies between phase 3 (end) and phase 1
    X = _days(DAY_A, DAY_A)
    X[0::4, 0] = np.nan
    imputer = SeriesKNNImputer(period=4).fit(X)
    assert imputer.profile_[0, 0] == pytest.approx((5.0 + 5.0) / 2)


def test_new_data_is_filled_from_the_training_pool_only():
    train = _days(DAY_A, DAY_B, DAY_A, DAY_B)
    imputer = SeriesKNNImputer(n_neighbors=1, period=4, align="start").fit(train)
    test = _days(np.array([2.0, 7.0, np.nan, np.nan]), np.array([np.nan, 5.0, 9.0, np.nan]))
    out = imputer.transform(test)
    assert_array_equal(out.ravel(), [2, 7, 12, 6, 1, 5, 9, 5])
    # an all-missing channel in new data gets the training profile
    out = imputer.transform(np.full((6, 1), np.nan))
    assert_allclose(out.ravel(), np.resize((DAY_A + DAY_B) / 2, 6))


def test_align_profile_finds_the_phase_of_an_offset_chunk():
    day = np.array([0.0, 1, 4, 9, 6, 3, 2, 1])
    X = np.tile(day, 12)[:, np.newaxis] + np.repeat(np.arange(12) % 3, 8)[:, np.newaxis] * 0.1
    train, test = X[:64], X[64 + 3 :].copy()  # test starts at phase 3
    test_missing = test.copy()
    test_missing[[2, 9, 10, 20]] = np.nan
    aligned = SeriesKNNImputer(n_neighbors=2, period=8).fit(train).transform(test_missing)
    assert_allclose(aligned, test, atol=0.11)
    naive = SeriesKNNImputer(n_neighbors=2, period=8, align="start").fit(train)
    assert np.abs(naive.transform(test_missing) - test).max() > 1.0


def test_auto_period():
    X, _, _ = make_industrial_load(n_days=56, n_anomalies=0, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    assert SeriesKNNImputer().fit(X).period_ == 96  # one day, not 48 (harmonic) or 672
    t = np.arange(240.0)
    assert SeriesKNNImputer().fit(np.sin(2 * np.pi * t / 24)[:, None]).period_ == 24
    noise = np.random.default_rng(0).normal(size=(300, 2))
    assert SeriesKNNImputer().fit(noise).period_ == 300  # no cycle: the whole series
    assert SeriesKNNImputer().fit(np.ones((3, 1))).period_ == 3


def test_imputer_beats_row_knn_and_interpolation_on_synthetic_load():
    X, _, _ = make_industrial_load(n_days=60, n_anomalies=0, random_state=1)
    rng = np.random.default_rng(1)
    Xm = np.where(rng.random(X.shape) < 0.02, np.nan, X)
    for start in rng.integers(0, len(X) - 48, size=10):
        Xm[start : start + 24, rng.integers(0, 4)] = np.nan
    Xm[96 * 20 : 96 * 21, 0] = np.nan
    missing = np.isnan(Xm)

    def error(filled):  # relative to each channel's mean: the small categories count too
        return (np.abs(filled - X) / X.mean(axis=0))[missing].mean()

    ours = error(SeriesKNNImputer().fit_transform(Xm))
    assert ours < 0.8 * error(KNNImputer().fit_transform(Xm))
    assert ours < 0.8 * error(pd.DataFrame(Xm).interpolate(limit_direction="both").to_numpy())


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    n_channels=st.integers(1, 3),
    period=st.one_of(st.just("auto"), st.integers(1, 15)),
    n_neighbors=st.integers(1, 4),
    align=st.sampled_from(["profile", "start"]),
    data=st.data(),
)
def test_imputer_never_changes_observed_values(n, n_channels, period, n_neighbors, align, data):
    values = data.draw(
        arrays(np.float64, (n, n_channels), elements=st.floats(-1e4, 1e4, allow_nan=False))
    )
    gaps = data.draw(arrays(np.bool_, (n, n_channels)))
    gaps[0] = False  # every channel keeps an observed value
    X = np.where(gaps, np.nan, values)
    before = X.copy()
    imputer = SeriesKNNImputer(period=period, n_neighbors=n_neighbors, align=align).fit(X)
    other = np.where(data.draw(arrays(np.bool_, (n, n_channels))), np.nan, values[::-1])
    low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    for data_in in (X, other):
        out = imputer.transform(data_in)
        seen = ~np.isnan(data_in)
        assert_array_equal(out[seen], data_in[seen])
        assert np.isfinite(out).all()
        # filled values are weighted means of training readings of the same channel
        filled = np.where(seen, np.nan, out)
        assert np.all((filled >= low - 1e-9) | seen) and np.all((filled <= high + 1e-9) | seen)
    assert_array_equal(X, before, strict=True)


def test_imputer_all_nan_channel_is_named():
    X = np.ones((10, 3))
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"no observed value in channel\(s\) \[1\]"):
        SeriesKNNImputer().fit(X)
    frame = pd.DataFrame(X, columns=["industrial", "general", "late_night"])
    with pytest.raises(ValueError, match="1 \\('general'\\)"):
        SeriesKNNImputer().fit(frame)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((0, 2)), ValueError, "0 sample"),
        (np.zeros((4, 2, 2)), ValueError, "dim 3"),
        ([1.0, 2.0, 3.0], ValueError, "2D array"),
        ([["a", "b"], ["c", "d"]], TypeError, "X must be a numeric array"),
        (np.array([["1.5", "2"], ["3", "4"]]), TypeError, "numeric array .*dtype <U"),
        ([[1.0, np.inf], [2.0, 3.0]], ValueError, "infinity.*SeriesKNNImputer needs finite"),
    ],
)
def test_imputer_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        SeriesKNNImputer().fit(X)
    fitted = SeriesKNNImputer(period=2).fit(np.ones((6, 2)))
    with pytest.raises(error, match=match):
        fitted.transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_neighbors": 0}, "n_neighbors"),
        ({"period": 0}, "period"),
        ({"period": "daily"}, "period"),
        ({"weights": "gaussian"}, "weights"),
        ({"align": "end"}, "align"),
        ({"time_index": "regularize"}, "time_index"),
    ],
)
def test_imputer_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        SeriesKNNImputer(**params).fit(np.ones((8, 1)))


def test_imputer_pipeline_pandas_output_and_tags():
    X, _, _ = make_industrial_load(n_days=10, n_anomalies=0, random_state=0, as_frame=True)
    X.iloc[100:130, 2] = np.nan
    pipe = make_pipeline(SeriesKNNImputer(period=96), Differencer()).set_output(transform="pandas")
    out = pipe.fit_transform(X)
    assert list(out.columns) == list(X.columns)
    assert not out.isna().any().any()
    assert SeriesKNNImputer().__sklearn_tags__().input_tags.allow_nan
    assert not Differencer().__sklearn_tags__().input_tags.allow_nan
    fitted = clone(pipe).fit(X)
    assert fitted[0].n_features_in_ == 4
    with pytest.raises(ValueError, match="4 features"):
        fitted[0].transform(X.to_numpy()[:, :3])


def _daily(n_days=6, period=8, seed=0):
    rng = np.random.default_rng(seed)
    day = np.sin(np.linspace(0, 2 * np.pi, period, endpoint=False))
    return np.tile(day, n_days)[:, np.newaxis] + 0.01 * rng.normal(size=(n_days * period, 1))


def test_imputer_refuses_an_irregular_datetime_index():
    X = pd.DataFrame(_daily(), index=pd.date_range("2024-01-01", periods=48, freq="3h"))
    imputer = SeriesKNNImputer(period=8).fit(X)  # a regular index is fine
    gappy = X.drop(X.index[10:14])
    match = (
        r"X's DatetimeIndex is not a regular time grid \(1 step\(s\) other than the usual "
        r"0 days 03:00:00 \(first before 2024-01-02 18:00:00\)\).*"
        r"ecoai_sklearn.datasets.regularize.*time_index='ignore'"
    )
    with pytest.raises(ValueError, match=match):
        SeriesKNNImputer(period=8).fit(gappy)
    with pytest.raises(ValueError, match=match):
        imputer.transform(gappy)
    with pytest.raises(ValueError, match=r"1 repeated timestamp\(s\)"):
        imputer.transform(X.iloc[[0, 1, 1, 2]])
    with pytest.raises(ValueError, match=r"1 timestamp\(s\) out of order"):
        imputer.transform(X.iloc[[0, 1, 3, 2, 4]])
    # "ignore" takes the rows as consecutive; arrays are never checked
    SeriesKNNImputer(period=8, time_index="ignore").fit(gappy).transform(gappy)
    imputer.transform(gappy.to_numpy())
    # the fix the message names: regularize, then impute the inserted rows
    from ecoai_sklearn.datasets import regularize

    regular, report = regularize(gappy)
    filled = imputer.transform(regular)
    assert report.n_inserted == 4 and np.isfinite(filled).all()
    assert_array_equal(imputer.get_imputed_mask(regular).any(axis=1), report.imputed_rows)


def test_imputer_regular_tz_aware_index_across_daylight_saving_is_fine():
    index = pd.date_range("2024-10-26", periods=48, freq="h", tz="Europe/Berlin")
    X = pd.DataFrame(_daily(n_days=6, period=8), index=index)
    SeriesKNNImputer(period=8).fit(X).transform(X)


def test_get_imputed_mask_marks_what_transform_fills():
    X = _daily()
    X[[3, 20, 21], 0] = np.nan
    imputer = SeriesKNNImputer(period=8).fit(X)
    mask = imputer.get_imputed_mask(X)
    assert mask.shape == X.shape and mask.dtype == bool
    assert_array_equal(np.flatnonzero(mask[:, 0]), [3, 20, 21])
    out = imputer.transform(X)
    assert_array_equal(out[~mask], X[~mask]) and np.isfinite(out[mask]).all()
    with pytest.raises(ValueError, match="features"):
        imputer.get_imputed_mask(np.ones((4, 2)))


def test_imputer_readings_near_the_float64_limit_are_imputed_finitely():
    rng = np.random.default_rng(0)
    base = _daily(n_days=20, period=10)
    X = np.column_stack([base[:, 0] * 1e155, base[:, 0] + rng.normal(0, 0.1, len(base))])
    X[[5, 57], 0] = np.nan
    X[20:30, 0] = np.nan  # a whole cycle: borrowed from the other channel (joint imputer)
    X[7, 1] = np.nan
    with np.errstate(all="raise"):  # no overflow anywhere
        out = SeriesKNNImputer(period=10).fit_transform(X)
    assert np.isfinite(out).all()
    # the same as on the data divided by 1e155: the scale changes no neighbour
    small = X.copy()
    small[:, 0] /= 1e155
    reference = SeriesKNNImputer(period=10).fit_transform(small)
    assert_allclose(out[:, 0] / 1e155, reference[:, 0], rtol=1e-12)
    assert_allclose(out[:, 1], reference[:, 1], rtol=1e-12)
    # a constant channel at the top of the float64 range
    X = np.column_stack([np.full(40, 1.7e308), _daily(n_days=5, period=8)[:, 0]])
    X[3, 0] = np.nan
    out = SeriesKNNImputer(period=8).fit_transform(X)
    assert out[3, 0] == 1.7e308


def test_imputer_accepts_nullable_float_frames_without_mutating_them():
    X = _daily()
    for columns in ([0], ["load"]):  # int names gave a read-only array, str names did not
        frame = pd.DataFrame(X, columns=columns).astype("Float64")
        frame.iloc[3, 0] = pd.NA
        before = frame.copy()
        out = SeriesKNNImputer(period=8).fit_transform(frame)
        reference = SeriesKNNImputer(period=8).fit_transform(frame.astype("float64"))
        assert_array_equal(out, reference)
        assert np.isfinite(out).all()
        pd.testing.assert_frame_equal(frame, before)


@pytest.mark.shared_data
def test_imputer_on_real_lead_meters(shared_data_dir):
    from ecoai_sklearn.datasets import load_series_csv

    data = load_series_csv(shared_data_dir / "lead_buildings.csv")
    X = np.column_stack([series.X.ravel() for series in data.values()])
    imputer = SeriesKNNImputer().fit(X)
    assert imputer.period_ == 24  # hourly meters: one day
    filled = imputer.transform(X)  # building 685 has 29 missing hours
    assert np.isfinite(filled).all() and np.isnan(X).sum() == 29
    # hide 60 whole-day gaps: neighbouring days beat linear interpolation by far
    rng = np.random.default_rng(0)
    Xm = X.copy()
    for start in rng.integers(0, len(X) - 24, size=60):
        Xm[start : start + 24, rng.integers(0, 4)] = np.nan
    hidden = np.isnan(Xm) & ~np.isnan(X)

    def error(out):
        return (np.abs(out - X) / np.nanmean(X, axis=0))[hidden].mean()

    ours = error(SeriesKNNImputer().fit_transform(Xm))
    assert ours < 0.5 * error(pd.DataFrame(Xm).interpolate(limit_direction="both").to_numpy())


def test_differencer_refuses_overflow_instead_of_returning_inf():
    # #13: differences beyond float64 gave -inf with only a RuntimeWarning
    X = np.array([[1e308, 1.0], [-1e308, 2.0], [0.0, 3.0]])
    copy = X.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an error, not a warning
        with pytest.raises(ValueError, match="the differences of X overflow float64"):
            Differencer().fit(X).transform(X)
        with pytest.raises(ValueError, match="overflow float32"):
            Differencer().fit_transform(np.array([[3e38], [-3e38]], dtype=np.float32))
        diff = Differencer().fit(np.zeros((1, 1)))
        with pytest.raises(ValueError, match="integrated from X overflow float64"):
            diff.inverse_transform(np.array([[0.0], [1e308], [1e308]]))
    assert_array_equal(X, copy)
