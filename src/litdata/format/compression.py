"""Chunk compression: zstd codecs, the granularity rules, and the framed (``LDFZ01``) chunk layout.

Three granularities (``compression_level``) exist for a zstd-compressed dataset:

- ``"chunk"``: the whole chunk file is one zstd frame, stored as ``chunk-R-N.{compression}.bin``.
- ``"batch"``: the framed layout below; items are compressed ``frame_rows`` at a time and read by frame.
- ``"sample"``: a classic chunk whose item slots each hold an independent zstd frame.

Framed layout (all integers little-endian)::

    magic "LDFZ01\\0\\0" | u16 version=1 | u16 flags=0 | u32 N | u32 K (frame_rows) | u32 F (frames)
    u32 offsets[N+1]   logical offsets into the concatenated item blobs (offsets[0] == 0)
    F x (u32 first_item, u32 n_items, u64 compressed_off, u32 compressed_len, u32 uncompressed_len)
    the F zstd frames back to back; frame f holds items [f*K, min(N, (f+1)*K))
"""

from __future__ import annotations

import math
import struct
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from mmap import mmap
from typing import Any

import numpy as np

try:
    import zstandard

    _HAS_ZSTANDARD = True
except ImportError:
    _HAS_ZSTANDARD = False

COMPRESSION_LEVELS = ("chunk", "batch", "sample")
DEFAULT_FRAME_ROWS = 256
FRAMED_CHUNK_MAGIC = b"LDFZ01\x00\x00"
FRAMED_CHUNK_VERSION = 1

_HEADER = struct.Struct("<8sHHIII")
_FRAME_RECORD_DTYPE = np.dtype(
    [
        ("first_item", "<u4"),
        ("n_items", "<u4"),
        ("compressed_off", "<u8"),
        ("compressed_len", "<u4"),
        ("uncompressed_len", "<u4"),
    ]
)
_UINT32_LIMIT = 1 << 32
_DEFAULT_ZSTD_LEVEL = 4
_PYTREE_LOADER = "PyTreeLoader"

BufferLike = bytes | bytearray | memoryview | mmap


class CorruptedChunkError(ValueError):
    """A compressed chunk cannot be decoded because its bytes are damaged or cut short."""


class Compressor(ABC):
    """A byte-level codec used to compress chunk files, frames or samples.

    Add your own as with LitData 0.2.76: subclass it, put instances into the registry in ``register`` and call
    ``MyCompressor.register(litdata.format.compression._COMPRESSORS)``; ``optimize(compression="name")`` then
    writes whole-file compressed chunks (``chunk-R-N.name.bin``) with it.
    """

    @abstractmethod
    def compress(self, data: bytes | memoryview) -> bytes:
        """Return the compressed form of ``data``."""

    @abstractmethod
    def decompress(self, data: bytes | memoryview) -> bytes:
        """Return the original bytes of ``data`` produced by :meth:`compress`."""

    def decompress_file(self, src: str, dst: str) -> None:
        """Write the decompressed content of the file ``src`` to the file ``dst``."""
        with open(src, "rb") as source:
            data = self.decompress(source.read())
        with open(dst, "wb") as target:
            target.write(data)

    @classmethod
    @abstractmethod
    def register(cls, compressors: dict[str, Compressor]) -> None:
        """Add this codec's instances to ``compressors`` under the names ``compression=`` accepts."""


_thread_codecs = threading.local()


def _zstandard() -> Any:
    if not _HAS_ZSTANDARD:
        raise ModuleNotFoundError(
            "zstd compression needs the `zstandard` package; install it: `pip install zstandard`."
        )
    return zstandard


def _thread_compressor(level: int) -> Any:
    compressors = getattr(_thread_codecs, "compressors", None)
    if compressors is None:
        compressors = _thread_codecs.compressors = {}
    compressor = compressors.get(level)
    if compressor is None:
        compressor = compressors[level] = _zstandard().ZstdCompressor(level=level)
    return compressor


def _thread_decompressor() -> Any:
    decompressor = getattr(_thread_codecs, "decompressor", None)
    if decompressor is None:
        decompressor = _thread_codecs.decompressor = _zstandard().ZstdDecompressor()
    return decompressor


class ZSTDCompressor(Compressor):
    """Zstandard codec; codec objects are created once per thread and level, then reused."""

    def __init__(self, level: int = _DEFAULT_ZSTD_LEVEL) -> None:
        self.level = level
        self.extension = "zstd"

    @property
    def name(self) -> str:
        """``zstd:{level}``."""
        return f"{self.extension}:{self.level}"

    @classmethod
    def register(cls, compressors: dict[str, Compressor]) -> None:
        """Add ``zstd`` (level 4) and ``zstd:1`` … ``zstd:22``."""
        compressors["zstd"] = cls(_DEFAULT_ZSTD_LEVEL)
        compressors.update({f"zstd:{level}": cls(level) for level in range(1, 23)})

    def compress(self, data: bytes | memoryview) -> bytes:
        """Compress ``data`` into one zstd frame that records its content size."""
        return _thread_compressor(self.level).compress(data)

    def decompress(self, data: bytes | memoryview) -> bytes:
        """Inflate zstd data, with or without the content size in the frame header."""
        decompressor = _thread_decompressor()
        if zstandard.frame_content_size(data) >= 0:
            return decompressor.decompress(data)
        return decompressor.decompressobj(read_across_frames=True).decompress(data)

    def __repr__(self) -> str:
        return f"ZSTDCompressor(level={self.level})"


_COMPRESSORS: dict[str, Compressor] = {}
ZSTDCompressor.register(_COMPRESSORS)
_DEFAULT_COMPRESSOR = _COMPRESSORS["zstd"]


def get_compressor(name: str) -> Compressor:
    """Return the registered compressor for ``name`` (``"zstd"``, ``"zstd:1"`` … ``"zstd:22"`` or a name a user's
    `Compressor.register` added)."""
    compressor = _COMPRESSORS.get(name) if isinstance(name, str) else None
    if compressor is None:
        others = sorted(key for key in _COMPRESSORS if not key.startswith("zstd"))
        extra = f", or one registered with Compressor.register: {', '.join(map(repr, others))}" if others else ""
        raise ValueError(
            f"Unknown compression {name!r}. Valid names are 'zstd' (level 4) and 'zstd:1' ... 'zstd:22'{extra},"
            " e.g. compression='zstd:9'."
        )
    return compressor


def resolve_compression(
    compression: str | None,
    compression_level: str | None,
    encryption: object | None,
    item_loader_name: str | None,
) -> tuple[str | None, str | None]:
    """Validate the compression settings and return ``(compression, compression_level)`` as they will be applied.

    Without compression the level is irrelevant and ``(None, None)`` is returned. An omitted level means
    ``"batch"`` for zstd with the default ``PyTreeLoader`` (``item_loader_name`` ``None`` or ``"PyTreeLoader"``)
    without encryption; with encryption, another item loader or another codec it means ``"chunk"`` (whole-file
    compression). LitData 0.2.76 raises for zstd with encryption or another loader; here the level that works is
    picked instead. An explicit ``"batch"``/``"sample"`` that cannot work raises.
    """
    if compression is None:
        return None, None
    get_compressor(compression)
    if isinstance(compression_level, (int, float)):
        raise ValueError(
            f"compression_level={compression_level!r} is granularity, not a zstd numeric level: pass "
            f"compression='zstd:{compression_level}' for the zstd level and compression_level as one of "
            f"{', '.join(map(repr, COMPRESSION_LEVELS))}."
        )
    is_pytree_loader = item_loader_name in (None, _PYTREE_LOADER)
    is_zstd = compression.startswith("zstd")
    if compression_level is None:
        return compression, "batch" if is_zstd and is_pytree_loader and encryption is None else "chunk"
    level = compression_level.lower() if isinstance(compression_level, str) else None
    if level not in COMPRESSION_LEVELS:
        raise ValueError(
            f"Unknown compression_level {compression_level!r}; use one of {', '.join(map(repr, COMPRESSION_LEVELS))}."
        )
    if level != "chunk" and not is_zstd:
        raise ValueError(
            f"compression_level={level!r} is only supported with compression='zstd', not {compression!r}; "
            "pass compression_level='chunk' (or leave it out)."
        )
    if level != "chunk" and encryption is not None:
        raise ValueError(
            f"compression_level={level!r} cannot be combined with encryption; pass compression_level='chunk'."
        )
    if level != "chunk" and not is_pytree_loader:
        raise ValueError(
            f"compression_level={level!r} only works with the default PyTreeLoader, not {item_loader_name}; "
            "pass compression_level='chunk'."
        )
    return compression, level


def compress_sample(item_blob: bytes | memoryview, compressor: Compressor | None = None) -> bytes:
    """Compress one per-item blob into the independent zstd frame stored in a ``"sample"``-level item slot."""
    return (compressor or _DEFAULT_COMPRESSOR).compress(item_blob)


def decompress_sample(item_slot: bytes | memoryview, compressor: Compressor | None = None) -> bytes:
    """Inflate one ``"sample"``-level item slot back to the per-item blob."""
    return (compressor or _DEFAULT_COMPRESSOR).decompress(item_slot)


def is_framed_chunk(buf: BufferLike) -> bool:
    """Tell whether a chunk buffer uses the framed (``LDFZ01``) layout."""
    return len(buf) >= len(FRAMED_CHUNK_MAGIC) and bytes(buf[: len(FRAMED_CHUNK_MAGIC)]) == FRAMED_CHUNK_MAGIC


def pack_framed_chunk(
    item_blobs: Sequence[bytes | memoryview],
    frame_rows: int = DEFAULT_FRAME_ROWS,
    compressor: Compressor | None = None,
) -> bytes:
    """Build a framed chunk from per-item blobs, compressing ``frame_rows`` consecutive items per zstd frame."""
    num_items = len(item_blobs)
    if num_items == 0:
        raise ValueError("A framed chunk needs at least one item; do not write empty chunks.")
    if frame_rows <= 0:
        raise ValueError(f"frame_rows must be a positive number of items per frame, got {frame_rows}; try 256.")
    compressor = compressor or _DEFAULT_COMPRESSOR
    sizes = np.fromiter((len(blob) for blob in item_blobs), dtype=np.uint64, count=num_items)
    offsets = np.zeros(num_items + 1, dtype=np.uint64)
    np.cumsum(sizes, out=offsets[1:])
    if int(offsets[-1]) >= _UINT32_LIMIT:
        raise ValueError("The items of a framed chunk must total less than 4 GiB; lower chunk_bytes or chunk_size.")
    payload = memoryview(b"".join(item_blobs))

    num_frames = math.ceil(num_items / frame_rows)
    records = np.zeros(num_frames, dtype=_FRAME_RECORD_DTYPE)
    frames = []
    position = _HEADER.size + 4 * (num_items + 1) + _FRAME_RECORD_DTYPE.itemsize * num_frames
    for frame_index in range(num_frames):
        first = frame_index * frame_rows
        last = min(num_items, first + frame_rows)
        begin, end = int(offsets[first]), int(offsets[last])
        frame = compressor.compress(payload[begin:end])
        records[frame_index] = (first, last - first, position, len(frame), end - begin)
        frames.append(frame)
        position += len(frame)

    header = _HEADER.pack(FRAMED_CHUNK_MAGIC, FRAMED_CHUNK_VERSION, 0, num_items, frame_rows, num_frames)
    return b"".join([header, offsets.astype("<u4").tobytes(), records.tobytes(), *frames])


class FramedChunkReader:
    """Random access to the items of a framed chunk, decoding one frame at a time.

    The header, offsets and frame table are parsed and validated once. The last decoded frame is cached, so reading
    items in order inflates each frame once. Call :meth:`close` before closing an ``mmap`` passed as ``buf``.
    """

    def __init__(self, buf: BufferLike, compressor: Compressor | None = None) -> None:
        self._buffer = memoryview(buf).cast("B")
        self._compressor = compressor or _DEFAULT_COMPRESSOR
        self._cached_frame_index = -1
        self._cached_frame = memoryview(b"")
        self.num_items, self.frame_rows, self.num_frames = self._read_header()
        self._offsets, self._frames = self._read_tables()

    def __len__(self) -> int:
        return self.num_items

    def item(self, index: int) -> memoryview:
        """Return the per-item blob of item ``index`` as a view into its decoded frame."""
        if not 0 <= index < self.num_items:
            raise IndexError(f"Item {index} is out of range for a framed chunk of {self.num_items} items.")
        frame_index = index // self.frame_rows
        if frame_index != self._cached_frame_index:
            self._cached_frame = memoryview(self._decode_frame(frame_index))
            self._cached_frame_index = frame_index
        base = self._offsets[frame_index * self.frame_rows]
        return self._cached_frame[self._offsets[index] - base : self._offsets[index + 1] - base]

    def close(self) -> None:
        """Release the views held on the chunk buffer and the cached frame."""
        self._buffer.release()
        self._cached_frame = memoryview(b"")
        self._cached_frame_index = -1

    def _decode_frame(self, frame_index: int) -> bytes:
        compressed_off, compressed_len, uncompressed_len = self._frames[frame_index]
        try:
            raw = self._compressor.decompress(self._buffer[compressed_off : compressed_off + compressed_len])
        except Exception as error:
            raise self._corrupted(f"frame {frame_index} cannot be decompressed ({error})") from error
        if len(raw) != uncompressed_len:
            raise self._corrupted(f"frame {frame_index} inflates to {len(raw)} bytes instead of {uncompressed_len}")
        return raw

    def _read_header(self) -> tuple[int, int, int]:
        if len(self._buffer) < _HEADER.size:
            raise self._corrupted(
                f"it is only {len(self._buffer)} bytes long, shorter than its {_HEADER.size}-byte header"
            )
        magic, version, _flags, num_items, frame_rows, num_frames = _HEADER.unpack_from(self._buffer)
        if magic != FRAMED_CHUNK_MAGIC:
            raise self._corrupted(f"it starts with {magic!r} instead of the magic {FRAMED_CHUNK_MAGIC!r}")
        if version != FRAMED_CHUNK_VERSION:
            raise self._corrupted(f"its version is {version}, only version {FRAMED_CHUNK_VERSION} is supported")
        if num_items == 0 or frame_rows == 0 or num_frames != math.ceil(num_items / frame_rows):
            raise self._corrupted(f"its header is inconsistent (N={num_items}, K={frame_rows}, F={num_frames})")
        return num_items, frame_rows, num_frames

    def _read_tables(self) -> tuple[list[int], list[tuple[int, int, int]]]:
        offsets_end = _HEADER.size + 4 * (self.num_items + 1)
        table_end = offsets_end + _FRAME_RECORD_DTYPE.itemsize * self.num_frames
        if len(self._buffer) < table_end:
            raise self._corrupted(f"it is {len(self._buffer)} bytes long but its tables end at byte {table_end}")
        offsets = np.frombuffer(self._buffer[_HEADER.size : offsets_end], dtype="<u4").astype(np.int64)
        records = np.frombuffer(self._buffer[offsets_end:table_end], dtype=_FRAME_RECORD_DTYPE).copy()
        if offsets[0] != 0 or np.any(np.diff(offsets) < 0):
            raise self._corrupted("its item offsets do not start at 0 and grow monotonically")

        first_items = np.arange(self.num_frames, dtype=np.int64) * self.frame_rows
        expected_counts = np.minimum(self.frame_rows, self.num_items - first_items)
        compressed_off = records["compressed_off"].astype(np.int64)
        compressed_end = compressed_off + records["compressed_len"]
        expected_sizes = offsets[first_items + expected_counts] - offsets[first_items]
        problems = {
            "a frame does not hold the items its position implies": np.any(records["first_item"] != first_items)
            or np.any(records["n_items"] != expected_counts),
            "a frame is empty": np.any(records["compressed_len"] == 0) or np.any(records["uncompressed_len"] == 0),
            "a frame lies outside the file": np.any(compressed_off < table_end)
            or np.any(compressed_end > len(self._buffer)),
            "a frame's size disagrees with the item offsets": np.any(records["uncompressed_len"] != expected_sizes),
        }
        for problem, found in problems.items():
            if found:
                raise self._corrupted(problem)
        frames = list(
            zip(
                compressed_off.tolist(),
                records["compressed_len"].tolist(),
                records["uncompressed_len"].tolist(),
                strict=True,
            )
        )
        return offsets.tolist(), frames

    @staticmethod
    def _corrupted(problem: str) -> CorruptedChunkError:
        return CorruptedChunkError(
            f"The framed (LDFZ01) chunk is corrupted or truncated: {problem}. Delete the cached chunk file so it is"
            " downloaded again, or re-create the dataset with optimize."
        )
