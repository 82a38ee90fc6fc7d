"""Input checks shared by several estimators (private)."""

import numbers

import numpy as np
from sklearn.utils import check_array


def check_windows(X, *, name="X", dtype=np.float32, copy=False):
    """Validate a stack of windows and return it as a 3D array ``(n, w, c)``.

    Accepts the output of :class:`~ecoai_sklearn.windowing.FFTWindower` (3D) or a 2D
    array of univariate samples ``(n, w)``, which is returned as ``(n, w, 1)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
        The windows.
    name : str, default="X"
        Name used in error messages.
    dtype : numpy dtype, default=np.float32
        Dtype of the returned array (any real input dtype is accepted).
    copy : bool, default=False
        Whether to force a copy.

    Returns
    -------
    windows : ndarray of shape (n_samples, window, n_channels)

    Raises
    ------
    ValueError
        If the array is empty, not 2D/3D, or holds NaN or inf.
    TypeError
        If the array is not numeric.
    """
    if isinstance(X, str) or (
        hasattr(X, "dtype") and X.dtype.kind in "OSUV" and not _is_numeric_object(X)
    ):
        raise TypeError(f"{name} must be a numeric array of windows, got {type(X).__name__}.")
    ndim = np.ndim(X)
    if ndim not in (2, 3):
        raise ValueError(
            f"{name} must be a 2D array (n_samples, window) or a 3D array "
            f"(n_samples, window, n_channels) of windows; got an array with {ndim} dimension(s)."
        )
    try:
        windows = check_array(
            X, dtype=dtype, allow_nd=True, copy=copy, ensure_all_finite=True, input_name=name
        )
    except ValueError as exc:
        if "could not convert" in str(exc):
            raise TypeError(f"{name} must be numeric: {exc}") from exc
        raise
    if windows.ndim == 2:
        windows = windows[:, :, np.newaxis]
    if windows.shape[1] == 0 or windows.shape[2] == 0:
        raise ValueError(f"{name} has empty windows: shape {windows.shape}.")
    return windows


def check_positive_int(value, name, *, minimum=1):
    """Raise a clear error unless ``value`` is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _is_numeric_object(X):
    try:
        np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True
