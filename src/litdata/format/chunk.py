"""One chunk's bytes decoded down to per-item blobs: classic, whole-file zstd, framed zstd, sample-level zstd,
Arrow footer, chunk- and sample-level encryption. Pure: takes a buffer, returns views."""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from litdata.format.arrow_footer import ArrowFooter, has_arrow_footer
from litdata.format.compression import FramedChunkReader, get_compressor, is_framed_chunk
from litdata.format.private_map import map_private

# From this item size, reading an item from the file beats copying it from the mapping, and (per-sample path, items in
# order) a private mapping of a run of items beats reading it.
LARGE_ITEM_BYTES = 32 << 10
ITEMS_ALIGNMENT = 16  # our writer starts the items of a classic chunk at a multiple of this (LitData: right after
# the header); readers follow the offsets, so either reads anywhere, and aligned items can be mapped as arrays


def items_start(num_items: int, aligned: bool) -> int:
    """Where the items of a classic chunk of ``num_items`` start: right after its header (``u32`` count and
    ``num_items + 1`` offsets), or ``aligned`` at the next multiple of `ITEMS_ALIGNMENT`."""
    header_end = 4 * (num_items + 2)
    return -(-header_end // ITEMS_ALIGNMENT) * ITEMS_ALIGNMENT if aligned else header_end


class ChunkCorruptedError(ValueError):
    """A chunk file is truncated or does not match its index entry."""


@dataclass(frozen=True)
class ChunkLayout:
    """What the index says about how chunks were written."""

    compression: str | None = None
    compression_level: str | None = None
    encryption: Any = None  # an Encryption object (reader side) or None
    encryption_level: str | None = None


def _map_file(path: str) -> mmap.mmap | bytes:
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _classic_offsets(buf: memoryview, path: str) -> np.ndarray:
    if len(buf) < 8:
        raise ChunkCorruptedError(f"Chunk {path!r} is truncated ({len(buf)} bytes). Re-run optimize or re-download it.")
    num_items = int(np.frombuffer(buf, "<u4", 1)[0])
    header_end = items_start(num_items, aligned=False)
    if header_end > len(buf):
        raise ChunkCorruptedError(
            f"Chunk {path!r} is truncated or not a litdata chunk: its header announces {num_items} items, which does "
            f"not fit in {len(buf)} bytes. Re-run optimize or re-download it."
        )
    offsets = np.frombuffer(buf, "<u4", num_items + 1, 4).astype(np.int64)
    starts = (header_end, items_start(num_items, aligned=True))
    if num_items and (offsets[0] not in starts or offsets[-1] > len(buf) or np.any(np.diff(offsets) < 0)):
        raise ChunkCorruptedError(
            f"Chunk {path!r} is truncated or corrupted: its offsets point to byte {int(offsets[-1])} but the file has "
            f"{len(buf)} bytes. Re-run optimize or re-download it."
        )
    return offsets


class ChunkData:
    """Item access over one chunk file. Opened once per chunk; ``item(i)`` returns the i-th item's blob."""

    def __init__(self, path: str, layout: ChunkLayout) -> None:
        self.path = path
        self._mapping = _map_file(path)
        buf = memoryview(self._mapping)
        comp = layout.compression
        if comp and os.path.basename(path).endswith(f".{comp}.bin"):
            buf = memoryview(get_compressor(comp).decompress(buf))
        if layout.encryption is not None and layout.encryption_level == "chunk":
            buf = memoryview(layout.encryption.decrypt(bytes(buf)))
        self._sample_encryption = layout.encryption if layout.encryption_level == "sample" else None
        self._sample_compressor = get_compressor(comp) if comp and layout.compression_level == "sample" else None
        self._file_backed = isinstance(self._mapping, mmap.mmap) and buf.obj is self._mapping
        self._fd: int | None = None
        self.buffer = buf
        self.footer: ArrowFooter | None = None
        self._framed: FramedChunkReader | None = None
        self.offsets: np.ndarray | None = None
        if is_framed_chunk(buf):
            self._framed = FramedChunkReader(buf)
            self.num_items = len(self._framed)
        else:
            if has_arrow_footer(buf):
                self.footer = ArrowFooter(buf)
            self.offsets = _classic_offsets(buf, path)
            self.num_items = len(self.offsets) - 1
        self._encrypted = layout.encryption is not None
        plain = self._framed is None and self._sample_compressor is None and self._sample_encryption is None
        self._items_as_stored = plain and self.offsets is not None  # each item's bytes are its blob
        self._rows: np.ndarray | None | Literal[False] = False  # False: not computed yet

    def fixed_rows(self) -> np.ndarray | None:
        """All items as a (num_items, item_size) byte matrix over the chunk when they are stored as they are and all
        have the same size; None otherwise."""
        if self._rows is False:
            self._rows = None
            offsets = self.offsets
            if self._items_as_stored and self.num_items and offsets is not None:
                sizes = np.diff(offsets)
                if sizes[0] > 0 and np.all(sizes == sizes[0]):
                    start, size = int(offsets[0]), int(sizes[0])
                    rows = np.frombuffer(self.buffer, np.uint8, self.num_items * size, start)
                    self._rows = rows.reshape(self.num_items, size)
        return self._rows

    @property
    def returns_views(self) -> bool:
        """True when `bytes` leaves are handed out as memoryviews (unencrypted chunks, as LitData 0.2.76 does)."""
        return self._encrypted is False

    def item(self, i: int) -> memoryview | bytes | bytearray:
        """The per-item blob of item ``i`` (local index in this chunk). Large items of plain chunks are read from
        the file into a ``bytearray`` of their own (one read, no page faults on the mapping, no second copy)."""
        if self._framed is not None:
            return self._framed.item(i)
        assert self.offsets is not None  # a chunk is framed or has offsets (until close)
        begin, end = self.offsets[i], self.offsets[i + 1]
        if self._items_as_stored and end - begin >= LARGE_ITEM_BYTES:
            owned = bytearray(end - begin)
            if self.read_file([owned], begin, len(owned)):
                return owned
        blob: memoryview | bytes = self.buffer[begin:end]
        if self._sample_compressor is not None:
            blob = self._sample_compressor.decompress(blob)
        if self._sample_encryption is not None:
            blob = self._sample_encryption.decrypt(bytes(blob))
        return blob

    def read_file(self, buffers: list, position: int, nbytes: int) -> bool:
        """Fill ``buffers`` (writable, ``nbytes`` in all) with the chunk's bytes from ``position`` on, read from the
        file with one ``preadv`` (no page faults on the mapping). False when that is not possible (the chunk's bytes
        are not the file's, e.g. decompressed, or the read came back short): read them from `buffer` instead."""
        if not self._file_backed or not hasattr(os, "preadv"):
            return False
        return os.preadv(self._descriptor(), buffers, position) == nbytes

    def map_file(self, position: int, nbytes: int) -> np.ndarray | None:
        """The chunk's bytes from ``position`` on as a writable array over a private copy-on-write mapping of its
        file (`map_private`): no copy until written. None when not possible (the chunk's bytes are not the file's,
        or the platform cannot map privately): read them with `read_file` instead."""
        if not self._file_backed:
            return None
        return map_private(self._descriptor(), position, nbytes)

    def _descriptor(self) -> int:
        """The chunk file opened read-only, once (closed by `close`)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    def data_area(self) -> memoryview:
        """Bytes after the classic header (token chunks store raw tokens there)."""
        return self.buffer[items_start(self.num_items, aligned=False) :]

    def close(self) -> None:
        """Release the file mapping and descriptor (views still held by callers keep the mapping alive until they are
        dropped)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        self.buffer = memoryview(b"")
        self.offsets = None
        self._rows = None
        self._framed = self.footer = None
        mapping, self._mapping = self._mapping, b""
        if isinstance(mapping, mmap.mmap):
            try:
                mapping.close()
            except BufferError:
                pass  # views handed to the user still point into it; the mapping closes when they are dropped
