"""Local folders as storage: plain paths, ``local:/path`` (a mounted network drive) and ``file://`` URLs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import ClassVar

from litdata.storage.base import ObjectInfo, Storage

_PREFIXES = ("local:", "file://")


def local_path(url: str) -> str:
    """The filesystem path behind a local URL."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            return url[len(prefix) :]
    return url


class LocalStorage(Storage):
    """Copies between local paths; writes are atomic like every other backend's."""

    schemes: ClassVar[tuple[str, ...]] = _PREFIXES

    def _download(self, url: str, local_path_: str) -> None:
        shutil.copyfile(local_path(url), local_path_)

    def _upload(self, local_path_: str, url: str) -> None:
        target = local_path(url)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        tmp = f"{target}.tmp-{os.getpid()}"
        shutil.copyfile(local_path_, tmp)
        os.replace(tmp, target)

    def _list(self, url: str) -> Iterator[ObjectInfo]:
        root = local_path(url)
        prefix = url[: len(url) - len(root)]
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                yield ObjectInfo(prefix + path, os.path.getsize(path))

    def _read_range(self, url: str, offset: int, length: int | None) -> bytes:
        with open(local_path(url), "rb") as f:
            f.seek(offset)
            return f.read() if length is None else f.read(length)

    def _size(self, url: str) -> int | None:
        path = local_path(url)
        return os.path.getsize(path) if os.path.isfile(path) else None

    def _delete(self, url: str) -> None:
        os.remove(local_path(url))
