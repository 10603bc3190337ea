"""litdata: transform datasets at scale (`optimize`, `map`) and stream them into PyTorch (`StreamingDataset`).

Public names are imported on first use, so `import litdata` (and every optimize worker process) stays fast and
does not import torch until something needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litdata.__about__ import (
    __author__,
    __homepage__,
    __implementation__,
    __implementation_version__,
    __license__,
    __version__,
)
from litdata.utilities.lazy_exports import lazy_exports

_PUBLIC = {
    "StreamingDataset": "litdata.streaming.dataset",
    "StreamingDataLoader": "litdata.streaming.dataloader",
    "litdata_collate": "litdata.streaming.dataloader",
    "TokensLoader": "litdata.streaming.item_loader",
    "map": "litdata.processing.functions",
    "optimize": "litdata.processing.functions",
    "walk": "litdata.processing.functions",
    "merge_datasets": "litdata.processing.functions",
    "Machine": "litdata.processing.nodes",
    "File": "litdata.types",
    "Text": "litdata.types",
    "Image": "litdata.types",
    "Jpeg": "litdata.types",
    "JpegArray": "litdata.types",
    "Pil": "litdata.types",
    "Tiff": "litdata.types",
    "Tensor": "litdata.types",
    "Audio": "litdata.types",
    "Video": "litdata.types",
    "Pdf": "litdata.types",
    "Mesh": "litdata.types",
    "Nifti": "litdata.types",
    "Graph": "litdata.types",
    "TemporalArrayLoader": "litdata.streaming.temporal",
    "iter_webdataset_tar": "litdata.processing.media_folder",
    "list_media_folder": "litdata.processing.media_folder",
    "optimize_hf": "litdata.utilities.hf_dataset",
    "breakpoint": "litdata.utilities.breakpoint",
    "StreamingRawDataset": "litdata.streaming.raw",
    "CombinedStreamingDataset": "litdata.streaming.combined",
    "ParallelStreamingDataset": "litdata.streaming.parallel",
    "train_test_split": "litdata.utilities.train_test_split",
    "index_parquet_dataset": "litdata.utilities.parquet",
    "index_hf_dataset": "litdata.utilities.hf_dataset",
    "ChunkWaitTimeoutError": "litdata.streaming.sources",
    "dataset_update": "litdata.streaming.dataset_update",
    "build_keys_index": "litdata.utilities.keys_index",
    "complete_dataset": "litdata.processing.complete",
    "is_complete_dataset": "litdata.processing.complete",
}

__all__ = [
    "StreamingDataset",
    "StreamingDataLoader",
    "litdata_collate",
    "TokensLoader",
    "map",
    "optimize",
    "walk",
    "merge_datasets",
    "Machine",
    "File",
    "Text",
    "breakpoint",
    "StreamingRawDataset",
    "CombinedStreamingDataset",
    "ParallelStreamingDataset",
    "train_test_split",
    "index_parquet_dataset",
    "index_hf_dataset",
    "ChunkWaitTimeoutError",
    "dataset_update",
    "build_keys_index",
    "complete_dataset",
    "is_complete_dataset",
    "Image",
    "Jpeg",
    "JpegArray",
    "Pil",
    "Tiff",
    "Tensor",
    "Audio",
    "Video",
    "Pdf",
    "Mesh",
    "Nifti",
    "Graph",
    "TemporalArrayLoader",
    "iter_webdataset_tar",
    "list_media_folder",
    "optimize_hf",
    "__version__",
    "__implementation__",
    "__implementation_version__",
    "__author__",
    "__license__",
    "__homepage__",
]


__getattr__ = lazy_exports("litdata", _PUBLIC, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from litdata.processing.complete import complete_dataset, is_complete_dataset
    from litdata.processing.functions import map, merge_datasets, optimize, walk
    from litdata.processing.media_folder import iter_webdataset_tar, list_media_folder
    from litdata.processing.nodes import Machine
    from litdata.streaming.combined import CombinedStreamingDataset
    from litdata.streaming.dataloader import StreamingDataLoader, litdata_collate
    from litdata.streaming.dataset import StreamingDataset
    from litdata.streaming.dataset_update import dataset_update
    from litdata.streaming.item_loader import TokensLoader
    from litdata.streaming.parallel import ParallelStreamingDataset
    from litdata.streaming.raw import StreamingRawDataset
    from litdata.streaming.sources import ChunkWaitTimeoutError
    from litdata.streaming.temporal import TemporalArrayLoader
    from litdata.types import (
        Audio,
        File,
        Graph,
        Image,
        Jpeg,
        JpegArray,
        Mesh,
        Nifti,
        Pdf,
        Pil,
        Tensor,
        Text,
        Tiff,
        Video,
    )
    from litdata.utilities.breakpoint import breakpoint
    from litdata.utilities.hf_dataset import index_hf_dataset, optimize_hf
    from litdata.utilities.keys_index import build_keys_index
    from litdata.utilities.parquet import index_parquet_dataset
    from litdata.utilities.train_test_split import train_test_split
