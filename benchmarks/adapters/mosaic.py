"""MosaicML Streaming: ``MDSWriter`` to write, ``StreamingDataset`` + torch ``DataLoader`` to read.

Each column gets Mosaic's fastest fixed-size encoding; token blocks are written pre-cut (Mosaic has no token loader).
"""

from __future__ import annotations

import importlib.machinery
import multiprocessing
import os
import sys
import types
from typing import Any

import numpy as np
import torch
from data import ARRAY_FLOATS, BLOCK_SIZE, SMALL_BYTES, Source
from per_sample import stack_collate, to_tensor
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
from streaming.base.util import merge_index  # noqa: E402

import streaming  # noqa: E402
from streaming import MDSWriter, StreamingDataset  # noqa: E402

COLUMNS = {
    "images": {"index": "int64", "image": "jpeg", "class": "int64"},
    "arrays": {"index": "int64", "array": f"ndarray:float64:{ARRAY_FLOATS}"},
    "s3_arrays": {"index": "int64", "array": f"ndarray:float64:{ARRAY_FLOATS}"},
    "small": {"index": "int64", "data": f"ndarray:uint8:{SMALL_BYTES}"},
    "tokens": {"tokens": f"ndarray:int32:{BLOCK_SIZE}"},
}


def _samples(source: Source, kind: str, indices: range | None = None):
    """The samples of ``kind``; with ``indices`` (the optimize rows), those items, token documents as they are."""
    if kind == "tokens" and indices is None:
        for block in source.blocks():
            yield {"tokens": block}
        return
    for index in range(source.count(kind)) if indices is None else indices:
        if kind == "tokens":
            yield {"tokens": source.document(index)}
        elif kind == "images":
            yield {"index": index, "image": source.image(index), "class": source.label(index)}
        else:
            yield {"index": index, "data" if kind == "small" else "array": source.row(kind, index)}


def _columns(kind: str, documents: bool) -> dict[str, str]:
    return {"tokens": "ndarray:int32"} if kind == "tokens" and documents else COLUMNS[kind]


def _write(source: Source, kind: str, out: str, chunk_bytes: int, indices: range | None) -> int:
    count = 0
    with MDSWriter(out=out, columns=_columns(kind, indices is not None), size_limit=chunk_bytes) as writer:
        for sample in _samples(source, kind, indices):
            writer.write(sample)
            count += 1
    return count


def _write_part(args: tuple) -> int:
    return _write(*args)


def optimize(source: Source, kind: str, out: str, chunk_bytes: int, workers: int, count: int | None = None) -> int:
    """One ``MDSWriter`` in this process, or (``workers`` > 1) one per process of a ``multiprocessing.Pool``, each
    writing a contiguous share into its own sub-folder, then ``merge_index``: Mosaic's recipe for parallel writes."""
    if workers <= 1 or count is None:
        return _write(source, kind, out, chunk_bytes, None if count is None else range(count))
    step = -(-count // workers)
    shares = [range(w * step, min(count, (w + 1) * step)) for w in range(workers)]
    parts = [(source, kind, os.path.join(out, str(w)), chunk_bytes, share) for w, share in enumerate(shares)]
    with multiprocessing.Pool(workers) as pool:
        written = sum(pool.map(_write_part, parts))
    merge_index(out, keep_local=True)
    return written


class _Dataset(StreamingDataset):
    """Turns decoded samples into what the other libraries return (CHW uint8 tensors, bare token blocks)."""

    def __init__(self, kind: str, transform: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind, self.transform = kind, transform

    def get_item(self, index: int, retry: int = 7) -> Any:
        sample = super().get_item(index, retry)
        if self.kind == "tokens":
            return sample["tokens"]
        if self.kind == "images":
            sample["image"] = torch.from_numpy(np.asarray(sample["image"].convert("RGB"))).permute(2, 0, 1)
        return sample if self.transform is None else self.transform(sample)


def _dataset(
    kind: str, location: str, shuffle: bool, batch_size: int, cache_dir: str | None, transform: Any = None
) -> _Dataset:
    streaming.base.util.clean_stale_shared_memory()
    if location.startswith("s3://"):
        paths = {"remote": location, "local": cache_dir}
    else:
        paths = {"local": location}
    return _Dataset(kind, transform, shuffle=shuffle, batch_size=batch_size, **paths)


def loader(
    kind: str,
    location: str,
    shuffle: bool,
    workers: int,
    batch_size: int,
    cache_dir: str | None = None,
    path: str = "batch",
) -> DataLoader:
    dataset = _dataset(kind, location, shuffle, batch_size, cache_dir, to_tensor if path == "transform" else None)
    collate = {"collate_fn": stack_collate} if path == "collate" else {}
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers, **collate)


def dataset(kind: str, location: str) -> _Dataset:
    return _dataset(kind, location, False, 1, None)


def describe() -> str:
    return f"mosaicml-streaming {streaming.__version__} at {os.path.dirname(streaming.__file__)}"
