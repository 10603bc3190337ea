"""``optimize_hf``: convert a Hugging Face Hub dataset's Parquet files into LitData chunks.

Finding and indexing the Parquet files for streaming in place is :mod:`litdata.streaming.reading.hf_index`.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from typing import Any

from litdata.constants import _INDEX_FILENAME, default_cache_root
from litdata.processing.functions import optimize
from litdata.storage import get_storage, join_url
from litdata.streaming.reading import hf_index as _index_side
from litdata.streaming.reading.hf_index import hf_dataset_candidates, hf_index_folder, index_hf_dataset, list_hf_parquet

__all__ = ["hf_dataset_candidates", "hf_index_folder", "index_hf_dataset", "list_hf_parquet", "optimize_hf"]


def _rows_of_parquet(path: str, columns: list[str] | None = None, transform=None):
    """optimize fn: the rows of one local Parquet file (``transform(row)`` each when given)."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(columns=columns):
        for row in batch.to_pylist():
            yield transform(row) if transform is not None else row


def _has_index(output_dir: str, storage_options: dict | None) -> bool:
    if "://" not in output_dir:
        return os.path.exists(os.path.join(output_dir, _INDEX_FILENAME))
    return get_storage(output_dir, storage_options).exists(join_url(output_dir, _INDEX_FILENAME))


def optimize_hf(
    name: str,
    output_dir: str,
    revision: str | None = None,
    split: str | None = None,
    config: str | None = None,
    chunk_size: int | None = None,
    chunk_bytes: int | str | None = None,
    fn: Callable[[dict[str, Any]], Any] | None = None,
    num_workers: int | None = None,
    columns: list[str] | None = None,
    overwrite: bool = False,
    cache_dir: str | None = None,
    storage_options: dict | None = None,
    **optimize_kwargs: Any,
) -> str:
    """Convert a Hugging Face Hub dataset (``org/name`` or an ``hf://`` URL) into LitData chunks in ``output_dir``.

    The dataset's Parquet files are found as :func:`hf_dataset_candidates` lists them, downloaded once into
    ``{cache_dir}/hf-parquet/`` and optimized (row dicts as they are, or ``fn(row)``; ``columns`` selects columns).
    Chunks are 256MB unless ``chunk_size``/``chunk_bytes`` is given. An ``output_dir`` that already has an
    ``index.json`` is reused unless ``overwrite=True``. ``storage_options`` go to ``huggingface_hub.HfFileSystem``
    (``token``, ``endpoint``). Returns ``output_dir``.
    """
    if not overwrite and _has_index(output_dir, None if "://" not in output_dir else storage_options):
        print(f"Using existing optimized dataset at {output_dir}.")
        return output_dir
    urls: list[str] = []
    for candidate in hf_dataset_candidates(name, revision, split, config):
        urls = list_hf_parquet(candidate, storage_options)
        if urls:
            break
    if not urls:
        raise FileNotFoundError(
            f"No parquet files found for dataset {name!r} (revision={revision!r}, split={split!r}, config={config!r})."
        )
    folder = os.path.join(cache_dir or default_cache_root(), "hf-parquet", hashlib.md5(urls[0].encode()).hexdigest())
    storage = get_storage(urls[0], storage_options)
    local_files = []
    for url in urls:
        local = os.path.join(folder, hashlib.md5(url.encode()).hexdigest()[:8] + "-" + url.rpartition("/")[2])
        if not os.path.exists(local):
            os.makedirs(folder, exist_ok=True)
            storage.download_file(url, local)
        local_files.append(local)
    kwargs = dict(optimize_kwargs)
    kwargs.setdefault("mode", "overwrite" if overwrite else None)
    if chunk_size is not None:
        kwargs["chunk_size"] = chunk_size
    else:
        kwargs["chunk_bytes"] = chunk_bytes if chunk_bytes is not None else "256MB"
    optimize(
        fn=functools.partial(_rows_of_parquet, columns=columns, transform=fn),
        inputs=local_files,
        output_dir=output_dir,
        num_workers=num_workers if num_workers is not None else min(len(local_files), os.cpu_count() or 1),
        **kwargs,
    )
    return output_dir


def __getattr__(name: str) -> Any:
    # The index side's helpers, reachable at LitData 0.2.76's path (litdata.utilities.hf_dataset) as before.
    return getattr(_index_side, name)
