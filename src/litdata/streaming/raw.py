"""`StreamingRawDataset` at this package's earlier import path; it lives in `litdata.raw` (LitData's path)."""

from litdata.raw.dataset import StreamingRawDataset
from litdata.raw.indexer import BaseIndexer, FileIndexer, FileMetadata

__all__ = ["BaseIndexer", "FileIndexer", "FileMetadata", "StreamingRawDataset"]
