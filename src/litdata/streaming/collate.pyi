"""Type stub of LitData 0.2.76's path ``litdata.streaming.collate``, which imports as `litdata.streaming.loading.collate` (see litdata/_old_paths.py)."""

from litdata.streaming.loading.collate import *
from litdata.streaming.loading.collate import batch_tensor as batch_tensor
from litdata.streaming.loading.collate import litdata_collate as litdata_collate
