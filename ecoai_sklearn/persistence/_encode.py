"""Turn an estimator into a JSON tree plus a list of arrays (private).

Nodes of the tree. JSON ``null``, booleans, integers, strings and finite floats stand for
themselves; everything else is an object with a kind ``"t"``:

==================  ==========================================================
``float``           a non-finite float: ``{"v": "nan" | "inf" | "-inf"}``
``list``            ``items``; ``tuple``, ``set``, ``frozenset``, ``deque``
                    (``maxlen``) likewise
``dict``            ``items``: ``[key, value]`` pairs (keys of any kind);
                    ``odict`` and ``defaultdict`` (``factory``) likewise
``bytes``           ``hex``; ``complex``: ``real``, ``imag``; ``slice``, ``range``
``ndarray``         ``member``: an ``.npy`` member of the container
``object_array``    ``shape`` and the ``items`` in C order (arrays of Python objects)
``masked_array``    ``data``, ``mask``, ``fill_value``
``scalar``          a numpy scalar: ``dtype`` (its .npy description) and ``hex`` bytes
``dtype``           a numpy dtype: ``descr``
``tensor``          ``member``, ``dtype``, ``device``, ``requires_grad``,
                    ``parameter``; ``torch_dtype``, ``torch_device``,
                    ``torch_generator`` (``device``, ``state``)
``random_state``    numpy ``RandomState`` (``state``); ``np_generator``
                    (``bit_generator``, ``state``)
``type``            a class used as a value: ``name`` ("module:qualname")
``function``        a function used as a value: ``name``; ``ufunc``: numpy ufunc
``partial``         ``functools.partial``: ``func``, ``args``, ``kwargs``, ``state``
``object``          an instance: ``class``, ``state`` (its attributes), and
                    ``items`` for list and dict subclasses
``reduce``          an instance of a compiled class (sklearn ``Tree``, ``KDTree``):
                    ``class``, ``new`` (built empty, else called with ``args``),
                    ``args``, ``state``
``ref``             a second reference to an object defined earlier: ``id``
==================  ==========================================================

Mutable nodes carry an ``id`` so that shared objects stay shared (a torch parameter in
a module and in its optimizer) and cycles are possible; ids follow the depth-first
order of the tree, so a ``ref`` always comes after its definition.
"""

import collections
import functools
import json
import math
import sys
import types

import numpy as np

from ._container import array_member
from ._trust import name_of

_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType)


def uses_reduce(cls):
    """Whether instances of ``cls`` are stored through ``__reduce__`` (compiled classes)."""
    return cls.__reduce__ is not object.__reduce__ or (
        cls.__reduce_ex__ is not object.__reduce_ex__
    )


def is_skorch_net(cls):
    """skorch nets pickle their torch parts inside ``__getstate__``: store ``__dict__``."""
    skorch = sys.modules.get("skorch")
    return skorch is not None and issubclass(cls, skorch.NeuralNet)


def _is_function(obj):
    return isinstance(obj, _FUNCTION_TYPES) or type(obj).__name__ == "cython_function_or_method"


def key_label(key):
    """A short label of a dict key for error paths (tensors as keys are not printed)."""
    if key is None or type(key) in (bool, int, float, str):
        text = repr(key)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"<{type(key).__name__}>"


def _ordered(items):
    """Set items in a fixed order when they are plain values (string hashes vary by process)."""
    if all(item is None or type(item) in (bool, int, float, str) for item in items):
        return sorted(items, key=json.dumps)
    return items


class Encoder:
    """Encode one object graph; ``arrays`` collects ``(member name, array)`` pairs."""

    def __init__(self):
        self.arrays = []
        self._ids = {}
        self._alive = []  # keeps encoded objects alive so that their ids stay unique
        self._table = self._dispatch()

    def encode(self, obj, path="estimator"):
        """The node of ``obj``; ``path`` names it in error messages."""
        kind = type(obj)
        if obj is None or kind in (bool, int, str):
            return obj
        if kind is float:
            return obj if math.isfinite(obj) else {"t": "float", "v": repr(obj)}
        seen = self._ids.get(id(obj))
        if seen is not None:
            return {"t": "ref", "id": seen}
        for types_, method in self._table:
            if isinstance(obj, types_):
                return method(obj, path)
        if isinstance(obj, type):
            return {"t": "type", "name": self._name(obj, path)}
        if isinstance(obj, np.ufunc):
            return {"t": "ufunc", "name": obj.__name__}
        if _is_function(obj):
            return {"t": "function", "name": self._name(obj, path)}
        if isinstance(obj, types.ModuleType | types.MethodType | types.GeneratorType):
            raise TypeError(f"cannot save {path}: a {kind.__name__} cannot be stored.")
        return self._object(obj, path)

    def _dispatch(self):
        table = [
            (np.generic, self._scalar),
            (np.ndarray, self._array),
            (np.dtype, lambda o, p: {"t": "dtype", "descr": np.lib.format.dtype_to_descr(o)}),
            (list | tuple | set | frozenset | dict | collections.deque, self._container),
            (bytes, lambda o, p: {"t": "bytes", "hex": o.hex()}),
            (complex, lambda o, p: {"t": "complex", "real": self.encode(o.real),
                                    "imag": self.encode(o.imag)}),
            (slice, lambda o, p: {"t": "slice", "args": self._items((o.start, o.stop, o.step), p)}),
            (range, lambda o, p: {"t": "range", "args": [o.start, o.stop, o.step]}),
            (np.random.RandomState, self._random_state),
            (np.random.Generator, self._np_generator),
            (functools.partial, self._partial),
        ]  # fmt: skip
        torch = sys.modules.get("torch")
        if torch is not None:
            table += [
                (torch.Tensor, self._tensor),
                (torch.dtype, lambda o, p: {"t": "torch_dtype", "name": str(o).split(".")[-1]}),
                (torch.device, lambda o, p: {"t": "torch_device", "name": str(o)}),
                (torch.Generator, self._torch_generator),
            ]
        return table

    # ------------------------------------------------------------------ helpers
    def _new_id(self, obj):
        index = len(self._alive)
        self._ids[id(obj)] = index
        self._alive.append(obj)
        return index

    def _name(self, obj, path):
        try:
            return name_of(obj)
        except TypeError as exc:
            raise TypeError(f"cannot save {path}: {exc}") from None

    def _items(self, items, path):
        return [self.encode(item, f"{path}[{i}]") for i, item in enumerate(items)]

    def _pairs(self, mapping, path):
        return [
            [self.encode(key, f"{path} key"), self.encode(value, f"{path}[{key_label(key)}]")]
            for key, value in mapping.items()
        ]

    def _store(self, array):
        name = array_member(len(self.arrays))
        self.arrays.append((name, array))
        return name

    # ------------------------------------------------------------------ containers
    def _container(self, obj, path):
        kind = type(obj)
        if kind is tuple:
            return {"t": "tuple", "items": self._items(obj, path)}
        if kind is frozenset:
            return {"t": "frozenset", "items": _ordered(self._items(obj, path))}
        names = {
            list: "list",
            set: "set",
            dict: "dict",
            collections.OrderedDict: "odict",
            collections.defaultdict: "defaultdict",
            collections.deque: "deque",
        }
        if kind not in names:
            return self._object(obj, path)  # a subclass (skorch History, sklearn Bunch)
        node = {"t": names[kind], "id": self._new_id(obj)}
        if kind is collections.defaultdict:
            node["factory"] = self.encode(obj.default_factory, f"{path}.default_factory")
        if kind is collections.deque:
            node["maxlen"] = obj.maxlen
        if isinstance(obj, dict):
            node["items"] = self._pairs(obj, path)
        else:
            node["items"] = self._items(obj, path)
            if kind is set:
                node["items"] = _ordered(node["items"])
        return node

    # ------------------------------------------------------------------ numpy
    def _scalar(self, obj, path):
        if obj.dtype.hasobject:
            raise TypeError(f"cannot save {path}: a numpy object scalar.")
        descr = np.lib.format.dtype_to_descr(obj.dtype)
        return {"t": "scalar", "dtype": descr, "hex": obj.tobytes().hex()}

    def _array(self, obj, path):
        if isinstance(obj, np.ma.MaskedArray):
            node = {"t": "masked_array", "id": self._new_id(obj)}
            node["data"] = self.encode(np.asarray(obj.data), f"{path}.data")
            node["mask"] = self.encode(np.ma.getmaskarray(obj), f"{path}.mask")
            node["fill_value"] = self.encode(obj.fill_value, f"{path}.fill_value")
            return node
        if type(obj) not in (np.ndarray, np.memmap):
            raise TypeError(f"cannot save {path}: arrays of type {type(obj).__name__}.")
        index = self._new_id(obj)
        if obj.dtype.hasobject:
            if obj.dtype.fields is not None:
                raise TypeError(f"cannot save {path}: a structured array with object fields.")
            items = self._items(obj.reshape(-1).tolist(), path)
            return {"t": "object_array", "id": index, "shape": list(obj.shape), "items": items}
        return {"t": "ndarray", "id": index, "member": self._store(np.asarray(obj))}

    def _random_state(self, obj, path):
        if type(obj) is not np.random.RandomState:
            return self._object(obj, path)
        index = self._new_id(obj)
        return {"t": "random_state", "id": index, "state": self.encode(obj.get_state(legacy=False))}

    def _np_generator(self, obj, path):
        bit_generator = obj.bit_generator
        return {
            "t": "np_generator",
            "id": self._new_id(obj),
            "bit_generator": type(bit_generator).__name__,
            "state": self.encode(bit_generator.state, f"{path}.bit_generator.state"),
        }

    # ------------------------------------------------------------------ torch
    def _tensor(self, obj, path):
        import torch

        if type(obj) not in (torch.Tensor, torch.nn.Parameter):
            raise TypeError(f"cannot save {path}: tensors of type {type(obj).__name__}.")
        if obj.layout != torch.strided or obj.is_quantized:
            raise TypeError(f"cannot save {path}: a sparse or quantized tensor.")
        index = self._new_id(obj)
        data = obj.detach().resolve_conj().resolve_neg().cpu()
        try:
            array = data.numpy()
        except TypeError as exc:
            raise TypeError(f"cannot save {path}: tensor dtype {obj.dtype}: {exc}") from None
        return {
            "t": "tensor",
            "id": index,
            "member": self._store(array),
            "dtype": str(obj.dtype).split(".")[-1],
            "device": str(obj.device),
            "requires_grad": bool(obj.requires_grad),
            "parameter": isinstance(obj, torch.nn.Parameter),
        }

    def _torch_generator(self, obj, path):
        return {
            "t": "torch_generator",
            "id": self._new_id(obj),
            "device": str(obj.device),
            "state": self.encode(obj.get_state().numpy(), f"{path}.state"),
        }

    # ------------------------------------------------------------------ objects
    def _partial(self, obj, path):
        if type(obj) is not functools.partial:
            return self._object(obj, path)
        return {
            "t": "partial",
            "id": self._new_id(obj),
            "func": self.encode(obj.func, f"{path}.func"),
            "args": self._items(obj.args, f"{path}.args"),
            "kwargs": self.encode(dict(obj.keywords), f"{path}.keywords"),
            "state": self.encode(dict(getattr(obj, "__dict__", {})), f"{path}.__dict__"),
        }

    def _object(self, obj, path):
        cls = type(obj)
        name = self._name(cls, f"{path} (class {cls.__qualname__})")
        if uses_reduce(cls):
            return self._reduce(obj, cls, name, path)
        if is_skorch_net(cls):
            state = obj.__dict__
        elif cls.__getstate__ is object.__getstate__ and hasattr(obj, "__dict__"):
            state = obj.__dict__
        else:
            state = obj.__getstate__()
        if state is None:
            state = {}
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise TypeError(
                f"cannot save {path}: the state of {cls.__qualname__} is not a dict of "
                "attributes (__slots__ or a custom __getstate__ are not supported)."
            )
        node = {"t": "object", "id": self._new_id(obj), "class": name}
        if isinstance(obj, list):
            node["items"] = self._items(obj, path)
        elif isinstance(obj, dict):
            node["items"] = self._pairs(obj, path)
        node["state"] = {key: self.encode(value, f"{path}.{key}") for key, value in state.items()}
        return node

    def _reduce(self, obj, cls, name, path):
        reduced = obj.__reduce_ex__(4)
        if (
            not isinstance(reduced, tuple)
            or len(reduced) < 2
            or any(part is not None for part in reduced[3:])
        ):
            raise TypeError(f"cannot save {path}: {cls.__qualname__} reduces to {reduced!r}.")
        func, args = reduced[0], reduced[1]
        state = reduced[2] if len(reduced) > 2 else None
        if func is cls:
            new = False
        elif getattr(func, "__name__", "") in ("newObj", "__newobj__") and tuple(args) == (cls,):
            new, args = True, ()
        else:
            raise TypeError(
                f"cannot save {path}: {cls.__qualname__} is rebuilt by {func!r}, which "
                "this format does not support."
            )
        return {
            "t": "reduce",
            "id": self._new_id(obj),
            "class": name,
            "new": new,
            "args": self._items(args, f"{path} args"),
            "state": self.encode(state, f"{path} state"),
        }
