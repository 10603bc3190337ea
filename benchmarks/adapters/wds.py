"""WebDataset: ``ShardWriter`` to write tar shards, ``WebDataset(...).decode()`` + torch ``DataLoader`` to read.

Shuffling is WebDataset's usual recipe: shard shuffle plus a 1,000-sample buffer. It has no random access.
"""

from __future__ import annotations

import glob
import multiprocessing
import os
from typing import Any

import webdataset as wds
from data import Source
from per_sample import stack_collate, to_tensor
from torch.utils.data import DataLoader

SHUFFLE_BUFFER = 1000


def _samples(source: Source, kind: str, indices: range | None = None):
    """The samples of ``kind``; with ``indices`` (the optimize rows), those items, token documents as they are."""
    if kind == "tokens" and indices is None:
        for index, block in enumerate(source.blocks()):
            yield {"__key__": f"{index:09d}", "npy": block}
        return
    for index in range(source.count(kind)) if indices is None else indices:
        if kind == "tokens":
            yield {"__key__": f"{index:09d}", "npy": source.document(index)}
        elif kind == "images":
            label = source.label(index)
            yield {"__key__": f"{index:09d}", "jpg": source.image_bytes(index), "idx.cls": index, "cls": label}
        else:
            yield {"__key__": f"{index:09d}", "npy": source.row(kind, index), "idx.cls": index}


def _write(source: Source, kind: str, pattern: str, chunk_bytes: int, indices: range | None) -> int:
    count = 0
    with wds.ShardWriter(pattern, maxsize=chunk_bytes, maxcount=10**9, verbose=0) as sink:
        for sample in _samples(source, kind, indices):
            sink.write(sample)
            count += 1
    return count


def _write_part(args: tuple) -> int:
    return _write(*args)


def optimize(source: Source, kind: str, out: str, chunk_bytes: int, workers: int, count: int | None = None) -> int:
    """One ``ShardWriter`` in this process, or (``workers`` > 1) one per process of a ``multiprocessing.Pool``, each
    writing a contiguous share into shards of its own name."""
    os.makedirs(out, exist_ok=True)
    if workers <= 1 or count is None:
        indices = None if count is None else range(count)
        return _write(source, kind, os.path.join(out, "shard-%06d.tar"), chunk_bytes, indices)
    step = -(-count // workers)
    shares = [range(w * step, min(count, (w + 1) * step)) for w in range(workers)]
    parts = [(source, kind, os.path.join(out, f"shard-{w}-%06d.tar"), chunk_bytes, s) for w, s in enumerate(shares)]
    with multiprocessing.Pool(workers) as pool:
        return sum(pool.map(_write_part, parts))


def _token_block(sample: dict) -> Any:
    return sample["npy"]


def _image(sample: dict) -> dict:
    return {"index": sample["idx.cls"], "image": sample["jpg"], "class": sample["cls"]}


def _array(sample: dict) -> dict:
    return {"index": sample["idx.cls"], "array": sample["npy"]}


def _small(sample: dict) -> dict:
    return {"index": sample["idx.cls"], "data": sample["npy"]}


TO_SAMPLE = {"tokens": _token_block, "images": _image, "arrays": _array, "s3_arrays": _array, "small": _small}


def urls_of(location: str) -> list[str]:
    return sorted(glob.glob(os.path.join(location, "*.tar")))


def loader(
    kind: str,
    location: str | list[str],
    shuffle: bool,
    workers: int,
    batch_size: int,
    cache_dir: str | None = None,
    path: str = "batch",
) -> DataLoader:
    urls = location if isinstance(location, list) else urls_of(location)
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
    pipeline: Any = wds.WebDataset(
        urls,
        shardshuffle=100 if shuffle else False,
        cache_dir=cache_dir,
        empty_check=False,
        seed=42 if shuffle else None,
    )
    if shuffle:
        pipeline = pipeline.shuffle(SHUFFLE_BUFFER)
    pipeline = pipeline.decode("torchrgb8" if kind == "images" else "rgb8").map(TO_SAMPLE[kind])
    if path == "transform":
        pipeline = pipeline.map(to_tensor)
    collate = {"collate_fn": stack_collate} if path == "collate" else {}
    return DataLoader(pipeline, batch_size=batch_size, num_workers=workers, **collate)


def dataset(kind: str, location: str) -> None:
    return None


def describe() -> str:
    return f"webdataset {wds.__version__} at {os.path.dirname(wds.__file__)}"
