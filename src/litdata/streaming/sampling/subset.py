"""The regions of chunks that hold a chosen list of a dataset's items (`StreamingDataset.subset`)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence


def subset_regions(
    files: Sequence[str], regions: Sequence[tuple[int, int]], indices: Sequence[int] | slice | range
) -> tuple[list[str], list[tuple[int, int]]]:
    """``(files, regions)`` covering the items ``indices`` (positions in the dataset's item order), in that order.

    Consecutive items of one chunk share one region. ``ValueError`` for a position outside the dataset.
    """
    if len(files) != len(regions):
        raise ValueError("The provided dataset has mismatched subsampled_files and region_of_interest lengths.")
    kept = [(file, int(start), int(end)) for file, (start, end) in zip(files, regions) if end > start]
    starts = [0]
    for _, start, end in kept:
        starts.append(starts[-1] + end - start)
    total = starts[-1]
    if isinstance(indices, slice):
        indices = range(*indices.indices(total))
    if any(isinstance(i, bool) or not 0 <= i < total for i in indices):
        raise ValueError(f"Subset indices must be in [0, {total - 1}] for the provided dataset.")
    new_files: list[str] = []
    new_regions: list[tuple[int, int]] = []
    previous = -1
    for i in indices:
        region = bisect.bisect_right(starts, i) - 1
        file, start, _ = kept[region]
        offset = start + int(i) - starts[region]
        if new_regions and region == previous and offset == new_regions[-1][1]:
            new_regions[-1] = (new_regions[-1][0], offset + 1)
        else:
            new_files.append(file)
            new_regions.append((offset, offset + 1))
        previous = region
    return new_files, new_regions
