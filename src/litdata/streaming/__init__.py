"""Streaming: read optimized datasets into PyTorch (names imported on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litdata.utilities.lazy_exports import lazy_exports

_PUBLIC = {
    "Cache": "litdata.streaming.cache",
    "CombinedStreamingDataset": "litdata.streaming.combined",
    "ParallelStreamingDataset": "litdata.streaming.parallel",
    "StreamingDataset": "litdata.streaming.dataset",
    "StreamingDataLoader": "litdata.streaming.dataloader",
    "TokensLoader": "litdata.streaming.item_loader",
}

__all__ = [
    "Cache",
    "CombinedStreamingDataset",
    "ParallelStreamingDataset",
    "StreamingDataset",
    "StreamingDataLoader",
    "TokensLoader",
]


__getattr__ = lazy_exports("litdata.streaming", _PUBLIC, globals())


if TYPE_CHECKING:
    from litdata.streaming.cache import Cache
    from litdata.streaming.combined import CombinedStreamingDataset
    from litdata.streaming.dataloader import StreamingDataLoader
    from litdata.streaming.dataset import StreamingDataset
    from litdata.streaming.item_loader import TokensLoader
    from litdata.streaming.parallel import ParallelStreamingDataset
