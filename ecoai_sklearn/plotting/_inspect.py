"""What a fitted detector computes, for the displays (private).

A detector is any fitted outlier detector with ``decision_function`` or ``score_samples``,
usually a :class:`~sklearn.pipeline.Pipeline` whose last step sees one error column per
window size (the multi-scale design of DESIGN.md). Nothing here refits anything.
"""

import numpy as np

from ..utils import anomaly_outputs, is_value_feature, sub_estimators, walk_estimators
from ..windowing import FFTWindower


def find_windowers(estimator):
    """Every FFTWindower inside ``estimator`` (itself included), depth first."""
    return [step for step in walk_estimators(estimator) if isinstance(step, FFTWindower)]


def windower_inputs(estimator, X):
    """``[(windower, series)]``: each FFTWindower and the series it receives from ``X``.

    Steps of a Pipeline before the first step holding a windower transform ``X``
    (imputer, scaler: cheap); the networks after the windowers are never run. Samplers,
    which a pipeline skips outside ``fit``, are skipped here too.
    """
    if isinstance(estimator, FFTWindower):
        return [(estimator, X)]
    if hasattr(estimator, "transformer_list"):
        pairs = []
        for child in sub_estimators(estimator):
            pairs.extend(windower_inputs(child, X))
        return pairs
    if hasattr(estimator, "steps"):
        steps = sub_estimators(estimator)
        for step in steps:
            pairs = windower_inputs(step, X)
            if pairs:
                return pairs
            if step is steps[-1]:
                break
            if hasattr(step, "transform"):
                X = step.transform(X)
    return []


def detector_outputs(detector, X, *, errors="auto"):
    """Anomaly score, threshold, predicted anomalies and per-scale errors of ``detector``.

    Score, threshold and predictions follow the package's one rule
    (:func:`ecoai_sklearn.utils.anomaly_outputs`), applied to the last step of a
    Pipeline on its input, so that the errors are computed once. For a Pipeline, the input of
    the last step (one error column per scale) is computed once and kept as ``errors``
    when ``errors`` is True, or "auto" and it has several columns.
    """
    final, features = detector, X
    steps = sub_estimators(detector) if hasattr(detector, "steps") else []
    if errors is not False and len(steps) > 1:
        final, features = steps[-1], detector[:-1].transform(X)
    outputs = anomaly_outputs(final, features, name=type(detector).__name__)
    error_matrix, error_names = None, None
    if final is not detector:
        error_matrix = np.asarray(features, dtype=np.float64)
        if error_matrix.ndim == 1:
            error_matrix = error_matrix[:, np.newaxis]
        names = _output_names(detector[:-1])
        if error_matrix.ndim == 2 and names is not None and len(names) == error_matrix.shape[1]:
            # the readings a scorer appends (include_values=True) are no errors
            is_error = [not is_value_feature(name) for name in names]
            error_matrix = error_matrix[:, is_error]
            names = [name for name, keep in zip(names, is_error) if keep]
        if error_matrix.ndim != 2 or (errors == "auto" and error_matrix.shape[1] < 2):
            error_matrix = None
        else:
            error_names = _error_names(detector[:-1], names, error_matrix.shape[1])
    outputs.update(errors=error_matrix, error_names=error_names)
    return outputs


def _output_names(estimator):
    """Column names of a fitted transformer's output, from the steps that make them.

    A Pipeline fitted on named channels names its columns along the whole chain (the
    windower passes the channel names to the scorer: ``dtw_error_voltage``); otherwise
    the last step alone names them (``dtw_error_ch0``).
    """
    if hasattr(estimator, "steps"):
        if getattr(estimator, "feature_names_in_", None) is not None:
            try:
                return [str(name) for name in estimator.get_feature_names_out()]
            except (AttributeError, TypeError, ValueError):
                pass
        return _output_names(estimator.steps[-1][1])
    if hasattr(estimator, "transformer_list"):
        names = []
        for _, transformer in estimator.transformer_list:
            if transformer == "drop":
                continue
            part = _output_names(transformer)
            if part is None:
                return None
            names += part
        return names
    try:
        return [str(name) for name in estimator.get_feature_names_out()]
    except (AttributeError, TypeError, ValueError):
        return None


def _error_names(front, names, n_columns):
    """``period P`` per column when each column comes from one windower, else ``names``."""
    windowers = find_windowers(front)
    if len(windowers) == n_columns:
        return [f"period {w.window_size_}" for w in windowers]
    if names is not None and len(names) == n_columns:
        return names
    return [f"error {i}" for i in range(n_columns)]
