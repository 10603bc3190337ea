"""Hugging Face Hub datasets: index their Parquet files for streaming (``index_hf_dataset``) or convert them into
LitData chunks (``optimize_hf``)."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from typing import Any

from litdata.constants import _INDEX_FILENAME
from litdata.streaming.reading.sources import default_cache_root
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


# ---------------------------------------------------------------------------------------------------- optimize_hf


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


def _rows_of_parquet(path: str, columns: list[str] | None = None, transform=None):
    """optimize fn: the rows of one local Parquet file (``transform(row)`` each when given)."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(columns=columns):
        for row in batch.to_pylist():
            yield transform(row) if transform is not None else row


def _has_index(output_dir: str, storage_options: dict | None) -> bool:
    if "://" not in output_dir:
        return os.path.exists(os.path.join(output_dir, _INDEX_FILENAME))
    from litdata.storage import get_storage, join_url

    return get_storage(output_dir, storage_options).exists(join_url(output_dir, _INDEX_FILENAME))


def optimize_hf(
    name: str,
    output_dir: str,
    revision: str | None = None,
    split: str | None = None,
    config: str | None = None,
    chunk_size: int | None = None,
    chunk_bytes: int | str | None = None,
    fn: Callable[[dict[str, Any]], Any] | None = None,
    num_workers: int | None = None,
    columns: list[str] | None = None,
    overwrite: bool = False,
    cache_dir: str | None = None,
    storage_options: dict | None = None,
    **optimize_kwargs: Any,
) -> str:
    """Convert a Hugging Face Hub dataset (``org/name`` or an ``hf://`` URL) into LitData chunks in ``output_dir``.

    The dataset's Parquet files are found as :func:`hf_dataset_candidates` lists them, downloaded once into
    ``{cache_dir}/hf-parquet/`` and optimized (row dicts as they are, or ``fn(row)``; ``columns`` selects columns).
    Chunks are 256MB unless ``chunk_size``/``chunk_bytes`` is given. An ``output_dir`` that already has an
    ``index.json`` is reused unless ``overwrite=True``. ``storage_options`` go to ``huggingface_hub.HfFileSystem``
    (``token``, ``endpoint``). Returns ``output_dir``.
    """
    if not overwrite and _has_index(output_dir, None if "://" not in output_dir else storage_options):
        print(f"Using existing optimized dataset at {output_dir}.")
        return output_dir
    urls: list[str] = []
    for candidate in hf_dataset_candidates(name, revision, split, config):
        urls = list_hf_parquet(candidate, storage_options)
        if urls:
            break
    if not urls:
        raise FileNotFoundError(
            f"No parquet files found for dataset {name!r} (revision={revision!r}, split={split!r}, config={config!r})."
        )
    from litdata.processing.functions import optimize
    from litdata.storage import get_storage

    folder = os.path.join(cache_dir or default_cache_root(), "hf-parquet", hashlib.md5(urls[0].encode()).hexdigest())
    storage = get_storage(urls[0], storage_options)
    local_files = []
    for url in urls:
        local = os.path.join(folder, hashlib.md5(url.encode()).hexdigest()[:8] + "-" + url.rpartition("/")[2])
        if not os.path.exists(local):
            os.makedirs(folder, exist_ok=True)
            storage.download_file(url, local)
        local_files.append(local)
    kwargs = dict(optimize_kwargs)
    kwargs.setdefault("mode", "overwrite" if overwrite else None)
    if chunk_size is not None:
        kwargs["chunk_size"] = chunk_size
    else:
        kwargs["chunk_bytes"] = chunk_bytes if chunk_bytes is not None else "256MB"
    optimize(
        fn=functools.partial(_rows_of_parquet, columns=columns, transform=fn),
        inputs=local_files,
        output_dir=output_dir,
        num_workers=num_workers if num_workers is not None else min(len(local_files), os.cpu_count() or 1),
        **kwargs,
    )
    return output_dir
