"""Model files of the ``ecoai-detect`` command: a joblib pickle inside an envelope.

Layout of a model file::

    ECOAI-SKLEARN-MODEL 1\\n          magic line (format version 1)
    {"ecoai_sklearn_version": ...}\\n  one line of JSON: versions, detector, columns, sha256
    <joblib pickle>                   {"magic": ..., "ecoai_sklearn_version": ..., "detector": ...}

Trust model. The payload is a pickle: unpickling it can run any code the file's author
chose. :func:`load_model` refuses, *before unpickling anything*, a file without the magic
line, with malformed metadata, or whose payload does not match the recorded size and
SHA-256; after unpickling it also checks the envelope dict. That catches files this
package did not write, truncated copies and accidental edits, but it is no protection
against a crafted file: anyone can write a valid header. Load model files only from
sources you trust, as with any pickle (see the warnings in the pickle and joblib docs).

skops (``skops.io``) was considered: it can store these pipelines only by trusting the
classes of skorch and torch, and skorch restores its torch modules with an unpickler of
its own, so a skops file would still run pickle code on load: no safer, one more
dependency.
"""

import hashlib
import io
import json
import os

from ._base import CLIError, one_line

MAGIC = b"ECOAI-SKLEARN-MODEL 1\n"
_ENVELOPE_KEY = "magic"
_ENVELOPE_VALUE = "ecoai_sklearn model envelope"
_MAX_HEADER = 64 * 1024


def _versions():
    import sklearn

    from .. import __version__

    versions = {"ecoai_sklearn_version": __version__, "sklearn_version": sklearn.__version__}
    try:
        import torch

        versions["torch_version"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a hard dependency
        pass
    return versions


def save_model(path, detector, *, info):
    """Write ``detector`` and the JSON-serialisable ``info`` dict to a model file."""
    import joblib

    envelope = {_ENVELOPE_KEY: _ENVELOPE_VALUE, **_versions(), "info": info, "detector": detector}
    buffer = io.BytesIO()
    joblib.dump(envelope, buffer, compress=3)
    payload = buffer.getvalue()
    header = {
        **_versions(),
        "info": info,
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    line = json.dumps(header, sort_keys=True).encode() + b"\n"
    temporary = f"{os.fspath(path)}.partial"
    try:
        with open(temporary, "wb") as handle:
            handle.write(MAGIC)
            handle.write(line)
            handle.write(payload)
        os.replace(temporary, path)
    except OSError as exc:
        raise CLIError(f"{path}: cannot write the model: {exc.strerror or exc}.") from exc


def load_model(path):
    """Return ``(detector, header)`` from a model file written by :func:`save_model`."""
    import joblib

    header, payload = _read(path)
    try:
        envelope = joblib.load(io.BytesIO(payload))
    except Exception as exc:  # any unpickling failure: a module gone, a class renamed
        raise CLIError(
            f"{path}: the model cannot be loaded with this installation "
            f"(written by ecoai_sklearn {header.get('ecoai_sklearn_version')}, scikit-learn "
            f"{header.get('sklearn_version')}): {type(exc).__name__}: {one_line(exc)}"
        ) from exc
    if (
        not isinstance(envelope, dict)
        or envelope.get(_ENVELOPE_KEY) != _ENVELOPE_VALUE
        or "detector" not in envelope
    ):
        raise CLIError(f"{path} is not an ecoai-detect model file (no envelope).")
    return envelope["detector"], header


def _read(path):
    source = os.fspath(path)
    if not os.path.exists(source):
        raise CLIError(f"{source}: no such model file.")
    if os.path.isdir(source):
        raise CLIError(f"{source} is a directory, not a model file.")
    try:
        with open(source, "rb") as handle:
            magic = handle.read(len(MAGIC))
            if magic != MAGIC:
                raise CLIError(
                    f"{source} is not an ecoai-detect model file (it does not start with "
                    f"{MAGIC.decode().strip()!r}); only files written by 'ecoai-detect fit' "
                    "are loaded."
                )
            line = handle.readline(_MAX_HEADER)
            payload = handle.read()
    except OSError as exc:
        raise CLIError(f"{source}: cannot read: {exc.strerror or exc}.") from exc
    try:
        header = json.loads(line)
        size, digest = int(header["payload_bytes"]), str(header["payload_sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"{source}: the model file header is damaged.") from exc
    if len(payload) != size or hashlib.sha256(payload).hexdigest() != digest:
        raise CLIError(
            f"{source}: the model file is truncated or was modified after it was written "
            "(size or SHA-256 mismatch)."
        )
    return header, payload
