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
