"""Detectors of the ``ecoai-detect`` command: building, fitting, scoring.

Nothing here imports torch at module level: the factories of the registry import the
pipelines when a detector is built.
"""

import ast
import contextlib
import inspect
import sys

import numpy as np

from ..utils import anomaly_outputs, check_estimator_params, invalid_params, walk_estimators
from ..windowing import FFTWindower
from ._base import CLIError, UsageError, one_line
from ._registry import DETECTORS


def parse_settings(pairs):
    """``["a__b=3", "c=auto"]`` -> ``{"a__b": 3, "c": "auto"}`` (values as Python literals)."""
    settings = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair[:60]!r}.")
        try:
            settings[key] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            settings[key] = text.strip()
    return settings


def build_detector(name, *, random_state=None, settings=None, epochs=None):
    """A new, unfitted detector from its factory, with ``--epochs`` and ``--set`` applied.

    Every parameter of every estimator in the detector is then checked against its
    constraints (:func:`check_parameters`), so that a bad ``--set`` value is a usage
    error now, not an untrained model or a failure after minutes of fitting.
    """
    if name not in DETECTORS:
        raise UsageError(
            f"unknown detector {name[:60]!r}; choose one of {', '.join(DETECTORS)} "
            "(see 'ecoai-detect fit --help')."
        )
    factory, _ = DETECTORS[name]
    kwargs = {}
    if random_state is not None and "random_state" in inspect.signature(factory).parameters:
        kwargs["random_state"] = random_state
    try:
        detector = factory(**kwargs)
    except ImportError as exc:  # the factories import the pipelines (and torch) here
        raise CLIError(f"detector {name!r} cannot be built: {one_line(exc)}") from exc
    params = detector.get_params(deep=True)
    if epochs is not None:
        # every autoencoder, whatever its place in the pipeline (one per branch)
        detector.set_params(**{key: epochs for key in params if key.endswith("max_epochs")})
    if settings:
        unknown = sorted(key for key in settings if key not in params)
        if unknown:
            nearby = sorted(k for k in params if k.rsplit("__", 1)[-1] in _last_parts(unknown))
            hint = f"; parameters with that name: {', '.join(nearby[:6])}" if nearby else ""
            raise UsageError(f"detector {name!r} has no parameter {', '.join(unknown)}{hint}.")
        try:
            detector.set_params(**settings)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"--set: {one_line(exc)}") from exc
    check_parameters(detector, settings or {})
    return detector


def check_parameters(detector, settings):
    """Check every parameter of ``detector`` and of each estimator nested in it.

    scikit-learn checks an estimator's parameters when its ``fit`` starts, and a
    meta-estimator skips the checks of the estimators it holds
    (``prefer_skip_nested_validation``): ``--set scorer__estimator__max_epochs=0``
    would fit and save an untrained autoencoder. Each estimator's own check
    (``_validate_params``, scikit-learn's parameter validation with the constraints the
    estimator declares) runs here instead, before any data is read. A failure is a
    :class:`UsageError` naming the ``--set`` key when one set the parameter.
    """
    for prefix, estimator in _nested_estimators(detector):
        try:
            check_estimator_params(estimator)
        except (TypeError, ValueError) as exc:
            # name the --set key when a declared constraint of that parameter fails
            bad = {f"{prefix}{name}" for name, _ in invalid_params(estimator)}
            keys = [key for key in settings if key in bad]
            owner = f"--set {keys[0]}={settings[keys[0]]!r}" if keys else "--set"
            where = f" (parameters {prefix}*)" if prefix and not keys else ""
            raise UsageError(f"{owner}: {one_line(exc)}{where}") from exc


def _nested_estimators(detector):
    """``(prefix, estimator)`` for ``detector`` (prefix "") and every estimator in its
    parameters (prefix ``"scorer__estimator__"``), outermost first."""
    found = [("", detector)]
    if hasattr(detector, "get_params"):
        for key, value in detector.get_params(deep=True).items():
            if hasattr(value, "get_params") and not isinstance(value, type):
                found.append((f"{key}__", value))
    return found


def _last_parts(keys):
    return {key.rsplit("__", 1)[-1] for key in keys}


def autoencoder_verbosity_keys(detector):
    """Parameter keys ``...verbose`` of the neural estimators inside ``detector``."""
    params = detector.get_params(deep=True)
    keys = []
    for key in params:
        if not key.endswith("__verbose"):
            continue
        owner = params.get(key[: -len("__verbose")])
        if type(owner).__module__.startswith("ecoai_sklearn.neural"):
            keys.append(key)
    return keys


def fit_detector(detector, X, y=None, *, progress, groups=None):
    """Fit (on labels ``y`` too, if given, and on several runs with ``groups``); with
    ``progress`` the autoencoders show skorch's progress bars on stderr.

    Their epoch tables go to stdout in skorch, so stdout is sent to stderr meanwhile (the
    report on stdout stays clean), and ``verbose`` is reset to 0 after fitting so that a
    saved model stays silent.
    """
    keys = autoencoder_verbosity_keys(detector) if progress else []
    if keys:
        detector.set_params(**dict.fromkeys(keys, 1))
    try:
        with contextlib.redirect_stdout(sys.stderr):
            runs = {} if groups is None else {"groups": groups}
            if y is None:
                detector.fit(X, **runs)
            else:
                detector.fit(X, y, **runs)
    finally:
        if keys:
            detector.set_params(**dict.fromkeys(keys, 0))
    return detector


def score_detector(detector, X):
    """``(scores, labels)``: anomaly score (higher = more anomalous) and 0/1 label per row.

    The package's one rule (:func:`ecoai_sklearn.utils.anomaly_outputs`): the score is
    ``-decision_function(X)`` and the label ``score > 0``, sklearn's ``predict`` rule,
    computed from one pass; a detector without ``decision_function`` is scored by
    ``-score_samples(X)`` and labelled by ``predict``.
    """
    outputs = anomaly_outputs(detector, X)
    return outputs.score, outputs.y_pred.astype(np.int64)


def history_rows(detector):
    """Rows of history a window needs: the longest window of the detector's windowers.

    A model of one detector per series: the longest of its detectors'; a streaming
    detector: the history its rows depend on (``context_``).
    """
    fitted = getattr(detector, "detectors_", None)
    if isinstance(fitted, dict):
        return max((history_rows(d) for d in fitted.values()), default=0)
    context = getattr(detector, "context_", None)
    if context is not None:
        return int(context) + 1
    sizes = [
        int(getattr(step, "window_size_", 0))
        for step in walk_estimators(detector)
        if isinstance(step, FFTWindower)
    ]
    return max(sizes, default=0)
