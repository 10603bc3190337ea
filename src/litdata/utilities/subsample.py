"""Sub- and up-sampling of a dataset's chunk list, done once when the dataset is built."""

from collections.abc import Sequence

import numpy as np


def subsample_chunks(
    filenames: Sequence[str], rois: Sequence[Sequence[int]], subsample: float, shuffle: bool, seed: int
) -> tuple[list[str], list[tuple[int, int]]]:
    """Return the chunk files and regions of interest that make up ``subsample`` times the dataset.

    Each whole unit of ``subsample`` appends a full copy of the chunk list; a fractional rest appends the first
    ``int(total_items * rest)`` items, trimming the last chunk taken. With ``shuffle`` the list is permuted (with one
    generator seeded by ``seed``) before each copy, every permutation applying to the previous order, so the copies
    differ. Files may therefore appear more than once.
    """
    if isinstance(subsample, bool) or not isinstance(subsample, (int, float)) or subsample <= 0:
        raise ValueError(f"subsample must be a number greater than 0, got {subsample!r}")
    files = list(filenames)
    regions = [(int(roi[0]), int(roi[1])) for roi in rois]
    if subsample == 1.0:
        return files, regions
    rng = np.random.RandomState([seed]) if shuffle else None
    total_items = sum(high - low for low, high in regions)
    picked_files: list[str] = []
    picked_regions: list[tuple[int, int]] = []
    rest = float(subsample)
    while rest >= 1:
        files, regions = _permuted(files, regions, rng)
        picked_files += files
        picked_regions += regions
        rest -= 1
    if rest > 0:
        files, regions = _permuted(files, regions, rng)
        wanted = int(total_items * rest)
        for filename, (low, high) in zip(files, regions, strict=True):
            if wanted <= 0:
                break
            taken = min(high - low, wanted)
            picked_files.append(filename)
            picked_regions.append((low, low + taken))
            wanted -= taken
    return picked_files, picked_regions


def _permuted(
    files: list[str], regions: list[tuple[int, int]], rng: np.random.RandomState | None
) -> tuple[list[str], list[tuple[int, int]]]:
    if rng is None:
        return files, regions
    order = rng.permutation(len(files))
    return [files[i] for i in order], [regions[i] for i in order]
