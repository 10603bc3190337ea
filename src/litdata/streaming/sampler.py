"""Index objects passed from a dataset to its reader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChunkedIndex:
    """One item to read: its absolute ``index``, the ``chunk_index`` holding it, and prefetch hints."""

    index: int
    chunk_index: int
    chunk_indexes: list[int] | None = None
    is_last_index: bool = False
