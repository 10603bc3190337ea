"""Streaming: read optimized datasets into PyTorch (names imported on first use)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "Cache": "litdata.streaming.cache",
    "CombinedStreamingDataset": "litdata.streaming.combined",
    "StreamingDataset": "litdata.streaming.dataset",
    "StreamingDataLoader": "litdata.streaming.dataloader",
    "TokensLoader": "litdata.streaming.item_loader",
}

__all__ = ["Cache", "CombinedStreamingDataset", "StreamingDataset", "StreamingDataLoader", "TokensLoader"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'litdata.streaming' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from litdata.streaming.cache import Cache
    from litdata.streaming.combined import CombinedStreamingDataset
    from litdata.streaming.dataloader import StreamingDataLoader
    from litdata.streaming.dataset import StreamingDataset
    from litdata.streaming.item_loader import TokensLoader
