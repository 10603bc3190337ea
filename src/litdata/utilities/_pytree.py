"""Pytree flattening compatible with the ``data_spec`` strings LitData stores in ``index.json``.

A sample is flattened depth-first into a list of leaves plus a :class:`TreeSpec` describing the containers. The spec
serialises to the torch ``_pytree`` protocol-1 JSON string (``treespec_dumps``) byte for byte, so datasets written here
carry the same ``data_spec`` as LitData's and vice versa.

Containers (nodes): tuple, list, dict, namedtuple, OrderedDict, defaultdict, deque, matched by exact type (a dict
subclass is a leaf). Everything else is a leaf, and so is a non-empty list/tuple made only of PIL ``JpegImageFile``
objects (stored as one ``jpeg_array`` leaf).
"""

from __future__ import annotations

import collections
import importlib
import itertools
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "LeafSpec",
    "TreeSpec",
    "register_namedtuple",
    "tree_flatten",
    "tree_unflatten",
    "treespec_dumps",
    "treespec_loads",
]

PROTOCOL = 1

_TYPE_NAMES: dict[type, str] = {
    tuple: "builtins.tuple",
    list: "builtins.list",
    dict: "builtins.dict",
    collections.namedtuple: "collections.namedtuple",  # type: ignore[dict-item]
    collections.OrderedDict: "collections.OrderedDict",
    collections.defaultdict: "collections.defaultdict",
    collections.deque: "collections.deque",
}
_TYPES_BY_NAME: dict[str, type] = {name: node_type for node_type, name in _TYPE_NAMES.items()}

_NAMEDTUPLE_NAMES: dict[type, str] = {}
_NAMEDTUPLES_BY_NAME: dict[str, type] = {}


class TreeSpec:
    """The container structure of a flattened pytree: node type, its context and one spec per child."""

    __slots__ = ("type", "context", "children_specs", "num_leaves", "_unflatten")

    def __init__(self, type: Any, context: Any, children_specs: list[TreeSpec]) -> None:
        self.type = type
        self.context = context
        self.children_specs = children_specs
        self.num_leaves: int = 1 if type is None else sum(child.num_leaves for child in children_specs)
        self._unflatten: Callable[[list | tuple], Any] | None = None

    def is_leaf(self) -> bool:
        return self.type is None

    def unflatten(self, leaves: list | tuple) -> Any:
        """Rebuild the tree from ``leaves`` (a list or tuple of exactly ``num_leaves`` values)."""
        if self._unflatten is None:
            self._unflatten = _compile_unflatten(self)
        return self._unflatten(leaves)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return self.type is other.type and self.context == other.context and self.children_specs == other.children_specs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.type is None:
            return "*"
        name = "namedtuple" if self.type is collections.namedtuple else self.type.__name__
        return f"TreeSpec({name}, {self.context!r}, {self.children_specs!r})"


class LeafSpec(TreeSpec):
    """The spec of a single leaf."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(None, None, [])


_LEAF = LeafSpec()


def register_namedtuple(cls: type, *, serialized_type_name: str) -> None:
    """Give a namedtuple class a stable name so specs containing it can be dumped and loaded."""
    _NAMEDTUPLE_NAMES[cls] = serialized_type_name
    _NAMEDTUPLES_BY_NAME[serialized_type_name] = cls


# ---------------------------------------------------------------------------------------------------------- flatten


def _jpeg_file_class() -> type | None:
    module = sys.modules.get("PIL.JpegImagePlugin")
    return None if module is None else module.JpegImageFile


def _is_jpeg_sequence(seq: list | tuple) -> bool:
    if not seq:
        return False
    jpeg_class = _jpeg_file_class()
    return jpeg_class is not None and all(isinstance(item, jpeg_class) for item in seq)


_NODE_TYPES = frozenset({dict, tuple, list, collections.OrderedDict, collections.defaultdict, collections.deque})


def _flatten_children(values: Iterable[Any], leaves: list) -> list[TreeSpec]:
    specs = []
    for value in values:
        if type(value) in _NODE_TYPES or isinstance(value, tuple):
            specs.append(_flatten_into(value, leaves))
        else:  # the common leaf case, inlined to save a call per leaf
            leaves.append(value)
            specs.append(_LEAF)
    return specs


def _flatten_into(obj: Any, leaves: list) -> TreeSpec:
    obj_type = type(obj)
    if obj_type is dict:
        return TreeSpec(dict, list(obj), _flatten_children(obj.values(), leaves))
    if obj_type is tuple or obj_type is list:
        if _is_jpeg_sequence(obj):
            leaves.append(obj)
            return _LEAF
        return TreeSpec(obj_type, None, _flatten_children(obj, leaves))
    if obj_type is collections.OrderedDict:
        return TreeSpec(obj_type, list(obj), _flatten_children(obj.values(), leaves))
    if obj_type is collections.defaultdict:
        return TreeSpec(obj_type, [obj.default_factory, list(obj)], _flatten_children(obj.values(), leaves))
    if obj_type is collections.deque:
        return TreeSpec(obj_type, obj.maxlen, _flatten_children(obj, leaves))
    if isinstance(obj, tuple) and hasattr(obj_type, "_fields"):
        if _is_jpeg_sequence(obj):
            leaves.append(obj)
            return _LEAF
        return TreeSpec(collections.namedtuple, obj_type, _flatten_children(obj, leaves))
    leaves.append(obj)
    return _LEAF


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """Flatten ``tree`` depth-first into ``(leaves, spec)``; dict values come in insertion order."""
    leaves: list = []
    spec = _flatten_into(tree, leaves)
    return leaves, spec


def tree_unflatten(leaves: Iterable[Any], spec: TreeSpec) -> Any:
    """Rebuild the tree described by ``spec`` from its leaves (the inverse of :func:`tree_flatten`)."""
    if not isinstance(leaves, (list, tuple)):
        leaves = list(leaves)
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"The spec expects {spec.num_leaves} leaves but {len(leaves)} were given.")
    return spec.unflatten(leaves)


# -------------------------------------------------------------------------------------------------------- unflatten


def _compile_unflatten(spec: TreeSpec) -> Callable[[list | tuple], Any]:
    """Generate one lambda that rebuilds the whole tree with literal displays (no per-node calls)."""
    constants: list[Any] = []
    try:
        source = "lambda L: " + _expression(spec, constants, itertools.count())
        return eval(source, {"C": constants})  # constants are passed by reference, never rendered into the source
    except (RecursionError, SyntaxError, MemoryError):  # trees nested deeper than the Python parser allows
        return lambda leaves: _rebuild(spec, iter(leaves))


def _constant(value: Any, constants: list) -> str:
    constants.append(value)
    return f"C[{len(constants) - 1}]"


def _expression(spec: TreeSpec, constants: list, leaf_counter: Iterable[int]) -> str:
    if spec.type is None:
        return f"L[{next(leaf_counter)}]"  # type: ignore[call-overload]
    children = [_expression(child, constants, leaf_counter) for child in spec.children_specs]
    node_type = spec.type
    if node_type is tuple:
        return "(" + "".join(child + ", " for child in children) + ")"
    if node_type is list:
        return "[" + ", ".join(children) + "]"
    if node_type is dict:
        keys = [_constant(key, constants) for key in spec.context]
        return "{" + ", ".join(f"{key}: {child}" for key, child in zip(keys, children, strict=True)) + "}"
    if node_type is collections.OrderedDict:
        keys = [_constant(key, constants) for key in spec.context]
        pairs = ", ".join(f"({key}, {child})" for key, child in zip(keys, children, strict=True))
        return f"{_constant(node_type, constants)}([{pairs}])"
    if node_type is collections.defaultdict:
        factory, dict_keys = spec.context
        keys = [_constant(key, constants) for key in dict_keys]
        items = ", ".join(f"{key}: {child}" for key, child in zip(keys, children, strict=True))
        return f"{_constant(node_type, constants)}({_constant(factory, constants)}, {{{items}}})"
    if node_type is collections.deque:
        return f"{_constant(node_type, constants)}([{', '.join(children)}], {_constant(spec.context, constants)})"
    return f"{_constant(spec.context, constants)}._make([{', '.join(children)}])"  # namedtuple


def _rebuild(spec: TreeSpec, leaves: Any) -> Any:
    if spec.type is None:
        return next(leaves)
    values = [_rebuild(child, leaves) for child in spec.children_specs]
    node_type = spec.type
    if node_type is tuple or node_type is list:
        return node_type(values)
    if node_type is dict or node_type is collections.OrderedDict:
        return node_type(zip(spec.context, values, strict=True))
    if node_type is collections.defaultdict:
        factory, keys = spec.context
        return collections.defaultdict(factory, zip(keys, values, strict=True))
    if node_type is collections.deque:
        return collections.deque(values, spec.context)
    return spec.context._make(values)


# ---------------------------------------------------------------------------------------------------- serialisation


def _dump_context(spec: TreeSpec) -> Any:
    node_type = spec.type
    if node_type is collections.namedtuple:
        name = _NAMEDTUPLE_NAMES.get(spec.context)
        if name is None:
            raise NotImplementedError(
                f"Cannot serialise the namedtuple class {spec.context!r}: it has no registered name. Register it "
                "with `litdata.utilities._pytree.register_namedtuple(cls, serialized_type_name=...)`."
            )
        return name
    if node_type is collections.defaultdict:
        factory, keys = spec.context
        return {
            "default_factory_module": factory.__module__,
            "default_factory_name": factory.__qualname__,
            "dict_context": keys,
        }
    return json.dumps(spec.context)


def _to_schema(spec: TreeSpec) -> dict:
    if spec.type is None:
        return {"type": None, "context": None, "children_spec": []}
    return {
        "type": _TYPE_NAMES[spec.type],
        "context": _dump_context(spec),
        "children_spec": [_to_schema(child) for child in spec.children_specs],
    }


def treespec_dumps(spec: TreeSpec) -> str:
    """Serialise ``spec`` to the protocol-1 JSON string stored as ``data_spec`` in ``index.json``."""
    return json.dumps([PROTOCOL, _to_schema(spec)])


def _hashable_key(key: Any) -> Any:
    return tuple(_hashable_key(item) for item in key) if isinstance(key, list) else key


def _load_context(node_type: type, context: Any) -> Any:
    if node_type is collections.namedtuple:
        cls = _NAMEDTUPLES_BY_NAME.get(context)
        if cls is None:
            raise ValueError(
                f"The data_spec refers to the namedtuple {context!r}, which is not registered. Register it with "
                "`litdata.utilities._pytree.register_namedtuple(cls, serialized_type_name=...)` before loading."
            )
        return cls
    if node_type is collections.defaultdict:
        factory: Any = importlib.import_module(context["default_factory_module"])
        for attribute in context["default_factory_name"].split("."):
            factory = getattr(factory, attribute)
        return [factory, [_hashable_key(key) for key in context["dict_context"]]]
    value = json.loads(context)
    if node_type is dict or node_type is collections.OrderedDict:
        return [_hashable_key(key) for key in value]
    return value


def _from_schema(schema: dict) -> TreeSpec:
    type_name = schema["type"]
    if type_name is None:
        return _LEAF
    node_type = _TYPES_BY_NAME.get(type_name)
    if node_type is None:
        raise ValueError(f"Unknown pytree node type {type_name!r} in data_spec; supported: {sorted(_TYPES_BY_NAME)}.")
    children = [_from_schema(child) for child in schema["children_spec"]]
    return TreeSpec(node_type, _load_context(node_type, schema["context"]), children)


def treespec_loads(serialized: str) -> TreeSpec:
    """Parse a ``data_spec`` string written by :func:`treespec_dumps` (or by LitData)."""
    protocol, schema = json.loads(serialized)
    if protocol != PROTOCOL:
        raise ValueError(f"Unsupported data_spec protocol {protocol}; only protocol {PROTOCOL} is known.")
    return _from_schema(schema)
