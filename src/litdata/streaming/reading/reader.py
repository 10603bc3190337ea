"""`BinaryReader`: opens chunk files (kept mapped in a small LRU) and decodes items through the item loader.

When the dataset hands over the order in which this worker will read chunks (`BinaryReader.prefetch`), chunks
are downloaded ``max_pre_download`` ahead of the reads by a background thread, and chunks the reader is done with
are released at once so the cache can evict them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from litdata.debugger import CAT_READ, trace_span
from litdata.format.batching import BatchAssembler
from litdata.format.checksums import ChunkChecksumError, verification_enabled, verify_ahead, verify_chunk
from litdata.format.chunk import ChunkCorruptedError
from litdata.format.config import ChunksConfig
from litdata.streaming.reading.sampler import ChunkedIndex
from litdata.streaming.reading.sources import ChunkSource

logger = logging.getLogger("litdata.streaming")

# Bumped in every forked child: readers compare it per item instead of calling os.getpid() (a syscall) per item.
_fork_generation = [0]


def _count_fork() -> None:
    _fork_generation[0] += 1


os.register_at_fork(after_in_child=_count_fork)

_OPEN_CHUNKS = 4  # chunks of a remote dataset stay pinned in the cache while open: keep few
_OPEN_LOCAL_CHUNKS = 64  # mappings of local files cost little: random access reopens them less often


def _remote_source(
    config: ChunksConfig,
    cache_dir: str,
    url: str,
    max_cache_size: int | float | str | None,
    storage_options: dict | None,
    session_options: dict | None,
) -> ChunkSource:
    """Chunks of the dataset at ``url`` downloaded into ``cache_dir`` as they are read."""
    from litdata.storage.downloader import get_downloader
    from litdata.streaming.reading.sources import CachedSource, resolve_max_cache_size

    downloader = get_downloader(url, cache_dir, config.chunks, storage_options or {}, session_options or {})
    sizes = {c["filename"]: int(c.get("chunk_bytes") or 0) for c in config.chunks}
    return CachedSource(url, cache_dir, downloader, sizes, resolve_max_cache_size(max_cache_size, cache_dir))


class _Prefetcher:
    """Downloads the chunks just ahead of the reader's position in its plan, in one background thread, and verifies
    their checksums there (``verify``; chunks read in place are only verified).

    Downloading goes first: a chunk is verified here only while the next one may not be fetched yet (the reader is
    ``depth`` chunks behind). When the downloads are what the reader waits for, it verifies each chunk itself as it
    opens it, while this thread already fetches the next one, instead of waiting for this thread to hash it.
    The thread exits once every chunk of the plan was requested and verified, or when `close` is called (which
    joins it). Chunks it fetched stay pinned until the reader has moved past them.
    """

    def __init__(
        self, source: ChunkSource, plan: list[str], depth: int, verify: Callable[[str], None] | None = None
    ) -> None:
        self._source = source
        self._plan = plan
        self._depth = depth
        self._verify = verify
        self._cond = threading.Condition()
        self._position = 0
        self._next = 1
        self._closed = False
        self._pinned: list[tuple[int, str]] = []
        self._thread: threading.Thread | None = None

    def advance(self, position: int) -> None:
        """The reader is now reading ``plan[position]``."""
        with self._cond:
            self._position = position
            self._next = max(self._next, position + 1)
            passed = [name for i, name in self._pinned if i < position]
            self._pinned = [(i, name) for i, name in self._pinned if i >= position]
            self._cond.notify()
            thread = None
            if self._thread is None and self._next < len(self._plan):
                thread = self._thread = threading.Thread(target=self._run, name="litdata-prefetch", daemon=True)
        for name in passed:
            self._source.release(name)
        if thread is not None:
            thread.start()

    def _run(self) -> None:
        unverified: deque[str] = deque()
        while True:
            fetch: list[str] = []
            with self._cond:
                while not self._closed:
                    if self._position + self._depth >= self._next < len(self._plan):
                        end = min(self._position + self._depth + 1, len(self._plan))
                        fetch = self._plan[self._next : end]
                        for index in range(self._next, end):
                            self._source.acquire(self._plan[index])
                            self._pinned.append((index, self._plan[index]))
                        self._next = end
                        break
                    if unverified:
                        break
                    if self._next >= len(self._plan):
                        return
                    self._cond.wait()
                if self._closed:
                    return
            if not fetch:
                assert self._verify is not None  # only verified names are queued
                self._verify(unverified.popleft())
                continue
            try:
                self._source.prefetch(fetch)
            except Exception as error:  # the reader fetches the chunks itself and raises if it fails again
                logger.warning("Prefetching %s failed: %s", fetch, error)
            if self._verify is not None:
                unverified.extend(fetch)

    def close(self) -> None:
        """Stop the thread, wait for it, and release the chunks it pinned."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        with self._cond:
            pinned, self._pinned = self._pinned, []
        for _, name in pinned:
            self._source.release(name)


class BinaryReader:
    """Reads items of a dataset. ``read(ChunkedIndex)`` returns the decoded sample.

    Args:
        cache_dir: the folder with the dataset's ``index.json`` (chunks are read there unless the dataset is remote).
        subsampled_files: read only these chunk files.
        region_of_interest: one ``(start, end)`` item range per chunk read.
        max_cache_size: cache limit for a remote dataset's chunk copies (bytes, ``"50GB"`` or a fraction of the disk).
        remote_input_dir: the dataset's URL when ``cache_dir`` holds a local copy of its index.
        compression: accepted for compatibility with LitData; the index says how chunks are compressed.
        encryption: the key of an encrypted dataset.
        item_loader: how items are decoded (default: the loader the index names).
        serializers: extra or replacement serializers.
        storage_options: connection settings for ``remote_input_dir``.
        session_options: client session settings for ``remote_input_dir``.
        max_pre_download: how many chunks are downloaded ahead of the reads of a plan (remote sources only).
        on_demand_bytes: accepted for compatibility with LitData; items are read from whole chunks.
        config: an already loaded index (the arguments that describe the index are then not used).
        source: where chunk files come from (default: in place in ``cache_dir``, or ``remote_input_dir``).
        max_open_chunks: how many chunks stay mapped at once (default: 4 for remote datasets, 64 for local ones).
    """

    def __init__(
        self,
        cache_dir: str,
        subsampled_files: list[str] | None = None,
        region_of_interest: list[tuple[int, int]] | None = None,
        max_cache_size: int | float | str | None = None,
        remote_input_dir: str | None = None,
        compression: str | None = None,
        encryption: Any = None,
        item_loader: Any = None,
        serializers: dict[str, Any] | None = None,
        storage_options: dict | None = None,
        session_options: dict | None = None,
        max_pre_download: int = 2,
        on_demand_bytes: bool = False,
        *,
        config: ChunksConfig | None = None,
        source: ChunkSource | None = None,
        max_open_chunks: int | None = None,
    ) -> None:
        self._dataset_dir = cache_dir
        if config is None:
            from litdata.format.registry import _get_serializers, reading_bytes

            config = ChunksConfig(
                cache_dir,
                reading_bytes(_get_serializers(serializers)),
                remote_input_dir,
                item_loader,
                subsampled_files,
                region_of_interest,
                storage_options,
                session_options,
                encryption=encryption,
            )
        if source is None and remote_input_dir:
            source = _remote_source(
                config, cache_dir, remote_input_dir, max_cache_size, storage_options, session_options
            )
        self._source = source or ChunkSource(cache_dir)
        self._config = config
        self._item_loader = config.item_loader
        if max_open_chunks is None:
            max_open_chunks = _OPEN_CHUNKS if self._source.remote else _OPEN_LOCAL_CHUNKS
        self._max_open = max(1, max_open_chunks)
        self._max_pre_download = max(0, max_pre_download)
        self._reset()

    @property
    def rank(self) -> int:
        """This process's writer rank (see `Cache.rank`)."""
        from litdata.format.writer import _writer_rank

        return _writer_rank(None)

    def get_length(self) -> int:
        """Number of items the reader can read (within the regions of interest)."""
        return sum(iv.roi_end_idx - iv.roi_start_idx for iv in self._config.intervals)

    def get_chunk_intervals(self) -> list[Any]:
        """One ``Interval(chunk_start, roi_start_idx, roi_end_idx, chunk_end)`` per chunk."""
        return self._config.intervals

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._fork_generation = _fork_generation[0]
        self._open: OrderedDict[int, Any] = OrderedDict()
        self._plan: list[int] = []
        self._entries: dict[str, dict] = {}  # the plan's index entries by file name
        self._last_use: dict[int, int] = {}
        self._position = -1
        self._current = -1
        self._prefetcher: _Prefetcher | None = None

    @property
    def config(self) -> ChunksConfig:
        return self._config

    def _filename(self, chunk_index: int) -> str:
        return self._config.chunks[chunk_index]["filename"]

    def prefetch(self, chunk_indexes: list[int]) -> None:
        """The chunks this reader will read next, in order (e.g. a worker's chunks for the epoch)."""
        self._check_process()
        if self._prefetcher is not None:
            self._prefetcher.close()
            self._prefetcher = None
        self._plan = list(chunk_indexes)
        self._entries = {c["filename"]: c for c in self._config.chunks}
        self._last_use = {chunk: i for i, chunk in enumerate(self._plan)}
        self._position = -1
        self._current = -1
        verify = self._verify_ahead if verification_enabled() else None
        fetch = self._source.remote and self._max_pre_download
        if (fetch or verify is not None) and len(self._plan) > 1:
            names = [self._filename(c) for c in self._plan]
            self._prefetcher = _Prefetcher(self._source, names, max(self._max_pre_download, 1), verify)

    def _verify_ahead(self, filename: str) -> None:
        """Verify a chunk of the plan ahead of its first read, if it is here (on the prefetch thread)."""
        path = os.path.join(self._source.folder, filename)
        entry = self._entries.get(filename)
        if entry is not None and os.path.exists(path):
            verify_ahead(path, entry, self._config.config)

    def _check_process(self) -> None:
        """After a fork, the parent's threads and open chunks do not belong to this process."""
        if self._fork_generation != _fork_generation[0]:
            self._fork_generation = _fork_generation[0]
            if self._pid != os.getpid():
                self._reset()

    def _advance(self, chunk_index: int) -> None:
        """The reader moved to ``chunk_index``: follow the plan and let go of the chunks it is done with."""
        self._current = chunk_index
        if not self._plan:
            return
        try:
            position = self._plan.index(chunk_index, max(self._position, 0))
        except ValueError:
            return  # a read outside the plan (random access)
        for chunk in self._plan[max(self._position, 0) : position]:
            if self._last_use[chunk] < position:
                self._close_chunk(chunk)
        self._position = position
        if self._prefetcher is not None:
            self._prefetcher.advance(position)

    def _open_chunk(self, path: str) -> Any:
        return self._item_loader.open_chunk(path, self._config.layout)

    def _chunk(self, chunk_index: int) -> Any:
        chunk = self._open.get(chunk_index)
        if chunk is not None:
            self._open.move_to_end(chunk_index)
            return chunk
        filename = self._filename(chunk_index)
        self._source.acquire(filename)
        try:
            path = self._verified_path(chunk_index)
            with trace_span("read", CAT_READ, chunk=chunk_index, filename=filename):
                chunk = self._open_chunk(path)
            self._check_item_count(chunk_index, chunk, path)
        except BaseException:
            self._source.release(filename)
            raise
        self._item_loader.pre_load_chunk(chunk_index, path)
        self._open[chunk_index] = chunk
        if len(self._open) > self._max_open:
            self._close_chunk(next(iter(self._open)))
        return chunk

    def _verified_path(self, chunk_index: int) -> str:
        """The local path of a chunk whose bytes match its checksum. A cached copy that does not is deleted and
        downloaded once more; then (or for a dataset read in place) the mismatch is raised."""
        entry, config = self._config.chunks[chunk_index], self._config.config
        path = self._source.ensure(entry["filename"])
        try:
            verify_chunk(path, entry, config)
        except ChunkChecksumError:
            if not self._source.discard(entry["filename"]):
                raise
            logger.warning("Chunk %s failed its checksum: downloading it again.", entry["filename"])
            path = self._source.ensure(entry["filename"])
            verify_chunk(path, entry, config)
        return path

    def _check_item_count(self, chunk_index: int, chunk: Any, path: str) -> None:
        expected = self._config.chunks[chunk_index]["chunk_size"]
        found = getattr(chunk, "num_items", expected)
        if found != expected:
            raise ChunkCorruptedError(
                f"Chunk {path!r} holds {found} items but index.json says {expected}: the chunk or the index is "
                "corrupted. Delete the cached chunk so it is downloaded again, or re-run optimize (mode='overwrite')."
            )

    def _close_chunk(self, chunk_index: int) -> None:
        chunk = self._open.pop(chunk_index, None)
        if chunk is None:
            return
        self._item_loader.close(chunk_index)
        chunk.close()
        self._source.release(self._filename(chunk_index))

    def _chunk_to_read(self, chunk_index: int) -> Any:
        """The open chunk ``chunk_index``, the plan followed up to it."""
        if chunk_index != self._current:
            self._advance(chunk_index)
        return self._chunk(chunk_index)

    def read(self, index: ChunkedIndex) -> Any:
        """Decode the item at ``index`` (absolute id in ``index.index``, chunk in ``index.chunk_index``)."""
        self._check_process()
        chunk = self._chunk_to_read(index.chunk_index)
        item = self._item_loader._read_item(index.index, index.chunk_index, chunk)
        if index.is_last_index:
            self.end_plan()
        return item

    def read_batch(self, parts: list[tuple[int, Sequence[int] | np.ndarray]], ends_plan: bool) -> Any:
        """Read and collate a batch given as runs of items (absolute ids) of one chunk each, in order; ``ends_plan``:
        the batch holds the last item of the plan."""
        batch = self._assembled(parts, for_samples=False).finish()
        if ends_plan:
            self.end_plan()
        return batch

    def read_samples(self, parts: list[tuple[int, Sequence[int] | np.ndarray]], ends_plan: bool) -> list[Any]:
        """The samples of a batch given as in `read_batch`, decoded at once: what `read` returns for each item (same
        structure, types and values), with every array writable and in memory of its own sample (see
        `BatchAssembler`)."""
        samples = self._assembled(parts, for_samples=True).samples()
        if ends_plan:
            self.end_plan()
        return samples

    def _assembled(self, parts: list[tuple[int, Sequence[int] | np.ndarray]], for_samples: bool) -> BatchAssembler:
        self._check_process()
        assembler = BatchAssembler(self._item_loader, sum(len(items) for _, items in parts), for_samples)
        for chunk_index, items in parts:
            assembler.add(chunk_index, self._chunk_to_read(chunk_index), items)
        return assembler

    def end_plan(self) -> None:
        """The last item of the plan was read: release its chunks now (no-op without a plan)."""
        if self._plan:
            self.close()

    def close(self) -> None:
        """Stop prefetching and release every open chunk."""
        if self._pid != os.getpid():
            return
        if self._prefetcher is not None:
            self._prefetcher.close()
            self._prefetcher = None
        self._plan, self._last_use, self._position, self._current = [], {}, -1, -1
        while self._open:
            self._close_chunk(next(iter(self._open)))

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass  # interpreter shutdown: modules may already be gone
