"""Helpers shared by several packages of ecoai_sklearn (private: not public API).

What more than one package needs, written once: the anomaly-label rule
(:func:`check_anomaly_labels`), runs of consecutive anomalies with one end convention
(half-open ``[start, stop)``, :func:`runs`), independent runs of one series
(``groups``, :func:`group_bounds`), the names of detector outputs and the rule
from a detector to an anomaly score and label (:func:`anomaly_outputs`), validation of
series and windows (text and complex numbers are a ``TypeError``, NaN and inf a
``ValueError``, a bool is never a number: :class:`Interval`), the CSV parser, the
docstring-substitution helper (:class:`Substitution`) and the one door to scikit-learn's
private helpers (``_fit_context``, ``validate_data``, the ``_param_validation`` classes).

Rules: other packages import from ``ecoai_sklearn.utils`` itself, never from its private
modules; this package imports numpy and scikit-learn (pandas inside the CSV functions
only), never torch nor another package of ecoai_sklearn. ``tests/test_imports.py``
enforces both.
"""

from ._compat import (
    HasMethods,
    InvalidParameterError,
    Options,
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _fit_context,
    check_estimator_params,
    invalid_params,
    sklearn_scorer_bases,
    sklearn_tree_class,
    validate_data,
    validate_params,
)
from ._csv import (
    DELIMITERS,
    MISSING_TOKENS,
    PYTHON_OPTIONS,
    check_delimiter,
    fail_at,
    is_number_column,
    looks_like_timestamps,
    parse_labels,
    parse_names,
    parse_numbers,
    parse_timestamps,
    quoted,
    read_text_table,
    shorten,
    sniff_delimiter,
    source_name,
    timestamps_from_text,
)
from ._docstring import Substitution
from ._groups import group_bounds
from ._labels import (
    PRED_CONVENTIONS,
    as_1d,
    check_anomaly_labels,
    check_predictions,
    check_scores,
    describe_values,
)
from ._output import (
    CHANNEL_PREFIX,
    CONTRIBUTION_PREFIX,
    IMPUTED_COLUMN,
    LABEL_COLUMN,
    ROW_COLUMN,
    SCORE_COLUMN,
    SERIES_ID_COLUMN,
    TIMESTAMP_COLUMN,
    VALUE_PREFIX,
    anomaly_outputs,
    channel_names,
    contribution_names,
    error_feature_names,
    is_value_feature,
    shares,
    sub_estimators,
    value_feature_names,
    walk_estimators,
)
from ._runs import runs, runs_hit, runs_reduce
from ._validation import (
    SERIES,
    WINDOWS,
    ComplexDataError,
    Interval,
    check_finite_float32,
    check_positive_int,
    check_series,
    check_windows,
    reject_non_real,
    reject_text,
    validate_series,
    validate_windows,
)

__all__ = [
    "CHANNEL_PREFIX",
    "CONTRIBUTION_PREFIX",
    "DELIMITERS",
    "IMPUTED_COLUMN",
    "LABEL_COLUMN",
    "MISSING_TOKENS",
    "PRED_CONVENTIONS",
    "PYTHON_OPTIONS",
    "ROW_COLUMN",
    "SCORE_COLUMN",
    "SERIES",
    "SERIES_ID_COLUMN",
    "TIMESTAMP_COLUMN",
    "VALUE_PREFIX",
    "WINDOWS",
    "ComplexDataError",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "Substitution",
    "_BaseComposition",
    "_check_feature_names_in",
    "_fit_context",
    "anomaly_outputs",
    "as_1d",
    "check_anomaly_labels",
    "check_estimator_params",
    "check_delimiter",
    "check_finite_float32",
    "check_positive_int",
    "check_predictions",
    "check_scores",
    "check_series",
    "channel_names",
    "check_windows",
    "contribution_names",
    "describe_values",
    "error_feature_names",
    "fail_at",
    "group_bounds",
    "is_number_column",
    "invalid_params",
    "is_value_feature",
    "looks_like_timestamps",
    "parse_labels",
    "parse_names",
    "parse_numbers",
    "parse_timestamps",
    "quoted",
    "read_text_table",
    "reject_non_real",
    "reject_text",
    "runs",
    "runs_hit",
    "runs_reduce",
    "shares",
    "shorten",
    "sniff_delimiter",
    "source_name",
    "sklearn_scorer_bases",
    "sklearn_tree_class",
    "sub_estimators",
    "timestamps_from_text",
    "validate_data",
    "validate_params",
    "validate_series",
    "validate_windows",
    "value_feature_names",
    "walk_estimators",
]
