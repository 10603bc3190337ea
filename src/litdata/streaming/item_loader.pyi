"""Type stub of LitData 0.2.76's path ``litdata.streaming.item_loader``, which imports as `litdata.format.loaders` (see litdata/_old_paths.py)."""

from litdata.format.loaders import *
from litdata.format.loaders import BaseItemLoader as BaseItemLoader
from litdata.format.loaders import Interval as Interval
from litdata.format.loaders import ParquetLoader as ParquetLoader
from litdata.format.loaders import PyTreeLoader as PyTreeLoader
from litdata.format.loaders import TokensLoader as TokensLoader
from litdata.format.loaders import running_starts as running_starts
