"""Index a Hugging Face Hub dataset of Parquet files (``hf://datasets/{org}/{repo}/{folder}``) for streaming."""

from __future__ import annotations

import hashlib
import os

from litdata.constants import _INDEX_FILENAME
from litdata.streaming.sources import default_cache_root
from litdata.utilities.parquet import build_parquet_index, write_index


def hf_index_folder(dataset_url: str, cache_dir: str | None = None) -> str:
    """Where the index of ``dataset_url`` is cached: ``{cache_dir}/hf-index/{md5(url)}``."""
    return os.path.join(
        cache_dir or default_cache_root(), "hf-index", hashlib.md5(dataset_url.rstrip("/").encode()).hexdigest()
    )


def index_hf_dataset(dataset_url: str, cache_dir: str | None = None, storage_options: dict | None = None) -> str:
    """Index the Parquet files of ``dataset_url`` once (later calls reuse the cached index); returns the folder
    holding the ``index.json``. Needs huggingface_hub."""
    if not dataset_url.startswith("hf://"):
        raise ValueError(f"index_hf_dataset expects an hf://datasets/{{org}}/{{repo}} URL, got {dataset_url!r}.")
    folder = hf_index_folder(dataset_url, cache_dir)
    if not os.path.exists(os.path.join(folder, _INDEX_FILENAME)):
        write_index(build_parquet_index(dataset_url.rstrip("/"), storage_options), folder)
    return folder
