"""Streaming: read optimized datasets into PyTorch."""

from litdata.streaming.cache import Cache
from litdata.streaming.dataloader import StreamingDataLoader
from litdata.streaming.dataset import StreamingDataset
from litdata.streaming.item_loader import TokensLoader

__all__ = ["Cache", "StreamingDataset", "StreamingDataLoader", "TokensLoader"]
