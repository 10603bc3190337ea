"""`StreamingDataLoader`: a torch DataLoader that tells its dataset about batches, workers and epochs, and
checkpoints how far an epoch went."""

from __future__ import annotations

import itertools
import multiprocessing
import numbers
import os
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from torch.utils.data import DataLoader

from litdata.debugger import CAT_BATCH, CAT_EPOCH, emit_trace, is_tracing
from litdata.streaming.datasets.base import _BaseStreamingDatasetWrapper, _int_keys, _TrackedBatch
from litdata.streaming.datasets.dataset import StreamingDataset
from litdata.streaming.loading.batch_stream import BatchStream, _same
from litdata.streaming.loading.epoch_plan import PlanningIndexQueue, take_plan
from litdata.streaming.loading.torch_internals import single_process_iterator, worker_iterator
from litdata.streaming.loading.worker_buffers import ReleasingIndexQueue, slot_registry
from litdata.utilities.profiler import (
    TRACE_FILENAME,
    CProfileDump,
    ProfilingCollate,
    WorkerProfiling,
    active_recorder,
    start_recording,
)


class _LoaderOverStream:
    """The loader as torch's iterators see it: its settings, with its `BatchStream` as the dataset."""

    def __init__(self, loader: StreamingDataLoader) -> None:
        self._loader = loader
        self.dataset = loader._stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _check_loader_arguments(
    dataset: Any, batch_size: Any, num_workers: int, profile_batches: bool | int, profile_cprofile: bool
) -> None:
    """Refuse what the loader cannot run, naming the fix."""
    if not isinstance(dataset, (StreamingDataset, _BaseStreamingDatasetWrapper)):
        raise RuntimeError(
            "StreamingDataLoader only supports streaming datasets (StreamingDataset, CombinedStreamingDataset, "
            f"ParallelStreamingDataset); got {type(dataset).__name__}. Use torch.utils.data.DataLoader for others."
        )
    if profile_batches and profile_cprofile:
        raise ValueError(
            "`profile_batches` (viztracer) and `profile_cprofile` both install a profiler; enable only one of them."
        )
    if profile_batches and num_workers == 0:
        raise ValueError(
            "Profiling is supported only with num_workers >= 1. (profile_batches traces DataLoader worker 0.)"
        )
    if not _is_positive_integer(batch_size):
        raise ValueError(
            f"StreamingDataLoader needs a positive integer batch_size, got {batch_size!r}; for one sample at a "
            "time use batch_size=1 (LitData's loader always batches; it fails on batch_size=None too)."
        )


def _is_positive_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 1


class _WorkerHooks:
    """What the loader adds to torch's worker iterator: each epoch may start at a given worker (to resume one);
    batch requests tell a worker which of its shared buffers it may fill again, and a persistent worker's next epoch
    starts with the loader's plan of it; workers take over the buffers of the ones before them (``inherited``:
    worker id -> storages, when they are forked) and leave theirs to the next ones."""

    def __init__(self, loader: StreamingDataLoader, inherited: dict[int, list[Any]]) -> None:
        self._loader = weakref.ref(loader)  # the loader holds the iterator: no cycle, workers stop once it is dropped
        self._stream = loader._stream
        self._inherited = inherited

    def first_worker(self) -> int | None:
        loader = self._loader()
        return loader._take_first_worker() if loader is not None else None

    def started(self, worker_id: int, pid: int, index_queue: Any) -> Any:
        slot_registry.adopt(pid, self._inherited.get(worker_id, []))
        return PlanningIndexQueue(ReleasingIndexQueue(index_queue, pid), self._stream)

    def stopped(self, worker_id: int, pid: int) -> None:
        slot_registry.retire(worker_id, pid)


class StreamingDataLoader(DataLoader):
    """A DataLoader for `StreamingDataset`, `CombinedStreamingDataset` and `ParallelStreamingDataset` with epoch
    tracking and a resumable `state_dict`.

    ``shuffle`` and ``drop_last`` are forwarded to the dataset (they decide its item assignment), not to torch.

    Args:
        profile_batches: record a Chrome trace (``result.json`` in ``profile_dir``) of this many batches (True:
            all of them) in worker 0 (needs ``num_workers >= 1``): fetch, per-sample and collate spans.
        profile_skip_batches: batches to let pass before recording.
        profile_dir: where profiles are written (default: the current directory; created if missing).
        profile_cprofile: cProfile the main process and worker 0 (``cprofile_main.*``, ``cprofile_worker0.*``);
            not together with ``profile_batches``.

    With workers, a batch arrives in one of a few shared-memory buffers its worker refills (no copy, no new segment
    per batch); a buffer is refilled only once nothing in the training process is left of the batch lent from it
    (tensor, view, storage, ``.numpy()``), and never when the process forked while the batch was alive.

    Batches are built by a `BatchStream` the loader owns (torch runs with ``batch_size=None`` over it): the dataset
    yields plain samples whether or not a loader is attached.
    """

    dataset: StreamingDataset | _BaseStreamingDatasetWrapper
    batch_size: int  # torch's is Optional: here it is always the loader's batch size

    def __init__(
        self,
        dataset: StreamingDataset | _BaseStreamingDatasetWrapper,
        *args: Any,
        batch_size: int = 1,
        num_workers: int = 0,
        profile_batches: bool | int = False,
        profile_skip_batches: int = 0,
        profile_dir: str | None = None,
        profile_cprofile: bool = False,
        prefetch_factor: int | None = None,
        shuffle: bool | None = None,
        drop_last: bool | None = None,
        collate_fn: Callable | None = None,
        **kwargs: Any,
    ) -> None:
        _check_loader_arguments(dataset, batch_size, num_workers, profile_batches, profile_cprofile)
        if shuffle is not None:
            dataset.set_shuffle(shuffle)
        if drop_last is not None:
            dataset.set_drop_last(drop_last)
        dataset.set_batch_size(batch_size)
        dataset.set_num_workers(num_workers)
        self.current_epoch = 0
        self.batch_size = batch_size
        self.num_samples_yielded = 0
        self._latest_worker_idx = 0
        self._worker_counter = 0
        self._first_worker: int | None = None
        self.restore = False
        self._num_samples_yielded_wrapper: dict[int, list[int]] = {}
        self._num_cycles: dict[int, list[int]] = {}

        self._profile_dir = os.path.abspath(profile_dir or os.getcwd())
        self._profile_skip_batches = profile_skip_batches
        collate = self._set_up_profiling(collate_fn, num_workers, profile_batches, profile_cprofile, kwargs)
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        self._stream = BatchStream(dataset, batch_size, num_workers, collate)
        super().__init__(  # type: ignore[misc]  # LitData's signature: extra positional args reach torch as given
            dataset,
            *args,
            batch_size=None,
            num_workers=num_workers,
            prefetch_factor=prefetch_factor,
            collate_fn=_same,  # the stream yields batches
            **kwargs,
        )
        object.__setattr__(self, "batch_size", batch_size)  # torch forbids setting it after __init__

    def _set_up_profiling(
        self,
        collate: Callable | None,
        num_workers: int,
        profile_batches: bool | int,
        profile_cprofile: bool,
        kwargs: dict[str, Any],
    ) -> Callable | None:
        """Arm the profilers asked for (a worker's go through ``kwargs["worker_init_fn"]``); the collate to use."""
        if profile_batches or profile_cprofile:
            os.makedirs(self._profile_dir, exist_ok=True)
        self._trace_pending = bool(profile_batches)  # the Chrome trace covers the first epoch
        self._trace_batches = None if profile_batches is True else int(profile_batches)  # None: all of them
        if self._trace_pending:  # samples one by one, so that each one's fetch is timed
            from litdata.streaming.loading.collate import litdata_collate

            collate = ProfilingCollate(collate or litdata_collate)
        self._cprofile_main = CProfileDump(self._profile_dir, "main") if profile_cprofile else None
        self._worker_profiling: WorkerProfiling | None = None
        if num_workers > 0 and (self._trace_pending or profile_cprofile):
            self._worker_profiling = WorkerProfiling(
                kwargs.pop("worker_init_fn", None),
                self._profile_dir,
                self._trace_batches,
                self._profile_skip_batches,
                trace=self._trace_pending,
                cprofile=profile_cprofile,
            )
            kwargs["worker_init_fn"] = self._worker_profiling
        return collate

    def _get_iterator(self) -> Any:  # torch's DataLoader asks for its iterator here
        if self.num_workers == 0:
            return single_process_iterator(_LoaderOverStream(self))
        stream = self._stream
        forks = (self.multiprocessing_context or multiprocessing.get_context()).get_start_method() == "fork"
        inherited = stream.inherited_slots = slot_registry.take_cached() if forks else {}
        try:  # the workers start here: each forked one inherits its predecessor's slots
            return worker_iterator(_LoaderOverStream(self), _WorkerHooks(self, inherited))
        finally:
            stream.inherited_slots = {}

    def _take_first_worker(self) -> int | None:
        first, self._first_worker = self._first_worker, None
        return first

    # ---------------------------------------------------------------- iteration
    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]  # a generator over torch's iterator, as in LitData
        """One epoch; after `load_state_dict`, the rest of the saved epoch.

        A loaded state serves one iteration only: the next one starts a new epoch even if the resumed one was left
        before its end (Lightning stops an epoch after its batch count without asking the loader for more).
        """
        restoring, self.restore = self.restore, False
        yielded = 0
        for batch in self._iterate_epoch(restoring):
            yielded += 1
            yield batch
        if restoring and not yielded:  # the restored epoch had already ended: go on with the next one
            yield from self.__iter__()

    def _iterate_epoch(self, restoring: bool) -> Iterator[Any]:
        if restoring:
            self._worker_counter = self._latest_worker_idx + 1
            self._first_worker = self._worker_counter % max(1, self.num_workers)
        else:
            self._start_epoch()
        self.dataset.set_epoch(self.current_epoch)
        self._stream.plan = take_plan(self.dataset)  # what every worker (or the training process) streams
        self._start_profiling()
        tracing = is_tracing(CAT_BATCH)
        emit_trace("dataloader", "B", CAT_EPOCH, epoch=self.current_epoch)
        try:
            iterator = super().__iter__()
            for index in itertools.count():
                if tracing:
                    emit_trace("batch", "B", CAT_BATCH, batch=index, epoch=self.current_epoch)
                try:
                    batch = next(iterator)
                except StopIteration:
                    break
                finally:
                    if tracing:
                        emit_trace("batch", "E", CAT_BATCH, batch=index, epoch=self.current_epoch)
                yield self._record(batch)
        finally:
            emit_trace("dataloader", "E", CAT_EPOCH, epoch=self.current_epoch)
            self._stop_profiling()

    def _start_epoch(self) -> None:
        self.current_epoch += 1
        self.num_samples_yielded = 0
        self._worker_counter = 0
        self._latest_worker_idx = 0
        dataset = self.dataset
        if (
            isinstance(dataset, _BaseStreamingDatasetWrapper)
            and self._num_samples_yielded_wrapper
            and dataset._continue_from(self._num_samples_yielded_wrapper, self._num_cycles)
        ):
            return
        self._num_samples_yielded_wrapper, self._num_cycles = {}, {}
        dataset.reset_state_dict()

    def _record(self, batch: Any) -> Any:
        """Count a yielded batch; a wrapper's batch also tells where its worker stands."""
        if isinstance(batch, _TrackedBatch):
            self._num_samples_yielded_wrapper[batch.worker] = list(batch.num_samples_yielded)
            if batch.num_cycles is not None:
                self._num_cycles[batch.worker] = list(batch.num_cycles)
            self._latest_worker_idx = batch.worker
            self.num_samples_yielded += batch.size
            return batch.batch
        self._latest_worker_idx = self._worker_counter % max(1, self.num_workers)
        self._worker_counter += 1
        self.num_samples_yielded += self.batch_size
        return batch

    # ---------------------------------------------------------------- profiling
    def _start_profiling(self) -> None:
        """The Chrome trace covers the first epoch; cProfile accumulates over every epoch."""
        if self._trace_pending and self.num_workers == 0:
            path = os.path.join(self._profile_dir, TRACE_FILENAME)
            start_recording(path, self._profile_skip_batches, self._trace_batches)
        if self._cprofile_main is not None:
            self._cprofile_main.profile.enable()

    def _stop_profiling(self) -> None:
        recorder = active_recorder()
        if self._trace_pending and recorder is not None and self.num_workers == 0:
            recorder.finish()
        self._trace_pending = False
        if self._worker_profiling is not None:
            self._worker_profiling.trace = False
        if self._cprofile_main is not None:
            self._cprofile_main.profile.disable()
            self._cprofile_main.dump()

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """Where this epoch stands: dataset state, epoch, samples yielded, last worker used."""
        dataset = self.dataset
        if not isinstance(dataset, _BaseStreamingDatasetWrapper):
            return {
                "dataset": dataset.state_dict(self.num_samples_yielded, self.num_workers, self.batch_size),
                "current_epoch": self.current_epoch,
                "num_samples_yielded": self.num_samples_yielded,
                "latest_worker_idx": self._latest_worker_idx,
            }
        per_worker = {worker: list(counts) for worker, counts in self._num_samples_yielded_wrapper.items()}
        counts = dataset._children_num_samples_yielded(per_worker, self.num_samples_yielded)
        state = {
            "dataset": dataset.state_dict(self.num_workers, self.batch_size, counts),
            "current_epoch": self.current_epoch,
            "latest_worker_idx": self._latest_worker_idx,
            "num_samples_yielded": per_worker,
        }
        if dataset._cycles_in_state:
            state["num_cycles"] = {worker: list(cycles) for worker, cycles in self._num_cycles.items()}
        return state

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        """Continue from a `state_dict`: the next iteration resumes the saved epoch where it stopped."""
        self.current_epoch = obj["current_epoch"]
        self._latest_worker_idx = obj["latest_worker_idx"]
        dataset = self.dataset
        if isinstance(dataset, _BaseStreamingDatasetWrapper):
            self._load_wrapper_state(obj)
            return
        self.num_samples_yielded = obj["num_samples_yielded"]
        self.dataset.load_state_dict(obj["dataset"])
        resumes_elastically = getattr(self.dataset, "resumes_elastically", None)
        if resumes_elastically is not None and resumes_elastically(self.num_workers, self.batch_size):
            # another topology: the dataset re-deals the rest of the epoch; count this run's batches from zero
            self.num_samples_yielded, self._latest_worker_idx, self.restore = 0, -1, True
            return
        self.restore = 0 < self.num_samples_yielded < len(dataset)
        if not self.restore:
            self.dataset.reset_state_dict()

    def _load_wrapper_state(self, obj: dict[str, Any]) -> None:
        dataset = self.dataset
        assert isinstance(dataset, _BaseStreamingDatasetWrapper)  # called for wrappers only
        dataset.load_state_dict(obj)
        self._check_topology(dataset)
        self._num_samples_yielded_wrapper = _int_keys(obj.get("num_samples_yielded") or {})
        self._num_cycles = _int_keys(obj.get("num_cycles") or {})
        self.num_samples_yielded = dataset._samples_in_epoch
        length = dataset.get_len(self.num_workers, self.batch_size)
        self.restore = self.num_samples_yielded > 0 and (length is None or self.num_samples_yielded < length)

    def _check_topology(self, dataset: _BaseStreamingDatasetWrapper) -> None:
        saved = dataset._loaded_topology()
        current = (dataset._datasets[0].distributed_env.world_size, max(1, self.num_workers), self.batch_size)
        if saved is not None and saved != current:
            names = ("world_size", "num_workers", "batch_size")
            diff = ", ".join(f"{n} {s} -> {c}" for n, s, c in zip(names, saved, current) if s != c)
            raise ValueError(
                f"{type(dataset).__name__} resumes only on the topology it was saved with ({diff}): use the same "
                "world size, num_workers and batch_size as the checkpoint."
            )
