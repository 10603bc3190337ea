"""Index objects passed from a dataset to its reader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChunkedIndex:
    """One item to read: its absolute ``index``, the ``chunk_index`` holding it, the number of items of that chunk
    (``chunk_size``, optional), and prefetch hints."""

    index: int
    chunk_index: int
    chunk_size: int | None = None
    chunk_indexes: list[int] | None = None
    is_last_index: bool = False
