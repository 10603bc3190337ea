"""`StreamingDataLoader`: a torch DataLoader that tells its dataset about batches, workers and epochs, and
checkpoints how far an epoch went."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data._utils.collate import default_collate
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter

from litdata.streaming.dataset import StreamingDataset


def _collate_leaves(batch: list[Any]) -> Any:
    elem = batch[0]
    if isinstance(elem, memoryview):
        return [bytes(x) for x in batch]
    if isinstance(elem, (torch.Tensor, int, float, bool, str, bytes)) or type(elem).__module__ == "numpy":
        return default_collate(batch)
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
        return type(elem)(*(litdata_collate(list(field)) for field in zip(*items)))
    if isinstance(elem, (list, tuple)):
        if any(len(item) != len(elem) for item in items):
            return list(items)
        return [litdata_collate(list(field)) for field in zip(*items)]
    return _collate_leaves(items)


class _ResumableMultiProcessingIter(_MultiProcessingDataLoaderIter):
    """torch's worker iterator whose round-robin over workers can start at a given worker (to resume an epoch)."""

    def _reset(self, loader: StreamingDataLoader, first_iter: bool = False) -> None:
        self._first_worker = loader._take_first_worker()
        super()._reset(loader, first_iter)

    def _try_put_index(self) -> None:
        if self._first_worker is not None:
            k, start = self._num_workers, self._first_worker
            self._worker_queue_idx_cycle = itertools.cycle([(start + i) % k for i in range(k)])
            self._first_worker = None
        super()._try_put_index()


class StreamingDataLoader(DataLoader):
    """A DataLoader for `StreamingDataset` with epoch tracking and resumable state.

    ``shuffle`` and ``drop_last`` are forwarded to the dataset (they decide its item assignment), not to torch.
    """

    def __init__(
        self,
        dataset: StreamingDataset,
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
        if not isinstance(dataset, StreamingDataset) and not hasattr(dataset, "set_epoch"):
            raise RuntimeError(
                "StreamingDataLoader only supports streaming datasets (StreamingDataset, CombinedStreamingDataset, "
                f"ParallelStreamingDataset); got {type(dataset).__name__}. Use torch.utils.data.DataLoader for others."
            )
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
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        super().__init__(
            dataset,
            *args,
            batch_size=batch_size,
            num_workers=num_workers,
            prefetch_factor=prefetch_factor,
            collate_fn=collate_fn or litdata_collate,
            **kwargs,
        )

    def _get_iterator(self) -> Any:
        if self.num_workers > 0:
            return _ResumableMultiProcessingIter(self)
        return super()._get_iterator()

    def _take_first_worker(self) -> int | None:
        first, self._first_worker = self._first_worker, None
        return first

    def __iter__(self) -> Iterator[Any]:
        if self.restore:
            self._worker_counter = self._latest_worker_idx + 1
            self._first_worker = self._worker_counter % max(1, self.num_workers)
        else:
            self.current_epoch += 1
            self.num_samples_yielded = 0
            self._worker_counter = 0
            self._latest_worker_idx = 0
            self.dataset.reset_state_dict()
        self.dataset.set_epoch(self.current_epoch)
        workers = max(1, self.num_workers)
        for batch in super().__iter__():
            self._latest_worker_idx = self._worker_counter % workers
            self._worker_counter += 1
            self.num_samples_yielded += self.batch_size
            yield batch
        self.restore = False

    def state_dict(self) -> dict[str, Any]:
        """Where this epoch stands: dataset state, epoch, samples yielded, last worker used."""
        return {
            "dataset": self.dataset.state_dict(self.num_samples_yielded, self.num_workers, self.batch_size),
            "current_epoch": self.current_epoch,
            "num_samples_yielded": self.num_samples_yielded,
            "latest_worker_idx": self._latest_worker_idx,
        }

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        """Continue from a `state_dict`: the next iteration resumes the saved epoch where it stopped."""
        self.current_epoch = obj["current_epoch"]
        self.num_samples_yielded = obj["num_samples_yielded"]
        self._latest_worker_idx = obj["latest_worker_idx"]
        self.dataset.load_state_dict(obj["dataset"])
        resumes_elastically = getattr(self.dataset, "resumes_elastically", None)
        if resumes_elastically is not None and resumes_elastically(self.num_workers, self.batch_size):
            # another topology: the dataset re-deals the rest of the epoch; count this run's batches from zero
            self.num_samples_yielded, self._latest_worker_idx, self.restore = 0, -1, True
            return
        self.restore = 0 < self.num_samples_yielded < len(self.dataset)
        if not self.restore:
            self.dataset.reset_state_dict()
