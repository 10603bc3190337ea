"""litdata: transform datasets at scale (`optimize`, `map`) and stream them into PyTorch (`StreamingDataset`).

Public names are imported on first use, so `import litdata` (and every optimize worker process) stays fast and
does not import torch until something needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litdata import _old_paths
from litdata.__about__ import (
    __author__,
    __homepage__,
    __implementation__,
    __implementation_version__,
    __license__,
    __version__,
)
from litdata.utilities.lazy_exports import lazy_exports

_old_paths.install()

_PUBLIC = {
    "StreamingDataset": "litdata.streaming.datasets.dataset",
    "StreamingDataLoader": "litdata.streaming.loading.dataloader",
    "litdata_collate": "litdata.streaming.loading.collate",
    "TokensLoader": "litdata.format.item_loader",
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
    "TemporalArrayLoader": "litdata.format.temporal",
    "iter_webdataset_tar": "litdata.processing.media_folder",
    "list_media_folder": "litdata.processing.media_folder",
    "optimize_hf": "litdata.processing.hf_dataset",
    "breakpoint": "litdata.utilities.breakpoint",
    "StreamingRawDataset": "litdata.raw.dataset",
    "CombinedStreamingDataset": "litdata.streaming.datasets.combined",
    "ParallelStreamingDataset": "litdata.streaming.datasets.parallel",
    "train_test_split": "litdata.streaming.datasets.train_test_split",
    "index_parquet_dataset": "litdata.format.parquet_index",
    "index_hf_dataset": "litdata.streaming.reading.hf_index",
    "ChunkWaitTimeoutError": "litdata.streaming.reading.sources",
    "dataset_update": "litdata.streaming.datasets.dataset_update",
    "build_keys_index": "litdata.processing.keys_index",
    "complete_dataset": "litdata.processing.complete",
    "is_complete_dataset": "litdata.processing.complete",
    "NumaAffinity": "litdata.utilities.numa",
    "get_numa_affinity": "litdata.utilities.numa",
    "get_gpu_affinity": "litdata.utilities.numa",
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
    "NumaAffinity",
    "get_numa_affinity",
    "get_gpu_affinity",
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
    from litdata.format.item_loader import TokensLoader
    from litdata.format.parquet_index import index_parquet_dataset
    from litdata.format.temporal import TemporalArrayLoader
    from litdata.processing.complete import complete_dataset, is_complete_dataset
    from litdata.processing.functions import map, merge_datasets, optimize, walk
    from litdata.processing.hf_dataset import optimize_hf
    from litdata.processing.keys_index import build_keys_index
    from litdata.processing.media_folder import iter_webdataset_tar, list_media_folder
    from litdata.processing.nodes import Machine
    from litdata.raw.dataset import StreamingRawDataset
    from litdata.streaming.datasets.combined import CombinedStreamingDataset
    from litdata.streaming.datasets.dataset import StreamingDataset
    from litdata.streaming.datasets.dataset_update import dataset_update
    from litdata.streaming.datasets.parallel import ParallelStreamingDataset
    from litdata.streaming.datasets.train_test_split import train_test_split
    from litdata.streaming.loading.collate import litdata_collate
    from litdata.streaming.loading.dataloader import StreamingDataLoader
    from litdata.streaming.reading.hf_index import index_hf_dataset
    from litdata.streaming.reading.sources import ChunkWaitTimeoutError
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
    from litdata.utilities.numa import NumaAffinity, get_gpu_affinity, get_numa_affinity
