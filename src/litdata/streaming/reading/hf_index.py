"""Hugging Face Hub datasets: find their Parquet files and index them for streaming (``index_hf_dataset``).

Converting them into LitData chunks (``optimize_hf``) is a processing job: :mod:`litdata.processing.hf_dataset`."""

from __future__ import annotations

import hashlib
import os

from litdata.constants import _INDEX_FILENAME, default_cache_root
from litdata.format.parquet_index import build_parquet_index, write_index


def hf_index_folder(dataset_url: str, cache_dir: str | None = None) -> str:
    """Where the index of ``dataset_url`` is cached: ``{cache_dir}/hf-index/{md5(url)}``."""
    return os.path.join(
        cache_dir or default_cache_root(), "hf-index", hashlib.md5(dataset_url.rstrip("/").encode()).hexdigest()
    )


def index_hf_dataset(dataset_url: str, cache_dir: str | None = None, storage_options: dict | None = None) -> str:
    """Index the Parquet files of ``dataset_url`` once (later calls reuse the cached index); returns the folder
    holding the ``index.json``, with a progress bar of the files read (``TQDM_DISABLE=1`` hides it). Needs
    huggingface_hub."""
    if not dataset_url.startswith("hf://"):
        raise ValueError(f"index_hf_dataset expects an hf://datasets/{{org}}/{{repo}} URL, got {dataset_url!r}.")
    folder = hf_index_folder(dataset_url, cache_dir)
    if not os.path.exists(os.path.join(folder, _INDEX_FILENAME)):
        write_index(build_parquet_index(dataset_url.rstrip("/"), storage_options, verbose=True), folder)
    return folder


# ------------------------------------------------------------------------------- a Hub dataset's Parquet files


def hf_dataset_candidates(name: str, revision: str | None, split: str | None, config: str | None) -> list[str]:
    """The ``hf://`` locations tried for a Hub dataset id, most specific first (as LitData 0.2.76 tries them).

    With ``revision``: ``{revision}/{config}/{split}``, ``{revision}/{split}``, ``{revision}/{config}``, the revision
    root. Then the parquet conversion branch (``refs/convert/parquet``) under ``config``, ``default`` and
    ``plain_text`` (with ``/{split}`` first when a split is given), the repo's own ``data/{split}-*.parquet``,
    ``data/{split}*.parquet`` and ``{split}-*.parquet`` files, and finally the conversion branch, ``data/`` and the
    repo root as a whole. A name already starting with ``hf://`` is used as it is.
    """
    if name.startswith("hf://"):
        return [name]
    repo = name.removeprefix("datasets/")
    found: list[str] = []
    if revision:
        base = f"hf://datasets/{repo}@{revision}"
        found += [f"{base}/{config}/{split}"] if config and split else []
        found += [f"{base}/{split}"] if split else []
        found += [f"{base}/{config}"] if config else []
        found.append(base)
    for subset in [c for c in (config, "default", "plain_text") if c]:
        converted = f"hf://datasets/{repo}@refs/convert/parquet/{subset}"
        found += [f"{converted}/{split}"] if split else []
        found.append(converted)
    if split:
        root = f"hf://datasets/{repo}"
        found += [f"{root}/data/{split}-*.parquet", f"{root}/data/{split}*.parquet", f"{root}/{split}-*.parquet"]
    found += [f"hf://datasets/{repo}@refs/convert/parquet", f"hf://datasets/{repo}/data", f"hf://datasets/{repo}"]
    return list(dict.fromkeys(found))


def list_hf_parquet(url: str, storage_options: dict | None = None) -> list[str]:
    """The ``.parquet`` files under ``url`` (recursively), or matching it when its last part is a pattern."""
    from fnmatch import fnmatch

    from litdata.storage import get_storage

    folder, _, last = url.rpartition("/")
    pattern = last if any(char in last for char in "*?[") else None
    location = folder if pattern else url
    try:
        objects = get_storage(location, storage_options).list(location)
    except FileNotFoundError:
        return []
    urls = [obj.url for obj in objects if obj.url.endswith(".parquet")]
    if pattern:
        urls = [u for u in urls if u.rpartition("/")[0] == folder and fnmatch(u.rpartition("/")[2], pattern)]
    return sorted(urls)
