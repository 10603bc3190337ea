"""`train_test_split`: cut one `StreamingDataset` into disjoint subsets (train / validation / test ...)."""

from __future__ import annotations

import logging
from copy import deepcopy
from numbers import Real

import numpy as np

from litdata.streaming.datasets.dataset import StreamingDataset

logger = logging.getLogger("litdata.utilities.train_test_split")  # LitData 0.2.76's logger name


def train_test_split(
    streaming_dataset: StreamingDataset, splits: list[float], seed: int = 42, shuffle: bool = True
) -> list[StreamingDataset]:
    """Split ``streaming_dataset`` into ``len(splits)`` datasets that share no item.

    The dataset's chunks (or chunk regions, when it is subsampled) are put in a random order
    (``numpy.random.RandomState([seed])``, unless ``shuffle=False``), then split ``i`` takes the next
    ``int(len(dataset) * splits[i])`` items of that order; a chunk may be cut between two splits.

    Args:
        streaming_dataset: the dataset to split; it is left unchanged.
        splits: the fraction of the items each split gets, each in [0, 1], summing to at most 1 (a split of 0
            gives an empty dataset, with a logged warning).
        seed: seed of the chunk order.
        shuffle: put the chunks in a random order first (else the splits follow the dataset's chunk order).

    Returns:
        One copy of the dataset per split, restricted to its items.
    """
    if not isinstance(streaming_dataset, StreamingDataset):
        raise TypeError(f"train_test_split expects a StreamingDataset, got {type(streaming_dataset).__name__}.")
    if not splits:
        raise ValueError("Pass at least one split, e.g. splits=[0.8, 0.2].")
    for split in splits:
        if isinstance(split, bool) or not isinstance(split, Real) or not 0 <= split <= 1:
            raise ValueError(f"Each split must be a fraction in [0, 1], got {split!r}.")
    if sum(splits) > 1 + 1e-9:
        raise ValueError(f"The splits sum to {sum(splits):g}; they must sum to at most 1, e.g. [0.8, 0.2].")

    regions = list(zip(streaming_dataset.subsampled_files, streaming_dataset.region_of_interest))
    if shuffle:
        regions = [regions[index] for index in np.random.RandomState([seed]).permutation(len(regions))]
    total = sum(end - start for _, (start, end) in regions)
    cursor = _Cursor(regions)
    if any(int(total * split) == 0 for split in splits):
        logger.warning("Some splits have 0 items: those datasets are empty.")
    return [_subset(streaming_dataset, cursor.take(int(total * split))) for split in splits]


class _Cursor:
    """Walks ``(file, (start, end))`` regions, handing out consecutive runs of items."""

    def __init__(self, regions: list[tuple[str, tuple[int, int]]]) -> None:
        self._regions = [(file, int(start), int(end)) for file, (start, end) in regions]
        self._index = 0
        self._offset = 0  # items of the current region already handed out

    def take(self, count: int) -> list[tuple[str, tuple[int, int]]]:
        taken = []
        while count > 0 and self._index < len(self._regions):
            file, start, end = self._regions[self._index]
            begin = start + self._offset
            stop = min(end, begin + count)
            taken.append((file, (begin, stop)))
            count -= stop - begin
            if stop == end:
                self._index, self._offset = self._index + 1, 0
            else:
                self._offset = stop - start
        return taken


def _subset(dataset: StreamingDataset, regions: list[tuple[str, tuple[int, int]]]) -> StreamingDataset:
    subset = deepcopy(dataset)
    subset.reset()
    subset.subsampled_files = [file for file, _ in regions]
    subset.region_of_interest = [roi for _, roi in regions]
    subset._rebuild_config()
    return subset
