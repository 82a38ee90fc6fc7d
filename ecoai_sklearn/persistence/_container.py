"""The model file container: a zip of JSON and ``.npy`` members, written atomically (private).

Layout (format version 1)::

    manifest.json     {"format": "ecoai_sklearn model", "format_version": 1,
                       "created_with": {package: version}, "metadata": {...}}
    tree.json         {"root": node}: the object tree (see ``_encode``)
    arrays/<k>.npy    one array (or tensor) each, numpy's .npy format, never of
                      object dtype

Members are read by name, never extracted, and a member that the tree does not refer
to is an error. Array headers are parsed with numpy's header reader (a literal, not
code) and the data size is checked against the header before anything is allocated.
"""

import json
import math
import os
import secrets
import zipfile

import numpy as np

FORMAT = "ecoai_sklearn model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TREE = "tree.json"
ARRAY_DIR = "arrays/"

_MAX_MANIFEST = 16 * 1024 * 1024
_MAX_NPY_HEADER = 100_000
# a fixed timestamp makes the bytes of a file depend on the model only
_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def array_member(index):
    """Name of the ``index``-th array member."""
    return f"{ARRAY_DIR}{index}.npy"


# ---------------------------------------------------------------------------- writing
def write_container(path, manifest, tree, arrays):
    """Write the members to ``path`` atomically: a temporary file, fsync, then rename.

    On any error (including KeyboardInterrupt) the temporary file is removed and an
    existing file at ``path`` is left untouched.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    temporary = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    # mode 0o666 is narrowed by the umask, as for any new file
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                _write_json(archive, MANIFEST, manifest)
                _write_json(archive, TREE, tree)
                for name, array in arrays:
                    with archive.open(_info(name), "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, array, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _info(name):
    info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_json(archive, name, value):
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    archive.writestr(_info(name), text.encode("utf-8"))


def _fsync_directory(directory):
    """Make the rename durable where the platform allows it (POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without directory fsync
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- reading
class Container:
    """An open model file: its manifest, its tree, and its arrays read on demand.

    Use as a context manager. Every problem with the file is a ValueError whose message
    starts with the file's path.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._archive = None

    def __enter__(self):
        _check_signature(self.path)
        try:
            self._archive = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            message = f"is not a valid model file (a damaged zip container: {exc})."
            raise self.error(message) from None
        try:
            self._index()
            self.manifest = self._read_manifest()
        except BaseException:
            self._archive.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self._archive.close()

    def error(self, message):
        return ValueError(f"{self.path} {message}")

    def _index(self):
        names = [info.filename for info in self._archive.infolist()]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise self.error(f"is not a valid model file: member {duplicated[0]!r} is repeated.")
        self._infos = {info.filename: info for info in self._archive.infolist()}
        if MANIFEST not in self._infos:
            raise self.error(f"is not an ecoai_sklearn model file (a zip file without {MANIFEST}).")

    def _read_bytes(self, name, limit=None):
        info = self._infos[name]
        if limit is not None and info.file_size > limit:
            raise self.error(f"is not a valid model file: member {name!r} is too large.")
        try:
            with self._archive.open(info) as member:
                return member.read()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(f"is damaged: member {name!r} cannot be read ({exc}).") from exc

    def _read_json(self, name, limit=None):
        raw = self._read_bytes(name, limit)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self.error(
                f"is not a valid model file: member {name!r} is not valid JSON ({exc})."
            ) from exc

    def _read_manifest(self):
        manifest = self._read_json(MANIFEST, _MAX_MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise self.error(
                f"is not an ecoai_sklearn model file ({MANIFEST} does not name the format "
                f"{FORMAT!r})."
            )
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            written = (manifest.get("created_with") or {}).get("ecoai_sklearn", "unknown")
            raise self.error(
                f"has model file format version {version!r} (written by ecoai_sklearn "
                f"{written}); this version of ecoai_sklearn reads format version "
                f"{FORMAT_VERSION} only."
            )
        if not isinstance(manifest.get("metadata", {}), dict):
            raise self.error("is not a valid model file: its metadata is not a JSON object.")
        return manifest

    def read_tree(self):
        """The ``root`` node of ``tree.json``."""
        if TREE not in self._infos:
            raise self.error(f"is not a valid model file: member {TREE!r} is missing.")
        tree = self._read_json(TREE)
        if not isinstance(tree, dict) or "root" not in tree:
            raise self.error(f"is not a valid model file: {TREE} has no 'root'.")
        return tree["root"]

    def check_members(self, referenced):
        """Every member is the manifest, the tree or a referenced array, and vice versa."""
        expected = {MANIFEST, TREE} | set(referenced)
        unexpected = sorted(set(self._infos) - expected)
        if unexpected:
            raise self.error(
                f"is not a valid model file: unexpected member {unexpected[0]!r} "
                "(not referred to by the object tree)."
            )
        missing = sorted(expected - set(self._infos))
        if missing:
            raise self.error(f"is not a valid model file: member {missing[0]!r} is missing.")

    def read_array(self, name):
        """The array of member ``name``; object arrays (pickles) are refused."""
        if not name.startswith(ARRAY_DIR) or name not in self._infos:
            raise self.error(f"is not a valid model file: no array member {name!r}.")
        info = self._infos[name]
        try:
            with self._archive.open(info) as member:
                return _read_npy(member, info.file_size)
        except _NpyError as exc:
            raise self.error(f"is not a valid model file: member {name!r} {exc}") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(f"is damaged: member {name!r} cannot be read ({exc}).") from exc


class _NpyError(Exception):
    pass


def _read_npy(handle, size):
    """Read one ``.npy`` stream without pickle, checking its size before allocating."""
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(handle, max_header_size=_MAX_NPY_HEADER)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(handle, max_header_size=_MAX_NPY_HEADER)
        else:
            raise _NpyError(f"has an unsupported .npy version {version}.")
    except _NpyError:
        raise
    except Exception as exc:  # numpy's header parser: ValueError, SyntaxError, TokenError...
        raise _NpyError(f"is not a valid .npy array ({type(exc).__name__}: {exc}).") from None
    shape, fortran_order, dtype = header
    if dtype.hasobject:
        raise _NpyError(
            "holds Python objects (an object array is a pickle); refused: model files "
            "store arrays of numbers, booleans and fixed-size strings only."
        )
    count = math.prod(shape)
    expected = count * dtype.itemsize
    data_size = size - handle.tell()
    if data_size != expected:
        raise _NpyError(
            f"has {data_size} bytes of data where its header {shape} {dtype} needs {expected}."
        )
    buffer = bytearray(expected)
    if expected and handle.readinto(memoryview(buffer)) != expected:
        raise _NpyError("is truncated.")
    array = np.frombuffer(buffer, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _check_signature(path):
    """Recognise files that are not ours before opening them as zip files."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PK"):
        return
    if not head:
        kind = "an empty file"
    elif head.startswith(b"ECOAI-SKLEARN-MODEL"):
        kind = (
            "a model file of the old pickle-based 'ecoai-detect' format, which is never "
            "unpickled here; fit the model again to write the safe format"
        )
    elif head[:1] == b"\x80" or head[:2] in (b"x\x9c", b"x\xda") or head[:3] == b"\x1f\x8b\x08":
        kind = (
            "what looks like a pickle (e.g. from joblib.dump), which is never unpickled "
            "here; open it with joblib.load only if you trust its source"
        )
    else:
        kind = "not a zip container"
    raise ValueError(f"{path} is not an ecoai_sklearn model file: {kind}.")
