"""Readers turn the inputs given to `optimize`/`map` into what the user's function receives."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from litdata.processing.nodes import get_node_rank, get_num_nodes

if TYPE_CHECKING:
    from litdata.streaming.loading.dataloader import StreamingDataLoader


class BaseReader(ABC):
    """Base class of input readers: `remap_items` reshapes the inputs once, `read` loads one of them in a worker."""

    def get_num_nodes(self) -> int:
        """Number of machines taking part in the run."""
        return get_num_nodes()

    def get_node_rank(self) -> int:
        """Rank of this machine in the run."""
        return get_node_rank()

    @abstractmethod
    def read(self, item: Any) -> Any:
        """Load one (remapped) input; the result is passed to the user's function."""

    def remap_items(self, items: Any, num_workers: int) -> list[Any]:
        """Turn the user's inputs into the work items handed to the workers (default: unchanged)."""
        return list(items)


def _require_pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("ParquetReader needs pyarrow; install it with `pip install pyarrow`.") from None
    return pq


class ParquetReader(BaseReader):
    """Splits parquet files into shards of ``num_rows`` rows (cached in ``cache_folder``) and reads one shard per item.

    Args:
        cache_folder: where the shards are written, under ``{cache_folder}/{num_rows}/{start}_{end}_{file name}``.
        num_rows: rows per shard.
        to_pandas: return a ``pandas.DataFrame`` (needs pandas) instead of a ``pyarrow.Table``.
        columns: only read these columns.
        filters: row filters in pyarrow's ``filters`` format, applied when a shard is read.
    """

    def __init__(
        self,
        cache_folder: str,
        num_rows: int = 65536,
        to_pandas: bool = True,
        columns: list[str] | None = None,
        filters: Any | None = None,
    ) -> None:
        _require_pyarrow()
        if num_rows < 1:
            raise ValueError(f"num_rows must be a positive integer, got {num_rows!r}.")
        self.cache_folder = str(cache_folder)
        self.num_rows = num_rows
        self.to_pandas = to_pandas
        self.columns = columns
        self.filters = filters

    def remap_items(self, filepaths: list[str], _: int) -> list[str]:
        """Write (or reuse) the shards of every parquet file; returns the shard paths in input order."""
        shard_dir = os.path.join(self.cache_folder, str(self.num_rows))
        os.makedirs(shard_dir, exist_ok=True)
        shards: list[str] = []
        for path in filepaths:
            shards.extend(self._shard(str(path), shard_dir))
        return shards

    def _shard(self, path: str, shard_dir: str) -> list[str]:
        pq = _require_pyarrow()
        parquet_file = pq.ParquetFile(path)
        total = parquet_file.metadata.num_rows
        name = os.path.basename(path)
        bounds = [(start, min(start + self.num_rows, total)) for start in range(0, total, self.num_rows)]
        destinations = [os.path.join(shard_dir, f"{start}_{end}_{name}") for start, end in bounds]
        if all(os.path.exists(dest) for dest in destinations):
            return destinations
        import pyarrow as pa

        batches = parquet_file.iter_batches(batch_size=self.num_rows)
        buffered: list[Any] = []
        buffered_rows = 0
        for (start, end), dest in zip(bounds, destinations):
            while buffered_rows < end - start:
                batch = next(batches)
                buffered.append(batch)
                buffered_rows += batch.num_rows
            table = pa.Table.from_batches(buffered, schema=parquet_file.schema_arrow)
            shard, rest = table.slice(0, end - start), table.slice(end - start)
            tmp = f"{dest}.tmp-{os.getpid()}"
            pq.write_table(shard, tmp)
            os.replace(tmp, dest)
            buffered, buffered_rows = rest.to_batches(), rest.num_rows
        return destinations

    def read(self, filepath: str) -> Any:
        """Read one shard as a ``pyarrow.Table`` (or a ``pandas.DataFrame`` with ``to_pandas=True``)."""
        pq = _require_pyarrow()
        table = pq.read_table(filepath, columns=self.columns, filters=self.filters)
        if not self.to_pandas:
            return table
        try:
            return table.to_pandas()
        except ImportError:
            raise ImportError(
                "ParquetReader(to_pandas=True) needs pandas; install it with `pip install pandas` "
                "or pass to_pandas=False to receive pyarrow Tables."
            ) from None


class StreamingDataLoaderReader(BaseReader):
    """Reads the batches of a `StreamingDataLoader` in order; each work item stands for the next batch."""

    def __init__(self, dataloader: StreamingDataLoader) -> None:
        self.dataloader = dataloader
        self._iterator: Iterator[Any] | None = None

    def remap_items(self, items: Any, num_workers: int) -> list[Any]:
        """One work item per batch of the dataloader."""
        return list(range(len(self.dataloader)))

    def read(self, _: int) -> Any:
        """Return the next batch of the dataloader."""
        if self._iterator is None:
            self._iterator = iter(self.dataloader)
        return next(self._iterator)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the dataloader, not a running iteration over it (its worker processes cannot travel)."""
        return {**self.__dict__, "_iterator": None}
