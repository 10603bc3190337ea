"""`ParallelStreamingDataset`: several datasets streamed side by side, one sample of each per item."""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from litdata.streaming.datasets.base import _BaseStreamingDatasetWrapper, _int_keys, _track
from litdata.streaming.datasets.dataset import StreamingDataset
from litdata.utilities.env import _WorkerEnv

Transform = Callable[..., Any]


class ParallelStreamingDataset(_BaseStreamingDatasetWrapper):
    """Zip several `StreamingDataset`: every item is a tuple with the next sample of each dataset.

    Args:
        datasets: the datasets to zip.
        length: samples per epoch on this rank. ``None``: stop at the shortest dataset. An int or
            ``float("inf")``: restart (cycle) every dataset that runs out, each restart being a new epoch of that
            dataset (reshuffled when it shuffles).
        force_override_state_dict: resume from a state saved with other dataset options, adopting the current ones.
        transform: ``transform(samples)`` or ``transform(samples, rngs)`` applied to each tuple; ``rngs`` holds
            seeded ``"random"`` (`random.Random`), ``"numpy"`` (`numpy.random.Generator`) and ``"torch"``
            (`torch.Generator`) generators, reseeded at every batch from the position in each dataset, so a resumed
            run draws the same numbers as an uninterrupted one.
        seed: seed of the transform generators.
        resume: with ``length`` set, continue each epoch where the previous one stopped in every dataset (else
            every epoch starts the datasets over, serving the same samples).
        reset_rngs: make the generators depend on the dataset positions only, not on the epoch.
    """

    _cycles_in_state = True
    _epoch_fields = (*_BaseStreamingDatasetWrapper._epoch_fields, "_num_cycles")

    def __init__(
        self,
        datasets: list[StreamingDataset],
        length: int | float | None = None,
        force_override_state_dict: bool = False,
        transform: Transform | None = None,
        seed: int = 42,
        resume: bool = True,
        reset_rngs: bool = False,
    ) -> None:
        super().__init__(datasets, force_override_state_dict)
        is_int = isinstance(length, (int, np.integer)) and not isinstance(length, bool)
        if not (length is None or (is_int and length >= 0) or length == float("inf")):
            raise ValueError(f"`length` must be `None`, a non-negative integer, or `float('inf')`, got {length!r}.")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, got {transform!r}.")
        self._length = int(length) if isinstance(length, (int, np.integer)) else length  # bools were refused above
        self._transform = transform
        self._transform_nargs = _positional_arity(transform) if transform is not None else None
        self._seed = seed
        self._reset_rngs = reset_rngs
        self.resume = resume
        self._num_cycles: dict[int, list[int]] | None = None

    def is_cycling(self) -> bool:
        """Whether datasets restart when they run out (``length`` is set)."""
        return self._length is not None

    def is_infinite(self) -> bool:
        return self._length == float("inf")

    def get_len(self, num_workers: int, batch_size: int | Sequence[int]) -> int | None:
        """``length``, the shortest dataset's length when it is None, or None for an infinite stream."""
        if self._length is None:
            return min(self._child_len(index, num_workers, batch_size) for index in range(len(self._datasets)))
        return None if self.is_infinite() else int(self._length)

    def get_all_lens(self) -> list[int]:
        """The length of every dataset on this rank."""
        return [self._child_len(index, self.num_workers, self.batch_size) for index in range(len(self._datasets))]

    # ---------------------------------------------------------------- state
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._num_cycles = _int_keys(state_dict.get("num_cycles") or {})
        self._samples_in_epoch = int(state_dict["dataset"]["0"]["num_samples_yielded"])

    def reset_state_dict(self) -> None:
        super().reset_state_dict()
        self._num_cycles = None

    def _children_num_samples_yielded(self, per_worker: dict[int, list[int]], samples_in_epoch: int) -> list[int]:
        # every item takes one sample of each dataset: each child served this epoch's sample count
        return [samples_in_epoch] * len(self._datasets)

    def _continue_from(self, num_samples_yielded: dict[int, list[int]], num_cycles: dict[int, list[int]]) -> bool:
        """Start the next epoch at every worker's current position (``resume=True`` with a ``length``)."""
        if not (self.resume and self.is_cycling()):
            return False
        self._num_samples_yielded = {worker: list(counts) for worker, counts in num_samples_yielded.items()}
        self._num_cycles = {worker: list(cycles) for worker, cycles in num_cycles.items()}
        self._samples_in_epoch = 0
        return True

    # ---------------------------------------------------------------- iteration (in each worker)
    def __iter__(self) -> Iterator[Any]:
        worker_env = _WorkerEnv.detect()
        worker, num_workers = worker_env.rank, worker_env.world_size
        count = len(self._datasets)
        positions = (self._num_samples_yielded or {}).get(worker, [0] * count)
        cycles = (self._num_cycles or {}).get(worker, [0] * count)
        if self.is_cycling():
            epochs: list[int | None] = [1 + cycle for cycle in cycles]
        else:
            epochs = [self._current_epoch if self._num_samples_yielded is not None else None] * count
        iterators = [self._iterate_child(index, epochs[index], positions[index]) for index in range(count)]
        served, budget = self._worker_budget(worker, num_workers)
        global_worker = self._datasets[0].distributed_env.global_rank * num_workers + worker
        return _ParallelIterator(self, iterators, positions, cycles, worker, global_worker, served, budget)

    def _worker_budget(self, worker: int, num_workers: int) -> tuple[int, float | None]:
        """Samples this worker already served this epoch, and how many it serves in total (None: until the
        shortest dataset runs out)."""
        if self._length is None:
            return 0, None
        if self.is_infinite():
            shares: list[float] = [math.inf] * num_workers
        else:
            base, extra = divmod(int(self._length), num_workers)
            shares = [base + (index < extra) for index in range(num_workers)]
        batch_size = self.batch_size if isinstance(self.batch_size, int) else 1
        served = _round_robin_split(self._samples_in_epoch, shares, batch_size)
        return served[worker], shares[worker]

    def _restart_child(self, index: int, cycles: int) -> Iterator[Any]:
        return self._iterate_child(index, 1 + cycles, 0)

    def _rngs(self, global_worker: int, positions: Sequence[int], cycles: Sequence[int]) -> dict[str, Any]:
        epoch = 0 if self._reset_rngs else self._current_epoch
        entropy = [value % 2**64 for value in (self._seed, global_worker, epoch, *cycles, *positions)]
        seeds = np.random.SeedSequence(entropy).generate_state(3, dtype=np.uint64)
        generator = torch.Generator()
        generator.manual_seed(int(seeds[2]) % 2**63)
        return {
            "random": random.Random(int(seeds[0])),
            "numpy": np.random.default_rng(int(seeds[1])),
            "torch": generator,
        }


class _ParallelIterator(Iterator[Any]):
    """One worker's stream of a `ParallelStreamingDataset`."""

    tracked = False  # set by a loader's batch stream: yield `_Tracked` records

    def __init__(
        self,
        owner: ParallelStreamingDataset,
        iterators: list[Iterator[Any]],
        positions: Sequence[int],
        cycles: Sequence[int],
        worker: int,
        global_worker: int,
        served: int,
        budget: float | None,
    ) -> None:
        self._owner = owner
        self._iterators = iterators
        self._positions = list(positions)
        self._cycles = list(cycles)
        self._worker = worker
        self._global_worker = global_worker
        self._served = served
        self._budget = budget
        self._rngs: dict[str, Any] | None = None
        batch_size = owner.batch_size
        self._batch_size = batch_size if isinstance(batch_size, int) else 1
        self._done = False

    def __next__(self) -> Any:
        if self._done or (self._budget is not None and self._served >= self._budget):
            self._done = True
            raise StopIteration
        if self._owner._transform_nargs == 2 and self._served % self._batch_size == 0:
            self._rngs = self._owner._rngs(self._global_worker, self._positions, self._cycles)
        samples = []
        for index in range(len(self._iterators)):
            try:
                samples.append(self._next_sample(index))
            except StopIteration:
                self._done = True
                raise
        self._served += 1
        sample = self._transform(tuple(samples))
        return _track(self.tracked, sample, self._worker, self._positions, self._cycles)

    def _next_sample(self, index: int) -> Any:
        try:
            sample = next(self._iterators[index])
        except StopIteration:
            if not self._owner.is_cycling():
                raise
            self._cycles[index] += 1
            self._positions[index] = 0
            self._iterators[index] = self._owner._restart_child(index, self._cycles[index])
            sample = next(self._iterators[index])  # still nothing: this worker holds no item of the dataset
        self._positions[index] += 1
        return sample

    def _transform(self, samples: tuple[Any, ...]) -> Any:
        transform = self._owner._transform
        if transform is None:
            return samples
        if self._owner._transform_nargs == 2:
            return transform(samples, self._rngs)
        return transform(samples)


def _positional_arity(transform: Transform) -> int:
    """2 when ``transform`` accepts ``(samples, rngs)``, 1 for ``(samples)``; other arities are refused."""
    try:
        parameters = inspect.signature(transform).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(parameter.kind is inspect.Parameter.VAR_POSITIONAL for parameter in parameters):
        return 2
    count = sum(parameter.kind in kinds for parameter in parameters)
    if count not in (1, 2):
        raise ValueError(f"transform function must take 1 or 2 arguments, got {count} instead.")
    return count


def _round_robin_split(total: int, shares: Sequence[float], batch_size: int) -> list[int]:
    """Samples each worker had served after a loader took ``total`` samples from them: batches in turn from
    worker 0, skipping workers that served their ``shares``."""
    served = [0] * len(shares)
    worker = 0
    while total > 0 and any(done < share for done, share in zip(served, shares)):
        if served[worker] < shares[worker]:
            taken = int(min(batch_size, shares[worker] - served[worker], total))
            served[worker] += taken
            total -= taken
        worker = (worker + 1) % len(shares)
    return served
