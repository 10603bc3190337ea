"""`StreamingDataset`: an iterable (and indexable) view of an optimized dataset, split across ranks and workers."""

from __future__ import annotations

import bisect
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from copy import deepcopy
from typing import Any

import numpy as np
from torch.utils.data import IterableDataset

import litdata.settings as settings
from litdata.constants import _INDEX_FILENAME
from litdata.format.config import ChunksConfig, load_index_file
from litdata.format.item_loader import BaseItemLoader, Interval, TokensLoader, running_starts
from litdata.format.registry import _get_serializers
from litdata.format.serializers import Serializer
from litdata.streaming.reading.reader import BinaryReader
from litdata.streaming.reading.resolver import Dir, _resolve_dir
from litdata.streaming.reading.sampler import ChunkedIndex
from litdata.streaming.reading.sources import open_source, resolve_max_cache_size, small_cache_size
from litdata.streaming.sampling.resume import (
    elastic_drop_count,
    elastic_plan,
    skip_consumed,
    split_samples_across_workers,
)
from litdata.streaming.sampling.shuffle import (
    FullShuffle,
    IndexedChunks,
    NoShuffle,
    Shuffle,
    WindowShuffle,
    detect_posix_fast_kind,
    resolve_item_shuffle_window,
)
from litdata.utilities.encryption import Encryption
from litdata.utilities.env import _DistributedEnv, _WorkerEnv
from litdata.utilities.subsample import subsample_chunks

logger = logging.getLogger("litdata.streaming.dataset")  # LitData 0.2.76's logger name (the module moved)

_SAMPLE_METHODS = ("__getitem__", "__next__", "__iter__")  # overriding one changes what a sample is
_NOT_AHEAD = object()
_WINDOW_KINDS = ("vast", "nfs", "lustre", "gpfs", "panfs", "beegfs", "forced")


class StreamingDataset(IterableDataset):
    """Stream an optimized dataset (a folder with ``index.json`` and chunk files) into PyTorch.

    Args:
        input_dir: the dataset folder, a `Dir`, or a ``local:/path`` on a network drive (copied to the cache).
        cache_dir: where copies and decompressed chunks go (default ``~/.lightning/chunks`` or ``LITDATA_CACHE_DIR``).
        item_loader: how items are decoded (`PyTreeLoader` by default; `TokensLoader(block_size)` for tokens).
        shuffle: shuffle chunks and items, differently every epoch.
        drop_last: drop items that do not fill a batch on every rank (default: True when distributed, else False).
        seed: seed of the shuffles.
        serializers: extra deserializers, by format name.
        max_cache_size: size limit of the cache folder (``"50GB"``, bytes, or a fraction of free disk).
        subsample: fraction of the dataset to use (above 1.0 repeats it).
        encryption: the `Encryption` the dataset was written with.
        transform: a callable (or list of callables, applied in order) run on every sample.
        item_shuffle_window: items are shuffled within windows of this many items (default 256; 0 = whole piece).
        allow_pickle: read leaves stored with the ``pickle`` serializer, which runs code chosen by whoever wrote the
            dataset. Default: ``LITDATA_ALLOW_PICKLE`` (allowed unless set to ``0``); pass False for untrusted data.
    """

    _epoch_fields = ("current_epoch", "_state_dict", "_elastic_base")  # what a loader's `EpochPlan` carries

    def __init__(
        self,
        input_dir: str | Dir,
        cache_dir: str | Dir | None = None,
        item_loader: BaseItemLoader | None = None,
        shuffle: bool = False,
        drop_last: bool | None = None,
        seed: int = 42,
        serializers: dict[str, Serializer] | None = None,
        max_cache_size: int | float | str | None = None,
        subsample: float = 1.0,
        encryption: Encryption | None = None,
        storage_options: dict | None = None,
        session_options: dict | None = None,
        max_pre_download: int = 2,
        index_path: str | None = None,
        force_override_state_dict: bool = False,
        transform: Callable | list[Callable] | None = None,
        num_canonical_nodes: int | None = None,
        batch_decode: int | str | bool = "auto",
        item_shuffle_window: int | str | None = None,
        window_direct_io: bool = False,
        allow_pickle: bool | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(shuffle, bool):
            raise ValueError(f"shuffle should be a boolean, got {shuffle!r}.")
        if isinstance(subsample, bool) or not isinstance(subsample, (int, float)) or subsample <= 0:
            raise ValueError(f"subsample must be a float greater than 0, got {subsample!r}.")
        valid_list = isinstance(transform, list) and all(callable(t) for t in transform)
        if transform is not None and not callable(transform) and not valid_list:
            raise ValueError("transform must be a callable or a list of callables.")
        self.input_dir = _resolve_dir(input_dir)
        self.cache_dir = cache_dir
        self.item_loader = item_loader
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.subsample = float(subsample)
        self.encryption = encryption
        self.storage_options = storage_options or {}
        self.session_options = session_options or {}
        self.max_pre_download = max_pre_download
        self.max_cache_size = max_cache_size
        if small_cache_size(max_cache_size):
            logger.warning(
                "The provided `max_cache_size` is less than 25GB. Several DataLoader workers each keep up to "
                "`max_pre_download` chunks on disk, so a small cache evicts chunks that are still needed; "
                "consider at least max_cache_size='25GB'."
            )
        self.force_override_state_dict = force_override_state_dict
        if transform is not None or not callable(getattr(type(self), "transform", None)):
            self.transform = transform  # otherwise a subclass's own `transform` method applies (as in LitData)
        self.num_canonical_nodes = num_canonical_nodes
        self.batch_decode = batch_decode
        self.item_shuffle_window = resolve_item_shuffle_window(item_shuffle_window)
        self.window_direct_io = window_direct_io
        self._serializers = _get_serializers(serializers, allow_pickle)
        self._index_path = index_path

        if self.input_dir.url is None and index_path is None and self.input_dir.path is not None:
            from litdata.streaming.datasets.complete import complete_dataset, index_shards, is_complete_dataset

            if not is_complete_dataset(self.input_dir.path) and index_shards(self.input_dir.path):
                complete_dataset(self.input_dir.path)  # writers' index files left without a merged index.json
        self._dataset_dir, self._source = open_source(
            self.input_dir,
            cache_dir,
            storage_options=self.storage_options,
            session_options=self.session_options,
            max_cache_size=max_cache_size,
            index_path=index_path,
        )
        index = load_index_file(os.path.join(self._dataset_dir, _INDEX_FILENAME))
        self._index = index
        self.subsampled_files, self.region_of_interest = self._subsample(index)
        self._config = self._make_config()

        self.distributed_env = _DistributedEnv.detect()
        self.worker_env: _WorkerEnv | None = None
        self.current_epoch = 1
        self.batch_size = 1
        self.num_workers = 1
        self.shuffler: Shuffle | None = None
        self._reader: BinaryReader | None = None
        self._state_dict: dict[str, Any] | None = None
        self._elastic_base: int | None = None
        self._roi_starts: list[int] | None = None
        self._reset_iteration()

    # ---------------------------------------------------------------- setup
    def _subsample(self, index: dict) -> tuple[list[str], list[tuple[int, int]]]:
        chunks = index["chunks"]
        files = [c["filename"] for c in chunks]
        if isinstance(self.item_loader, TokensLoader):  # subclasses too, as in LitData 0.2.76
            block = self.item_loader.block_size or 1
            rois = [(0, (c.get("dim") or 0) // block) for c in chunks]
        else:
            rois = [(0, c["chunk_size"]) for c in chunks]
        if self.subsample == 1.0:
            return files, rois
        return subsample_chunks(files, rois, self.subsample, self.shuffle, self.seed)

    def _make_config(self) -> ChunksConfig:
        return ChunksConfig(
            self._dataset_dir,
            self._serializers,
            self.input_dir.url,
            index=self._index,
            item_loader=deepcopy(self.item_loader) if self.item_loader is not None else None,
            subsampled_files=self.subsampled_files,
            region_of_interest=self.region_of_interest,
            encryption=self.encryption,
        )

    def _get_config(self) -> ChunksConfig:
        if self._config is None:  # dropped when the dataset was pickled into a worker process
            self._config = self._make_config()
        return self._config

    def _reads_whole_batches(self) -> bool:
        """Whether a loader with the default collate may read this dataset's batches whole (`_next_batch`) instead
        of sample by sample: not with a transform, ``batch_decode=False`` or a subclass that changes what a sample
        is."""
        return self._reads_samples_at_once() and self.transform is None

    def _reads_samples_at_once(self) -> bool:
        """Whether a loader on the per-sample path (custom collate or transform) may read each batch's samples at
        once (`_next_samples`) instead of one `__next__` at a time: not with ``batch_decode=False`` or a subclass that
        changes what a sample is (such a subclass may still be served read-ahead samples, see `__next__`)."""
        cls = type(self)
        overridden = any(getattr(cls, name) is not getattr(StreamingDataset, name) for name in _SAMPLE_METHODS)
        return self._batch_decoding() and not overridden

    def _batch_decoding(self) -> bool:
        """Whether items may be decoded a batch at a time (``batch_decode=False``, ``0`` or ``1``: one by one)."""
        return self.batch_decode not in (False, 0, 1)

    def _iteration_copy(self) -> StreamingDataset:
        """A copy that iterates on its own (own position, reader and open chunks) and shares the rest: what a loader
        iterates in the training process, so that ``iter(ds)`` and other loaders do not move its position."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._reader = None
        copy._reset_iteration()
        return copy

    @property
    def intervals(self) -> list[Interval]:
        return self._get_config().intervals

    def _get_reader(self) -> BinaryReader:
        if self._reader is None:
            self._reader = BinaryReader(
                self._dataset_dir,
                config=self._get_config(),
                source=self._source,
                max_pre_download=self.max_pre_download,
            )
        return self._reader

    def _create_shuffler(self) -> Shuffle:
        seed, drop_last = self.seed, self._resolved_drop_last()
        chunk_bytes = [c.get("chunk_bytes") or 0 for c in self._get_config().chunks]
        max_cache_size = resolve_max_cache_size(self.max_cache_size, self._dataset_dir)
        chunks = IndexedChunks(self.intervals, chunk_bytes)
        if not self.shuffle:
            return NoShuffle(chunks, seed, drop_last, max_cache_size=max_cache_size)
        compressed = bool(self._get_config().config.get("compression"))
        kind = detect_posix_fast_kind(self._dataset_dir, self.input_dir.url is not None, compressed)
        cls = WindowShuffle if kind in _WINDOW_KINDS else FullShuffle
        return cls(chunks, seed, drop_last, item_window=self.item_shuffle_window, max_cache_size=max_cache_size)

    def _resolved_drop_last(self) -> bool:
        if self.drop_last is None:  # an optimize/map worker reads its part of everything
            return self.distributed_env.world_size > 1 and not settings.GLOBAL_RANK_OPTIMIZE.is_set()
        if self.drop_last is False and self.distributed_env.world_size > 1:
            warnings.warn(
                "drop_last=False in a distributed run: ranks may get different numbers of batches, which can hang "
                "DDP. Keep the default (True) unless you handle uneven ranks.",
                UserWarning,
                stacklevel=3,
            )
        return bool(self.drop_last)

    # ---------------------------------------------------------------- setters
    def set_shuffle(self, shuffle: bool) -> None:
        self.shuffle = shuffle
        self.shuffler = None

    def set_drop_last(self, drop_last: bool) -> None:
        self.drop_last = drop_last
        self.shuffler = None

    def set_epoch(self, current_epoch: int) -> None:
        """Set the epoch (reshuffles with ``shuffle=True``); ignored while a loaded state is pending."""
        if self._state_dict is None:
            self.current_epoch = current_epoch

    def set_batch_size(self, batch_size: int) -> None:
        self.batch_size = batch_size

    def set_num_workers(self, num_workers: int) -> None:
        self.num_workers = num_workers or 1

    # ---------------------------------------------------------------- length and assignment
    def _assignment(self, num_workers: int, batch_size: int) -> tuple[list[list[int]], list[list[tuple]]]:
        if self.shuffler is None:
            self.shuffler = self._create_shuffler()
        env = self.distributed_env
        return self.shuffler.get_chunks_and_intervals_per_workers(env, num_workers, batch_size, self.current_epoch)

    def get_len(self, num_workers: int, batch_size: int) -> int:
        """Items this rank yields per epoch with ``num_workers`` workers and ``batch_size``."""
        num_workers = num_workers or 1
        _, intervals = self._assignment(num_workers, batch_size)
        rank = self.distributed_env.global_rank
        mine = intervals[rank * num_workers : (rank + 1) * num_workers]
        return sum(piece[2] - piece[1] for worker in mine for piece in worker)

    def __len__(self) -> int:
        return self.get_len(self.num_workers, self.batch_size)

    # ---------------------------------------------------------------- iteration
    def _reset_iteration(self) -> None:
        self._pieces: list[tuple[int, Any]] = []  # (chunk, interval), or (chunk, item ids) after an elastic resume
        self._piece_pos = 0
        self._items: Sequence[int] | np.ndarray = ()
        self._item_pos = 0
        self._chunk_index = -1
        self._explicit_items = False
        self.global_index = 0
        self.stop_length = 0
        self._iterating = False  # between __iter__ and the end of its items (which ends the epoch once)
        self._ahead: dict[int, Any] = {}  # item id -> sample read ahead for `__next__` (see `_read_ahead`)
        self._ahead_chunk = -1

    def __iter__(self) -> StreamingDataset:
        if settings.GLOBAL_RANK_OPTIMIZE.is_set():  # iterated inside an optimize/map worker: its part only
            self.distributed_env = _DistributedEnv.detect()
        self.worker_env = _WorkerEnv.detect()
        self.shuffler = self._create_shuffler()
        num_workers = self.worker_env.world_size
        chunks, intervals = self._assignment(num_workers, self.batch_size)
        worker = self.distributed_env.global_rank * num_workers + self.worker_env.rank
        self._reset_iteration()
        self._iterating = True
        self._pieces = list(zip(chunks[worker], intervals[worker])) if worker < len(chunks) else []
        self.stop_length = sum(p[2] - p[1] for _, p in self._pieces)
        if self._state_dict is not None:
            self._resume(num_workers)
        self._get_reader().prefetch([chunk for chunk, _ in self._pieces])
        return self

    def _is_elastic(self, num_workers: int, batch_size: int | None = None) -> bool:
        """Whether the loaded state was saved on another topology (world size, workers or batch size)."""
        state = self._loaded_state()
        return (
            state.get("resume_mode") == "elastic"
            or state.get("world_size", self.distributed_env.world_size) != self.distributed_env.world_size
            or state.get("num_workers", num_workers) != num_workers
            or state.get("batch_size", self.batch_size) != (batch_size or self.batch_size)
        )

    def _loaded_state(self) -> dict[str, Any]:
        assert self._state_dict is not None  # called only while a loaded state is pending
        return self._state_dict

    def _resume(self, num_workers: int) -> None:
        state = self._loaded_state()
        self._validate_state_dict()
        if self._is_elastic(num_workers):
            self._resume_elastic(num_workers)
            return
        per_worker = split_samples_across_workers(state["num_samples_yielded"], num_workers, state["batch_size"])
        assert self.worker_env is not None  # detected by __iter__
        consumed = per_worker[self.worker_env.rank]
        piece_index, offset = skip_consumed([p for _, p in self._pieces], consumed)
        self._piece_pos = piece_index
        self.global_index = consumed
        if piece_index < len(self._pieces):
            self._open_piece()
            self._item_pos = offset

    def _resume_elastic(self, num_workers: int) -> None:
        """Continue an epoch started on another topology: rebuild the original epoch's stream, drop what was
        consumed, and deal the rest to the new ranks and workers (every remaining item exactly once)."""
        state = self._loaded_state()
        assert self.shuffler is not None and self.worker_env is not None  # created by __iter__
        original = (
            state.get("initial_world_size") or state["world_size"],
            state.get("initial_num_workers") or state["num_workers"],
            state.get("initial_batch_size") or state["batch_size"],
        )
        sequences, chunk_ids = self.shuffler.worker_sequences(
            original[0], state.get("initial_num_nodes") or 1, original[1], original[2], self.current_epoch
        )
        env = self.distributed_env
        new = (env.world_size, num_workers, self.batch_size)
        by_chunk_visits = isinstance(self.shuffler, WindowShuffle)
        plan = elastic_plan(
            sequences,
            original,
            new,
            self._elastic_drop_count(),
            self._resolved_drop_last(),
            worker_chunks=chunk_ids if by_chunk_visits else None,
        )
        items = np.asarray(plan[env.global_rank * num_workers + self.worker_env.rank], dtype=np.int64)
        self._pieces = self._runs_by_chunk(items)
        self._explicit_items = True
        self.stop_length = len(items)
        state["resume_mode"] = "elastic"

    def _elastic_drop_count(self) -> int:
        """Items of the original epoch consumed before this elastic resume (rounded down to whole new batches)."""
        state = self._loaded_state()
        consumed = self._elastic_base
        if consumed is None:
            consumed = state.get("sample_in_epoch", state["num_samples_yielded"] * state["world_size"])
        whole_batches = not isinstance(self.shuffler or self._create_shuffler(), WindowShuffle)
        return elastic_drop_count(consumed, self.distributed_env.world_size, self.batch_size, whole_batches)

    def _runs_by_chunk(self, items: np.ndarray) -> list[tuple[int, np.ndarray]]:
        starts = np.asarray([iv.chunk_start for iv in self.intervals], dtype=np.int64)
        chunk_of = np.searchsorted(starts, items, side="right") - 1
        if len(items) == 0:
            return []
        breaks = np.flatnonzero(np.diff(chunk_of)) + 1
        return [(int(chunk_of[run[0]]), items[run]) for run in np.split(np.arange(len(items)), breaks)]

    def _open_piece(self) -> None:
        chunk_index, piece = self._pieces[self._piece_pos]
        self._piece_pos += 1
        self._chunk_index = chunk_index
        if self._explicit_items:
            self._items = piece
        else:
            assert self.shuffler is not None  # created by __iter__
            self._items = self.shuffler.items_for_piece(chunk_index, piece, self.current_epoch)
        self._item_pos = 0

    def skip(self, count: int) -> int:
        """Advance the current iteration by ``count`` items without reading them; returns how many were skipped
        (fewer when the iteration ends first). Used by wrappers to resume a child without decoding its prefix."""
        skipped = 0
        while skipped < count:
            available = len(self._items) - self._item_pos
            if available > 0:
                step = min(available, count - skipped)
                self._item_pos += step
                skipped += step
                continue
            if self._piece_pos >= len(self._pieces):
                break
            chunk_index, piece = self._pieces[self._piece_pos]
            size = len(piece) if self._explicit_items else piece[2] - piece[1]
            if count - skipped >= size:
                self._piece_pos += 1
                skipped += size
            else:
                self._open_piece()
        self.global_index += skipped
        return skipped

    def _rebuild_config(self) -> None:
        """Rebuild the chunk list after ``subsampled_files`` / ``region_of_interest`` changed."""
        self._config = self._make_config()
        self._roi_starts = None
        self.shuffler = None

    def _has_items(self) -> bool:
        """Open pieces until the current one has items left; False at the end of the iteration."""
        while self._item_pos >= len(self._items):
            if self._piece_pos >= len(self._pieces):
                return False
            self._open_piece()
        return True

    _read_ahead = 0
    """Set by a loader's batch stream on the copy it iterates: `__next__` reads this many items of the current chunk
    at once (`BinaryReader.read_samples`) and `__getitem__` serves each of them once, for subclasses whose
    ``__getitem__`` calls ``super().__getitem__(index)``. One that reads other items turns it off."""

    def __next__(self) -> Any:
        if not self._has_items():
            self._end_epoch()
            raise StopIteration
        index = int(self._items[self._item_pos])
        if self._read_ahead > 1 and (index not in self._ahead or self._ahead_chunk != self._chunk_index):
            self._fill_ahead()
        self._item_pos += 1
        self.global_index += 1
        # through __getitem__, as LitData does: subclasses that override it change what iteration yields too
        return self[ChunkedIndex(index, self._chunk_index, is_last_index=self.global_index == self.stop_length)]

    def _fill_ahead(self) -> None:
        """Read the next `_read_ahead` items of the current chunk at once; turned off when the samples read ahead last
        time were not all asked for (a ``__getitem__`` that reads other items than the one it is given)."""
        if self._ahead:
            self._read_ahead, self._ahead = 0, {}
            return
        items = self._items[self._item_pos : self._item_pos + self._read_ahead]
        samples = self._get_reader().read_samples([(self._chunk_index, items)], ends_plan=False)
        self._ahead = dict(zip(map(int, items), samples))
        self._ahead_chunk = self._chunk_index

    def _end_epoch(self) -> None:
        """The iteration ran out of items: the next one streams the next epoch. Asking for more items after the end
        (a collate loop filling its last batch asks twice) ends the epoch only once."""
        if not self._iterating:
            return
        self.current_epoch += 1
        self._state_dict = None
        self._reset_iteration()

    def _next_batch(self, batch_size: int) -> Any:
        """The next ``batch_size`` items of the iteration (fewer at its end) read and collated at once, as
        `litdata_collate` collates them; StopIteration at the end. Used by `StreamingDataLoader`'s batch stream."""
        parts = self._take_items(batch_size)
        if not parts:
            self._end_epoch()
            raise StopIteration
        return self._get_reader().read_batch(parts, ends_plan=self.global_index == self.stop_length)

    def _next_samples(self, count: int) -> list[Any]:
        """The next ``count`` samples of the iteration (fewer at its end), read at once and transformed one by one,
        as ``count`` calls of `__next__` return them; StopIteration at the end. Used by `StreamingDataLoader`'s batch
        stream on the per-sample path (see `_reads_samples_at_once`)."""
        parts = self._take_items(count)
        if not parts:
            self._end_epoch()
            raise StopIteration
        samples = self._get_reader().read_samples(parts, ends_plan=self.global_index == self.stop_length)
        if self.transform is None:
            return samples
        return [self._transformed(sample) for sample in samples]

    def _take_items(self, count: int) -> list[tuple[int, Sequence[int] | np.ndarray]]:
        """The next ``count`` items (fewer at the end of the iteration), as runs of items of one chunk each."""
        parts = []
        while count and self._has_items():
            end = min(self._item_pos + count, len(self._items))
            parts.append((self._chunk_index, self._items[self._item_pos : end]))
            count -= end - self._item_pos
            self.global_index += end - self._item_pos
            self._item_pos = end
        return parts

    # ---------------------------------------------------------------- random access
    def _read(self, index: ChunkedIndex) -> Any:
        sample = self._ahead.pop(index.index, _NOT_AHEAD) if self._ahead_chunk == index.chunk_index else _NOT_AHEAD
        if sample is _NOT_AHEAD:
            sample = self._get_reader().read(index)
        elif index.is_last_index:
            self._get_reader().end_plan()
        return sample if self.transform is None else self._transformed(sample)

    def _transformed(self, sample: Any) -> Any:
        transform = self.transform
        if callable(transform):
            return transform(sample)
        for fn in transform or ():
            sample = fn(sample)
        return sample

    def _locate(self, i: int) -> ChunkedIndex:
        if self._roi_starts is None:
            self._roi_starts = running_starts(iv.roi_end_idx - iv.roi_start_idx for iv in self.intervals)
        total = self._roi_starts[-1]
        if i < 0:
            i += total
        if not 0 <= i < total:
            raise IndexError(f"Index {i} is out of range for a dataset of {total} items.")
        chunk_index = bisect.bisect_right(self._roi_starts, i) - 1
        interval = self.intervals[chunk_index]
        return ChunkedIndex(interval.roi_start_idx + i - self._roi_starts[chunk_index], chunk_index)

    def __getitem__(self, index: ChunkedIndex | int | slice | str) -> Any:
        if isinstance(index, str):
            return self.get_by_key(index)
        if isinstance(index, ChunkedIndex):
            return self._read(index)
        if isinstance(index, slice):
            total = sum(iv.roi_end_idx - iv.roi_start_idx for iv in self.intervals)
            return [self._read(self._locate(i)) for i in range(*index.indices(total))]
        if isinstance(index, (int, np.integer)):
            return self._read(self._locate(int(index)))
        raise TypeError(
            f"StreamingDataset indices must be int, slice, str (a key) or ChunkedIndex, not {type(index).__name__}."
        )

    @property
    def on_demand_bytes(self) -> bool:
        """Accepted for LitData compatibility: chunks are always read through the cache here."""
        return self.__dict__.get("_on_demand_bytes", True)

    @on_demand_bytes.setter
    def on_demand_bytes(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise ValueError(f"on_demand_bytes should be a boolean. Found {value}")
        self._on_demand_bytes = value

    def frame_counts(self) -> list[int]:
        """Frame counts per record of data written with ``TemporalArrayLoader``."""
        if self._index["config"].get("item_loader") != "TemporalArrayLoader":
            raise ValueError("frame_counts requires data written with TemporalArrayLoader.")
        chunks = self._index["chunks"]
        by_name = {c["filename"]: c for c in chunks}
        return [
            count
            for name, (lo, hi) in zip(self.subsampled_files, self.region_of_interest)
            for count in by_name[name]["temporal_frames"][lo:hi]
        ]

    def _locate_record(self, index: int) -> ChunkedIndex:
        """Where record ``index`` is (see `_locate`); ``IndexError("Unknown record index.")`` when there is none."""
        try:
            return self._locate(index)
        except IndexError:
            raise IndexError("Unknown record index.") from None

    def read_window(
        self,
        index: int,
        start: int,
        frames: int,
        fields: Sequence[str] | None = None,
        *,
        max_concurrent_reads: int = 8,
    ) -> dict[str, Any]:
        """Frames ``[start, start + frames)`` (axis 0) of the array fields of record ``index`` (a flat dict).

        ``fields=None`` selects every field; the returned arrays are copies. The transform is not applied, the
        iteration position does not move. Windows never cross records: ``IndexError`` when one does not fit.
        Datasets written with `TemporalArrayLoader` read only the selected byte ranges of the chunk file (with
        O_DIRECT when created with ``window_direct_io=True``); other datasets decode the record, then cut it.
        """
        from litdata.format import temporal
        from litdata.streaming.datasets.window import check_window_request, cut_window

        check_window_request(index, start, frames, max_concurrent_reads)
        if fields is not None and not isinstance(fields, str) and len(fields) == 0:
            return {}
        location = self._locate_record(index)
        if temporal.reads_windows(self):
            return temporal.read_window(self, index, start, frames, fields)
        return cut_window(self._get_reader().read(location), start, frames, fields)

    async def aread_window(
        self,
        index: int,
        start: int,
        frames: int,
        fields: Sequence[str] | None = None,
        *,
        max_concurrent_reads: int = 8,
    ) -> dict[str, Any]:
        """`read_window` for async callers: the field groups of a `TemporalArrayLoader` record are read
        concurrently (``max_concurrent_reads`` at most), any other record in a thread."""
        import asyncio

        from litdata.format import temporal
        from litdata.streaming.datasets.window import check_window_request

        check_window_request(index, start, frames, max_concurrent_reads)
        if temporal.reads_windows(self) and (fields is None or len(fields) > 0):
            self._locate_record(index)
            return await temporal.aread_window(self, index, start, frames, fields, max_concurrent_reads)
        return await asyncio.to_thread(
            self.read_window, index, start, frames, fields, max_concurrent_reads=max_concurrent_reads
        )

    def subset(self, indices: Sequence[int] | slice | range) -> StreamingDataset:
        """A copy of this dataset holding only the items at ``indices`` (positions in its item order), in order."""
        from litdata.streaming.sampling.subset import subset_regions

        files, regions = subset_regions(self.subsampled_files, self.region_of_interest, indices)
        subset = deepcopy(self)
        subset.reset()
        subset.subsampled_files, subset.region_of_interest = files, regions
        subset._rebuild_config()
        return subset

    def get_by_key(self, key: Any) -> Any:
        """The sample stored under ``key`` (str or int) in the dataset's ``keys/`` store; ``KeyError`` if unknown.

        ``dataset["key"]`` does the same for str keys; an int passed to ``dataset[i]`` stays a sample position.
        """
        from litdata.streaming.datasets.keys_index import KeyLookup

        lookup = self.__dict__.get("_keys")
        if lookup is None:
            lookup = self._keys = KeyLookup(self._source, self._index.get("keys"))
        global_index = lookup.index_of(key)
        chunks = self._index["chunks"]
        if self.__dict__.get("_key_chunk_starts") is None:
            self._key_chunk_starts = running_starts(int(c["chunk_size"]) for c in chunks)
        position = bisect.bisect_right(self._key_chunk_starts, global_index) - 1
        local = global_index - self._key_chunk_starts[position]
        if self.subsampled_files is not None and len(self.subsampled_files) != len(chunks):
            try:
                position = self.subsampled_files.index(chunks[position]["filename"])
            except ValueError:
                raise KeyError(f"The sample of key {key!r} is not part of this subsampled dataset.") from None
        return self._read(ChunkedIndex(self.intervals[position].chunk_start + local, position))

    # ---------------------------------------------------------------- state
    def state_dict(self, num_samples_yielded: int, num_workers: int, batch_size: int) -> dict[str, Any]:
        """The resumable state after ``num_samples_yielded`` samples on this rank."""
        if self.worker_env is not None and self.worker_env.world_size > 1 and _WorkerEnv.detect().world_size > 1:
            raise RuntimeError("state_dict should only be called in the main process.")
        env = self.distributed_env
        state = {
            "num_samples_yielded": num_samples_yielded,
            "num_workers": num_workers or 1,
            "batch_size": batch_size,
            "current_epoch": self.current_epoch,
            "input_dir_path": self.input_dir.path,
            "input_dir_url": self.input_dir.url,
            "cache_dir_path": self._dataset_dir if self.input_dir.url else None,
            "item_loader": self.item_loader.state_dict() if self.item_loader is not None else None,
            "drop_last": self.drop_last,
            "seed": self.seed,
            "item_shuffle_window": self.item_shuffle_window,
            "world_size": env.world_size,
            "shuffle": self.shuffle,
            "subsampled_files": self.subsampled_files,
            "region_of_interest": self.region_of_interest,
            "state_version": 2,
            "sample_in_epoch": num_samples_yielded * env.world_size,
            "num_canonical_nodes": self.num_canonical_nodes or env.world_size,
            "initial_world_size": env.world_size,
            "initial_num_workers": num_workers or 1,
            "initial_batch_size": batch_size,
            "initial_num_nodes": env.num_nodes,
        }
        if self._state_dict is not None:
            loaded = self._state_dict
            if self._is_elastic(num_workers or 1, batch_size):
                loaded["resume_mode"] = "elastic"
                state["sample_in_epoch"] = self._elastic_drop_count() + num_samples_yielded * env.world_size
                state.update({k: loaded[k] for k in state if k.startswith("initial_") and k in loaded})
            loaded.update(state)
            return loaded
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict`` at the next iteration."""
        if state_dict:
            self._state_dict = dict(state_dict)
            self._elastic_base = state_dict.get("sample_in_epoch")
            self.current_epoch = state_dict["current_epoch"]

    def resumes_elastically(self, num_workers: int, batch_size: int) -> bool:
        """Whether the pending loaded state continues its epoch on a different topology."""
        return self._state_dict is not None and self._is_elastic(num_workers or 1, batch_size)

    def reset_state_dict(self) -> None:
        self._state_dict = None

    def _validate_state_dict(self) -> None:
        state = self._loaded_state()
        current: dict[str, Any] = {
            "shuffle": self.shuffle,
            "seed": self.seed,
            "drop_last": self.drop_last,
            "input_dir_path": self.input_dir.path,
            "input_dir_url": self.input_dir.url,
            "item_shuffle_window": self.item_shuffle_window,
        }
        if self.item_loader is not None:
            current["item_loader"] = self.item_loader.state_dict()
        stored = {k: state.get(k, 0 if k == "item_shuffle_window" else None) for k in current}
        for key, value in current.items():
            if stored[key] == value:
                continue
            if self.force_override_state_dict:
                warnings.warn(f"Overriding state {key}: {stored[key]!r} -> {value!r}.", UserWarning, stacklevel=2)
                state[key] = value
            else:
                raise ValueError(
                    f"The provided `{key}` state doesn't match the current one. Found `{value!r}` instead of "
                    f"`{stored[key]!r}`. Pass force_override_state_dict=True to adopt the current value."
                )
        elastic = self._is_elastic(self.worker_env.world_size if self.worker_env else self.num_workers)
        if not elastic and state["num_samples_yielded"] > len(self):
            raise ValueError(
                f"The state says {state['num_samples_yielded']} samples were yielded, more than this rank's "
                f"{len(self)} items: it belongs to another dataset or topology."
            )

    def reset(self) -> None:
        """Forget iteration progress, the shuffler and open chunks."""
        self.shuffler = None
        self._state_dict = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._reset_iteration()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_ahead"] = {}
        state["_reader"] = None
        state["_config"] = None  # holds compiled decoders; rebuilt from the index in the worker
        return state
