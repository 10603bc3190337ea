"""Graphs as packed tensors: the ``graph`` leaf encoding (LitData 0.2.76's ``LDGR`` layout) and PyG helpers.

Layout: ``b"LDGR"``, ``u8`` version (3), ``>H`` entry count, then per entry ``>H`` name length, the UTF-8 name,
``u8`` kind (0: a tensor in the ``tensor`` serializer's encoding, 1: a pickle), ``>I`` payload length, the payload.
Tensors are the leaves of the graph's dict form (``Data.to_dict()``), named by their key path; the last entry,
``_meta``, pickles the dict with each tensor replaced by a marker, the key paths, the entry names and the class
(``data`` or ``hetero``). Reading rebuilds a PyG ``Data``/``HeteroData`` when ``torch_geometric`` is installed, else
a :class:`~litdata.types.Graph`.
"""

from __future__ import annotations

import functools
import importlib
import pickle
import struct
from typing import Any

from litdata.types import GRAPH_FIELDS, Graph, require_pyg

MAGIC = b"LDGR"
VERSION = 3
_TENSOR_MARKER = "__ldgr_t__"
_META = "_meta"
_HEADER = struct.Struct(">4sBH")
_LENGTH = struct.Struct(">I")
_NAME_LENGTH = struct.Struct(">H")
_KIND_TENSOR, _KIND_PICKLE = 0, 1


@functools.cache
def pyg_available() -> bool:
    try:
        importlib.import_module("torch_geometric.data")
    except ImportError:
        return False
    return True


def is_pyg_data(item: Any) -> bool:
    """Whether ``item`` is a PyG ``Data`` or ``HeteroData`` (without importing PyG when it is not loaded)."""
    return type(item).__module__.startswith("torch_geometric.data") and hasattr(item, "to_dict")


def _is_hetero(item: Any) -> bool:
    return type(item).__name__ == "HeteroData"


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def graph_mapping(item: Any) -> tuple[dict, str] | None:
    """``(dict form, class name)`` of a graph leaf, or None when it is an opaque ``Graph(data=...)``."""
    if isinstance(item, Graph):
        if item.data is not None and not isinstance(item.data, dict) and not is_pyg_data(item.data):
            return None
        base = item.data.to_dict() if is_pyg_data(item.data) else dict(item.data or {})
        base.update({name: getattr(item, name) for name in GRAPH_FIELDS if getattr(item, name) is not None})
        kind = "hetero" if is_pyg_data(item.data) and _is_hetero(item.data) else "data"
        return base, kind
    return item.to_dict(), "hetero" if _is_hetero(item) else "data"


def _flatten(tree: dict, prefix: tuple, tensors: list[tuple[tuple, Any]]) -> dict:
    out: dict = {}
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, dict):
            out[key] = _flatten(value, path, tensors)
        elif _is_tensor(value):
            out[key] = _TENSOR_MARKER
            tensors.append((path, value))
        else:
            out[key] = value
    return out


def _entry_name(path: tuple) -> str:
    return ".".join("__".join(part) if isinstance(part, tuple) else str(part) for part in path)


def _entry(name: str, kind: int, payload: bytes | bytearray) -> bytes:
    encoded = name.encode("utf-8")
    return _NAME_LENGTH.pack(len(encoded)) + encoded + bytes([kind]) + _LENGTH.pack(len(payload)) + bytes(payload)


def encode_graph(mapping: dict, kind: str) -> bytes:
    """The ``graph`` bytes of a graph in dict form."""
    from litdata.format.serializers import TensorSerializer

    tensors: list[tuple[tuple, Any]] = []
    tree = _flatten(mapping, (), tensors)
    names = [_entry_name(path) for path, _ in tensors]
    tensor_serializer = TensorSerializer()
    parts = [_HEADER.pack(MAGIC, VERSION, len(tensors) + 1)]
    for name, (_, tensor) in zip(names, tensors):
        parts.append(_entry(name, _KIND_TENSOR, tensor_serializer.serialize(tensor)[0]))
    meta = {"_cls": kind, "_tree": tree, "_paths": [path for path, _ in tensors], "_fields": names}
    parts.append(_entry(_META, _KIND_PICKLE, pickle.dumps(meta)))
    return b"".join(parts)


def _fill(tree: dict, values: dict[tuple, Any], prefix: tuple = ()) -> dict:
    out = {}
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, dict):
            out[key] = _fill(value, values, path)
        elif isinstance(value, str) and value == _TENSOR_MARKER:
            out[key] = values[path]
        else:
            out[key] = value
    return out


def decode_graph(data: bytes | memoryview) -> Any:
    """A PyG ``Data``/``HeteroData`` (or a :class:`Graph` without PyG) from ``graph`` bytes."""
    from litdata.format.serializers import TensorSerializer

    magic, version, count = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"Not a graph leaf: expected the {MAGIC!r} header, found {bytes(magic)!r}.")
    position = _HEADER.size
    entries: dict[str, Any] = {}
    tensor_serializer = TensorSerializer()
    for _ in range(count):
        (name_length,) = _NAME_LENGTH.unpack_from(data, position)
        name = str(data[position + 2 : position + 2 + name_length], "utf-8")
        position += 2 + name_length
        kind = data[position]
        (length,) = _LENGTH.unpack_from(data, position + 1)
        payload = data[position + 5 : position + 5 + length]
        position += 5 + length
        entries[name] = tensor_serializer.deserialize(payload) if kind == _KIND_TENSOR else pickle.loads(payload)
    meta = entries[_META]
    values = {tuple(path): entries[name] for path, name in zip(meta["_paths"], meta["_fields"])}
    mapping = _fill(meta["_tree"], values)
    if meta["_cls"] == "hetero":
        return require_pyg().data.HeteroData.from_dict(mapping)
    if pyg_available():
        return require_pyg().data.Data.from_dict(mapping)
    named = {name: mapping.pop(name) for name in GRAPH_FIELDS if name in mapping}
    return Graph(**named, data=mapping or None)


def batch_graphs(samples: list[Any]) -> Any:
    """A PyG ``Batch`` (``DataBatch`` / ``HeteroDataBatch``) of PyG graphs."""
    return require_pyg().data.Batch.from_data_list(samples)
