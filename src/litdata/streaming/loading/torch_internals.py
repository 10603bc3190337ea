"""The one door to torch's private data-loading internals.

`StreamingDataLoader` builds on a few parts of torch that torch neither documents nor promises to keep: its
worker iterators, the message that starts a persistent worker's next epoch, the wrapper that carries a worker's
exception to the training process, and allocation straight in shared memory. This module is
the only one in litdata that names them (``tests/streaming/test_torch_internals.py`` scans the sources and checks
each capability on the oldest and newest torch we support).

Every private name is looked up when a capability is first used, never at import: a torch that lacks one still
imports litdata, and using the capability raises a `RuntimeError` naming the missing name and the torch version.
"""

from __future__ import annotations

import functools
import importlib
import itertools
from collections.abc import Iterator
from typing import Any, Protocol

import torch

TESTED_TORCH = ("2.4", "2.13")  # the oldest and newest torch the tests run this module on


@functools.cache
def _private(module: str, name: str) -> Any:
    """``module.name`` (``name`` may be dotted), one of torch's private names; a `RuntimeError` naming the torch
    version when this torch lacks it."""
    try:
        value: Any = importlib.import_module(module)
        for part in name.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError):
        oldest, newest = TESTED_TORCH
        raise RuntimeError(
            f"litdata's StreamingDataLoader needs torch's private `{module}.{name}`, which torch "
            f"{torch.__version__} does not have. Install a torch from {oldest} to {newest} (the versions litdata is "
            "tested with), or a litdata release that supports this torch."
        ) from None
    return value


# ---------------------------------------------------------------- memory
def shared_storage(nbytes: int) -> torch.UntypedStorage:
    """``torch.UntypedStorage._new_shared``: ``nbytes`` allocated straight in shared memory, so a batch filled in a
    worker reaches the training process without a copy (``share_memory_()`` would allocate, then copy)."""
    new_shared: Any = _private("torch", "UntypedStorage._new_shared")
    return new_shared(nbytes)


# ---------------------------------------------------------------- messages between the loader and its workers
def worker_exception(where: str) -> Any:
    """``torch._utils.ExceptionWrapper`` of the exception being handled: a worker yields it in place of a batch and
    torch's loader re-raises it in the training process, with the worker's traceback and ``where`` it happened."""
    return _private("torch._utils", "ExceptionWrapper")(where=where)


def resume_message(seed: int | None) -> Any:
    """``torch.utils.data._utils.worker._ResumeIteration``: the message torch's loader sends a persistent worker to
    start its next epoch (its seed is the epoch's shared seed)."""
    return _private("torch.utils.data._utils.worker", "_ResumeIteration")(seed)


def is_resume_message(message: Any) -> bool:
    """Whether ``message`` (something put on a worker's index queue) is torch's "start your next epoch" message."""
    return type(message) is _private("torch.utils.data._utils.worker", "_ResumeIteration")


# ---------------------------------------------------------------- the loader's iterators
class WorkerHooks(Protocol):
    """What a loader adds to torch's worker iterator (`worker_iterator`)."""

    def first_worker(self) -> int | None:
        """At the start of every epoch: the worker to ask for the first batch (None: worker 0)."""

    def started(self, worker_id: int, pid: int, index_queue: Any) -> Any:
        """Worker ``worker_id`` runs as ``pid``: the index queue to send it requests through (``index_queue`` or a
        wrapper forwarding to it)."""

    def stopped(self, worker_id: int, pid: int) -> None:
        """Worker ``worker_id`` (``pid``) was shut down, once per worker."""


def worker_iterator(loader: Any, hooks: WorkerHooks) -> Iterator[Any]:
    """``torch.utils.data.dataloader._MultiProcessingDataLoaderIter`` over ``loader`` (a DataLoader or an object
    with its attributes), told by ``hooks`` where each epoch's round-robin over the workers starts, which index
    queues to use and when the workers stop: torch offers no public way to iterate a DataLoader with its workers."""
    iterator: Iterator[Any] = _worker_iterator_class()(loader, hooks)
    return iterator


def single_process_iterator(loader: Any) -> Iterator[Any]:
    """``torch.utils.data.dataloader._SingleProcessDataLoaderIter`` over ``loader``: torch's iteration without
    workers (fetching, pinning), for a loader whose dataset torch must not see as the one to iterate."""
    iterator: Iterator[Any] = _private("torch.utils.data.dataloader", "_SingleProcessDataLoaderIter")(loader)
    return iterator


@functools.cache
def _worker_iterator_class() -> type:
    """torch's worker iterator with `WorkerHooks`, made on first use (its base class is private)."""
    base: Any = _private("torch.utils.data.dataloader", "_MultiProcessingDataLoaderIter")

    class HookedWorkerIterator(base):
        _index_queues: list[Any]  # set by torch's iterator, as are the next ones
        _workers: list[Any]
        _num_workers: int
        _worker_queue_idx_cycle: Iterator[int]
        _shutdown: bool

        def __init__(self, loader: Any, hooks: WorkerHooks) -> None:
            self._hooks = hooks
            self._first_worker: int | None = None
            super().__init__(loader)  # starts the workers and sends the first requests
            self._index_queues = [
                hooks.started(worker_id, worker.pid, queue)
                for worker_id, (queue, worker) in enumerate(zip(self._index_queues, self._workers))
            ]

        def _reset(self, loader: Any, first_iter: bool = False) -> None:
            self._first_worker = self._hooks.first_worker()
            super()._reset(loader, first_iter)

        def _try_put_index(self) -> None:
            if self._first_worker is not None:
                count, start = self._num_workers, self._first_worker
                self._worker_queue_idx_cycle = itertools.cycle([(start + i) % count for i in range(count)])
                self._first_worker = None
            super()._try_put_index()

        def _shutdown_workers(self) -> None:
            running = getattr(self, "_shutdown", True) is False  # torch shuts down once (not at interpreter exit)
            super()._shutdown_workers()
            if running and self._shutdown:
                for worker_id, worker in enumerate(self._workers):
                    self._hooks.stopped(worker_id, worker.pid)

    return HookedWorkerIterator
