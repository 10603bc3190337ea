"""``S3Client`` and ``R2Client`` at LitData 0.2.76's import path: a boto3 client built from ``storage_options``,
rebuilt after ``refetch_interval`` seconds (so refreshed credentials are picked up) and in every new process.

They take the same options as the ``s3://`` and ``r2://`` backends (`litdata.storage.s3.S3Storage`).
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from litdata.storage.r2 import R2Storage
from litdata.storage.s3 import S3Storage

__all__ = ["R2Client", "S3Client"]

_DEFAULT_REFETCH_INTERVAL = 2700  # seconds, as in LitData 0.2.76


class S3Client:
    """A boto3 S3 client for ``storage_options`` / ``session_options``, available as ``.client``.

    Args:
        refetch_interval: seconds after which ``.client`` builds a new client (and reads credentials again).
        storage_options: connection settings (``endpoint_url``, ``aws_access_key_id``, ... or their environment
            spellings).
        session_options: boto3 ``Session`` settings (``profile_name``, ...).
    """

    _storage_cls: type[S3Storage] = S3Storage

    def __init__(
        self,
        refetch_interval: int = _DEFAULT_REFETCH_INTERVAL,
        storage_options: dict | None = None,
        session_options: dict | None = None,
    ) -> None:
        self._refetch_interval = refetch_interval
        self._storage_options: dict = dict(storage_options or {})
        self._session_options: dict = dict(session_options or {})
        self._lock = threading.Lock()
        self._client: Any = None
        self._pid: int | None = None
        self._last_time: float | None = None

    @property
    def client(self) -> Any:
        """The boto3 client, built on first use, in each new process, and again after ``refetch_interval``."""
        with self._lock:
            stale = self._last_time is None or time.monotonic() - self._last_time > self._refetch_interval
            if self._client is None or self._pid != os.getpid() or stale:
                storage = self._storage_cls(self._storage_options, self._session_options)
                self._client = storage._make_client()
                self._pid = os.getpid()
                self._last_time = time.monotonic()
            return self._client

    def next_refresh_time(self) -> datetime:
        """When ``.client`` next builds a new client, as an aware UTC datetime."""
        last = self._last_time if self._last_time is not None else time.monotonic()
        remaining = max(0.0, last + self._refetch_interval - time.monotonic())
        return datetime.now(timezone.utc) + timedelta(seconds=remaining)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_client=None, _pid=None, _last_time=None)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


class R2Client(S3Client):
    """A boto3 client for Cloudflare R2 (``r2://``), with the R2 backend's endpoint and options."""

    _storage_cls = R2Storage
