"""Temporal arrays: records of per-frame fields laid out so that a window of frames is a few contiguous byte ranges.

A record is a dict of arrays (or tensors) sharing their first dimension, the frames. Its bytes are ``<I`` frame
count, then one block per field group: the group's fields interleaved frame by frame as an aligned numpy struct
(fields grouped with ``field_groups`` are read together; every other field is a group of its own). Reading frames
``[start, start + frames)`` of a group is one byte range. This is LitData 0.2.76's ``TemporalArrayLoader`` layout:
the index stores the schema (``config.temporal_schema``) and, per chunk, each record's frame count and byte offset
(``temporal_frames``, ``temporal_offsets``), so windows are read without opening the record header.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from litdata.format.chunk import ChunkData
from litdata.format.item_loader import BaseItemLoader, Interval, running_starts
from litdata.format.serializers import Serializer

__all__ = ["TemporalArrayLoader", "open_direct"]

_FRAMES = struct.Struct("<I")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class _Group:
    fields: tuple[str, ...]
    dtype: np.dtype  # one frame of the group: an aligned struct of its fields

    @property
    def stride(self) -> int:
        return self.dtype.itemsize


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "numpy")


def _as_array(name: str, value: Any) -> np.ndarray:
    if _is_tensor(value):
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value
    raise ValueError(
        f"Temporal field {name!r} is a {type(value).__name__}: every field must be a NumPy array or tensor."
    )


class TemporalArrayLoader(BaseItemLoader):
    """Stores records of per-frame arrays for fast reads of frame windows (``StreamingDataset.read_window``).

    Write with ``optimize(..., item_loader=TemporalArrayLoader(field_groups=[["clock", "valid"]]))``: every sample
    is a dict of arrays/tensors with the same number of frames (first dimension). Fields in one group are stored
    interleaved, so a window over them is one read. Read with ``StreamingDataset(..., item_loader=
    TemporalArrayLoader())``: ``dataset[i]`` is the whole record, ``dataset.read_window(i, start=, frames=)`` a
    window of it.
    """

    def __init__(self, field_groups: Sequence[Sequence[str]] | None = None) -> None:
        self.field_groups = [list(group) for group in field_groups or []]
        grouped = [name for group in self.field_groups for name in group]
        if len(grouped) != len(set(grouped)):
            raise ValueError(f"A field may be in one group only: field_groups={self.field_groups}.")
        self._schema: dict[str, Any] | None = None
        self._groups: list[_Group] = []
        self._tensor_fields: set[str] = set()

    def state_dict(self) -> dict:
        return {"field_groups": self.field_groups}

    # ------------------------------------------------------------------------------------------ writing

    def _learn_schema(self, arrays: dict[str, np.ndarray], tensors: set[str]) -> None:
        grouped = [name for group in self.field_groups for name in group]
        missing = [name for name in grouped if name not in arrays]
        if missing:
            raise ValueError(f"field_groups names {missing}, which the first record does not have.")
        groups = [list(group) for group in self.field_groups] + [[name] for name in arrays if name not in grouped]
        fields = {
            name: {"dtype": array.dtype.str, "shape": list(array.shape[1:]), "tensor": name in tensors}
            for name, array in sorted(arrays.items())
        }
        self._set_schema(
            {
                "field_order": [name for group in groups for name in group],
                "fields": fields,
                "groups": groups,
                "version": SCHEMA_VERSION,
            }
        )

    def _known_schema(self) -> dict[str, Any]:
        if self._schema is None:
            raise RuntimeError(
                "TemporalArrayLoader has no schema yet: it learns it from the first record written, or from "
                "index.json when a dataset is opened with it."
            )
        return self._schema

    def _set_schema(self, schema: dict[str, Any]) -> None:
        self._schema = schema
        fields = schema["fields"]
        self._groups = [
            _Group(
                tuple(group),
                np.dtype(
                    {
                        "names": list(group),
                        "formats": [(np.dtype(fields[name]["dtype"]), tuple(fields[name]["shape"])) for name in group],
                    },
                    align=True,
                ),
            )
            for group in schema["groups"]
        ]
        self._tensor_fields = {name for name, spec in fields.items() if spec.get("tensor")}

    def encode_record(self, item: Any) -> bytes:
        """The bytes of one record (a dict of arrays/tensors with the same number of frames)."""
        if not isinstance(item, dict) or not item:
            raise ValueError(f"A temporal record is a non-empty dict of arrays, got {type(item).__name__}.")
        arrays = {name: _as_array(name, value) for name, value in item.items()}
        if self._schema is None:
            self._learn_schema(arrays, {name for name, value in item.items() if _is_tensor(value)})
        expected = set(self._known_schema()["fields"])
        if set(arrays) != expected:
            raise ValueError(f"Every record needs the fields {sorted(expected)}, got {sorted(arrays)}.")
        frames = {len(array) if array.ndim else -1 for array in arrays.values()}
        if len(frames) != 1 or -1 in frames:
            lengths = {name: array.shape[:1] for name, array in arrays.items()}
            raise ValueError(f"All temporal fields need the same number of frames (first dimension): {lengths}.")
        (count,) = frames
        parts = [_FRAMES.pack(count)]
        for group in self._groups:
            block = np.zeros(count, dtype=group.dtype)
            for name in group.fields:
                array = arrays[name]
                if array.shape[1:] != block[name].shape[1:]:
                    raise ValueError(
                        f"Field {name!r} has frames of shape {array.shape[1:]}, the first record's had "
                        f"{block[name].shape[1:]}."
                    )
                block[name] = array
            parts.append(block.tobytes())
        return b"".join(parts)

    def index_config(self) -> dict[str, Any]:
        """The keys this loader adds to the index ``config``."""
        if self._schema is None:
            return {}
        return {"temporal_schema": self._schema, "types": {name: "json" for name in self._schema["field_order"]}}

    def chunk_entries(self, blobs: list[bytes]) -> dict[str, Any]:
        """The keys this loader adds to a chunk's index entry: each record's frame count and byte offset."""
        offsets = running_starts(len(blob) for blob in blobs)
        header = _FRAMES.size * (len(blobs) + 2)
        return {
            "temporal_frames": [_FRAMES.unpack_from(blob)[0] for blob in blobs],
            "temporal_offsets": [header + offset for offset in offsets[:-1]],
        }

    @classmethod
    def encode_data(cls, data: list[bytes], sizes: list[int], flattened: list[Any]) -> tuple[bytes, int | None]:
        raise TypeError("TemporalArrayLoader writes whole records: the writer calls encode_record(item).")

    # ------------------------------------------------------------------------------------------ reading

    def setup(
        self,
        config: dict,
        chunks: list[dict],
        serializers: dict[str, Serializer],
        region_of_interest=None,
        force_download_queue: Any = None,
    ) -> None:
        super().setup(config, chunks, serializers, region_of_interest, force_download_queue)
        schema = config.get("temporal_schema")
        if not schema:
            raise ValueError("This dataset has no temporal_schema: it was not written with TemporalArrayLoader.")
        self._set_schema(schema)
        self._starts = running_starts(chunk["chunk_size"] for chunk in chunks)

    def generate_intervals(self) -> list[Interval]:
        intervals = []
        for i, chunk in enumerate(self._chunks):
            begin, end = self._starts[i], self._starts[i + 1]
            lo, hi = self._roi(i, (0, chunk["chunk_size"]))
            intervals.append(Interval(begin, begin + lo, begin + hi, end))
        return intervals

    def _output(self, name: str, array: np.ndarray) -> Any:
        if name in self._tensor_fields:
            import torch

            return torch.from_numpy(array)
        return array

    def decode_record(self, blob: bytes | bytearray | memoryview) -> dict[str, Any]:
        """All fields of a record, frames first."""
        (count,) = _FRAMES.unpack_from(blob)
        position, blocks = _FRAMES.size, {}
        for group in self._groups:
            block = np.frombuffer(blob, dtype=group.dtype, count=count, offset=position)
            position += count * group.stride
            for name in group.fields:
                blocks[name] = block[name].copy()
        return {name: self._output(name, blocks[name]) for name in self._known_schema()["field_order"]}

    def load_item_from_chunk(
        self,
        index: int,
        chunk_index: int,
        chunk_filepath: str,
        begin: int,
        filesize_bytes: int,
        encryption: Any = None,
    ) -> Any:
        """Record ``index`` (absolute) of the chunk at ``chunk_filepath``, every field whole."""
        chunk = self._chunk_for(chunk_filepath, encryption)
        return TemporalArrayLoader._fast_item(self, index, chunk_index, chunk)

    def _fast_item(self, index: int, chunk_index: int, chunk: ChunkData) -> Any:
        return self.decode_record(chunk.item(index - self._starts[chunk_index]))

    def deserialize(self, raw_item_data: bytes | memoryview) -> Any:
        """The record stored as ``raw_item_data``, every field whole."""
        return self.decode_record(raw_item_data)

    def window_ranges(
        self, chunk_index: int, local: int, start: int, frames: int, fields: Sequence[str] | None
    ) -> list[tuple[_Group, int, int]]:
        """``(group, byte offset in the chunk file, byte length)`` of each group a window needs."""
        if local < 0 or start < 0 or frames <= 0:
            raise IndexError("index/start must be nonnegative and frames must be positive.")
        chunk = self._chunks[chunk_index]
        if "temporal_offsets" not in chunk:
            raise ValueError(f"Chunk {chunk['filename']} has no temporal_offsets: rewrite it with TemporalArrayLoader.")
        total = chunk["temporal_frames"][local]
        if start + frames > total:
            raise IndexError(f"Window is outside the record ([{start}, {start + frames}) of its {total} frames).")
        schema = self._known_schema()
        wanted = list(schema["field_order"] if fields is None else fields)
        for name in wanted:
            if name not in schema["fields"]:
                raise KeyError(name)
        ranges, position = [], chunk["temporal_offsets"][local] + _FRAMES.size
        for group in self._groups:
            if any(name in wanted for name in group.fields):
                ranges.append((group, position + start * group.stride, frames * group.stride))
            position += total * group.stride
        return ranges

    def window_from_blocks(self, blocks: list[tuple[_Group, bytes]], fields: Sequence[str] | None) -> dict[str, Any]:
        """The requested fields of a window from its group blocks."""
        values = {}
        for group, data in blocks:
            block = np.frombuffer(data, dtype=group.dtype)
            for name in group.fields:
                values[name] = block[name].copy()
        wanted = self._known_schema()["field_order"] if fields is None else fields
        return {name: self._output(name, values[name]) for name in wanted}


def _mount_fstype(path: str) -> str:
    """The file system type of the mount holding ``path`` (Linux: from /proc/self/mountinfo)."""
    real = os.path.realpath(path)
    best, fstype = "", "unknown"
    try:
        with open("/proc/self/mountinfo") as mounts:
            for line in mounts:
                before, _, after = line.partition(" - ")
                mount_point = before.split()[4].replace("\\040", " ")
                inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
                if inside and len(mount_point) >= len(best):
                    best, fstype = mount_point, after.split()[0]
    except OSError:
        pass
    return fstype


def open_direct(path: str) -> int:
    """A read-only ``O_DIRECT`` descriptor on a regular file on Linux NFS (which allows unaligned direct reads).

    Any other file system raises ``OSError(EOPNOTSUPP)`` instead of silently falling back to buffered reads.
    """
    import errno

    fstype = _mount_fstype(path)
    if not hasattr(os, "O_DIRECT") or not fstype.startswith("nfs"):
        raise OSError(
            errno.EOPNOTSUPP,
            f"window_direct_io=True reads with O_DIRECT, which needs a regular file on Linux NFS; {path} is on "
            f"{fstype!r}. Use window_direct_io=False (buffered range reads) for this dataset.",
        )
    return os.open(path, os.O_RDONLY | os.O_DIRECT)


# ------------------------------------------------------------------------------------------- dataset windows


def _read_exactly(fd: int, offset: int, length: int) -> bytes:
    parts, done = [], 0
    while done < length:
        part = os.pread(fd, length - done, offset + done)
        if not part:
            raise OSError(f"Unexpected end of file reading {length} bytes at offset {offset}.")
        parts.append(part)
        done += len(part)
    return b"".join(parts)


class _WindowRead:
    """The byte ranges of one window and the chunk file they are in (held in the cache while they are read)."""

    def __init__(self, dataset: Any, index: int, start: int, frames: int, fields: Sequence[str] | None) -> None:
        loader = dataset._get_config().item_loader
        if not isinstance(loader, TemporalArrayLoader):
            raise ValueError("read_window needs a dataset written and read with item_loader=TemporalArrayLoader().")
        if index < 0:
            raise IndexError("index/start must be nonnegative and frames must be positive.")
        self.loader, self.fields, self.dataset = loader, fields, dataset
        located = dataset._locate(index)
        self.chunk_index = located.chunk_index
        local = located.index - loader._starts[located.chunk_index]
        self.ranges = loader.window_ranges(located.chunk_index, local, start, frames, fields)
        config = dataset._get_config().config
        self.stored_as_is = not config.get("compression") and not config.get("encryption")
        if dataset.window_direct_io and not self.stored_as_is:
            raise ValueError("window_direct_io=True reads uncompressed, unencrypted datasets only.")
        self.window = (start, frames)
        self.index = index
        self.filename = dataset._get_config().chunks[located.chunk_index]["filename"]

    def read(self, read_blocks) -> dict[str, Any]:
        if not self.stored_as_is:  # the bytes on disk are not the record's: decode it whole, then slice
            record = self.dataset[self.index]
            start, frames = self.window
            wanted = self.loader._known_schema()["field_order"] if self.fields is None else self.fields
            return {name: record[name][start : start + frames] for name in wanted}
        source = self.dataset._source
        source.acquire(self.filename)
        try:
            path = source.ensure(self.filename)
            fd = open_direct(path) if self.dataset.window_direct_io else os.open(path, os.O_RDONLY)
            try:
                blocks = read_blocks(fd)
            finally:
                os.close(fd)
        finally:
            source.release(self.filename)
        return self.loader.window_from_blocks(blocks, self.fields)


def reads_windows(dataset: Any) -> bool:
    """Whether ``dataset`` reads windows by byte ranges (it is read with a `TemporalArrayLoader`)."""
    return isinstance(dataset._get_config().item_loader, TemporalArrayLoader)


def read_window(dataset: Any, index: int, start: int, frames: int, fields: Sequence[str] | None) -> dict[str, Any]:
    """Frames ``[start, start + frames)`` of record ``index``: one range read per field group it needs."""
    plan = _WindowRead(dataset, index, start, frames, fields)
    return plan.read(lambda fd: [(group, _read_exactly(fd, offset, length)) for group, offset, length in plan.ranges])


async def aread_window(
    dataset: Any, index: int, start: int, frames: int, fields: Sequence[str] | None, max_concurrent_reads: int
) -> dict[str, Any]:
    """:func:`read_window` with the group reads running concurrently (at most ``max_concurrent_reads`` at once)."""
    import asyncio

    if max_concurrent_reads < 1:
        raise ValueError(f"max_concurrent_reads must be at least 1, got {max_concurrent_reads}.")
    plan = _WindowRead(dataset, index, start, frames, fields)
    if not plan.stored_as_is:
        return await asyncio.to_thread(plan.read, None)
    limit = asyncio.Semaphore(max_concurrent_reads)

    async def one(fd: int, group: _Group, offset: int, length: int) -> tuple[_Group, bytes]:
        async with limit:
            return group, await asyncio.to_thread(_read_exactly, fd, offset, length)

    source = dataset._source
    source.acquire(plan.filename)
    try:
        path = await asyncio.to_thread(source.ensure, plan.filename)
        fd = open_direct(path) if dataset.window_direct_io else os.open(path, os.O_RDONLY)
        try:
            blocks = await asyncio.gather(*(one(fd, group, offset, length) for group, offset, length in plan.ranges))
        finally:
            os.close(fd)
    finally:
        source.release(plan.filename)
    return plan.loader.window_from_blocks(list(blocks), fields)
