"""Defaults and environment-variable names, in one place."""

import os

import litdata.settings as settings

_INDEX_FILENAME = "index.json"
_DEFAULT_CHUNK_BYTES = 1 << 26
_DEFAULT_CACHE_DIR = os.path.join(os.path.expanduser("~"), ".lightning", "chunks")
_DEFAULT_COMPRESSION_BATCH_SIZE = 256


def default_cache_root() -> str:
    """``LITDATA_CACHE_DIR`` if set, else ``~/.lightning/chunks``."""
    return settings.CACHE_DIR.get() or _DEFAULT_CACHE_DIR


# Names of environment variables (declared, typed and documented in litdata.settings).
ENV_CACHE_DIR = settings.CACHE_DIR.name
ENV_MAX_CACHE_SIZE = settings.MAX_CACHE_SIZE.name
ENV_GLOBAL_RANK_OPTIMIZE = settings.GLOBAL_RANK_OPTIMIZE.name
ENV_NUM_WORKERS_OPTIMIZE = settings.NUM_WORKERS_OPTIMIZE.name
ENV_NUM_NODES_OPTIMIZE = settings.NUM_NODES_OPTIMIZE.name
ENV_NODE_RANK_OPTIMIZE = settings.NODE_RANK_OPTIMIZE.name
ENV_ALLOW_PICKLE = settings.ALLOW_PICKLE.name

# Torch dtype index table of the on-disk format (index 20 was added after 0.2.45). Do not reorder.
_TORCH_DTYPES_MAPPING_NAMES = (
    "float32",
    "float",
    "float64",
    "double",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "float16",
    "half",
    "bfloat16",
    "uint8",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    "uint16",
)
