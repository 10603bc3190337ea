"""Any other URL scheme fsspec knows (``memory://``, ``sftp://``, ``abfs://``, ...): the generic fallback.

``storage_options`` go to the fsspec filesystem's constructor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from litdata.storage.base import ObjectInfo, Storage, join_url


class FsspecStorage(Storage):
    """Storage through an fsspec filesystem chosen by the URL's protocol."""

    schemes: ClassVar[tuple[str, ...]] = ()

    def _fs(self, url: str) -> tuple[Any, str]:
        try:
            from fsspec.core import url_to_fs
        except ImportError as err:
            raise ImportError(
                f"Reading {url} needs fsspec (and its backend for this scheme): pip install fsspec"
            ) from err
        return url_to_fs(url, **self.storage_options)

    def _download(self, url: str, local_path: str) -> None:
        fs, path = self._fs(url)
        fs.get_file(path, local_path)

    def _upload(self, local_path: str, url: str) -> None:
        fs, path = self._fs(url)
        fs.put_file(local_path, path)

    def _list(self, url: str) -> Iterator[ObjectInfo]:
        fs, path = self._fs(url)
        if not fs.isdir(path):
            return
        root = path.rstrip("/")
        for name, info in fs.find(path, detail=True).items():
            yield ObjectInfo(join_url(url, name[len(root) :]), int(info.get("size") or 0))

    def _read_range(self, url: str, offset: int, length: int | None) -> bytes:
        fs, path = self._fs(url)
        return fs.cat_file(path, start=offset, end=None if length is None else offset + length)

    def _size(self, url: str) -> int | None:
        fs, path = self._fs(url)
        return int(fs.size(path)) if fs.isfile(path) else None

    def _delete(self, url: str) -> None:
        fs, path = self._fs(url)
        fs.rm_file(path)
