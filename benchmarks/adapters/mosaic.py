"""MosaicML Streaming: ``MDSWriter`` to write, ``StreamingDataset`` + torch ``DataLoader`` to read.

Each column gets Mosaic's fastest fixed-size encoding; token blocks are written pre-cut (Mosaic has no token loader).
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
import types
from typing import Any

import numpy as np
import torch
from data import ARRAY_FLOATS, BLOCK_SIZE, SMALL_BYTES, Source
from torch.utils.data import DataLoader


def _stub_torchvision() -> None:
    """``import streaming`` imports torchvision, which has no CPU build here; only its vision datasets use it."""
    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        vision = types.ModuleType("torchvision")
        vision.__spec__ = importlib.machinery.ModuleSpec("torchvision", None)
        datasets = types.ModuleType("torchvision.datasets")
        datasets.VisionDataset = object  # type: ignore[attr-defined]
        datasets.CIFAR10 = object  # type: ignore[attr-defined]
        transforms = types.ModuleType("torchvision.transforms")
        functional = types.ModuleType("torchvision.transforms.functional")
        functional.to_tensor = None  # type: ignore[attr-defined]
        vision.datasets, vision.transforms, transforms.functional = datasets, transforms, functional  # type: ignore[attr-defined]
        sys.modules.update(
            {
                "torchvision": vision,
                "torchvision.datasets": datasets,
                "torchvision.transforms": transforms,
                "torchvision.transforms.functional": functional,
            }
        )


_stub_torchvision()
import streaming  # noqa: E402
from streaming import MDSWriter, StreamingDataset  # noqa: E402

COLUMNS = {
    "images": {"index": "int64", "image": "jpeg", "class": "int64"},
    "arrays": {"index": "int64", "array": f"ndarray:float64:{ARRAY_FLOATS}"},
    "s3_arrays": {"index": "int64", "array": f"ndarray:float64:{ARRAY_FLOATS}"},
    "small": {"index": "int64", "data": f"ndarray:uint8:{SMALL_BYTES}"},
    "tokens": {"tokens": f"ndarray:int32:{BLOCK_SIZE}"},
}


def _samples(source: Source, kind: str):
    if kind == "tokens":
        for block in source.blocks():
            yield {"tokens": block}
        return
    for index in range(source.count(kind)):
        if kind == "images":
            yield {"index": index, "image": source.image(index), "class": source.label(index)}
        else:
            yield {"index": index, "data" if kind == "small" else "array": source.row(kind, index)}


def optimize(source: Source, kind: str, out: str, chunk_bytes: int, workers: int) -> int:
    count = 0
    with MDSWriter(out=out, columns=COLUMNS[kind], size_limit=chunk_bytes) as writer:
        for sample in _samples(source, kind):
            writer.write(sample)
            count += 1
    return count


class _Dataset(StreamingDataset):
    """Turns decoded samples into what the other libraries return (CHW uint8 tensors, bare token blocks)."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def get_item(self, index: int, retry: int = 7) -> Any:
        sample = super().get_item(index, retry)
        if self.kind == "tokens":
            return sample["tokens"]
        if self.kind == "images":
            sample["image"] = torch.from_numpy(np.asarray(sample["image"].convert("RGB"))).permute(2, 0, 1)
        return sample


def _dataset(kind: str, location: str, shuffle: bool, batch_size: int, cache_dir: str | None) -> _Dataset:
    streaming.base.util.clean_stale_shared_memory()
    if location.startswith("s3://"):
        paths = {"remote": location, "local": cache_dir}
    else:
        paths = {"local": location}
    return _Dataset(kind, shuffle=shuffle, batch_size=batch_size, **paths)


def loader(
    kind: str, location: str, shuffle: bool, workers: int, batch_size: int, cache_dir: str | None = None
) -> DataLoader:
    dataset = _dataset(kind, location, shuffle, batch_size, cache_dir)
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers)


def dataset(kind: str, location: str) -> _Dataset:
    return _dataset(kind, location, False, 1, None)


def describe() -> str:
    return f"mosaicml-streaming {streaming.__version__} at {os.path.dirname(streaming.__file__)}"
