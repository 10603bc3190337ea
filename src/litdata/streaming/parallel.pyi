"""Type stub of LitData 0.2.76's path ``litdata.streaming.parallel``, which imports as `litdata.streaming.datasets.parallel` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.parallel import *
from litdata.streaming.datasets.parallel import ParallelStreamingDataset as ParallelStreamingDataset
from litdata.streaming.datasets.parallel import Transform as Transform
