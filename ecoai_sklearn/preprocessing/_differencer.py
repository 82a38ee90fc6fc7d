"""Lag-k, order-d differencing that keeps the number of rows, with an exact inverse."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted

from ..utils import Interval, _fit_context, validate_series


class Differencer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Difference a multichannel series ``order`` times at ``lag`` steps.

    One differencing step maps ``x[t]`` to ``x[t] - x[t - lag]``; ``order`` steps are
    applied in turn (``order=2, lag=1`` is the second difference). Rows are time steps.
    The output has as many rows as the input: the first ``order * lag`` rows, where the
    difference is undefined, hold ``fill_value``.

    Parameters
    ----------
    order : int, default=1
        Number of differencing steps; 0 returns the input unchanged.
    lag : int, default=1
        Distance in rows between the values subtracted (96 removes a daily cycle of
        15-minute data).
    fill_value : float, default=0.0
        Value of the first ``order * lag`` output rows; ``np.nan`` marks them as missing.

    Attributes
    ----------
    initial_rows_ : ndarray of shape (order * lag, n_features_in_)
        The first ``order * lag`` rows of the data seen in :meth:`fit`; the starting
        values :meth:`inverse_transform` integrates from.
    n_features_in_ : int
        Number of channels seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the channels seen during :meth:`fit`, when ``X`` has string column names.

    See Also
    --------
    SeriesKNNImputer : Fill missing readings first: a NaN spreads to every difference
        that uses it.

    Notes
    -----
    :meth:`transform` differences each call's rows on their own, so a chunk transformed
    alone loses its first ``order * lag`` rows to ``fill_value``, where the same rows
    inside a longer series get real differences.

    :meth:`inverse_transform` rebuilds the series that starts with :attr:`initial_rows_`:
    it ignores the first ``order * lag`` rows of its input, puts the stored rows there and
    integrates the remaining differences from them. Hence
    ``inverse_transform(transform(X))`` returns ``X`` (up to float rounding) for the data
    the transformer was fit on, or for any series that begins with the same rows; for other
    data it returns the series those differences would give after the fit data's start.

    Input rules: NaN and inf in ``X`` are a ``ValueError`` for :meth:`fit` and
    :meth:`transform` (impute first), text and complex numbers a ``TypeError``. Finite
    values whose differences (or, for :meth:`inverse_transform`, whose sums) leave the
    range of the dtype raise a ``ValueError`` instead of returning inf.

    Examples
    --------
    >>> import numpy as np
    >>> from ecoai_sklearn.preprocessing import Differencer
    >>> X = np.array([[1.0], [4.0], [9.0], [16.0], [25.0]])
    >>> diff = Differencer(order=1).fit(X)
    >>> diff.transform(X).ravel()
    array([0., 3., 5., 7., 9.])
    >>> Differencer(order=2, fill_value=np.nan).fit_transform(X).ravel()
    array([nan, nan,  2.,  2.,  2.])
    >>> diff.inverse_transform(diff.transform(X)).ravel()
    array([ 1.,  4.,  9., 16., 25.])
    """

    _parameter_constraints = {
        "order": [Interval(Integral, 0, None, closed="left")],
        "lag": [Interval(Integral, 1, None, closed="left")],
        "fill_value": [Real],
    }

    def __init__(self, *, order=1, lag=1, fill_value=0.0):
        self.order = order
        self.lag = lag
        self.fill_value = fill_value

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store the first ``order * lag`` rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            The series, with at least ``order * lag`` rows and no NaN or inf.
        y : None
            Ignored.

        Returns
        -------
        self : Differencer
            The fitted transformer.
        """
        X = validate_series(self, X, dtype=FLOAT_DTYPES)
        width = self.order * self.lag
        if X.shape[0] < width:
            raise ValueError(
                f"Differencer(order={self.order}, lag={self.lag}) needs at least "
                f"order * lag = {width} rows of X to fit; got n_samples={X.shape[0]}."
            )
        self.initial_rows_ = X[:width].copy()
        return self

    def transform(self, X):
        """Difference ``X``; the first ``order * lag`` rows hold ``fill_value``.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            The series.

        Returns
        -------
        X_diff : ndarray of shape (n_timestamps, n_channels)
            The differenced series.
        """
        check_is_fitted(self)
        X = validate_series(self, X, dtype=FLOAT_DTYPES, reset=False)
        width = self.order * self.lag
        out = np.full_like(X, self.fill_value)
        if X.shape[0] > width:
            diff = X
            with np.errstate(over="ignore", invalid="ignore"):
                for _ in range(self.order):
                    diff = diff[self.lag :] - diff[: -self.lag]
            _check_no_overflow(diff, X.dtype, "the differences of X")
            out[width:] = diff
        return out

    def inverse_transform(self, X):
        """Integrate differences back into a series starting with :attr:`initial_rows_`.

        Parameters
        ----------
        X : array-like of shape (n_timestamps, n_channels)
            Differenced series, as returned by :meth:`transform`; its first
            ``order * lag`` rows are ignored (they may be NaN).

        Returns
        -------
        X_original : ndarray of shape (n_timestamps, n_channels)
            The series whose first ``order * lag`` rows are :attr:`initial_rows_` and
            whose differences are those of ``X``.
        """
        check_is_fitted(self)
        X = validate_series(self, X, dtype=FLOAT_DTYPES, reset=False, ensure_all_finite=False)
        width, lag = self.order * self.lag, self.lag
        n = X.shape[0]
        if n <= width:
            return self.initial_rows_[:n].astype(X.dtype, copy=True)
        if not np.all(np.isfinite(X[width:])):
            raise ValueError(
                f"X holds NaN or inf after its first order * lag = {width} rows; "
                "inverse_transform needs finite differences there."
            )
        # The first `lag` values of each differencing level, from the stored rows.
        starts, level = [], self.initial_rows_.astype(X.dtype)
        for _ in range(self.order):
            starts.append(level[:lag])
            level = level[lag:] - level[:-lag]
        current = X[width:]
        with np.errstate(over="ignore", invalid="ignore"):
            for start in reversed(starts):
                current = _cumsum_by_lag(np.concatenate([start, current]), lag)
        _check_no_overflow(current, X.dtype, "the series integrated from X")
        out = np.empty_like(X)
        out[:width] = self.initial_rows_
        out[width:] = current[width:]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _check_no_overflow(values, dtype, what):
    """Raise a ValueError if finite input gave inf or NaN (float overflow)."""
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"Differencer: {what} overflow {np.dtype(dtype).name} (values beyond "
            f"{np.finfo(dtype).max:.3g} in magnitude): X is too large to difference or "
            "integrate in this dtype; scale it first (e.g. divide by its largest value)."
        )


def _cumsum_by_lag(values, lag):
    """``out[t] = values[t] + out[t - lag]``: a cumulative sum along each residue mod lag."""
    n, n_channels = values.shape
    n_blocks = -(-n // lag)
    padded = np.zeros((n_blocks * lag, n_channels), dtype=values.dtype)
    padded[:n] = values
    sums = np.cumsum(padded.reshape(n_blocks, lag, n_channels), axis=0)
    return sums.reshape(-1, n_channels)[:n]
