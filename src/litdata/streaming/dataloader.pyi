"""Type stub of LitData 0.2.76's path ``litdata.streaming.dataloader``, which imports as `litdata.streaming.loading.dataloader` (see litdata/_old_paths.py)."""

from litdata.streaming.loading.dataloader import *
from litdata.streaming.loading.dataloader import StreamingDataLoader as StreamingDataLoader
