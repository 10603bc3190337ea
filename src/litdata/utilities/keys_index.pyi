"""Type stub of LitData 0.2.76's path ``litdata.utilities.keys_index``, which imports as `litdata.processing.keys_index` (see litdata/_old_paths.py)."""

from litdata.processing.keys_index import *
from litdata.processing.keys_index import KEYS_DIRNAME as KEYS_DIRNAME
from litdata.processing.keys_index import KEYS_VERSION as KEYS_VERSION
from litdata.processing.keys_index import LEGACY_KEYS_FILENAME as LEGACY_KEYS_FILENAME
from litdata.processing.keys_index import KeyLookup as KeyLookup
from litdata.processing.keys_index import build_keys_index as build_keys_index
from litdata.processing.keys_index import chunk_positions as chunk_positions
from litdata.processing.keys_index import fetch_dataset_file as fetch_dataset_file
from litdata.processing.keys_index import has_keys_store as has_keys_store
from litdata.processing.keys_index import iter_keys as iter_keys
from litdata.processing.keys_index import key_shard as key_shard
from litdata.processing.keys_index import keys_section as keys_section
from litdata.processing.keys_index import keys_tables as keys_tables
from litdata.processing.keys_index import normalize_key as normalize_key
from litdata.processing.keys_index import read_keys_config as read_keys_config
from litdata.processing.keys_index import read_shard as read_shard
from litdata.processing.keys_index import shard_filename as shard_filename
from litdata.processing.keys_index import write_keys_for as write_keys_for
from litdata.processing.keys_index import write_keys_index as write_keys_index
from litdata.processing.keys_index import write_keys_store as write_keys_store
