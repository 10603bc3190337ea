"""Type stub of LitData 0.2.76's path ``litdata.utilities.hf_dataset``, which imports as `litdata.processing.hf_dataset` (see litdata/_old_paths.py)."""

from litdata.processing.hf_dataset import *
from litdata.processing.hf_dataset import hf_dataset_candidates as hf_dataset_candidates
from litdata.processing.hf_dataset import hf_index_folder as hf_index_folder
from litdata.processing.hf_dataset import index_hf_dataset as index_hf_dataset
from litdata.processing.hf_dataset import list_hf_parquet as list_hf_parquet
from litdata.processing.hf_dataset import optimize_hf as optimize_hf
