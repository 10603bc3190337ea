"""Type stub of LitData 0.2.76's path ``litdata.streaming.temporal``, which imports as `litdata.format.temporal` (see litdata/_old_paths.py)."""

from litdata.format.temporal import *
from litdata.format.temporal import SCHEMA_VERSION as SCHEMA_VERSION
from litdata.format.temporal import TemporalArrayLoader as TemporalArrayLoader
from litdata.format.temporal import aread_window as aread_window
from litdata.format.temporal import open_direct as open_direct
from litdata.format.temporal import read_window as read_window
from litdata.format.temporal import reads_windows as reads_windows
