"""Where chunk files come from: read in place from a local folder, or downloaded into a shared cache folder.

A cache folder holds one version of one dataset, ``{cache_root}/{md5(url)}/{updated_at}``, and may be shared by
threads, DataLoader workers and separate processes. Its bookkeeping lives in hidden subfolders:

- ``.locks/{chunk}.lock``: held while a chunk is checked, downloaded or evicted;
- ``.pins/{chunk}@{pid}-{reader}``: a reader uses the chunk, so it is never evicted (pins of dead processes are
  ignored);
- ``.reserved/{chunk}@{pid}-{reader}``: bytes promised to a download in progress, counted against ``max_cache_size``;
- ``.locks/cache.lock``: held while space is reserved or reclaimed.

A reader pins a chunk before it checks (under the chunk's lock) that the file exists; the evictor takes the chunk's
lock before it looks for pins. So a chunk is deleted only when nobody can be about to open it.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from typing import Any, NamedTuple

from filelock import FileLock, Timeout

import litdata.settings as settings
from litdata.constants import _INDEX_FILENAME, default_cache_root
from litdata.debugger import CAT_DELETE, CAT_DOWNLOAD, trace_span
from litdata.format.errors import EmptyDatasetError
from litdata.sizes import parse_size
from litdata.storage import join_url
from litdata.storage.base import temporary_path
from litdata.storage.chunk_names import check_chunk_name, check_index_chunks, path_inside
from litdata.storage.downloader import Downloader, get_downloader
from litdata.streaming.reading.resolver import Dir, check_dataset_location
from litdata.utilities.processes import pid_alive

logger = logging.getLogger("litdata.streaming")

_LOCKS, _PINS, _RESERVED = ".locks", ".pins", ".reserved"
_FREE_DISK_RESERVE = 50 * 1000**3
_ADVISED_MIN_CACHE = 25 * 1000**3
_STATE_LOCK = threading.Lock()


class _ProcessState(NamedTuple):
    """What a `CachedSource` keeps per process."""

    pid: int
    lock: threading.Lock
    pins: Counter  # chunk -> how many readers of this process use it
    marker: str  # suffix of this process's pin and reservation markers
    fetching: dict[str, threading.Event]  # chunks this process's prefetch thread is downloading, set once in place


_TEMPORARY = re.compile(r"\.tmp-(\d+)-[0-9a-f]{8}")  # names made by litdata.storage.base.temporary_path


class ChunkWaitTimeoutError(FileNotFoundError):
    """A chunk did not become available in time (its download hung or is far too slow)."""

    def __init__(self, path: str, waited_s: float, url: str | None = None) -> None:
        where = f" of {url}" if url else ""
        super().__init__(
            f"Timed out after {waited_s:.0f}s waiting for chunk {path!r}{where}: another reader is still "
            f"downloading it. Check that the storage endpoint is reachable and fast enough, or wait longer with the "
            f"environment variable MAX_WAIT_TIME=<seconds>."
        )
        self.path, self.url, self.waited_s = path, url, waited_s


_LOCK_POLL_S = 0.005  # how often a reader waiting for another process's download checks its lock
# Prefetched chunks smaller than this are downloaded together (their time is request latency); larger ones one by one.
_BULK_CHUNK_BYTES = 4 << 20


def max_wait_time() -> float:
    """Seconds a reader waits for a chunk another reader is downloading (``MAX_WAIT_TIME``, default 120)."""
    return settings.MAX_WAIT_TIME.get()


def resolve_max_cache_size(value: int | float | str | None, folder: str) -> int | None:
    """The cache limit in bytes; None means unlimited.

    ``MAX_CACHE_SIZE`` (a size such as ``"50GB"``, bytes, or a fraction such as ``"0.5"``) overrides ``value``.
    None → 75% of the free disk, keeping 50 GB free (at least 25% of the free disk); a float in (0, 1] → that
    fraction of the free disk; 0 → unlimited.
    """
    env = (settings.MAX_CACHE_SIZE.get() or "").strip()
    if env:
        value = float(env) if "." in env and _is_fraction(env) else env
    if value is None or (isinstance(value, float) and 0 < value <= 1):
        free = shutil.disk_usage(folder).free
        if value is None:
            return int(max(min(0.75 * free, free - _FREE_DISK_RESERVE), 0.25 * free))
        return int(value * free)
    return parse_size(value) or None


def small_cache_size(value: int | float | str | None) -> bool:
    """Whether ``value`` is an absolute cache size under 25 GB (LitData 0.2.76 warns about those)."""
    if value is None or isinstance(value, (bool, float)) or (isinstance(value, str) and _is_fraction(value)):
        return False
    size = parse_size(value)
    if not size:
        return False
    return size < _ADVISED_MIN_CACHE


def _is_fraction(text: str) -> bool:
    try:
        return 0 < float(text) <= 1
    except ValueError:
        return False


def _owner_pid(marker: str) -> int | None:
    pid = marker.rpartition("@")[2].partition("-")[0]
    return int(pid) if pid.isdigit() else None


def _live_markers(folder: str, prefix: str = "") -> list[str]:
    """Marker files (``name@pid-reader``) in ``folder`` whose process is alive; markers of dead processes are removed."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    live = []
    for marker in names:
        if not marker.startswith(prefix):
            continue
        pid = _owner_pid(marker)
        if pid is not None and pid_alive(pid):
            live.append(marker)
        else:
            try:
                os.remove(os.path.join(folder, marker))
            except FileNotFoundError:
                pass
    return live


def remove_orphan_temporaries(folder: str) -> int:
    """Delete the partial downloads (``name.tmp-{pid}-{id}``) that readers killed mid-download left in ``folder``;
    returns how many. Files of live processes are kept: they may still be writing."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        pids = [int(pid) for pid in _TEMPORARY.findall(entry.name)]
        if pids and not any(pid_alive(pid) for pid in pids) and entry.is_file(follow_symlinks=False):
            try:
                os.remove(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


class ChunkSource:
    """Chunk files read in place from a local folder: nothing to fetch, pin or evict."""

    remote = False

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def ensure(self, filename: str) -> str:
        """The local path of ``filename``, fetched first if needed."""
        path = os.path.join(self.folder, check_chunk_name(filename, self.folder))
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"Chunk {filename!r} listed in the index is missing from {self.folder!r}. The dataset is incomplete: "
                "re-run optimize (mode='overwrite')."
            )
        return path

    def prefetch(self, filenames: list[str]) -> None:
        """Fetch ``filenames`` ahead of use, as far as the cache allows."""

    def acquire(self, filename: str) -> None:
        """Mark ``filename`` as in use by this process (it will not be evicted)."""

    def release(self, filename: str) -> None:
        """Undo one `acquire`."""

    def discard(self, filename: str) -> bool:
        """Delete a local copy found corrupted so that `ensure` fetches it again; False when the file is the
        dataset's own (nothing to fetch it from)."""
        return False


class CachedSource(ChunkSource):
    """Chunks downloaded from ``url`` into ``folder``, shared safely by every reader of that folder.

    Args:
        url: the dataset's remote location.
        folder: the cache folder of this dataset version.
        downloader: fetches files of ``url``.
        sizes: expected size in bytes of each chunk file (the index's ``chunk_bytes``), used to reserve space.
        max_cache_size: limit in bytes of the chunk files in ``folder``; None for no limit.
    """

    remote = True

    def __init__(
        self, url: str, folder: str, downloader: Downloader, sizes: dict[str, int], max_cache_size: int | None
    ) -> None:
        super().__init__(folder)
        self.url = url
        self.downloader = downloader
        self.sizes = sizes
        self.max_cache_size = max_cache_size
        for sub in (_LOCKS, _PINS, _RESERVED):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        self._warned_full = False
        remove_orphan_temporaries(folder)

    # ---------------------------------------------------------------- per-process state
    def _local(self) -> _ProcessState:
        """This process's state (fresh after a fork or unpickling)."""
        state = self.__dict__.get("_process_state")
        if state is None or state.pid != os.getpid():
            with _STATE_LOCK:
                state = self.__dict__.get("_process_state")
                if state is None or state.pid != os.getpid():
                    marker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
                    state = self._process_state = _ProcessState(os.getpid(), threading.Lock(), Counter(), marker, {})
        return state

    def _marker(self, folder: str, filename: str) -> str:
        return self._path(folder, f"{filename}@{self._local().marker}")

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_process_state"}

    def _path(self, *parts: str) -> str:
        return os.path.join(self.folder, *parts)

    def _chunk_lock(self, filename: str) -> FileLock:
        return FileLock(self._path(_LOCKS, f"{filename}.lock"))

    # ---------------------------------------------------------------- pins
    def acquire(self, filename: str) -> None:
        check_chunk_name(filename, self.url)
        state = self._local()
        with state.lock:
            state.pins[filename] += 1
            if state.pins[filename] == 1:
                open(self._marker(_PINS, filename), "w").close()

    def release(self, filename: str) -> None:
        state = self._local()
        with state.lock:
            pins = state.pins
            if pins[filename] <= 0:
                return
            pins[filename] -= 1
            if pins[filename] == 0:
                del pins[filename]
                try:
                    os.remove(self._marker(_PINS, filename))
                except FileNotFoundError:
                    pass

    def discard(self, filename: str) -> bool:
        with self._chunk_lock(filename):
            try:
                os.remove(self._path(filename))
            except FileNotFoundError:
                pass
        return True

    def _pinned(self, filename: str) -> bool:
        return bool(_live_markers(self._path(_PINS), f"{filename}@"))

    # ---------------------------------------------------------------- fetching
    def ensure(self, filename: str) -> str:
        path = path_inside(self.folder, filename)
        waited = max_wait_time()
        state = self._local()
        with state.lock:
            fetched_here = state.fetching.get(filename)
        if fetched_here is not None:  # this process's prefetch thread: woken the moment the chunk is in place
            fetched_here.wait(waited)
        try:  # another process's download: its lock is polled
            with self._chunk_lock(filename).acquire(timeout=waited, poll_interval=_LOCK_POLL_S):
                if os.path.exists(path):
                    # recency for eviction in the access time: the modification time stays the file version's
                    # (a chunk verified once in this process is not verified again, see `checksums`)
                    os.utime(path, ns=(time.time_ns(), os.stat(path).st_mtime_ns))
                    return path
                self._fetch([filename], required=True)
        except Timeout as err:
            raise ChunkWaitTimeoutError(filename, waited, self.url) from err
        return path

    def prefetch(self, filenames: list[str]) -> None:
        """Download the missing ones among ``filenames``, in order. A large chunk is fetched on its own and put in
        place at once, so that the first one needed arrives first, at the whole bandwidth; consecutive small chunks
        (under `_BULK_CHUNK_BYTES`), whose time goes into request latency rather than transfer, are fetched
        together in one bulk call (s5cmd when installed). A reader of this process waiting for a chunk is woken the
        moment it is in place. Chunks another reader is fetching are skipped; prefetching stops where the cache
        limit would be exceeded (the reader fetches those later)."""
        claimed: list[tuple[str, FileLock, threading.Event]] = []
        try:
            for filename in filenames:
                if os.path.exists(path_inside(self.folder, filename)):
                    continue
                lock = self._chunk_lock(filename)
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                claimed.append((filename, lock, self._announce(filename)))
            while claimed:
                batch = [claimed.pop(0)]
                while claimed and self._small(batch[-1][0]) and self._small(claimed[0][0]):
                    batch.append(claimed.pop(0))
                try:
                    todo = [name for name, _, _ in batch if not os.path.exists(path_inside(self.folder, name))]
                    if not self._fetch(todo, required=False):
                        break  # no room left in the cache
                finally:
                    self._publish(batch)
        finally:
            self._publish(claimed)

    def _small(self, filename: str) -> bool:
        return self.sizes.get(filename, 0) < _BULK_CHUNK_BYTES

    def _announce(self, filename: str) -> threading.Event:
        """Record that this process is downloading ``filename`` (see `ensure`)."""
        state = self._local()
        event = threading.Event()
        with state.lock:
            state.fetching[filename] = event
        return event

    def _fetch(self, filenames: list[str], required: bool) -> bool:
        """Download ``filenames`` (their locks held) within the cache limit: False, without downloading, when there
        is no room and they are not ``required`` (then the limit is exceeded, with a warning)."""
        if not filenames:
            return True
        if not self._reserve(filenames, required=required):
            return False
        try:
            self._download(filenames)
        finally:
            self._unreserve(filenames)
        return True

    def _publish(self, claimed: list[tuple[str, FileLock, threading.Event]]) -> None:
        """Release the locks of downloads that are over (done or not) and wake this process's readers of them."""
        state = self._local()
        for filename, lock, event in claimed:
            lock.release()
            with state.lock:
                del state.fetching[filename]
            event.set()

    def _download(self, filenames: list[str]) -> None:
        pairs = [(join_url(self.url, name), temporary_path(path_inside(self.folder, name))) for name in filenames]
        try:
            with trace_span("download", CAT_DOWNLOAD, chunks=",".join(filenames)):
                if len(pairs) == 1:
                    self.downloader.download_file(*pairs[0])
                else:
                    self.downloader.download_files(pairs)
            for name, (_, tmp) in zip(filenames, pairs):
                os.replace(tmp, self._path(name))
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            raise self._no_space(filenames) from error
        finally:
            for _, tmp in pairs:
                if os.path.exists(tmp):
                    os.remove(tmp)

    # ---------------------------------------------------------------- space
    def _reserve(self, filenames: list[str], required: bool) -> bool:
        """Make room for ``filenames`` (evicting unpinned chunks, oldest first) and record the reservation.
        Without room: False, unless ``required`` (then the limit is exceeded, with a warning)."""
        if self.max_cache_size is None:
            return True
        need = sum(self.sizes.get(name, 0) for name in filenames)
        with FileLock(self._path(_LOCKS, "cache.lock")):
            used = self._usage()
            if used + need > self.max_cache_size:
                used -= self._evict(used + need - self.max_cache_size)
            if used + need > self.max_cache_size:
                if not required:
                    return False
                if not self._warned_full:
                    self._warned_full = True
                    logger.warning(
                        "max_cache_size=%d bytes cannot hold the chunks in use plus %s (%d bytes) in %s: it is "
                        "exceeded. Raise max_cache_size (or lower max_pre_download / num_workers).",
                        self.max_cache_size,
                        filenames[0],
                        need,
                        self.folder,
                    )
            try:
                for name in filenames:
                    with open(self._marker(_RESERVED, name), "w") as f:
                        f.write(str(self.sizes.get(name, 0)))
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                raise self._no_space(filenames) from error
        return True

    def _no_space(self, filenames: list[str]) -> OSError:
        return OSError(
            errno.ENOSPC,
            f"No space left in the cache folder {self.folder!r} while downloading {', '.join(filenames)} of "
            f"{self.url}. Free disk space, pass a max_cache_size below the free space, or use another cache_dir.",
        )

    def _unreserve(self, filenames: list[str]) -> None:
        if self.max_cache_size is None:
            return
        for name in filenames:
            try:
                os.remove(self._marker(_RESERVED, name))
            except FileNotFoundError:
                pass

    def _chunk_entries(self) -> list[os.DirEntry]:
        """The dataset's chunk files present in the folder (other files are never counted nor evicted)."""
        return [e for e in os.scandir(self.folder) if e.name in self.sizes and e.is_file()]

    def _usage(self) -> int:
        """Bytes reserved by downloads in progress plus bytes of chunk files in the folder.

        Downloads finish outside the cache lock: a chunk is renamed into place, then its reservation is dropped.
        Reading the reservations first means a download finishing meanwhile is counted at least once (as a
        reservation, as a file, or both); read the other way round it could be counted as neither.
        """
        return self._reserved_bytes() + self._file_bytes()

    def _reserved_bytes(self) -> int:
        reserved = 0
        for marker in _live_markers(self._path(_RESERVED)):
            try:
                with open(self._path(_RESERVED, marker)) as f:
                    reserved += int(f.read() or 0)
            except (FileNotFoundError, ValueError):
                continue
        return reserved

    def _file_bytes(self) -> int:
        total = 0
        for entry in self._chunk_entries():
            try:
                total += entry.stat().st_size
            except FileNotFoundError:  # discarded (corrupt) by another reader meanwhile
                continue
        return total

    def _evict(self, excess: int) -> int:
        """Delete unpinned chunks, least recently used first, until ``excess`` bytes are freed; returns bytes freed."""
        entries = sorted(self._chunk_entries(), key=lambda e: e.stat().st_atime)
        freed = 0
        for entry in entries:
            if freed >= excess:
                break
            lock = self._chunk_lock(entry.name)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
            try:
                if self._pinned(entry.name) or not os.path.exists(entry.path):
                    continue
                path = path_inside(self.folder, entry.name)
                size = os.path.getsize(path)
                with trace_span("delete", CAT_DELETE, chunk=entry.name, size=size):
                    os.remove(path)
                freed += size
            finally:
                lock.release()
        return freed


# ---------------------------------------------------------------- opening a dataset
def split_parquet_pattern(location: str) -> tuple[str, str | None]:
    """``"s3://b/data/part-*.parquet"`` → ``("s3://b/data", "part-*.parquet")``; other locations are unchanged."""
    if location.endswith(".parquet"):
        base, _, pattern = location.rstrip("/").rpartition("/")
        return base, pattern
    return location, None


def _remove_old_versions(root: str, keep: str) -> None:
    """Delete other versions of a dataset in ``root`` unless a live process still pins one of their chunks."""
    for entry in os.listdir(root):
        folder = os.path.join(root, entry)
        if entry == keep or entry.startswith(".") or not os.path.isdir(folder):
            continue
        if not _live_markers(os.path.join(folder, _PINS)):
            shutil.rmtree(folder, ignore_errors=True)


def _read_file(source: str, downloader: Downloader, scratch: str) -> bytes:
    """The bytes of a local file, or of a URL fetched with ``downloader``."""
    if "://" not in source and not source.startswith("local:"):
        with open(source, "rb") as f:
            return f.read()
    tmp = temporary_path(os.path.join(scratch, _INDEX_FILENAME))
    try:
        downloader.download_file(source, tmp)
        with open(tmp, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load_index(
    location: str, index_path: str | None, cache_root: str, scratch: str, downloader: Downloader, options: dict
) -> tuple[bytes, str]:
    """The raw ``index.json`` of the dataset and its version (``updated_at``, else a hash of the content).

    Sources, in order: ``index_path``; the cached index of an ``hf://`` dataset; ``index.json`` next to the data;
    an index built on the fly when the folder holds Parquet files but no index."""
    if index_path is None and location.startswith("hf://"):
        from litdata.streaming.reading.hf_index import index_hf_dataset

        index_path = os.path.join(index_hf_dataset(location, cache_root, options), _INDEX_FILENAME)
    try:
        if index_path is not None and "://" in index_path:
            downloader = get_downloader(index_path, scratch, [], options, downloader.session_options)
        raw = _read_file(index_path or join_url(location, _INDEX_FILENAME), downloader, scratch)
    except FileNotFoundError as missing:
        if index_path is not None:
            raise
        from litdata.format.parquet_index import build_parquet_index

        try:
            index = build_parquet_index(location, options)
        except FileNotFoundError:
            raise EmptyDatasetError(
                f"No index.json in {location}: this is not an optimized dataset. Create one with "
                f"litdata.optimize(..., output_dir={location!r}), or point StreamingDataset at the folder that holds "
                "index.json."
            ) from missing
        chunks = json.dumps(index["chunks"], sort_keys=True).encode()
        return json.dumps(index, sort_keys=True).encode(), hashlib.md5(chunks).hexdigest()
    updated_at = json.loads(raw).get("updated_at")
    return raw, str(updated_at) if updated_at else hashlib.md5(raw).hexdigest()


def _write_index(folder: str, raw: bytes) -> None:
    target = os.path.join(folder, _INDEX_FILENAME)
    tmp = temporary_path(target)
    with open(tmp, "wb") as f:
        f.write(raw)
    os.replace(tmp, target)


def _filtered(raw: bytes, index: dict, pattern: str | None, location: str) -> bytes:
    if pattern is None:
        return raw
    chunks = [c for c in index["chunks"] if fnmatch.fnmatch(c["filename"], pattern)]
    if not chunks:
        raise ValueError(f"No file of the dataset index matches {pattern!r} in {location}.")
    return json.dumps({**index, "chunks": chunks}, sort_keys=True).encode()


def open_source(
    input_dir: Dir,
    cache_dir: str | Dir | None,
    *,
    storage_options: dict | None = None,
    session_options: dict | None = None,
    max_cache_size: int | float | str | None = None,
    index_path: str | None = None,
) -> tuple[str, ChunkSource]:
    """The local folder holding the dataset's ``index.json``, and the source that provides its chunk files.

    Local folders are read in place. URLs (and ``local:`` paths) are cached in
    ``{cache_dir or LITDATA_CACHE_DIR or ~/.lightning/chunks}/{md5(url)}/{updated_at}`` (or ``input_dir.path``
    when a `Dir` gives both): the index is fetched every time, and a new ``updated_at`` starts a new folder.
    ``.../*.parquet`` locations keep only the matching files; ``hf://`` datasets are indexed on first use.
    """
    location = input_dir.url or input_dir.path
    if location is None:
        raise ValueError("No dataset location was given: pass input_dir, the folder or URL the dataset was written to.")
    check_dataset_location(location)
    base, pattern = split_parquet_pattern(location)
    cache_root = (cache_dir.path if isinstance(cache_dir, Dir) else cache_dir) or default_cache_root()
    remote = input_dir.url is not None
    if not remote:
        if not os.path.isdir(base):
            raise FileNotFoundError(f"The dataset folder {base!r} does not exist.")
        if pattern is None and index_path is None and os.path.exists(os.path.join(base, _INDEX_FILENAME)):
            return base, ChunkSource(base)

    options, session = storage_options or {}, session_options or {}
    root = os.path.join(cache_root, hashlib.md5(location.encode()).hexdigest())
    os.makedirs(root, exist_ok=True)
    remove_orphan_temporaries(root)
    downloader = get_downloader(base, root, [], options, session)
    raw, version = _load_index(base, index_path, cache_root, root, downloader, options)
    index = json.loads(raw)
    if "chunks" not in index and "shards" in index:  # a MosaicML Streaming (MDS) dataset: its shards are chunks
        from litdata.format.mds import adapt_mds_index

        index = adapt_mds_index(index)
        raw = json.dumps(index, sort_keys=True).encode()
    check_index_chunks(index.get("chunks", []), f"the index of {location}")
    if remote and input_dir.path:
        folder = input_dir.path
        os.makedirs(folder, exist_ok=True)
        _clear_stale(folder, version)
    else:
        folder = os.path.join(root, version)
        os.makedirs(folder, exist_ok=True)
        _remove_old_versions(root, version)
    _write_index(folder, _filtered(raw, index, pattern, location))
    if not remote:
        return folder, ChunkSource(base)
    sizes = {c["filename"]: int(c.get("chunk_bytes") or 0) for c in index["chunks"]}
    downloader = get_downloader(base, folder, index["chunks"], options, session)
    limit = resolve_max_cache_size(max_cache_size, folder)
    return folder, CachedSource(base, folder, downloader, sizes, limit)


def _clear_stale(folder: str, version: str) -> None:
    """A user-chosen cache folder keeps its chunks only while the dataset's version is unchanged: otherwise the
    chunks listed by the previous index are deleted (other files in the folder are left alone)."""
    marker = os.path.join(folder, ".version")
    if os.path.exists(marker):
        with open(marker) as f:
            if f.read() == version:
                return
    old_index = os.path.join(folder, _INDEX_FILENAME)
    if os.path.exists(old_index):
        with open(old_index) as f:
            for chunk in json.load(f).get("chunks", []):
                try:
                    path = path_inside(folder, chunk.get("filename") if isinstance(chunk, dict) else None)
                except ValueError:
                    continue  # never delete what an index names outside the folder
                if os.path.isfile(path):
                    os.remove(path)
    with open(marker, "w") as f:
        f.write(version)
