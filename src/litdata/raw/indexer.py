"""Which files a `StreamingRawDataset` reads: `FileMetadata`, the indexers, and the file-list cache.

The list of files is cached as ``index.json.zstd`` (zstd-compressed JSON ``{"source", "files": [{"path", "size"}],
"created_at"}``, as LitData 0.2.76 writes it): in the local cache folder, and a copy beside the data
(``{input_dir}/index.json.zstd``) so other machines skip the listing. Writing that copy needs write access to the
input location; without it a warning is logged once and the local copy is used.
"""

from __future__ import annotations

import json
import logging
import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from litdata.format.errors import EmptyDatasetError
from litdata.storage import get_storage
from litdata.storage.base import temporary_path

logger = logging.getLogger("litdata.raw")

INDEX_FILENAME = "index.json.zstd"
_UPLOAD_WARNED: set[int] = set()


class NoFilesFoundError(EmptyDatasetError):
    """The input location holds no file to index (a `FileNotFoundError` and, as in LitData, a `ValueError`)."""


@dataclass
class FileMetadata:
    """One discovered file: its path or URL, and its size in bytes."""

    path: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileMetadata:
        return cls(path=data["path"], size=data["size"])


def supported_schemes() -> tuple[str, ...]:
    """URL schemes served by a registered storage backend (``s3``, ``gs``, ``r2``, ``azure``, ``hf``, ...)."""
    from litdata.storage.registry import registered_prefixes

    return tuple(sorted({prefix.split(":")[0] for prefix in registered_prefixes()}))


def validate_input_dir_scheme(input_dir: str) -> None:
    """``ValueError`` for a URL whose scheme no storage backend serves (``http://``, ``ftp://``, ...)."""
    scheme = urlparse(input_dir).scheme
    if scheme and len(scheme) > 1 and scheme not in supported_schemes():
        raise ValueError(
            f"Unsupported input directory scheme: `{scheme}`. Supported schemes are: {supported_schemes()}"
        )


def _is_remote(path: str) -> bool:
    return "://" in path


def _encode(files: list[FileMetadata], source: str) -> bytes:
    import zstandard

    payload = {"source": source, "files": [f.to_dict() for f in files], "created_at": time.time()}
    return zstandard.ZstdCompressor().compress(json.dumps(payload).encode("utf-8"))


def _decode(raw: bytes) -> list[FileMetadata] | None:
    import zstandard

    try:
        with zstandard.ZstdDecompressor().stream_reader(raw) as reader:
            metadata = json.loads(reader.read().decode("utf-8"))
        return [FileMetadata.from_dict(entry) for entry in metadata["files"]]
    except (zstandard.ZstdError, ValueError, KeyError, TypeError) as err:
        logger.warning("Ignoring an unreadable file index (%s); listing the files again.", err)
        return None


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _write_atomic(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class BaseIndexer(ABC):
    """Finds the files of an input location; `build_or_load_index` caches the list."""

    @abstractmethod
    def discover_files(self, input_dir: str, storage_options: dict[str, Any] | None) -> list[FileMetadata]:
        """Every file to include."""

    def build_or_load_index(
        self,
        input_dir: str,
        cache_dir: str,
        storage_options: dict[str, Any] | None,
        recompute_index: bool = False,
    ) -> list[FileMetadata]:
        """The file list of ``input_dir``: from ``{cache_dir}/index.json.zstd``, else from the copy beside the data,
        else listed now (then saved to both). ``recompute_index=True`` always lists again."""
        validate_input_dir_scheme(input_dir)
        local_index = os.path.join(cache_dir, INDEX_FILENAME)
        if not recompute_index:
            files = self._load_cached(input_dir, local_index, storage_options)
            if files:
                return files
        files = self.discover_files(input_dir, storage_options)
        if not files:
            raise NoFilesFoundError(f"No files found in {input_dir}")
        data = _encode(files, input_dir)
        _write_atomic(local_index, data)
        self._publish(input_dir, local_index, storage_options)
        return files

    def _load_cached(
        self, input_dir: str, local_index: str, storage_options: dict[str, Any] | None
    ) -> list[FileMetadata] | None:
        if os.path.isfile(local_index):
            files = _decode(_read(local_index))
            if files:
                return files
        remote_index = _join(input_dir, INDEX_FILENAME)
        try:
            if _is_remote(input_dir):
                get_storage(input_dir, storage_options).download_file(remote_index, local_index)
            elif os.path.isfile(remote_index):
                _write_atomic(local_index, _read(remote_index))
            else:
                return None
        except FileNotFoundError:
            return None
        except Exception as err:  # a broken remote copy must not stop the dataset: list the files instead
            logger.warning("Could not read the file index beside the data at %s: %s", remote_index, err)
            return None
        return _decode(_read(local_index))

    def _publish(self, input_dir: str, local_index: str, storage_options: dict[str, Any] | None) -> None:
        remote_index = _join(input_dir, INDEX_FILENAME)
        try:
            if _is_remote(input_dir):
                get_storage(input_dir, storage_options).upload_file(local_index, remote_index)
            else:
                _write_atomic(remote_index, _read(local_index))
        except Exception as err:  # read-only data: keep the local copy only
            log = logger.info if os.getpid() in _UPLOAD_WARNED else logger.warning
            _UPLOAD_WARNED.add(os.getpid())
            log(
                "Could not save the file index beside the data at %s (continuing with the local copy): %s",
                remote_index,
                err,
            )


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if _is_remote(base) else os.path.join(base, name)


class FileIndexer(BaseIndexer):
    """All files under the input location, at most ``max_depth`` folders deep, optionally only some extensions.

    Args:
        max_depth: how many folder levels below the input location are searched.
        extensions: keep only files with one of these extensions (``[".jpg", ".png"]``; case-insensitive).
    """

    def __init__(self, max_depth: int = 5, extensions: list[str] | None = None) -> None:
        self.max_depth = max_depth
        self.extensions = [ext.lower() for ext in (extensions or [])]
        self._suffixes = tuple(ext if ext.startswith(".") else f".{ext}" for ext in self.extensions)

    def discover_files(self, input_dir: str, storage_options: dict[str, Any] | None) -> list[FileMetadata]:
        validate_input_dir_scheme(input_dir)
        root = input_dir.rstrip("/") + "/"
        files = []
        for obj in get_storage(input_dir, storage_options).list(input_dir):
            relative = obj.url[len(root) :] if obj.url.startswith(root) else os.path.relpath(obj.url, input_dir)
            if relative.replace(os.sep, "/").count("/") > self.max_depth or not self._should_include_file(obj.url):
                continue
            files.append(FileMetadata(obj.url, obj.size))
        return files

    def _should_include_file(self, file_path: str) -> bool:
        name = os.path.basename(file_path.rstrip("/"))
        if name == INDEX_FILENAME:
            return False
        return not self._suffixes or name.lower().endswith(self._suffixes)
