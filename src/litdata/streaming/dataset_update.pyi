"""Type stub of LitData 0.2.76's path ``litdata.streaming.dataset_update``, which imports as `litdata.streaming.datasets.dataset_update` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.dataset_update import *
from litdata.streaming.datasets.dataset_update import DatasetUpdate as DatasetUpdate
from litdata.streaming.datasets.dataset_update import dataset_update as dataset_update
