"""Type stub of LitData 0.2.76's path ``litdata.streaming.resolver``, which imports as `litdata.streaming.reading.resolver` (see litdata/_old_paths.py)."""

from litdata.streaming.reading.resolver import *
from litdata.streaming.reading.resolver import CloudProvider as CloudProvider
from litdata.streaming.reading.resolver import Dir as Dir
from litdata.streaming.reading.resolver import NotADatasetFolderError as NotADatasetFolderError
from litdata.streaming.reading.resolver import _resolve_dir as _resolve_dir
from litdata.streaming.reading.resolver import check_dataset_location as check_dataset_location
