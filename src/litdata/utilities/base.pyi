"""Type stub of LitData 0.2.76's path ``litdata.utilities.base``, which imports as `litdata.streaming.datasets.base` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.base import *
