"""The anomaly-label rule, and the checks of predictions and scores (private).

One rule for every ``y`` of anomaly labels in the package (estimators' ``fit``, the
augmenter, the metrics, the displays): a 1-D array-like (a column vector ``(n, 1)`` is
accepted) of 0 (normal) and 1 (anomaly), given as bool, int or float values equal to 0
or 1; no NaN; one label per row of ``X`` when the caller knows how many rows there are.
Text and complex numbers are a ``TypeError``; anything else that breaks the rule is a
``ValueError``. Messages name the argument and say what was expected.
"""

import numpy as np

from ._validation import reject_non_real

PRED_CONVENTIONS = ("auto", "sign", "binary")

_LABELS = "anomaly labels, 0 (normal) or 1 (anomaly)"

_AMBIGUOUS_MSG = (
    "{name} holds only the value 1, which is ambiguous: 'all normal' for an outlier "
    "detector's predict (+1 normal / -1 anomaly) but 'all anomalies' for 0/1 labels "
    "(1 anomaly). Pass pred_convention='sign' or pred_convention='binary'."
)


def as_1d(values, name, *, what="numeric values"):
    """Return ``values`` as a non-empty 1-D numeric array; a column vector is accepted.

    Parameters
    ----------
    values : array-like of shape (n,) or (n, 1)
        The values.
    name : str
        Name of the argument in messages.
    what : str, default="numeric values"
        What the values should be, for messages.

    Returns
    -------
    array : ndarray of shape (n,)
        Bool, integer or float values.

    Raises
    ------
    TypeError
        If ``values`` is None, a string, or holds text, complex numbers or other objects.
    ValueError
        If ``values`` is not 1-D (or a column vector) or is empty.
    """
    if isinstance(values, str | bytes) or values is None:
        raise TypeError(f"{name} must be a 1D array-like of {what}, got {type(values).__name__}.")
    reject_non_real(values, name, what=f"1D array of {what}")
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


def describe_values(values, limit=6):
    """The distinct values of ``values`` as text, e.g. ``[0, 1, 2, ...]``."""
    uniques = np.unique(values)
    shown = ", ".join(repr(v.item()) for v in uniques[:limit])
    return f"[{shown}{', ...' if uniques.size > limit else ''}]"


def check_anomaly_labels(y, *, name="y", n_samples=None):
    """Validate anomaly labels by the package's one rule; return them as a bool array.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, 1)
        Labels: 1 (or True) = anomaly, 0 (or False) = normal, as bool, int or float.
    name : str, default="y"
        Name of the argument in messages.
    n_samples : int, default=None
        Number of rows of ``X`` the labels belong to; None: not checked.

    Returns
    -------
    anomalous : ndarray of shape (n_samples,), dtype=bool
        True where the label is 1 (a new array: the caller may modify it).

    Raises
    ------
    TypeError
        If ``y`` is None, a string, or holds text, complex numbers or other objects.
    ValueError
        If ``y`` is not 1-D, is empty, holds NaN or a value other than 0 and 1, or has
        another length than ``n_samples``.

    Examples
    --------
    >>> from ecoai_sklearn.utils import check_anomaly_labels
    >>> check_anomaly_labels([0, 1, 1.0, False])
    array([False,  True,  True, False])
    """
    array = as_1d(y, name, what=_LABELS)
    if n_samples is not None and array.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {array.shape[0]} label(s) but X has {n_samples} row(s): inconsistent "
            "numbers of samples; give one label per row."
        )
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
            f"{describe_values(array)}.{hint}"
        )
    return is_one


def check_predictions(y_pred, *, pred_convention="auto", name="y_pred"):
    """Validate predicted labels and return them as a bool array (True = anomaly).

    Parameters
    ----------
    y_pred : array-like of shape (n_samples,)
        An outlier detector's predictions (-1 anomaly, +1 normal) or 0/1 labels.
    pred_convention : {"auto", "sign", "binary"}, default="auto"
        How to read ``y_pred``. With ``"auto"``: bool arrays are binary; any -1 means the
        sign convention; values within {0, 1} with at least one 0 are binary; only 1s is
        ambiguous and raises, as does a mix of -1 and 0.
    name : str, default="y_pred"
        Name of the argument in messages.

    Returns
    -------
    anomalous : ndarray of shape (n_samples,), dtype=bool

    Raises
    ------
    TypeError
        If ``y_pred`` is not numeric.
    ValueError
        If ``y_pred`` breaks the convention, is ambiguous, or holds NaN.
    """
    if pred_convention not in PRED_CONVENTIONS:
        raise ValueError(
            f"pred_convention must be one of {PRED_CONVENTIONS}, got {pred_convention!r}."
        )
    array = as_1d(y_pred, name, what="predictions")
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; predictions must be -1/+1 or 0/1.")
    is_minus, is_zero, is_one = array == -1, array == 0, array == 1
    if not np.all(is_minus | is_zero | is_one):
        raise ValueError(
            f"{name} must contain -1/+1 (outlier detector: -1 anomaly) or 0/1 "
            f"(1 anomaly); got values {describe_values(array)}."
        )
    convention = pred_convention
    if convention == "auto":
        if array.dtype.kind == "b":
            convention = "binary"
        elif is_minus.any():
            if is_zero.any():
                raise ValueError(
                    f"{name} mixes -1 and 0: use -1/+1 (outlier detector: -1 anomaly) or "
                    f"0/1 (1 anomaly); got values {describe_values(array)}."
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
                f"+1 (normal); got values {describe_values(array)}."
            )
        return is_minus
    if is_minus.any():
        raise ValueError(
            f"{name} contains -1 but pred_convention='binary' expects 0 (normal) and "
            f"1 (anomaly); got values {describe_values(array)}."
        )
    return is_one


def check_scores(y_score, *, name="y_score"):
    """Validate anomaly scores (higher = more anomalous) as a finite float64 array.

    Parameters
    ----------
    y_score : array-like of shape (n_samples,)
        The scores.
    name : str, default="y_score"
        Name of the argument in messages.

    Returns
    -------
    scores : ndarray of shape (n_samples,), dtype=float64
        A copy.

    Raises
    ------
    TypeError
        If the scores are not numeric.
    ValueError
        If they are not 1-D, are empty, or hold NaN or infinity.
    """
    array = as_1d(y_score, name, what="scores").astype(np.float64, copy=True)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity; anomaly scores must be finite.")
    return array
