"""Checks and helpers shared by the metrics (private).

The label, prediction and score checks are the package's own
(:func:`ecoai_sklearn.utils.check_anomaly_labels`, ...); what is metric-specific lives
here: equal lengths, ``zero_division`` and undefined ratios.
"""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning


def check_same_length(first, second, names=("y_true", "y_pred")):
    if first.shape[0] != second.shape[0]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, got "
            f"{first.shape[0]} and {second.shape[0]}."
        )


def check_zero_division(zero_division):
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return zero_division
    elif isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool):
        if np.isnan(zero_division) or zero_division in (0, 1):
            return float(zero_division)
    raise ValueError(f"zero_division must be 'warn', 0.0, 1.0 or np.nan, got {zero_division!r}.")


def safe_ratio(numerator, denominator, zero_division, what, *, stacklevel=3):
    """``numerator / denominator``, or ``zero_division`` (0.0 and a warning for 'warn').

    ``stacklevel`` 3 points the warning at the caller of the public metric that called
    this function directly; one more per helper in between.
    """
    if denominator > 0:
        return float(numerator) / float(denominator)
    if zero_division == "warn":
        warnings.warn(
            f"{what} is ill-defined and being set to 0.0. Use `zero_division` to control "
            "this behaviour.",
            UndefinedMetricWarning,
            stacklevel=stacklevel,
        )
        return 0.0
    return zero_division
