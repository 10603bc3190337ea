"""Type stub of LitData 0.2.76's path ``litdata.streaming.reader``, which imports as `litdata.streaming.reading.reader` (see litdata/_old_paths.py)."""

from litdata.streaming.reading.reader import *
from litdata.streaming.reading.reader import BinaryReader as BinaryReader
from litdata.streaming.reading.reader import logger as logger
