"""Tests for ecoai_sklearn.windowing: find_periods and FFTWindower."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from ecoai_sklearn.datasets import load_series_csv, make_industrial_load
from ecoai_sklearn.windowing import FFTWindower, find_periods


def _sine(period, n, amplitude=1.0, phase=0.0):
    t = np.arange(n)
    return amplitude * np.sin(2 * np.pi * t / period + phase)


def _daily_load(n_days, ratio, *, weekend=0.6, noise=0.03, seed=0):
    """15-minute load: daily cycle, 12-hour component ``ratio`` times as strong, weekends."""
    rng = np.random.default_rng(seed)
    t = np.arange(96 * n_days)
    daily = 1 + 0.4 * (np.cos(2 * np.pi * t / 96 + 0.3) + ratio * np.cos(4 * np.pi * t / 96 + 1))
    week = np.where((t // 96) % 7 >= 5, weekend, 1.0)
    trend = 1 + 0.2 * t / t.size
    return 500 * daily * week * trend * (1 + noise * rng.standard_normal(t.size))


def _root_base(array):
    while array.base is not None:
        array = array.base
    return array


# ---------------------------------------------------------------------------------------------
# find_periods: hand-computed cases


def test_two_tones_on_exact_bins_give_exact_periods_and_amplitudes():
    # 64 samples, periods 8 and 4 sit on bins 8 and 16; with a Hann window a tone on a
    # bin keeps its amplitude exactly. Standardized: divide by std = sqrt((9 + 4) / 2).
    t = np.arange(64)
    x = 3 * np.sin(2 * np.pi * t / 8) + 2 * np.cos(2 * np.pi * t / 4)
    periods, amplitudes = find_periods(x, 2, detrend="constant", return_amplitudes=True)
    assert_array_equal(periods, [8, 4])
    assert periods.dtype == np.int64
    assert_allclose(amplitudes, [3 / np.sqrt(6.5), 2 / np.sqrt(6.5)], rtol=1e-10)


def test_alternating_series_has_period_two_at_nyquist():
    x = np.tile([1.0, -1.0], 16)  # mean 0, std 1: the standardized amplitude is 1
    periods, amplitudes = find_periods(x, 1, detrend="constant", return_amplitudes=True)
    assert_array_equal(periods, [2])
    assert_allclose(amplitudes, [1.0], rtol=1e-10)


@pytest.mark.parametrize(
    "fundamental, harmonic, expected",
    [
        # score(8) = 1 + 1.5 / 2 = 1.75 > score(4) = 1.5: the fundamental wins
        (1.0, 1.5, [8, 4]),
        # score(8) = 0.4 + 0.75 = 1.15 < 1.5, within 25 % of it, so autocorrelation
        # decides: the series repeats after 4 samples with correlation
        # (1.5**2 - 0.4**2) / (1.5**2 + 0.4**2) = 0.87, at least half the 1.0 after 8
        # samples, so the better score keeps its rank
        (0.4, 1.5, [4, 8]),
        # score(8) = 0.2 + 0.75 = 0.95 < 0.75 * 1.5: no tie at all
        (0.2, 1.5, [4, 8]),
    ],
)
def test_harmonic_family_score_hand_computed(fundamental, harmonic, expected):
    x = _sine(8, 128, fundamental) + _sine(4, 128, harmonic, phase=0.5)
    periods, amplitudes = find_periods(x, 2, detrend="constant", return_amplitudes=True)
    assert_array_equal(periods, expected)
    ratio = dict(zip(periods.tolist(), amplitudes))
    assert_allclose(ratio[4] / ratio[8], harmonic / fundamental, rtol=1e-6)


def test_one_spike_a_day_gives_one_day():
    # A comb of equally strong harmonics: every line has a complete harmonic family and
    # nearly the same score; only one day makes the series repeat.
    rng = np.random.default_rng(0)
    for n_days in (14, 60):
        t = np.arange(96 * n_days)
        x = (t % 96 == 0) + 0.05 * rng.standard_normal(t.size) + t / t.size
        assert find_periods(x, 1)[0] == 96


def test_tone_between_bins_is_refined_and_not_duplicated():
    # 100.5 cycles of period 10: the tone falls half-way between two bins. Grandke's
    # interpolation recovers the period and the amplitude (std of a sine = 1 / sqrt(2)),
    # and the two equal bins give one candidate, not two adjacent ones.
    x = _sine(10, 1005, 3.0)
    periods, amplitudes = find_periods(x, 1, return_amplitudes=True)
    assert_array_equal(periods, [10])
    assert_allclose(amplitudes, [np.sqrt(2)], rtol=1e-3)
    with pytest.raises(ValueError, match="only 1 significant"):
        find_periods(x + 0.1 * np.random.default_rng(0).standard_normal(1005), 2)


def test_channels_are_standardized_before_being_combined():
    # Two channels of wildly different scales and periods weigh the same: each tone has
    # standardized amplitude sqrt(2) in one channel of two, so the root mean square is 1.
    n = 240
    X = np.column_stack([1e3 * _sine(24, n), 1e-3 * _sine(10, n)])
    periods, amplitudes = find_periods(X, 2, detrend="constant", return_amplitudes=True)
    assert sorted(periods.tolist()) == [10, 24]
    assert_allclose(amplitudes, [1.0, 1.0], rtol=1e-10)
    # a constant channel is ignored, not an error
    with_constant = np.column_stack([X, np.full(n, 7.0)])
    assert_array_equal(find_periods(with_constant, 2, detrend="constant"), periods)


# ---------------------------------------------------------------------------------------------
# find_periods: harmonics, load shapes, noise


@pytest.mark.parametrize("ratio", [0.6, 0.9, 1.2])
@pytest.mark.parametrize("n_days", [14, 56])
def test_daily_period_beats_strong_12_hour_harmonic(ratio, n_days):
    x = _daily_load(n_days, ratio, seed=n_days)
    assert find_periods(x, 1)[0] == 96
    assert find_periods(x, 1, max_period=60)[0] == 48


def test_differencing_over_weights_the_harmonic():
    # Differencing multiplies the amplitude at frequency f by |2 sin(pi f)|: the
    # feasibility study's reason for detrending by default. On whole cycles the ratio
    # of the 12-hour to the daily amplitude is exactly 1.2 * sin(pi / 48) / sin(pi / 96).
    x = _daily_load(28, 1.2, weekend=1.0, noise=0.0)
    periods, linear = find_periods(x, 2, max_period=100, return_amplitudes=True)
    assert_array_equal(periods, [96, 48])
    assert_allclose(linear[1] / linear[0], 1.2, rtol=1e-3)
    periods, differenced = find_periods(
        x, 2, max_period=100, detrend="difference", return_amplitudes=True
    )
    ratio = dict(zip(periods.tolist(), differenced))
    expected = 1.2 * np.sin(np.pi / 48) / np.sin(np.pi / 96)
    assert_allclose(ratio[48] / ratio[96], expected, rtol=1e-3)
    assert ratio[48] > ratio[96]  # the harmonic's peak is the stronger one


@pytest.mark.parametrize("harmonic_ratio", [0.6, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_industrial_load_gives_one_day(harmonic_ratio, seed):
    X, _, _ = make_industrial_load(n_days=56, harmonic_ratio=harmonic_ratio, random_state=seed)
    assert find_periods(X, 1)[0] == 96
    for channel in range(X.shape[1]):
        assert find_periods(X[:, channel], 1)[0] == 96
    frame, _, _ = make_industrial_load(
        n_days=56, harmonic_ratio=harmonic_ratio, random_state=seed, as_frame=True
    )
    assert_array_equal(find_periods(frame, 2), find_periods(X, 2))


@pytest.mark.parametrize("noise, rtol", [(0.0, 1e-5), (0.3, 0.1)])
@pytest.mark.parametrize("seed", range(3))
def test_three_components_come_back_in_amplitude_order(noise, rtol, seed):
    rng = np.random.default_rng(seed)
    n = 96 * 30
    amplitudes = np.array([1.0, 0.6, 0.4])
    x = sum(_sine(p, n, a, rng.uniform(0, 2 * np.pi)) for p, a in zip((96, 24, 16), amplitudes))
    x = x + noise * rng.standard_normal(n) + 2.0 * np.arange(n) / n
    periods, found = find_periods(x, 3, return_amplitudes=True)
    assert_array_equal(periods, [96, 24, 16])
    # whole cycles on exact bins: the amplitude ratios are exact without noise
    assert_allclose(found / found[0], amplitudes, rtol=rtol)


def test_weaker_24_than_16_swaps_them():
    n = 96 * 30
    x = _sine(96, n) + _sine(24, n, 0.4, 1.0) + _sine(16, n, 0.6, 2.0)
    assert_array_equal(find_periods(x, 3), [96, 16, 24])


@settings(max_examples=40, deadline=None)
@given(
    period=st.integers(6, 120),
    cycles=st.floats(12, 20),
    phase=st.floats(0, 2 * np.pi),
    harmonic=st.floats(0, 1.2),
    noise=st.floats(0, 0.4),
    trend=st.floats(-3, 3),
    seed=st.integers(0, 2**16),
)
def test_recovers_period_under_noise_trend_and_harmonics(
    period, cycles, phase, harmonic, noise, trend, seed
):
    rng = np.random.default_rng(seed)
    n = int(period * cycles)
    x = (
        _sine(period, n, 1.0, phase)
        + _sine(period / 2, n, harmonic, 2 * phase + 1)
        + noise * rng.standard_normal(n)
        + trend * np.arange(n) / n
    )
    assert find_periods(x, 1)[0] == period


def test_bounds_filter_the_periods():
    n = 96 * 20
    x = _sine(96, n) + _sine(24, n, 0.6, 1.0) + _sine(16, n, 0.4, 2.0)
    assert_array_equal(find_periods(x, 2, max_period=50), [24, 16])
    assert_array_equal(find_periods(x, 2, min_period=20), [96, 24])
    # never longer than n // 2, whatever max_period says
    short = _sine(96, 180)  # n // 2 = 90 < 96
    with pytest.raises(ValueError, match="only 0 significant"):
        find_periods(short, 1, max_period=1000)
    assert find_periods(_sine(96, 400), 1, max_period=1000)[0] == 96


def test_find_periods_does_not_mutate_and_accepts_read_only_input():
    X, _, _ = make_industrial_load(n_days=14, random_state=0)
    X.setflags(write=False)
    before = X.copy()
    find_periods(X, 2)
    find_periods(X, 2, detrend="difference")
    assert_array_equal(X, before)


# ---------------------------------------------------------------------------------------------
# find_periods: errors


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([]), ValueError, "empty"),
        (np.zeros((0, 2)), ValueError, "empty"),
        (np.ones((10, 2, 2)), ValueError, "3 dimensions"),
        ("abc", (TypeError, ValueError), "'X'"),
        (["a", "b", "c", "d"], TypeError, "numeric"),
        (np.array(["1", "2", "3", "4"]), TypeError, "numeric"),
        (np.r_[_sine(8, 60), np.nan], ValueError, "NaN.*impute|SeriesKNNImputer"),
        (np.r_[_sine(8, 60), np.inf], ValueError, "inf"),
        (np.ones(3), ValueError, "n_samples=3"),
        (np.full(100, 5.0), ValueError, "constant"),
        (np.arange(100.0), ValueError, "constant"),
        (np.random.default_rng(0).standard_normal(500), ValueError, "no significant"),
    ],
)
def test_find_periods_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        find_periods(X, 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_periods": 0}, "n_periods"),
        ({"n_periods": 5}, "n_periods=5"),
        ({"min_period": 1}, "min_period"),
        ({"max_period": 0}, "max_period"),
        ({"min_period": 20, "max_period": 10}, "max_period=10 is smaller than min_period=20"),
        ({"detrend": "quadratic"}, "detrend"),
        ({"min_period": 600}, "2 \\* min_period"),
    ],
)
def test_find_periods_rejects_bad_parameters(kwargs, match):
    x = _sine(24, 1000) + _sine(10, 1000, 0.5)
    with pytest.raises(ValueError, match=match):
        find_periods(x, **kwargs)


# ---------------------------------------------------------------------------------------------
# FFTWindower: windows


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 60),
    n_channels=st.integers(1, 3),
    data=st.data(),
    dtype=st.sampled_from([np.float32, np.float64]),
    padding=st.sampled_from(["edge", "constant"]),
)
def test_window_row_t_is_the_window_ending_at_t(n, n_channels, data, dtype, padding):
    w = data.draw(st.integers(1, n // 2))
    X = np.random.default_rng(n).standard_normal((n, n_channels)).astype(dtype)
    before = X.copy()
    out = FFTWindower(window_size=w, padding=padding).fit(X).transform(X)
    assert out.shape == (n, w, n_channels)
    assert out.dtype == dtype
    for t in range(n):
        if t >= w - 1:
            assert_array_equal(out[t], X[t - w + 1 : t + 1])
        else:
            fill = X[0] if padding == "edge" else np.zeros(n_channels, dtype=dtype)
            assert_array_equal(out[t, : w - 1 - t], np.broadcast_to(fill, (w - 1 - t, n_channels)))
            assert_array_equal(out[t, w - 1 - t :], X[: t + 1])
    assert_array_equal(X, before)


def test_small_case_by_hand():
    X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0], [5.0, 50.0]])
    X = np.r_[X, X + 5]  # 10 rows: enough to fit a window of 3
    out = FFTWindower(window_size=3).fit_transform(X)
    assert_array_equal(out[0], [[1, 10], [1, 10], [1, 10]])
    assert_array_equal(out[1], [[1, 10], [1, 10], [2, 20]])
    assert_array_equal(out[4], [[3, 30], [4, 40], [5, 50]])
    zeros = FFTWindower(window_size=3, padding="constant").fit_transform(X)
    assert_array_equal(zeros[1], [[0, 0], [1, 10], [2, 20]])
    assert_array_equal(zeros[2:], out[2:])


def test_output_is_a_read_only_view_of_a_padded_copy():
    X = np.random.default_rng(0).standard_normal((50, 2))
    before = X.copy()
    out = FFTWindower(window_size=7).fit_transform(X)
    base = _root_base(out)
    assert base.shape == (50 + 6, 2)
    assert np.shares_memory(out, base)
    assert not np.shares_memory(out, X)
    assert out.nbytes == 50 * 7 * 2 * 8 and base.nbytes == 56 * 2 * 8  # no copy per window
    assert not out.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        out[10, 0, 0] = 99.0
    assert_array_equal(X, before)


def test_chunk_differs_only_in_its_first_rows_and_history_fixes_them():
    X = np.random.default_rng(1).standard_normal((200, 2))
    windower = FFTWindower(window_size=12).fit(X)
    full = windower.transform(X)
    chunk = windower.transform(X[120:])
    assert_array_equal(chunk[11:], full[131:])
    assert not np.array_equal(chunk[:11], full[120:131])
    with_history = windower.transform(X[120 - 11 :])[11:]
    assert_array_equal(with_history, full[120:])
    # transform accepts any number of rows (online use), fit needs two windows
    assert windower.transform(X[:1]).shape == (1, 12, 2)


# ---------------------------------------------------------------------------------------------
# FFTWindower: automatic window size


def test_auto_window_size_on_industrial_load():
    X, _, _ = make_industrial_load(n_days=56, random_state=0)
    windower = FFTWindower(n_periods=2).fit(X)
    assert windower.window_size_ == 96 and isinstance(windower.window_size_, int)
    assert windower.periods_[0] == 96 and windower.periods_.dtype == np.int64
    assert windower.period_amplitudes_.shape == (2,)
    assert windower.transform(X).shape == (X.shape[0], 96, 4)
    second = FFTWindower(period_rank=1, n_periods=2).fit(X)
    # the second period is the week (about 672 samples): cut to max_size
    assert windower.periods_[1] > 256
    assert second.window_size_ == 256 and second.window_rule_ == "capped"
    uncapped = FFTWindower(period_rank=1, n_periods=2, max_size=None).fit(X)
    assert uncapped.window_size_ == windower.periods_[1] and uncapped.window_rule_ == "period"
    # n_periods=None looks for period_rank + 1 periods only
    assert FFTWindower().fit(X).periods_.tolist() == [96]
    assert FFTWindower(period_rank=1).fit(X).periods_.tolist() == windower.periods_.tolist()


def test_int_window_size_skips_the_search():
    X = np.random.default_rng(0).standard_normal((40, 2))  # no period at all: not needed
    windower = FFTWindower(window_size=5).fit(X)
    assert windower.window_size_ == 5
    assert windower.periods_ is None and windower.period_amplitudes_ is None


def test_pipeline_set_output_pandas_and_feature_names():
    X, _, _ = make_industrial_load(n_days=28, random_state=0, as_frame=True)
    pipe = make_pipeline(MinMaxScaler(), FFTWindower()).set_output(transform="pandas")
    out = pipe.fit_transform(X)
    assert isinstance(out, np.ndarray) and out.shape == (X.shape[0], 96, 4)
    windower = pipe[-1]
    assert_array_equal(windower.feature_names_in_, X.columns)
    assert windower.n_features_in_ == 4
    assert_allclose(out[-1], MinMaxScaler().fit_transform(X.to_numpy())[-96:])
    # the channels, the last axis of the windows, keep their names (issue #14)
    assert_array_equal(windower.get_feature_names_out(), X.columns)
    assert clone(windower).set_output(transform="polars") is not None
    with pytest.raises(ValueError, match="transform must be one of"):
        windower.set_output(transform="xarray")


# ---------------------------------------------------------------------------------------------
# FFTWindower: errors


@pytest.mark.parametrize(
    "params, match",
    [
        ({"window_size": 0}, "'window_size'"),
        ({"window_size": -3}, "'window_size'"),
        ({"window_size": "big"}, "'window_size'"),
        ({"window_size": 2.5}, "'window_size'"),
        ({"period_rank": -1}, "'period_rank'"),
        ({"period_rank": 3, "n_periods": 3}, "period_rank=3 must be smaller than n_periods=3"),
        ({"padding": "reflect"}, "'padding'"),
        ({"window_size": 60}, "n_samples=100 .* needs at least 120"),
        ({"n_periods": 4, "fallback_size": None}, "n_periods=4 periods were requested"),
        ({"fallback_size": 1}, "'fallback_size'"),
        ({"max_size": 0}, "'max_size'"),
        ({"max_size": 2.0}, "'max_size'"),
    ],
)
def test_windower_rejects_bad_parameters(params, match):
    X = (_sine(20, 100) + 0.5 * _sine(10, 100, phase=1.0))[:, np.newaxis]
    with pytest.raises(ValueError, match=match):
        FFTWindower(**params).fit(X)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.full((30, 1), np.nan), ValueError, "NaN.*SeriesKNNImputer"),
        (np.r_[np.ones((29, 1)), [[np.inf]]], ValueError, "inf"),
        (np.ones((30, 2, 2)), ValueError, "dim 3"),
        (np.ones(30), ValueError, "2D"),
        (np.array([["a"], ["b"]] * 15), TypeError, "numeric"),
        (np.array([["1"], ["2"]] * 15), TypeError, "numeric array .*dtype <U"),
        (np.zeros((0, 1)), ValueError, "0 sample"),
    ],
)
def test_windower_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        FFTWindower(window_size=3).fit(X)


def test_transform_checks_fit_and_channels():
    X = np.random.default_rng(0).standard_normal((30, 2))
    with pytest.raises(NotFittedError):
        FFTWindower(window_size=3).transform(X)
    windower = FFTWindower(window_size=3).fit(X)
    with pytest.raises(ValueError, match="features"):
        windower.transform(X[:, :1])
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="impute|SeriesKNNImputer"):
        windower.transform(bad)


def test_constant_series_has_no_auto_window():
    with pytest.raises(ValueError, match="constant.*window size by hand"):
        FFTWindower(fallback_size=None).fit(np.full((200, 2), 3.0))


# ---------------------------------------------------------------------------------------------
# real data


def _impute_gaps(x):
    return pd.Series(x).interpolate(limit_direction="both").to_numpy()


@pytest.mark.shared_data
def test_real_series_periods(shared_data_dir):
    lead = load_series_csv(shared_data_dir / "lead_buildings.csv")
    assert len(lead) == 4
    for bunch in lead.values():
        periods = find_periods(_impute_gaps(bunch.X[:, 0]), 2)
        # hourly meters: one day first, one week (or a day) next
        assert periods[0] == 24, (bunch.series_id, periods)
        assert periods[1] in (24 * 7, 12, 8), (bunch.series_id, periods)
    kpi = load_series_csv(shared_data_dir / "kpi_aiops.csv")
    (bunch,) = kpi.values()
    assert find_periods(bunch.X[:, 0], 1)[0] == 288  # 5-minute steps: one day


def _no_period_series(n=2000, seed=0):
    """A random walk: no significant FFT period."""
    return np.cumsum(np.random.default_rng(seed).standard_normal((n, 1)), axis=0)


@pytest.mark.parametrize(
    "X, expected",
    [
        (_no_period_series(), 64),  # noise-like spectrum
        (np.ones((500, 2)), 64),  # constant
        (_no_period_series(120), 30),  # short: at most a quarter of the series
    ],
)
def test_auto_window_falls_back_with_a_warning_when_there_is_no_period(X, expected):
    with pytest.warns(UserWarning, match="found no period.*fallback_size=64"):
        windower = FFTWindower().fit(X)
    assert windower.window_size_ == expected and windower.window_rule_ == "fallback"
    assert windower.periods_ is None and windower.period_amplitudes_ is None
    assert windower.transform(X).shape == (X.shape[0], expected, X.shape[1])


def test_fallback_never_goes_below_min_period():
    X = np.ones((40, 1))
    with pytest.warns(UserWarning, match="found no period"):
        windower = FFTWindower(min_period=8, fallback_size=4).fit(X)
    assert windower.window_size_ == 8


def test_fallback_none_raises_the_finders_error():
    with pytest.raises(ValueError, match="significant periodic peak"):
        FFTWindower(fallback_size=None).fit(_no_period_series())


def test_a_found_period_is_no_fallback_and_fixed_sizes_are_fixed():
    t = np.arange(96 * 20)
    X = np.sin(2 * np.pi * t / 96)[:, np.newaxis]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        assert FFTWindower().fit(X).window_rule_ == "period"
        assert FFTWindower(window_size=10).fit(X).window_rule_ == "fixed"


def test_max_size_caps_a_long_period():
    t = np.arange(600 * 6)
    X = np.sin(2 * np.pi * t / 600)[:, np.newaxis]
    assert FFTWindower().fit(X).window_size_ == 256
    assert FFTWindower(max_size=100).fit(X).window_size_ == 100
    assert FFTWindower(max_size=None).fit(X).window_size_ == 600


@pytest.mark.parametrize("scale", [1e-320, 1e-300, 1e-150, 1e160, 1e300])
@pytest.mark.parametrize("detrend", ["linear", "constant", "difference"])
def test_find_periods_does_not_depend_on_the_scale(scale, detrend):
    # #13: the same sine times 1e-300 was "constant", times 1e160 "looks like noise"
    t = np.arange(96 * 12)
    x = np.sin(2 * np.pi * t / 96) + 0.4 * np.sin(2 * np.pi * t / 24) + 0.001 * t
    periods, amplitudes = find_periods(x, 2, detrend=detrend, return_amplitudes=True)
    scaled, scaled_amplitudes = find_periods(
        x * scale, 2, detrend=detrend, return_amplitudes=True
    )
    assert_array_equal(scaled, periods)
    rtol = 1e-3 if scale < 1e-307 else 1e-12  # subnormal input keeps fewer digits
    assert_allclose(scaled_amplitudes, amplitudes, rtol=rtol)
