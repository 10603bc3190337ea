"""Batches read in one go (with `StreamingDataLoader`'s default collate).

When every item of a chunk stores its leaves at the same byte offsets with the same shapes (fixed-size numeric
samples, token blocks), the chunk is a matrix of rows and each leaf a strided column of it: a batch's leaves are
then copied straight from the chunks into the batch tensors, one copy per leaf and chunk, with no per-sample Python.
Any other chunk falls back to decoding its samples one by one, and the batch is collated as usual.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from litdata.format.chunk import LARGE_ITEM_BYTES
from litdata.utilities._pytree import TreeSpec

_MAPPINGS = (dict, collections.OrderedDict, collections.defaultdict)


@dataclass(frozen=True)
class LeafColumn:
    """Where one leaf lives inside every item of a chunk, and what it is."""

    offset: int
    dtype: np.dtype
    shape: tuple[int, ...]
    kind: str  # "array" (numpy leaf), "tensor" (torch leaf), "int" or "float" (Python scalar leaf)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


@dataclass(frozen=True)
class ChunkColumns:
    """A chunk's items as rows of equal size (``rows[local]`` is item ``first_item + local``) and its leaf layout.

    ``read_file(buffers, position, nbytes)`` reads the chunk's bytes at ``position`` (rows start at
    ``rows_position``) from its file, or returns False (see `ChunkData.read_file`); ``map_file(position, nbytes)``
    maps them privately, or returns None (see `ChunkData.map_file`).
    """

    rows: np.ndarray  # (num_items, item_size) uint8, a view over the chunk
    first_item: int
    leaves: tuple[LeafColumn, ...]
    rows_position: int
    read_file: Callable[[list, int, int], bool]
    headers: tuple[tuple[int, bytes], ...] = ()  # (offset, bytes) every item must have: leaf sizes, array headers
    map_file: Callable[[int, int], np.ndarray | None] | None = None

    def same_headers(self, selection: slice | np.ndarray) -> bool:
        """Whether the selected rows have the expected headers (checked as the rows are read)."""
        for offset, expected in self.headers:
            block = self.rows[selection, offset : offset + len(expected)]
            if not (block == np.frombuffer(expected, np.uint8)).all():
                return False
        return True

    def leaf_bytes(self, j: int) -> np.ndarray:
        """The bytes of leaf ``j`` in every item: a strided (num_items, nbytes) view over the rows."""
        leaf = self.leaves[j]
        return self.rows[:, leaf.offset : leaf.offset + leaf.nbytes]


def _local_positions(items: Sequence[int] | np.ndarray, first_item: int) -> tuple[np.ndarray | None, int, int]:
    """``(positions, start, count)``: positions is None when the items are consecutive (rows ``start .. start+count``)."""
    count = len(items)
    if isinstance(items, range) and items.step == 1:
        return None, items.start - first_item, count
    positions = np.asarray(items, dtype=np.int64) - first_item
    if count and positions[-1] - positions[0] == count - 1 and np.all(np.diff(positions) == 1):
        return None, int(positions[0]), count
    return positions, 0, count


def assembles_by_spec(spec: TreeSpec | None) -> bool:
    """Whether `assemble_collated` builds what `litdata_collate` builds from samples of this structure."""
    if spec is None or spec.type is None:
        return True
    if spec.type not in (*_MAPPINGS, list, tuple) and not hasattr(spec.context, "_fields"):
        return False  # e.g. a deque: litdata_collate treats it as a leaf
    return all(assembles_by_spec(child) for child in spec.children_specs)


def assemble_collated(leaf_values: list[Any], spec: TreeSpec | None) -> Any:
    """Collated leaves (one per leaf of the samples) put together as `litdata_collate` collates the samples: dicts
    as dicts, lists and tuples as lists, namedtuples as namedtuples. ``spec`` None: the samples are their only leaf,
    or a list of their leaves."""
    if spec is None:
        return leaf_values[0] if len(leaf_values) == 1 else list(leaf_values)
    return _assemble(spec, iter(leaf_values))


def _assemble(spec: TreeSpec, values: Any) -> Any:
    if spec.type is None:
        return next(values)
    children = [_assemble(child, values) for child in spec.children_specs]
    if spec.type is dict or spec.type is collections.OrderedDict:
        return dict(zip(spec.context, children))
    if spec.type is collections.defaultdict:
        return dict(zip(spec.context[1], children))
    if spec.type is list or spec.type is tuple:
        return children
    return spec.context(*children)  # namedtuple


BatchTensor = Callable[[tuple[int, ...], np.dtype], tuple[np.ndarray, Any]]
LendArray = Callable[[tuple[int, ...], np.dtype], "np.ndarray | None"]
_COLLATE: tuple[Callable[[list[Any]], Any], BatchTensor] | None = None
_LEND_ARRAY: LendArray | None = None


def use_collate(collate: Callable[[list[Any]], Any], batch_tensor: BatchTensor, lend_array: LendArray) -> None:
    """Set the collate that whole batches fall back to, the allocator of their batch tensors, and the pool that lends
    the memory of batches handed out sample by sample (it returns None when it has no buffer to lend).

    The loader registers its own (``litdata.streaming.loading.collate`` does on import), so this layer never imports
    the loader; batches are read whole only by the loader's batch stream, which imports it.
    """
    global _COLLATE, _LEND_ARRAY
    _COLLATE = (collate, batch_tensor)
    _LEND_ARRAY = lend_array


def _collate_tools() -> tuple[Callable[[list[Any]], Any], BatchTensor]:
    if _COLLATE is None:
        raise RuntimeError(
            "Whole batches are built with the loader's collate: import litdata.streaming.loading.collate first."
        )
    return _COLLATE


_IOV_MAX = 1024
_GATHER_MAX_BYTES = 16 << 10  # below this leaf size, one gather beats copying row by row


def _leaf_values(leaf: LeafColumn, typed: np.ndarray) -> list[Any]:
    """One value per row of a leaf's column, as its serializer returns it."""
    if leaf.kind == "int" or leaf.kind == "float":
        return typed.tolist()  # Python numbers
    if leaf.kind == "tensor":
        import torch

        return [torch.from_numpy(row) for row in typed]  # each over its own row only
    return list(typed)


def sample_memory(shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Memory for the leaves of a batch handed out sample by sample: a buffer of this process's batch pool (reused
    only once no sample, view or tensor of it is left, so nothing a user holds is overwritten), else a new array.
    Never shared memory: samples cross processes only by being pickled."""
    out = _LEND_ARRAY(shape, dtype) if _LEND_ARRAY is not None else None
    if out is None:
        out = np.empty(shape, dtype)
    return out, out


def _aligned_rows(columns: ChunkColumns, position: int = 0) -> bool:
    """Whether every leaf of every row is aligned for its dtype when the rows start at ``position`` modulo a page
    (0: copied one after another from a page boundary; views of them are then as fast as arrays of their own)."""
    item_size = columns.rows.shape[1]
    return all(
        item_size % f.dtype.itemsize == 0 and (position + f.offset) % f.dtype.itemsize == 0 for f in columns.leaves
    )


class BatchAssembler:
    """Builds one batch of ``size`` samples from runs of items of one chunk each, added in order while each chunk is
    open. Column chunks are copied into the batch tensors at once; if a run cannot be (a chunk without columns, or
    with other ones), the whole batch is decoded sample by sample and collated as usual.

    ``loader`` is the dataset's item loader: ``batch_columns(chunk_index, chunk)`` gives a chunk's columns (or None),
    ``sample_from_row(row)`` decodes one row as a sample, ``assemble_batch(leaf_values)`` puts collated leaves
    together in the samples' structure and ``sample_from_leaves(leaves)`` one sample's leaves.

    ``for_samples``: the batch is handed out as its samples (`samples`) rather than collated (`finish`): column
    chunks are still read at once, and every sample's arrays are disjoint rows of memory that belongs to this batch
    alone: a private copy-on-write mapping of the chunk file for runs of large items in order (`map_private`: the
    page cache's bytes, copied only where the user writes), else memory of this process lent to the batch
    (`sample_memory`).
    """

    def __init__(self, loader: Any, size: int, for_samples: bool = False) -> None:
        self._loader = loader
        self._size = size
        self._for_samples = for_samples
        self._filled = 0
        self._leaves: tuple[LeafColumn, ...] | None = None
        self._outputs: list[tuple[np.ndarray, Any]] | None = None  # per leaf: (rows as bytes, collated value)
        self._rows: np.ndarray | None = None  # for_samples with aligned leaves: lent memory for the items' rows
        self._row_blocks: list[np.ndarray] = []  # ... and the rows filled so far, in batch order (lent or mapped)
        self._parts: list[tuple[ChunkColumns | None, Any]] = []
        self._by_samples = False

    def add(self, chunk_index: int, chunk: Any, items: Sequence[int] | np.ndarray) -> None:
        columns = None if self._by_samples else self._loader.batch_columns(chunk_index, chunk)
        if columns is not None and (self._leaves is None or columns.leaves == self._leaves):
            positions = _local_positions(items, columns.first_item)
            self._parts.append((columns, positions))
            whole_rows = self._for_samples and self._outputs is None and _aligned_rows(columns)
            if self._copy_rows(columns, positions) if whole_rows else self._copy(columns, positions):
                return
            self._loader.forget_columns(chunk_index)  # its items differ: decode this chunk sample by sample
            self._by_samples = True
            return
        self._by_samples = True
        samples = self._loader._read_items(items, chunk_index, chunk)
        self._parts.append((None, samples))

    def finish(self) -> Any:
        if not self._by_samples:
            assert self._outputs is not None  # add() copied the batch's columns
            return self._loader.assemble_batch([value for _, value in self._outputs])
        collate, _ = _collate_tools()
        return collate(self._samples())

    def samples(self) -> list[Any]:
        """The batch as a list of samples, each in the structure `sample_from_row` gives (for ``for_samples``)."""
        if self._by_samples:
            return self._samples()
        assert self._leaves is not None  # add() copied the batch's columns
        if self._row_blocks:  # each leaf a strided view over the rows, aligned for its dtype
            blocks = [
                [rows[:, f.offset : f.offset + f.nbytes].view(f.dtype).reshape(-1, *f.shape) for f in self._leaves]
                for rows in self._row_blocks
            ]
        else:
            assert self._outputs is not None
            blocks = [[typed for _, typed in self._outputs]]
        per_leaf: list[list[Any]] = [[] for _ in self._leaves]
        for columns in blocks:
            for values, leaf, typed in zip(per_leaf, self._leaves, columns):
                values.extend(_leaf_values(leaf, typed))
        build = self._loader.sample_from_leaves
        return [build(list(leaves)) for leaves in zip(*per_leaf)]

    def _copy_rows(self, columns: ChunkColumns, positions: tuple[np.ndarray | None, int, int]) -> bool:
        """for_samples: a run of items whole, as rows the samples' leaves view: mapped privately from the chunk file
        (large items in order), else copied into the batch's lent rows (one read per run in order, per item
        shuffled). False when the items turn out not to share the chunk's layout."""
        item_size = columns.rows.shape[1]
        self._leaves = columns.leaves
        rows, start, count = positions
        position = columns.rows_position + start * item_size
        out = None
        large_run = rows is None and item_size >= LARGE_ITEM_BYTES
        if large_run and columns.map_file is not None and _aligned_rows(columns, position):
            mapped = columns.map_file(position, count * item_size)
            out = None if mapped is None else mapped.reshape(count, item_size)
        if out is None:
            if self._rows is None:
                self._rows, _ = sample_memory((self._size, item_size), np.dtype(np.uint8))
            out = self._rows[self._filled : self._filled + count]
            if rows is None:
                if not columns.read_file([out], position, out.nbytes):
                    np.copyto(out, columns.rows[start : start + count])
            elif item_size < LARGE_ITEM_BYTES or not all(
                columns.read_file([out[k]], columns.rows_position + p * item_size, item_size)
                for k, p in enumerate(rows.tolist())
            ):
                np.take(columns.rows, rows, axis=0, out=out, mode="clip")  # positions are in range: no buffering
        self._filled += count
        self._row_blocks.append(out)
        expected = columns.headers
        return all((out[:, at : at + len(h)] == np.frombuffer(h, np.uint8)).all() for at, h in expected)

    def _copy(self, columns: ChunkColumns, positions: tuple[np.ndarray | None, int, int]) -> bool:
        """Copy a run of items into the batch; False when the items turn out not to share the chunk's layout."""
        if self._outputs is None:
            _, batch_tensor = _collate_tools()
            allocate = sample_memory if self._for_samples else batch_tensor
            self._leaves = columns.leaves
            self._outputs = []
            for leaf in columns.leaves:
                out, value = allocate((self._size, *leaf.shape), leaf.dtype)
                self._outputs.append((out.reshape(self._size, -1).view(np.uint8), value))  # bytes: no alignment
        rows, start, count = positions
        pos = self._filled
        self._filled += count
        item_size = columns.rows.shape[1]
        if rows is None and not columns.headers and columns.leaves[0].nbytes == item_size:
            out = self._outputs[0][0][pos : pos + count]  # whole rows in a row: one contiguous read (token blocks)
            if columns.read_file([out], columns.rows_position + start * item_size, out.nbytes):
                return True
        elif item_size >= LARGE_ITEM_BYTES:
            headers = self._read_file(columns, rows, start, count, pos)
            if headers is not None:
                expected = b"".join(h for _, h in columns.headers)
                return bool((headers == np.frombuffer(expected, np.uint8)).all())
        if not columns.same_headers(slice(start, start + count) if rows is None else rows):
            return False
        for j, (out, _) in enumerate(self._outputs):
            source = columns.leaf_bytes(j)
            if rows is None:
                np.copyto(out[pos : pos + count], source[start : start + count])
            elif out.shape[1] < _GATHER_MAX_BYTES:  # small leaves: one gather (np.take would copy the whole column)
                out[pos : pos + count] = source[rows]
            else:  # large leaves: one row at a time, without the gather's intermediate copy
                for row, position in enumerate(rows.tolist(), pos):
                    out[row] = source[position]
        return True

    def _read_file(
        self, columns: ChunkColumns, rows: np.ndarray | None, start: int, count: int, pos: int
    ) -> np.ndarray | None:
        """Read the items straight from the chunk file: leaves into the batch, headers into a (count, header bytes)
        array, returned to be checked. None when the file cannot be read (then copy from the mapping)."""
        outputs = self._outputs
        assert outputs is not None  # _copy creates them before reading
        item_size = columns.rows.shape[1]
        segments, header_bytes = [], 0  # per item, in file order: (offset, nbytes, leaf index or header position)
        for offset, expected in columns.headers:
            segments.append((offset, len(expected), ("header", header_bytes)))
            header_bytes += len(expected)
        segments.extend((leaf.offset, leaf.nbytes, ("leaf", j)) for j, leaf in enumerate(columns.leaves))
        segments.sort()
        if sum(n for _, n, _ in segments) != item_size:
            return None
        headers = np.empty((count, header_bytes), np.uint8)

        def buffers(row: int) -> list:
            return [
                outputs[where][0][row] if kind == "leaf" else headers[row - pos, where : where + n]
                for _, n, (kind, where) in segments
            ]

        if rows is None:
            runs = [(columns.rows_position + start * item_size, list(range(pos, pos + count)))]
        else:
            runs = [(columns.rows_position + int(p) * item_size, [row]) for row, p in enumerate(rows.tolist(), pos)]
        rows_per_read = _IOV_MAX // len(segments)
        for position, targets in runs:
            for first in range(0, len(targets), rows_per_read):
                group = targets[first : first + rows_per_read]
                iovecs = [buffer for row in group for buffer in buffers(row)]
                if not columns.read_file(iovecs, position + first * item_size, len(group) * item_size):
                    return None
        return headers

    def _samples(self) -> list[Any]:
        samples: list[Any] = []
        for columns, part in self._parts:
            if columns is None:
                samples.extend(part)
                continue
            rows, start, count = part
            positions = range(start, start + count) if rows is None else rows.tolist()
            samples.extend(self._loader.sample_from_row(columns.rows[p]) for p in positions)
        return samples
