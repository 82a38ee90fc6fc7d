"""Loader for the shared labelled CSV format ``timestamp,<values>,label,series_id``."""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..utils import (
    StrOptions,
    is_number_column,
    parse_labels,
    parse_names,
    parse_numbers,
    parse_timestamps,
    quoted,
    read_text_table,
    source_name,
    validate_params,
)

COLUMNS = ("timestamp", "value", "label", "series_id")
#: the columns every file of the shared format has besides its value columns
RESERVED = ("timestamp", "label", "series_id")


@validate_params(
    {
        "path": "no_validation",
        "series": [str, list, tuple, None],
        "value_columns": [list, tuple, None],
        "as_frame": ["boolean"],
        "on_bad_order": [StrOptions({"raise", "warn", "ignore"})],
        "delimiter": [str, None],
        "decimal": [StrOptions({".", ","})],
    },
    prefer_skip_nested_validation=True,
)
def load_series_csv(
    path,
    *,
    series=None,
    value_columns=None,
    as_frame=False,
    on_bad_order="raise",
    delimiter=None,
    decimal=".",
):
    """Load labelled series from a CSV file in the shared format.

    The file has the columns ``timestamp``, ``label`` and ``series_id`` and one or more
    value columns (``value`` in the univariate files; the channels' names in a
    multichannel file): ``timestamp`` as ``YYYY-MM-DD HH:MM:SS`` (any ISO 8601 form;
    timestamps with a UTC offset are converted to UTC, so offsets may change within a
    file, as at a daylight-saving change), values as floats where an empty field (or
    ``nan``/``NA``) is a missing reading, ``label`` 0 or 1 (1 = anomaly), and
    ``series_id`` the name of the series the row belongs to. Rows of one series must be
    in strictly increasing time order; series may be interleaved. The file is UTF-8 (a
    byte-order mark is ignored).

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file.
    series : str or list of str, default=None
        Series to load, by ``series_id``; ``None`` loads all of them.
    value_columns : list of str, default=None
        Value columns (channels) to load, in this order. ``None`` takes every column
        other than ``timestamp``, ``label`` and ``series_id`` that holds numbers (a
        column with at least one number, or only missing fields), in file order;
        columns of text only (notes, names) are left out.
    as_frame : bool, default=False
        If True, return one long DataFrame instead of a dict of arrays.
    on_bad_order : {"raise", "warn", "ignore"}, default="raise"
        What to do when timestamps of a series are duplicated or go back in time: raise a
        ValueError, warn and keep the rows in file order, or keep them silently.
        :func:`regularize` then resolves them (its ``on_duplicate`` rule).
    delimiter : str, default=None
        Field separator; None finds it from the header line (``,``, ``;`` or tab).
    decimal : {".", ","}, default="."
        Decimal separator of the values: ``","`` reads decimal commas (``1,5``; the
        fields must then be separated by something else, e.g. ``;``).

    Returns
    -------
    data : dict of Bunch or DataFrame
        If ``as_frame=False``, a dict mapping each ``series_id`` (in order of first
        appearance) to a :class:`~sklearn.utils.Bunch` with ``X`` (ndarray of shape
        (n_rows, n_channels), float64, NaN where missing), ``y`` (ndarray of shape
        (n_rows,), int64), ``timestamps`` (DatetimeIndex; UTC when the file has offsets),
        ``feature_names`` (ndarray of the value columns' names) and ``series_id``. If
        ``as_frame=True``, a DataFrame with the columns ``timestamp`` (datetime64), the
        value columns (float64), ``label`` (int64) and ``series_id``, the rows of the
        selected series in file order.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not valid CSV, a column is missing, a value or timestamp does not
        parse, a label is not 0 or 1, a value is infinite, a requested series is absent,
        or (with ``on_bad_order="raise"``) timestamps of a series are duplicated or
        unsorted. The message names the line of the file and the column, worded as the
        ``ecoai-detect`` command words it (both use the same parser), and the parameter
        to use when the file looks like it needs one (``delimiter``, ``decimal``).

    See Also
    --------
    regularize : Put each series on its regular time grid.

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

    A multichannel file with decimal commas, separated by ``;``:

    >>> text = '''timestamp;current;voltage;label;series_id
    ... 2024-01-01T00:00:00+01:00;2,5;230,1;0;pump
    ... 2024-01-01T00:00:01+01:00;2,6;229,8;0;pump
    ... '''
    >>> pump = load_series_csv(io.StringIO(text), decimal=",")["pump"]
    >>> pump.X
    array([[  2.5, 230.1],
           [  2.6, 229.8]])
    >>> pump.feature_names.tolist(), str(pump.timestamps[0])
    (['current', 'voltage'], '2023-12-31 23:00:00+00:00')
    """
    frame = _read(path, value_columns=value_columns, delimiter=delimiter, decimal=decimal)
    return _pack(
        frame,
        series=series,
        as_frame=as_frame,
        on_bad_order=on_bad_order,
        source=source_name(path),
        line_offset=2,
    )


def _pack(frame, *, series, as_frame, on_bad_order, source, line_offset=None):
    """Select series, check their time order and return the frame or a dict of Bunch.

    ``frame`` has the typed shared-format columns: ``timestamp``, the value columns,
    ``label``, ``series_id``; ``line_offset`` turns its index into file line numbers for
    messages (None: the rows are not lines of a file).
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
    values = [c for c in frame.columns if c not in RESERVED]
    data = {}
    for series_id, rows in frame.groupby("series_id", sort=False):
        data[series_id] = Bunch(
            X=rows[values].to_numpy(dtype=np.float64),
            y=rows["label"].to_numpy(dtype=np.int64),
            timestamps=pd.DatetimeIndex(rows["timestamp"], name="timestamp"),
            feature_names=np.asarray(values, dtype=object),
            series_id=series_id,
        )
    return data


def _read(path, *, value_columns=None, delimiter=",", decimal="."):
    """The shared-format columns of a CSV file, typed (one parser with the CLI's)."""
    raw, lines = read_text_table(path, delimiter=delimiter)
    source = source_name(path)
    names = [str(c) for c in raw.columns]
    if value_columns is None:
        value_columns = [
            c for c in names if c not in RESERVED and is_number_column(raw[c], decimal=decimal)
        ]
    else:
        value_columns = [str(c) for c in value_columns]
    missing = [c for c in (*RESERVED[:1], *value_columns, *RESERVED[1:]) if c not in names]
    if missing or not value_columns:
        expected = ",".join(COLUMNS) if not value_columns else None
        raise ValueError(
            f"{source} lacks the column(s) {missing or ['value']}; expected "
            f"{expected or 'timestamp, the value columns, label and series_id'} "
            f"(found {quoted(names)})."
        )
    where = {"lines": lines, "source": source}
    columns = {"timestamp": parse_timestamps(raw["timestamp"], name="timestamp", **where)}
    for name in value_columns:
        columns[name] = parse_numbers(raw[name], name=name, decimal=decimal, **where)
    columns["label"] = parse_labels(raw["label"], name="label", **where)
    columns["series_id"] = parse_names(raw["series_id"], name="series_id", **where)
    return pd.DataFrame(columns)


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
        "in their original order, then datasets.regularize(..., on_duplicate=...) to resolve "
        "them."
    )
    if on_bad_order == "raise":
        raise ValueError(message)
    # _check_order < _pack < the public loader < its validate_params wrapper < the caller
    warnings.warn(message, UserWarning, stacklevel=5)
