"""Type stub of LitData 0.2.76's path ``litdata.utilities.parquet``, which imports as `litdata.format.parquet_index` (see litdata/_old_paths.py)."""

from litdata.format.parquet_index import *
from litdata.format.parquet_index import build_parquet_index as build_parquet_index
from litdata.format.parquet_index import index_parquet_dataset as index_parquet_dataset
from litdata.format.parquet_index import list_parquet_files as list_parquet_files
from litdata.format.parquet_index import write_index as write_index
