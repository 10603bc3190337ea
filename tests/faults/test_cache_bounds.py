"""Descriptors, mappings and cache bytes stay bounded epoch after epoch; no temporary file outlives its download."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from litdata import StreamingDataLoader, StreamingDataset

from fault_support import SRC, new_bucket, upload_folder
from helpers import build_dataset

ITEM_BYTES = 40 << 10  # items of 32 KB and more are read through a file descriptor of their own
CHUNK_ITEMS = 8
NUM_CHUNKS = 12


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _deleted_but_open(folder: str) -> int:
    """Files of ``folder`` deleted from disk that this process still holds (descriptors or mappings): disk space
    that is not freed."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith(" (deleted)"):
            held.add(target)
    with open("/proc/self/maps") as maps:
        held.update(line.split(None, 5)[-1].strip() for line in maps if line.rstrip().endswith("(deleted)"))
    return len([path for path in held if path.startswith(folder)])


def _bytes_on_disk(folder: str) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


@pytest.fixture(scope="module")
def large_item_dataset(tmp_path_factory, moto_url):
    url, options = new_bucket(moto_url)
    tmp_path = tmp_path_factory.mktemp("large")

    def make(i: int) -> dict:
        return {"id": i, "blob": np.full(ITEM_BYTES, i % 251, dtype=np.uint8)}

    folder = build_dataset(tmp_path / "ds", CHUNK_ITEMS * NUM_CHUNKS, chunk_size=CHUNK_ITEMS, make=make)
    chunk_bytes = os.path.getsize(os.path.join(folder, "chunk-0-0.bin"))
    return upload_folder(folder, f"{url}/large", options), options, chunk_bytes


def test_ten_epochs_over_s3_keep_descriptors_and_cache_bytes_bounded(large_item_dataset, tmp_path):
    url, options, chunk_bytes = large_item_dataset
    cache = str(tmp_path / "cache")
    limit = 4 * chunk_bytes
    dataset = StreamingDataset(url, cache_dir=cache, storage_options=options, shuffle=True, max_cache_size=limit)
    loader = StreamingDataLoader(dataset, batch_size=4, num_workers=0)
    fds, held, on_disk = [], [], []
    for _ in range(10):
        seen = [int(i) for batch in loader for i in batch["id"]]
        assert sorted(seen) == list(range(CHUNK_ITEMS * NUM_CHUNKS))
        fds.append(_open_fds())
        held.append(_deleted_but_open(cache))
        on_disk.append(_bytes_on_disk(cache))
    assert max(fds) - min(fds) <= 2, f"descriptors grow epoch after epoch: {fds}"
    assert max(held) == 0, f"evicted chunks still held open: {held}"
    # The limit counts chunk files; one chunk over it is allowed when every cached chunk is in use.
    assert max(on_disk) <= limit + chunk_bytes + 64 << 10, f"cache bytes on disk {on_disk} vs limit {limit}"
    leftovers = [n for _, _, files in os.walk(cache) for n in files if ".tmp-" in n]
    assert leftovers == []


def test_a_killed_reader_leaves_no_temporary_file_after_the_next_reader_starts(large_item_dataset, tmp_path):
    url, options, _ = large_item_dataset
    cache = str(tmp_path / "cache")
    code = (
        "import sys, litdata as ld\n"
        f"ds = ld.StreamingDataset({url!r}, cache_dir={cache!r}, storage_options={options!r})\n"
        "print('ready', flush=True)\n"
        "for _ in ds: pass\n"
    )
    # A reader killed while its downloads are in flight leaves partial files under temporary names.
    for delay in (0.05, 0.3):
        proc = subprocess.Popen(
            [sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=SRC), stdout=subprocess.PIPE
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    planted = os.path.join(cache, _version_folder(cache), "chunk-0-1.bin.tmp-999999-deadbeef")
    with open(planted, "wb") as f:  # what a reader killed in the middle of a write leaves (pid 999999: gone)
        f.write(b"partial")
    dataset = StreamingDataset(url, cache_dir=cache, storage_options=options)
    assert len(list(dataset)) == CHUNK_ITEMS * NUM_CHUNKS
    leftovers = [n for _, _, files in os.walk(cache) for n in files if ".tmp-" in n]
    assert leftovers == []


def _version_folder(cache: str) -> str:
    (digest,) = [d for d in os.listdir(cache) if not d.startswith(".")]
    (version,) = [v for v in os.listdir(os.path.join(cache, digest)) if not v.startswith(".")]
    return os.path.join(digest, version)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MB tmpfs (needs root and mount rights; skipped with the reason otherwise)."""
    mountpoint = tmp_path / "tmpfs"
    mountpoint.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill a disk here: {proc.stderr.decode().strip()}")
    yield str(mountpoint)
    subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def test_a_full_disk_gives_a_clear_error_and_leaves_no_partial_file(large_item_dataset, small_tmpfs):
    url, options, chunk_bytes = large_item_dataset
    code = (
        "import litdata as ld\n"
        f"ds = ld.StreamingDataset({url!r}, cache_dir={small_tmpfs!r}, storage_options={options!r}, "
        "max_cache_size='1GB')\n"
        "for _ in ds: pass\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=SRC), capture_output=True)
    assert proc.returncode != 0
    last_line = proc.stderr.decode().strip().splitlines()[-1]
    assert "[Errno 28] No space left in the cache folder" in last_line and "max_cache_size" in last_line
    # The next reader, with a limit that fits the disk, serves the whole dataset from the same cache folder.
    dataset = StreamingDataset(url, cache_dir=small_tmpfs, storage_options=options, max_cache_size=2 * chunk_bytes)
    assert sorted(int(s["id"]) for s in dataset) == list(range(CHUNK_ITEMS * NUM_CHUNKS))
    files = [os.path.join(root, n) for root, _, names in os.walk(small_tmpfs) for n in names]
    assert [f for f in files if ".tmp-" in f] == []
    chunks = [f for f in files if os.path.basename(f).startswith("chunk-") and f.endswith(".bin")]
    assert chunks and all(os.path.getsize(f) == chunk_bytes for f in chunks)  # whole chunks only
