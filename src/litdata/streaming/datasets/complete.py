"""Finish a dataset whose writers left ``{rank}.index.json`` (or ``{node}-index.json``) files but no ``index.json``:
after an interrupted merge, or chunks written by hand with `Cache` / `BinaryWriter`."""

from __future__ import annotations

import os

from litdata.constants import _INDEX_FILENAME
from litdata.format.writer import _NODE_INDEX, _WORKER_INDEX, merge_index_files, write_index_atomic


def is_complete_dataset(input_dir: str) -> bool:
    """Whether ``input_dir`` holds an ``index.json`` (the dataset can be streamed)."""
    return os.path.isfile(os.path.join(input_dir, _INDEX_FILENAME))


def index_shards(input_dir: str) -> list[str]:
    """The writer and node index files left in ``input_dir``."""
    if not os.path.isdir(input_dir):
        return []
    return [name for name in os.listdir(input_dir) if _WORKER_INDEX.match(name) or _NODE_INDEX.match(name)]


def complete_dataset(input_dir: str) -> str:
    """Merge the writers' index files of ``input_dir`` into ``index.json`` (in rank order) and remove them.

    Does nothing when ``index.json`` already exists. Returns ``input_dir``.
    """
    if is_complete_dataset(input_dir):
        return input_dir
    if not os.path.isdir(input_dir):
        raise FileNotFoundError(f"Dataset directory does not exist: {input_dir}")
    shards = index_shards(input_dir)
    if not shards:
        raise FileNotFoundError(
            f"The provided dataset `{input_dir}` has no {_INDEX_FILENAME} and no worker index shards "
            f"({{rank}}.{_INDEX_FILENAME}). Did optimize() finish?"
        )
    paths = [os.path.join(input_dir, name) for name in shards]
    write_index_atomic(merge_index_files(paths), os.path.join(input_dir, _INDEX_FILENAME))
    for path in paths:
        os.remove(path)
    return input_dir
