"""Tests of ecoai_sklearn.plotting: the artists drawn, against the data and hand-computed spans."""

import ast
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from ecoai_sklearn.plotting import AnomalyDisplay, PeriodogramDisplay
from ecoai_sklearn.plotting._periodogram_display import amplitude_spectrum
from ecoai_sklearn.windowing import FFTWindower, find_periods

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _span_extent(patch):
    assert isinstance(patch, Rectangle)
    return patch.get_x(), patch.get_x() + patch.get_width()


def _last_row_error(windows):
    """Distance of each window's last value from the window median: a cheap error feature."""
    return np.abs(windows[:, -1, :] - np.median(windows, axis=1)).mean(axis=1, keepdims=True)


def _series(n_days=8, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(96 * n_days)
    x = 10 + np.sin(2 * np.pi * t / 96) + 0.6 * np.sin(2 * np.pi * t / 24)
    return (x + 0.05 * rng.normal(size=t.size))[:, np.newaxis]


def _multiscale_detector(X, n_scales=2):
    branches = [
        make_pipeline(
            FFTWindower(period_rank=k, n_periods=n_scales), FunctionTransformer(_last_row_error)
        )
        for k in range(n_scales)
    ]
    return make_pipeline(
        MinMaxScaler(), make_union(*branches), IsolationForest(random_state=0, contamination=0.02)
    ).fit(X)


# -- AnomalyDisplay.from_predictions ------------------------------------------------------


def test_from_predictions_draws_series_score_threshold_and_spans():
    X = np.column_stack([np.arange(10.0), -np.arange(10.0)])
    scores = np.array([0, 0, 3, 3, 0, 0, 0, 5, 0, 0], dtype=float)
    y_true = np.array([0, 0, 1, 1, 1, 0, 0, 0, 0, 1])
    display = AnomalyDisplay.from_predictions(X, scores, y_true=y_true, threshold=2.0)

    assert display.ax_.shape == (2,)
    assert display.figure_ is display.ax_[0].figure
    assert len(display.series_lines_) == 2
    np.testing.assert_array_equal(display.series_lines_[1].get_ydata(), -np.arange(10.0))
    np.testing.assert_array_equal(display.score_line_.get_ydata(), scores)
    assert display.score_line_.axes is display.ax_[-1]
    np.testing.assert_array_equal(display.threshold_line_.get_ydata(), [2.0, 2.0])
    # true runs: rows 2-4 and row 9, on both panels; each covers half a step either side
    assert len(display.true_spans_) == 4
    extents = sorted({_span_extent(p) for p in display.true_spans_})
    assert extents == [(1.5, 4.5), (8.5, 9.5)]
    # predicted = scores > 2: rows 2-3 and row 7, on the series panel only
    assert sorted(_span_extent(p) for p in display.pred_spans_) == [(1.5, 3.5), (6.5, 7.5)]
    assert all(p.axes is display.ax_[0] for p in display.pred_spans_)
    labels = [t.get_text() for t in display.ax_[0].get_legend().get_texts()]
    assert labels == ["channel 0", "channel 1", "true anomaly", "predicted anomaly"]


def test_threshold_is_strict_and_explicit_y_pred_wins():
    scores = np.array([1.0, 2.0, 3.0])
    display = AnomalyDisplay.from_predictions(np.zeros(3), scores, threshold=2.0)
    assert [_span_extent(p) for p in display.pred_spans_] == [(1.5, 2.5)]
    display = AnomalyDisplay.from_predictions(
        np.zeros(3), scores, threshold=2.0, y_pred=np.array([-1, 1, 1])
    )
    assert [_span_extent(p) for p in display.pred_spans_] == [(-0.5, 0.5)]


@pytest.mark.parametrize(
    "y_pred",
    [np.array([1, -1, -1, 1]), np.array([0, 1, 1, 0]), np.array([False, True, True, False])],
)
def test_y_pred_conventions(y_pred):
    display = AnomalyDisplay.from_predictions(np.zeros(4), np.zeros(4), y_pred=y_pred)
    assert [_span_extent(p) for p in display.pred_spans_] == [(0.5, 2.5)]
    assert display.threshold_line_ is None


def test_all_normal_sign_predictions_need_bool():
    with pytest.raises(ValueError, match="bool array"):
        AnomalyDisplay.from_predictions(np.zeros(4), np.zeros(4), y_pred=np.ones(4))
    display = AnomalyDisplay.from_predictions(np.zeros(4), np.zeros(4), y_pred=np.ones(4) == -1)
    assert display.pred_spans_ == []


def test_dataframe_gives_channel_names_and_time_axis():
    index = pd.date_range("2024-01-01", periods=8, freq="15min", name="timestamp")
    X = pd.DataFrame({"industrial": np.arange(8.0), "general": np.ones(8)}, index=index)
    y_true = pd.Series([0, 0, 0, 1, 0, 0, 0, 0], index=index)
    display = AnomalyDisplay.from_predictions(X, np.arange(8.0), y_true=y_true)
    assert [line.get_label() for line in display.series_lines_] == ["industrial", "general"]
    assert np.asarray(display.score_line_.get_xdata()).dtype.kind == "M"
    assert display.ax_[-1].get_xlabel() == "time"
    start, end = _span_extent(display.true_spans_[0])
    expected = mdates.date2num(
        [pd.Timestamp("2024-01-01 00:37:30"), pd.Timestamp("2024-01-01 00:52:30")]
    )
    np.testing.assert_allclose([start, end], expected)


def test_timezone_aware_index_keeps_wall_clock():
    index = pd.date_range("2024-01-01", periods=4, freq="h", tz="Europe/Paris")
    display = AnomalyDisplay.from_predictions(pd.Series([1.0, 2, 3, 4], index=index), np.zeros(4))
    first = np.asarray(display.score_line_.get_xdata())[0]
    assert first == np.datetime64("2024-01-01T00:00")
    assert display.series_lines_[0].get_label() == "value"


def test_error_panels_and_inputs_not_modified():
    X = np.array([1.0, np.nan, 3.0, 4.0])
    errors = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 5.0], [1.0, 2.0]])
    X_before, errors_before = X.copy(), errors.copy()
    display = AnomalyDisplay.from_predictions(
        X, np.zeros(4), y_true=[0, 0, 1, 0], errors=errors, error_names=["period 96", "period 24"]
    )
    assert display.ax_.shape == (4,)
    assert [ax.get_ylabel() for ax in display.ax_] == [
        "value",
        "period 96",
        "period 24",
        "anomaly score",
    ]
    np.testing.assert_array_equal(display.error_lines_[1].get_ydata(), [2.0, 2.0, 5.0, 2.0])
    assert len(display.true_spans_) == 4  # one run, shaded on each of the four panels
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(errors, errors_before)


def test_title_and_replot_on_given_axes():
    display = AnomalyDisplay.from_predictions(np.arange(5.0), np.arange(5.0), name="my detector")
    assert display.ax_[0].get_title() == "my detector"
    figure, axes = plt.subplots(2, 1)
    display.plot(ax=axes, show_legend=False)
    assert display.figure_ is figure
    assert list(display.ax_) == list(axes)
    assert axes[0].get_legend() is None
    assert len(axes[1].get_lines()) == 1


def test_single_axes_is_split_into_panels():
    figure, (left, right) = plt.subplots(1, 2)
    display = AnomalyDisplay.from_predictions(np.arange(5.0), np.arange(5.0), ax=right)
    assert display.figure_ is figure
    assert right not in figure.axes and left in figure.axes
    assert len(figure.axes) == 3
    # the two panels fill the right-hand cell
    assert display.ax_[0].get_position().x0 > left.get_position().x1


def test_bad_axes():
    figure = plt.figure()
    loose = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    with pytest.raises(ValueError, match="outside any grid"):
        AnomalyDisplay.from_predictions(np.arange(5.0), np.arange(5.0), ax=loose)
    _, axes = plt.subplots(3, 1)
    with pytest.raises(ValueError, match="sequence of 2 Axes"):
        AnomalyDisplay.from_predictions(np.arange(5.0), np.arange(5.0), ax=axes)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"X": np.zeros((4, 3, 1))}, ValueError, "windows cannot be drawn"),
        ({"X": np.zeros((0, 1)), "scores": np.zeros(0)}, ValueError, "X is empty"),
        ({"X": "abc"}, TypeError, "X must be a numeric series"),
        ({"X": np.array(["a", "b", "c", "d"])}, TypeError, "X must be numeric"),
        ({"scores": np.zeros(3)}, ValueError, "scores has 3 rows but X has 4"),
        ({"scores": np.zeros((4, 2))}, ValueError, "scores must be 1D"),
        ({"y_true": [0, -1, 0, 0]}, ValueError, "y_true must contain only 0"),
        ({"y_true": [0, 1, 0]}, ValueError, "y_true has 3 rows"),
        ({"threshold": "high"}, TypeError, "threshold must be a number"),
        ({"threshold": np.inf}, ValueError, "threshold must be finite"),
        ({"errors": np.zeros((3, 2))}, ValueError, "errors has 3 rows"),
        ({"errors": np.zeros((4, 2)), "error_names": ["a"]}, ValueError, "error_names must hold 2"),
        ({"timestamps": np.arange(3)}, ValueError, "timestamps must be 1D with one entry"),
        ({"timestamps": ["x", "y", "z", "w"]}, TypeError, "timestamps must be numbers or dat"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, error, match):
    arguments = {"X": np.zeros(4), "scores": np.zeros(4)} | kwargs
    with pytest.raises(error, match=match):
        AnomalyDisplay.from_predictions(arguments.pop("X"), arguments.pop("scores"), **arguments)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install ecoai_sklearn\[plot\]"):
        AnomalyDisplay.from_predictions(np.zeros(4), np.zeros(4))
    with pytest.raises(ImportError, match="PeriodogramDisplay.plot requires matplotlib"):
        PeriodogramDisplay(periods=[2.0, 3.0], amplitudes=[1.0, 2.0]).plot()


def test_matplotlib_not_imported_at_module_level():
    folder = Path(__file__).resolve().parents[1] / "ecoai_sklearn" / "plotting"
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("matplotlib") for n in names), path.name


# -- AnomalyDisplay.from_estimator --------------------------------------------------------


def test_from_estimator_multiscale_matches_the_detector():
    X = _series()
    X[300] += 5.0
    detector = _multiscale_detector(X)
    y_true = np.zeros(len(X), dtype=int)
    y_true[300] = 1
    display = AnomalyDisplay.from_estimator(detector, X, y_true=y_true)

    windowers = [detector[1].transformer_list[k][1][0] for k in range(2)]
    expected_names = [f"period {w.window_size_}" for w in windowers]
    assert expected_names == ["period 96", "period 24"]
    assert [ax.get_ylabel() for ax in display.ax_[1:-1]] == expected_names
    np.testing.assert_allclose(display.score_line_.get_ydata(), -detector.decision_function(X))
    np.testing.assert_allclose(
        np.column_stack([line.get_ydata() for line in display.error_lines_]),
        detector[:-1].transform(X),
    )
    np.testing.assert_array_equal(display.threshold_line_.get_ydata(), [0.0, 0.0])
    # predicted spans are exactly the runs of predict == -1
    predicted = detector.predict(X) == -1
    assert predicted.any()
    covered = np.zeros(len(X), dtype=bool)
    for patch in display.pred_spans_:
        start, end = _span_extent(patch)
        covered[int(np.ceil(start)) : int(np.floor(end)) + 1] = True
    np.testing.assert_array_equal(covered, predicted)
    assert display.ax_[0].get_title() == "Pipeline"


def test_from_estimator_show_errors():
    X = _series(n_days=6)
    single = _multiscale_detector(X, n_scales=1)
    assert AnomalyDisplay.from_estimator(single, X).ax_.shape == (2,)
    assert AnomalyDisplay.from_estimator(single, X, show_errors=True).ax_.shape == (3,)
    double = _multiscale_detector(X, n_scales=2)
    assert AnomalyDisplay.from_estimator(double, X, show_errors=False).ax_.shape == (2,)
    with pytest.raises(ValueError, match="show_errors must be"):
        AnomalyDisplay.from_estimator(double, X, show_errors="yes")


def test_from_estimator_leaves_the_readings_out_of_the_error_panels():
    from sklearn.decomposition import PCA

    from ecoai_sklearn.scoring import DTWReconstructionScorer

    X = np.hstack([_series(n_days=6), _series(n_days=6, seed=1)])
    detector = make_pipeline(
        MinMaxScaler(),
        FFTWindower(window_size=24),
        DTWReconstructionScorer(PCA(n_components=2), channels="separate", include_values=True),
        IsolationForest(random_state=0),
    ).fit(X)
    assert detector[:-1].transform(X).shape[1] == 2 * X.shape[1]  # errors, then readings
    display = AnomalyDisplay.from_estimator(detector, X)
    errors = detector[:-1].transform(X)[:, : X.shape[1]]
    # then the score split among the channels (issue #14), then the score
    assert [ax.get_ylabel() for ax in display.ax_[1:-2]] == ["dtw_error_ch0", "dtw_error_ch1"]
    assert display.ax_[-2].get_ylabel() == "score by channel"
    np.testing.assert_allclose(
        np.column_stack([line.get_ydata() for line in display.error_lines_]), errors
    )


def test_from_estimator_plain_detector_and_unfitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    forest = IsolationForest(random_state=0).fit(X)
    display = AnomalyDisplay.from_estimator(forest, X, name="forest")
    np.testing.assert_allclose(display.score_line_.get_ydata(), -forest.decision_function(X))
    assert display.ax_[0].get_title() == "forest"
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AnomalyDisplay.from_estimator(IsolationForest(), X)
    with pytest.raises(TypeError, match="outlier detector"):
        AnomalyDisplay.from_estimator(MinMaxScaler().fit(X), X)


# -- PeriodogramDisplay -------------------------------------------------------------------


def test_amplitude_spectrum_of_a_sine_is_sqrt2_at_its_period():
    t = np.arange(48 * 20)
    periods, amplitudes = amplitude_spectrum(
        3.0 * np.sin(2 * np.pi * t / 48) + 7, detrend="constant"
    )
    assert periods[0] == pytest.approx(len(t) / 2)
    assert periods[-1] == pytest.approx(2.0, abs=0.01)
    best = np.argmax(amplitudes)
    assert periods[best] == pytest.approx(48.0)
    assert amplitudes[best] == pytest.approx(np.sqrt(2.0))
    # same amplitude as find_periods reports for its top period
    found, found_amplitudes = find_periods(
        3.0 * np.sin(2 * np.pi * t / 48) + 7,
        n_periods=1,
        detrend="constant",
        return_amplitudes=True,
    )
    assert found[0] == 48
    assert found_amplitudes[0] == pytest.approx(amplitudes[best])


def test_periodogram_from_series_marks_found_periods():
    X = _series()
    display = PeriodogramDisplay.from_series(X, n_periods=2, name="load")
    np.testing.assert_array_equal(display.chosen_periods, find_periods(X, n_periods=2))
    assert [line.get_xdata()[0] for line in display.period_lines_] == [96.0, 24.0]
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_title() == "load"
    assert display.figure_ is display.ax_.figure
    np.testing.assert_allclose(display.line_.get_ydata(), amplitude_spectrum(X)[1])
    explicit = PeriodogramDisplay.from_series(X, chosen_periods=[7])
    assert [line.get_label() for line in explicit.period_lines_] == ["period 7"]


def test_periodogram_from_estimator_uses_the_windowers_input():
    X = _series()
    squared = FunctionTransformer(np.square)
    branches = [
        make_pipeline(FFTWindower(period_rank=k, n_periods=2), FunctionTransformer(_last_row_error))
        for k in range(2)
    ]
    detector = make_pipeline(squared, make_union(*branches), IsolationForest(random_state=0))
    detector.fit(X)
    display = PeriodogramDisplay.from_estimator(detector, X)
    assert list(display.chosen_periods) == [96, 24]
    np.testing.assert_allclose(display.line_.get_ydata(), amplitude_spectrum(X**2)[1])
    assert not np.allclose(display.line_.get_ydata(), amplitude_spectrum(X)[1])
    windower = FFTWindower(window_size=12).fit(X)
    assert list(PeriodogramDisplay.from_estimator(windower, X).chosen_periods) == [12]


def test_periodogram_errors():
    X = _series(n_days=4)
    with pytest.raises(ValueError, match="holds no FFTWindower"):
        PeriodogramDisplay.from_estimator(MinMaxScaler().fit(X), X)
    with pytest.raises(ValueError, match="detrend must be one of"):
        PeriodogramDisplay.from_series(X, detrend="quadratic")
    with pytest.raises(ValueError, match="constant"):
        PeriodogramDisplay.from_series(np.ones(50), chosen_periods=[4])
    with pytest.raises(ValueError, match="same length"):
        PeriodogramDisplay(periods=[1.0, 2.0], amplitudes=[1.0]).plot()


# -- channels of very different scales, and their contributions (issue #14) ---------------


def _voltage_and_current(n=200):
    t = np.arange(n)
    return pd.DataFrame(
        {"voltage": 230 + np.sin(t / 10), "current": 10 + 2 * np.cos(t / 10)},
        index=pd.date_range("2024-01-01", periods=n, freq="15min"),
    )


def test_channels_of_different_scales_get_a_panel_each():
    X = _voltage_and_current()
    display = AnomalyDisplay.from_predictions(X, np.zeros(len(X)), y_pred=np.arange(200) == 50)
    # "auto": the current spans far less than a tenth of the shared axis (10 to 231)
    assert display.ax_.shape == (3,)
    assert list(display.series_ax_) == list(display.ax_[:2])
    assert [ax.get_ylabel() for ax in display.series_ax_] == ["voltage", "current"]
    assert [line.axes for line in display.series_lines_] == list(display.series_ax_)
    assert len(display.pred_spans_) == 2  # on each series panel
    shared = AnomalyDisplay.from_predictions(X, np.zeros(len(X)), channel_layout="shared")
    assert shared.ax_.shape == (2,) and shared.series_ax_[0].get_ylabel() == "value"
    scaled = AnomalyDisplay.from_predictions(X, np.zeros(len(X)), channel_layout="scaled")
    assert scaled.ax_.shape == (2,) and scaled.series_ax_[0].get_ylabel() == "scaled value"
    for line in scaled.series_lines_:
        values = np.asarray(line.get_ydata())
        assert values.min() == 0.0 and values.max() == 1.0
    # comparable channels stay on one axis
    alike = np.column_stack([np.arange(9.0), -np.arange(9.0)])
    alike = AnomalyDisplay.from_predictions(alike, np.zeros(9))
    assert alike.ax_.shape == (2,)
    with pytest.raises(ValueError, match="channel_layout must be one of"):
        AnomalyDisplay.from_predictions(X, np.zeros(len(X)), channel_layout="stacked")


def test_contribution_panel_splits_the_positive_score_among_the_channels():
    X = _voltage_and_current(6)
    scores = np.array([-1.0, 0.0, 2.0, 4.0, 1.0, -0.5])
    shares = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1], [0.25, 0.75], [1.0, 0.0], [0.0, 1.0]])
    display = AnomalyDisplay.from_predictions(X, scores, contributions=shares, threshold=0.5)
    assert display.ax_.shape == (4,)  # voltage, current, contributions, score
    panel = display.ax_[-2]
    assert panel.get_ylabel() == "score by channel"
    assert len(display.contribution_areas_) == 2
    # the top of the stack is the positive part of the score
    top = display.contribution_areas_[-1].get_paths()[0].vertices[:, 1]
    assert np.isclose(top.max(), 4.0)
    labels = [t.get_text() for t in panel.get_legend().get_texts()]
    assert labels == ["voltage", "current"]
    colors = [area.get_facecolor()[0] for area in display.contribution_areas_]
    lines = [matplotlib.colors.to_rgba(line.get_color()) for line in display.series_lines_]
    np.testing.assert_allclose(np.array(colors)[:, :3], np.array(lines)[:, :3])
    with pytest.raises(ValueError, match="contributions must have shape"):
        AnomalyDisplay.from_predictions(X, scores, contributions=shares[:, :1])


def test_from_estimator_draws_the_detectors_contributions():
    from ecoai_sklearn.pipelines import make_default_detector

    X = pd.DataFrame(
        np.hstack([_series(n_days=8), 200 + _series(n_days=8, seed=1)]),
        columns=["current", "voltage"],
        index=pd.date_range("2024-01-01", periods=96 * 8, freq="15min"),
    )
    detector = make_default_detector().fit(X.iloc[:480])
    new = X.iloc[480:].copy()
    new.iloc[100:104, 1] += 5.0
    display = AnomalyDisplay.from_estimator(detector, new)
    assert display.ax_[-2].get_ylabel() == "score by channel"
    assert [ax.get_ylabel() for ax in display.series_ax_] == ["current", "voltage"]
    plain = AnomalyDisplay.from_estimator(detector, new, show_contributions=False)
    assert plain.contribution_areas_ == []
    forest = make_pipeline(MinMaxScaler(), IsolationForest(random_state=0)).fit(X)
    assert AnomalyDisplay.from_estimator(forest, X).contribution_areas_ == []
    with pytest.raises(TypeError, match="gives no channel contributions"):
        AnomalyDisplay.from_estimator(forest, X, show_contributions=True)
    with pytest.raises(ValueError, match="show_contributions must be"):
        AnomalyDisplay.from_estimator(forest, X, show_contributions="yes")


def test_axes_given_for_one_series_panel_get_the_channels_scaled():
    X = _voltage_and_current()
    figure, axes = plt.subplots(2, 1)
    display = AnomalyDisplay.from_predictions(X, np.zeros(len(X)), ax=axes)
    assert list(display.ax_) == list(axes)
    assert display.series_ax_[0].get_ylabel() == "scaled value"
    with pytest.raises(ValueError, match="sequence of 3 Axes"):
        AnomalyDisplay.from_predictions(X, np.zeros(len(X)), ax=axes, channel_layout="separate")
