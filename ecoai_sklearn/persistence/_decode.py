"""Rebuild an estimator from a JSON tree, building only trusted classes (private).

See ``_encode`` for the node kinds. Before anything is built, :func:`scan` walks the whole
tree and every class and function it names is checked (``_trust``), so a file naming one
untrusted object builds nothing at all. Building an object means ``cls.__new__(cls)``
then ``__setstate__`` (or an update of ``__dict__``) for ordinary classes, and the
class's own constructor or ``__new__`` then ``__setstate__`` for compiled ones, as
pickle would, but with no other callable reachable from the file.
"""

import collections
import functools
import math
import re
import warnings

import numpy as np

from ._checks import check_reduce_args, check_reduce_state
from ._encode import is_skorch_net, key_label, uses_reduce

_PENDING = object()
#: what a class's own __setstate__ may raise on a state it does not expect
_STATE_ERRORS = (
    TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError, RuntimeError
)  # fmt: skip
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
_UFUNC = re.compile(r"[a-z_][a-z0-9_]*\Z")
_NAMED = {"object": "class", "reduce": "class", "type": "type", "function": "function"}


def _children(node):
    """The sub-nodes of a node, for :func:`scan`."""
    if isinstance(node, list):
        return node
    if not isinstance(node, dict):
        return ()
    kind = node.get("t")
    out = []
    for key, value in node.items():
        if key in ("t", "id", "class", "name", "member", "hex", "dtype", "descr", "shape"):
            continue
        if kind == "object" and key == "state" and isinstance(value, dict):
            out.extend(value.values())
        else:
            out.append(value)
    return out


def scan(root):
    """``(names, members)``: the ``(name, use)`` pairs and array members in a tree."""
    names, members = set(), set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("t") if isinstance(node.get("t"), str) else None
            if kind in _NAMED and isinstance(node.get(_name_key(kind)), str):
                names.add((node[_name_key(kind)], _NAMED[kind]))
            if kind in ("ndarray", "tensor") and isinstance(node.get("member"), str):
                members.add(node["member"])
        stack.extend(_children(node))
    return names, members


def _name_key(kind):
    return "class" if kind in ("object", "reduce") else "name"


class Decoder:
    """Decode the tree of one open container with one :class:`~._trust.Trust`."""

    def __init__(self, container, trust):
        self._container = container
        self._trust = trust
        self._objects = []
        self._device_warned = False
        self._methods = {
            name[len("_n_") :]: getattr(self, name) for name in dir(self) if name.startswith("_n_")
        }

    def error(self, path, message):
        return self._container.error(f"is not a valid model file: {path}: {message}")

    def decode(self, node, path="estimator"):
        """The object of ``node``; ``path`` names it in error messages."""
        if node is None or type(node) in (bool, int, str, float):
            return node
        if not isinstance(node, dict):
            raise self.error(path, f"unknown node kind {type(node).__name__!r}.")
        kind = node.get("t")
        if not isinstance(kind, str) or kind not in self._methods:
            raise self.error(path, f"unknown node kind {kind!r}.")
        return self._methods[node["t"]](node, path)

    # ------------------------------------------------------------------ helpers
    def _get(self, node, key, types, path):
        value = node.get(key)
        if (
            not isinstance(value, types)
            or isinstance(value, bool)
            and bool not in (types if isinstance(types, tuple) else (types,))
        ):
            raise self.error(path, f"field {key!r} is missing or of the wrong type.")
        return value

    def _register(self, node, obj, path):
        """Give the next id to ``obj``; ids must come in the order of the tree."""
        if node.get("id") != len(self._objects) or isinstance(node.get("id"), bool):
            raise self.error(path, f"object id {node.get('id')!r} out of order.")
        self._objects.append(obj)
        return len(self._objects) - 1

    def _items(self, node, path, key="items"):
        return [
            self.decode(item, f"{path}[{i}]")
            for i, item in enumerate(self._get(node, key, list, path))
        ]

    def _pairs(self, node, path):
        pairs = []
        for pair in self._get(node, "items", list, path):
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.error(path, "dict items must be [key, value] pairs.")
            key = self.decode(pair[0], f"{path} key")
            pairs.append((key, self.decode(pair[1], f"{path}[{key_label(key)}]")))
        return pairs

    def _fill_mapping(self, mapping, node, path):
        try:
            for key, value in self._pairs(node, path):
                mapping[key] = value
        except TypeError as exc:  # an unhashable key
            raise self.error(path, f"bad dict key: {exc}") from None

    def _resolve(self, node, kind, path):
        name = self._get(node, _name_key(node["t"]), str, path)
        try:
            return self._trust.resolve(name, kind)
        except ValueError as exc:
            raise self._container.error(f"is refused: {path}: {exc}") from None

    # ------------------------------------------------------------------ plain values
    def _n_ref(self, node, path):
        index = self._get(node, "id", int, path)
        if not 0 <= index < len(self._objects) or self._objects[index] is _PENDING:
            raise self.error(path, f"reference to an undefined object {index!r}.")
        return self._objects[index]

    def _n_float(self, node, path):
        value = node.get("v")
        if value not in ("nan", "inf", "-inf"):
            raise self.error(path, f"bad float {value!r}.")
        return float(value)

    def _n_bytes(self, node, path):
        try:
            return bytes.fromhex(self._get(node, "hex", str, path))
        except ValueError:
            raise self.error(path, "bad hex bytes.") from None

    def _n_complex(self, node, path):
        real, imag = self.decode(node.get("real"), path), self.decode(node.get("imag"), path)
        if not (type(real) is float and type(imag) is float):
            raise self.error(path, "bad complex number.")
        return complex(real, imag)

    def _n_slice(self, node, path):
        args = self._items(node, path, "args")
        if len(args) != 3:
            raise self.error(path, "a slice needs 3 arguments.")
        return slice(*args)

    def _n_range(self, node, path):
        args = self._get(node, "args", list, path)
        if len(args) != 3 or not all(type(a) is int for a in args) or args[2] == 0:
            raise self.error(path, "bad range.")
        return range(*args)

    # ------------------------------------------------------------------ containers
    def _n_tuple(self, node, path):
        return tuple(self._items(node, path))

    def _n_frozenset(self, node, path):
        try:
            return frozenset(self._items(node, path))
        except TypeError as exc:
            raise self.error(path, f"bad set item: {exc}") from None

    def _n_list(self, node, path):
        out = []
        self._register(node, out, path)
        out.extend(self._items(node, path))
        return out

    def _n_set(self, node, path):
        out = set()
        self._register(node, out, path)
        try:
            out.update(self._items(node, path))
        except TypeError as exc:
            raise self.error(path, f"bad set item: {exc}") from None
        return out

    def _n_deque(self, node, path):
        maxlen = node.get("maxlen")
        if maxlen is not None and (type(maxlen) is not int or not 0 <= maxlen < 2**62):
            raise self.error(path, "bad deque maxlen.")
        out = collections.deque(maxlen=maxlen)
        self._register(node, out, path)
        out.extend(self._items(node, path))
        return out

    def _n_dict(self, node, path, factory=dict):
        out = factory()
        self._register(node, out, path)
        if isinstance(out, collections.defaultdict):
            default = self.decode(node.get("factory"), f"{path}.default_factory")
            if default is not None and not callable(default):
                raise self.error(path, "the default_factory is not callable.")
            out.default_factory = default
        self._fill_mapping(out, node, path)
        return out

    def _n_odict(self, node, path):
        return self._n_dict(node, path, collections.OrderedDict)

    def _n_defaultdict(self, node, path):
        return self._n_dict(node, path, collections.defaultdict)

    # ------------------------------------------------------------------ numpy
    def _dtype(self, descr, path):
        try:
            dtype = np.lib.format.descr_to_dtype(_descr(descr))
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise self.error(path, f"bad dtype {descr!r}: {exc}") from None
        if dtype.hasobject:
            raise self.error(path, "object dtypes are refused (they hold pickles).")
        return dtype

    def _n_dtype(self, node, path):
        return self._dtype(node.get("descr"), path)

    def _n_scalar(self, node, path):
        dtype = self._dtype(node.get("dtype"), path)
        raw = self._n_bytes(node, path)
        if len(raw) != dtype.itemsize:
            raise self.error(path, f"a {dtype} scalar needs {dtype.itemsize} bytes.")
        return np.frombuffer(raw, dtype=dtype)[0]

    def _n_ndarray(self, node, path):
        array = self._container.read_array(self._get(node, "member", str, path))
        self._register(node, array, path)
        return array

    def _n_object_array(self, node, path):
        shape = self._get(node, "shape", list, path)
        if not all(type(n) is int and n >= 0 for n in shape):
            raise self.error(path, "bad shape.")
        items = self._get(node, "items", list, path)
        if len(items) != math.prod(shape):
            raise self.error(path, f"{len(items)} items for shape {tuple(shape)}.")
        out = np.empty(tuple(shape), dtype=object)
        self._register(node, out, path)
        flat = out.reshape(-1)
        for i, item in enumerate(items):
            flat[i] = self.decode(item, f"{path}[{i}]")
        return out

    def _n_masked_array(self, node, path):
        slot = self._reserve(node, path)
        data = self.decode(node.get("data"), f"{path}.data")
        mask = self.decode(node.get("mask"), f"{path}.mask")
        fill_value = self.decode(node.get("fill_value"), f"{path}.fill_value")
        if not isinstance(data, np.ndarray) or not isinstance(mask, np.ndarray):
            raise self.error(path, "a masked array needs data and mask arrays.")
        try:
            out = np.ma.MaskedArray(data, mask=mask, fill_value=fill_value)
        except (TypeError, ValueError, np.ma.MaskError) as exc:
            raise self.error(path, f"bad masked array: {exc}") from None
        self._objects[slot] = out
        return out

    def _reserve(self, node, path):
        """An id for an object built from its children (refs to it are refused until then)."""
        return self._register(node, _PENDING, path)

    def _n_random_state(self, node, path):
        slot = self._reserve(node, path)
        state = self.decode(node.get("state"), f"{path}.state")
        out = np.random.RandomState()
        try:
            out.set_state(state)
        except _STATE_ERRORS as exc:
            raise self.error(path, f"bad RandomState state: {exc}") from None
        self._objects[slot] = out
        return out

    def _n_np_generator(self, node, path):
        slot = self._reserve(node, path)
        name = node.get("bit_generator")
        if name not in _BIT_GENERATORS:
            raise self.error(path, f"unknown bit generator {name!r}.")
        bit_generator = getattr(np.random, name)()
        try:
            bit_generator.state = self.decode(node.get("state"), f"{path}.state")
        except _STATE_ERRORS as exc:
            raise self.error(path, f"bad {name} state: {exc}") from None
        out = self._objects[slot] = np.random.Generator(bit_generator)
        return out

    def _n_ufunc(self, node, path):
        name = self._get(node, "name", str, path)
        ufunc = getattr(np, name, None) if _UFUNC.match(name) else None
        if not isinstance(ufunc, np.ufunc):
            raise self.error(path, f"numpy.{name} is not a numpy ufunc.")
        return ufunc

    # ------------------------------------------------------------------ torch
    def _device(self, name, path):
        import torch

        try:
            device = torch.device(name)
        except (RuntimeError, TypeError):
            raise self.error(path, f"bad torch device {name!r}.") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            if not self._device_warned:
                warnings.warn(
                    f"{self._container.path} holds tensors on {name}, which is not "
                    "available here: they are loaded on the CPU.",
                    UserWarning,
                    stacklevel=4,
                )
                self._device_warned = True
            return torch.device("cpu")
        return device

    def _n_torch_dtype(self, node, path):
        import torch

        name = self._get(node, "name", str, path)
        dtype = getattr(torch, name, None) if _UFUNC.match(name) else None
        if not isinstance(dtype, torch.dtype):
            raise self.error(path, f"torch.{name} is not a torch dtype.")
        return dtype

    def _n_torch_device(self, node, path):
        return self._device(self._get(node, "name", str, path), path)

    def _n_tensor(self, node, path):
        import torch

        slot = self._reserve(node, path)
        array = self._container.read_array(self._get(node, "member", str, path))
        dtype = self._n_torch_dtype({"name": node.get("dtype")}, path)
        try:
            tensor = torch.from_numpy(array)
        except _STATE_ERRORS as exc:
            raise self.error(path, f"bad tensor data: {exc}") from None
        if tensor.dtype != dtype:
            raise self.error(path, f"tensor data of dtype {tensor.dtype}, not {dtype}.")
        device = self._device(self._get(node, "device", str, path), path)
        if device.type != "cpu":
            tensor = tensor.to(device)
        requires_grad = self._get(node, "requires_grad", bool, path)
        try:
            if self._get(node, "parameter", bool, path):
                tensor = torch.nn.Parameter(tensor, requires_grad=requires_grad)
            elif requires_grad:
                tensor.requires_grad_(True)
        except RuntimeError as exc:
            raise self.error(path, f"bad tensor: {exc}") from None
        self._objects[slot] = tensor
        return tensor

    def _n_torch_generator(self, node, path):
        import torch

        slot = self._reserve(node, path)
        device = self._device(self._get(node, "device", str, path), path)
        state = self.decode(node.get("state"), f"{path}.state")
        out = torch.Generator(device=device)
        try:
            out.set_state(torch.from_numpy(np.ascontiguousarray(state, dtype=np.uint8)))
        except _STATE_ERRORS as exc:
            raise self.error(path, f"bad torch generator state: {exc}") from None
        self._objects[slot] = out
        return out

    # ------------------------------------------------------------------ named objects
    def _n_type(self, node, path):
        return self._resolve(node, "type", path)

    def _n_function(self, node, path):
        return self._resolve(node, "function", path)

    def _n_partial(self, node, path):
        slot = self._reserve(node, path)
        func = self.decode(node.get("func"), f"{path}.func")
        args = self._items(node, path, "args")
        kwargs = self.decode(node.get("kwargs"), f"{path}.keywords")
        state = self.decode(node.get("state"), f"{path}.__dict__")
        if not callable(func) or not isinstance(kwargs, dict) or not isinstance(state, dict):
            raise self.error(path, "bad functools.partial.")
        try:
            out = functools.partial(func, *args, **kwargs)
        except TypeError as exc:
            raise self.error(path, f"bad functools.partial: {exc}") from None
        out.__dict__.update(state)
        self._objects[slot] = out
        return out

    def _n_object(self, node, path):
        cls = self._resolve(node, "class", path)
        if uses_reduce(cls):
            raise self.error(path, f"{cls.__qualname__} must be stored as a 'reduce' node.")
        try:
            obj = cls.__new__(cls)
        except TypeError as exc:
            raise self.error(path, f"cannot build {cls.__qualname__}: {exc}") from None
        self._register(node, obj, path)
        if "items" in node:
            if isinstance(obj, list):
                list.extend(obj, self._items(node, path))
            elif isinstance(obj, dict):
                self._fill_mapping(_DictView(obj), node, path)
            else:
                raise self.error(path, f"{cls.__qualname__} is not a list or dict.")
        raw = self._get(node, "state", dict, path)
        state = {key: self.decode(value, f"{path}.{key}") for key, value in raw.items()}
        if is_skorch_net(cls):
            self._net_device(state, path)
            obj.__dict__.update(state)  # skorch's __setstate__ would unpickle
        else:
            self._set_state(obj, state, path)
        return obj

    def _net_device(self, state, path):
        if isinstance(state.get("device"), str) and state["device"] != "cpu":
            state["device"] = str(self._device(state["device"], f"{path}.device"))

    def _set_state(self, obj, state, path):
        try:
            if getattr(type(obj), "__setstate__", None) is not None:
                obj.__setstate__(state)
            elif isinstance(state, dict):
                obj.__dict__.update(state)
            else:
                raise TypeError("its state is not a dict")
        except _STATE_ERRORS as exc:
            raise self.error(path, f"cannot restore {type(obj).__qualname__}: {exc}") from None

    def _n_reduce(self, node, path):
        cls = self._resolve(node, "class", path)
        if not uses_reduce(cls):
            raise self.error(path, f"{cls.__qualname__} must be stored as an 'object' node.")
        slot = self._reserve(node, path)
        new = self._get(node, "new", bool, path)
        args = self._items(node, path, "args")
        if new and args:
            raise self.error(path, "an object built empty takes no arguments.")
        try:
            check_reduce_args(cls, args)
        except ValueError as exc:
            raise self.error(path, str(exc)) from None
        try:
            obj = cls.__new__(cls) if new else cls(*args)
        except (TypeError, ValueError, OverflowError, MemoryError) as exc:
            raise self.error(path, f"cannot build {cls.__qualname__}: {exc}") from None
        self._objects[slot] = obj
        state = self.decode(node.get("state"), f"{path} state")
        if state is not None:
            try:
                check_reduce_state(cls, args, state)
            except ValueError as exc:
                raise self.error(path, str(exc)) from None
            self._set_state(obj, state, path)
        return obj


def _descr(value):
    """A dtype description from JSON (lists where numpy wants tuples)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ValueError("a dtype description is a string or a list of fields")
    fields = []
    for field in value:
        if not isinstance(field, list) or len(field) not in (2, 3):
            raise ValueError("a field is [name, dtype] or [name, dtype, shape]")
        name = tuple(field[0]) if isinstance(field[0], list) else field[0]
        shape = (tuple(field[2]),) if len(field) == 3 else ()
        fields.append((name, _descr(field[1]), *shape))
    return fields


class _DictView:
    """Item assignment on a dict subclass without its own ``__setitem__`` (e.g. Bunch)."""

    def __init__(self, target):
        self._target = target

    def __setitem__(self, key, value):
        dict.__setitem__(self._target, key, value)
