"""Outlier detector with one Z threshold per column (usage category or score column)."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import Interval, StrOptions, _fit_context, check_anomaly_labels, validate_series
from ._combine import combine_exceedances, tune_ratio_table, tune_thresholds, vote_rule
from ._derivation import (
    TAILS,
    allocate_ratios,
    check_bounds,
    gaussian_tail,
    gaussian_threshold,
    normalize_shares,
)
from ._profile import (
    cycle_layout,
    day_groups,
    detect_day_groups,
    fit_profile,
    row_positions,
    trailing_levels,
)

# Spacing of the candidate thresholds tried by ``thresholds="tune"`` (in Z units), and
# the most candidates per column, so that wide bounds stay cheap.
_TUNE_STEP = 0.05
_TUNE_MAX_CANDIDATES = 401
# Candidate weighted ratios for ``expected_ratio="tune"``: (first, last, count), log-spaced.
# ``expected_ratio="auto"`` without labels: expected readings beyond their thresholds per
# normal row, the two-sided tail of the 3-sigma rule, 2 Phi(-3).
_ROW_RATIO = 0.0026997960632601866
_RATIO_GRID = (1e-6, 0.5, 121)


def _is(value, option):
    """``value == option`` for a parameter that may also be an array."""
    return isinstance(value, str) and value == option


class WeightedZScoreThresholder(OutlierMixin, BaseEstimator):
    """Outlier detector with a Z-score threshold per column, derived from column shares.

    Each column (a usage category such as industrial, general, late-night or agricultural
    power, or any score column such as reconstruction-error features) is turned into Z
    scores with a location and scale fitted on training rows (normal rows only when ``y``
    is given), optionally per position in a cycle (``period``) and per day group
    (``weekly``). Each column ``k`` has its own threshold ``thresholds_[k]``; a row is an
    outlier when its columns exceed their thresholds according to ``combine``.

    Thresholds are given, derived from each column's share of the total (the
    weighted-average expected ratio rule, see Notes), or tuned on labelled training rows.
    With the defaults, labels ``y`` holding anomalies choose the level of the derived
    thresholds; without them, the level gives a normal row the false-alarm rate of the
    3-sigma rule. Why these defaults, measured: ``benchmarks/RESULTS.md``, section
    "Per-category thresholds".

    Parameters
    ----------
    thresholds : "auto", "tune", float, array-like of shape (n_features,) or dict, \
            default="auto"
        ``"auto"``: derived from the column shares and ``expected_ratio`` (see Notes).
        ``"tune"``: per-column thresholds maximising ``metric`` on the labelled training
        rows (needs ``y`` with anomalies), searched on a grid of step 0.05 within
        ``threshold_bounds``. A float gives every column that threshold; an array one
        per column; a dict maps each column name of a DataFrame ``X`` to its threshold.
        Given thresholds are used as they are (no clipping).
    expected_shares : array-like of shape (n_features,), dict or None, default=None
        Share of each column in the total (positive; rescaled to sum to one), e.g.
        ``(0.70, 0.20, 0.08, 0.02)``; a dict maps column names to shares. None estimates
        them from the training rows as each column's mean absolute value over the sum
        of these means. Used by ``thresholds="auto"`` and ``vote_weights="shares"``.
    expected_ratio : float, "auto" or "tune", default="auto"
        Level of the derived thresholds (``thresholds="auto"``). A float in (0, 1) is
        the target share-weighted average fraction ``c`` of readings beyond their
        column's threshold: ``sum_k shares_[k] * r_k = c`` where ``r_k`` is column
        ``k``'s expected ratio. This is a fraction of readings (cells), not of rows:
        small-share columns get large ratios, and with ``combine="any"`` the fraction of
        flagged rows is about ``sum_k r_k``, much larger than ``c``. ``"tune"`` picks
        ``c`` on a log grid from 1e-6 to 0.5 to maximise ``metric`` on the labelled
        training rows: one parameter fitted, the derived ratios between columns kept
        (see ``expected_ratio_``); it needs labels with anomalies and
        ``thresholds="auto"``, and ``fit`` raises a ``ValueError`` otherwise.
        ``"auto"``: ``"tune"`` when ``fit`` gets labels holding anomalies; otherwise the
        ``c`` for which a normal row has on average ``2 Phi(-3) = 0.0027`` readings
        beyond their thresholds (``sum_k r_k = 0.0027``, the two-sided 3-sigma rule per
        row rather than per reading; columns of equal shares then share it, as in
        Bonferroni's correction). Ignored by given or tuned thresholds.
    share_power : float, default=1.0
        Exponent ``g`` >= 0 in ``r_k`` proportional to ``shares_[k] ** -g``. 0 gives every
        column the same ratio (one global cut), 1 an equal part of the weighted budget.
    reference : {"gaussian", "empirical"}, default="gaussian"
        Distribution that turns a ratio into a Z threshold for ``thresholds="auto"``: the
        standard normal, or the training (normal) rows' own Z values of that column.
    robust : bool, default=True
        Location and scale as median and 1.4826 * MAD (modified Z score; 1.2533 * mean
        absolute deviation where the MAD is zero), or as mean and standard deviation.
    tail : {"both", "upper", "lower"}, default="both"
        Which deviations count: ``|z|``, only ``z`` above the location (error features,
        spikes), or only below it (sags, outages).
    period : int or None, default=None
        Rows per cycle (96 for a day of 15-minute readings). When given, location and
        scale are fitted per position in the cycle, so that the daily load curve does not
        drown the Z scores; ``fit`` needs at least one whole cycle of rows
        (``period <= n_samples``). None fits one location and scale per column.
    weekly : {"auto", "weekend", "day_of_week"} or None, default="auto"
        With ``period`` (one day), fit separate profiles for weekdays and weekend days
        (``"weekend"``, 2 groups) or for each day of the week (``"day_of_week"``); None
        fits one profile for every day. ``"auto"`` learns from the training rows whether
        a run of one to three consecutive days of the week (a weekend, a closing day)
        has a daily level of its own, and then fits two profiles, that run's and the
        other days' (see ``day_groups_``); it needs at least three weeks of training
        rows (21 whole days) and otherwise fits one profile. The run is found in the day
        count from ``phase``, so it does not depend on ``phase`` being right. Ignored
        without ``period``.
    level_window : "auto", int or None, default="auto"
        Rows over which the level of each column is tracked, so that a profile fitted on
        one season still fits a later one (load grows and shrinks with the seasons, a
        trend, new machines). Row ``t``'s location and scale are multiplied by the
        median, over the trailing ``level_window`` rows of the same ``X`` (row ``t``
        included, no later row), of the ratio of each reading to its location; with
        fewer than ``min(level_window, period)`` such rows (the first day of a block),
        the profile is used as fitted. Only columns whose fitted locations are all
        positive (loads) are tracked, see ``level_columns_``; with ``y``, anomalous
        training rows do not count. ``"auto"``: one week, ``7 * period``, with
        ``period``, and no tracking without it. None: no tracking, a row's Z depends on
        its position only.
    phase : int, default=0
        Cycle position of the first row of every ``X`` passed to ``fit``, ``predict`` and
        the other methods: row ``i`` sits at step ``phase + i`` of the cycle; its slot is
        that step modulo ``period`` and, with ``weekly``, its day of the week is the step
        divided by ``period``, modulo 7, with 0 = Monday and 5, 6 = weekend. For data
        starting on a Monday at midnight, ``phase=0``; in general
        ``phase = day_of_week * period + slot`` of the first timestamp. Pass blocks that
        start at the same position (e.g. whole days), or set ``phase`` accordingly.
    min_samples : int, default=10
        Fewest training rows a cycle position's location may rest on. A
        position with fewer rows pools its neighbouring slots (circularly within its day
        group, one more slot on each side at a time); if its whole group has fewer rows,
        it uses all training rows. See ``pooled_half_width_``.
    scale_window : int, default=2
        With ``period``, a position's scale comes from the residuals (reading minus its
        position's location) of the ``scale_window`` slots on each side as well: the
        residuals are centred, so pooling does not mix levels of the cycle, and the
        scale rests on ``2 * scale_window + 1`` times more rows, which keeps noisy
        scales from inflating the Z tails. 0 uses the position alone.
    combine : {"any", "all"} or float in (0, 1], default="any"
        How columns combine into one decision per row. ``"any"``: the row is an outlier
        when any column exceeds its threshold. A float ``q``: a weighted vote, the row
        is an outlier when the columns beyond their thresholds hold at least ``q`` of the
        vote weight. ``"all"`` is the vote with ``q = 1``.
    vote_weights : array-like of shape (n_features,), dict, "shares" or None, \
            default=None
        Vote weights (non-negative, rescaled to sum to one) for a voting ``combine``;
        None gives equal weights, ``"shares"`` uses ``shares_``. Ignored by ``"any"``.
    threshold_bounds : tuple of two floats, default=(1.5, 6.0)
        Derived thresholds are clipped to ``[low, high]``; tuned thresholds are searched
        within them.
    metric : "f1" or callable, default="f1"
        Criterion of ``thresholds="tune"`` and ``expected_ratio="tune"``: F1 of the
        anomaly class (point-wise, on the training rows), or
        ``metric(y_true, y_pred)`` on 0/1 labels (1 = anomaly), higher is better.

    Attributes
    ----------
    thresholds_ : ndarray of shape (n_features,)
        Z threshold of each column.
    expected_ratios_ : ndarray of shape (n_features,)
        Expected fraction of each column's readings beyond its threshold under the
        reference distribution (``reference="empirical"``: measured on the normal
        training rows). With ``thresholds="auto"`` and no clipping, the ratios ``r_k``
        of the Notes.
    expected_ratio_ : float or None
        The weighted ratio ``c`` used by ``thresholds="auto"`` (given, tuned or derived
        from the per-row rate of ``expected_ratio="auto"``); None for given or tuned
        thresholds.
    shares_ : ndarray of shape (n_features,)
        Column shares used (given and rescaled, or estimated).
    location_ : ndarray of shape (n_positions, n_features)
        Location per cycle position (``n_positions = 1`` without ``period``).
    scale_ : ndarray of shape (n_positions, n_features)
        Scale per cycle position (always > 0).
    day_groups_ : ndarray of shape (7,) or None
        Profile group of each day of the week (index 0 = the day of the first row at
        ``phase``, Monday for ``phase=0``): from ``weekly``, or learned with
        ``weekly="auto"`` (1 for the detected run of days); None when one profile serves
        every day (``weekly=None``, no ``period``, or nothing detected).
    level_window_ : int or None
        Trailing rows of the tracked level (see ``level_window``); None: not tracked.
    level_columns_ : ndarray of shape (n_features,), dtype bool
        Columns whose level is tracked (their fitted locations are all positive).
    pooled_half_width_ : ndarray of shape (n_positions,)
        Neighbouring slots pooled on each side of each position for its location
        (0 = none, -1 = all training rows).
    vote_weights_ : ndarray of shape (n_features,)
        Normalised vote weights (equal for ``combine="any"``).
    vote_fraction_ : float
        Weight fraction a row's exceeding columns must reach.
    offset_ : float
        Always -1.0: ``decision_function = score_samples + 1``.
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during fit, when ``X`` has string column names.

    See Also
    --------
    weighted_ratio_thresholds : The threshold derivation as a function.
    sklearn.ensemble.IsolationForest : The research's final detector on error features.

    Notes
    -----
    **Scores.** With ``d_k`` the tail-transformed Z value of column ``k`` (``|z_k|``,
    ``z_k`` or ``-z_k``) and ``a_k = d_k / thresholds_[k]`` its exceedance (``a_k > 1``:
    beyond the threshold), ``score_samples = -m`` where ``m = max_k a_k`` for
    ``combine="any"`` and, for a vote with fraction ``q``, ``m`` is the weighted upper
    ``q`` quantile of the ``a_k``: the largest value that columns holding at least ``q``
    of the weight reach. In both cases ``m > 1`` exactly when the row is an outlier, so
    ``offset_ = -1`` and ``predict`` is -1 where ``score_samples < -1``.

    **Derivation of the thresholds (``thresholds="auto"``).** Let ``s_k`` be the
    shares (``sum s_k = 1``) and ``c = expected_ratio`` the weighted-average expected
    ratio: the fraction of readings beyond their thresholds when a reading of column
    ``k`` weighs ``s_k`` (its part of the total load), ``c = sum_k s_k r_k``. As in
    weighted multiple testing, where each test gets a part of the error budget in
    proportion to a prior weight and the weights' average is fixed [3]_, the budget goes
    to the columns in proportion to their expected ratio of anomalous readings. Two
    assumptions fix how that ratio depends on the share:

    1. a column's noise scale is proportional to its level, ``sigma_k ~ s_k`` (constant
       coefficient of variation across categories);
    2. disturbances have heavy-tailed absolute sizes, ``P(|delta| > x) ~ x**-g`` (a
       Pareto tail of index ``g = share_power``), and hit each column at the same rate.

    A disturbance is visible at a fixed Z level ``z*`` in column ``k`` when
    ``|delta| > z* sigma_k``, with probability proportional to ``s_k**-g``: the same
    event is relatively larger in a small category, so small categories hold a larger
    ratio of detectable anomalous readings. Hence ``r_k ~ s_k**-g``, and fixing the
    weighted average gives::

        r_k = c * s_k**(-g) / sum_j s_j**(1 - g)

    For ``g = 1``, ``s_k r_k = c / K`` for all ``K`` columns: each column receives an
    equal part of the weighted budget, the share-weighted form of Bonferroni's split.
    ``g = 0`` gives one global ratio ``r_k = c``, hence one global cut. Each column's
    threshold is the ``1 - r_k`` quantile of ``d_k`` under the reference distribution of
    normal readings: ``Phi^-1(1 - r_k / 2)`` for a two-sided Gaussian, ``Phi^-1(1 - r_k)``
    for one tail, or the empirical quantile of the training rows (normal rows when ``y``
    is given; otherwise all rows, so that ``r_k`` then also counts the anomalies of the
    training data, like IsolationForest's ``contamination``). Thresholds are clipped to
    ``threshold_bounds`` (the clip changes ``expected_ratios_``). Small-share columns
    thus get lower cuts. With shares ``(0.70, 0.20, 0.08, 0.02)`` the Gaussian
    thresholds are 3.30, 2.93, 2.63 and 2.12 for ``c = 0.0027``, and 3.00, 2.59, 2.26
    and 1.67 for ``c = 0.0076``, against 3.0, 3.1, 2.3 and 1.7 reported by the
    research, whose derivation was not published.

    **The level ``c``.** A fixed ``c`` counts readings weighted by share, so the
    small-share columns, which weigh little, receive large ratios: with the shares
    above and ``c = 0.0027``, the agricultural column's ratio is
    ``c / (4 * 0.02) = 0.034``: under the reference distribution it alone flags 3.4 %
    of normal rows. Hence the default ``expected_ratio="auto"`` sets the level per row instead:
    ``c`` such that ``sum_k r_k = 2 Phi(-3)``, which keeps the rule's ratios between
    columns. When labels are available, the default tunes ``c`` on them (as
    ``expected_ratio="tune"``), and ``thresholds="tune"`` fits every column
    (coordinate ascent from the best common threshold), replacing the assumptions.

    **The profile.** With ``period`` and one profile for every day, days of another
    level (weekends of industrial load) sit many scales away from the weekday profile
    and flag most of their rows, whatever the thresholds; ``weekly="auto"`` (the
    default) detects such days. A profile fitted once does not follow a level that
    drifts after the training rows (seasons, growth): the normal rows of a later month
    then sit several scales away from it. ``level_window="auto"`` (the default) tracks
    each positive column's level over the trailing week, causally, as a multiplicative
    factor of location and scale (noise proportional to the level, as in assumption 1
    above); a one-day event barely moves that median, a level shift longer than half
    the window is absorbed.

    **Z scores.** Robust Z is the modified Z score of Iglewicz and Hoaglin [1]_,
    ``(x - median) / (1.4826 MAD)``, the MAD scaled to estimate a Gaussian standard
    deviation [2]_. The thresholds are fitted on training data only; when ``y`` is
    given, locations and scales use the normal rows only, and ``"tune"`` uses all
    labelled rows.

    References
    ----------
    .. [1] B. Iglewicz and D. C. Hoaglin, "How to Detect and Handle Outliers", ASQC
       Quality Press, 1993.
    .. [2] P. J. Rousseeuw and C. Croux, "Alternatives to the median absolute
       deviation", Journal of the American Statistical Association 88(424),
       1273-1283, 1993.
    .. [3] C. R. Genovese, K. Roeder and L. Wasserman, "False discovery control with
       p-value weighting", Biometrika 93(3), 509-524, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.thresholding import WeightedZScoreThresholder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 4)) * [70.0, 20.0, 8.0, 2.0] + [700, 200, 80, 20]
    >>> detector = WeightedZScoreThresholder(expected_ratio=0.0076).fit(X)
    >>> detector.thresholds_.round(1)
    array([3. , 2.6, 2.3, 1.7])
    >>> detector.predict([[700, 200, 80, 20], [700, 200, 80, 26]])
    array([ 1, -1])
    """

    _parameter_constraints = {
        "thresholds": [
            StrOptions({"auto", "tune"}),
            Interval(numbers.Real, 0, None, closed="neither"),
            "array-like",
            dict,
        ],
        "expected_shares": [None, "array-like", dict],
        "expected_ratio": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            StrOptions({"auto", "tune"}),
        ],
        "share_power": [Interval(numbers.Real, 0, None, closed="left")],
        "reference": [StrOptions({"gaussian", "empirical"})],
        "robust": ["boolean"],
        "tail": [StrOptions(set(TAILS))],
        "period": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "weekly": [None, StrOptions({"auto", "weekend", "day_of_week"})],
        "level_window": [
            None,
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "phase": [Interval(numbers.Integral, 0, None, closed="left")],
        "min_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "scale_window": [Interval(numbers.Integral, 0, None, closed="left")],
        "combine": [StrOptions({"any", "all"}), Interval(numbers.Real, 0, 1, closed="right")],
        "vote_weights": [None, StrOptions({"shares"}), "array-like", dict],
        "threshold_bounds": ["array-like"],
        "metric": [StrOptions({"f1"}), callable],
    }

    def __init__(
        self,
        *,
        thresholds="auto",
        expected_shares=None,
        expected_ratio="auto",
        share_power=1.0,
        reference="gaussian",
        robust=True,
        tail="both",
        period=None,
        weekly="auto",
        level_window="auto",
        phase=0,
        min_samples=10,
        scale_window=2,
        combine="any",
        vote_weights=None,
        threshold_bounds=(1.5, 6.0),
        metric="f1",
    ):
        self.thresholds = thresholds
        self.expected_shares = expected_shares
        self.expected_ratio = expected_ratio
        self.share_power = share_power
        self.reference = reference
        self.robust = robust
        self.tail = tail
        self.period = period
        self.weekly = weekly
        self.level_window = level_window
        self.phase = phase
        self.min_samples = min_samples
        self.scale_window = scale_window
        self.combine = combine
        self.vote_weights = vote_weights
        self.threshold_bounds = threshold_bounds
        self.metric = metric

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit locations, scales and per-column thresholds on training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, one column per category or score; row ``i`` sits at cycle
            step ``phase + i``.
        y : array-like of shape (n_samples,), default=None
            Optional anomaly labels, 1 = anomaly and 0 = normal (bool, int or float).
            Locations and scales are then fitted on the normal rows only;
            ``thresholds="tune"`` and ``expected_ratio="tune"`` require them. Any other
            value (class labels, -1/+1 predictions, NaN) raises a ``ValueError``.

        Returns
        -------
        self : object
            Fitted detector.
        """
        X = validate_series(self, X)
        mode = self._threshold_mode()
        anomalous = self._check_labels(y, X.shape[0])
        if mode == "auto_ratio" and anomalous.any():
            mode = "tune_ratio"  # labels with anomalies choose the level c
        if self.weekly not in (None, "auto") and self.period is None:
            raise ValueError(
                f"weekly={self.weekly!r} needs period (rows per day, e.g. 96); got period=None."
            )
        if self.period is not None and self.period > X.shape[0]:
            raise ValueError(
                f"period={self.period} is longer than the training data: X has "
                f"{X.shape[0]} sample(s) (rows), not one whole cycle, so most cycle "
                "positions would have no training row. Use a period of at most "
                "n_samples rows, or period=None."
            )
        bounds = check_bounds(self.threshold_bounds, name="threshold_bounds")
        normal = ~anomalous
        D = self._fit_profile(X, normal)
        self._fit_votes(X[normal])
        if mode in ("tune", "tune_ratio") and not anomalous.any():
            what = "thresholds='tune'" if mode == "tune" else "expected_ratio='tune'"
            raise ValueError(
                f"{what} needs labels y with at least one anomaly (1); "
                + ("got y=None." if y is None else "y holds only normal rows (0).")
            )
        self.thresholds_, self.expected_ratio_ = self._fit_thresholds(mode, D, anomalous, bounds)
        if self.reference == "gaussian":
            self.expected_ratios_ = gaussian_tail(self.thresholds_, self.tail)
        else:
            self.expected_ratios_ = np.mean(D[normal] > self.thresholds_, axis=0)
        self.offset_ = -1.0
        return self

    def zscores(self, X):
        """Signed Z score of each reading against its position's location and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; row ``i`` sits at cycle step ``phase + i``.

        Returns
        -------
        z : ndarray of shape (n_samples, n_features)
            ``(x - location) / scale`` per column, the location and scale of the row's
            position times the level tracked over the previous rows of ``X`` (see
            ``level_window``).
        """
        check_is_fitted(self)
        X = validate_series(self, X, reset=False)
        location, scale = self._row_profile(X)
        return (X - location) / scale

    def score_samples(self, X):
        """Opposite of each row's combined exceedance: the higher, the more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-m`` with ``m`` the combined ``d_k / thresholds_[k]`` (see Notes); below
            -1 means outlier.
        """
        z = self.zscores(X)
        A = self._tail_transform(z) / self.thresholds_
        return -combine_exceedances(A, self.vote_weights_, self.vote_fraction_)

    def decision_function(self, X):
        """Shifted scores, negative for outliers: ``score_samples(X) - offset_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Negative for outliers, non-negative for inliers.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Predict -1 for outliers and +1 for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where some columns exceed their thresholds as ``combine`` asks, else +1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    # -- helpers -------------------------------------------------------------------

    def _derive(self, D_normal, expected_ratio, low, high):
        """Thresholds of the weighted-average expected ratio rule for one ratio ``c``."""
        ratios = np.minimum(allocate_ratios(self.shares_, expected_ratio, self.share_power), 1.0)
        if self.reference == "gaussian":
            thresholds = gaussian_threshold(ratios, self.tail)
        else:
            thresholds = np.array(
                [np.quantile(D_normal[:, k], 1.0 - r) for k, r in enumerate(ratios)]
            )
        return np.clip(thresholds, low, high)

    def _row_budget_ratio(self):
        """The weighted ratio ``c`` that gives a normal row ``_ROW_RATIO`` readings
        beyond their thresholds on average: ``sum_k r_k = _ROW_RATIO``."""
        shares, power = self.shares_, self.share_power
        return float(_ROW_RATIO * np.sum(shares ** (1.0 - power)) / np.sum(shares ** (-power)))

    def _positions(self, n_rows):
        return row_positions(
            n_rows, period=self.period, weekly=self._fitted_day_groups(), phase=self.phase
        )

    def _fitted_day_groups(self):
        if hasattr(self, "day_groups_"):
            return self.day_groups_
        return None if _is(self.weekly, "auto") else day_groups(self.weekly)

    def _tail_transform(self, z):
        if self.tail == "both":
            return np.abs(z)
        return z if self.tail == "upper" else -z

    def _row_profile(self, X, normal=None):
        """Location and scale of each row of ``X``: its position's, times the tracked level.

        ``normal`` (fit with labels) keeps the anomalous rows out of the levels.
        """
        positions = self._positions(X.shape[0])
        location, scale = self.location_[positions], self.scale_[positions]
        window = getattr(self, "level_window_", None)
        tracked = getattr(self, "level_columns_", None)
        if window is None or tracked is None or not tracked.any():
            return location, scale
        ratios = X[:, tracked] / location[:, tracked]
        if normal is not None:
            ratios[~normal] = np.nan
        levels = trailing_levels(ratios, window=window, min_rows=min(window, self.period or window))
        location, scale = location.copy(), scale.copy()
        location[:, tracked] *= levels
        scale[:, tracked] *= levels
        return location, scale

    def _resolve_level_window(self):
        """``level_window_`` from ``level_window`` (``"auto"``: one week with a period)."""
        if _is(self.level_window, "auto"):
            return None if self.period is None else 7 * self.period
        return None if self.level_window is None else int(self.level_window)

    def _threshold_mode(self):
        """``"tune"``, ``"tune_ratio"``, ``"auto"`` or ``"given"``, from the parameters."""
        if _is(self.expected_ratio, "tune") and not _is(self.thresholds, "auto"):
            raise ValueError(
                "expected_ratio='tune' tunes the level of the derived thresholds, so it "
                f"needs thresholds='auto'; got thresholds={self.thresholds!r}. Use a float "
                "expected_ratio, or thresholds='auto'."
            )
        if _is(self.thresholds, "tune"):
            return "tune"
        if _is(self.thresholds, "auto"):
            if _is(self.expected_ratio, "tune"):
                return "tune_ratio"
            return "auto_ratio" if _is(self.expected_ratio, "auto") else "auto"
        return "given"

    @staticmethod
    def _check_labels(y, n_samples):
        """Boolean mask of anomalous rows (all False when ``y`` is None)."""
        if y is None:
            return np.zeros(n_samples, dtype=bool)
        anomalous = check_anomaly_labels(y, n_samples=n_samples)
        if anomalous.all():
            raise ValueError(
                f"y marks all {n_samples} sample(s) as anomalies (1); no normal rows to fit on."
            )
        return anomalous

    def _fit_profile(self, X, normal):
        """Fit ``location_``, ``scale_`` and ``pooled_half_width_`` on the normal rows;
        return the tail-transformed Z values of all rows."""
        self.day_groups_ = self._resolve_day_groups(X, normal)
        n_slots, n_groups = cycle_layout(self.period, self.day_groups_)
        positions = self._positions(X.shape[0])
        self.location_, self.scale_, self.pooled_half_width_ = fit_profile(
            X[normal],
            positions[normal],
            n_slots=n_slots,
            n_groups=n_groups,
            robust=self.robust,
            min_samples=self.min_samples,
            scale_window=self.scale_window,
        )
        self.level_window_ = self._resolve_level_window()
        # a multiplicative level needs a positive profile (e.g. load)
        self.level_columns_ = np.all(self.location_ > 0, axis=0)
        location, scale = self._row_profile(X, normal)
        return self._tail_transform((X - location) / scale)

    def _resolve_day_groups(self, X, normal):
        """The day groups of the profile: given by ``weekly``, or learned (``"auto"``)."""
        if self.period is None:
            return None
        if not _is(self.weekly, "auto"):
            return day_groups(self.weekly)
        rows = np.flatnonzero(normal)
        return detect_day_groups(X[rows], rows, period=self.period, phase=self.phase)

    def _fit_votes(self, X_normal):
        """Fit ``shares_``, ``vote_weights_`` and ``vote_fraction_``."""
        self.shares_ = self._fit_shares(X_normal)
        weights = self._by_column(self.vote_weights, "vote_weights", shares=self.shares_)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(
                f"vote_weights must be finite and >= 0 with a positive sum, got {weights.tolist()}."
            )
        self.vote_weights_, self.vote_fraction_ = vote_rule(self.combine, weights)

    def _fit_thresholds(self, mode, D, anomalous, bounds):
        """``(thresholds_, expected_ratio_)`` for the threshold mode."""
        low, high = bounds
        normal = ~anomalous
        votes = {"weights": self.vote_weights_, "fraction": self.vote_fraction_}
        if mode == "tune":
            n_grid = min(_TUNE_MAX_CANDIDATES, int(np.ceil((high - low) / _TUNE_STEP)) + 1)
            grid = np.linspace(low, high, n_grid)
            thresholds, _, _ = tune_thresholds(D, anomalous, grid=grid, metric=self.metric, **votes)
            return thresholds, None
        if mode == "tune_ratio":
            candidates = np.geomspace(*_RATIO_GRID)
            table = np.stack([self._derive(D[normal], c, low, high) for c in candidates])
            best, _ = tune_ratio_table(D, anomalous, table, metric=self.metric, **votes)
            return table[best], float(candidates[best])
        if mode in ("auto", "auto_ratio"):
            if mode == "auto":
                ratio = float(self.expected_ratio)
            else:
                ratio = self._row_budget_ratio()
            return self._derive(D[normal], ratio, low, high), ratio
        return self._explicit_thresholds(), None

    def _fit_shares(self, X_normal):
        if self.expected_shares is not None:
            return normalize_shares(self._by_column(self.expected_shares, "expected_shares"))
        level = np.mean(np.abs(X_normal), axis=0)
        if not np.any(level > 0):
            return np.full(X_normal.shape[1], 1.0 / X_normal.shape[1])
        # A column that is zero on all normal rows gets a tiny share, hence the lowest cut.
        level = np.maximum(level, np.max(level) * 1e-12)
        return level / level.sum()

    def _explicit_thresholds(self):
        thresholds = self._by_column(self.thresholds, "thresholds")
        if not np.all(np.isfinite(thresholds)) or np.any(thresholds <= 0):
            raise ValueError(f"thresholds must be finite and > 0, got {thresholds.tolist()}.")
        return thresholds

    def _by_column(self, value, name, shares=None):
        """One float per column from a scalar, sequence, dict by column name or keyword."""
        n = self.n_features_in_
        if value is None:
            return np.ones(n)
        if isinstance(value, str):  # "shares" for vote_weights
            return shares
        if isinstance(value, dict):
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    f"{name} given as a dict needs X with column names (a pandas "
                    "DataFrame); pass a sequence with one value per column instead."
                )
            missing = [c for c in names if c not in value]
            unknown = [k for k in value if k not in set(names)]
            if missing or unknown:
                raise ValueError(
                    f"{name} keys must be the column names {names.tolist()}; "
                    f"missing {missing}, unknown {unknown}."
                )
            return np.array([value[c] for c in names], dtype=np.float64)
        if isinstance(value, numbers.Real):
            return np.full(n, float(value))
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be numeric, got {value!r}.") from None
        if array.shape != (n,):
            raise ValueError(
                f"{name} must have one value per column ({n}), got shape {array.shape}."
            )
        return array
