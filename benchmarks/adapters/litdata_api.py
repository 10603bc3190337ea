"""Our litdata and the real LitData 0.2.76: the same API, so one adapter serves both.

Which one is imported depends on the interpreter (``.venv`` has ours, ``.venv-peers`` the real one).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from data import BLOCK_SIZE, Sample, Source, decode_jpeg
from per_sample import stack_collate, to_tensor

import litdata as ld
from litdata.streaming.item_loader import TokensLoader
from litdata.streaming.serializers import JPEGSerializer

IS_OURS = "site-packages" not in ld.__file__


def optimize(source: Source, kind: str, out: str, chunk_bytes: int, workers: int, count: int | None = None) -> int:
    inputs = list(range(source.count(kind) if count is None else count))
    size: dict[str, Any] = {"chunk_bytes": chunk_bytes}
    if kind == "tokens":
        size = {"chunk_size": BLOCK_SIZE * (chunk_bytes // (4 * BLOCK_SIZE)), "item_loader": TokensLoader()}
    ld.optimize(fn=Sample(source, kind), inputs=inputs, output_dir=out, num_workers=workers, **size)
    return len(inputs)


class PillowJPEGSerializer(JPEGSerializer):
    """LitData 0.2.76 decodes JPEG with torchvision only, which has no CPU build here: give it Pillow instead."""

    def deserialize(self, data: bytes) -> torch.Tensor:
        return torch.from_numpy(decode_jpeg(data)).permute(2, 0, 1)


def _dataset(
    kind: str, location: str, shuffle: bool = False, cache_dir: str | None = None, path: str = "batch"
) -> ld.StreamingDataset:
    kwargs: dict[str, Any] = {}
    if path == "transform":
        kwargs["transform"] = to_tensor
    if kind == "tokens":
        kwargs["item_loader"] = TokensLoader(block_size=BLOCK_SIZE)
    if kind == "images" and not IS_OURS:
        kwargs["serializers"] = {"jpeg": PillowJPEGSerializer()}
    if location.startswith("s3://") and not IS_OURS:
        # LitData 0.2.76 reads chunks through obstore, which refuses a plain-http endpoint (backends.md §6).
        import litdata.streaming.downloader as downloader

        downloader._OBSTORE_AVAILABLE = False
    return ld.StreamingDataset(location, shuffle=shuffle, cache_dir=cache_dir, **kwargs)


def loader(
    kind: str,
    location: str,
    shuffle: bool,
    workers: int,
    batch_size: int,
    cache_dir: str | None = None,
    path: str = "batch",
    checksums: str | None = None,
) -> ld.StreamingDataLoader:
    """``path``: "batch" (default collate), "collate" (a custom ``collate_fn``) or "transform" (``transform=``).
    ``checksums`` ("on"/"off", ours only): verify every chunk again in this epoch, or not at all."""
    if checksums is not None:
        _checksums(checksums == "on")
    dataset = _dataset(kind, location, shuffle, cache_dir, path)
    collate = {"collate_fn": stack_collate} if path == "collate" else {}
    return ld.StreamingDataLoader(dataset, batch_size=batch_size, num_workers=workers, **collate)


def _checksums(on: bool) -> None:
    """Our reader verifies a chunk once per process (and tells later epochs' workers): forget what this long-lived
    process verified, so the timed epoch verifies every chunk it opens, or switch verification off."""
    from litdata.format import checksums

    os.environ["LITDATA_VERIFY_CHECKSUMS"] = "1" if on else "0"
    with checksums._verified_lock:
        checksums._verified.clear()
        checksums._newly_verified.clear()


def dataset(kind: str, location: str) -> ld.StreamingDataset:
    return _dataset(kind, location)


def describe() -> str:
    return f"{'litdata (ours)' if IS_OURS else 'LitData'} {ld.__version__} at {os.path.dirname(ld.__file__)}"
