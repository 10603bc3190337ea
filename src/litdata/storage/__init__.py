"""Object storage behind one interface: download, upload, list, exists, delete and ranged reads by URL."""

from litdata.storage.base import ObjectInfo, RetryPolicy, Storage, StorageAccessError, join_url, split_url
from litdata.storage.registry import get_storage, register_storage, storage_class, unregister_storage

__all__ = [
    "ObjectInfo",
    "RetryPolicy",
    "Storage",
    "StorageAccessError",
    "get_storage",
    "join_url",
    "register_storage",
    "split_url",
    "storage_class",
    "unregister_storage",
]
