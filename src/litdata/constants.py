"""Defaults and environment-variable names, in one place."""

import os

_INDEX_FILENAME = "index.json"
_DEFAULT_CHUNK_BYTES = 1 << 26
_DEFAULT_CACHE_DIR = os.path.join(os.path.expanduser("~"), ".lightning", "chunks")
_DEFAULT_COMPRESSION_BATCH_SIZE = 256

# Environment variables understood by litdata (names shared with LitData).
ENV_CACHE_DIR = "LITDATA_CACHE_DIR"
ENV_MAX_CACHE_SIZE = "MAX_CACHE_SIZE"
ENV_GLOBAL_RANK_OPTIMIZE = "DATA_OPTIMIZER_GLOBAL_RANK"
ENV_NUM_WORKERS_OPTIMIZE = "DATA_OPTIMIZER_NUM_WORKERS"
ENV_NUM_NODES_OPTIMIZE = "DATA_OPTIMIZER_NUM_NODES"
ENV_NODE_RANK_OPTIMIZE = "DATA_OPTIMIZER_NODE_RANK"
# litdata only: "0" refuses to read datasets whose leaves are pickled (unpickling runs the writer's code).
ENV_ALLOW_PICKLE = "LITDATA_ALLOW_PICKLE"

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
