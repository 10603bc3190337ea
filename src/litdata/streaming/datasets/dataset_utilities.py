"""Helpers at LitData 0.2.76's ``litdata.streaming.datasets.dataset_utilities`` path: index loading (including MosaicML
MDS shard indexes), default regions of interest, cache folders, and dataset subsampling."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from typing import Any, cast

import litdata.settings as settings
from litdata.constants import _DEFAULT_CACHE_DIR, _INDEX_FILENAME
from litdata.format.item_loader import BaseItemLoader, TokensLoader
from litdata.streaming.reading.resolver import Dir, _resolve_dir

_LIGHTNING_CLOUD_CACHE_DIR = "/cache/chunks"


def wait_for_predicate(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll ``predicate`` until it is true (returns True) or ``timeout`` seconds passed (returns False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def generate_md5_hash(value: str) -> str:
    """The hex MD5 digest of ``value`` (names cache folders)."""
    return hashlib.md5(value.encode()).hexdigest()


def get_default_cache_dir() -> str:
    """``LITDATA_CACHE_DIR`` if set; in a Lightning AI Studio ``/cache/chunks``; else ``~/.lightning/chunks``."""
    configured = settings.CACHE_DIR.get()
    if configured:
        return configured
    if settings.LIGHTNING_CLUSTER_ID.is_set() and settings.LIGHTNING_CLOUD_PROJECT_ID.is_set():
        return _LIGHTNING_CLOUD_CACHE_DIR
    return _DEFAULT_CACHE_DIR


def generate_roi(chunks: list[dict[str, Any]], item_loader: BaseItemLoader | None = None) -> list[tuple[int, int]]:
    """The default region of interest of each chunk: all its items (all its token blocks with `TokensLoader`)."""
    if item_loader is not None and type(item_loader).__name__ == "TokensLoader":
        block = cast(TokensLoader, item_loader).block_size or 1
        return [(0, (chunk.get("dim") or 0) // block) for chunk in chunks]
    return [(0, chunk["chunk_size"]) for chunk in chunks]


def adapt_mds_shards_to_chunks(data: dict[str, Any]) -> dict[str, Any]:
    """Give a MosaicML Streaming (MDS) ``index.json`` (``shards``) the ``chunks``/``config`` of a LitData index."""
    shards = data["shards"]
    data["chunks"] = [
        {
            "chunk_bytes": shard["zip_data"]["bytes"],
            "chunk_size": shard["samples"],
            "column_sizes": shard["column_sizes"],
            "dim": None,
            "filename": shard["zip_data"]["basename"],
        }
        for shard in shards
    ]
    columns = shards[0]["column_names"]
    leaf: dict[str, Any] = {"type": None, "context": None, "children_spec": []}
    spec = [1, {"type": "builtins.dict", "context": json.dumps(columns), "children_spec": [leaf] * len(columns)}]
    data["config"] = {
        "chunk_bytes": sum(shard["zip_data"]["bytes"] for shard in shards),
        "chunk_size": sum(shard["samples"] for shard in shards),
        "compression": shards[0]["compression"],
        "data_format": shards[0]["column_encodings"],
        "format": shards[0]["format"],
        "data_spec": json.dumps(spec),
        "encryption": None,
    }
    return data


def load_index_file(input_dir: str) -> dict[str, Any]:
    """The ``index.json`` of the dataset folder ``input_dir`` (an MDS shard index is adapted to chunks)."""
    path = os.path.join(input_dir, _INDEX_FILENAME)
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"Index file not found at {path}.") from None
    if "chunks" not in data and "shards" in data:
        return adapt_mds_shards_to_chunks(data)
    return data


def copy_index_to_cache_index_filepath(index_path: str, cache_index_filepath: str) -> None:
    """Copy an ``index.json`` (or the one inside the folder ``index_path``) to ``cache_index_filepath``."""
    if os.path.isdir(index_path):
        index_path = os.path.join(index_path, _INDEX_FILENAME)
    if not os.path.isfile(index_path):
        raise FileNotFoundError(f"Index file not found: {index_path}")
    shutil.copy(index_path, cache_index_filepath)


def subsample_streaming_dataset(
    input_dir: Dir,
    cache_dir: Dir | None = None,
    item_loader: BaseItemLoader | None = None,
    subsample: float = 1.0,
    shuffle: bool = False,
    seed: int = 42,
    storage_options: dict | None = None,
    session_options: dict | None = None,
    index_path: str | None = None,
    fnmatch_pattern: str | None = None,
) -> tuple[list[str], list[tuple[int, int]]]:
    """The chunk files and regions of interest that `StreamingDataset` reads for ``subsample`` of the dataset."""
    from fnmatch import fnmatch

    from litdata.streaming.datasets.complete import complete_dataset, index_shards, is_complete_dataset
    from litdata.streaming.reading.sources import open_source
    from litdata.utilities.subsample import subsample_chunks

    input_dir = _resolve_dir(input_dir)
    local_path = input_dir.path if input_dir.url is None and index_path is None else None
    if local_path and not is_complete_dataset(local_path) and index_shards(local_path):
        complete_dataset(local_path)
    folder, _ = open_source(
        input_dir,
        cache_dir,
        storage_options=storage_options,
        session_options=session_options,
        index_path=index_path,
    )
    chunks = load_index_file(folder)["chunks"]
    if fnmatch_pattern is not None:
        chunks = [
            c
            for c in chunks
            if fnmatch(c["filename"], fnmatch_pattern) or fnmatch(os.path.basename(c["filename"]), fnmatch_pattern)
        ]
    files = [c["filename"] for c in chunks]
    rois = generate_roi(chunks, item_loader)
    if subsample == 1.0:
        return files, rois
    return subsample_chunks(files, rois, subsample, shuffle, seed)
