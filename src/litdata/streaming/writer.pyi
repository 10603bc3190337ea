"""Type stub of LitData 0.2.76's path ``litdata.streaming.writer``, which imports as `litdata.format.writer` (see litdata/_old_paths.py)."""

from litdata.format.writer import *
from litdata.format.writer import BinaryWriter as BinaryWriter
from litdata.format.writer import index_parquet_dataset as index_parquet_dataset
from litdata.format.writer import merge_index_files as merge_index_files
from litdata.format.writer import write_index_atomic as write_index_atomic
