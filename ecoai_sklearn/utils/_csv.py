"""The one CSV parser of the package: text columns in, typed columns out (private).

Used by :func:`ecoai_sklearn.datasets.load_series_csv` (the shared labelled format) and by
the ``ecoai-detect`` command (any series file), so that both read the same fields the
same way and word their errors alike: every problem names the file and, for a field, its
line (the header is line 1), the column and what was expected, e.g. ``data.csv, line 7:
column 'value' must be a number (or empty when missing), got 'abc' (1 such row(s)).``

File problems are ``FileNotFoundError``, ``IsADirectoryError`` or ``OSError``; content
problems ``ValueError``. pandas is imported inside the functions: the rest of
:mod:`ecoai_sklearn.utils` needs only numpy and scikit-learn.
"""

import os
import warnings

import numpy as np

#: Field contents read as a missing reading (NaN).
MISSING_TOKENS = frozenset({"", "nan", "NaN", "NAN", "NA", "N/A", "null", "NULL", "None"})

_TIMESTAMP_EXAMPLE = "2024-01-01 00:15:00"


def source_name(path):
    """How messages name ``path``: the path itself, or "the file" for a file object."""
    return os.fspath(path) if isinstance(path, str | os.PathLike) else "the file"


def read_text_table(path, *, delimiter=","):
    """Read a CSV file with a header line as text, without converting any field.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file.
    delimiter : str, default=","
        Field separator.

    Returns
    -------
    table : DataFrame
        One column of str per column of the file, fields as written.
    lines : ndarray of int
        Line of the file of each row (the header is line 1).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, OSError
        If the file does not exist, is a directory, or cannot be read.
    ValueError
        If the file is empty, not UTF-8 text, not valid CSV (e.g. a row with more fields
        than the header) or has duplicate column names.
    """
    import pandas as pd

    source = source_name(path)
    if isinstance(path, str | os.PathLike):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{source}: no such file.")
        if os.path.isdir(path):
            raise IsADirectoryError(f"{source} is a directory, not a CSV file.")
    try:
        with warnings.catch_warnings():
            # a first data row longer than the header would silently become the index
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                sep=delimiter,
                index_col=False,
            )
    except pd.errors.ParserWarning as exc:
        raise ValueError(
            f"{source} is not a valid CSV file: a row has more fields than the header."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{source} is empty.") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{source} is not a text (UTF-8) CSV file.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise ValueError(f"{source} is not a valid CSV file: {' '.join(str(exc).split())}") from exc
    except OSError as exc:
        raise OSError(f"{source}: cannot read: {exc.strerror or exc}.") from exc
    names = [str(c) for c in table.columns]
    # pandas renames a repeated column "value" to "value.1"
    duplicated = [
        c for c in names if c.rsplit(".", 1)[-1].isdigit() and c.rsplit(".", 1)[0] in names
    ]
    if duplicated:
        raise ValueError(f"{source} has duplicate column names ({quoted(duplicated)}).")
    return table, np.arange(table.shape[0]) + 2


def parse_numbers(column, lines, *, source, name):
    """Floats of a text column; a missing token (empty, ``nan``, ``NA``, ...) is NaN.

    Raises a ValueError naming the first line with text that is not a number, or with an
    infinite value.
    """
    import pandas as pd

    text = column.str.strip()
    missing = text.isin(MISSING_TOKENS).to_numpy()
    values = pd.to_numeric(text.mask(missing), errors="coerce").to_numpy(dtype=np.float64)
    fail_at(
        np.isnan(values) & ~missing, lines, column, source, name, "a number (or empty when missing)"
    )
    fail_at(np.isinf(values), lines, column, source, name, "a finite number")
    return values


def parse_labels(column, lines, *, source, name):
    """0/1 anomaly labels (int64) of a text column; anything else raises a ValueError."""
    import pandas as pd

    values = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    fail_at(~np.isin(values, (0.0, 1.0)), lines, column, source, name, "0 or 1 (1 = anomaly)")
    return values.astype(np.int64)


def parse_names(column, lines, *, source, name):
    """Stripped, non-empty text of a column (e.g. series names)."""
    text = column.str.strip()
    fail_at((text == "").to_numpy(), lines, column, source, name, "a name")
    return text


def parse_timestamps(column, lines, *, source, name, increasing=False):
    """ISO 8601 timestamps of a text column, as a DatetimeIndex named ``name``.

    With ``increasing``, rows must be in strictly increasing time order: the first row
    that repeats or precedes the previous timestamp raises a ValueError naming its line.
    """
    import pandas as pd

    text = column.str.strip()
    fail_at(
        (text == "").to_numpy(),
        lines,
        column,
        source,
        name,
        f"a timestamp such as {_TIMESTAMP_EXAMPLE}",
    )
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    fail_at(
        parsed.isna().to_numpy(),
        lines,
        column,
        source,
        name,
        f"an ISO 8601 timestamp such as {_TIMESTAMP_EXAMPLE}",
    )
    times = pd.DatetimeIndex(parsed, name=name)
    if increasing:
        step = np.diff(times.asi8)
        bad = np.flatnonzero(step <= 0)
        if bad.size:
            at = bad[0] + 1
            problem = (
                "repeats the previous timestamp"
                if step[at - 1] == 0
                else "is earlier than the previous row's"
            )
            raise ValueError(
                f"{source}, line {lines[at]}: timestamp {column.iloc[at].strip()!r} {problem}; "
                f"rows must be in strictly increasing time order ({bad.size} row(s) are not)."
            )
    return times


def fail_at(bad, lines, column, source, name, expected):
    """Raise a ValueError naming the first line where ``bad`` is True, if any."""
    if np.any(bad):
        first = np.flatnonzero(bad)[0]
        raise ValueError(
            f"{source}, line {lines[first]}: column {name!r} must be {expected}, got "
            f"{column.iloc[first]!r} ({int(np.sum(bad))} such row(s))."
        )


def quoted(names, limit=8):
    """``'a', 'b', ...``: names for messages, at most ``limit`` of them."""
    names = list(names)
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")
