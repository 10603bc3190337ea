"""Where chunk files come from: read in place (local folder), or fetched into a cache folder first."""

from __future__ import annotations

import hashlib
import os
import shutil

from litdata.constants import _DEFAULT_CACHE_DIR, _INDEX_FILENAME, ENV_CACHE_DIR
from litdata.streaming.config import load_index_file
from litdata.streaming.resolver import Dir


def default_cache_root() -> str:
    """``LITDATA_CACHE_DIR`` if set, else ``~/.lightning/chunks``."""
    return os.getenv(ENV_CACHE_DIR) or _DEFAULT_CACHE_DIR


def versioned_cache_dir(url: str, cache_root: str | None, updated_at: str) -> str:
    """``{cache_root}/{md5(url)}/{updated_at}``; older versions of the same dataset are removed."""
    root = os.path.join(cache_root or default_cache_root(), hashlib.md5(url.encode()).hexdigest())
    target = os.path.join(root, updated_at)
    if os.path.isdir(root):
        for entry in os.listdir(root):
            if entry != updated_at:
                shutil.rmtree(os.path.join(root, entry), ignore_errors=True)
    os.makedirs(target, exist_ok=True)
    return target


class ChunkSource:
    """Makes chunk files of a dataset available in its local folder. The base class reads in place."""

    def ensure(self, filename: str) -> None:
        """Make ``filename`` present and complete in the dataset's local folder."""


class LocalCopySource(ChunkSource):
    """Serves chunks of a ``local:`` dataset (e.g. a network drive) from copies in the cache folder."""

    def __init__(self, source_dir: str, cache_dir: str) -> None:
        self.source_dir = source_dir
        self.cache_dir = cache_dir

    def ensure(self, filename: str) -> None:
        target = os.path.join(self.cache_dir, filename)
        if os.path.exists(target):
            return
        tmp = f"{target}.tmp-{os.getpid()}"
        shutil.copyfile(os.path.join(self.source_dir, filename), tmp)
        os.replace(tmp, target)


def open_source(input_dir: Dir, cache_dir: str | Dir | None) -> tuple[str, ChunkSource]:
    """The local folder a dataset is read from, and the source that fills it."""
    path, url = input_dir.path, input_dir.url
    if url is None:
        if not os.path.isdir(path):
            raise FileNotFoundError(f"The dataset folder {path!r} does not exist.")
        return path, ChunkSource()
    cache_root = cache_dir.path if isinstance(cache_dir, Dir) else cache_dir
    if url.startswith("local:"):
        source_dir = url[len("local:") :]
        index = load_index_file(os.path.join(source_dir, _INDEX_FILENAME))
        updated_at = str(index.get("updated_at") or hashlib.md5(url.encode()).hexdigest())
        target = path or versioned_cache_dir(url, cache_root, updated_at)
        source = LocalCopySource(source_dir, target)
        source.ensure(_INDEX_FILENAME)
        return target, source
    raise ValueError(
        f"Streaming from {url!r} needs a storage backend for its scheme; this build reads local folders and "
        "'local:' paths. Download the dataset to a local folder first."
    )
