"""Shufflers: which chunks each global worker reads in an epoch, and in what order it reads their items.

``NoShuffle`` keeps chunk and item order. ``FullShuffle`` permutes chunks each epoch (per node on multi-node runs
when each node's share fits the cache) and items inside each piece. ``WindowShuffle`` gives every worker a fixed
contiguous stripe of chunks and only permutes nearby chunks within it, which suits parallel POSIX filesystems.
"""

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

import litdata.settings as settings
from litdata.utilities.shuffle import (
    Interval,
    assign_chunks_to_workers,
    distinct_chunks_per_node,
    item_order,
    roi_size,
    shuffle_chunks_within_nodes,
)

DEFAULT_ITEM_SHUFFLE_WINDOW = 256
DEFAULT_POSIX_SHUFFLE_WINDOW = settings.POSIX_SHUFFLE_WINDOW.default
WINDOW_SHUFFLE_KINDS = frozenset({"vast", "nfs", "lustre", "gpfs", "panfs", "beegfs", "forced"})
_POSIX_FAST_OFF = {"0", "false", "False", ""}
_FULL_WINDOW_WORDS = {"0", "off", "full", "all"}
_PARALLEL_FILESYSTEMS = {"lustre", "gpfs", "panfs", "beegfs"}

WorkerAssignment = tuple[list[list[int]], list[list[Interval]]]


class IndexedChunks:
    """The chunk intervals and byte sizes a shuffler works from, for callers without a `Cache` (the dataset).

    Anything with ``get_chunk_intervals()`` works as a shuffler's ``cache``, as in LitData 0.2.76; chunk byte sizes
    (used to test whether a node's chunks fit the cache) come from ``get_chunk_bytes()`` when it has one.
    """

    def __init__(self, intervals: Sequence[Sequence[int]], chunk_bytes: Sequence[int]) -> None:
        self._intervals = [tuple(int(v) for v in interval) for interval in intervals]
        self._chunk_bytes = [int(size) for size in chunk_bytes]

    def get_chunk_intervals(self) -> list[tuple[int, ...]]:
        return self._intervals

    def get_chunk_bytes(self) -> list[int]:
        return self._chunk_bytes


class Shuffle(ABC):
    """Decides the chunks and pieces of every global worker per epoch, and the item order inside a piece.

    Args:
        cache: where the chunk intervals come from: a `Cache`, an `IndexedChunks`, or any object with
            ``get_chunk_intervals()`` returning one ``(chunk_start, roi_start, roi_end, chunk_end)`` per chunk.
        seed: base seed of every random draw.
        drop_last: drop the items that do not fill a batch on every rank.
        max_cache_size: the reader's resolved cache limit in bytes; ``None`` or ``0`` means no limit.
    """

    def __init__(self, cache: Any, seed: int, drop_last: bool, *, max_cache_size: int | None = None) -> None:
        self.cache = cache
        self.seed = seed
        self.drop_last = drop_last
        self.max_cache_size = max_cache_size
        self.item_shuffle_window = DEFAULT_ITEM_SHUFFLE_WINDOW
        self._assignments: dict[tuple[int, int, int, int, int], WorkerAssignment] = {}

    @cached_property
    def intervals(self) -> list[Interval]:
        """One ``(chunk_start, roi_start, roi_end, chunk_end)`` per chunk id, read once from ``cache``."""
        return [(int(a), int(b), int(c), int(d)) for a, b, c, d in self.cache.get_chunk_intervals()]

    @cached_property
    def chunk_bytes(self) -> list[int]:
        """Size in bytes of each chunk file (zeros when ``cache`` does not know them)."""
        get_chunk_bytes = getattr(self.cache, "get_chunk_bytes", None)
        return list(get_chunk_bytes()) if callable(get_chunk_bytes) else [0] * len(self.intervals)

    @property
    def num_chunks(self) -> int:
        return len(self.intervals)

    def get_len(self, distributed_env: Any, num_workers: int, batch_size: int, current_epoch: int) -> int:
        """Items the rank ``distributed_env.global_rank`` reads in ``current_epoch`` with ``num_workers`` workers."""
        _, intervals = self.get_chunks_and_intervals_per_workers(
            distributed_env, num_workers, batch_size, current_epoch
        )
        first = distributed_env.global_rank * num_workers
        return sum(piece[2] - piece[1] for worker in intervals[first : first + num_workers] for piece in worker)

    def get_chunks_and_intervals_per_workers(
        self, distributed_env: Any, num_workers: int, batch_size: int, current_epoch: int
    ) -> WorkerAssignment:
        """Chunk ids and pieces of every global worker (rank-major) for ``current_epoch`` (1-based), for the topology
        of ``distributed_env`` (its ``world_size`` and ``num_nodes``)."""
        return self.assignment(
            distributed_env.world_size, distributed_env.num_nodes, num_workers, batch_size, current_epoch
        )

    def assignment(
        self, world_size: int, num_nodes: int, num_workers: int, batch_size: int, current_epoch: int
    ) -> WorkerAssignment:
        """`get_chunks_and_intervals_per_workers` from plain numbers (computed once per topology and epoch)."""
        key = (world_size, num_nodes, max(num_workers, 1), batch_size, current_epoch)
        if key not in self._assignments:
            self._assignments[key] = self._assign(*key)
        return self._assignments[key]

    @abstractmethod
    def _assign(
        self, world_size: int, num_nodes: int, num_workers: int, batch_size: int, current_epoch: int
    ) -> WorkerAssignment: ...

    def __call__(self, array: np.ndarray, num_chunks: int, current_epoch: int, chunk_index: int) -> list[int]:
        """``array`` (the item ids of one piece) in reading order; the generator is seeded with
        ``[seed, num_chunks, current_epoch, chunk_index]``."""
        values = np.asarray(array)
        order = self._positions(len(values), num_chunks, current_epoch, chunk_index)
        return values[order].tolist()

    def _positions(
        self, size: int, num_chunks: int, current_epoch: int, chunk_index: int
    ) -> Sequence[int] | np.ndarray:
        return item_order(0, size, self.seed, num_chunks, current_epoch, chunk_index, self.item_shuffle_window)

    def items_for_piece(self, chunk_id: int, piece: Sequence[int], current_epoch: int) -> Sequence[int] | np.ndarray:
        """Item ids of ``piece`` (a piece of chunk ``chunk_id``) in the order they are read in ``current_epoch``."""
        return item_order(
            piece[1], piece[2], self.seed, self.num_chunks, current_epoch, chunk_id, self.item_shuffle_window
        )

    def worker_sequences(
        self, world_size: int, num_nodes: int, num_workers: int, batch_size: int, current_epoch: int
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Item ids every global worker reads in ``current_epoch`` in reading order, and the chunk id of each."""
        assignment = self.assignment(world_size, num_nodes, num_workers, batch_size, current_epoch)
        items_per_worker, chunks_per_worker = [], []
        for chunks, pieces in zip(*assignment, strict=True):
            orders = [
                np.asarray(self.items_for_piece(chunk, piece, current_epoch))
                for chunk, piece in zip(chunks, pieces, strict=True)
            ]
            items_per_worker.append(np.concatenate(orders).astype(np.int64) if orders else np.zeros(0, np.int64))
            chunks_per_worker.append(np.repeat(np.asarray(chunks, dtype=np.int64), [len(order) for order in orders]))
        return items_per_worker, chunks_per_worker


class NoShuffle(Shuffle):
    """Chunks in index order, items in ascending order, the same every epoch."""

    def _assign(
        self, world_size: int, num_nodes: int, num_workers: int, batch_size: int, current_epoch: int
    ) -> WorkerAssignment:
        return assign_chunks_to_workers(
            range(self.num_chunks), self.intervals, world_size, num_workers, batch_size, self.drop_last
        )

    def items_for_piece(self, chunk_id: int, piece: Sequence[int], current_epoch: int) -> Sequence[int]:
        return range(piece[1], piece[2])

    def _positions(
        self, size: int, num_chunks: int, current_epoch: int, chunk_index: int
    ) -> Sequence[int] | np.ndarray:
        return range(size)


class FullShuffle(Shuffle):
    """A new chunk permutation every epoch; on several nodes, later epochs keep each node's chunks on that node.

    ``item_window`` is the block size of the in-piece item shuffle (see `resolve_item_shuffle_window`; ``None``
    reads ``LITDATA_ITEM_SHUFFLE_WINDOW``, default 256).
    """

    def __init__(
        self,
        cache: Any,
        seed: int,
        drop_last: bool,
        item_window: int | None = None,
        *,
        max_cache_size: int | None = None,
    ) -> None:
        super().__init__(cache, seed, drop_last, max_cache_size=max_cache_size)
        self.item_shuffle_window = resolve_item_shuffle_window(item_window)

    def _assign(
        self, world_size: int, num_nodes: int, num_workers: int, batch_size: int, current_epoch: int
    ) -> WorkerAssignment:
        if num_nodes > 1 and current_epoch > 1:
            first_epoch = self.assignment(world_size, num_nodes, num_workers, batch_size, 1)
            node_chunks = distinct_chunks_per_node(first_epoch[0], num_nodes)
            if self._nodes_fit_cache(node_chunks):
                return self._assign_per_node(
                    node_chunks, world_size // num_nodes, num_workers, batch_size, current_epoch
                )
        chunk_order = np.random.RandomState([self.seed, current_epoch]).permutation(self.num_chunks)
        return assign_chunks_to_workers(
            chunk_order, self.intervals, world_size, num_workers, batch_size, self.drop_last
        )

    def _nodes_fit_cache(self, node_chunks: list[list[int]]) -> bool:
        if not self.max_cache_size:
            return True
        largest = max(sum(self.chunk_bytes[chunk] for chunk in chunks) for chunks in node_chunks)
        return largest <= self.max_cache_size

    def _assign_per_node(
        self, node_chunks: list[list[int]], ranks_per_node: int, num_workers: int, batch_size: int, epoch: int
    ) -> WorkerAssignment:
        chunks_per_worker: list[list[int]] = []
        pieces_per_worker: list[list[Interval]] = []
        for order in shuffle_chunks_within_nodes(node_chunks, self.seed, epoch):
            if not order:
                chunks_per_worker += [[] for _ in range(ranks_per_node * num_workers)]
                pieces_per_worker += [[] for _ in range(ranks_per_node * num_workers)]
                continue
            node_assignment = assign_chunks_to_workers(
                order, self.intervals, ranks_per_node, num_workers, batch_size, self.drop_last
            )
            chunks_per_worker += node_assignment[0]
            pieces_per_worker += node_assignment[1]
        return chunks_per_worker, pieces_per_worker


class WindowShuffle(Shuffle):
    """Fixed contiguous chunk stripes per worker; each epoch, chunks move only within a small window of a stripe.

    ``window`` is the chunk window (``None``: ``LITDATA_POSIX_SHUFFLE_WINDOW``, default 16). With ``item_window``
    the items of a piece are shuffled in blocks as in ``FullShuffle``; without it, each item moves within a sliding
    window of ``window`` items.
    """

    def __init__(
        self,
        cache: Any,
        seed: int,
        drop_last: bool,
        window: int | None = None,
        item_window: int | None = None,
        *,
        max_cache_size: int | None = None,
    ) -> None:
        super().__init__(cache, seed, drop_last, max_cache_size=max_cache_size)
        self.window = posix_shuffle_window() if window is None else max(1, window)
        self.item_window = None if item_window is None else resolve_item_shuffle_window(item_window)
        if self.item_window is not None:
            self.item_shuffle_window = self.item_window

    def items_for_piece(self, chunk_id: int, piece: Sequence[int], current_epoch: int) -> Sequence[int] | np.ndarray:
        if self.item_window is not None:
            return super().items_for_piece(chunk_id, piece, current_epoch)
        positions = self._positions(piece[2] - piece[1], self.num_chunks, current_epoch, chunk_id)
        return np.asarray(positions, dtype=np.int64) + piece[1]

    def _positions(
        self, size: int, num_chunks: int, current_epoch: int, chunk_index: int
    ) -> Sequence[int] | np.ndarray:
        if self.item_window is not None:
            return super()._positions(size, num_chunks, current_epoch, chunk_index)
        rng = np.random.RandomState([self.seed, num_chunks, current_epoch, chunk_index])
        return sliding_window_order(size, self.window, rng)

    def _assign(
        self, world_size: int, num_nodes: int, num_workers: int, batch_size: int, current_epoch: int
    ) -> WorkerAssignment:
        chunks_per_worker, pieces_per_worker = self._stripes(world_size * num_workers, batch_size)
        window = self.window
        if window > 1:
            for worker, (chunks, pieces) in enumerate(zip(chunks_per_worker, pieces_per_worker, strict=True)):
                rng = np.random.RandomState([self.seed, current_epoch, worker])
                for i in range(len(chunks) - 1):
                    j = rng.randint(i, min(i + window, len(chunks)))
                    chunks[i], chunks[j] = chunks[j], chunks[i]
                    pieces[i], pieces[j] = pieces[j], pieces[i]
        return chunks_per_worker, pieces_per_worker

    def _stripes(self, num_global_workers: int, batch_size: int) -> WorkerAssignment:
        total = sum(roi_size(interval) for interval in self.intervals)
        chunks_per_worker: list[list[int]] = [[] for _ in range(num_global_workers)]
        pieces_per_worker: list[list[Interval]] = [[] for _ in range(num_global_workers)]
        worker = 0
        items_before = 0
        for chunk, interval in enumerate(self.intervals):
            size = roi_size(interval)
            while (
                worker < num_global_workers - 1
                and chunks_per_worker[worker]
                and items_before + size / 2 > (worker + 1) * total / num_global_workers
            ):
                worker += 1
            chunks_per_worker[worker].append(chunk)
            pieces_per_worker[worker].append(interval)
            items_before += size
        if self.drop_last:
            _trim_stripes(chunks_per_worker, pieces_per_worker, batch_size)
        return chunks_per_worker, pieces_per_worker


def sliding_window_order(size: int, window: int, rng: np.random.RandomState) -> list[int]:
    """Positions ``0 .. size - 1`` shuffled so that position ``i`` swaps with one drawn from ``[i, i + window)``."""
    order = list(range(size))
    if window > 1:
        for i in range(size - 1):
            j = rng.randint(i, min(i + window, size))
            order[i], order[j] = order[j], order[i]
    return order


def _trim_stripes(chunks_per_worker: list[list[int]], pieces_per_worker: list[list[Interval]], batch_size: int) -> None:
    counts = [sum(roi_size(piece) for piece in pieces) for pieces in pieces_per_worker]
    held = [count for count in counts if count > 0]
    if not held:
        return
    cap = min(held)
    if batch_size > 1:
        cap -= cap % batch_size
    for chunks, pieces in zip(chunks_per_worker, pieces_per_worker, strict=True):
        kept_chunks: list[int] = []
        kept_pieces: list[Interval] = []
        left = cap
        for chunk, (chunk_start, low, high, chunk_end) in zip(chunks, pieces, strict=True):
            if left <= 0:
                break
            taken = min(high - low, left)
            kept_chunks.append(chunk)
            kept_pieces.append((chunk_start, low, low + taken, chunk_end))
            left -= taken
        chunks[:] = kept_chunks
        pieces[:] = kept_pieces


def posix_shuffle_window() -> int:
    """Chunk window of ``WindowShuffle`` from ``LITDATA_POSIX_SHUFFLE_WINDOW`` (default 16, at least 1)."""
    return max(1, settings.POSIX_SHUFFLE_WINDOW.get())


def resolve_item_shuffle_window(value: int | bool | str | None) -> int:
    """Turn ``StreamingDataset(item_shuffle_window=...)`` into a block size (``0`` = full permutation).

    ``None``, ``"auto"`` and ``""`` defer to the ``LITDATA_ITEM_SHUFFLE_WINDOW`` environment variable; ``True`` is
    the default 256, ``False`` is 0; strings ``"0"``, ``"off"``, ``"full"`` or ``"all"`` mean 0; integers are
    clamped at 0; anything unparsable falls back to 256.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        configured: str = settings.ITEM_SHUFFLE_WINDOW.get()
        if configured.strip().lower() in ("", "auto"):
            return DEFAULT_ITEM_SHUFFLE_WINDOW
        value = configured
    if isinstance(value, bool):
        return DEFAULT_ITEM_SHUFFLE_WINDOW if value else 0
    if isinstance(value, int):
        return max(0, value)
    text = str(value).strip().lower()
    if text in _FULL_WINDOW_WORDS:
        return 0
    try:
        return max(0, int(text))
    except ValueError:
        return DEFAULT_ITEM_SHUFFLE_WINDOW


def detect_posix_fast_kind(path: str | None, is_remote: bool, compressed: bool) -> str | None:
    """Filesystem profile of a dataset read in place from ``path``, or ``None`` when it has none.

    ``compressed`` also covers any other format read through a copy (e.g. Mosaic MDS). Kinds are ``vast``, ``nfs``,
    ``lustre``, ``gpfs``, ``panfs``, ``beegfs``, ``forced`` (``LITDATA_POSIX_FAST`` set to a true value) and
    ``posix`` (any other local filesystem). ``LITDATA_POSIX_FAST=0`` turns the profile off.
    """
    setting = settings.POSIX_FAST.raw()
    if setting in _POSIX_FAST_OFF or is_remote or not path or compressed:
        return None
    if setting is not None:
        return "forced"
    if "vast" in path.lower():
        return "vast"
    try:
        with open("/proc/mounts") as mounts:
            mount_table = mounts.read()
    except OSError:
        return "posix"
    return filesystem_kind(os.path.abspath(path), mount_table)


def filesystem_kind(path: str, mount_table: str) -> str:
    """Kind of the filesystem holding ``path``, from the longest matching mount point of a ``/proc/mounts`` text."""
    best_mount, fstype, source = "", "", ""
    for line in mount_table.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1]
        inside = path == mount or path.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best_mount):
            best_mount, source, fstype = mount, fields[0], fields[2]
    if "vast" in fstype.lower() or "vast" in source.lower():
        return "vast"
    if fstype in ("nfs", "nfs3", "nfs4"):
        return "nfs"
    if fstype in _PARALLEL_FILESYSTEMS:
        return fstype
    return "posix"


def shuffler_class(shuffle: bool, posix_fast_kind: str | None) -> type[Shuffle]:
    """The shuffler a dataset uses: ``NoShuffle`` without shuffling, ``WindowShuffle`` on parallel filesystems."""
    if not shuffle:
        return NoShuffle
    return WindowShuffle if posix_fast_kind in WINDOW_SHUFFLE_KINDS else FullShuffle
