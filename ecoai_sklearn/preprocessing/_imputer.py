"""KNN imputation of a series from the most similar cycles (days) of its training data."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.impute import KNNImputer
from sklearn.utils.validation import check_is_fitted

from ..utils import Interval, StrOptions, _fit_context, validate_series
from ..windowing import find_periods


class SeriesKNNImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Fill missing readings from the same phase of the most similar cycles.

    Each channel of the series is cut into consecutive cycles of ``period`` rows (for
    15-minute data with ``period=96``, one row per day and one column per time of day).
    A missing reading is the weighted mean of the readings at the same time of day on the
    ``n_neighbors`` training cycles closest to its own cycle, by the NaN-aware Euclidean
    distance over the readings both cycles have (scikit-learn's
    :class:`~sklearn.impute.KNNImputer` on the cycle matrix, one per channel). Observed
    values are never changed.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbouring training cycles used for each missing reading.
    period : "auto" or int, default="auto"
        Rows per cycle. ``"auto"`` estimates it from the training series with
        :func:`~ecoai_sklearn.windowing.find_periods`, see the Notes.
    weights : {"uniform", "distance"} or callable, default="uniform"
        Weight of each neighbour, as in :class:`~sklearn.impute.KNNImputer`.
    align : {"profile", "start"}, default="profile"
        Where the first row of the data given to :meth:`transform` falls in the cycle.
        ``"start"``: at the same phase as the first training row (data that starts at the
        same time of day). ``"profile"``: estimated as the circular shift that best
        matches the observed readings to the mean training profile, so a test fold that
        starts at 13:45 is compared with the training days at 13:45.
    time_index : {"check", "ignore"}, default="check"
        What to do with the :class:`~pandas.DatetimeIndex` of a DataFrame ``X``. The
        imputer counts cycles in rows, so rows must be consecutive steps of a regular
        grid. ``"check"``: an index that is not (a gap of absent rows, a repeated or
        unsorted timestamp, a changing step) raises a ValueError that names
        :func:`ecoai_sklearn.datasets.regularize`, which puts the series on its grid
        (absent rows become missing readings, filled here). ``"ignore"``: rows are taken
        as consecutive whatever the index says. Arrays and other indexes are never
        checked.

    Attributes
    ----------
    period_ : int
        Rows per cycle used.
    profile_ : ndarray of shape (period_, n_features_in_)
        Mean training cycle of each channel: the mean of the observed readings at each
        phase; phases never observed during fit are interpolated circularly from the
        nearest observed phases.
    phase_counts_ : ndarray of shape (period_, n_features_in_)
        Number of training cycles with an observed reading at each phase, per channel.
    imputers_ : list of KNNImputer
        One fitted imputer per channel; its training rows (the cycles of the training
        series) are the neighbour pool.
    scale_ : ndarray of shape (n_features_in_,)
        Standard deviation of each training channel (``magnitude_`` where it is 0),
        which weighs the channels in ``joint_imputer_``'s distance.
    magnitude_ : ndarray of shape (n_features_in_,)
        Power of two each channel is divided by before distances are computed (and
        multiplied back after), so that its largest training reading lies in [1, 2): the
        squared distances of readings near the float64 limit (1e155 and above) do not
        overflow. Being a power of two, it changes no neighbour and no weight of
        ``"uniform"`` or ``"distance"``; ``imputers_`` and ``joint_imputer_`` hold the
        divided cycles.
    joint_imputer_ : KNNImputer or None
        Imputer on the training cycles of all channels side by side (each divided by
        ``scale_``), used for cycles with no reading in a channel; None with one channel.
    n_features_in_ : int
        Number of channels seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the channels seen during :meth:`fit`, when ``X`` has string column names.

    See Also
    --------
    sklearn.impute.KNNImputer : The imputer applied to each channel's cycle matrix.
    Differencer : The stage that usually follows imputation.

    Notes
    -----
    What fit learns: the training cycles of every channel (the neighbour pool, like
    :class:`~sklearn.impute.KNNImputer` keeps its training rows) and :attr:`profile_`.
    :meth:`transform` cuts the new data into cycles the same way (after the phase shift
    chosen by ``align``) and fills them from the training pool only, so test data never
    lends values to itself or to other test rows. Rules for the edges:

    - leading and trailing partial cycles are padded with NaN and imputed from their
      observed part like any other cycle;
    - a cycle with no observed reading of a channel (a whole missing day) has no
      distance to go by in that channel: its neighbours are the training cycles closest in
      the other channels during the same cycle (``joint_imputer_``: a missing weekday in
      one category is filled from the weekdays whose other categories look alike);
    - a cycle with no reading in any channel (or in the only channel) gets
      :attr:`profile_`, the mean training cycle (``KNNImputer``'s column-mean rule);
    - a phase never observed in training gets :attr:`profile_` at that phase;
    - a channel with no observed value during fit raises a ValueError naming it; in
      :meth:`transform` an all-missing channel is filled from the other channels as above.

    Which readings were filled: :meth:`get_imputed_mask` gives the mask of the readings
    :meth:`transform` fills (``mask.any(axis=1)`` marks the rows). The ``ecoai-detect``
    command writes it as the ``imputed`` column of its output.

    A pandas DataFrame of nullable dtypes (``Float64`` with ``pd.NA``) is read as float64
    with NaN; the input is never modified. A callable ``weights`` receives the
    distances of the divided cycles (see :attr:`magnitude_`).

    Neighbours are whole cycles, not timestamps: on daily load this fills gaps, whole
    missing days included, more accurately than ``KNNImputer`` on the raw rows
    (neighbours = timestamps with similar readings in the other channels) or linear
    interpolation (``benchmarks/RESULTS.md``, section 7).

    ``period="auto"`` fills the gaps of each channel by linear interpolation and takes
    the best period of :func:`~ecoai_sklearn.windowing.find_periods` (one day, not half
    a day or a week, on load with a 12-hour harmonic and weekends). When it finds no
    significant period (noise, a constant or too short series) the whole training series
    is one cycle; the imputation then reduces to filling each gap from the mean profile,
    which is the series itself interpolated linearly (circularly) across the gap.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.preprocessing import SeriesKNNImputer
    >>> day = np.array([1.0, 5.0, 9.0, 5.0])
    >>> X = np.concatenate([day, day + 1, day, day + 1, day])[:, np.newaxis]
    >>> X[6, 0] = np.nan  # a gap in a "day + 1" cycle
    >>> imputer = SeriesKNNImputer(n_neighbors=1, period=4).fit(X)
    >>> imputer.transform(X)[4:8, 0]
    array([ 2.,  6., 10.,  6.])
    >>> imputer.profile_[:, 0]
    array([1.4 , 5.4 , 9.25, 5.4 ])
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "period": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "weights": [StrOptions({"uniform", "distance"}), callable],
        "align": [StrOptions({"profile", "start"})],
        "time_index": [StrOptions({"check", "ignore"})],
    }

    def __init__(
        self,
        *,
        n_neighbors=5,
        period="auto",
        weights="uniform",
        align="profile",
        time_index="check",
    ):
        self.n_neighbors = n_neighbors
        self.period = period
        self.weights = weights
        self.align = align
        self.time_index = time_index

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the period, the mean profile and the neighbour pool of training cycles.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Training series; NaN marks a missing reading, every channel needs at least one
            observed value. A DataFrame's DatetimeIndex is checked (``time_index``).
        y : None
            Ignored.

        Returns
        -------
        self : SeriesKNNImputer
            The fitted imputer.
        """
        X = self._validate(X, reset=True)
        observed = ~np.isnan(X)
        empty = np.flatnonzero(~observed.any(axis=0))
        if empty.size:
            raise ValueError(
                f"X has no observed value in channel(s) {self._channel_labels(empty)}: "
                "SeriesKNNImputer needs at least one reading per channel to fit."
            )
        self.magnitude_ = _magnitude(X)
        X = X / self.magnitude_
        self.period_ = _estimate_period(X) if self.period == "auto" else int(self.period)
        cycles = _to_cycles(X, self.period_, shift=0)
        self.phase_counts_ = (~np.isnan(cycles)).sum(axis=1).T
        profile = _mean_profile(cycles)
        self.profile_ = profile * self.magnitude_
        self.imputers_ = [self._knn().fit(cycles[c]) for c in range(X.shape[1])]
        scale = np.nanstd(X, axis=0)
        scale[~(scale > 0)] = 1.0
        self.scale_ = scale * self.magnitude_
        self.joint_imputer_ = self._knn().fit(_joint(cycles, scale)) if X.shape[1] > 1 else None
        return self

    def _validate(self, X, *, reset):
        """``X`` as a float64 array of its own (NaN where missing), its index checked."""
        self._check_time_index(X)
        if isinstance(X, pd.DataFrame) and any(
            isinstance(dtype, pd.api.extensions.ExtensionDtype) for dtype in X.dtypes
        ):
            # nullable dtypes (Float64 with pd.NA): float64 with NaN, as a new frame
            X = X.astype("float64")
        X = validate_series(self, X, reset=reset, ensure_all_finite="allow-nan", copy=True)
        if not X.flags.writeable:  # a read-only view of a pandas buffer
            X = X.copy()
        return X

    def _check_time_index(self, X):
        """A ValueError when ``X``'s DatetimeIndex is not a regular grid (``"check"``)."""
        index = getattr(X, "index", None)
        if self.time_index != "check" or not isinstance(index, pd.DatetimeIndex):
            return
        if len(index) < 3 or index.hasnans:
            if index.hasnans:
                raise ValueError("X's DatetimeIndex holds a missing timestamp (NaT).")
            return
        steps = np.diff(index.as_unit("ns").asi8)
        sizes, counts = np.unique(steps, return_counts=True)
        usual = sizes[np.argmax(counts)]
        problems = []
        if (steps == 0).any():
            problems.append(f"{int((steps == 0).sum())} repeated timestamp(s)")
        if (steps < 0).any():
            problems.append(f"{int((steps < 0).sum())} timestamp(s) out of order")
        other = (steps != usual) & (steps > 0)
        if other.any() or usual <= 0:
            first = index[int(np.flatnonzero(other)[0]) + 1] if other.any() else index[0]
            problems.append(
                f"{int(other.sum())} step(s) other than the usual "
                f"{pd.Timedelta(int(usual), unit='ns')} (first before {first})"
            )
        if problems:
            raise ValueError(
                f"X's DatetimeIndex is not a regular time grid ({', '.join(problems)}): "
                f"{type(self).__name__} counts cycles in rows, so every reading after a gap "
                "would sit at the wrong phase. Put the series on its grid with "
                "ecoai_sklearn.datasets.regularize (absent rows become missing readings, "
                "which are imputed), or pass time_index='ignore' to take the rows as "
                "consecutive."
            )

    def _knn(self):
        return KNNImputer(
            n_neighbors=self.n_neighbors, weights=self.weights, keep_empty_features=True
        )

    def transform(self, X):
        """Fill the missing readings of ``X`` from the training cycles.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series with NaN where readings are missing. A DataFrame's DatetimeIndex is
            checked (``time_index``).

        Returns
        -------
        X_filled : ndarray of shape (n_timestamps, n_channels)
            ``X`` with every NaN replaced (a new array; ``X`` is not modified); observed
            values are returned unchanged.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        missing = np.isnan(X)
        if not missing.any():
            return X
        magnitude = self.magnitude_
        profile = self.profile_ / magnitude
        scale = self.scale_ / magnitude
        scaled = X / magnitude
        shift = 0 if self.align == "start" else _best_shift(scaled, profile)
        n = X.shape[0]
        cycles = _to_cycles(scaled, self.period_, shift)
        blank = np.isnan(cycles).all(axis=2)  # (channel, cycle): no reading in the cycle
        # A cycle blank in one channel borrows its neighbours from the other channels.
        by_others = blank & ~blank.all(axis=0)
        use_joint = by_others.any(axis=0)
        if use_joint.any():
            joint = self.joint_imputer_.transform(_joint(cycles[:, use_joint], scale))
            joint = joint.reshape(-1, *cycles.shape[::2]).transpose(1, 0, 2)
            joint *= scale[:, np.newaxis, np.newaxis]
        for c in np.flatnonzero(missing.any(axis=0)):
            filled = cycles[c].copy()
            own = np.isnan(filled).any(axis=1) & ~blank[c]
            if own.any():
                filled[own] = self.imputers_[c].transform(filled[own])
            if by_others[c].any():
                filled[by_others[c]] = joint[c, by_others[c][use_joint]]
            # KNNImputer puts 0 at phases no training cycle observed, and cycles blank in
            # every channel have no neighbours: both get the mean training profile.
            fallback = np.isnan(cycles[c]) & (
                (self.phase_counts_[:, c] == 0) | blank.all(axis=0)[:, np.newaxis]
            )
            filled[fallback] = np.broadcast_to(profile[:, c], filled.shape)[fallback]
            values = filled.ravel()[shift : shift + n]
            X[missing[:, c], c] = values[missing[:, c]] * magnitude[c]
        return X

    def get_imputed_mask(self, X):
        """Which readings of ``X`` :meth:`transform` fills in.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Series with NaN where readings are missing, as given to :meth:`transform`.

        Returns
        -------
        mask : ndarray of bool, shape (n_timestamps, n_channels)
            True where a reading is missing and is imputed; ``mask.any(axis=1)`` marks
            the rows with at least one imputed reading.

        Examples
        --------
        >>> import numpy as np
        >>> from ecoai_sklearn.preprocessing import SeriesKNNImputer
        >>> X = np.array([[1.0], [2.0], [np.nan], [2.0], [1.0], [2.0], [1.0], [2.0]])
        >>> imputer = SeriesKNNImputer(period=2).fit(X)
        >>> imputer.get_imputed_mask(X).ravel().tolist()
        [False, False, True, False, False, False, False, False]
        """
        check_is_fitted(self)
        return np.isnan(self._validate(X, reset=False))

    def _channel_labels(self, indices):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [int(i) for i in indices]
        return [f"{int(i)} ({names[i]!r})" for i in indices]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _magnitude(X):
    """Per channel, the power of two that brings its largest absolute reading into [1, 2)."""
    largest = np.nanmax(np.abs(X), axis=0)
    largest[~(largest > 0)] = 1.0
    _, exponent = np.frexp(largest)
    return np.ldexp(1.0, exponent - 1)


def _to_cycles(X, period, shift):
    """Cut each column into rows of ``period`` values, ``shift`` NaNs in front.

    Returns an array of shape (n_channels, n_cycles, period); the padding is NaN.
    """
    n, n_channels = X.shape
    n_cycles = -(-(n + shift) // period)
    padded = np.full((n_cycles * period, n_channels), np.nan)
    padded[shift : shift + n] = X
    return padded.reshape(n_cycles, period, n_channels).transpose(2, 0, 1)


def _joint(cycles, scale):
    """Rows of all channels' cycles side by side, each channel divided by its scale."""
    n_channels, n_cycles, period = cycles.shape
    scaled = cycles / scale[:, np.newaxis, np.newaxis]
    return scaled.transpose(1, 0, 2).reshape(n_cycles, n_channels * period)


def _mean_profile(cycles):
    """Per-phase mean of the observed values; unobserved phases interpolated circularly."""
    n_channels, _, period = cycles.shape
    observed = ~np.isnan(cycles)
    counts = observed.sum(axis=1)
    sums = np.where(observed, cycles, 0.0).sum(axis=1)
    profile = np.empty((period, n_channels))
    phases = np.arange(period)
    for c in range(n_channels):
        seen = counts[c] > 0
        means = sums[c, seen] / counts[c, seen]
        profile[:, c] = np.interp(phases, phases[seen], means, period=period)
    return profile


def _best_shift(X, profile):
    """Phase of the first row of X: the circular shift best matching the profile.

    Minimises, over shifts s, the sum over observed rows i of
    ``((X[i, c] - profile[(i + s) % period, c]) / scale_c) ** 2`` with one FFT circular
    cross-correlation per channel. Ties and near-ties go to shift 0.
    """
    period = profile.shape[0]
    if period == 1:
        return 0
    n = X.shape[0]
    phase = np.arange(n) % period
    cost = np.zeros(period)
    for c in range(X.shape[1]):
        seen = ~np.isnan(X[:, c])
        if not seen.any():
            continue
        scale = np.std(profile[:, c]) or 1.0
        p = profile[:, c] / scale
        x = X[seen, c] / scale
        s1 = np.bincount(phase[seen], weights=x, minlength=period)
        counts = np.bincount(phase[seen], minlength=period).astype(np.float64)
        # sum_j a_j * b_{(j + s) % period} for every s, as a circular cross-correlation
        cross = np.fft.irfft(np.conj(np.fft.rfft(s1)) * np.fft.rfft(p), n=period)
        square = np.fft.irfft(np.conj(np.fft.rfft(counts)) * np.fft.rfft(p * p), n=period)
        cost += square - 2.0 * cross
    best = int(np.argmin(cost))
    tolerance = 1e-9 * (np.abs(cost).max() + 1.0)
    return 0 if cost[0] <= cost[best] + tolerance else best


def _estimate_period(X):
    """Dominant period of the gap-interpolated series, or its length if it has none."""
    t = np.arange(X.shape[0])
    filled = np.column_stack([np.interp(t, t[~np.isnan(col)], col[~np.isnan(col)]) for col in X.T])
    try:
        return int(find_periods(filled, 1)[0])
    except ValueError:  # constant, too short, or no significant periodic peak
        return X.shape[0]
