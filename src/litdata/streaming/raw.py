"""`StreamingRawDataset`: a map-style dataset over the raw files of a local folder or a bucket, no `optimize` needed.

The list of files is discovered once and cached (``{cache_dir}/{md5(input_dir)}/raw_index.json``). Items are the
files' bytes, fetched on demand (batches concurrently); override `StreamingRawDataset.setup` to group files into
samples.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

from torch.utils.data import Dataset

from litdata.storage import Storage, get_storage
from litdata.storage.base import temporary_path
from litdata.streaming.errors import EmptyDatasetError
from litdata.streaming.sources import default_cache_root

_RAW_INDEX = "raw_index.json"
_DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class FileMetadata:
    """One discovered file: its full path or URL, and its size in bytes."""

    path: str
    size: int


class BaseIndexer(ABC):
    """Finds the files of an input folder and caches the list."""

    @abstractmethod
    def discover_files(self, input_dir: str, storage_options: dict[str, Any] | None) -> list[FileMetadata]:
        """Every file to include, in a stable order."""

    def build_or_load_index(
        self, input_dir: str, cache_dir: str, storage_options: dict[str, Any] | None, recompute_index: bool = False
    ) -> list[FileMetadata]:
        """The cached file list of ``input_dir`` (discovered and cached when missing or ``recompute_index``)."""
        path = os.path.join(cache_dir, _RAW_INDEX)
        if not recompute_index and os.path.exists(path):
            with open(path) as f:
                return [FileMetadata(**entry) for entry in json.load(f)["files"]]
        files = self.discover_files(input_dir, storage_options)
        if not files:
            raise EmptyDatasetError(f"No files found in {input_dir} (check the path and the indexer's extensions).")
        os.makedirs(cache_dir, exist_ok=True)
        tmp = temporary_path(path)
        with open(tmp, "w") as f:
            json.dump({"source": input_dir, "files": [asdict(m) for m in files], "created_at": time.time()}, f)
        os.replace(tmp, path)
        return files


class FileIndexer(BaseIndexer):
    """All files under the input folder, at most ``max_depth`` folders deep, optionally only some extensions.

    Args:
        max_depth: how many folder levels below the input folder are searched.
        extensions: keep only files ending with one of these (e.g. ``[".jpg", ".png"]``; case-insensitive).
    """

    def __init__(self, max_depth: int = 5, extensions: list[str] | None = None) -> None:
        self.max_depth = max_depth
        self.extensions = tuple(e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions or [])

    def discover_files(self, input_dir: str, storage_options: dict[str, Any] | None) -> list[FileMetadata]:
        root = input_dir.rstrip("/") + "/"
        files = []
        for obj in get_storage(input_dir, storage_options).list(input_dir):
            relative = obj.url[len(root) :]
            name = relative.rsplit("/", 1)[-1]
            if name.startswith(".") or relative.count("/") > self.max_depth:
                continue
            if self.extensions and not name.lower().endswith(self.extensions):
                continue
            files.append(FileMetadata(obj.url, obj.size))
        return files


class StreamingRawDataset(Dataset):
    """Map-style dataset whose items are raw files (or groups of files, see `setup`).

    Args:
        input_dir: a local folder or a URL (``s3://``, ``gs://``, ``azure://``, ...).
        cache_dir: where the file list (and, with ``cache_files``, the files) are cached.
        indexer: how files are discovered (default: `FileIndexer`).
        storage_options: connection settings of the storage.
        cache_files: keep downloaded files in the cache folder (otherwise bytes are read straight into memory).
        recompute_index: list the files again instead of using the cached list.
        transform: applied to every item (bytes, or a list of bytes for grouped items).
        max_concurrent_downloads: how many files a batch fetches at once (default 16).
        item_type: ``"bytes"`` (default) or ``"path"`` (local paths of cached files; needs ``cache_files=True``).
    """

    def __init__(
        self,
        input_dir: str,
        cache_dir: str | None = None,
        indexer: BaseIndexer | None = None,
        storage_options: dict | None = None,
        cache_files: bool = False,
        recompute_index: bool = False,
        transform: Callable[[Any], Any] | None = None,
        max_concurrent_downloads: int | None = None,
        item_type: Literal["bytes", "path"] = "bytes",
    ) -> None:
        if item_type not in ("bytes", "path"):
            raise ValueError(f"item_type must be 'bytes' or 'path', got {item_type!r}.")
        if item_type == "path" and not cache_files:
            raise ValueError("item_type='path' returns local files, so it needs cache_files=True.")
        self.input_dir = str(input_dir).rstrip("/")
        self.storage_options = storage_options or {}
        self.cache_files = cache_files
        self.item_type = item_type
        self.transform = transform
        self.max_concurrent_downloads = max_concurrent_downloads or _DEFAULT_CONCURRENCY
        self.indexer = indexer or FileIndexer()
        key = hashlib.md5(self.input_dir.encode()).hexdigest()
        self.cache_dir = os.path.join(cache_dir or default_cache_root(), key)
        self.storage: Storage = get_storage(self.input_dir, self.storage_options)
        self.files = self.indexer.build_or_load_index(
            self.input_dir, self.cache_dir, self.storage_options, recompute_index
        )
        self.items = self.setup(self.files)

    def setup(self, files: list[FileMetadata]) -> list[FileMetadata] | list[list[FileMetadata]]:
        """Turn the discovered files into items: one per file by default; return lists to group files."""
        return files

    def __len__(self) -> int:
        return len(self.items)

    def _local_path(self, file: FileMetadata) -> str:
        relative = file.path[len(self.input_dir) :].lstrip("/")
        return os.path.join(self.cache_dir, "files", relative)

    def _fetch(self, file: FileMetadata) -> bytes | str:
        if not self.cache_files:
            return self.storage.read_bytes(file.path)
        local = self._local_path(file)
        if not os.path.exists(local):
            self.storage.download_file(file.path, local)
        if self.item_type == "path":
            return local
        with open(local, "rb") as f:
            return f.read()

    def _finish(self, item: FileMetadata | list[FileMetadata], data: list[Any]) -> Any:
        value = data if isinstance(item, list) else data[0]
        return self.transform(value) if self.transform is not None else value

    def __getitem__(self, index: int) -> Any:
        item = self.items[index]
        files = item if isinstance(item, list) else [item]
        return self._finish(item, [self._fetch(f) for f in files])

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch: every file of every item is fetched concurrently."""
        items = [self.items[i] for i in indices]
        files = [f for item in items for f in (item if isinstance(item, list) else [item])]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrent_downloads, max(1, len(files)))) as pool:
            data = list(pool.map(self._fetch, files))
        out, pos = [], 0
        for item in items:
            count = len(item) if isinstance(item, list) else 1
            out.append(self._finish(item, data[pos : pos + count]))
            pos += count
        return out
