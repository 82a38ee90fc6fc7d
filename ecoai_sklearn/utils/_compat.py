"""scikit-learn's private helpers, reached from one place (private).

The estimators of this package use a few parts of scikit-learn that are not public API:
the parameter-validation machinery (``_param_validation``), the ``_fit_context``
decorator and ``_check_feature_names_in``. scikit-learn may change them in any minor
release without a deprecation cycle, so every module imports them from here; when
scikit-learn changes, this file changes and no other. ``pyproject.toml`` bounds
scikit-learn above for the same reason.

The ``sklearn-compat`` package backports these helpers to scikit-learn releases older
than 1.7; this package requires 1.7 or later, where all of them exist, so it imports them
from scikit-learn directly and needs no extra dependency.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import _check_feature_names_in, validate_data


def check_estimator_params(estimator):
    """Run ``estimator``'s own parameter validation (scikit-learn's ``_validate_params``,
    plus any checks the estimator adds to it), as its ``fit`` would.

    Meta-estimators skip the checks of the estimators they hold
    (``prefer_skip_nested_validation``); call this on a nested estimator to check it
    before any data is read. Estimators without declared constraints pass.
    """
    validate = getattr(estimator, "_validate_params", None)
    if validate is not None and hasattr(estimator, "_parameter_constraints"):
        validate()


def invalid_params(estimator):
    """``[(name, error)]`` of the parameters of ``estimator`` (not nested) that break its
    declared constraints, each checked on its own."""
    constraints = getattr(estimator, "_parameter_constraints", {})
    params = estimator.get_params(deep=False)
    found = []
    for name, constraint in constraints.items():
        if name not in params or constraint == "no_validation":
            continue
        try:
            validate_parameter_constraints(
                {name: constraint}, {name: params[name]}, caller_name=type(estimator).__name__
            )
        except InvalidParameterError as exc:
            found.append((name, exc))
    return found


def sklearn_scorer_bases():
    """scikit-learn's scorer classes (private module), for the persistence allowlist."""
    from sklearn.metrics._scorer import _BaseScorer, _MultimetricScorer, _PassthroughScorer

    return (_BaseScorer, _MultimetricScorer, _PassthroughScorer)


def sklearn_tree_class():
    """The compiled ``Tree`` of scikit-learn's trees (private module)."""
    from sklearn.tree._tree import Tree

    return Tree


__all__ = [
    "HasMethods",
    "_BaseComposition",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "check_estimator_params",
    "invalid_params",
    "sklearn_scorer_bases",
    "sklearn_tree_class",
    "validate_data",
    "validate_params",
]
