"""Several independent runs in one series: the ``groups`` argument (private).

A series may hold several independent runs one after the other (one test rig run after
another, one meter's export per month...). ``groups`` labels each row with its run, as
scikit-learn's ``groups`` label the samples for ``GroupKFold``; here each run must be one
contiguous block of rows, in any order of labels. A window must never reach from one
run into the next: the estimators that cut windows treat each run as a series of its
own.
"""

import numpy as np


def group_bounds(groups, n_samples, *, name="groups"):
    """Start, stop and label of each run of ``groups``, half-open ``[start, stop)``.

    Parameters
    ----------
    groups : array-like of shape (n_samples,) or None
        Run label of each row; each run one contiguous block of rows. None: one run.
    n_samples : int
        Number of rows of the series.
    name : str, default="groups"
        How an error names the parameter.

    Returns
    -------
    starts, stops : ndarray of shape (n_runs,), dtype=intp
        First row and one past the last row of each run, in row order.
    labels : list
        The label of each run (``[None]`` when ``groups`` is None).

    Raises
    ------
    ValueError
        If ``groups`` is not 1D with ``n_samples`` entries, holds a missing label, or a
        label labels two separate blocks of rows.

    Examples
    --------
    >>> from ecoai_sklearn.utils import group_bounds
    >>> group_bounds(["a", "a", "b", "b", "b"], 5)
    (array([0, 2]), array([2, 5]), ['a', 'b'])
    """
    if groups is None:
        return np.array([0], dtype=np.intp), np.array([n_samples], dtype=np.intp), [None]
    if isinstance(groups, str):
        raise TypeError(f"{name} must be an array-like of one run label per row, got a string.")
    values = np.asarray(groups)
    if values.ndim != 1 or values.shape[0] != n_samples:
        raise ValueError(
            f"{name} must hold one run label per row of X ({n_samples}); got shape {values.shape}."
        )
    if n_samples == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), []
    missing = _missing(values)
    if missing.any():
        raise ValueError(
            f"{name} holds a missing run label (row {int(np.flatnonzero(missing)[0])})."
        )
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.intp)
    stops = np.concatenate((change, [n_samples])).astype(np.intp)
    labels = [_plain(values[start]) for start in starts]
    seen = {}
    for start, label in zip(starts, labels):
        if label in seen:
            raise ValueError(
                f"{name} must label each run as one contiguous block of rows; the run "
                f"{label!r} has rows from {seen[label]} and from {int(start)} with other "
                "runs between them. Sort the rows by run (keeping the time order within "
                "each run)."
            )
        seen[label] = int(start)
    return starts, stops, labels


def _plain(value):
    """A numpy scalar as the Python value it holds (``np.str_("a")`` -> ``"a"``)."""
    return value.item() if isinstance(value, np.generic) else value


def _missing(values):
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and v != v) for v in values])
    return np.zeros(values.shape, dtype=bool)
