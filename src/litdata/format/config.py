"""`ChunksConfig`: a dataset's index, loaded and validated, with the chunk list the reader works from."""

from __future__ import annotations

import json
import os
from typing import Any

from litdata.constants import _INDEX_FILENAME
from litdata.format.chunk import ChunkLayout
from litdata.format.errors import not_corruption
from litdata.format.item_loader import BaseItemLoader, Interval, PyTreeLoader, TokensLoader
from litdata.format.serializers import Serializer
from litdata.storage.chunk_names import check_chunk_name


def load_index_file(path: str) -> dict[str, Any]:
    """Read and check an ``index.json``."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No index.json at {path!r}: this folder is not an optimized dataset. Create one with "
            "litdata.optimize(fn, inputs, output_dir=...), or point StreamingDataset at the folder that holds index.json."
        )
    try:
        with open(path) as f:
            index = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f"The index {path!r} is not valid JSON ({err}). It may be truncated: re-run optimize (mode='overwrite')."
        ) from err
    if isinstance(index, dict) and "chunks" not in index and "shards" in index:  # a MosaicML Streaming (MDS) dataset
        from litdata.format.mds import adapt_mds_index

        index = adapt_mds_index(index)
    if isinstance(index, dict) and index.get("chunks") == [] and index.get("config") is None:
        index = {**index, "config": {}}  # an optimize run whose fn returned no sample: an empty dataset
    if (
        not isinstance(index, dict)
        or not isinstance(index.get("chunks"), list)
        or not isinstance(index.get("config"), dict)
    ):
        raise ValueError(
            f"The index {path!r} is malformed: expected an object with 'chunks' (list) and 'config' (object). "
            "Re-run optimize (mode='overwrite') to rebuild it."
        )
    min_items = 0 if index["config"].get("item_loader") == "ParquetLoader" else 1  # a Parquet file may be empty
    for i, chunk in enumerate(index["chunks"]):
        problem = _chunk_entry_problem(chunk, min_items)
        if problem:
            raise ValueError(
                f"The index {path!r} is corrupted: chunk entry {i} {problem}. Re-run optimize (mode='overwrite') "
                "or download the dataset's index.json again."
            )
        check_chunk_name(chunk["filename"], path)
    data_format = index["config"].get("data_format")
    if data_format is not None and (
        not isinstance(data_format, list) or not all(isinstance(f, str) and f for f in data_format)
    ):
        raise ValueError(
            f"The index {path!r} is corrupted: config.data_format must be a list of format names, got "
            f"{data_format!r}. Re-run optimize (mode='overwrite')."
        )
    return index


def _is_count(value: Any, minimum: int) -> bool:
    return type(value) is int and value >= minimum


def _chunk_entry_problem(chunk: Any, min_items: int) -> str | None:
    """What is wrong with one entry of ``chunks`` (None: nothing)."""
    if not isinstance(chunk, dict):
        return f"is a {type(chunk).__name__}, not an object"
    missing = {"chunk_size", "filename"} - set(chunk)
    if missing:
        return f"lacks {sorted(missing)}"
    if not isinstance(chunk["filename"], str) or not chunk["filename"]:
        return f"has the filename {chunk['filename']!r}"
    if not _is_count(chunk["chunk_size"], min_items):
        return f"has chunk_size {chunk['chunk_size']!r} (expected an integer >= {min_items})"
    if chunk.get("dim") is not None and not _is_count(chunk["dim"], 0):
        return f"has dim {chunk['dim']!r} (expected an integer >= 0 or null)"
    if chunk.get("chunk_bytes") is not None and not _is_count(chunk["chunk_bytes"], 0):
        return f"has chunk_bytes {chunk['chunk_bytes']!r} (expected an integer >= 0)"
    return None


def _check_item_loader(config: dict, item_loader: BaseItemLoader) -> None:
    expected = config.get("item_loader")
    if expected and expected != type(item_loader).__name__:
        raise ValueError(
            f"This dataset (index.json) was written with {expected}, but it is being read with {type(item_loader).__name__}. "
            f"Pass item_loader={expected}(...) to StreamingDataset."
        )
    if expected is None:
        data_format = config.get("data_format") or []
        if (
            len(data_format) == 1
            and str(data_format[0]).startswith("no_header_tensor")
            and not isinstance(item_loader, TokensLoader)
        ):
            raise ValueError("This dataset stores raw tokens: read it with item_loader=TokensLoader(block_size=...).")


class _MissingEncryption:
    """Stands in for the key of an encrypted dataset opened without ``encryption=``: the first read fails (as in
    LitData 0.2.76, whose constructor accepts such a dataset)."""

    def __init__(self, stored: dict[str, Any]) -> None:
        self.algorithm = stored.get("algorithm")
        self.level = stored.get("level")

    def decrypt(self, data: bytes) -> bytes:
        raise not_corruption(
            ValueError(
                "Data is encrypted but no encryption object was provided. Pass "
                "encryption=FernetEncryption.load('key.json', password) (the same key the dataset was written with)."
            )
        )


def _check_encryption(config: dict, encryption: Any) -> None:
    stored = config.get("encryption")
    if stored and encryption is not None:
        if stored.get("algorithm") != encryption.algorithm:
            raise ValueError(
                f"Encryption algorithm mismatch: the dataset uses {stored.get('algorithm')!r}, the given object "
                f"{encryption.algorithm!r}."
            )
        if stored.get("level") != encryption.level:
            raise ValueError(
                f"Encryption level mismatch: the dataset was encrypted per {stored.get('level')!r}, the given object "
                f"is set to {encryption.level!r}."
            )


def _default_item_loader(config: dict) -> BaseItemLoader:
    if config.get("item_loader") == "ParquetLoader":
        from litdata.format.parquet import ParquetLoader

        return ParquetLoader()
    if config.get("format") == "mds":
        from litdata.format.mds import MDSLoader

        return MDSLoader()
    if config.get("item_loader") == "TemporalArrayLoader":
        from litdata.format.temporal import TemporalArrayLoader

        return TemporalArrayLoader()
    return PyTreeLoader()


class ChunksConfig:
    """The chunks a reader may open and how to decode them.

    Args:
        cache_dir: the folder holding the dataset's ``index.json`` (and its chunks, or their local copies).
        serializers: the serializers by format name.
        remote_dir: the dataset's URL when ``cache_dir`` is a local copy, else ``None``.
        item_loader: how items are decoded (default: the loader the index names).
        subsampled_files: read only these chunk files.
        region_of_interest: one ``(start, end)`` item range per chunk read.
        storage_options: connection settings for ``remote_dir``.
        session_options: client session settings for ``remote_dir``.
        encryption: the key of an encrypted dataset.
        index: the index itself when it is already loaded (``cache_dir`` is then not read).
    """

    def __init__(
        self,
        cache_dir: str,
        serializers: dict[str, Serializer],
        remote_dir: str | None,
        item_loader: BaseItemLoader | None = None,
        subsampled_files: list[str] | None = None,
        region_of_interest: list[tuple[int, int]] | None = None,
        storage_options: dict | None = None,
        session_options: dict | None = None,
        *,
        encryption: Any = None,
        index: dict[str, Any] | None = None,
    ) -> None:
        if index is None:
            index = load_index_file(os.path.join(cache_dir, _INDEX_FILENAME))
        self._cache_dir = cache_dir
        self._remote_dir = remote_dir
        self._storage_options = storage_options
        self._session_options = session_options
        self._index = index
        self._config: dict[str, Any] = index["config"]
        self._item_loader = item_loader or _default_item_loader(self._config)
        _check_item_loader(self._config, self._item_loader)
        _check_encryption(self._config, encryption)
        by_name = {c["filename"]: c for c in index["chunks"]}
        if subsampled_files is None:
            self._chunks = list(index["chunks"])
        else:
            self._chunks = [by_name[name] for name in subsampled_files]
        self._item_loader.setup(self._config, self._chunks, serializers, region_of_interest)
        self._intervals = self._item_loader.generate_intervals()
        level = self._config.get("compression_level") or "chunk"
        stored_encryption = self._config.get("encryption") or {}
        self.layout = ChunkLayout(
            compression=self._config.get("compression"),
            compression_level=level,
            encryption=(encryption or _MissingEncryption(stored_encryption)) if stored_encryption else None,
            encryption_level=stored_encryption.get("level"),
        )

    @classmethod
    def load(
        cls,
        cache_dir: str,
        serializers: dict[str, Serializer],
        remote_dir: str | None = None,
        item_loader: BaseItemLoader | None = None,
        subsampled_files: list[str] | None = None,
        region_of_interest: list[tuple[int, int]] | None = None,
        storage_options: dict | None = None,
        session_options: dict | None = None,
        *,
        encryption: Any = None,
    ) -> ChunksConfig | None:
        """The config of the dataset in ``cache_dir``, after fetching its ``index.json`` from ``remote_dir`` (when
        given, except ``hf://``); ``None`` when there is no index (yet)."""
        path = os.path.join(cache_dir, _INDEX_FILENAME)
        if remote_dir and not remote_dir.startswith("hf://"):
            from litdata.storage import join_url
            from litdata.storage.downloader import get_downloader

            downloader = get_downloader(remote_dir, cache_dir, [], storage_options, session_options)
            downloader.download_file(join_url(remote_dir, _INDEX_FILENAME), path)
        if not os.path.exists(path):
            return None
        return cls(
            cache_dir,
            serializers,
            remote_dir,
            item_loader,
            subsampled_files,
            region_of_interest,
            storage_options,
            session_options,
            encryption=encryption,
        )

    @property
    def data_format(self) -> list[str] | None:
        """Format name of every leaf of a sample."""
        return self._config.get("data_format")

    @property
    def data_format_unflattened(self) -> Any:
        """The format names arranged as a sample (a dict of names for dict samples)."""
        from litdata.utilities._pytree import tree_unflatten, treespec_loads

        return tree_unflatten(self._config["data_format"], treespec_loads(self._config["data_spec"]))

    @property
    def compression(self) -> str | None:
        return self._config.get("compression")

    @property
    def chunk_bytes(self) -> int | None:
        """The ``chunk_bytes`` limit the dataset was written with."""
        return self._config.get("chunk_bytes")

    @property
    def chunks(self) -> list[dict[str, Any]]:
        return self._chunks

    @property
    def config(self) -> dict[str, Any]:
        return self._config

    @property
    def intervals(self) -> list[Interval]:
        return self._intervals

    @property
    def item_loader(self) -> BaseItemLoader:
        return self._item_loader

    @property
    def num_bytes(self) -> int:
        return sum(c.get("chunk_bytes") or 0 for c in self._chunks)

    @property
    def updated_at(self) -> str | None:
        return self._index.get("updated_at")

    def __len__(self) -> int:
        return len(self._chunks)
