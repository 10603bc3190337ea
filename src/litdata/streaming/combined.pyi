"""Type stub of LitData 0.2.76's path ``litdata.streaming.combined``, which imports as `litdata.streaming.datasets.combined` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.combined import *
from litdata.streaming.datasets.combined import CombinedStreamingDataset as CombinedStreamingDataset
