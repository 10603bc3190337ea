"""Every item loader of LitData 0.2.76's ``litdata.streaming.item_loader`` in one namespace.

The loaders live in their own modules (`item_loader` holds the base and the classic loaders, `parquet` the Parquet
one, which builds on the base); this module gathers them so the 0.2.76 import path keeps every name.
"""

from __future__ import annotations

from typing import Any

from litdata.format import item_loader as _item_loader
from litdata.format.item_loader import BaseItemLoader, Interval, PyTreeLoader, TokensLoader
from litdata.format.parquet import ParquetLoader

__all__ = ["BaseItemLoader", "Interval", "ParquetLoader", "PyTreeLoader", "TokensLoader"]


def __getattr__(name: str) -> Any:
    # The module's helpers (``running_starts``, ...), reachable as they were at the 0.2.76 path.
    return getattr(_item_loader, name)
