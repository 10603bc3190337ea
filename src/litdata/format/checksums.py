"""Chunk checksums (beyond LitData 0.2.76, which ignores the key).

`optimize` records ``"checksum": "xxh3:<16 hex digits>:<chunk_bytes>"`` in every chunk entry of ``index.json``
(``crc32:<8 hex digits>:<chunk_bytes>`` without the ``xxhash`` package). The hash covers the chunk file's bytes and
the index fields that decide how they are decoded (the entry's ``chunk_size`` and ``dim``, the config's formats,
compression and encryption), so a corrupted chunk and most corruptions of the index are caught. The trailing
``chunk_bytes`` is the entry's value when the checksum was taken: a tool that rewrites a chunk without knowing
checksums (LitData's own ``dataset_update``) updates ``chunk_bytes`` and leaves the checksum, which is then
recognised as stale and skipped instead of failing every read.

The reader verifies a chunk the first time a process opens it (after a download, the new file is verified again),
and verifies the next chunks of its plan ahead on a background thread (`verify_ahead`: for a remote dataset right
after the prefetch thread downloaded them, while their bytes are still in memory), so that hashing overlaps reading;
a chunk is still verified before any of its items is decoded. A DataLoader worker tells the training process which
chunk files it verified along with its batches, so the workers of later epochs, forked from it, do not verify them
again. ``LITDATA_VERIFY_CHECKSUMS=0`` turns
verification off. xxh3 hashes ~8 GB/s per core here, CRC-32 ~1.3 GB/s.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
import zlib
from collections.abc import Iterable
from typing import Any

import litdata.settings as settings
from litdata.format.chunk import ChunkCorruptedError

CHECKSUM_KEY = "checksum"
_DECODING_KEYS = (
    "compression",
    "compression_batch_size",
    "compression_level",
    "data_format",
    "data_spec",
    "encryption",
    "item_loader",
)

_verified: set[tuple[str, int, int, str]] = set()  # (path, size, mtime_ns, checksum) of files verified here
_newly_verified: list[tuple[str, int, int, str]] = []  # ... since the last `take_newly_verified`
_verified_lock = threading.Lock()
_in_progress: dict[tuple[str, int, int, str], threading.Event] = {}  # files being hashed, set when done


def _after_fork_in_child() -> None:
    """A forked process has none of its parent's threads: forget their hashing (and the lock one may hold)."""
    global _verified_lock
    _verified_lock = threading.Lock()
    _in_progress.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def take_newly_verified() -> list[tuple[str, int, int, str]]:
    """The chunk files this process verified since the last call (a worker sends them to the training process)."""
    with _verified_lock:
        keys = list(_newly_verified)
        _newly_verified.clear()
    return keys


def remember_verified(keys: Iterable[tuple[str, int, int, str]]) -> None:
    """Chunk files another process of this job verified: skipped here (and in processes forked from here)."""
    with _verified_lock:
        _verified.update(keys)


class ChunkChecksumError(ChunkCorruptedError):
    """A chunk file's bytes (or its index entry) do not match the checksum recorded by optimize."""


def _context(entry: dict[str, Any], config: dict[str, Any]) -> bytes:
    fields = [entry.get("chunk_size"), entry.get("dim"), {key: config.get(key) for key in _DECODING_KEYS}]
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _xxh3(context: bytes, parts: Iterable[bytes | bytearray | memoryview | mmap.mmap]) -> str | None:
    try:
        import xxhash
    except ImportError:
        return None
    digest = xxhash.xxh3_64(context)
    for part in parts:
        digest.update(part)
    return f"{digest.intdigest():016x}"


def _crc32(context: bytes, parts: Iterable[bytes | bytearray | memoryview | mmap.mmap]) -> str:
    crc = zlib.crc32(context)
    for part in parts:
        crc = zlib.crc32(part, crc)
    return f"{crc:08x}"


def _preferred_algorithm() -> str:
    try:
        import xxhash  # noqa: F401
    except ImportError:
        return "crc32"
    return "xxh3"


def chunk_checksum(
    parts: Iterable[bytes | bytearray | memoryview | mmap.mmap],
    entry: dict[str, Any],
    config: dict,
    algorithm: str | None = None,
) -> str:
    """The checksum of a chunk written as ``parts`` (in file order) with index ``entry`` and ``config``: xxh3 (~8
    GB/s) when the ``xxhash`` package is installed, else zlib's CRC-32 (~1.3 GB/s)."""
    algorithm = algorithm or _preferred_algorithm()
    context = _context(entry, config)
    value = _xxh3(context, parts) if algorithm == "xxh3" else _crc32(context, parts)
    return f"{algorithm}:{value}:{entry.get('chunk_bytes')}"


def _whole_file_compressed(config: dict[str, Any]) -> bool:
    return bool(config.get("compression")) and config.get("compression_level") not in ("batch", "sample")


def verification_enabled() -> bool:
    return settings.VERIFY_CHECKSUMS.get()


def verify_chunk(path: str, entry: dict[str, Any], config: dict[str, Any]) -> None:
    """Check the chunk file at ``path`` against its entry's checksum, once per process and file version; raises
    `ChunkChecksumError`. Entries without a checksum (older datasets, Parquet) and unknown algorithms pass."""
    expected = entry.get(CHECKSUM_KEY)
    if not isinstance(expected, str) or not verification_enabled():
        return
    algorithm = expected.split(":", 1)[0]
    if algorithm not in ("crc32", "xxh3") or (algorithm == "xxh3" and _preferred_algorithm() != "xxh3"):
        return  # an algorithm this process cannot compute
    recorded_bytes = expected.rsplit(":", 1)[-1]
    if recorded_bytes != str(entry.get("chunk_bytes")):
        return  # the chunk was rewritten by a tool that does not know checksums: the checksum is stale
    stat = os.stat(path)
    if not _whole_file_compressed(config) and stat.st_size != entry.get("chunk_bytes"):
        state = "truncated" if stat.st_size < entry["chunk_bytes"] else "longer than recorded"
        raise ChunkChecksumError(
            f"Chunk {path!r} is {state}: it has {stat.st_size} bytes, index.json records {entry['chunk_bytes']}. "
            "Delete the cached chunk so it is downloaded again, or re-run optimize (mode='overwrite') if this is the "
            "dataset's own copy. (LITDATA_VERIFY_CHECKSUMS=0 skips the check.)"
        )
    key = (path, stat.st_size, stat.st_mtime_ns, expected)
    while True:  # one thread hashes a file version at a time; the others wait for its verdict
        with _verified_lock:
            if key in _verified:
                return
            running = _in_progress.get(key)
            if running is None:
                _in_progress[key] = threading.Event()
                break
        running.wait()  # verified now, or found corrupt: then hashed again here, which raises
    try:
        with open(path, "rb") as f:
            if stat.st_size == 0:
                actual = chunk_checksum([], entry, config, algorithm)
            else:  # over the mapping: no copy into a read buffer
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
                    actual = chunk_checksum([mapping], entry, config, algorithm)
        if actual != expected:
            raise ChunkChecksumError(
                f"Chunk {path!r} is corrupted: its checksum is {actual}, but index.json records {expected}. Delete "
                "the cached chunk so it is downloaded again, or re-run optimize (mode='overwrite') if this is the "
                "dataset's own copy. (LITDATA_VERIFY_CHECKSUMS=0 skips the check.)"
            )
        with _verified_lock:
            _verified.add(key)
            _newly_verified.append(key)
    finally:
        with _verified_lock:
            _in_progress.pop(key).set()


def verify_ahead(path: str, entry: dict[str, Any], config: dict[str, Any]) -> None:
    """`verify_chunk` ahead of the reader, on a background thread (xxh3 and CRC-32 release the GIL while they hash):
    a chunk found corrupt, truncated or missing is left unverified, so the reader verifies it again when it opens it
    and raises there, before any of its bytes become samples (or, for a cached copy, downloads it again)."""
    try:
        verify_chunk(path, entry, config)
    except (ChunkCorruptedError, OSError):
        pass
