"""Type stub of LitData 0.2.76's path ``litdata.streaming.cache``, which imports as `litdata.streaming.reading.cache` (see litdata/_old_paths.py)."""

from litdata.streaming.reading.cache import *
from litdata.streaming.reading.cache import Cache as Cache
from litdata.streaming.reading.cache import Dir as Dir
