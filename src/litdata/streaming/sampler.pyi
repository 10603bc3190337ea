"""Type stub of LitData 0.2.76's path ``litdata.streaming.sampler``, which imports as `litdata.streaming.reading.sampler` (see litdata/_old_paths.py)."""

from litdata.streaming.reading.sampler import *
from litdata.streaming.reading.sampler import ChunkedIndex as ChunkedIndex
