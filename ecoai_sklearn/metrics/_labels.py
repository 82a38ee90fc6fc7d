"""Validation of labels, predictions and scores, and run (event) extraction (private)."""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

PRED_CONVENTIONS = ("auto", "sign", "binary")

_AMBIGUOUS_MSG = (
    "{name} holds only the value 1, which is ambiguous: 'all normal' for an outlier "
    "detector's predict (+1 normal / -1 anomaly) but 'all anomalies' for 0/1 labels "
    "(1 anomaly). Pass pred_convention='sign' or pred_convention='binary'."
)


def _as_1d(values, name):
    """Return ``values`` as a 1D array; a column vector ``(n, 1)`` is accepted."""
    if isinstance(values, str | bytes) or values is None:
        raise TypeError(f"{name} must be a 1D array-like, got {type(values).__name__}.")
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1D array, got an array of shape {array.shape}.")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one sample is needed.")
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric, got values of dtype {array.dtype}.") from exc
    return array


def _describe(values, limit=6):
    uniques = np.unique(values)
    shown = ", ".join(repr(v.item()) for v in uniques[:limit])
    return f"[{shown}{', ...' if uniques.size > limit else ''}]"


def check_y_true(y_true, *, name="y_true"):
    """Validate 0/1 (or bool) labels and return them as a bool array (True = anomaly)."""
    array = _as_1d(y_true, name)
    if array.dtype.kind == "b":
        return array.copy()
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; labels must be 0 (normal) or 1 (anomaly).")
    is_zero, is_one = array == 0, array == 1
    if not np.all(is_zero | is_one):
        hint = ""
        if np.any(array == -1):
            hint = (
                " -1 looks like an outlier detector's prediction: labels use 1 = anomaly, "
                "0 = normal (map with (y == -1).astype(int))."
            )
        raise ValueError(
            f"{name} must contain only 0 (normal) and 1 (anomaly); got values "
            f"{_describe(array)}.{hint}"
        )
    return is_one


def check_y_pred(y_pred, *, pred_convention="auto", name="y_pred"):
    """Validate predicted labels and return them as a bool array (True = anomaly).

    The rule for ``pred_convention="auto"`` is documented in the public functions: bool
    arrays are binary; any -1 means the sign convention (-1 anomaly, +1 normal); values
    within {0, 1} with at least one 0 are binary (1 anomaly); only 1s is ambiguous and
    raises.
    """
    if pred_convention not in PRED_CONVENTIONS:
        raise ValueError(
            f"pred_convention must be one of {PRED_CONVENTIONS}, got {pred_convention!r}."
        )
    array = _as_1d(y_pred, name)
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; predictions must be -1/+1 or 0/1.")
    is_minus, is_zero, is_one = array == -1, array == 0, array == 1
    if not np.all(is_minus | is_zero | is_one):
        raise ValueError(
            f"{name} must contain -1/+1 (outlier detector: -1 anomaly) or 0/1 "
            f"(1 anomaly); got values {_describe(array)}."
        )
    convention = pred_convention
    if convention == "auto":
        if array.dtype.kind == "b":
            convention = "binary"
        elif is_minus.any():
            if is_zero.any():
                raise ValueError(
                    f"{name} mixes -1 and 0: use -1/+1 (outlier detector: -1 anomaly) or "
                    f"0/1 (1 anomaly); got values {_describe(array)}."
                )
            convention = "sign"
        elif is_zero.any():
            convention = "binary"
        else:
            raise ValueError(_AMBIGUOUS_MSG.format(name=name))
    if convention == "sign":
        if is_zero.any():
            raise ValueError(
                f"{name} contains 0 but pred_convention='sign' expects -1 (anomaly) and "
                f"+1 (normal); got values {_describe(array)}."
            )
        return is_minus
    if is_minus.any():
        raise ValueError(
            f"{name} contains -1 but pred_convention='binary' expects 0 (normal) and "
            f"1 (anomaly); got values {_describe(array)}."
        )
    return is_one


def check_y_score(y_score, *, name="y_score"):
    """Validate anomaly scores (higher = more anomalous) as a finite float64 array."""
    array = _as_1d(y_score, name).astype(np.float64, copy=True)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity; anomaly scores must be finite.")
    return array


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


def runs(mask):
    """Maximal runs of True in a 1D bool array as ``(starts, ends)``, ``ends`` inclusive."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    change = np.diff(padded)
    return np.flatnonzero(change == 1), np.flatnonzero(change == -1) - 1


def runs_hit(starts, ends, other):
    """Whether each run ``[starts[i], ends[i]]`` contains at least one True of ``other``."""
    csum = np.concatenate(([0], np.cumsum(other, dtype=np.int64)))
    return csum[ends + 1] - csum[starts] > 0


def runs_reduce(ufunc, values, starts, ends):
    """``ufunc.reduce`` of ``values`` over each run ``[starts[i], ends[i]]`` (runs disjoint)."""
    if starts.size == 0:
        return values[:0].copy()
    bounds = np.empty(2 * starts.size, dtype=np.intp)
    bounds[0::2], bounds[1::2] = starts, ends + 1
    if bounds[-1] == values.shape[0]:
        bounds = bounds[:-1]
    return ufunc.reduceat(values, bounds)[0::2]
