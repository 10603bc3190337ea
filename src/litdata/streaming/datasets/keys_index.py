"""The ``keys/`` store of a keyed dataset: which sample holds each entity key (str or int).

On disk (LitData 0.2.76's layout, readable by both)::

    index.json            has a "keys" section: {"version": 1, "num_shards": N, "sharding": "none" | "hash"}
    keys/shard-00000.parquet ...

Each shard holds the columns ``key`` (large_string or int64), ``index`` (int64, global sample index),
``chunk_index`` (int32, position of the chunk in ``index.json``) and ``chunk_offset`` (int32, the global index
again, as 0.2.76 writes it), sorted by key. With several shards a row goes to ``blake2b(str(key), 8 bytes,
little endian) % N``. A single ``keys.parquet`` at the dataset root (older layout) is read too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from litdata.constants import _INDEX_FILENAME

KEYS_DIRNAME = "keys"
LEGACY_KEYS_FILENAME = "keys.parquet"
KEYS_VERSION = 1


def shard_filename(shard: int) -> str:
    return f"shard-{shard:05d}.parquet"


def normalize_key(key: Any) -> str | int:
    """A key as stored: ``str`` or ``int`` (bytes are decoded as UTF-8, numpy integers become ``int``)."""
    if isinstance(key, (bool, np.bool_)) or key is None:
        raise TypeError(f"Unsupported key type: {type(key)!r} ({key!r}). Keys must be str or int.")
    if isinstance(key, (int, np.integer)):
        return int(key)
    if isinstance(key, str):
        return key
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key).decode("utf-8")
    raise TypeError(f"Unsupported key type: {type(key)!r}. Keys must be str or int.")


def key_shard(key: str | int, num_shards: int) -> int:
    """The shard holding ``key`` among ``num_shards`` (stable across processes and machines)."""
    if num_shards <= 1:
        return 0
    digest = hashlib.blake2b(str(key).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % num_shards


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


def read_shard(path: str) -> dict[str | int, int]:
    """The ``key -> global index`` map of one shard file."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["key", "index"])
    return dict(zip(table.column("key").to_pylist(), table.column("index").to_pylist()))


def has_keys_store(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, KEYS_DIRNAME, shard_filename(0))) or os.path.isfile(
        os.path.join(folder, LEGACY_KEYS_FILENAME)
    )


class KeyLookup:
    """Key -> global sample index of a dataset, loading one shard at a time on first use.

    Args:
        source: the dataset's chunk source (a local folder, or a remote dataset with its cache folder).
        keys_config: the ``keys`` section of ``index.json`` (None: a single shard, or the legacy file).
    """

    def __init__(self, source: Any, keys_config: dict[str, Any] | None) -> None:
        self._source = source
        self._num_shards = int((keys_config or {}).get("num_shards") or 1)
        self._shards: dict[int, dict[str | int, int]] = {}

    def _shard(self, shard: int) -> dict[str | int, int]:
        if shard not in self._shards:
            path = fetch_dataset_file(self._source, os.path.join(KEYS_DIRNAME, shard_filename(shard)))
            if path is None and self._num_shards == 1:
                path = fetch_dataset_file(self._source, LEGACY_KEYS_FILENAME)
            if path is None:
                raise KeyError(
                    "Keyed access needs a keys/ index next to the dataset: write one with optimize(..., key_fn=...) "
                    "or litdata.build_keys_index(dir, key_fn)."
                )
            self._shards[shard] = read_shard(path)
        return self._shards[shard]

    def index_of(self, key: Any) -> int:
        """The global sample index of ``key``; ``KeyError(key)`` when the dataset has no such key."""
        normalized = normalize_key(key)
        try:
            return self._shard(key_shard(normalized, self._num_shards))[normalized]
        except KeyError as missing:
            if missing.args and missing.args[0] == normalized:
                raise KeyError(normalized) from None
            raise


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
    from litdata.streaming.reading.reader import BinaryReader
    from litdata.streaming.reading.resolver import _resolve_dir
    from litdata.streaming.reading.sampler import ChunkedIndex
    from litdata.format.serializers import _get_serializers
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


def read_keys_config(folder: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(folder, _INDEX_FILENAME)) as f:
            return json.load(f).get("keys")
    except FileNotFoundError:
        return None


def fetch_dataset_file(source: Any, name: str) -> str | None:
    """A local path for the file ``name`` of a dataset, or None. A remote dataset's file is downloaded (again) into
    its cache folder: the keys store can be rebuilt without the dataset's version changing."""
    local = os.path.join(source.folder, name)
    if not getattr(source, "remote", False):
        return local if os.path.isfile(local) else None
    from litdata.storage import join_url
    from litdata.storage.base import temporary_path

    os.makedirs(os.path.dirname(local), exist_ok=True)
    tmp = temporary_path(local)
    try:
        source.downloader.download_file(join_url(source.url, name.replace(os.sep, "/")), tmp)
        os.replace(tmp, local)
    except FileNotFoundError:
        return None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return local
