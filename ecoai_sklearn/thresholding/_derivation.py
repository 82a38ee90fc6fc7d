"""Per-column Z thresholds from column shares: the weighted-average expected ratio rule."""

import numbers

import numpy as np
from scipy.stats import norm

from ..utils import Interval, StrOptions, validate_params

TAILS = ("both", "upper", "lower")


def allocate_ratios(shares, expected_ratio, share_power):
    """Expected anomaly ratio per column: ``r_k = c s_k**-g / sum_j s_j**(1 - g)``.

    ``shares`` must be positive and sum to one; the result satisfies
    ``sum_k s_k r_k == c`` (before any clipping by the caller).
    """
    shares = np.asarray(shares, dtype=np.float64)
    return expected_ratio * shares ** (-share_power) / np.sum(shares ** (1.0 - share_power))


def gaussian_threshold(ratio, tail):
    """Z value beyond which a standard normal reading falls with probability ``ratio``."""
    ratio = np.clip(np.asarray(ratio, dtype=np.float64), 0.0, 1.0)
    if tail == "both":
        return norm.isf(ratio / 2.0)
    return norm.isf(ratio)


def gaussian_tail(threshold, tail):
    """Probability that a standard normal reading is beyond ``threshold`` on ``tail``."""
    threshold = np.asarray(threshold, dtype=np.float64)
    if tail == "both":
        return 2.0 * norm.sf(threshold)
    return norm.sf(threshold)


def normalize_shares(shares, name="expected_shares"):
    """Return positive finite shares rescaled to sum to one, or raise a clear error."""
    try:
        shares = np.asarray(shares, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {shares!r}.") from None
    if shares.ndim != 1 or shares.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D sequence, got shape {shares.shape}.")
    if not np.all(np.isfinite(shares)) or np.any(shares <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {shares.tolist()}.")
    return shares / shares.sum()


@validate_params(
    {
        "shares": ["array-like"],
        "expected_ratio": [Interval(numbers.Real, 0, 1, closed="neither")],
        "share_power": [Interval(numbers.Real, 0, None, closed="left")],
        "tail": [StrOptions(set(TAILS))],
        "bounds": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def weighted_ratio_thresholds(
    shares, expected_ratio=0.0027, *, share_power=1.0, tail="both", bounds=(1.5, 6.0)
):
    """Per-column Z thresholds from column shares (weighted-average expected ratio rule).

    Each column ``k`` with share ``s_k`` of the total gets an expected ratio of anomalous
    readings ``r_k`` such that the share-weighted average of the ratios is the target
    ``expected_ratio`` ``c``::

        r_k = c * s_k**(-share_power) / sum_j s_j**(1 - share_power)
        sum_k s_k * r_k = c

    and its threshold is the Z value a standard normal reading exceeds with probability
    ``r_k``: ``Phi^-1(1 - r_k / 2)`` for ``tail="both"``, ``Phi^-1(1 - r_k)`` for one tail,
    clipped to ``bounds``. Small-share columns get larger ratios, hence lower cuts. See
    the Notes of :class:`WeightedZScoreThresholder` for the assumptions behind the rule.

    Parameters
    ----------
    shares : array-like of shape (n_columns,)
        Positive shares of the columns (rescaled to sum to one).
    expected_ratio : float, default=0.0027
        Share-weighted average fraction of anomalous readings, in (0, 1).
    share_power : float, default=1.0
        Exponent ``g`` >= 0 of the share: 0 gives every column the ratio ``c`` (one global
        cut), 1 gives each column an equal part ``c / n_columns`` of the weighted budget.
    tail : {"both", "upper", "lower"}, default="both"
        Two-sided or one-sided Z.
    bounds : tuple of two floats or None, default=(1.5, 6.0)
        Thresholds are clipped to ``[bounds[0], bounds[1]]``; None disables clipping.

    Returns
    -------
    thresholds : ndarray of shape (n_columns,)
        Z threshold of each column.
    ratios : ndarray of shape (n_columns,)
        Expected ratio ``r_k`` of each column (before clipping, capped at 1).

    See Also
    --------
    WeightedZScoreThresholder : The outlier detector that applies these thresholds.

    Examples
    --------
    >>> from ecoai_sklearn.thresholding import weighted_ratio_thresholds
    >>> thresholds, ratios = weighted_ratio_thresholds(
    ...     [0.70, 0.20, 0.08, 0.02], expected_ratio=0.0076
    ... )
    >>> thresholds.round(2)
    array([3.  , 2.59, 2.26, 1.67])
    >>> round(float((ratios * [0.70, 0.20, 0.08, 0.02]).sum()), 12)
    0.0076
    """
    shares = normalize_shares(shares, name="shares")
    ratios = np.minimum(allocate_ratios(shares, expected_ratio, share_power), 1.0)
    thresholds = gaussian_threshold(ratios, tail)
    if bounds is not None:
        low, high = check_bounds(bounds)
        thresholds = np.clip(thresholds, low, high)
    return thresholds, ratios


def check_bounds(bounds, name="bounds"):
    """Validate a ``(low, high)`` pair of positive finite floats with low < high."""
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of floats, got {bounds!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high):
        raise ValueError(f"{name} must satisfy 0 < low < high (finite), got {bounds!r}.")
    return low, high
