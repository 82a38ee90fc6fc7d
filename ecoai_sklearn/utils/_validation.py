"""Input checks shared by several estimators and functions (private).

- :func:`validate_series`: a series ``(n_timestamps, n_channels)`` given to an
  estimator's ``fit``/``transform`` (sets or checks ``n_features_in_`` and
  ``feature_names_in_`` through :func:`~sklearn.utils.validation.validate_data`);
- :func:`check_series`: the same checks for a plain function, which may also accept a
  1D series as one channel;
- :func:`validate_windows`: windows ``(n, w)`` or ``(n, w, c)`` given to an estimator
  (the autoencoders);
- :func:`check_windows`: the same for a plain function, returned as ``(n, w, c)``;
- :func:`check_positive_int`: an integer parameter with a lower bound;
- :func:`reject_non_real` (alias :func:`reject_text`): the TypeError on text and complex
  numbers, for validators of other shapes;
- :class:`Interval`: scikit-learn's numeric-range constraint for ``_parameter_constraints``
  and ``validate_params``, refusing ``True``/``False`` as numbers.

The rules, shared by every estimator and function of the package:

- text (even numeric text such as ``"1.5"``) and complex numbers are a ``TypeError``
  naming the argument, raised by :func:`reject_non_real` before any conversion. The
  complex case raises :class:`ComplexDataError`, a ``TypeError`` that is also a
  ``ValueError`` (as scikit-learn's ``InvalidParameterError`` is both), so that code
  written for scikit-learn's ``ValueError("Complex data not supported")`` keeps working;
- NaN and inf (series, and windows given to estimators) are a ``ValueError`` naming the
  argument and the estimator (NaN with a pointer to
  :class:`~ecoai_sklearn.preprocessing.SeriesKNNImputer`), instead of scikit-learn's
  generic advice for supervised learners; estimators that accept NaN say so with the
  ``allow_nan`` tag;
- ``True``/``False`` are not numbers: an integer or float parameter given a bool is an
  error (:class:`Interval`, :func:`check_positive_int`).
"""

import numbers

import numpy as np
from sklearn.utils import check_array

from ._compat import Interval as _SklearnInterval
from ._compat import validate_data

SERIES = "array of shape (n_timestamps, n_channels)"
#: Largest finite float32, for models that compute in float32 (torch).
FLOAT32_MAX = float(np.finfo(np.float32).max)
WINDOWS = "array of windows (n_samples, window) or (n_samples, window, n_channels)"
_IMPUTE_HINT = "fill them first, e.g. with ecoai_sklearn.preprocessing.SeriesKNNImputer"


def validate_series(
    estimator, X, *, reset=True, dtype=np.float64, ensure_all_finite=True, copy=False
):
    """Validate a series for an estimator and return it as a 2D float array.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted or applied; its name appears in error messages.
    X : array-like of shape (n_timestamps, n_channels)
        The series, rows in time order.
    reset : bool, default=True
        Whether to set ``n_features_in_`` and ``feature_names_in_`` (``fit``) or check
        ``X`` against them (other methods), as in ``validate_data``.
    dtype : dtype or list of dtypes, default=np.float64
        Accepted float dtype(s); other input is converted to the first one.
    ensure_all_finite : bool or "allow-nan", default=True
        True rejects NaN and inf, ``"allow-nan"`` only inf, False neither.
    copy : bool, default=False
        Whether to force a copy.

    Returns
    -------
    X : ndarray of shape (n_timestamps, n_channels)
        The validated series (``X`` itself when no conversion was needed and
        ``copy=False``).

    Raises
    ------
    TypeError
        If ``X`` is a string or holds values that are not real numbers (text, complex).
    ValueError
        If ``X`` is not 2D, is empty, has the wrong number of channels (``reset=False``),
        or holds NaN or inf where ``ensure_all_finite`` forbids them.
    """
    reject_non_real(X, "X")
    X = validate_data(estimator, X, reset=reset, dtype=dtype, ensure_all_finite=False, copy=copy)
    _check_finite(X, "X", type(estimator).__name__, ensure_all_finite, what="a series")
    return X


def check_series(X, *, name="X", owner=None, dtype=np.float64, ensure_all_finite=True):
    """Validate a series given to a function and return it as a 2D float array.

    Parameters
    ----------
    X : array-like of shape (n_timestamps,) or (n_timestamps, n_channels)
        The series, rows in time order.
    name : str, default="X"
        Name of the argument in error messages.
    owner : str, default=None
        Name of the calling function in error messages (None: not named).
    dtype : dtype or list of dtypes, default=np.float64
        Accepted float dtype(s); other input is converted to the first one.
    ensure_all_finite : bool or "allow-nan", default=True
        True rejects NaN and inf, ``"allow-nan"`` only inf, False neither.

    Returns
    -------
    X : ndarray of shape (n_timestamps, n_channels)
        The validated series; may be ``X`` itself (no copy when it already has an
        accepted dtype), so callers must only read it.

    Raises
    ------
    TypeError
        If ``X`` is a string or holds values that are not real numbers (text, complex).
    ValueError
        If ``X`` has the wrong number of dimensions, is empty, or holds NaN or inf where
        ``ensure_all_finite`` forbids them.
    """
    reject_non_real(X, name)
    x = _to_array(X, name, dtype=dtype, ensure_2d=False, ensure_all_finite=False)
    if x.ndim == 1:
        x = x[:, np.newaxis]
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be a 1D series or a 2D array (n_timestamps, n_channels); got an "
            f"array with {x.ndim} dimensions. Windows are built from the series, not the "
            "other way round."
        )
    if x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}); a series needs values.")
    _check_finite(x, name, owner, ensure_all_finite, what="a series")
    return x


def validate_windows(estimator, X, *, reset=True, dtype="numeric"):
    """Validate windows for an estimator; return them 2D ``(n, w)`` or 3D ``(n, w, c)``.

    The rank is kept (a 2D input is univariate windows, which callers may expand with
    ``X[:, :, np.newaxis]``); ``n_features_in_`` is the window length, as
    ``validate_data`` counts the second axis.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted or applied; its name appears in error messages.
    X : array-like of shape (n_samples, window) or (n_samples, window, n_channels)
        The windows, one independent sample per row.
    reset : bool, default=True
        Whether to set ``n_features_in_`` and ``feature_names_in_`` (``fit``) or check
        ``X`` against them (other methods), as in ``validate_data``.
    dtype : "numeric", dtype or list of dtypes, default="numeric"
        As in ``validate_data``.

    Returns
    -------
    windows : ndarray of shape (n_samples, window) or (n_samples, window, n_channels)
        The validated windows, without a copy when none was needed.

    Raises
    ------
    TypeError
        If ``X`` is a string or holds values that are not real numbers (text, complex).
    ValueError
        If ``X`` is not 2D/3D, has no sample, empty windows, the wrong window length
        (``reset=False``), or holds NaN or inf.
    """
    reject_non_real(X, "X", what=WINDOWS)
    windows = validate_data(
        estimator, X, reset=reset, dtype=dtype, allow_nd=True, ensure_all_finite=False
    )
    if windows.ndim > 3:
        raise ValueError(
            "X must be a 2D array (n_samples, window) or a 3D array "
            f"(n_samples, window, n_channels) of windows; got shape {windows.shape}."
        )
    if windows.shape[1] == 0 or (windows.ndim == 3 and windows.shape[2] == 0):
        raise ValueError(
            f"X has empty windows (shape {windows.shape}): a window needs at least one "
            "time step and one channel."
        )
    _check_finite(windows, "X", type(estimator).__name__, True, what="windows")
    return windows


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
        If the array is not numeric (text, complex numbers).
    """
    reject_non_real(X, name, what=WINDOWS)
    ndim = np.ndim(X)
    if ndim not in (2, 3):
        raise ValueError(
            f"{name} must be a 2D array (n_samples, window) or a 3D array "
            f"(n_samples, window, n_channels) of windows; got an array with {ndim} dimension(s)."
        )
    windows = _to_array(X, name, dtype=dtype, copy=copy, ensure_all_finite=True)
    if windows.shape[0] == 0:
        # scikit-learn's own message would not say which argument is empty
        raise ValueError(f"{name} has 0 samples (shape {windows.shape}); it needs a window.")
    if windows.ndim == 2:
        windows = windows[:, :, np.newaxis]
    if windows.shape[1] == 0 or windows.shape[2] == 0:
        raise ValueError(f"{name} has empty windows: shape {windows.shape}.")
    return windows


def check_finite_float32(X, name, owner):
    """Raise a ValueError if ``X`` holds finite values beyond the float32 range.

    Models that compute in float32 (the torch autoencoders) would turn such values into
    inf and return NaN: the package refuses them instead of answering silently wrong.

    Parameters
    ----------
    X : ndarray
        Validated numeric array (finite).
    name : str
        Name of the argument in the message.
    owner : str
        Name of the estimator or function that computes in float32.

    Raises
    ------
    ValueError
        If ``max(|X|)`` exceeds the largest float32, about 3.4e38.
    """
    if X.size == 0 or X.dtype == np.float32 or X.dtype.kind not in "fiu":
        return
    peak = max(float(np.max(X)), -float(np.min(X)))
    if peak > FLOAT32_MAX:
        raise ValueError(
            f"{name} holds values up to {peak:.3g} in magnitude, beyond the float32 range "
            f"(|x| <= {FLOAT32_MAX:.3g}) in which {owner} computes; scale it first (e.g. "
            "MinMaxScaler before windowing)."
        )


def _to_array(X, name, **options):
    """``check_array`` without its size checks, which would not name the argument: the
    callers check sizes themselves."""
    return check_array(
        X, allow_nd=True, ensure_min_samples=0, ensure_min_features=0, input_name=name, **options
    )


def check_positive_int(value, name, *, minimum=1):
    """Raise a clear error unless ``value`` is an integer >= ``minimum`` (bool refused)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


class Interval(_SklearnInterval):
    """scikit-learn's ``Interval`` constraint, with ``True``/``False`` refused.

    scikit-learn's ``Interval(Integral, ...)`` and ``Interval(Real, ...)`` accept a bool,
    because ``bool`` subclasses ``int``: ``max_epochs=True`` would train one epoch. The
    package's rule is that a bool is never a number, so every ``_parameter_constraints``
    and ``validate_params`` of the package uses this class (imported from
    ``ecoai_sklearn.utils``); a bool then fails with scikit-learn's usual
    ``InvalidParameterError`` (a ``ValueError`` and a ``TypeError``) naming the parameter
    and the expected range. Parameters that are flags use the ``"boolean"`` constraint.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)


class ComplexDataError(TypeError, ValueError):
    """Complex numbers where real ones are expected.

    A ``TypeError`` by the package's rule (complex numbers are the wrong type of value,
    as text is), and also a ``ValueError``, the class scikit-learn raises for complex
    data (``"Complex data not supported"``, which every message of this error contains),
    so that scikit-learn's common check and code catching ``ValueError`` keep working.
    """


def _complex_message(name, what):
    return (
        f"{name} must hold real numbers ({what}), got complex numbers. "
        "Complex data not supported."
    )


def _is_complex_value(value):
    return isinstance(value, complex | np.complexfloating)


def reject_non_real(X, name, *, what=SERIES):
    """Raise a TypeError for text or complex numbers given as ``name``, before conversion.

    Rejected with a ``TypeError``: a string, an array (or DataFrame column) of strings or
    bytes, and an object array holding any; a complex array, or an object array holding
    complex numbers (:class:`ComplexDataError`, also a ``ValueError``). Checked before
    conversion because numpy would otherwise parse an array of ``"1.5"`` as 1.5, and
    scikit-learn reports unconvertible text as a ValueError. Other non-numeric content
    (arbitrary objects, ragged lists) is left to the converter.

    Parameters
    ----------
    X : object
        The argument, as the caller received it.
    name : str
        Name of the argument in the message.
    what : str, default=SERIES
        What the argument should be, for the message.

    Raises
    ------
    TypeError
        If ``X`` is or holds text or complex numbers.
    """
    if isinstance(X, str | bytes):
        raise TypeError(f"{name} must be a numeric {what}, got a string.")
    if _is_complex_value(X):
        raise ComplexDataError(_complex_message(name, what))
    for column in _columns(X):
        dtype = getattr(column, "dtype", None)
        if dtype is None:
            try:
                column = np.asarray(column)
            except (ValueError, TypeError):  # ragged nested lists: the converter says so
                return
            dtype = column.dtype
        kind = getattr(dtype, "kind", None)
        if kind in ("U", "S", "V"):
            raise TypeError(f"{name} must be a numeric {what}, got an array of dtype {dtype}.")
        if kind == "c":
            raise ComplexDataError(_complex_message(name, what))
        if kind == "O":
            for value in np.asarray(column, dtype=object).ravel():
                if isinstance(value, str | bytes):
                    raise TypeError(f"{name} must be a numeric {what}, got text such as {value!r}.")
                if _is_complex_value(value):
                    raise ComplexDataError(_complex_message(name, what))


#: The former name of :func:`reject_non_real` (it rejects complex numbers too now).
reject_text = reject_non_real


def _columns(X):
    """``X`` itself, or the columns of a DataFrame (each has its own dtype)."""
    if hasattr(X, "dtypes") and hasattr(X, "columns") and not hasattr(X, "dtype"):
        return [X.iloc[:, j] for j in range(X.shape[1])]
    return [X]


def _check_finite(X, name, owner, ensure_all_finite, *, what):
    if ensure_all_finite is False or np.isfinite(X).all():
        return
    who = f"{owner} needs" if owner else "it needs"
    if ensure_all_finite is True and np.isnan(X).any():
        raise ValueError(
            f"{name} contains NaN, but {who} {what} without missing readings: {_IMPUTE_HINT}."
        )
    if np.isinf(X).any():
        raise ValueError(
            f"{name} contains infinity or a value too large for {X.dtype}, but {who} finite "
            "readings."
        )
