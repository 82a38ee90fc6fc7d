"""Which classes and functions a model file may name, and how names are resolved (private).

A model file names classes and functions as ``"module:qualname"``. Loading resolves a
name only after checking its module against :data:`_IMPORTABLE` (so that a file cannot
make this process import an arbitrary module), then checks the object found against the
rules of :func:`default_trust`. A name is *trusted* when those rules accept it or when
the caller listed it in ``trusted``.
"""

import importlib
import re

import numpy as np

#: modules whose names a file may make us import (a module or its submodules)
_IMPORTABLE = (
    "builtins",
    "numpy",
    "ecoai_sklearn",
    "sklearn",
    "skorch",
    "torch.nn.modules",
    "torch.optim",
    "torch.utils.data.dataloader",
)
#: parts of the package that hold no model state: never rebuilt from a file (the
#: command line, ``cli`` or the older ``_cli_*`` modules, and this package)
_EXCLUDED = ("ecoai_sklearn.cli", "ecoai_sklearn.persistence")

#: builtin types a file may refer to as values (e.g. ``dtype=float``), never build
_BUILTIN_TYPES = frozenset(
    {bool, bytes, complex, dict, float, frozenset, int, list, object, set, str, tuple}
)

#: functions a file may refer to (e.g. a skorch ``PrintLog(sink=print)``)
_FUNCTIONS = frozenset(
    {
        "builtins:print",
        "skorch.setter:optimizer_setter",
        "skorch.net:NeuralNet._virtual_setattr",
        "skorch.utils:noop",
        "skorch.utils:to_numpy",
    }
)
#: modules whose public functions may be referred to (metrics of scorers)
_FUNCTION_MODULES = ("sklearn.metrics", "ecoai_sklearn.metrics")
#: numpy functions usable as parameters (reductions); numpy ufuncs are allowed too
_NUMPY_FUNCTIONS = frozenset(
    {"amax", "amin", "max", "mean", "median", "min", "nanmax", "nanmean", "nanmedian",
     "nanmin", "nanstd", "nansum", "percentile", "quantile", "std", "sum", "var"}
)  # fmt: skip

#: skorch callbacks that read or write files or talk to services during fit
_SKORCH_DENIED = frozenset(
    {
        "Checkpoint",
        "LoadInitState",
        "TrainEndCheckpoint",
        "TensorBoard",
        "NeptuneLogger",
        "WandbLogger",
        "SacredLogger",
        "MlflowLogger",
    }
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def display(name):
    """``"module:qualname"`` as the dotted ``module.qualname`` users read."""
    return name.replace(":", ".", 1)


def name_of(obj):
    """The ``"module:qualname"`` of a class or function, checked to resolve back to it.

    Raises TypeError for objects that cannot be found again by name (lambdas, local
    classes, functions assigned under another name).
    """
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        raise TypeError(
            f"{obj!r} cannot be found again by its name (a lambda, a local class or "
            "function, or an object without a module); use a module-level definition."
        )
    name = f"{module}:{qualname}"
    try:
        found = _import_attribute(module, qualname)
    except (ImportError, AttributeError, ValueError):
        found = None
    if found is not obj:
        raise TypeError(
            f"{obj!r} cannot be found again as {display(name)}; use a module-level definition."
        )
    return name


def _in_modules(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _importable(module):
    """Whether a file may make us import ``module`` (before any user trust)."""
    excluded = _in_modules(module, _EXCLUDED) or module.startswith("ecoai_sklearn._cli")
    return _in_modules(module, _IMPORTABLE) and not excluded


def _import_attribute(module, qualname):
    """``module.qualname``: nested names may only traverse classes, never modules."""
    if not _NAME.match(module) or not _NAME.match(qualname):
        raise ValueError(f"{module}:{qualname} is not a valid name.")
    obj = importlib.import_module(module)
    for depth, part in enumerate(qualname.split(".")):
        if depth and not isinstance(obj, type):
            raise ValueError(f"{module}:{qualname} does not name a class member.")
        obj = getattr(obj, part)
    return obj


class Trust:
    """Resolves the names of one file: the default rules plus the caller's ``trusted``."""

    def __init__(self, trusted=None):
        self._names = set()
        if trusted is None:
            trusted = ()
        elif isinstance(trusted, str) or not hasattr(trusted, "__iter__"):
            trusted = (trusted,)
        for item in trusted:
            if isinstance(item, str):
                self._names.add(display(item))
            elif callable(item):
                self._names.add(display(name_of(item)))
            else:
                raise TypeError(
                    "trusted must hold classes, functions or 'module.qualname' strings, "
                    f"got {item!r}."
                )
        self._cache = {}

    def resolve(self, name, kind):
        """The class or function for ``name``, or a ValueError saying why it is refused.

        ``kind`` is "class" (an object is built), "type" (a class as a value) or
        "function". Nothing outside :data:`_IMPORTABLE` is imported unless the caller
        trusted the name.
        """
        key = (name, kind)
        if key in self._cache:
            return self._cache[key]
        module, _, qualname = name.partition(":")
        user = display(name) in self._names
        if not user and not _importable(module):
            raise ValueError(_refusal(name, kind))
        try:
            obj = _import_attribute(module, qualname)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ValueError(
                f"{display(name)} cannot be found in this installation ({exc}); the file "
                "may come from other versions of the packages."
            ) from exc
        if (
            getattr(obj, "__module__", None) != module
            or getattr(obj, "__qualname__", None) != qualname
        ):
            raise ValueError(_refusal(name, kind))
        if not user and not default_trust(obj, name, kind):
            raise ValueError(_refusal(name, kind))
        if kind in ("class", "type") and not isinstance(obj, type):
            raise ValueError(f"{display(name)} is not a class.")
        if kind == "function" and isinstance(obj, type):
            raise ValueError(f"{display(name)} is a class, not a function.")
        if kind == "class" and obj in _BUILTIN_TYPES | {type}:
            raise ValueError(_refusal(name, kind))
        self._cache[key] = obj
        return obj


def _refusal(name, kind):
    what = {"class": "class", "type": "class", "function": "function"}[kind]
    return (
        f"the {what} {display(name)} is not allowed in a model file: only estimators and "
        "their parts from ecoai_sklearn, scikit-learn, skorch and torch are rebuilt by "
        f"default. If you trust this file and {display(name)}, pass "
        f"trusted=[{display(name)!r}]."
    )


def default_trust(obj, name, kind):
    """Whether the default rules accept ``obj``, found under ``name`` (see the docs)."""
    module = name.partition(":")[0]
    if isinstance(obj, type):
        return _trusted_class(obj, module, kind)
    if name in _FUNCTIONS:
        return True
    public = not name.partition(":")[2].split(".")[-1].startswith("_")
    if _in_modules(module, _FUNCTION_MODULES) and public:
        return callable(obj)
    if module == "numpy":
        return name.partition(":")[2] in _NUMPY_FUNCTIONS
    return False


def _trusted_class(cls, module, kind):
    if module == "builtins":
        return kind == "type" and cls in _BUILTIN_TYPES
    if module == "numpy":
        return kind == "type" and issubclass(cls, np.generic)
    if _in_modules(module, ("ecoai_sklearn",)):
        return True
    if _in_modules(module, ("sklearn",)):
        return _trusted_sklearn(cls)
    if _in_modules(module, ("skorch",)):
        return _trusted_skorch(cls)
    if _in_modules(module, ("torch.nn.modules",)):
        import torch

        return issubclass(cls, torch.nn.Module)
    if _in_modules(module, ("torch.optim",)):
        import torch

        return issubclass(cls, torch.optim.Optimizer | torch.optim.lr_scheduler.LRScheduler)
    if module == "torch.utils.data.dataloader":
        return cls.__qualname__ == "DataLoader" and kind == "type"
    return False


def _trusted_sklearn(cls):
    from sklearn.base import BaseEstimator
    from sklearn.metrics import DistanceMetric
    from sklearn.model_selection import BaseCrossValidator, BaseShuffleSplit
    from sklearn.neighbors import BallTree, KDTree
    from sklearn.utils import Bunch

    from ..utils import sklearn_scorer_bases, sklearn_tree_class

    Tree = sklearn_tree_class()

    bases = (
        BaseEstimator,
        BaseCrossValidator,
        BaseShuffleSplit,
        DistanceMetric,
        *sklearn_scorer_bases(),
    )
    # metadata routing requests are plain records of parameter names
    routing = cls.__module__ == "sklearn.utils._metadata_requests"
    return issubclass(cls, bases) or cls in (Tree, KDTree, BallTree, Bunch) or routing


def _trusted_skorch(cls):
    from skorch import NeuralNet
    from skorch.callbacks import Callback
    from skorch.dataset import Dataset, ValidSplit
    from skorch.history import History

    if issubclass(cls, Callback):
        return cls.__name__ not in _SKORCH_DENIED
    return issubclass(cls, NeuralNet) or cls in (History, Dataset, ValidSplit)
