"""How a fitted detector scores only the new rows of a stream (private).

:func:`compile_plan` turns a fitted detector into a tree of *nodes*, each holding the
few rows of history its step needs, so that :meth:`StreamingDetector.update` runs every
step on the new rows only:

- row-by-row steps (scalers, the final outlier detectors) transform the new rows;
- :class:`~ecoai_sklearn.preprocessing.SeriesKNNImputer` passes complete rows through
  (as its ``transform`` does) and fills a row with missing readings from the cycle that
  ends at it (the previous ``period_ - 1`` filled rows), so that filling is causal;
- :class:`~ecoai_sklearn.preprocessing.Differencer` keeps its last ``order * lag`` rows;
- an :class:`~ecoai_sklearn.windowing.FFTWindower` and the window scorer after it keep
  the last ``w - 1`` rows and score the windows ending at the new rows only (the scorer's
  ``aggregation="causal"``: one window per new row);
- :class:`~ecoai_sklearn.pipelines.EnsembleDetector` scores its members' nodes and
  combines them (``EnsembleDetector.combine``); a ``FeatureUnion`` stacks its branches;
  a fitted search uses its ``best_estimator_``.

A detector holding any other step is not compiled (:class:`Unsupported`): the streaming
detector then re-scores the last rows of history with the new rows (correct for any
detector whose rows depend on a bounded past, and slower).
"""

import copy
import warnings

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.covariance import EllipticEnvelope
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import SGDOneClassSVM
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import OneClassSVM

from ..pipelines import EnsembleDetector
from ..preprocessing import Differencer, SeriesKNNImputer
from ..scoring import DTWReconstructionScorer, KNNWindowScorer
from ..thresholding import WeightedZScoreThresholder
from ..utils import is_value_feature
from ..windowing import FFTWindower

#: transformers whose output row t depends on input row t only
ROW_TRANSFORMERS = (
    StandardScaler,
    MinMaxScaler,
    RobustScaler,
    MaxAbsScaler,
    Normalizer,
    PowerTransformer,
    QuantileTransformer,
    SimpleImputer,
    PCA,
)
#: outlier detectors that score each row of their input on its own
ROW_DETECTORS = (
    IsolationForest,
    LocalOutlierFactor,
    OneClassSVM,
    SGDOneClassSVM,
    EllipticEnvelope,
    WeightedZScoreThresholder,
)
WINDOW_SCORERS = (DTWReconstructionScorer, KNNWindowScorer)


class Unsupported(Exception):
    """A step the plan cannot run on new rows only (the detector is re-scored instead)."""


class RowBuffer:
    """The last ``size`` rows of a stream, appended in O(rows) amortised."""

    def __init__(self, size, n_columns):
        self.size = int(size)
        self.data = np.zeros((2 * max(self.size, 1), n_columns))
        self.stop = 0

    def append(self, rows):
        k = rows.shape[0]
        if self.size == 0 or k == 0:
            return
        if k >= self.size:
            self.data[: self.size] = rows[-self.size :]
            self.stop = self.size
            return
        if self.stop + k > self.data.shape[0]:
            keep = self.size - k
            self.data[:keep] = self.data[self.stop - keep : self.stop]
            self.stop = keep
        self.data[self.stop : self.stop + k] = rows
        self.stop += k

    def last(self, n=None):
        """A view of the last ``n`` rows held (at most ``size``; all by default)."""
        n = self.size if n is None else min(n, self.size)
        return self.data[max(0, self.stop - n) : self.stop]

    def __len__(self):
        return min(self.stop, self.size)


def _as_input(estimator, X):
    """``X`` under the column names the estimator was fitted with, if any."""
    names = getattr(estimator, "feature_names_in_", None)
    return X if names is None else pd.DataFrame(X, columns=names)


# ---------------------------------------------------------------------------- nodes
class RowNode:
    """A step that maps each row on its own: ``method`` of the new rows."""

    delayed = False

    def __init__(self, estimator, method):
        self.estimator = estimator
        self.method = method

    def prime(self, X):
        return self.push(X)

    def push(self, X, output=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # feature names of the input
            return np.asarray(getattr(self.estimator, self.method)(_as_input(self.estimator, X)))


class ImputerNode:
    """``SeriesKNNImputer``: complete rows unchanged, a gap filled from the cycle before it."""

    delayed = False

    def __init__(self, imputer, n_columns):
        self.imputer = imputer
        self.ring = RowBuffer(max(imputer.period_ - 1, 0), n_columns)

    def prime(self, X):
        filled = self._transform(X) if np.isnan(X).any() else X
        self.ring.append(filled)
        return filled

    def push(self, X, output=True):
        missing = np.isnan(X).any(axis=1)
        if not missing.any():
            self.ring.append(X)
            return X
        filled = X.copy()
        done = 0
        for i in np.flatnonzero(missing):
            self.ring.append(filled[done:i])
            cycle = np.vstack([self.ring.last(), X[i : i + 1]])
            filled[i] = self._transform(cycle)[-1]
            done = i
        self.ring.append(filled[done:])
        return filled

    def _transform(self, X):
        return np.asarray(self.imputer.transform(_as_input(self.imputer, X)), dtype=np.float64)


class DifferenceNode:
    """``Differencer``: the last ``order * lag`` input rows precede the new ones."""

    delayed = False

    def __init__(self, differencer, n_columns):
        self.differencer = differencer
        self.ring = RowBuffer(differencer.order * differencer.lag, n_columns)

    def prime(self, X):
        out = self._transform(X)
        self.ring.append(X)
        return out

    def push(self, X, output=True):
        k = X.shape[0]
        buffer = np.vstack([self.ring.last(), X])
        self.ring.append(X)
        return self._transform(buffer)[-k:] if output else None

    def _transform(self, X):
        return np.asarray(self.differencer.transform(_as_input(self.differencer, X)))


class WindowNode:
    """``FFTWindower`` then a causal window scorer: the windows ending at the new rows.

    The scorer receives the windows of the last ``w - 1`` rows and the new ones; with
    ``aggregation="causal"`` it scores the windows from ``w - 1`` on only, i.e. one per
    new row (the earlier ones hold padding and are neither scored nor returned).
    """

    delayed = False

    def __init__(self, windower, scorer, method, n_columns):
        self.windower = windower
        self.scorer = scorer
        self.method = method
        self.window = int(windower.window_size_)
        self.ring = RowBuffer(self.window - 1, n_columns)

    def prime(self, X):
        self.ring.append(X)
        return None

    def push(self, X, output=True):
        k = X.shape[0]
        if len(self.ring) < self.window - 1:  # never after fit: it needs 2 w rows
            raise RuntimeError(f"a window of {self.window} rows needs {self.window - 1} before it.")
        buffer = np.vstack([self.ring.last(), X])
        self.ring.append(X)
        if not output:
            return None
        # (w - 1 + k) windows: the causal scorer scores the k last ones only
        windows = _new_windows(buffer, self.window)
        return np.asarray(getattr(self.scorer, self.method)(windows))[-k:]


def _new_windows(buffer, window):
    """The windows ending at the rows of ``buffer`` after its first ``window - 1``, as the
    windower cuts them (the first ``window - 1`` windows hold padding: never scored)."""
    padded = np.pad(buffer, ((window - 1, 0), (0, 0)), mode="edge")
    return sliding_window_view(padded, window, axis=0).transpose(0, 2, 1)


class DelayedWindowNode:
    """``FFTWindower`` then a covering window scorer, ``delay`` rows late.

    Each new row's window error comes from a causal copy of the scorer (its
    ``aggregation`` set to ``"causal"``; the fitted model is shared); the row ``delay``
    rows earlier then has all ``w`` windows covering it (``delay >= w - 1``), and gets
    their mean error: the scorer's ``"covering"`` value in the whole series. Value
    columns (``include_values``) are that row's own.
    """

    delayed = True

    def __init__(self, windower, scorer, method, n_columns, delay):
        self.windower = windower
        self.method = method
        self.window = int(windower.window_size_)
        self.delay = int(delay)
        self.scorer = copy.copy(scorer)
        self.scorer.aggregation = "causal"
        self.values = None
        if method == "transform":
            names = scorer.get_feature_names_out()
            self.values = np.array([is_value_feature(n) for n in names], dtype=bool)
        self.ring = RowBuffer(self.window - 1, n_columns)
        self.errors = None

    def _outputs(self, buffer, k):
        out = getattr(self.scorer, self.method)(_new_windows(buffer, self.window))
        out = np.asarray(out, dtype=np.float64)[-k:]
        return out.reshape(k, -1)

    def prime(self, X):
        tail = X[-(self.window - 1 + self.delay) :]
        out = self._outputs(tail, self.delay) if self.delay else np.empty((0, 1))
        self.errors = RowBuffer(self.delay, out.shape[1])
        self.errors.append(out)
        self.ring.append(X)
        return None

    def push(self, X, output=True):
        k = X.shape[0]
        buffer = np.vstack([self.ring.last(), X])
        self.ring.append(X)
        new = self._outputs(buffer, k)
        held = np.vstack([self.errors.last(), new])  # delay + k rows of window errors
        self.errors.append(new)
        if not output:
            return None
        w = self.window
        cumulative = np.zeros((held.shape[0] + 1, held.shape[1]))
        np.cumsum(held, axis=0, out=cumulative[1:])
        rows = np.arange(k)
        mean = (cumulative[rows + w] - cumulative[rows]) / w
        if self.values is not None and self.values.any():
            mean[:, self.values] = held[rows][:, self.values]
        return mean.ravel() if self.method != "transform" else mean


class EnsembleNode:
    """``EnsembleDetector``: its members' nodes, combined."""

    def __init__(self, ensemble, members, method):
        self.ensemble = ensemble
        self.members = members
        self.method = method
        self.delayed = _same_delay(members)

    def prime(self, X):
        for member in self.members:
            member.prime(X)
        return None

    def push(self, X, output=True):
        columns = [member.push(X, output) for member in self.members]
        if not output:
            return None
        scores = self.ensemble.combine(np.column_stack(columns))
        if self.method == "score_samples":
            return scores
        if self.method == "decision_function":
            return scores - self.ensemble.offset_
        return np.where(scores - self.ensemble.offset_ < 0, -1, 1)


class UnionNode:
    """``FeatureUnion``: its branches side by side."""

    def __init__(self, branches, weights):
        self.branches = branches
        self.weights = weights
        self.delayed = _same_delay(branches)

    def prime(self, X):
        outputs = [branch.prime(X) for branch in self.branches]
        return None if any(o is None for o in outputs) else np.hstack(outputs)

    def push(self, X, output=True):
        outputs = [branch.push(X, output) for branch in self.branches]
        if not output:
            return None
        if self.weights is not None:
            outputs = [o * w for o, w in zip(outputs, self.weights)]
        return np.hstack(outputs)


class SequenceNode:
    """A Pipeline's steps in turn."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.delayed = any(node.delayed for node in nodes)

    def prime(self, X):
        for node in self.nodes:
            if X is None:
                break
            X = node.prime(X)
        return X

    def push(self, X, output=True):
        for k, node in enumerate(self.nodes):
            # a step's rows are needed when a later step keeps history or gives output
            X = node.push(X, output or k < len(self.nodes) - 1)
        return X


def _same_delay(nodes):
    """Whether the parallel ``nodes`` answer ``delay`` rows late (all or none must)."""
    delayed = {node.delayed for node in nodes}
    if len(delayed) > 1:
        raise Unsupported("parallel parts with and without windows in delayed mode")
    return delayed.pop() if delayed else False


# ---------------------------------------------------------------------------- compiling
def compile_plan(detector, method, n_columns, delay=0):
    """The node tree that gives ``method`` of ``detector`` for new rows (or Unsupported).

    ``delay=0``: causal window scorers, each row answered at once. ``delay > 0`` (at
    least the longest window minus one): covering window scorers, each answer for the
    row ``delay`` rows before the new one.
    """
    node = _compile(detector, method, n_columns, delay)
    if delay and not node.delayed:
        raise Unsupported("no window to wait for")
    return node


def _compile(estimator, method, n_columns, delay):
    best = getattr(estimator, "best_estimator_", None)
    if best is not None:
        return _compile(best, method, n_columns, delay)
    if isinstance(estimator, Pipeline):
        return _compile_pipeline(estimator, method, n_columns, delay)
    if isinstance(estimator, EnsembleDetector):
        members = [_compile(m, "score_samples", n_columns, delay) for m in estimator.estimators_]
        return EnsembleNode(estimator, members, method)
    if isinstance(estimator, FeatureUnion) and method == "transform":
        branches = [
            _compile(t, "transform", n_columns, delay)
            for _, t in estimator.transformer_list
            if t not in (None, "drop")
        ]
        weights = None
        if estimator.transformer_weights:
            weights = [
                estimator.transformer_weights.get(name, 1)
                for name, t in estimator.transformer_list
                if t not in (None, "drop")
            ]
        return UnionNode(branches, weights)
    if isinstance(estimator, SeriesKNNImputer) and method == "transform":
        return ImputerNode(estimator, n_columns)
    if isinstance(estimator, Differencer) and method == "transform":
        return DifferenceNode(estimator, n_columns)
    if isinstance(estimator, ROW_TRANSFORMERS) and method == "transform":
        return RowNode(estimator, method)
    if isinstance(estimator, ROW_DETECTORS) and method != "transform":
        if position_dependent(estimator):
            raise Unsupported(f"{type(estimator).__name__} with a period")
        return RowNode(estimator, method)
    raise Unsupported(f"{type(estimator).__name__} ({method})")


def _compile_pipeline(pipeline, method, n_columns, delay):
    steps = [step for _, step in pipeline.steps if step not in (None, "passthrough")]
    nodes, k = [], 0
    while k < len(steps):
        step = steps[k]
        last = k == len(steps) - 1
        if isinstance(step, FFTWindower):
            if last:
                raise Unsupported("a windower without a scorer")
            scorer = steps[k + 1]
            wanted = "covering" if delay else "causal"
            if not (
                isinstance(scorer, WINDOW_SCORERS)
                and scorer.grain == "timestamp"
                and scorer.aggregation == wanted
            ):
                raise Unsupported(f"a windower before {type(scorer).__name__}")
            scorer_method = method if k + 1 == len(steps) - 1 else "transform"
            if scorer_method not in ("transform", "score_samples"):
                raise Unsupported(f"a window scorer has no {scorer_method}")
            if delay:
                node = DelayedWindowNode(step, scorer, scorer_method, n_columns, delay)
            else:
                node = WindowNode(step, scorer, scorer_method, n_columns)
            nodes.append(node)
            k += 2
            continue
        nodes.append(_compile(step, method if last else "transform", n_columns, delay))
        k += 1
    if len(nodes) == 1:
        return nodes[0]
    return SequenceNode(nodes)


def position_dependent(estimator):
    """Whether a step scores a row by its position in the input (a per-phase profile)."""
    return isinstance(estimator, WeightedZScoreThresholder) and estimator.period is not None


# ---------------------------------------------------------------------------- walking
def fitted_parts(estimator):
    """``estimator`` and every fitted estimator inside it, depth first."""
    yield estimator
    best = getattr(estimator, "best_estimator_", None)
    if best is not None:
        yield from fitted_parts(best)
        return
    if isinstance(estimator, Pipeline):
        children = [step for _, step in estimator.steps]
    elif isinstance(estimator, FeatureUnion):
        children = [t for _, t in estimator.transformer_list]
    elif isinstance(estimator, EnsembleDetector):
        children = list(getattr(estimator, "estimators_", []))
    else:
        children = []
    for child in children:
        if child is not None and not isinstance(child, str):
            yield from fitted_parts(child)


def history_needed(estimator):
    """Rows before a row that its causal score depends on: windows and differences."""
    best = getattr(estimator, "best_estimator_", None)
    if best is not None:
        return history_needed(best)
    if isinstance(estimator, Pipeline):
        return sum(history_needed(s) for _, s in estimator.steps if s not in (None, "passthrough"))
    if isinstance(estimator, FeatureUnion):
        parts = [t for _, t in estimator.transformer_list if t not in (None, "drop")]
        return max((history_needed(t) for t in parts), default=0)
    if isinstance(estimator, EnsembleDetector):
        return max((history_needed(m) for m in estimator.estimators_), default=0)
    if isinstance(estimator, FFTWindower):
        return int(estimator.window_size_) - 1
    if isinstance(estimator, Differencer):
        return estimator.order * estimator.lag
    return 0
