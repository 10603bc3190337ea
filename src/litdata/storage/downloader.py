"""Downloaders: LitData's extension point for fetching a dataset's files, as a thin facade over `litdata.storage`.

`get_downloader` picks a class by URL prefix; `register_downloader` adds one for a new prefix. A custom downloader
only implements ``download_file(remote_filepath, local_filepath)``; streaming calls it with a temporary
``local_filepath`` and renames the result, so it need not be atomic itself. The async methods (``adownload_file``,
``adownload_fileobj``, ``adownload_bytes``, ``aupload_file``) run the synchronous ones in a thread unless a
downloader overrides them.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from typing import Any, ClassVar

from litdata.storage import Storage, join_url, storage_class
from litdata.storage.azure import AzureStorage
from litdata.storage.chunk_names import check_chunk_name
from litdata.storage.fsspec import FsspecStorage
from litdata.storage.gcs import GCSStorage
from litdata.storage.hf import HFStorage
from litdata.storage.local import LocalStorage
from litdata.storage.r2 import R2Storage
from litdata.storage.s3 import S3Storage

__all__ = [
    "AzureDownloader",
    "Downloader",
    "FsspecDownloader",
    "GCPDownloader",
    "HFDownloader",
    "LocalDownloader",
    "LocalDownloaderWithCache",
    "R2Downloader",
    "S3Downloader",
    "get_downloader",
    "register_downloader",
    "unregister_downloader",
]


class Downloader:
    """Fetches files of the dataset at ``remote_dir`` into ``cache_dir``.

    Args:
        remote_dir: the dataset's URL.
        cache_dir: the local folder files are downloaded into.
        chunks: the ``chunks`` entries of the dataset's index.
        storage_options: connection settings of the backend.
        session_options: settings of the client session (boto3 ``Session`` for S3 and R2).
    """

    def __init__(
        self,
        remote_dir: str,
        cache_dir: str,
        chunks: list[dict[str, Any]],
        storage_options: dict | None = None,
        **kwargs: Any,
    ) -> None:
        self._remote_dir = remote_dir
        self._cache_dir = cache_dir
        self._chunks = chunks
        self._storage_options = dict(storage_options or {})
        self.session_options = dict(kwargs.get("session_options") or {})

    def download_file(self, remote_chunkpath: str, local_chunkpath: str) -> None:
        """Write the file at ``remote_chunkpath`` to ``local_chunkpath`` (every downloader overrides this)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement download_file(remote_filepath, local_filepath)."
        )

    def download_files(self, pairs: list[tuple[str, str]]) -> None:
        """Download several ``(remote_filepath, local_filepath)`` pairs (backends may do it in bulk)."""
        for remote_filepath, local_filepath in pairs:
            self.download_file(remote_filepath, local_filepath)

    def _chunk_paths(self, chunk_index: int) -> tuple[str, str]:
        filename = check_chunk_name(self._chunks[chunk_index]["filename"], f"the index of {self._remote_dir}")
        return join_url(self._remote_dir, filename), os.path.join(self._cache_dir, filename)

    def download_chunk_from_index(self, chunk_index: int) -> None:
        """Download chunk ``chunk_index`` into the cache folder unless it is already there."""
        remote_chunkpath, local_chunkpath = self._chunk_paths(chunk_index)
        if not os.path.exists(local_chunkpath):
            self.download_file(remote_chunkpath, local_chunkpath)

    def download_chunk_bytes_from_index(self, chunk_index: int, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` of chunk ``chunk_index`` (see `download_bytes`)."""
        remote_chunkpath, local_chunkpath = self._chunk_paths(chunk_index)
        return self.download_bytes(remote_chunkpath, offset, length, local_chunkpath)

    def download_bytes(self, remote_chunkpath: str, offset: int, length: int, local_chunkpath: str) -> bytes:
        """``length`` bytes at ``offset`` of a file (downloaded whole to ``local_chunkpath`` unless it is there)."""
        if not os.path.exists(local_chunkpath):
            self.download_file(remote_chunkpath, local_chunkpath)
        with open(local_chunkpath, "rb") as f:
            f.seek(offset)
            return f.read(length)

    def download_fileobj(self, remote_filepath: str, fileobj: Any) -> None:
        """Write the file at ``remote_filepath`` into the open binary ``fileobj``."""
        os.makedirs(self._cache_dir, exist_ok=True)
        tmp = os.path.join(self._cache_dir, f".fileobj-{os.getpid()}-{id(fileobj)}")
        try:
            self.download_file(remote_filepath, tmp)
            with open(tmp, "rb") as f:
                shutil.copyfileobj(f, fileobj)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    async def adownload_bytes(self, remote_filepath: str, offset: int, length: int, local_chunkpath: str) -> bytes:
        """`download_bytes` in a thread: exactly ``length`` bytes (``ValueError`` for a negative offset or length,
        ``OSError`` for a short read, no I/O for ``length == 0``)."""
        if offset < 0 or length < 0:
            raise ValueError(f"offset and length must be >= 0, got offset={offset}, length={length}.")
        if length == 0:
            return b""
        data = await asyncio.to_thread(self.download_bytes, remote_filepath, offset, length, local_chunkpath)
        if len(data) != length:
            raise OSError(f"Expected {length} bytes at offset {offset} of {remote_filepath}, got {len(data)}.")
        return bytes(data)

    async def adownload_fileobj(self, remote_filepath: str) -> bytes:
        """The whole file at ``remote_filepath`` (`download_fileobj` in a thread)."""

        def read() -> bytes:
            buffer = io.BytesIO()
            self.download_fileobj(remote_filepath, buffer)
            return buffer.getvalue()

        return await asyncio.to_thread(read)

    async def adownload_file(self, remote_filepath: str, local_filepath: str) -> None:
        """`download_file` in a thread, unless ``local_filepath`` already exists."""
        if os.path.exists(local_filepath):
            return
        await asyncio.to_thread(self.download_file, remote_filepath, local_filepath)

    async def aupload_file(self, local_filepath: str, remote_filepath: str) -> None:
        """Upload ``local_filepath`` to ``remote_filepath`` (downloaders backed by a storage support it)."""
        raise NotImplementedError(f"{type(self).__name__} does not support async upload")


class StorageDownloader(Downloader):
    """A downloader backed by a `Storage` class (retries, clear errors and atomic writes included)."""

    storage_cls: ClassVar[type[Storage]]

    @property
    def storage(self) -> Storage:
        storage = self.__dict__.get("_storage")
        if storage is None:
            storage = self._storage = self.storage_cls(self._storage_options, self.session_options)
        return storage

    def download_file(self, remote_filepath: str, local_filepath: str) -> None:
        self.storage.download_file(remote_filepath, local_filepath)

    def download_files(self, pairs: list[tuple[str, str]]) -> None:
        self.storage.download_files(pairs)

    def download_bytes(self, remote_filepath: str, offset: int, length: int, local_chunkpath: str) -> bytes:
        if os.path.exists(local_chunkpath):
            return super().download_bytes(remote_filepath, offset, length, local_chunkpath)
        return self.storage.read_range(remote_filepath, offset, length)

    def download_fileobj(self, remote_filepath: str, fileobj: Any) -> None:
        fileobj.write(self.storage.read_bytes(remote_filepath))

    async def aupload_file(self, local_filepath: str, remote_filepath: str) -> None:
        await asyncio.to_thread(self.storage.upload_file, local_filepath, remote_filepath)


class S3Downloader(StorageDownloader):
    """``s3://`` (boto3, and s5cmd for bulk downloads)."""

    storage_cls = S3Storage


class GCPDownloader(StorageDownloader):
    """``gs://``."""

    storage_cls = GCSStorage


class AzureDownloader(StorageDownloader):
    """``azure://``."""

    storage_cls = AzureStorage


class R2Downloader(StorageDownloader):
    """``r2://`` (Cloudflare R2)."""

    storage_cls = R2Storage


class HFDownloader(StorageDownloader):
    """``hf://`` (Hugging Face Hub, needs huggingface_hub)."""

    storage_cls = HFStorage


class FsspecDownloader(StorageDownloader):
    """Any other ``scheme://`` URL, through fsspec."""

    storage_cls = FsspecStorage


class LocalDownloader(StorageDownloader):
    """Plain local paths (copies)."""

    storage_cls = LocalStorage


class LocalDownloaderWithCache(LocalDownloader):
    """``local:/path``: a (network) folder copied into the cache."""


_DOWNLOADERS: dict[str, type[Downloader]] = {
    "s3://": S3Downloader,
    "gs://": GCPDownloader,
    "azure://": AzureDownloader,
    "hf://": HFDownloader,
    "local:": LocalDownloaderWithCache,
    "r2://": R2Downloader,
}


def register_downloader(prefix: str, downloader_cls: type[Downloader], overwrite: bool = False) -> None:
    """Use ``downloader_cls`` for URLs starting with ``prefix``."""
    if prefix in _DOWNLOADERS and not overwrite:
        raise ValueError(f"Downloader with prefix {prefix} already registered; pass overwrite=True to replace it.")
    _DOWNLOADERS[prefix] = downloader_cls


def unregister_downloader(prefix: str) -> None:
    """Remove the downloader registered for ``prefix`` (KeyError if there is none)."""
    del _DOWNLOADERS[prefix]


def get_downloader(
    remote_dir: str,
    cache_dir: str,
    chunks: list[dict[str, Any]],
    storage_options: dict | None = None,
    session_options: dict | None = None,
) -> Downloader:
    """The downloader for ``remote_dir``: a downloader registered for its prefix, else the storage registered for it.

    Storages added with `litdata.storage.register_storage` therefore serve reads as well as writes.
    """
    for prefix, registered in _DOWNLOADERS.items():
        if remote_dir.startswith(prefix):
            return registered(remote_dir, cache_dir, chunks, storage_options, session_options=session_options)
    cls = _downloader_for_storage(storage_class(remote_dir))
    return cls(remote_dir, cache_dir, chunks, storage_options, session_options=session_options)


def _downloader_for_storage(storage_cls: type[Storage]) -> type[StorageDownloader]:
    """The downloader class serving ``storage_cls`` (one of ours, or a new one for a registered storage)."""
    for known in (LocalDownloader, FsspecDownloader, S3Downloader, GCPDownloader, AzureDownloader, R2Downloader):
        if known.storage_cls is storage_cls:
            return known
    return type(f"{storage_cls.__name__}Downloader", (StorageDownloader,), {"storage_cls": storage_cls})
