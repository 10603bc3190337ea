"""`BinaryReader`: opens chunk files (kept mapped in a small LRU) and decodes items through the item loader."""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

from litdata.streaming.chunk import ChunkData
from litdata.streaming.config import ChunksConfig
from litdata.streaming.sampler import ChunkedIndex
from litdata.streaming.sources import ChunkSource

_OPEN_CHUNKS = 4


class BinaryReader:
    """Reads items of a local dataset folder. ``read(ChunkedIndex)`` returns the decoded sample."""

    def __init__(
        self,
        dataset_dir: str,
        config: ChunksConfig,
        source: ChunkSource | None = None,
        max_open_chunks: int = _OPEN_CHUNKS,
    ) -> None:
        self._dataset_dir = dataset_dir
        self._source = source or ChunkSource()
        self._config = config
        self._item_loader = config.item_loader
        self._open: OrderedDict[int, ChunkData] = OrderedDict()
        self._max_open = max(1, max_open_chunks)

    @property
    def config(self) -> ChunksConfig:
        return self._config

    def chunk_path(self, chunk_index: int) -> str:
        return os.path.join(self._dataset_dir, self._config.chunks[chunk_index]["filename"])

    def _chunk(self, chunk_index: int) -> ChunkData:
        chunk = self._open.get(chunk_index)
        if chunk is not None:
            self._open.move_to_end(chunk_index)
            return chunk
        path = self.chunk_path(chunk_index)
        self._source.ensure(self._config.chunks[chunk_index]["filename"])
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"Chunk {self._config.chunks[chunk_index]['filename']!r} listed in the index is missing from "
                f"{self._dataset_dir!r}. The dataset is incomplete: re-run optimize (mode='overwrite')."
            )
        chunk = ChunkData(path, self._config.layout)
        self._item_loader.pre_load_chunk(chunk_index, path)
        self._open[chunk_index] = chunk
        if len(self._open) > self._max_open:
            old_index, old = self._open.popitem(last=False)
            self._item_loader.close(old_index)
            old.close()
        return chunk

    def read(self, index: ChunkedIndex) -> Any:
        """Decode the item at ``index`` (absolute id in ``index.index``, chunk in ``index.chunk_index``)."""
        chunk = self._chunk(index.chunk_index)
        return self._item_loader.load_item_from_chunk(index.index, index.chunk_index, chunk)

    def close(self) -> None:
        """Release every open chunk."""
        while self._open:
            chunk_index, chunk = self._open.popitem()
            self._item_loader.close(chunk_index)
            chunk.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass  # interpreter shutdown: modules may already be gone
