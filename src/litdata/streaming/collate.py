"""The default collate of `StreamingDataLoader`, and the batch tensors it fills."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate, get_worker_info

from litdata.streaming import graph as graphs
from litdata.streaming.batch_buffers import batch_buffers
from litdata.streaming.torch_internals import shared_storage
from litdata.streaming.worker_buffers import reuse_enabled, shared_tensor, worker_pool


def batch_tensor(shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, Any]:
    """An uninitialised batch tensor and a numpy view to fill it. In the main process, the tensor is over a reused
    buffer; inside a DataLoader worker (where the batch is about to cross processes) it is in shared memory, reused
    too with ``reuse_batch_memory=True`` (the batch then holds a `PooledTensor`, which arrives in the main process as
    a tensor)."""
    if get_worker_info() is None:
        out = batch_buffers.array(shape, dtype)
        if out is None:
            out = np.empty(shape, dtype)
        return out, torch.from_numpy(out)
    if reuse_enabled():
        pooled = worker_pool().tensor(shape, dtype)
        if pooled is not None:
            return pooled
    tensor = shared_tensor(shared_storage(math.prod(shape) * np.dtype(dtype).itemsize), dtype, shape)
    return tensor.numpy(), tensor


def _stack_arrays(batch: list[np.ndarray]) -> torch.Tensor | None:
    """Stack same-shape numeric arrays into one batch tensor, in one copy. None when they cannot be stacked so."""
    first = batch[0]
    if first.dtype.kind not in "biufc" or any(a.shape != first.shape or a.dtype != first.dtype for a in batch):
        return None
    out, tensor = batch_tensor((len(batch), *first.shape), first.dtype)
    np.stack(batch, out=out)
    return tensor


def _collate_leaves(batch: list[Any]) -> Any:
    elem = batch[0]
    if isinstance(elem, memoryview):
        return [bytes(x) for x in batch]
    if isinstance(elem, np.ndarray):
        stacked = _stack_arrays(batch)
        if stacked is not None:
            return stacked
    if isinstance(elem, (torch.Tensor, int, float, bool, str, bytes)) or type(elem).__module__ == "numpy":
        return default_collate(batch)
    if graphs.is_pyg_data(elem):
        return graphs.batch_graphs(batch)  # PyG Data/HeteroData -> DataBatch/HeteroDataBatch
    try:
        return default_collate(batch)
    except TypeError:
        return list(batch)  # PIL images, None and other objects: keep them as a list


def litdata_collate(items: list[Any]) -> Any:
    """torch's default collate, extended: leaves it cannot stack (PIL images, None, arbitrary objects) are
    returned as lists, memoryviews as lists of bytes; dicts, tuples and lists are collated field by field."""
    elem = items[0]
    if isinstance(elem, Mapping):
        return {key: litdata_collate([item[key] for item in items]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(_collate_field(field) for field in zip(*items)))
    if isinstance(elem, (list, tuple)):
        if any(len(item) != len(elem) for item in items):
            return list(items)
        return [_collate_field(field) for field in zip(*items)]
    return _collate_leaves(items)


def _collate_field(field: tuple) -> Any:
    """One field of list/tuple samples: strings stay the tuple `zip` made of them, as in torch's collate."""
    if isinstance(field[0], str):
        return field
    return litdata_collate(list(field))
