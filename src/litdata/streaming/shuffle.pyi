"""Type stub of LitData 0.2.76's path ``litdata.streaming.shuffle``, which imports as `litdata.streaming.sampling.shuffle` (see litdata/_old_paths.py)."""

from litdata.streaming.sampling.shuffle import *
from litdata.streaming.sampling.shuffle import DEFAULT_ITEM_SHUFFLE_WINDOW as DEFAULT_ITEM_SHUFFLE_WINDOW
from litdata.streaming.sampling.shuffle import DEFAULT_POSIX_SHUFFLE_WINDOW as DEFAULT_POSIX_SHUFFLE_WINDOW
from litdata.streaming.sampling.shuffle import WINDOW_SHUFFLE_KINDS as WINDOW_SHUFFLE_KINDS
from litdata.streaming.sampling.shuffle import FullShuffle as FullShuffle
from litdata.streaming.sampling.shuffle import IndexedChunks as IndexedChunks
from litdata.streaming.sampling.shuffle import NoShuffle as NoShuffle
from litdata.streaming.sampling.shuffle import Shuffle as Shuffle
from litdata.streaming.sampling.shuffle import WindowShuffle as WindowShuffle
from litdata.streaming.sampling.shuffle import WorkerAssignment as WorkerAssignment
from litdata.streaming.sampling.shuffle import detect_posix_fast_kind as detect_posix_fast_kind
from litdata.streaming.sampling.shuffle import filesystem_kind as filesystem_kind
from litdata.streaming.sampling.shuffle import posix_shuffle_window as posix_shuffle_window
from litdata.streaming.sampling.shuffle import resolve_item_shuffle_window as resolve_item_shuffle_window
from litdata.streaming.sampling.shuffle import shuffler_class as shuffler_class
from litdata.streaming.sampling.shuffle import sliding_window_order as sliding_window_order
