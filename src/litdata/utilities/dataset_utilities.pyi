"""Type stub of LitData 0.2.76's path ``litdata.utilities.dataset_utilities``, which imports as `litdata.streaming.datasets.dataset_utilities` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.dataset_utilities import *
from litdata.streaming.datasets.dataset_utilities import adapt_mds_shards_to_chunks as adapt_mds_shards_to_chunks
from litdata.streaming.datasets.dataset_utilities import (
    copy_index_to_cache_index_filepath as copy_index_to_cache_index_filepath,
)
from litdata.streaming.datasets.dataset_utilities import generate_md5_hash as generate_md5_hash
from litdata.streaming.datasets.dataset_utilities import generate_roi as generate_roi
from litdata.streaming.datasets.dataset_utilities import get_default_cache_dir as get_default_cache_dir
from litdata.streaming.datasets.dataset_utilities import load_index_file as load_index_file
from litdata.streaming.datasets.dataset_utilities import subsample_streaming_dataset as subsample_streaming_dataset
from litdata.streaming.datasets.dataset_utilities import wait_for_predicate as wait_for_predicate
