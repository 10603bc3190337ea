"""`CombinedStreamingDataset`: several datasets streamed as one, each sample drawn from a dataset picked at random."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from litdata.streaming.datasets.base import _BaseStreamingDatasetWrapper, _track
from litdata.streaming.datasets.dataset import StreamingDataset
from litdata.utilities.env import _WorkerEnv

_BATCHING_METHODS = ("stratified", "per_stream")


class CombinedStreamingDataset(_BaseStreamingDatasetWrapper):
    """Mix several `StreamingDataset` into one stream.

    Every worker draws, with ``random.Random(seed)``, which dataset serves the next sample (``"stratified"``) or
    the next ``batch_size`` samples (``"per_stream"``, so each batch comes from one dataset).

    Args:
        datasets: the datasets to mix.
        seed: seed of the draws; every epoch and every worker replays the same sequence of draws.
        weights: sampling weight of each dataset (normalised). Only with ``iterate_over_all=False``; by default each
            dataset is drawn in proportion to its length.
        iterate_over_all: stream every sample of every dataset, dropping exhausted datasets from the draw; when
            False the epoch ends as soon as a draw picks an exhausted dataset (and ``len()`` is undefined).
        batching_method: ``"stratified"`` or ``"per_stream"``.
        force_override_state_dict: resume from a state saved with other dataset options, adopting the current ones.
    """

    def __init__(
        self,
        datasets: list[StreamingDataset],
        seed: int = 42,
        weights: Sequence[float] | None = None,
        iterate_over_all: bool = True,
        batching_method: Literal["stratified", "per_stream"] = "stratified",
        force_override_state_dict: bool = False,
    ) -> None:
        super().__init__(datasets, force_override_state_dict)
        if batching_method not in _BATCHING_METHODS:
            raise ValueError(f"batching_method must be one of {_BATCHING_METHODS}, got {batching_method!r}.")
        if iterate_over_all and weights is not None:
            raise ValueError(
                "When `iterate_over_all` is True every sample is streamed and the weights follow the dataset "
                "lengths: pass `iterate_over_all=False` to sample with your own weights."
            )
        self._seed = seed
        self._iterate_over_all = iterate_over_all
        self._batching_method = batching_method
        self._weights = _normalise(weights, len(self._datasets)) if weights is not None else self._length_weights()

    def _length_weights(self) -> list[float]:
        lengths = [len(dataset) for dataset in self._datasets]
        total = sum(lengths)
        return [length / total if total else 1 / len(lengths) for length in lengths]

    def get_len(self, num_workers: int, batch_size: int | Sequence[int]) -> int | None:
        """Samples of every dataset on this rank with ``iterate_over_all``, else None (no fixed length)."""
        if not self._iterate_over_all:
            return None
        return sum(self._child_len(index, num_workers, batch_size) for index in range(len(self._datasets)))

    def __iter__(self) -> Iterator[Any]:
        worker = _WorkerEnv.detect().rank
        restoring = self._num_samples_yielded is not None
        consumed = (self._num_samples_yielded or {}).get(worker, [0] * len(self._datasets))
        epoch = self._current_epoch if restoring else None
        iterators = [self._iterate_child(index, epoch, skip) for index, skip in enumerate(consumed)]
        draws = _Draws(self._weights, self._seed, self.batch_size if self._batching_method == "per_stream" else None)
        draws.replay(consumed, self._iterate_over_all)
        return _CombinedIterator(self, iterators, draws, worker, consumed)


class _Draws:
    """The sequence of dataset picks of one worker.

    Stratified (``run_length=None``): one weighted draw per sample. Per stream: a pick serves ``run_length``
    samples (one batch) and the next pick is redrawn until it differs from the current dataset.
    """

    def __init__(self, weights: Sequence[float], seed: int, run_length: int | Sequence[int] | None) -> None:
        self._rng = random.Random(seed)
        self._weights = list(weights)
        self.active = list(range(len(weights)))
        self._run_length = run_length
        self._current = -1
        self._run_left = 0

    def next(self) -> int:
        """The dataset that serves the next sample."""
        if self._run_length is None:
            return self._draw()
        if self._run_left == 0:
            previous, self._current = self._current, self._draw()
            while self._current == previous and len(self.active) > 1:
                self._current = self._draw()
            length = self._run_length
            self._run_left = length if isinstance(length, int) else length[self._current]
        self._run_left -= 1
        return self._current

    def _draw(self) -> int:
        if len(self.active) == 1:
            return self.active[0]
        weights = [self._weights[index] for index in self.active]
        return self._rng.choices(self.active, weights=weights)[0]

    def drop(self, index: int) -> None:
        """Remove an exhausted dataset; the others' weights are renormalised and a new pick follows."""
        self.active.remove(index)
        total = sum(self._weights[other] for other in self.active)
        for other in self.active:
            self._weights[other] = self._weights[other] / total if total else 1 / len(self.active)
        self._run_left = 0

    def replay(self, consumed: Sequence[int], iterate_over_all: bool) -> None:
        """Advance to where a worker that served ``consumed[i]`` samples of each dataset i stood.

        A pick of a dataset whose count is already reached means it was found exhausted there (it would have
        served one more sample otherwise), so it is dropped exactly as the original run dropped it.
        """
        counts = [0] * len(consumed)
        remaining = sum(consumed)
        while remaining:
            index = self.next()
            if counts[index] == consumed[index]:
                if not iterate_over_all:
                    raise ValueError("The state holds more samples than this stream can serve before it stops.")
                self.drop(index)
                continue
            counts[index] += 1
            remaining -= 1


class _CombinedIterator(Iterator[Any]):
    """One worker's stream of a `CombinedStreamingDataset`."""

    tracked = False  # set by a loader's batch stream: yield `_Tracked` records

    def __init__(
        self,
        owner: CombinedStreamingDataset,
        iterators: list[Iterator[Any]],
        draws: _Draws,
        worker: int,
        consumed: Sequence[int],
    ) -> None:
        self._owner = owner
        self._iterators = iterators
        self._draws = draws
        self._worker = worker
        self._counts = list(consumed)
        self._done = False

    def __next__(self) -> Any:
        while not self._done and self._draws.active:
            index = self._draws.next()
            try:
                sample = next(self._iterators[index])
            except StopIteration:
                if not self._owner._iterate_over_all:
                    break
                self._draws.drop(index)
                continue
            self._counts[index] += 1
            return _track(self.tracked, sample, self._worker, self._counts)
        self._done = True
        raise StopIteration


def _normalise(weights: Sequence[float], num_datasets: int) -> list[float]:
    if len(weights) != num_datasets:
        raise ValueError(f"Pass one weight per dataset: got {len(weights)} weights for {num_datasets} datasets.")
    if any(weight < 0 for weight in weights) or sum(weights) <= 0:
        raise ValueError(f"Weights must be non-negative with a positive sum, got {list(weights)}.")
    total = sum(weights)
    return [weight / total for weight in weights]
