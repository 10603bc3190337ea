"""How the prefetch thread fetches a remote dataset's chunks: large chunks one at a time, each in place before the
next one starts (the chunk the reader needs next gets the whole bandwidth); small chunks together in one bulk call
(their time is request latency); a reader of the same process waiting for a chunk being prefetched gets that copy.

The downloader is a user-style `Downloader` subclass over a local folder that records what it was asked and what
the cache folder held at that moment."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from litdata.streaming.downloader import Downloader
from litdata.streaming.reading.reader import _Prefetcher
from litdata.streaming.reading.sources import _BULK_CHUNK_BYTES, CachedSource

NAMES = [f"chunk-0-{index}.bin" for index in range(4)]


class RecordingDownloader(Downloader):
    """Copies ``store/<name>`` into the cache; records each call with the chunks already in the cache folder."""

    def __init__(self, store: str, cache: str, delay: float = 0.0) -> None:
        super().__init__("folder://store", cache, [])
        self.store, self.cache, self.delay = store, cache, delay
        self.calls: list[tuple[list[str], list[str]]] = []

    def _in_cache(self) -> list[str]:
        return sorted(name for name in os.listdir(self.cache) if name in NAMES)

    def download_file(self, remote_chunkpath: str, local_chunkpath: str) -> None:
        self.calls.append(([os.path.basename(remote_chunkpath)], self._in_cache()))
        time.sleep(self.delay)
        shutil.copyfile(os.path.join(self.store, os.path.basename(remote_chunkpath)), local_chunkpath)

    def download_files(self, pairs: list[tuple[str, str]]) -> None:
        self.calls.append(([os.path.basename(remote) for remote, _ in pairs], self._in_cache()))
        for remote, local in pairs:
            shutil.copyfile(os.path.join(self.store, os.path.basename(remote)), local)


def _source(tmp_path, chunk_bytes: int, delay: float = 0.0) -> tuple[CachedSource, RecordingDownloader]:
    store, cache = tmp_path / "store", tmp_path / "cache"
    store.mkdir()
    cache.mkdir()
    for index, name in enumerate(NAMES):
        (store / name).write_bytes(bytes([index]) * 1000)
    downloader = RecordingDownloader(str(store), str(cache), delay)
    sizes = dict.fromkeys(NAMES, chunk_bytes)  # the index's sizes decide; the files themselves can be small
    return CachedSource("folder://store", str(cache), downloader, sizes, None), downloader


def test_large_chunks_are_fetched_one_at_a_time_each_in_place_before_the_next_starts(tmp_path):
    source, downloader = _source(tmp_path, _BULK_CHUNK_BYTES)
    source.prefetch(NAMES[1:])
    assert downloader.calls == [([NAMES[1]], []), ([NAMES[2]], [NAMES[1]]), ([NAMES[3]], NAMES[1:3])]


def test_small_chunks_are_fetched_together_in_one_bulk_call(tmp_path):
    source, downloader = _source(tmp_path, _BULK_CHUNK_BYTES - 1)
    source.prefetch(NAMES[1:])
    assert downloader.calls == [(NAMES[1:], [])]
    assert sorted(name for name in os.listdir(tmp_path / "cache") if not name.startswith(".")) == NAMES[1:]


def test_chunks_already_cached_are_not_fetched_again(tmp_path):
    source, downloader = _source(tmp_path, _BULK_CHUNK_BYTES - 1)
    source.ensure(NAMES[2])
    source.prefetch(NAMES[1:])
    assert downloader.calls == [([NAMES[2]], []), ([NAMES[1], NAMES[3]], [NAMES[2]])]


@pytest.mark.parametrize("chunk_bytes", [_BULK_CHUNK_BYTES, 1000])
def test_a_reader_waiting_for_a_chunk_this_process_prefetches_gets_that_copy(tmp_path, chunk_bytes):
    source, downloader = _source(tmp_path, chunk_bytes, delay=0.3)
    prefetching = threading.Thread(target=source.prefetch, args=([NAMES[1], NAMES[2]],))
    prefetching.start()
    while not downloader.calls:
        time.sleep(0.001)
    path = source.ensure(NAMES[1])
    prefetching.join()
    with open(path, "rb") as chunk:
        assert chunk.read() == bytes([1]) * 1000
    fetched = [name for names, _ in downloader.calls for name in names]
    assert fetched.count(NAMES[1]) == 1


def test_a_prefetch_that_fails_leaves_every_chunk_to_the_reader(tmp_path):
    source, downloader = _source(tmp_path, _BULK_CHUNK_BYTES)
    os.remove(os.path.join(downloader.store, NAMES[2]))
    with pytest.raises(FileNotFoundError):
        source.prefetch(NAMES[1:])
    assert sorted(name for name in os.listdir(tmp_path / "cache") if name in NAMES) == [NAMES[1]]
    shutil.copyfile(os.path.join(downloader.store, NAMES[1]), os.path.join(downloader.store, NAMES[2]))
    for name in NAMES[2:]:  # nothing is left locked or announced: the reader fetches them itself at once
        started = time.monotonic()
        source.ensure(name)
        assert time.monotonic() - started < 5


class _PlanSource:
    """A chunk source that records prefetches; the reader moves to the next chunk while the first one downloads."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.prefetcher: _Prefetcher | None = None

    def acquire(self, filename: str) -> None:
        pass

    def release(self, filename: str) -> None:
        pass

    def prefetch(self, filenames: list[str]) -> None:
        self.events.append("fetch " + ",".join(filenames))
        if len(self.events) == 1:
            assert self.prefetcher is not None
            self.prefetcher.advance(1)


def test_the_prefetch_thread_downloads_before_it_verifies_while_the_reader_waits_for_downloads():
    """While the reader keeps up with the downloads, the thread fetches the next chunk first; the chunks it did not
    verify yet are verified by the reader as it opens them, or here once the window is full."""
    events: list[str] = []
    source = _PlanSource(events)
    prefetcher = _Prefetcher(source, NAMES, depth=2, verify=lambda name: events.append("verify " + name))  # type: ignore[arg-type]
    source.prefetcher = prefetcher
    prefetcher.advance(0)
    deadline = time.monotonic() + 10
    while len(events) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    prefetcher.close()
    assert events == [
        f"fetch {NAMES[1]},{NAMES[2]}",
        f"fetch {NAMES[3]}",
        f"verify {NAMES[1]}",
        f"verify {NAMES[2]}",
        f"verify {NAMES[3]}",
    ]
