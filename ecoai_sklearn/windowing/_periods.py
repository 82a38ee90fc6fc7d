"""Dominant periods of a series from its periodogram (the FFT period finder).

The search has four steps, each in its own helper:

1. validate and preprocess every channel (linear detrend by default), standardize it;
2. Hann-tapered periodogram of each channel, combined over channels, peaks picked as
   significant local maxima and refined between bins by Grandke's interpolation;
3. each peak's harmonic family (the peaks at ``P/2, P/3, P/4``) scores it and sharpens
   its frequency estimate; the period is then rounded to whole samples;
4. peaks are ranked by that score, so that a fundamental outranks its own harmonics.
"""

import math
from numbers import Integral

import numpy as np
from scipy import signal

from ..utils import Interval, StrOptions, check_series, validate_params

# Preprocessing of each channel before its spectrum is taken.
_DETRENDS = ("linear", "constant", "difference")

# Harmonic orders 2..4 of a candidate feed its score (a daily cycle's 12-, 8- and 6-hour
# components), with weight 1/h: a spurious peak at twice a true period must be at least
# half as strong as the true one to steal its rank.
_MAX_HARMONIC = 4
# Family-wise probability that pure noise yields a peak above the significance threshold.
_ALPHA = 0.01
# Bins on each side used to estimate the local noise level (median of the power).
_NOISE_HALF_WIDTH = 16
# Half-width of the Hann main lobe in bins: a peak must dominate it, so one leaking
# component gives one candidate, not several adjacent ones.
_PEAK_HALF_WIDTH = 2
# Peaks weaker than this fraction of the strongest are ignored whatever the noise level
# (guards noise-free synthetic signals, whose noise floor is the float rounding).
_MIN_RELATIVE_AMPLITUDE = 0.01
# A channel whose preprocessed values vary less than this fraction of its magnitude is
# treated as constant (a pure linear trend after detrending, for instance).
_CONSTANT_RTOL = 1e-9
# Harmonically related peaks whose scores are within this fraction of the best one are
# ranked by autocorrelation instead.
_NEAR_TIE = 0.25
# ...and the best scored of them whose autocorrelation reaches this fraction of the
# highest goes first (a harmonic line of a comb does not repeat at all).
_REPEAT_RATIO = 0.5
# Harmonic matching tolerance in frequency bins.
_HARMONIC_TOL = 1.0


@validate_params(
    {
        "X": ["array-like"],
        "n_periods": [Interval(Integral, 1, None, closed="left")],
        "detrend": [StrOptions(set(_DETRENDS))],
        "min_period": [Interval(Integral, 2, None, closed="left")],
        "max_period": [Interval(Integral, 2, None, closed="left"), None],
        "return_amplitudes": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def find_periods(
    X,
    n_periods=3,
    *,
    detrend="linear",
    min_period=2,
    max_period=None,
    return_amplitudes=False,
):
    """Find the dominant periods of a series from its periodogram, best first.

    Each channel is detrended (or differenced), standardized and tapered with a Hann
    window; the channels' power spectra are averaged. Candidate periods are the
    significant local maxima of that spectrum (the DC bin excluded), refined between
    bins and rounded to whole samples. They are ranked by the summed amplitude of their
    harmonic family, so that a daily cycle (96 samples at 15 minutes) outranks its
    12-hour harmonic (48) even when the harmonic is the stronger peak.

    Parameters
    ----------
    X : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
        The series, rows in time order, without missing values (impute first, e.g.
        with :class:`~ecoai_sklearn.preprocessing.SeriesKNNImputer`).
    n_periods : int, default=3
        Number of periods to return. A ``ValueError`` is raised when fewer significant
        peaks exist between ``min_period`` and ``max_period``.
    detrend : {"linear", "constant", "difference"}, default="linear"
        Preprocessing of each channel before the FFT: remove a least-squares line,
        remove the mean, or take the first difference. Differencing multiplies the
        amplitude at frequency ``f`` by ``|2 sin(pi f)|`` and so over-weights
        harmonics; prefer ``"linear"`` unless the series is a random walk.
    min_period : int, default=2
        Shortest period returned, in samples (2 is the Nyquist limit).
    max_period : int, default=None
        Longest period returned, in samples. Periods longer than
        ``n_timestamps // 2`` are never returned (two whole cycles must fit in ``X``);
        ``None`` means that bound.
    return_amplitudes : bool, default=False
        Whether to also return the amplitude of each period's own peak.

    Returns
    -------
    periods : ndarray of shape (n_periods,), dtype int64
        Distinct periods in samples, best first.
    amplitudes : ndarray of shape (n_periods,), dtype float64
        Only if ``return_amplitudes``. Amplitude of each period's sinusoid in units of
        the standardized, preprocessed series (a pure sine gives ``sqrt(2)``), the
        root mean square over channels, corrected for the Hann window's scalloping
        loss. Not necessarily decreasing: the ranking uses harmonic families.

    Raises
    ------
    ValueError
        If ``X`` is empty, 3D or more, contains NaN or inf, is constant (no period),
        is shorter than ``2 * min_period``, or has fewer than ``n_periods``
        significant periodic peaks in the requested range.
    TypeError
        If ``X`` is not numeric.

    See Also
    --------
    FFTWindower : Windows a series at one of these periods.

    Notes
    -----
    **Spectrum.** Channels are standardized after preprocessing, so each one weighs
    the same whatever its unit or share of the load (and whatever its scale: each
    channel is first divided by a power of two near its largest magnitude, so values
    near the limits of float64, 1e-300 or 1e300, give the same periods); the combined
    spectrum is the mean of the channels' power spectra (reported amplitudes are its
    square root).
    Constant channels are ignored; if all are constant there is no period to find.

    **Peaks.** A bin is a candidate when it is the maximum within the Hann main lobe
    (two bins on each side), so that the leakage of one component gives one candidate
    and not several adjacent ones. Its power must exceed ``ln(M / 0.01)`` times the
    noise level, the larger of the median power over the whole spectrum and over the
    28 surrounding bins outside the main lobe, each divided by ``ln 2`` (the median of
    exponential noise ordinates): ``M`` independent noise ordinates all stay below that
    with probability 0.99 (on white noise about 1 % of series yield a peak; AutoPeriod
    [Vlachos2005]_ sets the same kind of threshold by permuting the series). Its
    amplitude must also be at least 1 % of the strongest peak's. The offset between
    bins comes from the ratio of the peak to its larger neighbour, exact for a single
    tone under a Hann window [Grandke1983]_, and the amplitude is corrected for the
    window's scalloping loss.

    **Ranking.** Each candidate period ``P`` scores its own amplitude plus
    ``1/h`` times the amplitude of the candidate at ``P/h`` for ``h = 2, 3, 4``
    (harmonic summation with decaying weights, after [Hermes1988]_). The signal
    repeats after ``P`` samples but not after ``P/2``, so a daily period outranks its
    12-hour harmonic unless the daily peak is weaker than about half the 12-hour one;
    the decaying weights keep a weak spurious peak at ``2P`` from taking ``P``'s rank.
    Orders above 4 are ignored so that a weekly cycle does not absorb the daily one.
    The harmonics also sharpen the period: ``f/h`` of the harmonic at frequency ``f`` is
    averaged with the candidate's own frequency, weighted by ``(h * amplitude) ** 2``.
    Candidates that round to the same period are merged (the better scored is kept).
    When harmonically related candidates (one period an integer multiple of the other)
    score within 25 % of the best, the autocorrelation at each one's period (the check
    AutoPeriod [Vlachos2005]_ applies to candidates) decides: the best scored among
    those after which the series repeats at least half as well as after the
    best-repeating one goes first. In a comb of equally strong harmonics (one spike a
    day) every line has a complete family and nearly the same score, but only the
    fundamental makes the series repeat; a daily period that repeats well keeps its
    rank against a near-tied weekly one.

    **Limits.** Two cycles are the minimum, but with fewer than about 8 cycles in ``X``
    the period may be off by a sample or two. A strong slow wander (a random walk,
    weather-driven levels) puts large, non-periodic peaks at long periods, which may
    then rank first: bound ``max_period`` (one week, say) or use
    ``detrend="difference"`` for such series.

    References
    ----------
    .. [Grandke1983] T. Grandke, "Interpolation algorithms for discrete Fourier
       transforms of weighted signals", IEEE Trans. Instrum. Meas. 32(2):350-355, 1983.
    .. [Vlachos2005] M. Vlachos, P. Yu and V. Castelli, "On periodicity detection and
       structural periodic similarity", SIAM International Conference on Data Mining
       (SDM), 2005.
    .. [Hermes1988] D. J. Hermes, "Measurement of pitch by subharmonic summation",
       J. Acoust. Soc. Am. 83(1):257-264, 1988.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.windowing import find_periods
    >>> t = np.arange(96 * 20)
    >>> daily = np.sin(2 * np.pi * t / 96) + 1.2 * np.sin(2 * np.pi * t / 48)
    >>> find_periods(daily + 0.001 * t, n_periods=2)
    array([96, 48])
    >>> periods, amplitudes = find_periods(
    ...     daily, n_periods=2, detrend="constant", return_amplitudes=True
    ... )
    >>> np.round(amplitudes / amplitudes[0], 2)
    array([1. , 1.2])
    """
    x = check_series(X, owner="find_periods")
    n_timestamps = x.shape[0]
    if n_timestamps < 2 * min_period:
        raise ValueError(
            f"X has n_samples={n_timestamps} timestamps; at least 2 * min_period = "
            f"{2 * min_period} are needed to see two cycles of the shortest period."
        )
    longest = n_timestamps // 2 if max_period is None else min(max_period, n_timestamps // 2)
    if longest < min_period:
        raise ValueError(
            f"max_period={max_period} is smaller than min_period={min_period}; no "
            "period can be returned."
        )
    peaks = _find_candidates(x, detrend)
    in_range = (peaks.periods >= min_period) & (peaks.periods <= longest)
    if in_range.sum() < n_periods:
        raise ValueError(
            f"n_periods={n_periods} periods were requested but X has only "
            f"{in_range.sum()} significant periodic peak(s) with periods between "
            f"min_period={min_period} and {longest} samples (max_period={max_period}, "
            f"at most n_timestamps // 2); ask for fewer periods or widen the bounds."
        )
    chosen = _rank(peaks, in_range, n_periods)
    periods = peaks.periods[chosen].astype(np.int64)
    if return_amplitudes:
        return periods, peaks.amplitudes[chosen]
    return periods


def amplitude_spectrum(X, *, detrend="linear"):
    """Periods (samples) and amplitudes of the spectrum :func:`find_periods` searches.

    Each channel is detrended (or differenced) and standardized, tapered with a periodic
    Hann window and transformed; the amplitude is the root mean square over channels of
    ``2 |rfft| / sum(window)``, so that a pure sine of the standardized series has
    amplitude ``sqrt(2)`` at its period. Bins from period ``n / 2`` (two cycles) down to
    2 samples are returned, longest period first.

    Parameters
    ----------
    X : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
        The series, rows in time order, without missing readings.
    detrend : {"linear", "constant", "difference"}, default="linear"
        Preprocessing of each channel, as in :func:`find_periods`.

    Returns
    -------
    periods : ndarray of shape (n_bins,)
        Period of each bin, in samples, decreasing.
    amplitudes : ndarray of shape (n_bins,)
        Amplitude of each bin, in units of the standardized series.

    See Also
    --------
    find_periods : The periods of the strongest peaks of this spectrum.
    ecoai_sklearn.plotting.PeriodogramDisplay : Draws it.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.windowing import amplitude_spectrum
    >>> t = np.arange(960)
    >>> periods, amplitudes = amplitude_spectrum(np.sin(2 * np.pi * t / 96))
    >>> int(periods[np.argmax(amplitudes)])
    96
    """
    if detrend not in _DETRENDS:
        raise ValueError(f"detrend must be one of {_DETRENDS}, got {detrend!r}.")
    x = check_series(X, owner="amplitude_spectrum")
    z = _standardized_channels(x, detrend)
    magnitude, scale = _combined_magnitude(z)
    amplitude = magnitude * scale
    bins = np.arange(2, amplitude.shape[0])
    return z.shape[0] / bins, amplitude[bins]


class _Peaks:
    """Candidate periods, their frequencies (bins), amplitudes and family scores.

    ``series`` is the standardized, preprocessed series the candidates come from (its
    autocorrelation breaks near-ties between harmonically related candidates).
    """

    def __init__(self, periods, frequencies, amplitudes, scores, series):
        self.periods = periods
        self.frequencies = frequencies
        self.amplitudes = amplitudes
        self.scores = scores
        self.series = series


def _rank(peaks, eligible, n_picks):
    """Indices of the ``n_picks`` best eligible peaks, best first.

    The best score goes first (then amplitude, then the shorter period). Among the
    remaining peaks harmonically related to it (one period an integer multiple of the
    other) and scoring within ``_NEAR_TIE`` of it, a peak goes first only if the
    series repeats after its period at least ``_REPEAT_RATIO`` times as well
    (autocorrelation) as after the period of the best-repeating one.
    """
    remaining = eligible.copy()
    picks = []
    while len(picks) < n_picks:
        candidates = np.flatnonzero(remaining)
        order = np.lexsort(
            (peaks.periods[candidates], -peaks.amplitudes[candidates], -peaks.scores[candidates])
        )
        best = candidates[order[0]]
        tied = np.flatnonzero(
            remaining
            & (peaks.scores >= (1.0 - _NEAR_TIE) * peaks.scores[best])
            & _harmonically_related(peaks.frequencies, peaks.frequencies[best])
        )
        if tied.size > 1:
            # Best score first, but not one after which the series repeats less than
            # half as well as after another tied candidate.
            tied = tied[
                np.lexsort((peaks.periods[tied], -peaks.amplitudes[tied], -peaks.scores[tied]))
            ]
            correlations = np.array(
                [_autocorrelation(peaks.series, peaks.periods[i]) for i in tied]
            )
            if correlations.max() > 0.0:
                best = tied[np.argmax(correlations >= _REPEAT_RATIO * correlations.max())]
        picks.append(best)
        remaining[best] = False
    return np.array(picks, dtype=np.intp)


def _harmonically_related(frequencies, frequency):
    """Whether each frequency is an integer multiple or divisor of ``frequency``."""
    low = np.minimum(frequencies, frequency)
    high = np.maximum(frequencies, frequency)
    order = np.maximum(np.round(high / low), 1.0)
    return np.abs(high - order * low) <= _HARMONIC_TOL


def _autocorrelation(z, lag):
    """Mean over channels of the correlation between the series and itself ``lag`` later."""
    if lag >= z.shape[0] - 1:
        return -np.inf
    head, tail = z[:-lag], z[lag:]
    head = head - head.mean(axis=0)
    tail = tail - tail.mean(axis=0)
    scale = np.sqrt((head**2).sum(axis=0) * (tail**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = (head * tail).sum(axis=0) / scale
    return float(np.nanmean(correlation)) if np.isfinite(correlation).any() else -np.inf


def _find_candidates(x, detrend):
    z = _standardized_channels(x, detrend)
    n = z.shape[0]
    magnitude, scale = _combined_magnitude(z)
    bins = _significant_peaks(magnitude, n)
    if bins.size == 0:
        raise ValueError(
            "X has no significant periodic peak: its spectrum looks like noise at every "
            "frequency. Set the window size by hand if the series has no cycle."
        )
    offsets, gains = _grandke_offsets(magnitude, bins, n)
    frequencies = bins + offsets
    amplitudes = magnitude[bins] * scale[bins] * gains
    frequencies, scores = _harmonic_families(frequencies, amplitudes)
    periods = np.maximum(np.round(n / frequencies), 2).astype(np.int64)
    keep = _distinct_periods(periods, scores)
    return _Peaks(periods[keep], frequencies[keep], amplitudes[keep], scores[keep], z)


def _standardized_channels(x, detrend):
    # Each channel is first scaled by a power of two (exact) to a largest magnitude in
    # [0.5, 1): the squares of the spread and of the spectrum can then neither overflow
    # nor underflow, so the same series gives the same periods at any scale.
    _, exponents = np.frexp(np.abs(x).max(axis=0))
    x = np.ldexp(x, -exponents)
    if detrend == "difference":
        z = np.diff(x, axis=0)
    elif detrend == "linear":
        z = signal.detrend(x, axis=0, type="linear")
    else:
        z = x - x.mean(axis=0)
    if z.shape[0] < 4:
        raise ValueError(
            f"X has n_samples={x.shape[0]} timestamps, too few for a spectrum; at least "
            "4 (5 with detrend='difference') are needed."
        )
    spread = z.std(axis=0)
    magnitude = np.abs(x).max(axis=0)
    varying = spread > _CONSTANT_RTOL * magnitude
    if not varying.any():
        raise ValueError(
            f"X is constant after detrend={detrend!r} in every channel: it has no "
            "period. Set the window size by hand for such a series."
        )
    return z[:, varying] / spread[varying]


def _combined_magnitude(z):
    """Root-mean-square over channels of the Hann-tapered DFT magnitude.

    Also returns the per-bin factor that turns a magnitude into a sinusoid amplitude
    (2 / sum(window) inside the band, 1 / sum(window) at the Nyquist bin).
    """
    n = z.shape[0]
    taper = signal.windows.hann(n, sym=False)
    spectrum = np.fft.rfft(z * taper[:, np.newaxis], axis=0)
    magnitude = np.sqrt(np.mean(np.abs(spectrum) ** 2, axis=1))
    magnitude[0] = 0.0  # DC: the mean is not a period
    scale = np.full(magnitude.shape, 2.0 / taper.sum())
    if n % 2 == 0:
        scale[-1] = 1.0 / taper.sum()
    return magnitude, scale


def _significant_peaks(magnitude, n):
    last = magnitude.size - 1
    power = magnitude**2
    bins = np.arange(1, last + 1)
    lobe = np.arange(-_PEAK_HALF_WIDTH, _PEAK_HALF_WIDTH + 1)
    around = magnitude[_fold(bins[:, np.newaxis] + lobe, n)]
    is_max = (magnitude[bins] >= around.max(axis=1)) & (
        magnitude[bins] > magnitude[_fold(bins - 1, n)]
    )
    bins = bins[is_max]
    factor = math.log(last / _ALPHA) / math.log(2.0)
    offsets = np.r_[
        -_NOISE_HALF_WIDTH:-_PEAK_HALF_WIDTH, _PEAK_HALF_WIDTH + 1 : _NOISE_HALF_WIDTH + 1
    ]
    local_noise = np.median(power[_fold(bins[:, np.newaxis] + offsets, n)], axis=1)
    global_noise = np.median(power[1:])
    bins = bins[power[bins] > factor * np.maximum(local_noise, global_noise)]
    if bins.size:
        bins = bins[magnitude[bins] >= _MIN_RELATIVE_AMPLITUDE * magnitude[bins].max()]
    return bins


def _fold(index, n):
    """Map any integer bin into ``[0, n // 2]`` by the symmetries of a real series' DFT."""
    index = np.abs(index) % n
    return np.where(index > n // 2, n - index, index)


def _grandke_offsets(magnitude, bins, n):
    """Offset of each peak between bins, and the gain undoing the scalloping loss.

    For a tone at ``k + d`` under a Hann window the ratio of the larger neighbour to the
    peak is ``a = (1 + d) / (2 - d)``, hence ``d = (2a - 1) / (a + 1)`` [Grandke1983].
    """
    peak = magnitude[bins]
    left = magnitude[_fold(bins - 1, n)]
    right = magnitude[_fold(bins + 1, n)]
    side = np.where(right >= left, 1.0, -1.0)
    ratio = np.maximum(left, right) / peak
    offsets = side * np.clip((2.0 * ratio - 1.0) / (ratio + 1.0), 0.0, 0.5)
    offsets = np.where(2 * bins == n, 0.0, offsets)  # the Nyquist bin is symmetric
    gains = (1.0 - offsets**2) / np.sinc(offsets)
    return offsets, gains


def _distinct_periods(periods, scores):
    """Indices keeping, among candidates rounding to the same period, the best scored."""
    order = np.lexsort((-scores, periods))
    return order[np.r_[True, np.diff(periods[order]) != 0]]


def _harmonic_families(frequencies, amplitudes):
    """Score each candidate by its harmonic family and refine its frequency with it.

    The candidate at ``P/h`` (``h = 2.._MAX_HARMONIC``, the strongest within
    ``_HARMONIC_TOL`` bins of ``h`` times the frequency) adds ``1/h`` of its amplitude to
    the score, and ``frequency / h`` as a further estimate of the fundamental: the
    estimates are averaged with inverse-variance weights ``(h * amplitude) ** 2``
    (a frequency error shrinks with the amplitude and is divided by ``h``).
    """
    scores = amplitudes.copy()
    weights = amplitudes**2
    weighted = weights * frequencies
    own = np.arange(frequencies.size)
    order = np.argsort(frequencies)
    sorted_frequencies = frequencies[order]
    for h in range(2, _MAX_HARMONIC + 1):
        # Peaks are at least three bins apart, so few candidates lie in each tolerance
        # window: scan them by offset from the window's first one (memory O(n_peaks)).
        start = np.searchsorted(sorted_frequencies, h * frequencies - _HARMONIC_TOL, "left")
        stop = np.searchsorted(sorted_frequencies, h * frequencies + _HARMONIC_TOL, "right")
        harmonic_amplitude = np.zeros_like(amplitudes)
        match = np.zeros(amplitudes.size, dtype=np.intp)
        for offset in range(int((stop - start).max(initial=0))):
            position = start + offset
            inside = position < stop
            candidate = order[np.minimum(position, order.size - 1)]
            better = inside & (candidate != own) & (amplitudes[candidate] > harmonic_amplitude)
            harmonic_amplitude = np.where(better, amplitudes[candidate], harmonic_amplitude)
            match = np.where(better, candidate, match)
        scores += harmonic_amplitude / h
        weight = (h * harmonic_amplitude) ** 2
        weights = weights + weight
        weighted = weighted + weight * frequencies[match] / h
    return weighted / weights, scores
