"""Streaming raw files (no `optimize` step): `StreamingRawDataset` and the `FileMetadata` of each file."""

from litdata.raw.dataset import StreamingRawDataset
from litdata.raw.indexer import FileMetadata

__all__ = ["FileMetadata", "StreamingRawDataset"]
