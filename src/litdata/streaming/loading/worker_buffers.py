"""Batch memory a DataLoader worker shares with the training process once, then reuses.

torch hands every batch tensor from a worker to the training process in a new shared-memory segment: the worker
creates it and faults in every page while filling it, and the segment's file descriptor travels over a socket (a
connection to the worker per tensor). For 6.4 MB batches that is ~9 ms per batch in the worker, and ~1 ms per
tensor in the training process even for small ones.

Here each worker keeps a few segments per batch size (`WorkerBufferPool`). A segment travels to the training
process the first time it is used; afterwards a batch names it by ``(worker pid, slot)``. The training process
tells the worker which slots it may fill again along with the next batch requests (`BatchRequest`).

The batch tensor the training process gets is the slot itself, lent (no copy). It is made with `torch.from_numpy`
over one numpy array per lending (`SlotRegistry.tensor`): every tensor, view, storage object and ``.numpy()``
derived from the batch keeps that array alive, so the slot is given back only once its weak reference is dead,
whatever the user kept. A tensor handed to another process is moved to memory of its own by torch
(``share_memory_()`` copies memory it did not allocate in shared memory). Forking is the one way to hold the
memory without Python references: a slot lent when the training process forks is retired (the worker drops it and
never fills it again), so a forked child keeps reading the batch it inherited.

The hand-off's process-wide state is here: `slot_registry` in the training process, `worker_pool()` in each worker,
and the one set of fork hooks (for them and for `batch_buffers`, the training process's reused batch memory).
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from litdata.streaming.loading.batch_buffers import batch_buffers
from litdata.streaming.loading.torch_internals import shared_storage

_SLOTS_PER_SIZE = 6
_MAX_POOLED_BYTES = 1 << 30
_MAX_CACHED_BYTES = 256 << 20  # per worker id, kept between epochs


def shared_tensor(storage: Any, dtype: np.dtype | torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    """A tensor of ``dtype`` (numpy or torch) and ``shape`` over ``storage`` (from its first byte)."""
    if not isinstance(dtype, torch.dtype):
        dtype = torch.from_numpy(np.empty(0, dtype)).dtype
    return torch.empty(0, dtype=dtype).set_(storage, 0, shape)  # type: ignore[call-overload]  # stride is optional at runtime, not in torch's stubs


def reuse_enabled() -> bool:
    """Whether batch tensors built in this worker process come from the reused slots."""
    return worker_pool().enabled


def enable_reuse(enabled: bool) -> None:
    """Called in a worker by the loader's batch stream: fill pooled slots (``enabled``)."""
    worker_pool().enabled = bool(enabled)


class PooledTensor:
    """A batch tensor filled in a worker; unpickled in the training process as a tensor over the shared slot. One
    that is dropped without having been sent (its batch was built another way) gives its slot back."""

    __slots__ = ("pool", "slot", "dtype", "shape", "sent")

    def __init__(self, pool: WorkerBufferPool, slot: int, dtype: np.dtype, shape: tuple[int, ...]) -> None:
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
        self.enabled = False  # batch tensors come from the slots (set by the loader's batch stream)
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
            self._storages.append(shared_storage(nbytes))
            self._sizes.append(nbytes)
            self._free.append(True)
            self._sent.append(False)
            self._pooled_bytes += nbytes
        self._free[slot] = False
        tensor = shared_tensor(self._storages[slot], dtype, shape)
        return tensor.numpy(), PooledTensor(self, slot, np.dtype(dtype), shape)

    def adopt(self, storages: list[Any]) -> None:
        """Take over the slots a worker of the previous epoch filled (the training process holds them, and this
        process inherited them when it was forked): free, and already known to the training process."""
        for storage in storages:
            self._storages.append(storage)
            self._sizes.append(storage.nbytes())
            self._free.append(True)
            self._sent.append(True)
            self._pooled_bytes += storage.nbytes()

    def storage_to_send(self, slot: int) -> Any:
        """The slot's storage the first time it is sent, then None (the training process keeps it mapped)."""
        first, self._sent[slot] = not self._sent[slot], True
        return self._storages[slot] if first else None

    def release(self, slots: Iterable[int]) -> None:
        """Slots the training process gave back; ``~slot`` (negative) retires a slot: it is never filled again."""
        for slot in slots:
            if slot < 0:
                self._retire(~slot)
            elif slot < len(self._free):
                self._free[slot] = True

    def _retire(self, slot: int) -> None:
        if slot < len(self._sizes) and self._sizes[slot]:
            self._pooled_bytes -= self._sizes[slot]
            self._sizes[slot], self._storages[slot], self._free[slot] = 0, None, False


_worker_pool: WorkerBufferPool | None = None  # this process's, made on first use; forgotten by a forked child


def worker_pool() -> WorkerBufferPool:
    """This worker process's pool."""
    global _worker_pool
    if _worker_pool is None:
        _worker_pool = WorkerBufferPool()
    return _worker_pool


class SlotRegistry:
    """Training-process side: the slots received from each running worker (by pid), the storage mapped for each,
    the slots lent to batches (a weak reference to the array each batch is made over) and the slots retired by a
    fork; and, between two sets of workers, the slots of the last set by worker id, which the workers of the next
    epoch or loader, forked from the training process, take over instead of allocating and sending new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_pid: dict[int, dict[int, Any]] = {}
        self._lent: dict[int, dict[int, weakref.ref]] = {}
        self._retired: dict[int, list[int]] = {}
        # worker id -> (storage, weak reference to the batch lent from it), between two sets of workers
        self._by_worker: dict[int, list[tuple[Any, weakref.ref | None]]] = {}

    def tensor(self, pid: int, slot: int, storage: Any, dtype: np.dtype, shape: tuple[int, ...]) -> torch.Tensor:
        """The batch tensor held in a slot of worker ``pid`` (``storage`` is given the first time the slot is sent),
        lent until nothing derived from it is left."""
        with self._lock:
            slots = self._by_pid.setdefault(pid, {})
            if storage is not None:
                slots[slot] = storage
            elif slot not in slots:
                raise RuntimeError(f"A batch from DataLoader worker {pid} names a shared buffer never received.")
            nbytes = math.prod(shape) * np.dtype(dtype).itemsize
            lent = shared_tensor(slots[slot], torch.uint8, (nbytes,)).numpy()  # numpy's base of every view of it
            self._lent.setdefault(pid, {})[slot] = weakref.ref(lent)
        return torch.from_numpy(lent.view(dtype).reshape(shape))

    def released(self, pid: int) -> list[int]:
        """Slots of worker ``pid`` it may fill again (nothing uses the batch lent from them any more), and ``~slot``
        for those it must drop (lent when the process forked); each reported once."""
        with self._lock:
            lent = self._lent.get(pid, {})
            free = [slot for slot, array in lent.items() if not _in_use(array)]
            for slot in free:
                del lent[slot]
            return free + [~slot for slot in self._retired.pop(pid, [])]

    def take_cached(self) -> dict[int, list[Any]]:
        """The slots the last set of workers left (worker id -> storages) that no batch uses any more, removed from
        the registry: the next set, forked now, inherits them (one set of workers uses them at a time)."""
        with self._lock:
            cached, self._by_worker = self._by_worker, {}
        slots = {worker: [storage for storage, array in kept if not _in_use(array)] for worker, kept in cached.items()}
        return {worker: storages for worker, storages in slots.items() if storages}

    def adopt(self, pid: int, storages: list[Any]) -> None:
        """Worker ``pid`` starts with ``storages`` as its slots 0, 1, ... (see `WorkerBufferPool.adopt`)."""
        with self._lock:
            self._by_pid[pid] = dict(enumerate(storages))

    def retire(self, worker_id: int, pid: int) -> None:
        """Worker ``worker_id`` (``pid``) exited: keep its slots for the worker that takes its place, those that fit
        in `_MAX_CACHED_BYTES` (the rest are freed; batches in use keep their memory either way). A slot whose batch
        is still in use (the loop holds the last batch as the epoch ends) is handed on only if it is free by then."""
        with self._lock:
            slots = self._by_pid.pop(pid, {})
            lent = self._lent.pop(pid, {})
            self._retired.pop(pid, None)
            kept: list[tuple[Any, weakref.ref | None]] = []
            total = 0
            for slot in sorted(slots):
                if total + slots[slot].nbytes() <= _MAX_CACHED_BYTES:
                    kept.append((slots[slot], lent.get(slot)))
                    total += slots[slot].nbytes()
            if kept and worker_id not in self._by_worker:
                self._by_worker[worker_id] = kept

    def before_fork(self) -> None:
        """The process is about to fork: a child inherits the batches lent now without any Python reference the
        registry could see, so their slots are retired instead of ever being filled again."""
        self._lock.acquire()  # held across the fork: no batch is lent half-way
        for pid, lent in self._lent.items():
            in_use = [slot for slot, array in lent.items() if _in_use(array)]
            for slot in in_use:
                del lent[slot]
                del self._by_pid[pid][slot]  # the batches keep the mapping alive
                self._retired.setdefault(pid, []).append(slot)
        for worker, kept in self._by_worker.items():  # slots of exited workers, to be handed on: never again
            self._by_worker[worker] = [(storage, array) for storage, array in kept if not _in_use(array)]

    def after_fork(self) -> None:
        """In the parent, once it forked."""
        self._lock.release()

    def forget(self) -> None:
        """In the child: the parent's workers are not this process's."""
        self.__init__()  # type: ignore[misc]  # a fresh registry, with a lock no thread holds


def _in_use(lent: weakref.ref | None) -> bool:
    """Whether the batch lent from a slot (its array's weak reference; None: never lent) is still alive."""
    return lent is not None and lent() is not None


slot_registry = SlotRegistry()


def receive(pid: int, slot: int, storage: Any, dtype: np.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    """Unpickling a `PooledTensor` in the training process."""
    return slot_registry.tensor(pid, slot, storage, dtype, shape)


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

    def __init__(self, queue: Any, pid: int) -> None:
        self._queue = queue
        self._pid = pid

    def put(self, obj: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], int):
            released = slot_registry.released(self._pid)
            if released:
                obj = (obj[0], BatchRequest(obj[1], released))
        self._queue.put(obj, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


def _before_fork() -> None:
    batch_buffers.before_fork()
    slot_registry.before_fork()


def _after_fork_in_parent() -> None:
    slot_registry.after_fork()
    batch_buffers.after_fork()


def _in_forked_child() -> None:
    """A forked process starts with empty pools: the training process's free batch buffers are not mapped in it,
    and a worker's slots belong to the worker (the child's slots, if it becomes a worker, are its own)."""
    global _worker_pool
    batch_buffers.forget()
    slot_registry.forget()
    _worker_pool = None


# The hand-off's one set of fork hooks (DataLoader workers are forked from the training process every epoch).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_in_forked_child)
