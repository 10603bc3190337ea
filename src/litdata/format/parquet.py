"""`ParquetLoader`: reads the rows of Parquet files indexed in place by `index_parquet_dataset` (each file is one
chunk), as dicts ``{column: value}`` of plain Python values."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from litdata.format.chunk import ChunkLayout
from litdata.format.item_loader import BaseItemLoader, Interval
from litdata.format.serializers import Serializer


class ParquetChunk:
    """One Parquet file opened for row access. ``low_memory`` keeps only the row groups being read in memory, and
    drops a group once each of its rows was read; otherwise the whole file is read on first access."""

    def __init__(self, path: str, columns: list[str] | None, low_memory: bool) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self._columns = columns
        self._low_memory = low_memory
        self._file = pq.ParquetFile(path, memory_map=True)
        metadata = self._file.metadata
        self._group_starts = np.cumsum([0] + [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)])
        self.num_items = int(self._group_starts[-1])
        self._rows: list[dict] | None = None
        self._groups: dict[int, list[dict]] = {}
        self._remaining: dict[int, int] = {}

    def load_all(self) -> None:
        """Read every row now (used with ``pre_load_chunk=True`` or ``low_memory=False``)."""
        if self._rows is None:
            self._rows = self._file.read(columns=self._columns).to_pylist()

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` of the file."""
        if self._rows is not None or not self._low_memory:
            self.load_all()
            assert self._rows is not None  # read by load_all()
            return self._rows[i]
        group = int(np.searchsorted(self._group_starts, i, side="right")) - 1
        rows = self._groups.get(group)
        if rows is None:
            rows = self._groups[group] = self._file.read_row_group(group, columns=self._columns).to_pylist()
            self._remaining[group] = len(rows)
        self._remaining[group] -= 1
        if self._remaining[group] <= 0:
            del self._groups[group], self._remaining[group]
        return rows[i - int(self._group_starts[group])]

    def close(self) -> None:
        self._rows = None
        self._groups.clear()
        self._remaining.clear()
        self._file.close()


class ParquetLoader(BaseItemLoader):
    """Loads rows of Parquet-file chunks.

    Args:
        pre_load_chunk: read a whole file into memory as soon as it is available.
        low_memory: keep only the row groups being read in memory (otherwise whole files).
        columns: read only these columns (default: all).
    """

    def __init__(self, pre_load_chunk: bool = False, low_memory: bool = True, columns: list[str] | None = None) -> None:
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError as err:
            raise ImportError("ParquetLoader needs pyarrow: pip install pyarrow") from err
        if not low_memory:
            warnings.warn(
                "ParquetLoader(low_memory=False) holds whole Parquet files in memory; keep low_memory=True for large "
                "files.",
                UserWarning,
                stacklevel=2,
            )
        self._pre_load_chunk = pre_load_chunk
        self._low_memory = low_memory
        self._columns = list(columns) if columns is not None else None

    def state_dict(self) -> dict:
        return {"pre_load_chunk": self._pre_load_chunk, "low_memory": self._low_memory, "columns": self._columns}

    def setup(  # type: ignore[override]  # LitData 0.2.76's signature, without force_download_queue
        self,
        config: dict,
        chunks: list,
        serializers: dict[str, Serializer],
        region_of_interest: list[tuple[int, int]] | None = None,
    ) -> None:
        super().setup(config, chunks, serializers, region_of_interest)
        self._starts = np.concatenate([[0], np.cumsum([c["chunk_size"] for c in chunks])])

    def generate_intervals(self) -> list[Interval]:
        intervals = []
        for i, chunk in enumerate(self._chunks):
            begin = int(self._starts[i])
            lo, hi = self._roi(i, (0, chunk["chunk_size"]))
            intervals.append(Interval(begin, begin + lo, begin + hi, begin + chunk["chunk_size"]))
        return intervals

    def open_chunk(self, path: str, layout: ChunkLayout) -> ParquetChunk:
        """Open a Parquet chunk file (the reader calls this instead of decoding a litdata chunk)."""
        chunk = ParquetChunk(path, self._columns, self._low_memory)
        if self._pre_load_chunk:
            chunk.load_all()
        return chunk

    def load_item_from_chunk(
        self, index: int, chunk_index: int, chunk_filepath: str, begin: int, filesize_bytes: int
    ) -> Any:
        """Row ``index`` (absolute) of the Parquet file at ``chunk_filepath``, as a dict of columns."""
        return ParquetLoader._fast_item(self, index, chunk_index, self._chunk_for(chunk_filepath))

    def _fast_item(self, index: int, chunk_index: int, chunk: ParquetChunk) -> dict[str, Any]:
        return chunk.row(index - int(self._starts[chunk_index]))

    def encode_data(self, data: list[bytes], sizes: list[int], flattened: list[Any]) -> Any:
        raise RuntimeError("ParquetLoader only reads Parquet files; write datasets with the default item loader.")
