"""Batch memory a DataLoader worker shares with the training process once, then reuses.

torch hands every batch tensor from a worker to the training process in a new shared-memory segment: the worker
creates it and faults in every page while filling it, and the segment's file descriptor travels over a socket (a
connection to the worker per tensor). For 6.4 MB batches that is ~9 ms per batch in the worker, and ~1 ms per
tensor in the training process even for small ones.

Here each worker keeps a few segments per batch size (`WorkerBufferPool`). A segment travels to the training
process the first time it is used; afterwards a batch names it by ``(worker pid, slot)`` and the training process
rebuilds the tensor over the mapping it already has (`receive`). The training process tells the worker which
slots it may fill again along with the next batch requests (`BatchRequest`): a slot is free once no tensor in the
training process uses its memory any more (the storage's use count is back to the registry's own reference).

That release rule cannot see references it does not count (a storage object the user keeps, a process forked from
the training process that inherited the mapping), so reuse is opt-in: ``StreamingDataLoader(...,
reuse_batch_memory=True)`` (see its docstring for the exact contract). By default every batch gets fresh memory.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

_SLOTS_PER_SIZE = 6
_MAX_POOLED_BYTES = 1 << 30


def shared_tensor(storage: Any, dtype: np.dtype | torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    """A tensor of ``dtype`` (numpy or torch) and ``shape`` over ``storage`` (from its first byte)."""
    if not isinstance(dtype, torch.dtype):
        dtype = torch.from_numpy(np.empty(0, dtype)).dtype
    return torch.empty(0, dtype=dtype).set_(storage, 0, shape)  # type: ignore[call-overload]  # stride is optional at runtime, not in torch's stubs


_reuse = [False]  # set in each worker by the loader's batch stream


def reuse_supported() -> bool:
    """Whether this torch can tell a storage's use count (a private API probed for, not assumed)."""
    return hasattr(torch._C, "_storage_Use_Count")


def reuse_enabled() -> bool:
    """Whether batch tensors built in this worker process come from the reused slots."""
    return _reuse[0]


def enable_reuse(enabled: bool) -> None:
    """Called in a worker by the batch stream of a loader with ``reuse_batch_memory=True``."""
    _reuse[0] = bool(enabled) and reuse_supported()


class PooledTensor:
    """A batch tensor filled in a worker; unpickled in the training process as a tensor over the shared slot. One
    that is dropped without having been sent (its batch was built another way) gives its slot back."""

    __slots__ = ("pool", "slot", "dtype", "shape", "sent")

    def __init__(self, pool: WorkerBufferPool, slot: int, dtype: torch.dtype, shape: tuple[int, ...]) -> None:
        self.pool, self.slot, self.dtype, self.shape, self.sent = pool, slot, dtype, shape, False

    def __reduce__(self) -> tuple:
        self.sent = True
        storage = self.pool.storage_to_send(self.slot)
        return receive, (self.pool.pid, self.slot, storage, self.dtype, self.shape)

    def __del__(self) -> None:
        if not self.sent:
            self.pool.release([self.slot])


class WorkerBufferPool:
    """Worker side: shared-memory slots by size, each lent to one batch until the training process releases it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._storages: list[Any] = []
        self._sizes: list[int] = []
        self._free: list[bool] = []
        self._sent: list[bool] = []
        self._pooled_bytes = 0

    def tensor(self, shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, PooledTensor] | None:
        """A numpy view to fill and the batch value standing for it, or None (the pool is full: allocate)."""
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        if nbytes == 0:
            return None
        slot = next((i for i, size in enumerate(self._sizes) if size == nbytes and self._free[i]), None)
        if slot is None:
            if self._sizes.count(nbytes) >= _SLOTS_PER_SIZE or self._pooled_bytes + nbytes > _MAX_POOLED_BYTES:
                return None
            slot = len(self._storages)
            self._storages.append(torch.UntypedStorage._new_shared(nbytes))
            self._sizes.append(nbytes)
            self._free.append(True)
            self._sent.append(False)
            self._pooled_bytes += nbytes
        self._free[slot] = False
        tensor = shared_tensor(self._storages[slot], dtype, shape)
        return tensor.numpy(), PooledTensor(self, slot, tensor.dtype, shape)

    def storage_to_send(self, slot: int) -> Any:
        """The slot's storage the first time it is sent, then None (the training process keeps it mapped)."""
        first, self._sent[slot] = not self._sent[slot], True
        return self._storages[slot] if first else None

    def release(self, slots: Iterable[int]) -> None:
        for slot in slots:
            if slot < len(self._free):
                self._free[slot] = True


_worker_pool: WorkerBufferPool | None = None


def worker_pool() -> WorkerBufferPool:
    """This worker process's pool."""
    global _worker_pool
    if _worker_pool is None or _worker_pool.pid != os.getpid():
        _worker_pool = WorkerBufferPool()
    return _worker_pool


class _Received:
    """Training-process side: the slots received from each worker (by pid) and the storage mapped for each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[int, dict[int, Any]] = {}
        self._lent: dict[int, set[int]] = {}

    def tensor(self, pid: int, slot: int, storage: Any, dtype: torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
        """The tensor over a slot of worker ``pid`` (``storage`` is given the first time the slot is sent)."""
        with self._lock:  # the tensor exists before `released` can look at the slot's use count
            slots = self._slots.setdefault(pid, {})
            if storage is not None:
                slots[slot] = storage
            elif slot not in slots:
                raise RuntimeError(f"A batch from DataLoader worker {pid} names a shared buffer never received.")
            self._lent.setdefault(pid, set()).add(slot)
            return shared_tensor(slots[slot], dtype, shape)

    def released(self, pid: int) -> list[int]:
        """Slots of worker ``pid`` that no tensor uses any more (each reported once)."""
        with self._lock:
            lent, slots = self._lent.get(pid), self._slots.get(pid)
            if not lent:
                return []
            assert slots is not None  # a slot is lent only after it was received
            free = [slot for slot in lent if torch._C._storage_Use_Count(slots[slot]._cdata) == 1]
            lent.difference_update(free)
            return free

    def forget(self, pids: Iterable[int]) -> None:
        """The workers exited: drop their slots (tensors still in use keep their memory)."""
        with self._lock:
            for pid in pids:
                self._slots.pop(pid, None)
                self._lent.pop(pid, None)


received = _Received()


def receive(pid: int, slot: int, storage: Any, dtype: torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    """Unpickling a `PooledTensor` in the training process."""
    return received.tensor(pid, slot, storage, dtype, shape)


class BatchRequest:
    """A batch request to a worker (what torch sends) that also carries the slots the worker may reuse: unpickled
    in the worker, it releases them and becomes the request itself again."""

    __slots__ = ("index", "released")

    def __init__(self, index: Any, released: list[int]) -> None:
        self.index, self.released = index, released

    def __reduce__(self) -> tuple:
        return _release_slots, (self.index, self.released)


def _release_slots(index: Any, released: list[int]) -> Any:
    worker_pool().release(released)  # the worker reads the request before it builds the batch
    return index


class ReleasingIndexQueue:
    """A worker's index queue that adds the slots the training process released to every batch request."""

    def __init__(self, queue: Any, worker: Any) -> None:
        self._queue = queue
        self._worker = worker

    def put(self, obj: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], int):
            released = received.released(self._worker.pid)
            if released:
                obj = (obj[0], BatchRequest(obj[1], released))
        self._queue.put(obj, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)
