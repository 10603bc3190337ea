"""Type stub of LitData 0.2.76's path ``litdata.streaming.window``, which imports as `litdata.streaming.datasets.window` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.window import *
from litdata.streaming.datasets.window import check_window_request as check_window_request
from litdata.streaming.datasets.window import cut_window as cut_window
