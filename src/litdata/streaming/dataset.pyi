"""Type stub of LitData 0.2.76's path ``litdata.streaming.dataset``, which imports as `litdata.streaming.datasets.dataset` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.dataset import *
from litdata.streaming.datasets.dataset import StreamingDataset as StreamingDataset
from litdata.streaming.datasets.dataset import logger as logger
