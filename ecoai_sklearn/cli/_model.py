"""Model files of the ``ecoai-detect`` command: the format of :mod:`ecoai_sklearn.persistence`.

``fit`` writes with :func:`ecoai_sklearn.persistence.save`, the command's information
(detector, settings, columns, time column, grid step, training period) in the file's
``metadata``; ``predict`` and ``evaluate`` read with :func:`~ecoai_sklearn.persistence.load`
and :func:`~ecoai_sklearn.persistence.read_metadata`. So a file written by ``fit`` opens
in Python with ``load``, and a file written by ``save`` in Python is read by the command
(its columns then come from ``feature_names_in_``, see ``_apply``).

Trust model: loading rebuilds only classes and functions of an allowlist (estimators of
ecoai_sklearn, scikit-learn, skorch and torch) and never unpickles anything, so a
crafted file cannot run code; ``--trust NAME`` accepts one more name. Files of the
older pickle-based format of this command are recognised by their first line and
refused without being read further.
"""

import os
import warnings

from ._base import CLIError, one_line

#: first bytes of the model files of the older, pickle-based format (never loaded)
OLD_MAGIC = b"ECOAI-SKLEARN-MODEL"
#: ``metadata["written_by"]`` of the files ``fit`` writes
WRITTEN_BY = "ecoai-detect fit"


def save_model(path, detector, *, info):
    """Write ``detector`` and the JSON-serialisable ``info`` (its metadata) to ``path``."""
    from ..persistence import save

    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise CLIError(f"{target}: cannot write the model: no such directory {folder}.")
    try:
        save(detector, target, metadata={"written_by": WRITTEN_BY, **info})
    except OSError as exc:
        raise CLIError(f"{target}: cannot write the model: {exc.strerror or exc}.") from exc
    except TypeError as exc:  # an object the format cannot store (a custom detector)
        raise CLIError(f"{target}: cannot save this detector: {one_line(exc)}") from exc


def load_model(path, *, trusted=None):
    """Return ``(detector, metadata, warnings)`` from a model file.

    ``warnings`` are the one-line texts of what loading warned about (e.g. other package
    versions), for the command's reporter. Every problem is a one-line CLIError.
    """
    from ..persistence import get_untrusted_types, load, read_metadata

    source = os.fspath(path)
    if not os.path.exists(source):
        raise CLIError(f"{source}: no such model file.")
    if os.path.isdir(source):
        raise CLIError(f"{source} is a directory, not a model file.")
    try:
        with open(source, "rb") as handle:
            head = handle.read(len(OLD_MAGIC))
    except OSError as exc:
        raise CLIError(f"{source}: cannot read: {exc.strerror or exc}.") from exc
    if head == OLD_MAGIC:
        raise CLIError(
            f"{source} was written by an older version of ecoai-detect (a pickle-based "
            "model file, which is never loaded); refit the model with 'ecoai-detect fit'."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            detector = load(source, trusted=trusted)
            metadata = read_metadata(source)
        except ValueError as exc:
            raise CLIError(_refusal(source, exc, get_untrusted_types)) from exc
        except OSError as exc:
            raise CLIError(f"{source}: cannot read: {exc.strerror or exc}.") from exc
    texts = list(dict.fromkeys(one_line(w.message) for w in caught))
    return detector, metadata, texts


def _refusal(source, exc, get_untrusted_types):
    """The message of ``load``'s ValueError, naming ``--trust`` for a refused name."""
    text = one_line(exc)
    if "is not allowed in a model file" not in text:
        return text
    try:
        names = get_untrusted_types(source)
    except ValueError:
        return text
    shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
    return (
        f"{source} is refused: it names {shown}, which model files may not hold by default "
        "(only estimators and their parts from ecoai_sklearn, scikit-learn, skorch and torch "
        "are rebuilt). If you trust this file and "
        + ("these names" if len(names) > 1 else "this name")
        + ", add "
        + " ".join(f"--trust {name}" for name in names[:3])
        + "."
    )
