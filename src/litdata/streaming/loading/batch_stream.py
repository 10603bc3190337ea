"""What a `StreamingDataLoader` iterates: its dataset's batches, built by a view the loader owns.

torch's DataLoader runs with ``batch_size=None`` over a `BatchStream`, which is pickled to the workers with the
dataset and yields whole batches: read at once from the chunks (`StreamingDataset._next_batch`) with the default
collate, else collated from ``batch_size`` samples, themselves read a batch at a time
(`StreamingDataset._next_samples`, or read ahead for a subclass's ``__getitem__``). The dataset itself is never put in a mode: ``iter(ds)``,
``ds[i]``, a plain ``torch.utils.data.DataLoader(ds)`` and any number of loaders over one dataset stay independent.
In the training process (``num_workers=0``) the stream iterates a copy of the dataset with its own position.

In a worker, each batch leaves in a `_Sendable` that pickles it first, so a batch that cannot be pickled raises a
clear error in the training process (torch would otherwise fail in the queue's feeder thread and wait forever).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.reduction import ForkingPickler
from typing import Any

from torch.utils.data import IterableDataset, get_worker_info

from litdata.format.checksums import remember_verified, take_newly_verified
from litdata.streaming.datasets.base import _TrackedCollate
from litdata.streaming.datasets.dataset import StreamingDataset
from litdata.streaming.loading.collate import litdata_collate
from litdata.streaming.loading.epoch_plan import EpochPlan, apply_plan, received_plan
from litdata.streaming.loading.torch_internals import worker_exception
from litdata.streaming.loading.worker_buffers import enable_reuse, worker_pool
from litdata.utilities.profiler import active_recorder


class BatchStream(IterableDataset):
    """Batches of ``batch_size`` samples of ``dataset`` collated with ``collate_fn`` (the default collate: None),
    for a loader with ``num_workers`` workers. ``whole_batches``: read them at once when the dataset allows it."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        num_workers: int,
        collate_fn: Callable | None,
        whole_batches: bool = True,
    ) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.whole_batches = whole_batches and collate_fn is None and isinstance(dataset, StreamingDataset)
        self.collate_fn = collate_fn or litdata_collate
        self.inherited_slots: dict[int, list[Any]] = {}  # worker id -> shared slots a forked worker takes over
        self.plan: EpochPlan | None = None  # the epoch to stream, from the loader (see `epoch_plan`)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "inherited_slots": {}}  # slots are inherited by forking, never pickled

    def __iter__(self) -> Iterator[Any]:
        worker = get_worker_info()
        enable_reuse(worker is not None)
        if worker is not None and self.inherited_slots:
            worker_pool().adopt(self.inherited_slots.get(worker.id, []))
            self.inherited_slots = {}  # this process's copy: adopted once
        dataset = self.dataset
        if worker is None and isinstance(dataset, StreamingDataset):
            dataset = dataset._iteration_copy()
        plan = (received_plan() if worker is not None else None) or self.plan
        if plan is not None:  # the same epoch, seed and resume position on every path
            apply_plan(dataset, plan)
        batches: Iterator[Any]
        collate_fn = self.collate_fn
        if worker is not None and collate_fn is not litdata_collate:  # a user's: send its tensors through slots
            collate_fn = _Pooling(collate_fn)
        if isinstance(dataset, StreamingDataset):
            dataset.set_batch_size(self.batch_size)
            dataset.set_num_workers(self.num_workers)
            iterator = iter(dataset)
            if self.whole_batches and self.batch_size > 1 and dataset._reads_whole_batches():
                batches = _whole_batches(dataset, self.batch_size)
            elif dataset._reads_samples_at_once():
                batches = _sample_batches(dataset, self.batch_size, collate_fn)
            else:  # a subclass's __getitem__ is served samples read a batch at a time
                dataset._read_ahead = self.batch_size if dataset._batch_decoding() else 0
                batches = _collated(iterator, self.batch_size, collate_fn)
        else:  # a Combined/Parallel dataset: its iterator tells where this worker stands after every sample
            iterator = iter(dataset)
            iterator.tracked = True
            batches = _collated(iterator, self.batch_size, _TrackedCollate(self.collate_fn))
        if worker is None:
            return batches
        return (_Sendable(batch, worker.id) for batch in batches)


class _Pooling:
    """A user's collate function in a worker: its batch's large tensors leave through the worker's reused shared
    slots (`litdata.streaming.loading.collate.pooled`)."""

    def __init__(self, collate_fn: Callable) -> None:
        self.collate_fn = collate_fn

    def __call__(self, samples: list[Any]) -> Any:
        from litdata.streaming.loading.collate import pooled

        return pooled(self.collate_fn(samples))


def _whole_batches(dataset: StreamingDataset, batch_size: int) -> Iterator[Any]:
    while True:
        try:
            batch = dataset._next_batch(batch_size)
        except StopIteration:
            return
        yield batch


def _sample_batches(dataset: StreamingDataset, batch_size: int, collate_fn: Callable) -> Iterator[Any]:
    """The per-sample path: each batch's samples read at once (`StreamingDataset._next_samples`), then collated;
    one `__next__` at a time while a profile records this process (each sample's fetch is timed)."""
    while True:
        if active_recorder() is not None:
            batch = next(_collated(dataset, batch_size, collate_fn), _END)
            if batch is _END:
                return
            yield batch
            continue
        try:
            samples = dataset._next_samples(batch_size)
        except StopIteration:
            return
        yield collate_fn(samples)


def _collated(samples: Iterator[Any], batch_size: int, collate_fn: Callable) -> Iterator[Any]:
    """``batch_size`` samples at a time (fewer at the end), collated; timed when a profile records this process.
    (``samples`` is a dataset that is its own iterator: `iter` on it again would restart it.)"""
    while True:
        recorder = active_recorder()
        if recorder is not None:
            recorder.fetch_started()
        batch = []
        for _ in range(batch_size):
            start = time.perf_counter() if recorder is not None else 0.0
            sample = next(samples, _END)
            if sample is _END:
                break
            if recorder is not None:
                recorder.sample_fetched(start, time.perf_counter())
            batch.append(sample)
        if not batch:
            return
        yield collate_fn(batch)


_END = object()


class _Sendable:
    """A batch on its way from a worker to the training process: it arrives as the batch itself, or, when it
    cannot be pickled, as the error torch re-raises in the training process (naming the key and the type)."""

    __slots__ = ("batch", "worker")

    def __init__(self, batch: Any, worker: int) -> None:
        self.batch, self.worker = batch, worker

    def __reduce__(self) -> tuple:
        try:
            return _arrive, (bytes(ForkingPickler.dumps(self.batch)), take_newly_verified())
        except Exception as error:
            try:
                path, leaf = _unpicklable_leaf(self.batch)
            except Exception:
                path, leaf = "", self.batch
            message = (
                f"DataLoader worker {self.worker} produced a batch that cannot be sent to the training process: "
                f"batch{path} is a {type(leaf).__name__} ({error}). Return picklable values from the dataset, its "
                "transform and the collate_fn (e.g. bytes instead of memoryview, arrays instead of open files)."
            )
            try:
                raise TypeError(message) from None
            except TypeError:
                wrapper = worker_exception(where=f"in DataLoader worker process {self.worker}")
            return _same, (wrapper,)


def _same(value: Any) -> Any:
    return value


def _arrive(payload: bytes, verified: list) -> Any:
    """A batch unpickled in the training process, which also learns the chunk files its worker verified."""
    if verified:
        remember_verified(verified)
    return pickle.loads(payload)


def _unpicklable_leaf(value: Any, path: str = "") -> tuple[str, Any]:
    """The path (``["key"][0]``) and value of the first part of ``value`` that does not pickle."""
    if isinstance(value, Mapping):
        children: Any = ((f"[{key!r}]", child) for key, child in value.items())
    elif isinstance(value, (list, tuple)):
        children = ((f"[{index}]", child) for index, child in enumerate(value))
    else:
        return path, value
    for suffix, child in children:
        try:
            ForkingPickler.dumps(child)
        except Exception:
            return _unpicklable_leaf(child, path + suffix)
    return path, value
