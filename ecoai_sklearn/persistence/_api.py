"""``save``, ``load`` and the inspection functions of model files (private)."""

import json
import platform
import sys
import warnings

from ._container import FORMAT, FORMAT_VERSION, Container, write_container
from ._decode import Decoder, scan
from ._encode import Encoder
from ._trust import Trust, display

#: packages whose versions a file records; "scikit-learn" warns by itself on load
_PACKAGES = {
    "ecoai_sklearn": "ecoai_sklearn",
    "scikit-learn": "sklearn",
    "numpy": "numpy",
    "torch": "torch",
    "skorch": "skorch",
}


def _versions():
    """Versions of the packages loaded now (torch only if the estimator imported it)."""
    versions = {"python": platform.python_version()}
    for name, module in _PACKAGES.items():
        if module in sys.modules or name in ("ecoai_sklearn", "numpy"):
            __import__(module)
            versions[name] = getattr(sys.modules[module], "__version__", "unknown")
    return versions


def _check_metadata(metadata):
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}.")
    try:
        same = json.loads(json.dumps(metadata, allow_nan=False)) == metadata
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON (str keys, finite numbers): {exc}") from None
    if not same:
        raise TypeError(
            "metadata must come back unchanged from JSON: use str keys and lists, not "
            "tuples or int keys."
        )
    return metadata


def save(estimator, path, *, metadata=None):
    """Save an estimator to a model file that can be loaded without running its code.

    The file is a zip container of JSON and ``.npy`` members (see
    :ref:`persistence`): the parameters and fitted attributes of every object, numpy
    arrays and torch tensors as plain numbers, classes by name. No pickle is written.
    The file is written to a temporary file in the same folder and renamed into place
    once complete, so a failure never leaves a partial file, and an existing file at
    ``path`` is replaced only by a complete one.

    Parameters
    ----------
    estimator : object
        A fitted or unfitted estimator: a pipeline of :mod:`ecoai_sklearn.pipelines`,
        any scikit-learn, skorch or ecoai_sklearn estimator, or containers of them.
        Attributes may be None, booleans, numbers, strings, bytes, lists, tuples, sets,
        dicts, numpy arrays, scalars, dtypes and random states, torch tensors,
        modules and optimizers, classes and module-level functions.
    path : str or os.PathLike
        File to write (by convention ``*.model``); its folder must exist.
    metadata : dict or None, default=None
        JSON-compatible information stored beside the estimator, e.g. column names;
        read it back with :func:`read_metadata` without loading the estimator.

    Raises
    ------
    TypeError
        If the estimator holds an object that this format cannot store (the message
        names its attribute path), or ``metadata`` is not JSON.

    See Also
    --------
    load : Load a model file.
    read_metadata : Read the metadata only.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from ecoai_sklearn.persistence import load, read_metadata, save
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> pca = PCA(n_components=2).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "pca.model")
    ...     save(pca, path, metadata={"columns": ["a", "b", "c"]})
    ...     same = load(path)
    ...     columns = read_metadata(path)["columns"]
    >>> bool(np.array_equal(same.transform(X), pca.transform(X))), columns
    (True, ['a', 'b', 'c'])
    """
    metadata = _check_metadata(metadata)
    encoder = Encoder()
    root = encoder.encode(estimator)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_with": _versions(),
        "metadata": metadata,
    }
    write_container(path, manifest, {"root": root}, encoder.arrays)


def load(path, *, trusted=None):
    """Load an estimator from a model file written by :func:`save`, running none of its code.

    Before anything is built, every class and function the file names is checked
    against an allowlist (estimators and their parts from ecoai_sklearn,
    scikit-learn, skorch and torch; see :ref:`persistence`) and against ``trusted``;
    one refused name refuses the whole file. Arrays and tensors are read as plain
    numbers (object arrays, i.e. pickles, are refused), and no pickle is ever
    unpickled.

    Parameters
    ----------
    path : str or os.PathLike
        A model file written by :func:`save` (or by ``ecoai-detect fit``).
    trusted : iterable of (str or class or function), default=None
        Further classes and functions to accept, e.g. your own estimator in a
        pipeline: the objects themselves or their names, ``"module.qualname"``.
        :func:`get_untrusted_types` lists the names a file needs beyond the defaults.

    Returns
    -------
    estimator : object
        The estimator as it was saved, fitted or not. Tensors saved on a CUDA device
        are loaded on the CPU, with a warning, where CUDA is not available.

    Raises
    ------
    ValueError
        If the file is not an ecoai_sklearn model file (e.g. a pickle), is damaged,
        has another format version, names a class or function that is not trusted, or
        holds inconsistent data. The message starts with the file's path and names
        the member, the object path or the class concerned.

    See Also
    --------
    save : Write a model file.
    get_untrusted_types : The names a file needs beyond the allowlist.

    Notes
    -----
    Loading builds only trusted classes, through ``cls.__new__`` then their own
    ``__setstate__`` (or an update of ``__dict__``), or, for compiled scikit-learn
    classes (trees), their own constructor; skorch nets get their attributes
    directly, so skorch's pickle-based ``__setstate__`` never runs. A crafted file
    can still hold wrong numbers: load models from sources you rely on for their
    quality, as with any model.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from ecoai_sklearn.datasets import make_industrial_load
    >>> from ecoai_sklearn.pipelines import make_fft_cnngru_detector
    >>> from ecoai_sklearn.persistence import load, save
    >>> X, y, _ = make_industrial_load(n_days=4, n_anomalies=1, random_state=0)
    >>> detector = make_fft_cnngru_detector(
    ...     window_size=16, random_state=0,
    ...     estimator_params={"max_epochs": 1, "module__hidden_size": 4},
    ... ).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "detector.model")
    ...     save(detector, path)
    ...     loaded = load(path)
    >>> bool(np.array_equal(loaded.score_samples(X), detector.score_samples(X)))
    True
    """
    trust = Trust(trusted)
    with Container(path) as container:
        root = container.read_tree()
        names, members = scan(root)
        container.check_members(members)
        refusals = _refusals(trust, names)
        if refusals:
            more = f" ({len(refusals) - 1} more name(s) refused too)" if len(refusals) > 1 else ""
            raise ValueError(f"{container.path} is refused: {refusals[0]}{more}")
        _warn_versions(container)
        try:
            return Decoder(container, trust).decode(root)
        except RecursionError:
            raise container.error(
                "is not a valid model file: its objects are nested too deeply."
            ) from None


def _refusals(trust, names):
    messages = []
    for name, kind in sorted(names):
        try:
            trust.resolve(name, kind)
        except ValueError as exc:
            messages.append(str(exc))
    return messages


def _warn_versions(container):
    recorded = container.manifest.get("created_with")
    if not isinstance(recorded, dict):
        return
    current = _versions()
    changed = [
        f"{name} {recorded[name]} (now {current[name]})"
        for name in ("ecoai_sklearn", "numpy", "torch", "skorch")
        if name in recorded and name in current and recorded[name] != current[name]
    ]
    if changed:
        warnings.warn(
            f"{container.path} was written with other package versions: "
            f"{', '.join(changed)}. Check that the model still gives the results you "
            "expect, or fit it again.",
            UserWarning,
            stacklevel=3,
        )


def read_metadata(path):
    """The metadata stored with :func:`save`, without loading the estimator.

    Parameters
    ----------
    path : str or os.PathLike
        A model file.

    Returns
    -------
    metadata : dict
        The ``metadata`` given to :func:`save` (an empty dict if none was given).

    Raises
    ------
    ValueError
        If the file is not an ecoai_sklearn model file of this format version.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from ecoai_sklearn.persistence import read_metadata, save
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "scaler.model")
    ...     save(MinMaxScaler(), path, metadata={"columns": ["load"], "period": 96})
    ...     read_metadata(path)
    {'columns': ['load'], 'period': 96}
    """
    with Container(path) as container:
        return container.manifest.get("metadata", {})


def get_untrusted_types(path):
    """The classes and functions a model file names that :func:`load` refuses by default.

    Nothing is built or imported beyond the modules the allowlist covers. Pass the
    names you trust (after checking them) to ``load(path, trusted=...)``.

    Parameters
    ----------
    path : str or os.PathLike
        A model file.

    Returns
    -------
    names : list of str
        Sorted ``"module.qualname"`` names; empty for the files of this package's
        detectors.

    Raises
    ------
    ValueError
        If the file is not an ecoai_sklearn model file of this format version.

    Examples
    --------
    >>> import math, os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from ecoai_sklearn.persistence import get_untrusted_types, save
    >>> pipe = make_pipeline(FunctionTransformer(math.sqrt))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "pipe.model")
    ...     save(pipe, path)
    ...     get_untrusted_types(path)
    ['math.sqrt']
    """
    trust = Trust()
    with Container(path) as container:
        names, _ = scan(container.read_tree())
    refused = []
    for name, kind in names:
        try:
            trust.resolve(name, kind)
        except ValueError:
            refused.append(display(name))
    return sorted(set(refused))
