"""Results aligned with the input: scores, labels and which channels caused them.

:func:`detection_frame` runs a fitted detector over a series once and returns a
DataFrame indexed like the series: the anomaly score, the label and, for the detectors
of this package, each channel's share of each row's anomaly. :func:`detection_events`
groups the flagged rows into alarm events with the channels that caused each.

How a detector's channel contributions are found (private protocol): a window scorer
splits its errors among the channels (``_transform_and_contributions``), an
:class:`EnsembleDetector` combines its members' shares
(``_decision_and_contributions``); a Pipeline passes the shares of its last scorer on
through the steps after it (e.g. an IsolationForest on the errors).
"""

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ..utils import (
    CONTRIBUTION_PREFIX,
    IMPUTED_COLUMN,
    LABEL_COLUMN,
    SCORE_COLUMN,
    anomaly_outputs,
    channel_names,
    contribution_names,
    group_bounds,
    runs,
    sub_estimators,
)
from ._pipeline import n_rows, rows

_CONTRIBUTIONS = ("auto", True, False)


def detection_frame(detector, X, *, groups=None, contributions="auto"):
    """Anomaly score, label and channel contributions of each row, indexed like ``X``.

    One pass of ``X`` through a fitted detector, with the package's one rule for the
    score and the label (as the ``ecoai-detect`` command writes them): the score is
    ``-decision_function(X)`` (higher = more anomalous) and a row is anomalous when its
    score is above 0, exactly scikit-learn's ``predict(X) == -1``; a detector without
    ``decision_function`` is scored by ``-score_samples(X)`` and labelled by
    ``predict``.

    Parameters
    ----------
    detector : fitted outlier detector
        A detector of :mod:`ecoai_sklearn.pipelines`, or any fitted estimator with
        ``decision_function`` (or ``score_samples`` and ``predict``), e.g. a Pipeline
        ending with an outlier detector.
    X : array-like or DataFrame of shape (n_timestamps, n_channels)
        The series to score. A DataFrame's index (e.g. a DatetimeIndex) becomes the
        frame's index and its columns name the channels.
    groups : array-like of shape (n_timestamps,), default=None
        Run label of each row when ``X`` holds several independent runs one after the
        other (each run one contiguous block of rows): each run is scored on its own,
        so that no window crosses from one run into the next. None: one series.
    contributions : "auto" or bool, default="auto"
        Whether to add each channel's share of each row's anomaly. ``"auto"``: when
        the detector provides them (window scorers of this package, directly or
        before the final step, or an :class:`EnsembleDetector` of them); True: raise
        a ``TypeError`` when it does not; False: leave them out (and skip their cost).

    Returns
    -------
    frame : DataFrame of shape (n_timestamps, n_columns)
        Indexed like ``X`` (a RangeIndex for an array), with the columns:

        - ``score`` (float): anomaly score, higher = more anomalous;
        - ``label`` (int): 1 = anomaly, 0 = normal;
        - ``imputed`` (bool): the row has a missing reading, which the detector's
          imputer filled in (its score rests on imputed values);
        - ``contribution_<channel>`` (float), one per channel, named after ``X``'s
          columns (or the detector's ``feature_names_in_``, else ``ch0``, ``ch1``,
          ...): the channel's share of the row's anomaly, between 0 and 1, **each row
          summing to 1** (see Notes).

    See Also
    --------
    detection_events : The flagged rows grouped into events, with their channels.
    ecoai_sklearn.plotting.AnomalyDisplay : Draws the series, scores and shares.
    ecoai_sklearn.scoring.KNNWindowScorer.channel_contributions : The kNN rule.
    ecoai_sklearn.scoring.DTWReconstructionScorer.channel_contributions : The
        reconstruction rule.

    Notes
    -----
    **Contributions.** Each window scorer splits its error among the channels: the kNN
    scorer in proportion to each channel's part of the squared distances to the
    nearest training windows, the reconstruction scorers in proportion to each
    channel's squared reconstruction error (step by step with per-step costs). The
    parts are mapped onto the timestamps like the errors, and each row's parts divided
    by their sum. An :class:`EnsembleDetector` that combines its members by their
    maximum takes, on each row, the shares of the member with the highest normalised
    score (the one that decided); with ``combination="mean"``, the mean of the
    members' shares weighted by their positive weighted normalised scores. A Pipeline
    ending with another detector (the research detector's IsolationForest) reports the
    shares of its scorer's errors: the final step decides *whether* a row is
    anomalous, the shares say which channels its errors come from. Shares are given
    on every row; they mean most on the flagged ones. A multi-scale detector averages
    the shares of its scales.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from ecoai_sklearn.pipelines import (
    ...     detection_events, detection_frame, make_default_detector
    ... )
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(96 * 14)
    >>> day = np.sin(2 * np.pi * t / 96)
    >>> X = pd.DataFrame(
    ...     {"current": 10 + day, "voltage": 230 + 2 * day, "power": 2.3 + 0.2 * day},
    ...     index=pd.date_range("2024-01-01", periods=t.size, freq="15min"),
    ... ) + 0.01 * rng.standard_normal((t.size, 3))
    >>> detector = make_default_detector().fit(X[: 96 * 10])
    >>> new = X[96 * 10 :].copy()
    >>> new.iloc[200:204, 1] += 5.0  # a surge of the voltage
    >>> frame = detection_frame(detector, new)
    >>> frame.columns[:3].tolist()
    ['score', 'label', 'imputed']
    >>> frame.filter(like="contribution_").columns.tolist()
    ['contribution_current', 'contribution_voltage', 'contribution_power']
    >>> frame.loc["2024-01-13 02:00", ["label", "contribution_voltage"]].round(2).tolist()
    [1.0, 0.97]
    >>> detection_events(frame)[["start_time", "end_time", "top_channel"]]
               start_time            end_time top_channel
    0 2024-01-12 02:30:00 2024-01-14 02:00:00     voltage
    """
    if contributions not in _CONTRIBUTIONS:
        raise ValueError(f"contributions must be 'auto', True or False; got {contributions!r}.")
    check_is_fitted(detector)
    final = _final_step(detector)
    if not (hasattr(final, "decision_function") or hasattr(final, "predict")):
        raise TypeError(
            "detector must be a fitted outlier detector (decision_function, or "
            f"score_samples and predict); {type(detector).__name__} ends with "
            f"{type(final).__name__}."
        )
    n = n_rows(X)
    starts, stops, _ = group_bounds(groups, n)
    if groups is None:
        pieces = [_explain(detector, X, contributions)]
    else:  # each run scored on its own
        pieces = [_explain(detector, rows(X, a, b), contributions) for a, b in zip(starts, stops)]
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(n)
    frame = pd.DataFrame(
        {
            SCORE_COLUMN: np.concatenate([p.score for p in pieces]),
            LABEL_COLUMN: np.concatenate([p.y_pred for p in pieces]).astype(np.int64),
            IMPUTED_COLUMN: np.asarray(pd.DataFrame(X).isna().any(axis=1), dtype=bool),
        },
        index=index,
    )
    shares = [p.contributions for p in pieces]
    if contributions is False or any(s is None for s in shares):
        if contributions is True:
            raise TypeError(
                f"{type(detector).__name__} gives no channel contributions: none of its "
                "steps is a window scorer of ecoai_sklearn (KNNWindowScorer, "
                "DTWReconstructionScorer) or an EnsembleDetector of them. Use "
                "contributions='auto' to get the scores and labels alone."
            )
        return frame
    shares = np.concatenate(shares)
    names = contribution_names(_channel_names(detector, X, shares.shape[1]))
    return pd.concat([frame, pd.DataFrame(shares, index=index, columns=names)], axis=1)


def detection_events(frame, *, groups=None, events=None):
    """Alarm events of a :func:`detection_frame`, with the channels that caused each.

    Parameters
    ----------
    frame : DataFrame
        As :func:`detection_frame` returns it (``score``, ``label`` and, for the
        contributions, ``contribution_<channel>`` columns).
    groups : array-like of shape (n_rows,), default=None
        Run label of each row, as given to :func:`detection_frame`: an event never
        reaches from one run into the next.
    events : DataFrame or None, default=None
        Events to describe, with the 0-based row positions ``start`` and ``end``
        (inclusive), e.g. from :func:`ecoai_sklearn.streaming.alarm_events` with a
        minimum duration and a suppression period. None: every run of consecutive
        flagged rows (``label == 1``) is an event.

    Returns
    -------
    events : DataFrame
        One row per event, in time order: ``start`` and ``end`` (positions of its first
        and last row, inclusive), ``start_time`` and ``end_time`` (their index labels),
        ``n_rows``, ``n_flagged`` (its rows with ``label == 1``), ``peak_score`` (its
        highest score) and, when ``frame`` has contributions, ``top_channel`` (the
        channel with the largest share) and ``contribution_<channel>``: the mean of the
        shares of the event's flagged rows weighted by their positive scores (each
        event's shares sum to 1; rows all at or below 0 count alike).

    See Also
    --------
    detection_frame : The per-row results this function groups.
    ecoai_sklearn.streaming.alarm_events : Events with a minimum duration and a
        suppression period, online as well.

    Examples
    --------
    >>> import pandas as pd
    >>> from ecoai_sklearn.pipelines import detection_events
    >>> frame = pd.DataFrame({
    ...     "score": [-1.0, 2.0, 4.0, -1.0, 1.0],
    ...     "label": [0, 1, 1, 0, 1],
    ...     "contribution_a": [0.5, 0.5, 1.0, 0.5, 0.2],
    ...     "contribution_b": [0.5, 0.5, 0.0, 0.5, 0.8],
    ... })
    >>> detection_events(frame)[["start", "end", "top_channel", "contribution_a"]]
       start  end top_channel  contribution_a
    0      1    2           a        0.833333
    1      4    4           b        0.200000
    """
    for column in (SCORE_COLUMN, LABEL_COLUMN):
        if column not in frame.columns:
            raise ValueError(f"frame must have a {column!r} column, as detection_frame gives.")
    n = frame.shape[0]
    flagged = frame[LABEL_COLUMN].to_numpy() == 1
    scores = frame[SCORE_COLUMN].to_numpy(dtype=np.float64)
    starts, stops = _event_bounds(flagged, groups, events, n)
    shares_columns = [c for c in frame.columns if str(c).startswith(CONTRIBUTION_PREFIX)]
    shares = frame[shares_columns].to_numpy(dtype=np.float64)
    out = {
        "start": starts,
        "end": stops - 1,
        "start_time": frame.index[starts] if starts.size else frame.index[:0],
        "end_time": frame.index[stops - 1] if starts.size else frame.index[:0],
        "n_rows": stops - starts,
        "n_flagged": np.array([flagged[a:b].sum() for a, b in zip(starts, stops)], dtype=int),
        "peak_score": np.array([scores[a:b].max() for a, b in zip(starts, stops)]),
    }
    table = pd.DataFrame({key: np.asarray(value) for key, value in out.items()})
    if not shares_columns:
        return table
    means = np.array(
        [_event_shares(shares[a:b], scores[a:b], flagged[a:b]) for a, b in zip(starts, stops)]
    ).reshape(starts.size, len(shares_columns))
    names = [str(c)[len(CONTRIBUTION_PREFIX) :] for c in shares_columns]
    table["top_channel"] = [names[k] for k in means.argmax(axis=1)] if starts.size else []
    return pd.concat([table, pd.DataFrame(means, columns=shares_columns)], axis=1)


def _event_bounds(flagged, groups, events, n):
    """Half-open ``[start, stop)`` of each event."""
    if events is not None:
        starts = np.asarray(events["start"], dtype=np.intp)
        stops = np.asarray(events["end"], dtype=np.intp) + 1
        if starts.size and (starts.min() < 0 or stops.max() > n or (stops <= starts).any()):
            raise ValueError(
                f"events must hold 0-based positions with start <= end < {n} (the rows of frame)."
            )
        return starts, stops
    mask = flagged.copy()
    run_starts, run_stops, _ = group_bounds(groups, n)
    pairs = [runs(mask[a:b]) for a, b in zip(run_starts, run_stops)]
    starts = np.concatenate([s + a for (s, _), a in zip(pairs, run_starts)]).astype(np.intp)
    stops = np.concatenate([e + a for (_, e), a in zip(pairs, run_starts)]).astype(np.intp)
    return starts, stops


def _event_shares(shares, scores, flagged):
    """Score-weighted mean of the shares of an event's flagged rows (all rows if none)."""
    if flagged.any():
        shares, scores = shares[flagged], scores[flagged]
    weights = np.clip(np.nan_to_num(scores), 0.0, None)
    if not weights.sum() > 0:
        weights = np.ones_like(weights)
    return weights @ shares / weights.sum()


# ---------------------------------------------------------------------------------------
# the walk through a detector


def _explain(detector, X, contributions):
    """Score, threshold, predictions and channel shares (or None) of ``detector`` on X."""
    if contributions is False:
        outputs = anomaly_outputs(detector, X, name=type(detector).__name__)
        outputs["contributions"] = None
        return outputs
    Xt, shares, final = _front(detector, X) if hasattr(detector, "steps") else (X, None, detector)
    if hasattr(final, "_decision_and_contributions"):
        decision, shares = final._decision_and_contributions(Xt, strict=contributions is True)
        score = -np.asarray(decision, dtype=np.float64)
        return Bunch(score=score, threshold=0.0, y_pred=score > 0.0, contributions=shares)
    outputs = anomaly_outputs(final, Xt, name=type(detector).__name__)
    outputs["contributions"] = shares
    return outputs


def scores_and_contributions(estimator, X):
    """``score_samples(X)`` and the channel shares (None when it has none), one pass.

    ``estimator`` is a member of an ensemble: a window scorer, a Pipeline ending with
    one (or with another outlier detector after one), or any outlier detector.
    """
    if hasattr(estimator, "_score_samples_and_contributions"):
        return estimator._score_samples_and_contributions(X)
    if hasattr(estimator, "steps"):
        Xt, shares, final = _front(estimator, X)
        if hasattr(final, "_score_samples_and_contributions"):
            return final._score_samples_and_contributions(Xt)
        return np.asarray(final.score_samples(Xt), dtype=np.float64), shares
    return np.asarray(estimator.score_samples(X), dtype=np.float64), None


def _front(pipeline, X):
    """``X`` through every step but the last, the shares of the last scorer met, and
    the last step."""
    steps = sub_estimators(pipeline)
    Xt, shares = X, None
    for step in steps[:-1]:
        Xt, found = _transform_and_contributions(step, Xt)
        shares = found if found is not None else shares
    return Xt, shares, steps[-1]


def _transform_and_contributions(step, X):
    """``step.transform(X)`` and the channel shares it gives (None for most steps)."""
    if hasattr(step, "_transform_and_contributions"):
        return step._transform_and_contributions(X)
    if hasattr(step, "steps"):
        Xt, shares, last = _front(step, X)
        Xt, found = _transform_and_contributions(last, Xt)
        return Xt, found if found is not None else shares
    if hasattr(step, "transformer_list"):
        return _union_and_contributions(step, X)
    return step.transform(X), None


def _union_and_contributions(union, X):
    """A FeatureUnion's output and the mean of its branches' shares."""
    branches = [t for _, t in union.transformer_list if t is not None and t != "drop"]
    results = [_transform_and_contributions(branch, X) for branch in branches]
    found = [shares for _, shares in results if shares is not None]
    shares = np.mean(found, axis=0) if found else None
    outputs = [out for out, _ in results]
    if union.transformer_weights is None and all(isinstance(o, np.ndarray) for o in outputs):
        return np.hstack(outputs), shares
    return union.transform(X), shares  # weights, passthrough or containers: its own way


def _final_step(detector):
    if hasattr(detector, "steps"):
        steps = sub_estimators(detector)
        return steps[-1] if steps else detector
    return detector


def _channel_names(detector, X, n_channels):
    """The names of the ``n_channels`` channels of the shares."""
    for names in (getattr(X, "columns", None), getattr(detector, "feature_names_in_", None)):
        if names is not None and len(names) == n_channels:
            return [str(name) for name in names]
    return channel_names(n_channels)
