"""`Cache`: write samples with ``cache[i] = sample`` and read them back with ``cache[i]`` (used to build datasets
in tests and small scripts)."""

from __future__ import annotations

import os
from typing import Any

from litdata.constants import _INDEX_FILENAME
from litdata.format.config import ChunksConfig
from litdata.format.item_loader import BaseItemLoader, Interval
from litdata.format.registry import _get_serializers, reading_bytes
from litdata.format.serializers import Serializer
from litdata.format.writer import BinaryWriter, _writer_rank
from litdata.streaming.reading.reader import BinaryReader
from litdata.streaming.reading.resolver import Dir, _resolve_dir
from litdata.streaming.reading.sampler import ChunkedIndex
from litdata.utilities.encryption import Encryption

__all__ = ["Cache", "Dir"]


class Cache:
    """A writer and a reader over one local folder."""

    def __init__(
        self,
        input_dir: str | Dir | None,
        subsampled_files: list[str] | None = None,
        region_of_interest: list[tuple[int, int]] | None = None,
        compression: str | None = None,
        compression_level: str | None = None,
        compression_batch_size: int | None = None,
        encryption: Encryption | None = None,
        chunk_size: int | None = None,
        chunk_bytes: int | str | None = None,
        item_loader: BaseItemLoader | None = None,
        max_cache_size: int | float | str | None = None,
        serializers: dict[str, Serializer] | None = None,
        writer_chunk_index: int | None = None,
        storage_options: dict | None = None,
        session_options: dict | None = None,
        max_pre_download: int = 2,
        msg_queue: Any = None,
        on_demand_bytes: bool = False,
    ) -> None:
        resolved = _resolve_dir(input_dir)
        if resolved.path is None:
            raise ValueError(f"Cache needs a local folder, got {input_dir!r}.")
        self._cache_dir = resolved.path
        os.makedirs(self._cache_dir, exist_ok=True)
        self._serializers = _get_serializers(serializers)
        self._item_loader = item_loader
        self._encryption = encryption
        self._subsampled_files = subsampled_files
        self._region_of_interest = region_of_interest
        self._writer: BinaryWriter | None = None
        self._writer_kwargs = dict(
            chunk_size=chunk_size,
            chunk_bytes=chunk_bytes,
            compression=compression,
            compression_level=compression_level,
            compression_batch_size=compression_batch_size,
            encryption=encryption,
            serializers=serializers,
            chunk_index=writer_chunk_index,
            item_loader=item_loader,
            msg_queue=msg_queue,
        )
        self._reader: BinaryReader | None = None

    @property
    def cache_dir(self) -> str:
        return self._cache_dir

    @property
    def rank(self) -> int:
        """The writer rank of this process: the optimize worker's rank, else global rank times DataLoader workers
        plus the worker's rank (it names the chunk files ``chunk-{rank}-{n}.bin``)."""
        return self._writer.rank if self._writer is not None else _writer_rank(None)

    @property
    def checkpoint_dir(self) -> str:
        """``{cache_dir}/checkpoints``, created on first use."""
        path = os.path.join(self._cache_dir, "checkpoints")
        os.makedirs(path, exist_ok=True)
        return path

    def save_checkpoint(self, checkpoint_dir: str = ".checkpoints", inputs_done: int | None = None) -> str | None:
        """Save the writer's chunks so far (see `BinaryWriter.save_checkpoint`)."""
        return self._get_writer().save_checkpoint(checkpoint_dir=checkpoint_dir, inputs_done=inputs_done)

    @property
    def filled(self) -> bool:
        """Whether the folder already holds a merged ``index.json``."""
        return os.path.exists(os.path.join(self._cache_dir, _INDEX_FILENAME))

    def _get_writer(self) -> BinaryWriter:
        if self._writer is None:
            self._writer = BinaryWriter(self._cache_dir, **self._writer_kwargs)
        return self._writer

    def __setitem__(self, index: int, data: Any) -> None:
        self._get_writer()[index] = data

    def _add_item(self, index: int, data: Any) -> str | None:
        return self._get_writer().add_item(index, data)

    def done(self) -> list[str]:
        """Write the remaining items and this writer's index file."""
        return self._get_writer().done()

    def merge(self, num_workers: int = 1, node_rank: int | None = None) -> None:
        """Merge the writers' index files into ``index.json``."""
        self._get_writer().merge(num_workers, node_rank=node_rank)

    def _get_reader(self) -> BinaryReader:
        if self._reader is None:
            config = ChunksConfig(
                self._cache_dir,
                reading_bytes(self._serializers),
                None,
                item_loader=self._item_loader,
                subsampled_files=self._subsampled_files,
                region_of_interest=self._region_of_interest,
                encryption=self._encryption,
            )
            self._reader = BinaryReader(self._cache_dir, config=config)
        return self._reader

    def get_chunk_intervals(self) -> list[Interval]:
        return self._get_reader().config.intervals

    def get_chunk_bytes(self) -> list[int]:
        """Size in bytes of each chunk file (what shufflers weigh against the cache size)."""
        return [int(chunk.get("chunk_bytes") or 0) for chunk in self._get_reader().config.chunks]

    def __getitem__(self, index: int | ChunkedIndex) -> Any:
        reader = self._get_reader()
        if isinstance(index, int):
            for chunk_index, interval in enumerate(reader.config.intervals):
                if interval.chunk_start <= index < interval.chunk_end:
                    return reader.read(ChunkedIndex(index, chunk_index))
            raise IndexError(f"Index {index} is out of range.")
        return reader.read(index)

    def __len__(self) -> int:
        return sum(iv.roi_end_idx - iv.roi_start_idx for iv in self._get_reader().config.intervals)
