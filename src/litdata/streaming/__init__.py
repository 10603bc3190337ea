"""Streaming: read optimized datasets into PyTorch (names imported on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litdata.utilities.lazy_exports import lazy_exports

_PUBLIC = {
    "Cache": "litdata.streaming.reading.cache",
    "CombinedStreamingDataset": "litdata.streaming.datasets.combined",
    "ParallelStreamingDataset": "litdata.streaming.datasets.parallel",
    "StreamingDataset": "litdata.streaming.datasets.dataset",
    "StreamingDataLoader": "litdata.streaming.loading.dataloader",
    "TokensLoader": "litdata.format.item_loader",
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
    from litdata.format.item_loader import TokensLoader
    from litdata.streaming.datasets.combined import CombinedStreamingDataset
    from litdata.streaming.datasets.dataset import StreamingDataset
    from litdata.streaming.datasets.parallel import ParallelStreamingDataset
    from litdata.streaming.loading.dataloader import StreamingDataLoader
    from litdata.streaming.reading.cache import Cache
