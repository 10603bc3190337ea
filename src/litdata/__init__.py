"""litdata: transform datasets at scale (`optimize`, `map`) and stream them into PyTorch (`StreamingDataset`)."""

from litdata.__about__ import __author__, __homepage__, __license__, __version__
from litdata.processing.functions import map, merge_datasets, optimize, walk
from litdata.processing.nodes import Machine
from litdata.streaming.dataloader import StreamingDataLoader, litdata_collate
from litdata.streaming.dataset import StreamingDataset
from litdata.streaming.item_loader import TokensLoader
from litdata.streaming.typed import File, Text
from litdata.utilities.breakpoint import breakpoint

__all__ = [
    "StreamingDataset",
    "StreamingDataLoader",
    "litdata_collate",
    "TokensLoader",
    "map",
    "optimize",
    "walk",
    "merge_datasets",
    "breakpoint",
    "Machine",
    "File",
    "Text",
    "__version__",
    "__author__",
    "__license__",
    "__homepage__",
]
