"""Loader for the shared labelled CSV format ``timestamp,value,label,series_id``."""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..utils import (
    StrOptions,
    parse_labels,
    parse_names,
    parse_numbers,
    parse_timestamps,
    read_text_table,
    source_name,
    validate_params,
)

COLUMNS = ("timestamp", "value", "label", "series_id")


@validate_params(
    {
        "path": "no_validation",
        "series": [str, list, tuple, None],
        "as_frame": ["boolean"],
        "on_bad_order": [StrOptions({"raise", "warn", "ignore"})],
    },
    prefer_skip_nested_validation=True,
)
def load_series_csv(path, *, series=None, as_frame=False, on_bad_order="raise"):
    """Load labelled series from a CSV file in the shared format.

    The file has the columns ``timestamp,value,label,series_id`` (others are ignored):
    ``timestamp`` as ``YYYY-MM-DD HH:MM:SS`` (any ISO 8601 form is accepted), ``value`` a
    float where an empty field (or ``nan``/``NA``) is a missing reading, ``label`` 0 or 1
    (1 = anomaly), and ``series_id`` the name of the series the row belongs to. Rows of one
    series must be in strictly increasing time order; series may be interleaved.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file.
    series : str or list of str, default=None
        Series to load, by ``series_id``; ``None`` loads all of them.
    as_frame : bool, default=False
        If True, return one long DataFrame instead of a dict of arrays.
    on_bad_order : {"raise", "warn", "ignore"}, default="raise"
        What to do when timestamps of a series are duplicated or go back in time: raise a
        ValueError, warn and keep the rows in file order, or keep them silently.

    Returns
    -------
    data : dict of Bunch or DataFrame
        If ``as_frame=False``, a dict mapping each ``series_id`` (in order of first
        appearance) to a :class:`~sklearn.utils.Bunch` with ``X`` (ndarray of shape
        (n_rows, 1), float64, NaN where missing), ``y`` (ndarray of shape (n_rows,), int64),
        ``timestamps`` (DatetimeIndex) and ``series_id``. If ``as_frame=True``, a DataFrame
        with the four columns (``timestamp`` as datetime64, ``value`` float64, ``label``
        int64), the rows of the selected series in file order.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not valid CSV, a column is missing, a value or timestamp does not
        parse, a label is not 0 or 1, a value is infinite, a requested series is absent,
        or (with ``on_bad_order="raise"``) timestamps of a series are duplicated or
        unsorted. The message names the line of the file and the column, worded as the
        ``ecoai-detect`` command words it (both use the same parser).

    Examples
    --------
    >>> import io
    >>> from ecoai_sklearn.datasets import load_series_csv
    >>> text = '''timestamp,value,label,series_id
    ... 2024-01-01 00:00:00,1.5,0,a
    ... 2024-01-01 00:15:00,,0,a
    ... 2024-01-01 00:00:00,7.0,1,b
    ... '''
    >>> data = load_series_csv(io.StringIO(text))
    >>> list(data)
    ['a', 'b']
    >>> data["a"].X.ravel()
    array([1.5, nan])
    >>> data["b"].y
    array([1])
    >>> load_series_csv(io.StringIO(text), series="b", as_frame=True)["value"].tolist()
    [7.0]
    """
    return _pack(
        _read(path),
        series=series,
        as_frame=as_frame,
        on_bad_order=on_bad_order,
        source=source_name(path),
        line_offset=2,
    )


def _pack(frame, *, series, as_frame, on_bad_order, source, line_offset=None):
    """Select series, check their time order and return the frame or a dict of Bunch.

    ``frame`` has the typed shared-format columns; ``line_offset`` turns its index into
    file line numbers for messages (None: the rows are not lines of a file).
    """
    if series is not None:
        wanted = [series] if isinstance(series, str) else list(series)
        present = set(frame["series_id"].unique())
        absent = [s for s in wanted if s not in present]
        if absent:
            available = sorted(present)
            shown = ", ".join(map(repr, available[:10])) + (" ..." if len(available) > 10 else "")
            raise ValueError(f"series {absent} not found in {source}; available: {shown}.")
        frame = frame[frame["series_id"].isin(wanted)]
    _check_order(frame, on_bad_order, source, line_offset)
    if as_frame:
        return frame.reset_index(drop=True)
    data = {}
    for series_id, rows in frame.groupby("series_id", sort=False):
        data[series_id] = Bunch(
            X=rows["value"].to_numpy(dtype=np.float64).reshape(-1, 1),
            y=rows["label"].to_numpy(dtype=np.int64),
            timestamps=pd.DatetimeIndex(rows["timestamp"], name="timestamp"),
            series_id=series_id,
        )
    return data


def _read(path):
    """The shared-format columns of a CSV file, typed (one parser with the CLI's)."""
    raw, lines = read_text_table(path)
    source = source_name(path)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(
            f"{source} lacks the column(s) {missing}; expected {','.join(COLUMNS)} "
            f"(found {','.join(map(str, raw.columns))})."
        )
    where = {"lines": lines, "source": source}
    return pd.DataFrame(
        {
            "timestamp": parse_timestamps(raw["timestamp"], name="timestamp", **where),
            "value": parse_numbers(raw["value"], name="value", **where),
            "label": parse_labels(raw["label"], name="label", **where),
            "series_id": parse_names(raw["series_id"], name="series_id", **where),
        }
    )


def _check_order(frame, on_bad_order, source, line_offset):
    if on_bad_order == "ignore" or frame.empty:
        return
    step = frame.groupby("series_id", sort=False)["timestamp"].diff()
    bad = (step <= pd.Timedelta(0)).to_numpy()
    if not bad.any():
        return
    first = frame.index[np.flatnonzero(bad)[0]]
    row = frame.loc[first]
    where = f"line {first + line_offset}" if line_offset is not None else f"row {first}"
    problem = (
        "a duplicate timestamp"
        if step.loc[first] == pd.Timedelta(0)
        else "a timestamp earlier than the previous row"
    )
    message = (
        f"{source}, {where}: series {row['series_id']!r} has {problem} "
        f"({row['timestamp']}); {int(bad.sum())} row(s) do not come after the previous row of "
        "their series in time. Pass on_bad_order='warn' or 'ignore' to load them "
        "in their original order."
    )
    if on_bad_order == "raise":
        raise ValueError(message)
    # _check_order < _pack < the public loader < its validate_params wrapper < the caller
    warnings.warn(message, UserWarning, stacklevel=5)
