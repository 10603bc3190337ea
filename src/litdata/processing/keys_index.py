"""Build the ``keys/`` store of a keyed dataset: read every sample, call ``key_fn`` on it, and write the shards.

The on-disk layout, and reading it back, are in :mod:`litdata.streaming.datasets.keys_index`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from litdata.constants import _INDEX_FILENAME
from litdata.streaming.datasets import keys_index as _read_side
from litdata.streaming.datasets.keys_index import (
    KEYS_DIRNAME,
    KEYS_VERSION,
    LEGACY_KEYS_FILENAME,
    KeyLookup,
    fetch_dataset_file,
    has_keys_store,
    key_shard,
    normalize_key,
    read_keys_config,
    read_shard,
    shard_filename,
)

__all__ = [
    "KEYS_DIRNAME",
    "KEYS_VERSION",
    "LEGACY_KEYS_FILENAME",
    "KeyLookup",
    "build_keys_index",
    "fetch_dataset_file",
    "has_keys_store",
    "iter_keys",
    "key_shard",
    "normalize_key",
    "read_keys_config",
    "read_shard",
    "shard_filename",
    "write_keys_index",
]


def keys_section(num_shards: int) -> dict[str, Any]:
    """The ``keys`` entry of ``index.json``."""
    return {"num_shards": int(num_shards), "sharding": "hash" if num_shards > 1 else "none", "version": KEYS_VERSION}


def chunk_positions(global_indices: Sequence[int], chunks: Sequence[dict[str, Any]]) -> np.ndarray:
    """For each global sample index, the position of its chunk in ``chunks`` (``index.json``'s list)."""
    ends = np.cumsum([int(c["chunk_size"]) for c in chunks], dtype=np.int64)
    indices = np.asarray(global_indices, dtype=np.int64)
    if len(indices) and (indices.min() < 0 or (len(ends) == 0 or indices.max() >= ends[-1])):
        total = int(ends[-1]) if len(ends) else 0
        raise IndexError(f"A key points at a sample outside the dataset ({total} samples).")
    return np.searchsorted(ends, indices, side="right").astype(np.int32)


def _key_type(keys: Sequence[str | int]) -> type:
    kinds = {type(k) for k in keys}
    if len(kinds) > 1:
        raise TypeError("All keys of a dataset must have the same type (all str or all int); got both.")
    return kinds.pop() if kinds else str


def keys_tables(
    keys: Sequence[Any], indices: Sequence[int], chunks: Sequence[dict[str, Any]], num_shards: int = 1
) -> list[Any]:
    """One ``pyarrow.Table`` per shard, rows sorted by key. Duplicate keys raise ``ValueError``."""
    import pyarrow as pa

    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}.")
    if len(keys) != len(indices):
        raise ValueError(f"Got {len(keys)} keys for {len(indices)} indices; pass one key per sample.")
    normalized = [normalize_key(k) for k in keys]
    seen: set = set()
    for key in normalized:
        if key in seen:
            raise ValueError(f"Duplicate key {key!r}: every sample of a keyed dataset needs its own key.")
        seen.add(key)
    key_type = pa.large_string() if _key_type(normalized) is str else pa.int64()
    positions = chunk_positions(indices, chunks)
    shards: list[list[int]] = [[] for _ in range(num_shards)]
    for row, key in enumerate(normalized):
        shards[key_shard(key, num_shards)].append(row)
    tables = []
    for rows in shards:
        rows.sort(key=lambda r: normalized[r])
        index_column = [int(indices[r]) for r in rows]
        tables.append(
            pa.table(
                {
                    "key": pa.array([normalized[r] for r in rows], type=key_type),
                    "index": pa.array(index_column, type=pa.int64()),
                    "chunk_index": pa.array([int(positions[r]) for r in rows], type=pa.int32()),
                    "chunk_offset": pa.array(index_column, type=pa.int32()),
                }
            )
        )
    return tables


def write_keys_store(folder: str, tables: Sequence[Any]) -> list[str]:
    """Write the shard tables into ``folder/keys/`` (each atomically); older extra shards are removed."""
    import pyarrow.parquet as pq

    keys_dir = os.path.join(folder, KEYS_DIRNAME)
    os.makedirs(keys_dir, exist_ok=True)
    names = [shard_filename(shard) for shard in range(len(tables))]
    for name, table in zip(names, tables):
        tmp = os.path.join(keys_dir, f".{name}.tmp-{os.getpid()}")
        pq.write_table(table, tmp)
        os.replace(tmp, os.path.join(keys_dir, name))
    for name in os.listdir(keys_dir):
        if name.startswith("shard-") and name.endswith(".parquet") and name not in names:
            os.remove(os.path.join(keys_dir, name))
    return [os.path.join(KEYS_DIRNAME, name) for name in names]


def _read_index(folder: str) -> dict[str, Any]:
    from litdata.format.config import load_index_file

    return load_index_file(os.path.join(folder, _INDEX_FILENAME))


def iter_keys(
    input_dir: str,
    key_fn: Callable[[Any], Any],
    verbose: bool = False,
    cache_dir: str | None = None,
    storage_options: dict | None = None,
    encryption: Any = None,
) -> Iterable[tuple[int, Any]]:
    """``(global index, key_fn(sample))`` for every sample of an optimized dataset, in index order.

    Reads the chunks one after the other with the dataset reader (no `StreamingDataset`, so no torch import)."""
    from litdata.format.config import ChunksConfig
    from litdata.format.registry import _get_serializers
    from litdata.streaming.reading.reader import BinaryReader
    from litdata.streaming.reading.resolver import _resolve_dir
    from litdata.streaming.reading.sampler import ChunkedIndex
    from litdata.streaming.reading.sources import open_source
    from litdata.utilities.progress import progress_bar

    folder, source = open_source(_resolve_dir(input_dir), cache_dir, storage_options=storage_options)
    config = ChunksConfig(folder, _get_serializers(None), None, index=_read_index(folder), encryption=encryption)
    reader = BinaryReader(folder, config=config, source=source)
    reader.prefetch(list(range(len(config.chunks))))
    progress = progress_bar("Indexing keys", sum(int(c["chunk_size"]) for c in config.chunks), "samples", verbose)
    position = 0
    try:
        for chunk_index, interval in enumerate(config.intervals):
            for item in range(interval.chunk_start, interval.chunk_end):
                yield position, key_fn(reader.read(ChunkedIndex(item, chunk_index)))
                position += 1
            progress.update(interval.chunk_end - interval.chunk_start)
    finally:
        reader.close()
        progress.close()


def build_keys_index(
    input_dir: str,
    key_fn: Callable[[Any], Any],
    *,
    output_dir: str | None = None,
    overwrite: bool = False,
    verbose: bool = True,
    num_shards: int = 1,
) -> str:
    """Read every sample of an optimized dataset, call ``key_fn`` on it, and write the ``keys/`` store.

    Afterwards ``dataset["some-key"]`` (str keys), ``dataset.get_by_key(k)`` and `dataset_update` work. The store
    goes next to the data, or into ``output_dir``. Returns the path of the ``keys`` folder.
    """
    from litdata.processing.output import resolve_output

    location = str(input_dir)
    is_local = "://" not in location
    if is_local and not os.path.isdir(location):
        raise FileNotFoundError(f"Dataset directory not found: {input_dir}")
    target = resolve_output(output_dir or location)
    if not overwrite and (target.exists(os.path.join(KEYS_DIRNAME, shard_filename(0)))):
        raise FileExistsError(f"Key index already exists under {output_dir or location}. Pass overwrite=True.")
    pairs = list(iter_keys(location, key_fn, verbose=verbose))
    write_keys_for(target, [key for _, key in pairs], [i for i, _ in pairs], num_shards)
    return target.join(KEYS_DIRNAME)


def write_keys_index(
    output: Any, key_fn: Callable[[Any], Any], verbose: bool = False, num_shards: int = 1, **dataset_options: Any
) -> None:
    """Read back the dataset just written to ``output`` and write its keys store (``optimize(..., key_fn=)``)."""
    with tempfile.TemporaryDirectory(prefix="litdata-keys-cache-") as cache_dir:
        pairs = list(iter_keys(output.path, key_fn, verbose, cache_dir, **dataset_options))
    write_keys_for(output, [key for _, key in pairs], [i for i, _ in pairs], num_shards)


def write_keys_for(output: Any, keys: Sequence[Any], indices: Sequence[int], num_shards: int = 1) -> None:
    """Write the keys store of the dataset at ``output`` (a processing output) and record it in its index."""
    index = output.read_json(_INDEX_FILENAME)
    if index is None:
        raise FileNotFoundError(f"Missing {_INDEX_FILENAME} in {output.join('')}. Did you run optimize()?")
    tables = keys_tables(keys, indices, index["chunks"], num_shards)
    if "://" not in output.path:  # a local folder: written in place
        write_keys_store(output.path, tables)
    else:
        with tempfile.TemporaryDirectory(prefix="litdata-keys-") as scratch:
            for name in write_keys_store(scratch, tables):
                output.put_file(os.path.join(scratch, name), name.replace(os.sep, "/"))
    index["keys"] = keys_section(num_shards)
    output.write_json(_INDEX_FILENAME, index)


def __getattr__(name: str) -> Any:
    # The read side's helpers, reachable at LitData 0.2.76's path (litdata.utilities.keys_index) as before.
    return getattr(_read_side, name)
