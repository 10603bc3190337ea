"""Type stub of LitData 0.2.76's path ``litdata.utilities.train_test_split``, which imports as `litdata.streaming.datasets.train_test_split` (see litdata/_old_paths.py)."""

from litdata.streaming.datasets.train_test_split import *
from litdata.streaming.datasets.train_test_split import logger as logger
from litdata.streaming.datasets.train_test_split import train_test_split as train_test_split
