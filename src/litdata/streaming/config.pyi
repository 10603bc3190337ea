"""Type stub of LitData 0.2.76's path ``litdata.streaming.config``, which imports as `litdata.format.config` (see litdata/_old_paths.py)."""

from litdata.format.config import *
from litdata.format.config import ChunksConfig as ChunksConfig
from litdata.format.config import load_index_file as load_index_file
