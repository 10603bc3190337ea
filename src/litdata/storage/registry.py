"""Which `Storage` class serves a URL: a prefix registry, with fsspec for other schemes and local paths last."""

from __future__ import annotations

from litdata.storage.azure import AzureStorage
from litdata.storage.base import Storage
from litdata.storage.fsspec import FsspecStorage
from litdata.storage.gcs import GCSStorage
from litdata.storage.hf import HFStorage
from litdata.storage.local import LocalStorage
from litdata.storage.r2 import R2Storage
from litdata.storage.s3 import S3Storage

_STORAGES: dict[str, type[Storage]] = {
    prefix: cls
    for cls in (S3Storage, GCSStorage, AzureStorage, R2Storage, HFStorage, LocalStorage)
    for prefix in cls.schemes
}


def register_storage(prefix: str, storage_cls: type[Storage], overwrite: bool = False) -> None:
    """Serve URLs starting with ``prefix`` (e.g. ``"minio://"``) with ``storage_cls``."""
    if prefix in _STORAGES and not overwrite:
        raise ValueError(f"A storage for {prefix!r} is already registered; pass overwrite=True to replace it.")
    _STORAGES[prefix] = storage_cls


def unregister_storage(prefix: str) -> None:
    """Forget the storage registered for ``prefix``."""
    del _STORAGES[prefix]


def registered_prefixes() -> list[str]:
    """The URL prefixes served by a registered storage (fsspec serves the others)."""
    return list(_STORAGES)


def storage_class(url: str) -> type[Storage]:
    """The class that serves ``url``."""
    for prefix, cls in _STORAGES.items():
        if url.startswith(prefix):
            return cls
    return FsspecStorage if "://" in url else LocalStorage


def get_storage(url: str, storage_options: dict | None = None, session_options: dict | None = None) -> Storage:
    """A client for ``url`` configured with the given options."""
    return storage_class(url)(storage_options, session_options)
