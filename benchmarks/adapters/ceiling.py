"""The DataLoader ceiling: torch's ``DataLoader`` and default collate over the same samples already in memory.

No storage and no format at all, with the same batch size and workers: no library that feeds a DataLoader can beat
it, so it tells how much of a gap to the raw limit is the loader's own cost. JPEG samples are decoded on the fly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from data import Source, decode_jpeg
from per_sample import stack_collate, to_tensor
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

_SAMPLES: dict[str, list[Any]] = {}


class InMemory(IterableDataset):
    def __init__(self, kind: str, samples: list[Any], shuffle: bool, transform: Any = None) -> None:
        self.kind, self.samples, self.shuffle, self.epoch = kind, samples, shuffle, 0
        self.transform = transform

    def __iter__(self):
        order = np.arange(len(self.samples))
        if self.shuffle:
            order = np.random.default_rng(self.epoch).permutation(order)
        self.epoch += 1
        info = get_worker_info()
        if info is not None:
            order = order[info.id :: info.num_workers]
        for index in order.tolist():
            sample = self.samples[index]
            if self.kind == "images":
                image = torch.from_numpy(decode_jpeg(sample["image"])).permute(2, 0, 1)
                sample = {"index": index, "image": image, "class": sample["class"]}
            yield sample if self.transform is None else self.transform(sample)


def samples(source: Source, kind: str) -> list[Any]:
    if kind not in _SAMPLES:
        if kind == "tokens":
            _SAMPLES[kind] = list(np.array(source.blocks()))
        elif kind == "images":
            count = source.count(kind)
            _SAMPLES[kind] = [
                {"index": i, "image": source.image_bytes(i), "class": source.label(i)} for i in range(count)
            ]
        else:
            rows, key = np.array(source.array(kind)), "data" if kind == "small" else "array"
            _SAMPLES[kind] = [{"index": i, key: row} for i, row in enumerate(rows)]
    return _SAMPLES[kind]


def loader(
    kind: str,
    location: str,
    shuffle: bool,
    workers: int,
    batch_size: int,
    cache_dir: str | None = None,
    path: str = "batch",
) -> DataLoader:
    """``location`` is the folder of the raw inputs; building the samples is not part of the timed epoch."""
    dataset = InMemory(kind, samples(Source(location), kind), shuffle, to_tensor if path == "transform" else None)
    collate = {"collate_fn": stack_collate} if path == "collate" else {}
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers, **collate)


def describe() -> str:
    return f"torch {torch.__version__} DataLoader + default collate over in-memory samples"
