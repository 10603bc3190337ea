"""The shared chunk cache: a size limit that holds while streaming, and readers in several processes at once."""

import multiprocessing
import os
import threading
import time

import pytest

from litdata import StreamingDataLoader, StreamingDataset
from litdata.storage.base import temporary_path
from litdata.streaming.cache import Dir
from litdata.streaming.reading.sources import open_source, resolve_max_cache_size

from helpers import build_dataset

CHUNK_ITEMS = 5
PAYLOAD = 800  # bytes per sample: one chunk is a little over 4 KB


def _sample(i: int) -> dict:
    return {"id": i, "payload": bytes([i % 251]) * PAYLOAD}


def _check(sample) -> int:
    """The sample's id, after checking its payload is intact."""
    i = int(sample["id"])
    assert bytes(sample["payload"]) == bytes([i % 251]) * PAYLOAD, f"sample {i} is corrupted"
    return i


def _checked_ids(batch: list) -> list[int]:
    """Collate in the worker: payloads are memoryviews into the chunk and do not cross process boundaries."""
    return [_check(sample) for sample in batch]


class CacheWatcher:
    """Polls the bytes of chunk files (complete or being downloaded) in a cache tree and keeps the maximum."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.peak = 0
        self.snapshot: list[str] = []  # the file names at the peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _size(self) -> int:
        # A scan that races an atomic rename can list a download under a temporary name ("chunk.tmp-pid-id", or
        # s5cmd's own "chunk.tmp-pid-id1234") and its final name at once: count each chunk once, at the largest.
        per_chunk: dict[str, int] = {}
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith("chunk-"):
                    try:
                        size = os.path.getsize(os.path.join(folder, name))
                    except FileNotFoundError:
                        continue
                    key = os.path.join(folder, name.split(".tmp-", 1)[0])
                    per_chunk[key] = max(per_chunk.get(key, 0), size)
        return sum(per_chunk.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            size = self._size()
            if size > self.peak:
                self.peak = size
                self.snapshot = sorted(n for _, _, fs in os.walk(self.root) for n in fs)
            time.sleep(0.001)

    def __enter__(self) -> "CacheWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._size())


@pytest.fixture
def big_dataset(s3, tmp_path, upload):
    """200 samples in 40 chunks on S3: (url, storage_options, bytes of one chunk)."""
    local = build_dataset(tmp_path / "local", 200, chunk_size=CHUNK_ITEMS, make=_sample)
    chunk_bytes = os.path.getsize(os.path.join(local, "chunk-0-0.bin"))
    return upload(local, f"{s3.endpoint}/big", s3.storage_options), s3.storage_options, chunk_bytes


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_dataset_five_times_larger_than_the_cache_streams_within_the_limit(big_dataset, tmp_path, num_workers):
    url, options, chunk_bytes = big_dataset
    limit = 8 * chunk_bytes + chunk_bytes // 2  # the dataset is 40 chunks
    cache = str(tmp_path / "cache")
    dataset = StreamingDataset(url, storage_options=options, cache_dir=cache, max_cache_size=limit, shuffle=True)
    loader = StreamingDataLoader(dataset, batch_size=5, num_workers=num_workers, collate_fn=_checked_ids)
    with CacheWatcher(cache) as watcher:
        ids = sorted(i for batch in loader for i in batch)
    assert ids == list(range(200))
    assert 0 < watcher.peak <= limit, watcher.snapshot


def test_a_download_finishing_while_the_cache_measures_itself_is_still_counted(big_dataset, tmp_path, monkeypatch):
    """A download lands (renamed into place, then its reservation dropped) outside the cache lock, so it can finish
    between the cache's look at its reservations and its look at its files. It must be counted in one of the two:
    otherwise the next download is admitted without evicting, and the folder holds one chunk over the limit."""
    url, options, chunk_bytes = big_dataset
    limit = 3 * chunk_bytes + chunk_bytes // 2
    folder, source = open_source(Dir(url=url), str(tmp_path / "cache"), storage_options=options, max_cache_size=limit)
    source.ensure("chunk-0-0.bin")
    source.ensure("chunk-0-1.bin")
    # chunk-0-2.bin is being downloaded by another reader: reserved, its bytes under a temporary name
    assert source._reserve(["chunk-0-2.bin"], required=True)
    pending = temporary_path(os.path.join(folder, "chunk-0-2.bin"))
    source.downloader.download_file(f"{url}/chunk-0-2.bin", pending)

    listings = {"scandir": os.scandir, "listdir": os.listdir}
    fired = []

    def finish_the_download_after_the_first_look(kind):
        def look(path):
            result = list(listings[kind](path))
            if not fired and os.path.realpath(path).startswith(os.path.realpath(folder)):
                fired.append(kind)
                os.replace(pending, os.path.join(folder, "chunk-0-2.bin"))
                source._unreserve(["chunk-0-2.bin"])
            return iter(result) if kind == "scandir" else result

        return look

    monkeypatch.setattr(os, "scandir", finish_the_download_after_the_first_look("scandir"))
    monkeypatch.setattr(os, "listdir", finish_the_download_after_the_first_look("listdir"))
    source.prefetch(["chunk-0-3.bin"])
    monkeypatch.undo()

    assert fired
    held = sorted(n for n in os.listdir(folder) if n.startswith("chunk-"))
    assert len(held) == 3 and "chunk-0-3.bin" in held, held  # an older chunk made room for the new one


def test_eviction_never_deletes_a_chunk_another_reader_still_uses(big_dataset, tmp_path):
    url, options, chunk_bytes = big_dataset
    cache = str(tmp_path / "cache")
    holder = StreamingDataset(url, storage_options=options, cache_dir=cache)
    assert _check(holder[0]) == 0  # chunk-0-0.bin is now open, hence pinned
    streamer = StreamingDataset(url, storage_options=options, cache_dir=cache, max_cache_size=4 * chunk_bytes)
    assert [_check(s) for s in streamer] == list(range(200))
    assert os.path.exists(os.path.join(holder._dataset_dir, "chunk-0-0.bin"))
    assert [_check(holder[i]) for i in range(1, CHUNK_ITEMS)] == list(range(1, CHUNK_ITEMS))
    holder.reset()  # releases the chunk: now it may go
    more = StreamingDataset(url, storage_options=options, cache_dir=cache, max_cache_size=4 * chunk_bytes)
    assert [_check(s) for s in more] == list(range(200))
    assert not os.path.exists(os.path.join(holder._dataset_dir, "chunk-0-0.bin"))


def _read_everything(url, options, cache, limit, seed, queue) -> None:
    try:
        dataset = StreamingDataset(
            url, storage_options=options, cache_dir=cache, max_cache_size=limit, shuffle=True, seed=seed
        )
        queue.put(sorted(_check(sample) for sample in dataset))
    except BaseException as error:  # forwarded to the test
        queue.put(repr(error))


def test_several_processes_share_one_cache_without_corruption(big_dataset, tmp_path):
    url, options, chunk_bytes = big_dataset
    limit = 10 * chunk_bytes + chunk_bytes // 2
    cache = str(tmp_path / "cache")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_read_everything, args=(url, options, cache, limit, s, queue)) for s in range(3)]
    with CacheWatcher(cache) as watcher:
        for proc in procs:
            proc.start()
        results = [queue.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(30)
    assert all(proc.exitcode == 0 for proc in procs)
    assert results == [list(range(200))] * 3
    # Three readers pin the chunks they are on: when every cached chunk is pinned, a reader's required download goes
    # over the limit (with a warning) rather than wait forever, so one chunk of slack is the guarantee here.
    assert watcher.peak <= limit + chunk_bytes, watcher.snapshot
    (folder,) = [f for f, _, files in os.walk(cache) if "index.json" in files]
    leftovers = [n for n in os.listdir(folder) if ".tmp-" in n]
    assert leftovers == []
    assert os.listdir(os.path.join(folder, ".pins")) == [] and os.listdir(os.path.join(folder, ".reserved")) == []


def test_max_cache_size_accepts_sizes_fractions_and_the_environment(tmp_path, monkeypatch):
    free = __import__("shutil").disk_usage(tmp_path).free
    assert resolve_max_cache_size("10MB", str(tmp_path)) == 10_000_000
    assert resolve_max_cache_size(4096, str(tmp_path)) == 4096
    assert resolve_max_cache_size(0, str(tmp_path)) is None
    assert abs(resolve_max_cache_size(0.5, str(tmp_path)) - free // 2) < free // 100
    assert 0 < resolve_max_cache_size(None, str(tmp_path)) <= 0.75 * free
    monkeypatch.setenv("MAX_CACHE_SIZE", "1234")
    assert resolve_max_cache_size("10MB", str(tmp_path)) == 1234
    monkeypatch.setenv("MAX_CACHE_SIZE", "2GB")
    assert resolve_max_cache_size(None, str(tmp_path)) == 2_000_000_000
    monkeypatch.setenv("MAX_CACHE_SIZE", "0.25")
    assert abs(resolve_max_cache_size(None, str(tmp_path)) - free // 4) < free // 100


def test_a_user_cache_folder_drops_old_chunks_on_a_new_version_and_keeps_other_files(s3, tmp_path, upload):
    import json

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    local = build_dataset(tmp_path / "v1", 20, chunk_size=CHUNK_ITEMS, make=_sample)
    url = upload(local, f"{s3.endpoint}/ds", s3.storage_options)
    assert len([_check(s) for s in StreamingDataset(Dir(str(folder), url), storage_options=s3.storage_options)]) == 20
    assert len([n for n in os.listdir(folder) if n.startswith("chunk-")]) == 4

    with open(os.path.join(local, "index.json")) as f:
        index = json.load(f)
    index["updated_at"] = "2"
    index["chunks"] = index["chunks"][:1]
    with open(os.path.join(local, "index.json"), "w") as f:
        json.dump(index, f)
    upload(local, url, s3.storage_options)
    dataset = StreamingDataset(Dir(str(folder), url), storage_options=s3.storage_options)
    assert sorted(n for n in os.listdir(folder) if not n.startswith(".")) == ["index.json", "notes.txt"]
    assert [_check(s) for s in dataset] == list(range(CHUNK_ITEMS))
