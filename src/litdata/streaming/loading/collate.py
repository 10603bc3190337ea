"""The default collate of `StreamingDataLoader`, and the batch tensors it fills."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate, get_worker_info

from litdata.format import graph as graphs
from litdata.format.batching import use_collate
from litdata.streaming.loading.batch_buffers import batch_buffers
from litdata.streaming.loading.torch_internals import shared_storage
from litdata.streaming.loading.worker_buffers import reuse_enabled, shared_tensor, worker_pool


def batch_tensor(shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, Any]:
    """An uninitialised batch tensor and a numpy view to fill it. In the main process, the tensor is over a reused
    buffer; inside a DataLoader worker (where the batch is about to cross processes) it is in one of the worker's
    reused shared slots (the batch then holds a `PooledTensor`, which arrives in the main process as a tensor)."""
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


_NUMPY_DTYPES: dict[torch.dtype, np.dtype | None] = {}


def _numpy_dtype(dtype: torch.dtype) -> np.dtype | None:
    if dtype not in _NUMPY_DTYPES:
        try:
            _NUMPY_DTYPES[dtype] = torch.empty(0, dtype=dtype).numpy().dtype
        except (TypeError, RuntimeError):  # bfloat16, quantized and other dtypes numpy lacks
            _NUMPY_DTYPES[dtype] = None
    return _NUMPY_DTYPES[dtype]


def _stack_tensors(batch: list[torch.Tensor]) -> torch.Tensor | None:
    """Stack same-shape plain CPU tensors (e.g. a transform's output) into one batch tensor in reused memory, as
    `_stack_arrays` does; None for anything torch's collate should handle (subclasses, autograd, other devices)."""
    first = batch[0]
    if first.layout != torch.strided or first.device.type != "cpu" or first.requires_grad or first.numel() == 0:
        return None
    dtype = _numpy_dtype(first.dtype)
    if dtype is None or any(
        type(t) is not torch.Tensor or t.shape != first.shape or t.dtype != first.dtype for t in batch
    ):
        return None
    out, tensor = batch_tensor((len(batch), *first.shape), dtype)
    torch.stack(batch, out=torch.from_numpy(out))
    return tensor


_POOLED_MIN_BYTES = 64 << 10  # below this, torch's own shared-memory transfer costs little


def pooled(batch: Any) -> Any:
    """A batch a user's collate built in a DataLoader worker, its large tensors copied into the worker's reused
    shared slots (`batch_tensor`): torch would otherwise create, fill and send a new shared-memory segment for each
    (several ms for a 6 MB batch), and they arrive as tensors all the same. Plain contiguous CPU tensors only, in
    dicts, lists and tuples (namedtuples too); anything else is left to torch."""
    if isinstance(batch, torch.Tensor):
        if type(batch) is not torch.Tensor or batch.device.type != "cpu" or batch.layout != torch.strided:
            return batch
        if batch.requires_grad or not batch.is_contiguous() or batch.numel() * batch.element_size() < _POOLED_MIN_BYTES:
            return batch
        dtype = _numpy_dtype(batch.dtype)
        if dtype is None:
            return batch
        out, tensor = batch_tensor(tuple(batch.shape), dtype)
        torch.from_numpy(out).copy_(batch)
        return tensor
    if type(batch) is dict:
        return {key: pooled(value) for key, value in batch.items()}
    if type(batch) is list:
        return [pooled(value) for value in batch]
    if isinstance(batch, tuple) and (type(batch) is tuple or hasattr(batch, "_fields")):
        values = [pooled(value) for value in batch]
        return tuple(values) if type(batch) is tuple else type(batch)(*values)
    return batch


def _collate_leaves(batch: list[Any]) -> Any:
    elem = batch[0]
    if isinstance(elem, memoryview):
        return [bytes(x) for x in batch]
    if isinstance(elem, np.ndarray):
        stacked = _stack_arrays(batch)
        if stacked is not None:
            return stacked
    if type(elem) is torch.Tensor:
        stacked_tensor = _stack_tensors(batch)
        if stacked_tensor is not None:
            return stacked_tensor
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


# whole batches and batches read sample by sample (litdata.format.batching) are built with these
use_collate(litdata_collate, batch_tensor, batch_buffers.array)
