"""The raw limits, measured on the same machine in the same run.

* optimize: read the same inputs and write their bytes to one file (no format at all); ``memcpy``: copy those
  bytes once more from memory to memory;
* streaming: read the chunk files of our dataset from the page cache into one reused buffer, and (a second figure)
  memcpy of the same bytes already in memory; JPEG: Pillow decoding of the same bytes held in memory;
* ``ds[i]``: one ``pread`` of a 100 KB row at a random offset (``memcpy``: the same rows copied from memory);
  S3: sequential boto3 GETs of the same objects;
* time to first batch: open our first chunk file and read one batch of its bytes from the page cache;
* RSS: this process (numpy and torch imported, like the readers) reading our chunk files three times through one
  16 MB buffer: the memory any reader needs before it holds a sample.
"""

from __future__ import annotations

import os
import time

import numpy as np
from data import Source, decode_jpeg

BUFFER = 16 << 20


def optimize(source: Source, kind: str, out: str, chunk_bytes: int, workers: int, count: int | None = None) -> int:
    """One process whatever ``workers`` says: the bytes of every input appended to one file."""
    os.makedirs(out, exist_ok=True)
    count = source.count(kind) if count is None else count
    with open(os.path.join(out, "raw.bin"), "wb") as f:
        for index in range(count):
            if kind == "images":
                f.write(source.image_bytes(index))
            elif kind == "tokens":
                f.write(source.document(index).tobytes())
            else:
                f.write(source.row(kind, index).tobytes())
    return count


def read_files(folder: str) -> int:
    """Read every file of ``folder`` once through a reused buffer; return the bytes read."""
    buffer, total = bytearray(BUFFER), 0
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb", buffering=0) as f:
            while read := f.readinto(buffer):
                total += read
    return total


def memcpy_seconds(folder: str) -> float:
    """The best of 5 copies of the folder's bytes (held in memory) into a second buffer."""
    names = sorted(os.listdir(folder))
    data = np.concatenate([np.fromfile(os.path.join(folder, name), np.uint8) for name in names] or [np.empty(0)])
    target = np.empty_like(data)
    np.copyto(target, data)  # fault the target's pages in before timing
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(target, data)
        rounds.append(time.perf_counter() - start)
    return min(rounds)


def stream(source: Source, kind: str, location: str, items: int) -> dict:
    """``seconds``: read our chunk files from the page cache (for JPEG: Pillow decoding the same JPEG bytes held in
    memory); ``memcpy_seconds``: copy the chunk files' bytes from memory to memory."""
    copy = memcpy_seconds(location)
    if kind == "images":
        images = [source.image_bytes(i) for i in range(source.count("images"))]
        start = time.perf_counter()
        for data in images:
            decode_jpeg(data)
        return {"seconds": time.perf_counter() - start, "items": len(images), "memcpy_seconds": copy}
    start = time.perf_counter()
    total = read_files(location)
    return {"seconds": time.perf_counter() - start, "items": items, "bytes": total, "memcpy_seconds": copy}


def random_access(source: Source, kind: str, indices: list[int]) -> dict:
    rows = source.array(kind)
    row_bytes = rows.strides[0]
    with open(os.path.join(source.root, f"{kind}.npy"), "rb", buffering=0) as f:
        start = time.perf_counter()
        for index in indices:
            os.pread(f.fileno(), row_bytes, rows.offset + index * row_bytes)
        seconds = time.perf_counter() - start
    in_memory, target = np.array(rows), np.zeros(rows.shape[1:], rows.dtype)  # both faulted in before timing
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for index in indices:
            np.copyto(target, in_memory[index])
        rounds.append(time.perf_counter() - start)
    return {"seconds": seconds, "items": len(indices), "memcpy_seconds": min(rounds)}


def first_batch_seconds(folder: str, batch_bytes: int) -> float:
    """Open the first chunk file of ``folder`` and read ``batch_bytes`` of it (from the page cache)."""
    name = sorted(n for n in os.listdir(folder) if n.endswith(".bin"))[0]
    start = time.perf_counter()
    with open(os.path.join(folder, name), "rb", buffering=0) as f:
        f.readinto(bytearray(batch_bytes))
    return time.perf_counter() - start


def optimize_memcpy_seconds(out: str) -> float:
    """The bytes `optimize` wrote (``raw.bin``), copied from memory to memory (best of 5)."""
    return memcpy_seconds(out)


def rss(location: str, epochs: int) -> dict:
    """Resident memory of a reader that holds nothing: our chunk files read ``epochs`` times through one buffer."""
    import torch  # noqa: F401  - every reader has it imported

    after = []
    for _ in range(epochs):
        read_files(location)
        after.append(_vm("VmRSS"))
    return {"rss_after_epoch": after, "VmHWM": _vm("VmHWM")}


def _vm(key: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith(key + ":"))


def s3(bucket: str, prefix: str, endpoint: str, cache_dir: str, items: int) -> dict:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    os.makedirs(cache_dir, exist_ok=True)
    start = time.perf_counter()
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    for entry in listing.get("Contents", []):
        data = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
        with open(os.path.join(cache_dir, os.path.basename(entry["Key"])), "wb") as f:
            f.write(data)
    first = time.perf_counter() - start
    start = time.perf_counter()
    read_files(cache_dir)
    second = time.perf_counter() - start
    return {"seconds": [first, second], "items": items, "memcpy_seconds": memcpy_seconds(cache_dir)}


def describe() -> str:
    return "raw limits (page cache, memcpy, Pillow decode, boto3 GET)"
