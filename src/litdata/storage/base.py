"""The storage interface: one class per URL scheme, every method takes full URLs.

Backends implement a handful of primitives (`_download`, `_upload`, `_list`, `_read_range`, `_size`, `_delete`) and
say which of their exceptions mean "missing", "denied" or "try again" (`_classify`). This base class adds what every
backend needs the same way: atomic downloads (temporary name + rename), retries with exponential backoff on
transient failures, and errors that name the URL and the fix.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, TypeVar

import litdata.settings as settings
from litdata.storage.options import check_storage_options

logger = logging.getLogger("litdata.storage")

T = TypeVar("T")
_CLIENT_LOCK = threading.Lock()
_LOCAL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EMFILE, errno.ENFILE})


class Failure(Enum):
    """What a backend exception means for the caller."""

    MISSING = "missing"
    DENIED = "denied"
    TRANSIENT = "transient"


class StorageAccessError(PermissionError):
    """The storage refused the credentials (or their absence)."""


@dataclass(frozen=True)
class ObjectInfo:
    """One object found by `Storage.list`."""

    url: str
    size: int


def _default_attempts() -> int:
    return max(1, settings.STORAGE_MAX_ATTEMPTS.get())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently transient failures (5xx, throttling, dropped connections) are retried.

    ``attempts`` defaults to ``LITDATA_STORAGE_MAX_ATTEMPTS`` (6): raise it to ride out longer outages.
    """

    attempts: int = field(default_factory=_default_attempts)
    base_delay: float = 0.2
    max_delay: float = 10.0

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def split_url(url: str) -> tuple[str, str, str]:
    """``"s3://bucket/a/b"`` → ``("s3", "bucket", "a/b")``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"{url!r} is not a URL: expected scheme://bucket/path.")
    bucket, _, key = rest.partition("/")
    return scheme, bucket, key


def join_url(base: str, *parts: str) -> str:
    """Join URL segments with single slashes."""
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.lstrip('/')}" if part else out
    return out


def temporary_path(local_path: str) -> str:
    """A unique sibling name for writing ``local_path`` before renaming it into place."""
    return f"{local_path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Storage(ABC):
    """Client for one family of URLs (``s3://``, ``gs://``, ...).

    Args:
        storage_options: backend-specific connection settings (endpoint, credentials, project, ...).
        session_options: settings of the session that creates clients (boto3 ``Session`` for S3 and R2).
    """

    schemes: ClassVar[tuple[str, ...]] = ()
    #: Shown in errors when credentials are refused.
    credentials_hint: ClassVar[str] = "check the credentials passed in storage_options or the environment"
    retry_policy: RetryPolicy | None = None  # None: a default policy read from the environment per client

    @classmethod
    def option_rules(cls) -> tuple[frozenset[str], bool, str] | None:
        """The ``storage_options`` keys this backend accepts, whether any other key is refused, and the URL scheme
        shown in errors; None leaves the options unchecked."""
        return None

    def __init__(self, storage_options: dict | None = None, session_options: dict | None = None) -> None:
        check_storage_options(type(self), storage_options)
        self.storage_options = dict(storage_options or {})
        self.session_options = dict(session_options or {})

    def _client(self) -> Any:
        """The backend's SDK client, built once per process (clients are not shared across fork)."""
        state = self.__dict__
        if state.get("_client_pid") != os.getpid():
            with _CLIENT_LOCK:
                if state.get("_client_pid") != os.getpid():
                    state["_client_obj"] = self._make_client()
                    state["_client_pid"] = os.getpid()
        return state["_client_obj"]

    def _make_client(self) -> Any:
        """Build the SDK client (backends without one need not override)."""
        raise TypeError(f"{type(self).__name__} works without an SDK client; it must not ask for one.")

    # ---------------------------------------------------------------- backend primitives
    @abstractmethod
    def _download(self, url: str, local_path: str) -> None:
        """Write the object at ``url`` to ``local_path`` (a fresh temporary name)."""

    @abstractmethod
    def _upload(self, local_path: str, url: str) -> None:
        """Store the file ``local_path`` at ``url``."""

    @abstractmethod
    def _list(self, url: str) -> Iterator[ObjectInfo]:
        """Every object whose URL starts with ``url`` (recursively)."""

    @abstractmethod
    def _read_range(self, url: str, offset: int, length: int | None) -> bytes:
        """``length`` bytes from ``offset`` (to the end when ``length`` is None)."""

    @abstractmethod
    def _size(self, url: str) -> int | None:
        """The object's size in bytes, or None when it does not exist."""

    @abstractmethod
    def _delete(self, url: str) -> None:
        """Remove one object."""

    def _classify(self, error: BaseException) -> Failure | None:
        """What ``error`` means; None for errors that are passed through unchanged."""
        if isinstance(error, FileNotFoundError):
            return Failure.MISSING
        if isinstance(error, PermissionError):
            return Failure.DENIED
        if isinstance(error, (ConnectionError, TimeoutError)):
            return Failure.TRANSIENT
        return None

    # ---------------------------------------------------------------- error handling
    def _classify_chain(self, error: BaseException) -> Failure | None:
        """Classify ``error``, or the error it wraps (SDKs re-raise low-level errors inside their own). A full or
        read-only local disk or too many open files is never retried nor taken for a missing object."""
        if isinstance(error, OSError) and error.errno in _LOCAL_ERRNOS:
            return None
        seen: BaseException | None = error
        for _ in range(3):
            if seen is None:
                return None
            failure = self._classify(seen)
            if failure is not None:
                return failure
            seen = seen.__cause__ or seen.__context__
        return None

    def _call(self, action: str, url: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` with retries on transient failures; turn backend errors into clear Python errors."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as error:
                failure = self._classify_chain(error)
                if failure is Failure.MISSING:
                    raise FileNotFoundError(f"Cannot {action} {url}: it does not exist.") from error
                if failure is Failure.DENIED:
                    raise StorageAccessError(
                        f"Cannot {action} {url}: access denied ({_short(error)}). Fix: {self.credentials_hint}."
                    ) from error
                if failure is not Failure.TRANSIENT:
                    raise
                policy = self.retry_policy or RetryPolicy()
                if attempt >= policy.attempts:
                    raise OSError(
                        f"Cannot {action} {url} after {attempt} attempts: {_short(error)}. The storage is "
                        "unavailable or throttling; check the endpoint in storage_options and retry later."
                    ) from error
                delay = policy.delay(attempt)
                logger.info("%s %s failed (%s); retry %d in %.2fs", action, url, _short(error), attempt, delay)
                time.sleep(delay)

    # ---------------------------------------------------------------- public API
    def download_file(self, url: str, local_path: str) -> None:
        """Download ``url`` to ``local_path`` atomically: readers never see a partial file under that name."""
        parent = os.path.dirname(local_path)
        if parent:
            os.makedirs(parent, exist_ok=True)

        def attempt() -> None:
            tmp = temporary_path(local_path)
            try:
                self._download(url, tmp)
                os.replace(tmp, local_path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)

        self._call("download", url, attempt)

    def download_files(self, pairs: list[tuple[str, str]], max_workers: int = 8) -> None:
        """Download several ``(url, local_path)`` pairs concurrently; raises the first failure after all ran."""
        if len(pairs) <= 1:
            for url, local_path in pairs:
                self.download_file(url, local_path)
            return
        with ThreadPoolExecutor(max_workers=min(max_workers, len(pairs))) as pool:
            futures = [pool.submit(self.download_file, url, local_path) for url, local_path in pairs]
        errors = [error for f in futures if (error := f.exception()) is not None]
        if errors:
            raise errors[0]

    def upload_file(self, local_path: str, url: str) -> None:
        """Upload the file ``local_path`` to ``url`` (overwriting)."""
        if not os.path.isfile(local_path):
            raise FileNotFoundError(f"Cannot upload {local_path!r} to {url}: no such local file.")
        self._call("upload to", url, lambda: self._upload(local_path, url))

    def list(self, url: str) -> list[ObjectInfo]:
        """Objects under the prefix ``url`` (recursive), sorted by URL. A missing prefix gives an empty list."""
        return sorted(self._call("list", url, lambda: list(self._list(url))), key=lambda o: o.url)

    def exists(self, url: str) -> bool:
        """Whether an object exists at ``url``."""
        return self.size(url) is not None

    def size(self, url: str) -> int | None:
        """The size of the object at ``url`` in bytes, or None if it does not exist."""
        return self._call("inspect", url, lambda: self._size(url))

    def read_range(self, url: str, offset: int, length: int | None = None) -> bytes:
        """Bytes ``[offset, offset + length)`` of the object (to its end when ``length`` is None)."""
        if offset < 0 or (length is not None and length < 0):
            raise ValueError(f"Invalid byte range offset={offset}, length={length} for {url}.")
        if length == 0:
            return b""
        return self._call("read", url, lambda: self._read_range(url, offset, length))

    def read_bytes(self, url: str) -> bytes:
        """The whole object."""
        return self.read_range(url, 0, None)

    def delete(self, url: str) -> None:
        """Delete one object (missing objects are ignored)."""
        try:
            self._call("delete", url, lambda: self._delete(url))
        except FileNotFoundError:
            pass

    def delete_prefix(self, url: str) -> int:
        """Delete every object under the prefix ``url``; returns how many were deleted."""
        objects = self.list(url)
        for obj in objects:
            self.delete(obj.url)
        return len(objects)

    # ---------------------------------------------------------------- conditional writes (output locks)
    #: Whether `create_if_absent` and the ``*_if_version`` methods are atomic on this backend.
    supports_conditional_writes: ClassVar[bool] = False

    def create_if_absent(self, url: str, data: bytes) -> str | None:
        """Create the object ``url`` only if none exists (one atomic request); its version tag, or None if it exists."""
        raise NotImplementedError(f"{type(self).__name__} has no conditional writes.")

    def read_versioned(self, url: str) -> tuple[bytes, str] | None:
        """The object's bytes and version tag, or None if it does not exist."""
        raise NotImplementedError(f"{type(self).__name__} has no conditional writes.")

    def replace_if_version(self, url: str, data: bytes, version: str) -> str | None:
        """Overwrite ``url`` only if it still has ``version``; the new version tag, or None if it changed."""
        raise NotImplementedError(f"{type(self).__name__} has no conditional writes.")

    def delete_if_version(self, url: str, version: str) -> bool:
        """Delete ``url`` only if it still has ``version``; whether it was deleted."""
        raise NotImplementedError(f"{type(self).__name__} has no conditional writes.")

    def __getstate__(self) -> dict[str, Any]:
        """Clients are rebuilt lazily after unpickling (e.g. in DataLoader workers)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_client")}


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": .")  # callers end the sentence
