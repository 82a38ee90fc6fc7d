"""The one CSV parser of the package: text columns in, typed columns out (private).

Used by :func:`ecoai_sklearn.datasets.load_series_csv` (the shared labelled format), by
:func:`ecoai_sklearn.datasets.regularize` (timestamps given as text) and by the
``ecoai-detect`` command (any series file), so that they read the same fields the same
way and word their errors alike: every problem names the file and, for a field, its
line (the header is line 1), the column and what was expected, e.g. ``data.csv, line 7:
column 'value' must be a number (or empty when missing), got 'abc' (1 such row(s)).``
A field quoted in a message is shortened (:func:`shorten`): a message stays one short
line whatever the file holds.

Conventions: the file is UTF-8 (a byte-order mark is dropped); the field separator is
``,``, ``;`` or a tab, found from the header line when not given
(:func:`sniff_delimiter`); numbers use a decimal point unless ``decimal=","``;
timestamps are ISO 8601, and timestamps with a UTC offset (``+02:00``, ``Z``) are
converted to UTC, so that a file crossing a daylight-saving change, whose offsets
differ, reads as one increasing series (:func:`timestamps_from_text`).

File problems are ``FileNotFoundError``, ``IsADirectoryError`` or ``OSError``; content
problems ``ValueError``. pandas is imported inside the functions: the rest of
:mod:`ecoai_sklearn.utils` needs only numpy and scikit-learn.
"""

import io
import os
import re
import warnings

import numpy as np

#: Field contents read as a missing reading (NaN).
MISSING_TOKENS = frozenset({"", "nan", "NaN", "NAN", "NA", "N/A", "null", "NULL", "None"})

#: Field separators that :func:`sniff_delimiter` recognises, in order of preference.
DELIMITERS = (",", ";", "\t")

_TIMESTAMP_EXAMPLE = "2024-01-01 00:15:00"
# a UTC offset (or Z) after the time of day: "...T02:30:00+02:00", "... 02:30Z", "+0100"
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)\Z", re.I)
_ZERO_OFFSET = re.compile(r"(?:Z|[+-]00(?::?00)?)\Z", re.I)
# names of columns that usually hold timestamps
_TIME_NAME = re.compile(r"time|date|\Ats\Z|\Adt\Z|zeit|datum|fecha|hora", re.I)
_SHORT = 40
_DECIMAL_COMMA = r"[+-]?\d*,\d+"

#: How hints in messages name the options, for Python callers; the command line passes
#: its own (``--decimal ,``). Keys: "delimiter", "decimal", "time" (formatted with
#: ``value`` or ``name``).
PYTHON_OPTIONS = {
    "delimiter": "delimiter={value!r}",
    "decimal": "decimal={value!r}",
    "time": "time_column={name!r}",
}


def source_name(path):
    """How messages name ``path``: the path itself, or "the file" for a file object."""
    return os.fspath(path) if isinstance(path, str | os.PathLike) else "the file"


def shorten(text, limit=_SHORT):
    """``repr(text)``, cut to about ``limit`` characters with the full length said.

    Fields and names quoted in messages go through this function, so that a message
    stays one short line even for a field of megabytes.

    Examples
    --------
    >>> shorten("abc")
    "'abc'"
    >>> shorten("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (1,000 characters)"
    """
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _read_text(path):
    """The whole text of a file (path or file object), UTF-8, without a byte-order mark."""
    source = source_name(path)
    if isinstance(path, str | os.PathLike):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{source}: no such file.")
        if os.path.isdir(path):
            raise IsADirectoryError(f"{source} is a directory, not a CSV file.")
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as exc:
            raise OSError(f"{source}: cannot read: {exc.strerror or exc}.") from exc
    else:
        content = path.read()
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{source} is not a text (UTF-8) CSV file.") from exc
    return content.removeprefix("\ufeff")


def _count_outside_quotes(line, char):
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_delimiter(path):
    """The field separator of a CSV file: the one of ``,``, ``;`` and tab its header uses.

    The header line is read (names hold no decimal commas, unlike the data rows); the
    separator occurring most often in it outside quotes wins, ``,`` on a tie or when none
    occurs (a one-column file). A file object is read and put back where it was.

    Parameters
    ----------
    path : str, path-like or file-like
        A CSV file.

    Returns
    -------
    delimiter : str
        One of :data:`DELIMITERS`.

    Examples
    --------
    >>> import io
    >>> sniff_delimiter(io.StringIO("timestamp;value\\n2024-01-01;1,5\\n"))
    ';'
    >>> sniff_delimiter(io.StringIO("value\\n1\\n"))
    ','
    """
    if isinstance(path, str | os.PathLike):
        text = _read_text(path)
    else:
        position = path.tell() if path.seekable() else None
        text = _read_text(path)
        if position is not None:
            path.seek(position)
    return _sniff_line(text.split("\n", 1)[0].rstrip("\r"))


def _sniff_line(line):
    counts = [_count_outside_quotes(line, d) for d in DELIMITERS]
    best = int(np.argmax(counts))
    return DELIMITERS[best] if counts[best] else ","


def check_delimiter(delimiter):
    """``delimiter`` if it can separate fields (one character, not a quote or newline).

    Raises a ValueError that names the delimiter otherwise.
    """
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            f"the delimiter must be one character such as ',', ';' or a tab, got {delimiter!r}."
        )
    return delimiter


def read_text_table(path, *, delimiter=",", options=None):
    """Read a CSV file with a header line as text, without converting any field.

    Parameters
    ----------
    path : str, path-like or file-like
        The CSV file, UTF-8 (a byte-order mark is dropped).
    delimiter : str or None, default=","
        Field separator; None finds it from the header line (:func:`sniff_delimiter`).
    options : dict, default=None
        How hints name the options (see :data:`PYTHON_OPTIONS`, the default).

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
        than the header: the message says when the header looks separated by another
        delimiter) or has duplicate column names, or ``delimiter`` is not one character.
    """
    import pandas as pd

    source = source_name(path)
    if delimiter is not None:
        check_delimiter(delimiter)
    text = _read_text(path)
    header = text.split("\n", 1)[0].rstrip("\r")
    sniffed = _sniff_line(header)
    if delimiter is None:
        delimiter = sniffed
    try:
        with warnings.catch_warnings():
            # a first data row longer than the header would silently become the index
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                sep=delimiter,
                index_col=False,
            )
    except pd.errors.ParserWarning as exc:
        hint = ""
        if sniffed != delimiter:
            option = (options or PYTHON_OPTIONS)["delimiter"].format(value=sniffed)
            hint = f"; its header line is separated by {sniffed!r}, not {delimiter!r}: use {option}"
        raise ValueError(
            f"{source} is not a valid CSV file: a row has more fields than the header{hint}."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{source} is empty.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        message = " ".join(str(exc).split())
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if fields:
            expected, line, saw = fields.groups()
            message = f"line {line} has {saw} fields, the header {expected}"
            if delimiter == ",":
                message += " (a number with a decimal comma must be quoted in a ','-separated file)"
        raise ValueError(f"{source} is not a valid CSV file: {message[:200]}.") from exc
    if table.shape[1] == 1 and sniffed != delimiter:
        option = (options or PYTHON_OPTIONS)["delimiter"].format(value=sniffed)
        raise ValueError(
            f"{source} reads as one column {shorten(table.columns[0])} with the separator "
            f"{delimiter!r}; its header line is separated by {sniffed!r}, not {delimiter!r}: "
            f"use {option}."
        )
    names = [str(c) for c in table.columns]
    # pandas renames a repeated column "value" to "value.1"
    duplicated = [
        c for c in names if c.rsplit(".", 1)[-1].isdigit() and c.rsplit(".", 1)[0] in names
    ]
    if duplicated:
        raise ValueError(f"{source} has duplicate column names ({quoted(duplicated)}).")
    return table, np.arange(table.shape[0]) + 2


def _number_text(column, decimal):
    """Stripped text of a column with the decimal separator made a point; missing mask."""
    text = column.str.strip()
    missing = text.isin(MISSING_TOKENS).to_numpy()
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    return text, missing


def _check_decimal(decimal):
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}.")


def parse_numbers(column, lines, *, source, name, decimal=".", options=None):
    """Floats of a text column; a missing token (empty, ``nan``, ``NA``, ...) is NaN.

    ``decimal=","`` reads decimal commas (``1,5``). Raises a ValueError naming the first
    line with text that is not a number, or with an infinite value; when the field
    looks like a decimal comma or the column like timestamps, the message names the
    option to use, as ``options`` words it (default :data:`PYTHON_OPTIONS`).
    """
    import pandas as pd

    _check_decimal(decimal)
    text, missing = _number_text(column, decimal)
    values = pd.to_numeric(text.mask(missing), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & ~missing
    if bad.any():
        first = column.iloc[int(np.flatnonzero(bad)[0])].strip()
        options = options or PYTHON_OPTIONS
        hint = ""
        if decimal == "." and re.fullmatch(_DECIMAL_COMMA, first):
            option = options["decimal"].format(value=",")
            hint = f"; the file seems to use decimal commas: use {option}"
        elif looks_like_timestamps(column, name=name):
            option = options["time"].format(name=name)
            hint = f"; the column holds timestamps: use {option}"
        fail_at(bad, lines, column, source, name, "a number (or empty when missing)", hint=hint)
    fail_at(np.isinf(values), lines, column, source, name, "a finite number")
    return values


def is_number_column(column, *, decimal="."):
    """Whether a text column holds numbers: a field is a number, or every field is missing.

    The rule for finding the value columns of a file: a column with at least one number
    is a value column (so that a typo is reported, not the column skipped); a column of
    text only (names, notes, timestamps) is not. With ``decimal="."``, a decimal comma
    (``2,5``) counts as a number too, so that parsing the column says to use decimal
    commas instead of leaving the column out.
    """
    import pandas as pd

    _check_decimal(decimal)
    text, missing = _number_text(column, decimal)
    if missing.all():
        return True
    values = pd.to_numeric(text.mask(missing), errors="coerce").to_numpy(dtype=np.float64)
    if (~np.isnan(values)).any():
        return True
    return decimal == "." and bool(text[~missing].str.fullmatch(_DECIMAL_COMMA).any())


def looks_like_timestamps(column, *, name=None):
    """Whether a text column looks like it holds timestamps.

    True when none of its first non-missing fields is a number and they all parse as
    ISO 8601 date-times, or, failing that, when ``name`` says time or date (``time``,
    ``Date``, ``datetime``, ...).
    """
    import pandas as pd

    text = column.str.strip()
    text = text[~text.isin(MISSING_TOKENS)].head(20)
    if text.empty or pd.to_numeric(text, errors="coerce").notna().any():
        return False
    if pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).notna().all():
        return True
    return bool(name is not None and _TIME_NAME.search(str(name)))


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


def timestamps_from_text(text):
    """Parse ISO 8601 timestamps; those with a UTC offset are converted to UTC.

    Parameters
    ----------
    text : Series of str
        Stripped timestamps; every field non-empty.

    Returns
    -------
    times : Series of datetime64
        Naive when no field has an offset, UTC when every field has one; NaT where a
        field does not parse.
    offset : ndarray of bool
        Fields with a UTC offset.
    converted : ndarray of bool
        Fields with an offset other than zero (``+00:00``, ``Z``): their time of day
        changed in the conversion to UTC.

    Raises
    ------
    ValueError
        If some fields have an offset and others do not (no rule relates them); the
        message names the first field of each kind by its position.
    """
    import pandas as pd

    offset = text.str.contains(_OFFSET).to_numpy(dtype=bool)
    if offset.any() and not offset.all():
        first_with, first_without = np.flatnonzero(offset)[0], np.flatnonzero(~offset)[0]
        raise _MixedOffsets(int(first_with), int(first_without))
    times = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=bool(offset.any()))
    converted = offset & ~text.str.contains(_ZERO_OFFSET).to_numpy(dtype=bool)
    return times, offset, converted


class _MixedOffsets(ValueError):
    def __init__(self, with_offset, without_offset):
        super().__init__("timestamps with and without a UTC offset are mixed")
        self.with_offset = with_offset
        self.without_offset = without_offset


def parse_timestamps(column, lines, *, source, name, increasing=False, with_converted=False):
    """ISO 8601 timestamps of a text column, as a DatetimeIndex named ``name``.

    Timestamps with a UTC offset are converted to UTC (a tz-aware index), so that the
    offsets may differ from row to row (a daylight-saving change); a column mixing
    timestamps with and without an offset raises a ValueError naming one line of each.
    With ``increasing``, rows must be in strictly increasing time order: the first row
    that repeats or precedes the previous timestamp raises a ValueError naming its line.
    With ``with_converted``, return ``(times, converted)`` where ``converted`` marks the
    rows whose offset was not zero.
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
    try:
        parsed, _, converted = timestamps_from_text(text)
    except _MixedOffsets as exc:
        raise ValueError(
            f"{source}: column {name!r} mixes timestamps with a UTC offset (line "
            f"{lines[exc.with_offset]}: {shorten(text.iloc[exc.with_offset])}) and without one "
            f"(line {lines[exc.without_offset]}: {shorten(text.iloc[exc.without_offset])}); "
            "give every timestamp an offset, or none."
        ) from None
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
                f"{source}, line {lines[at]}: timestamp {shorten(text.iloc[at])} {problem}; "
                f"rows must be in strictly increasing time order ({bad.size} row(s) are not)."
            )
    return (times, converted) if with_converted else times


def fail_at(bad, lines, column, source, name, expected, *, hint=""):
    """Raise a ValueError naming the first line where ``bad`` is True, if any.

    The field is quoted shortened (:func:`shorten`); ``hint`` ends the message.
    """
    if np.any(bad):
        first = np.flatnonzero(bad)[0]
        raise ValueError(
            f"{source}, line {lines[first]}: column {shorten(name)} must be {expected}, got "
            f"{shorten(column.iloc[first])} ({int(np.sum(bad))} such row(s)){hint}."
        )


def quoted(names, limit=8):
    """``'a', 'b', ...``: names for messages, at most ``limit`` of them, each shortened."""
    names = list(names)
    shown = ", ".join(shorten(n) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")
