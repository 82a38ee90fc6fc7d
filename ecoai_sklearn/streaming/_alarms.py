"""Alarm events: per-row anomaly flags grouped into events, in batch and online.

One rule, used by both forms (Merlion's ``AggregateAlarms`` served as a reference):

- a *run* is a maximal stretch of consecutive flagged rows;
- a run raises an event once it is ``min_duration`` rows long: the event starts at the
  run's first row and is *raised* at its ``min_duration``-th row;
- after an event, a flag separated from the event's last flagged row by at most
  ``suppression`` unflagged rows joins the event (extending its end), whatever its
  length; a flag further away starts a new run. So a noisy stretch pages once;
- an event is *closed* (final) once ``suppression`` unflagged rows follow its last
  flagged row, or when the input ends (``flush``).

Positions are 0-based row numbers; ``end`` is the last flagged row, inclusive.
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..utils import Interval, StrOptions, check_estimator_params, validate_params

_STATE_VERSION = 1
_POSITION_COLUMNS = ["start", "end", "raised_at", "n_rows", "n_flagged"]
_TIME_COLUMNS = ["start_time", "end_time", "raised_time"]
_COLUMNS = [*_POSITION_COLUMNS, "peak_score"]
_CONVENTIONS = ("auto", "sign", "binary")


class AlarmAggregator(BaseEstimator):
    """Online alarm events: feed per-row flags in chunks, get events as they happen.

    The online form of :func:`alarm_events`, with the same rule (see the Notes there):
    the ``"closed"`` records of all :meth:`update` calls followed by :meth:`flush` are
    exactly the rows of ``alarm_events`` on the concatenated input, whatever the
    chunk sizes (one row at a time included). The state is a few numbers, saved and
    restored with :meth:`get_state` and :meth:`set_state`, so a monitor can resume after
    a restart.

    Parameters
    ----------
    min_duration : int, default=1
        Rows a run of consecutive flags must reach to raise an event; shorter runs are
        not events (unless they join an event, see ``suppression``).
    suppression : int, default=0
        Unflagged rows after an event's last flagged row during which new flags join
        that event instead of starting a new one.
    pred_convention : {"sign", "binary", "auto"}, default="sign"
        How flags are read: ``"sign"``, an outlier detector's ``predict`` (-1 anomaly,
        +1 normal); ``"binary"``, 0/1 with 1 = anomaly; ``"auto"``, decided by the first
        chunk holding a -1 (sign) or a 0 (binary), then kept (a chunk of only 1s before
        that raises a ``ValueError``). Bool flags always mean True = anomaly. The
        default suits a stream of predictions, where a chunk of only +1 (all normal) is
        common and would be ambiguous.

    Attributes
    ----------
    n_seen_ : int
        Rows consumed so far; the next row has this position.

    See Also
    --------
    alarm_events : The batch form, one DataFrame of events.

    Notes
    -----
    Each record is a dict with ``"status"`` (``"raised"`` or ``"closed"``), ``"start"``,
    ``"end"`` (last flagged row, inclusive), ``"raised_at"``, ``"n_rows"`` (``end - start
    + 1``), ``"n_flagged"`` and ``"peak_score"`` (the lowest score of the event's flagged
    rows; NaN without scores), and, when the aggregator is given an ``index`` (then it
    must be given one with every chunk), ``"start_time"``, ``"end_time"`` and
    ``"raised_time"``. A ``"raised"`` record describes the event at the row it was raised
    (``end == raised_at``): the moment to page someone. Its ``"closed"`` record, later,
    holds the final event. Records come in the order things happen, independent of
    the chunking. Positions count from the first row ever given.

    Examples
    --------
    >>> from ecoai_sklearn.streaming import AlarmAggregator
    >>> aggregator = AlarmAggregator(min_duration=2, suppression=2)
    >>> [r["status"] for r in aggregator.update([1, -1, -1, 1])]
    ['raised']
    >>> aggregator.update([-1, 1, 1, 1])  # joins the event, which then closes
    [{'status': 'closed', 'start': 1, 'end': 4, 'raised_at': 2, 'n_rows': 4, \
'n_flagged': 3, 'peak_score': nan}]
    >>> state = aggregator.get_state()  # plain dicts and numbers
    >>> AlarmAggregator(min_duration=2, suppression=2).set_state(state).n_seen_
    8
    """

    _parameter_constraints = {
        "min_duration": [Interval(numbers.Integral, 1, None, closed="left")],
        "suppression": [Interval(numbers.Integral, 0, None, closed="left")],
        "pred_convention": [StrOptions(set(_CONVENTIONS))],
    }

    def __init__(self, *, min_duration=1, suppression=0, pred_convention="sign"):
        self.min_duration = min_duration
        self.suppression = suppression
        self.pred_convention = pred_convention

    def update(self, flags, scores=None, *, index=None):
        """Consume the next rows; return the records of what they raised and closed.

        Parameters
        ----------
        flags : array-like of shape (n_rows,)
            Flags of the next rows, in time order (see ``pred_convention``). May be
            empty.
        scores : array-like of shape (n_rows,), default=None
            Scores of these rows, higher = more normal (e.g. ``decision_function``); NaN
            is ignored. They give each event its ``peak_score``.
        index : array-like of shape (n_rows,), default=None
            Labels of these rows (e.g. a DatetimeIndex) for the ``*_time`` fields.
            Given with the first chunk, required with every chunk; absent from the
            first, refused later.

        Returns
        -------
        records : list of dict
            One ``"raised"`` record per event raised by these rows and one ``"closed"``
            record per event these rows closed, in order (see Notes).
        """
        check_estimator_params(self)
        self._ensure_state()
        mask = self._mask(flags)
        n = mask.shape[0]
        scores = _check_scores(scores, n)
        times = self._times(index, n)
        records = []
        if n == 0:
            return records
        base = self.n_seen_
        carried = self._candidate if mask[0] else None
        self._candidate = None
        starts, ends = _runs(mask)
        peaks = _run_minima(scores, starts, ends)
        for s, e, peak in zip(starts.tolist(), ends.tolist(), peaks.tolist()):
            first, last = base + s, base + e
            if self._open is not None:
                if first - self._open["end"] - 1 <= self.suppression:
                    self._extend(last, e - s + 1, peak, _at(times, e))
                    continue
                records.append(self._close())
            if s == 0 and carried is not None:  # the run began in an earlier chunk
                start, run_peak = carried["start"], np.fmin(carried["peak"], peak)
                start_time, head_peak = carried["start_time"], carried["peak"]
            else:
                start, run_peak, start_time, head_peak = first, peak, _at(times, s), np.nan
            if last - start + 1 >= self.min_duration:
                raised_at = start + self.min_duration - 1
                r = raised_at - base  # always in this chunk: a carried run was shorter
                head_peak = float(np.fmin(head_peak, _min(scores, s, r)))
                self._open = {
                    "start": start,
                    "end": last,
                    "raised_at": raised_at,
                    "n_flagged": last - start + 1,
                    "peak": float(run_peak),
                    "start_time": start_time,
                    "end_time": _at(times, e),
                    "raised_time": _at(times, r),
                }
                records.append(
                    self._record(
                        "raised",
                        start=start,
                        end=raised_at,
                        raised_at=raised_at,
                        n_flagged=self.min_duration,
                        peak=head_peak,
                        start_time=start_time,
                        end_time=_at(times, r),
                        raised_time=_at(times, r),
                    )
                )
            elif e == n - 1:  # may still reach min_duration in the next chunk
                self._candidate = {
                    "start": start,
                    "peak": float(run_peak),
                    "start_time": start_time,
                }
        self.n_seen_ = base + n
        if self._open is not None and self.n_seen_ - 1 - self._open["end"] - 1 >= self.suppression:
            records.append(self._close())
        return records

    def flush(self):
        """End of input: close the event in progress, if any.

        A run still shorter than ``min_duration`` is dropped. Later rows may follow;
        they start afresh (no event to join).

        Returns
        -------
        records : list of dict
            The ``"closed"`` record of the event in progress, or an empty list.
        """
        self._ensure_state()
        self._candidate = None
        return [self._close()] if self._open is not None else []

    def get_state(self):
        """The aggregator's state as plain values, for :meth:`set_state`.

        Returns
        -------
        state : dict
            Nested dicts of ints, floats, strings, None and the index labels of at most
            three rows (the open event's and the current run's times); picklable, and
            JSON-serialisable when those labels are.
        """
        self._ensure_state()
        return {
            "version": _STATE_VERSION,
            "params": self.get_params(),
            "n_seen": self.n_seen_,
            "convention": self._convention,
            "timed": self._timed,
            "candidate": None if self._candidate is None else dict(self._candidate),
            "open": None if self._open is None else dict(self._open),
        }

    def set_state(self, state):
        """Restore a state from :meth:`get_state`; the next update continues from it.

        Parameters
        ----------
        state : dict
            A state returned by :meth:`get_state` of an aggregator with the same
            parameters.

        Returns
        -------
        self : AlarmAggregator
            The aggregator, positioned where the saved one was.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"state must be a dict from AlarmAggregator.get_state (version "
                f"{_STATE_VERSION}); got {type(state).__name__}."
            )
        if state["params"] != self.get_params():
            raise ValueError(
                f"The state was saved by an aggregator with parameters {state['params']}, "
                f"not {self.get_params()}: its events would not continue correctly."
            )
        self.n_seen_ = int(state["n_seen"])
        self._convention = state["convention"]
        self._timed = state["timed"]
        self._candidate = None if state["candidate"] is None else dict(state["candidate"])
        self._open = None if state["open"] is None else dict(state["open"])
        return self

    # ------------------------------------------------------------------ helpers
    def _ensure_state(self):
        if not hasattr(self, "n_seen_"):
            self.n_seen_ = 0
            self._convention = None if self.pred_convention == "auto" else self.pred_convention
            self._timed = None
            self._candidate = None
            self._open = None

    def _mask(self, flags):
        mask, convention = _anomaly_mask(flags, self._convention or "auto", "flags")
        if self._convention is None:
            self._convention = convention  # decided by the first chunk that tells
        return mask

    def _times(self, index, n):
        given = index is not None
        if self._timed is None:
            self._timed = given
        elif given != self._timed:
            raise ValueError(
                "index must be given with every chunk or with none: this aggregator "
                f"{'received' if self._timed else 'did not receive'} one with its first chunk."
            )
        return _check_index(index, n) if given else None

    def _extend(self, last, n_flagged, peak, end_time):
        event = self._open
        event["end"] = last
        event["n_flagged"] += n_flagged
        event["peak"] = float(np.fmin(event["peak"], peak))
        event["end_time"] = end_time

    def _close(self):
        event, self._open = self._open, None
        return self._record(
            "closed",
            start=event["start"],
            end=event["end"],
            raised_at=event["raised_at"],
            n_flagged=event["n_flagged"],
            peak=event["peak"],
            start_time=event["start_time"],
            end_time=event["end_time"],
            raised_time=event["raised_time"],
        )

    def _record(self, status, *, start, end, raised_at, n_flagged, peak, **times):
        record = {
            "status": status,
            "start": start,
            "end": end,
            "raised_at": raised_at,
            "n_rows": end - start + 1,
            "n_flagged": n_flagged,
            "peak_score": peak,
        }
        if self._timed:
            record.update(times)
        return record


@validate_params(
    {
        "flags": ["array-like"],
        "scores": ["array-like", None],
        "index": ["array-like", None],
        "min_duration": [Interval(numbers.Integral, 1, None, closed="left")],
        "suppression": [Interval(numbers.Integral, 0, None, closed="left")],
        "pred_convention": [StrOptions(set(_CONVENTIONS))],
    },
    prefer_skip_nested_validation=True,
)
def alarm_events(
    flags, scores=None, *, index=None, min_duration=1, suppression=0, pred_convention="auto"
):
    """Group per-row anomaly flags into alarm events.

    A noisy stretch of flags becomes one event with a start, an end, the row where it
    was raised, its size and its worst score, so that a monitor pages once per event,
    not on every flagged row. Works on the batch ``predict`` of any detector; the online
    form is :class:`AlarmAggregator`, which gives the same events over any chunking.

    Parameters
    ----------
    flags : array-like of shape (n_rows,)
        Per-row flags in time order: an outlier detector's predictions (-1 anomaly,
        +1 normal) or 0/1 flags (1 anomaly), see ``pred_convention``. May be empty.
    scores : array-like of shape (n_rows,), default=None
        Per-row scores, higher = more normal (``decision_function`` or
        ``score_samples``; pass ``-score`` for an anomaly score). NaN is ignored. They
        give each event its ``peak_score``.
    index : array-like of shape (n_rows,), default=None
        Labels of the rows, e.g. a DatetimeIndex; adds the columns ``start_time``,
        ``end_time`` and ``raised_time``.
    min_duration : int, default=1
        Rows a run of consecutive flags must reach to raise an event; shorter runs are
        not events (unless they join an event, see ``suppression``).
    suppression : int, default=0
        Unflagged rows after an event's last flagged row during which new flags join
        that event instead of starting a new one. 0: only adjacent flags join, so the
        events are the runs of at least ``min_duration`` rows.
    pred_convention : {"auto", "sign", "binary"}, default="auto"
        ``"sign"``: -1 anomaly, +1 normal. ``"binary"``: 0/1 (or bool), 1 anomaly.
        ``"auto"``: the rule of :mod:`ecoai_sklearn.metrics`: bool is binary, any -1
        means sign, values in {0, 1} with a 0 mean binary, only 1s is ambiguous and
        raises (pass ``"sign"`` for predictions that flag nothing). Other values (NaN,
        2, -1 mixed with 0) raise a ``ValueError``.

    Returns
    -------
    events : DataFrame
        One row per event, in time order, with the columns ``start`` (first flagged
        row), ``end`` (last flagged row, **inclusive**), ``raised_at`` (the row where
        the event reached ``min_duration``: ``start + min_duration - 1``), ``n_rows``
        (``end - start + 1``), ``n_flagged`` (flagged rows in the event), ``peak_score``
        (lowest score of its flagged rows; NaN without scores), then with ``index``
        ``start_time``, ``end_time`` and ``raised_time`` (the labels of those rows).
        Positions are 0-based row numbers; ``flags[start:end + 1]`` is the event.

    See Also
    --------
    AlarmAggregator : The same events, online.
    ecoai_sklearn.metrics.event_f1_score : Event-wise scores against labels.

    Notes
    -----
    The rule: a run (maximal stretch of consecutive flagged rows) raises an event once
    it is ``min_duration`` rows long; the event starts at the run's first row. Flags
    separated from the event's last flagged row by at most ``suppression`` unflagged
    rows join the event and extend its end, whatever their length, so the gaps count in
    ``n_rows`` but not in ``n_flagged``. A flag further away starts a new run, which
    must reach ``min_duration`` in turn. So two events are always more than
    ``suppression`` rows apart, and a run shorter than ``min_duration`` that joins no
    event is dropped. For 15-minute readings, ``min_duration=2, suppression=8`` pages
    after 30 minutes of anomaly and merges what follows within two hours.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecoai_sklearn.streaming import alarm_events
    >>> flags = [1, -1, -1, 1, -1, 1, 1, 1, 1, -1, 1, 1, -1, -1, -1]
    >>> scores = [0.1, -0.3, -0.5, 0.1, -0.2, 0.2, 0.1, 0.1, 0.2, -0.1, 0.2, 0.1,
    ...           -0.4, -0.6, -0.2]
    >>> alarm_events(flags, scores, min_duration=2, suppression=1)
       start  end  raised_at  n_rows  n_flagged  peak_score
    0      1    4          2       4          3        -0.5
    1     12   14         13       3          3        -0.6
    >>> index = pd.date_range("2024-01-01", periods=15, freq="15min")
    >>> alarm_events(flags, index=index, min_duration=2, suppression=1)["end_time"].iloc[0]
    Timestamp('2024-01-01 01:00:00')
    """
    mask, _ = _anomaly_mask(flags, pred_convention, "flags")
    n = mask.shape[0]
    scores = _check_scores(scores, n)
    times = None if index is None else _check_index(index, n)
    aggregator = AlarmAggregator(
        min_duration=min_duration, suppression=suppression, pred_convention="binary"
    )
    records = aggregator.update(mask, scores) + aggregator.flush()
    closed = [record for record in records if record["status"] == "closed"]
    table = pd.DataFrame(
        {name: np.array([r[name] for r in closed], dtype=np.int64) for name in _POSITION_COLUMNS}
    )
    table["peak_score"] = np.array([r["peak_score"] for r in closed], dtype=np.float64)
    if times is not None:
        for name, column in zip(_TIME_COLUMNS, ["start", "end", "raised_at"]):
            table[name] = times.take(table[column].to_numpy())
    return table


# -------------------------------------------------------------------- helpers
def _anomaly_mask(flags, convention, name):
    """Flags as a bool mask (True = anomaly) and the convention they revealed, if any.

    Bool flags and empty flags reveal none (None): bool always means True = anomaly.
    """
    if isinstance(flags, str | bytes) or flags is None:
        raise TypeError(f"{name} must be a 1D array-like, got {type(flags).__name__}.")
    array = np.asarray(flags)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1D, got an array of shape {array.shape}.")
    if array.dtype.kind == "b":
        return array.copy(), None
    if array.dtype.kind not in "iuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric, got values of dtype {array.dtype}.") from exc
    is_minus, is_zero, is_one = array == -1, array == 0, array == 1
    if not np.all(is_minus | is_zero | is_one):
        bad = np.unique(array[~(is_minus | is_zero | is_one)])[:5].tolist()
        raise ValueError(
            f"{name} must hold -1/+1 (outlier detector: -1 anomaly) or 0/1 (1 anomaly); "
            f"got other values such as {bad}."
        )
    if convention == "auto":
        if is_minus.any() and is_zero.any():
            raise ValueError(f"{name} mixes -1 and 0: use -1/+1 or 0/1 flags, not both.")
        if is_minus.any():
            convention = "sign"
        elif is_zero.any():
            convention = "binary"
        elif array.size:
            raise ValueError(
                f"{name} holds only 1s, which is ambiguous: all normal for a detector's "
                "predict (-1 anomaly / +1 normal) but all anomalies for 0/1 flags. Pass "
                "pred_convention='sign' or pred_convention='binary'."
            )
        else:
            return np.zeros(0, dtype=bool), None
    if convention == "sign":
        if is_zero.any():
            raise ValueError(
                f"{name} holds 0 but pred_convention='sign' expects -1 (anomaly) and +1 (normal)."
            )
        return is_minus, convention if array.size else None
    if is_minus.any():
        raise ValueError(
            f"{name} holds -1 but pred_convention='binary' expects 0 (normal) and 1 (anomaly)."
        )
    return is_one, convention if array.size else None


def _check_scores(scores, n):
    if scores is None:
        return None
    try:
        array = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scores must be numeric, got {type(scores).__name__}.") from exc
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (n,):
        raise ValueError(f"scores must have one value per flag ({n}), got shape {array.shape}.")
    return array


def _check_index(index, n):
    index = pd.Index(index)
    if index.shape[0] != n:
        raise ValueError(f"index must have one label per flag ({n}), got {index.shape[0]}.")
    return index


def _at(times, position):
    return None if times is None else times[position]


def _min(scores, first, last):
    """Lowest non-NaN score of the rows ``first .. last`` (NaN if none)."""
    if scores is None:
        return np.nan
    return np.fmin.reduce(scores[first : last + 1])


def _runs(mask):
    """Maximal runs of True as ``(starts, ends)``, ``ends`` inclusive."""
    change = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(change == 1), np.flatnonzero(change == -1) - 1


def _run_minima(scores, starts, ends):
    """Lowest non-NaN score of each run (NaN without scores or when all are NaN)."""
    if scores is None or starts.size == 0:
        return np.full(starts.size, np.nan)
    bounds = np.empty(2 * starts.size, dtype=np.intp)
    bounds[0::2], bounds[1::2] = starts, ends + 1
    if bounds[-1] == scores.shape[0]:
        bounds = bounds[:-1]
    return np.fmin.reduceat(scores, bounds)[0::2]
