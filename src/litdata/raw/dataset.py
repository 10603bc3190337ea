"""`StreamingRawDataset`: a map-style dataset over the raw files of a local folder or a bucket, no `optimize` needed.

Files are listed once (see `litdata.raw.indexer`) and fetched on demand: a batch (``__getitems__``, which PyTorch's
DataLoader calls with the batch's indices) fetches all its files concurrently, and a batch of consecutive indices
starts fetching the next ones in the background (``max_prefetch``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Literal

from torch.utils.data import Dataset, get_worker_info

from litdata.constants import default_cache_root
from litdata.raw.indexer import BaseIndexer, FileIndexer, FileMetadata
from litdata.storage import Storage, get_storage
from litdata.streaming.reading.resolver import Dir, _resolve_dir

_RANGE_PARALLEL_THRESHOLD = 0  # ranged parallel GETs are opt-in
_RANGE_CHUNK_SIZE = 8 * 1024 * 1024
_HEDGE_MAX_BYTES = 8 * 1024 * 1024  # only small objects are hedged
_ASSUMED_BANDWIDTH_BPS = 25 * 1024 * 1024  # per stream, to size the batch timeout of large files
_AGGREGATE_PREFETCH_BUDGET = 64  # look-ahead items across all DataLoader workers
_DEFAULT_CONCURRENCY = 32
_MIN_CONCURRENCY_PER_WORKER = 8


def _num_workers() -> int:
    info = get_worker_info()
    return info.num_workers if info is not None else 1


class _LRUCache:
    """At most ``maxsize`` prefetched items, the least recently used dropped first."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[int, Any] = OrderedDict()

    def pop(self, key: int, default: Any = None) -> Any:
        return self._data.pop(key, default)

    def put(self, key: int, value: Any) -> None:
        if self.maxsize <= 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._data


class StreamingRawDataset(Dataset):
    """Map-style dataset whose items are raw files (or groups of files: override `setup`).

    Args:
        input_dir: a local folder or a URL (``s3://``, ``gs://``, ``azure://``, ...), or a `Dir`.
        cache_dir: root of the cache (the file list, and the files with ``cache_files=True``).
        indexer: how files are discovered (default: `FileIndexer`).
        storage_options: connection settings of the storage.
        cache_files: keep fetched files in the cache folder (otherwise bytes are read straight into memory).
        recompute_index: list the files again instead of using a cached list.
        transform: applied to every item (``bytes`` / ``list[bytes]``, or paths with ``item_type="path"``).
        max_concurrent_downloads: files fetched at once per process; None sizes it from the DataLoader workers.
        max_prefetch: after a batch of consecutive indices, fetch up to this many next items in the background
            (capped at ``64 // num_workers`` per DataLoader worker); 0 turns it off.
        prefetch_cache_size: how many prefetched items are kept (default ``2 * max_prefetch``).
        item_type: ``"bytes"`` (default) or ``"path"`` (local paths of cached files; needs ``cache_files=True``).
        hedge_delay: seconds after which a second request races a slow one, for files up to 8 MB (0: off).
        download_timeout: at least this many seconds for a batch before ``TimeoutError`` (raised for large files
            by their size at 25 MB/s); 0: no limit.
        range_parallel_threshold: files at least this large are fetched as parallel byte ranges (0: off).
        range_chunk_size: the size of those ranges.
    """

    def __init__(
        self,
        input_dir: str | Dir,
        cache_dir: str | None = None,
        indexer: BaseIndexer | None = None,
        storage_options: dict | None = None,
        cache_files: bool = False,
        recompute_index: bool = False,
        transform: Callable[[Any], Any] | None = None,
        max_concurrent_downloads: int | None = None,
        max_prefetch: int = 16,
        prefetch_cache_size: int | None = None,
        item_type: Literal["bytes", "path"] = "bytes",
        hedge_delay: float = 0.0,
        download_timeout: float = 120.0,
        range_parallel_threshold: int = _RANGE_PARALLEL_THRESHOLD,
        range_chunk_size: int = _RANGE_CHUNK_SIZE,
    ) -> None:
        if item_type not in ("bytes", "path"):
            raise ValueError(f"item_type must be 'bytes' or 'path', got {item_type!r}")
        if item_type == "path" and not cache_files:
            raise ValueError("item_type='path' requires cache_files=True")
        if max_concurrent_downloads is not None and max_concurrent_downloads < 1:
            raise ValueError(f"max_concurrent_downloads must be a positive integer, got {max_concurrent_downloads}.")
        if range_chunk_size < 1:
            raise ValueError(f"range_chunk_size must be a positive number of bytes, got {range_chunk_size}.")
        self.input_dir = _resolve_dir(input_dir)
        self._location = (self.input_dir.url or self.input_dir.path or "").rstrip("/")
        self.storage_options = storage_options or {}
        self.cache_files = cache_files
        self.item_type = item_type
        self.transform = transform
        self.max_concurrent_downloads = max_concurrent_downloads
        self.max_prefetch = max(0, max_prefetch)
        if prefetch_cache_size is None:
            prefetch_cache_size = 2 * self.max_prefetch
        self.prefetch_cache_size = max(0, prefetch_cache_size)
        self.hedge_delay = max(0.0, hedge_delay)
        self.download_timeout = max(0.0, download_timeout)
        self.range_parallel_threshold = max(0, range_parallel_threshold)
        self.range_chunk_size = range_chunk_size
        self.indexer = indexer or FileIndexer()
        key = hashlib.md5(self._location.encode()).hexdigest()
        self.cache_dir = os.path.join(cache_dir or default_cache_root(), key)
        os.makedirs(self.cache_dir, exist_ok=True)
        self.files: list[FileMetadata] = self.indexer.build_or_load_index(
            self._location, self.cache_dir, self.storage_options, recompute_index
        )
        self.items: list[FileMetadata] | list[list[FileMetadata]] = self.setup(self.files)
        if not isinstance(self.items, list):
            raise TypeError(f"The setup method must return a list, but returned {type(self.items)}")
        for item in self.items:
            if not isinstance(item, FileMetadata) and not (
                isinstance(item, list) and all(isinstance(f, FileMetadata) for f in item)
            ):
                raise TypeError(
                    f"Dataset items must be of type FileMetadata or List[FileMetadata], but found {type(item)}"
                )
        self._reset_runtime()

    def setup(self, files: list[FileMetadata]) -> list[FileMetadata] | list[list[FileMetadata]]:
        """Turn the discovered files into items: one per file by default; return lists of files to group them."""
        return files

    def __len__(self) -> int:
        return len(self.items)

    # ---------------------------------------------------------------- per-process state
    def _reset_runtime(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._helpers: ThreadPoolExecutor | None = None
        self._storage: Storage | None = None
        self._prefetched = _LRUCache(self.prefetch_cache_size)
        self._inflight: dict[int, Future] = {}

    def __getstate__(self) -> dict[str, Any]:
        skip = {"_lock", "_pool", "_helpers", "_storage", "_prefetched", "_inflight"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_runtime()

    def _check_process(self) -> None:
        if self._pid != os.getpid():  # forked into a DataLoader worker: threads and pools do not survive a fork
            self._reset_runtime()

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = get_storage(self._location, self.storage_options)
        return self._storage

    def _concurrency(self) -> int:
        if self.max_concurrent_downloads is not None:
            return self.max_concurrent_downloads
        return max(_MIN_CONCURRENCY_PER_WORKER, _DEFAULT_CONCURRENCY // _num_workers())

    def _pools(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._concurrency(), thread_name_prefix="litdata-raw")
                # hedges and byte ranges run here, so a fetch never waits on a slot its own pool holds
                self._helpers = ThreadPoolExecutor(self._concurrency(), thread_name_prefix="litdata-raw-part")
            assert self._helpers is not None  # created and dropped together with _pool
        return self._pool, self._helpers

    # ---------------------------------------------------------------- fetching one file
    def _local_path(self, file: FileMetadata) -> str:
        relative = file.path[len(self._location) :].lstrip("/").lstrip(os.sep)
        return os.path.join(self.cache_dir, "files", relative)

    def _read(self, file: FileMetadata) -> bytes:
        size = file.size
        if self.range_parallel_threshold and size and size >= self.range_parallel_threshold:
            _, helpers = self._pools()
            starts = range(0, size, self.range_chunk_size)
            parts = [
                helpers.submit(self.storage.read_range, file.path, s, min(self.range_chunk_size, size - s))
                for s in starts
            ]
            return b"".join(part.result() for part in parts)
        if self.hedge_delay and size <= _HEDGE_MAX_BYTES:
            _, helpers = self._pools()
            first = helpers.submit(self.storage.read_bytes, file.path)
            done, _ = wait([first], timeout=self.hedge_delay)
            if done:
                return first.result()
            second = helpers.submit(self.storage.read_bytes, file.path)
            done, _ = wait([first, second], return_when=FIRST_COMPLETED)
            winner = done.pop()
            if winner.exception() is not None:  # the other request may still succeed
                other = second if winner is first else first
                return other.result()
            return winner.result()
        return self.storage.read_bytes(file.path)

    def _fetch(self, file: FileMetadata) -> bytes | str:
        if not self.cache_files:
            return self._read(file)
        local = self._local_path(file)
        if not os.path.exists(local):
            self.storage.download_file(file.path, local)
        if self.item_type == "path":
            return local
        with open(local, "rb") as f:
            return f.read()

    # ---------------------------------------------------------------- items and batches
    def _files_of(self, index: int) -> list[FileMetadata]:
        item = self.items[index]
        return item if isinstance(item, list) else [item]

    def _fetch_item(self, index: int) -> list[Any]:
        return [self._fetch(f) for f in self._files_of(index)]

    def _finish(self, index: int, data: list[Any]) -> Any:
        value = data if isinstance(self.items[index], list) else data[0]
        return self.transform(value) if self.transform is not None else value

    def _budget(self, indices: list[int]) -> float | None:
        if not self.download_timeout:
            return None
        sizes = [f.size for i in indices for f in self._files_of(i)]
        slowest = max(sizes, default=0) / _ASSUMED_BANDWIDTH_BPS * 3
        waves = sum(sizes) / _ASSUMED_BANDWIDTH_BPS * 3 / max(1, self._concurrency())
        return max(self.download_timeout, slowest, waves)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(f"Index {index} out of range for dataset with length {len(self)}")
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch: the files of every item are fetched concurrently (prefetched items are taken as they are)."""
        self._check_process()
        for index in indices:
            if not 0 <= index < len(self):
                raise IndexError(f"Index {index} out of range for dataset with length {len(self)}")
        pool, _ = self._pools()
        futures: dict[int, Future] = {}
        ready: dict[int, list[Any]] = {}
        for index in indices:
            if index in ready or index in futures:
                continue
            with self._lock:
                if index in self._prefetched:
                    ready[index] = self._prefetched.pop(index)
                    continue
                future = self._inflight.pop(index, None)
            futures[index] = future if future is not None else pool.submit(self._fetch_item, index)
        if futures:
            budget = self._budget(list(futures))
            _, pending = wait(list(futures.values()), timeout=budget)
            if pending:
                for future in pending:
                    future.cancel()
                raise TimeoutError(
                    f"Fetching {len(pending)} of {len(futures)} items from {self._location} took more than "
                    f"{budget:.0f}s. Check the storage, or raise download_timeout (0 disables the limit)."
                )
            for index, future in futures.items():
                ready[index] = future.result()
        self._prefetch_after(indices)
        return [self._finish(index, ready[index]) for index in indices]

    def _prefetch_after(self, indices: list[int]) -> None:
        if not self.max_prefetch or not self.prefetch_cache_size or not indices:
            return
        if any(b != a + 1 for a, b in zip(indices, indices[1:])):
            return  # random access: look-ahead would fetch items nobody asked for
        ahead = min(self.max_prefetch, max(1, _AGGREGATE_PREFETCH_BUDGET // _num_workers()), self.prefetch_cache_size)
        pool, _ = self._pools()
        for index in range(indices[-1] + 1, min(len(self), indices[-1] + 1 + ahead)):
            with self._lock:
                if index in self._prefetched or index in self._inflight:
                    continue
                future = self._inflight[index] = pool.submit(self._fetch_item, index)
            future.add_done_callback(functools.partial(self._keep, index))

    def _keep(self, index: int, future: Future) -> None:
        with self._lock:
            if self._inflight.get(index) is not future:
                return  # already handed to a batch
            del self._inflight[index]
            if not future.cancelled() and future.exception() is None:
                self._prefetched.put(index, future.result())

    def close(self) -> None:
        """Stop the fetching threads of this process."""
        for pool in (self._pool, self._helpers):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._helpers = None

    def __del__(self) -> None:
        if getattr(self, "_pid", None) == os.getpid():
            self.close()
