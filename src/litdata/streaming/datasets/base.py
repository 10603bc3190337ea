"""`_BaseStreamingDatasetWrapper`: what `CombinedStreamingDataset` and `ParallelStreamingDataset` share.

A wrapper streams several `StreamingDataset` children. Iterated by a `StreamingDataLoader` (whose batch stream sets
``tracked`` on the wrapper's iterator, never on the dataset), it yields every sample as a `_Tracked` record carrying where its worker stands in each child; `_TrackedCollate` collates the samples and keeps
the last record's position, so the loader can checkpoint every worker exactly (`num_samples_yielded` per worker).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from torch.utils.data import IterableDataset

from litdata.streaming.datasets.dataset import StreamingDataset


class _Tracked(NamedTuple):
    """A sample and its worker's position: items served per child (and child epochs cycled, for parallel)."""

    sample: Any
    worker: int
    num_samples_yielded: list[int]
    num_cycles: list[int] | None = None


class _TrackedBatch(NamedTuple):
    """A collated batch of ``size`` samples and the position of the worker that produced it, after its last
    sample."""

    batch: Any
    size: int
    worker: int
    num_samples_yielded: list[int]
    num_cycles: list[int] | None = None


class _TrackedCollate:
    """Collate the samples of `_Tracked` records with ``collate_fn``, which sees plain samples only."""

    def __init__(self, collate_fn: Callable[[Any], Any]) -> None:
        self.collate_fn = collate_fn

    def __call__(self, items: list[_Tracked]) -> _TrackedBatch:
        return _TrackedBatch(self.collate_fn([item.sample for item in items]), len(items), *items[-1][1:])


class _BaseStreamingDatasetWrapper(IterableDataset, ABC):
    """Several `StreamingDataset` children behind one iterable: setters are forwarded to every child, and the
    state is one child state per dataset plus every worker's position in each child."""

    _cycles_in_state = False  # whether the loader state has a `num_cycles` entry
    # what a loader's `EpochPlan` carries (the children's own fields come with it)
    _epoch_fields: tuple[str, ...] = ("_current_epoch", "_child_states", "_num_samples_yielded", "_samples_in_epoch")

    def __init__(self, datasets: Sequence[StreamingDataset], force_override_state_dict: bool = False) -> None:
        self._check_datasets(datasets)
        self._datasets = list(datasets)
        self._force_override_state_dict = force_override_state_dict
        if force_override_state_dict:
            for dataset in self._datasets:
                dataset.force_override_state_dict = True
        self._current_epoch = 0
        self.num_workers = 1
        self.batch_size: int | Sequence[int] = 1
        self._child_states: list[dict[str, Any]] | None = None
        self._num_samples_yielded: dict[int, list[int]] | None = None
        self._samples_in_epoch = 0

    @staticmethod
    def _check_datasets(datasets: Sequence[StreamingDataset]) -> None:
        if not datasets:
            raise ValueError("Pass at least one StreamingDataset.")
        if not all(isinstance(dataset, StreamingDataset) for dataset in datasets):
            raise RuntimeError("The provided datasets should be instances of the StreamingDataset.")

    # ---------------------------------------------------------------- setters forwarded to the children
    def set_epoch(self, current_epoch: int) -> None:
        self._current_epoch = current_epoch
        for dataset in self._datasets:
            dataset.set_epoch(current_epoch)

    def set_shuffle(self, shuffle: bool) -> None:
        for dataset in self._datasets:
            dataset.set_shuffle(shuffle)

    def set_drop_last(self, drop_last: bool) -> None:
        for dataset in self._datasets:
            dataset.set_drop_last(drop_last)

    def set_batch_size(self, batch_size: int | Sequence[int]) -> None:
        """One batch size for every child, or one per child."""
        self.batch_size = batch_size
        for index, dataset in enumerate(self._datasets):
            dataset.set_batch_size(self._child_batch_size(index))

    def set_num_workers(self, num_workers: int) -> None:
        self.num_workers = num_workers
        for dataset in self._datasets:
            dataset.set_num_workers(num_workers)

    def _child_batch_size(self, index: int, batch_size: int | Sequence[int] | None = None) -> int:
        batch_size = self.batch_size if batch_size is None else batch_size
        return batch_size if isinstance(batch_size, int) else batch_size[index]

    # ---------------------------------------------------------------- length
    @abstractmethod
    def get_len(self, num_workers: int, batch_size: int | Sequence[int]) -> int | None:
        """Samples this rank yields per epoch, or None when it has no fixed length."""

    def __len__(self) -> int | None:
        return self.get_len(self.num_workers, self.batch_size)

    def _child_len(self, index: int, num_workers: int, batch_size: int | Sequence[int]) -> int:
        return self._datasets[index].get_len(num_workers, self._child_batch_size(index, batch_size))

    # ---------------------------------------------------------------- state
    def state_dict(
        self, num_workers: int, batch_size: int, num_samples_yielded: list[int] | None = None
    ) -> dict[str, Any]:
        """One state per child (keys ``"0"``, ``"1"``, ...) after ``num_samples_yielded[i]`` items of child i."""
        if num_samples_yielded is None:
            return {}
        return {
            str(index): dataset.state_dict(num_samples_yielded[index], num_workers, self._child_batch_size(index))
            for index, dataset in enumerate(self._datasets)
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from a `StreamingDataLoader.state_dict()`: child states and every worker's position."""
        children = state_dict["dataset"]
        if len(children) != len(self._datasets):
            raise ValueError(
                f"The state holds {len(children)} datasets but this {type(self).__name__} has {len(self._datasets)}:"
                " it was saved for another combination of datasets."
            )
        self._child_states = [children[str(index)] for index in range(len(self._datasets))]
        self._current_epoch = state_dict["current_epoch"]
        self._num_samples_yielded = _int_keys(state_dict.get("num_samples_yielded") or {})
        self._samples_in_epoch = sum(sum(counts) for counts in self._num_samples_yielded.values())

    def reset_state_dict(self) -> None:
        self._child_states = None
        self._num_samples_yielded = None
        self._samples_in_epoch = 0
        for dataset in self._datasets:
            dataset.reset_state_dict()

    def _children_num_samples_yielded(self, per_worker: dict[int, list[int]], samples_in_epoch: int) -> list[int]:
        """The ``num_samples_yielded`` of each child state, from every worker's position."""
        totals = [0] * len(self._datasets)
        for counts in per_worker.values():
            totals = [total + count for total, count in zip(totals, counts)]
        return totals

    def _continue_from(self, num_samples_yielded: dict[int, list[int]], num_cycles: dict[int, list[int]]) -> bool:
        """Start the next epoch where every worker stopped, if this wrapper continues across epochs; returns whether
        it did (this base class starts every epoch from scratch)."""
        return False

    def _loaded_topology(self) -> tuple[int, int, int] | None:
        """``(world_size, num_workers, batch_size)`` of the loaded state, if any."""
        if not self._child_states:
            return None
        state = self._child_states[0]
        return state.get("world_size", 1), state.get("num_workers", 1), state.get("batch_size", 1)

    # ---------------------------------------------------------------- iteration helpers (run in each worker)
    def _iterate_child(self, index: int, epoch: int | None, skip: int) -> Iterator[Any]:
        """Iterate child ``index`` in this worker from its ``skip``-th item of ``epoch`` (None: its own epoch).

        A loaded child state is applied first, so a checkpoint of another dataset or seed is refused by the child.
        """
        dataset = self._datasets[index]
        state = self._child_states[index] if self._child_states is not None else None
        if state is not None:
            epoch = state["current_epoch"] if epoch is None else epoch
            dataset.load_state_dict({**state, "current_epoch": epoch, "num_samples_yielded": 0})
        elif epoch is not None:
            dataset.reset_state_dict()
            dataset.set_epoch(epoch)
        iterator = iter(dataset)
        skipped = iterator.skip(skip)
        if skipped < skip:
            raise ValueError(
                f"The state says this worker had read {skip} items of dataset {index}, but it holds only "
                f"{skipped}: the checkpoint belongs to another dataset or topology."
            )
        return iterator


def _track(tracked: bool, sample: Any, worker: int, counts: list[int], cycles: list[int] | None = None) -> Any:
    """The sample, or with ``tracked`` (a loader's batch stream iterates) its `_Tracked` record."""
    if not tracked:
        return sample
    return _Tracked(sample, worker, list(counts), None if cycles is None else list(cycles))


def _int_keys(mapping: dict[Any, list[int]]) -> dict[int, list[int]]:
    return {int(key): list(value) for key, value in mapping.items()}
