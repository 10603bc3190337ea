"""Index a folder of Parquet files (local or remote) so it streams with `ParquetLoader`, without rewriting it.

Each top-level ``.parquet`` file becomes one chunk; only the files' footers are read (two ranged reads per file).
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from litdata.constants import _INDEX_FILENAME
from litdata.storage import ObjectInfo, Storage, get_storage, join_url
from litdata.utilities.progress import progress_bar

_FOOTER_TAIL = 8  # u32 footer length + b"PAR1"


def list_parquet_files(storage: Storage, url: str) -> list[ObjectInfo]:
    """The ``.parquet`` files directly inside the folder ``url``, sorted by name."""
    prefix = url.rstrip("/") + "/"
    return [o for o in storage.list(url) if o.url.endswith(".parquet") and "/" not in o.url[len(prefix) :]]


def _read_schema_and_rows(storage: Storage, obj: ObjectInfo) -> tuple[list[str], int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tail = storage.read_range(obj.url, obj.size - _FOOTER_TAIL, _FOOTER_TAIL)
    if len(tail) != _FOOTER_TAIL or tail[4:] != b"PAR1":
        raise ValueError(f"{obj.url} is not a Parquet file (no PAR1 footer).")
    footer_length = struct.unpack("<I", tail[:4])[0]
    footer = storage.read_range(obj.url, obj.size - _FOOTER_TAIL - footer_length, footer_length)
    metadata = pq.read_metadata(pa.BufferReader(b"PAR1" + footer + tail))
    return [str(f.type) for f in metadata.schema.to_arrow_schema()], metadata.num_rows


def build_parquet_index(
    url: str, storage_options: dict | None = None, num_workers: int = 4, verbose: bool = False
) -> dict[str, Any]:
    """The ``index.json`` content for the Parquet files in ``url`` (they must all have the same column types);
    ``verbose=True`` shows a progress bar of the files read."""
    storage = get_storage(url, storage_options)
    files = list_parquet_files(storage, url)
    if not files:
        raise FileNotFoundError(f"No .parquet files found in {url}.")
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError as err:
        raise ImportError("Indexing Parquet files needs pyarrow: pip install pyarrow") from err
    with (
        progress_bar("Indexing Parquet files", len(files), "files", verbose) as bar,
        ThreadPoolExecutor(max_workers=max(1, num_workers)) as pool,
    ):
        futures = [pool.submit(_read_schema_and_rows, storage, obj) for obj in files]
        for future in as_completed(futures):
            future.result()
            bar.update(1)
        metas = [future.result() for future in futures]
    data_format = metas[0][0]
    for obj, (types, _) in zip(files, metas):
        if types != data_format:
            raise ValueError(
                f"All Parquet files must have the same column types to be indexed together: {obj.url} has "
                f"{types}, {files[0].url} has {data_format}."
            )
    chunks = [
        {"chunk_bytes": obj.size, "chunk_size": rows, "dim": None, "filename": obj.url.rsplit("/", 1)[-1]}
        for obj, (_, rows) in zip(files, metas)
    ]
    config = {
        "chunk_bytes": None,
        "chunk_size": None,
        "compression": None,
        "data_format": data_format,
        "data_spec": None,
        "encryption": None,
        "item_loader": "ParquetLoader",
        "types": None,
    }
    return {"chunks": chunks, "config": config, "updated_at": str(time.time())}


def write_index(index: dict[str, Any], folder: str) -> str:
    """Write ``index`` as ``{folder}/index.json`` atomically; returns the path."""
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, _INDEX_FILENAME)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".index-")
    with os.fdopen(fd, "w") as f:
        json.dump(index, f, sort_keys=True)
    os.replace(tmp, target)
    return target


def index_parquet_dataset(
    pq_dir_url: str,
    cache_dir: str | None = None,
    storage_options: dict | None = None,
    num_workers: int = 4,
    verbose: bool = True,
) -> None:
    """Write an ``index.json`` for the Parquet files of ``pq_dir_url`` so `StreamingDataset` can stream them.

    The index goes into ``cache_dir`` when given, else next to the files (uploaded for ``s3://``, ``gs://``,
    ``azure://``, ... URLs). A progress bar on stderr counts the files indexed; ``verbose=False`` (or
    ``TQDM_DISABLE=1``) hides it.
    """
    index = build_parquet_index(pq_dir_url, storage_options, num_workers, verbose)
    if cache_dir is not None or "://" not in pq_dir_url:
        write_index(index, cache_dir or pq_dir_url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        local = write_index(index, tmp)
        get_storage(pq_dir_url, storage_options).upload_file(local, join_url(pq_dir_url, _INDEX_FILENAME))
