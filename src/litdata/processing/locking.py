"""One `optimize` run at a time per output (and per node): an exclusive lock taken before anything is written.

- Local and shared file systems: ``{output}/.litdata-lock-node{rank}``, held with ``flock`` while the run lasts. The
  kernel releases it when the process dies, so a killed run never blocks the next one.
- Object stores with conditional writes (S3 and R2 with ``If-None-Match``, GCS with ``ifGenerationMatch=0``, Azure
  with ``If-None-Match``): the lock object ``{output}/.litdata-lock-node{rank}`` is created only if absent, so only
  one run can create it. The run refreshes it every few seconds; a lock that was
  not refreshed for ``LITDATA_OUTPUT_LOCK_TTL`` seconds (default 60) belongs to a dead run and is taken over.
- Other object stores: no atomic create, so no lock (a warning says so).

Nodes of one multi-node run hold different locks (one per node rank); a second run on any node is refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import litdata.settings as settings

logger = logging.getLogger("litdata.processing")

ENV_LOCK_TTL = settings.OUTPUT_LOCK_TTL.name


class OutputLockedError(RuntimeError):
    """Another run is writing into the same output."""


def lock_name(node_rank: int) -> str:
    return f".litdata-lock-node{node_rank}"


def _holder() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}


def _describe(raw: bytes | str) -> str:
    try:
        info = json.loads(raw)
        return f"pid {info['pid']} on {info['host']}, started {time.ctime(info['started'])}"
    except (ValueError, KeyError, TypeError):
        return "another run"


def _locked_error(target: str, who: str, extra: str = "") -> OutputLockedError:
    return OutputLockedError(
        f"Another optimize run ({who}) is writing into {target}: two runs into one output_dir would mix their "
        f"samples. Wait for it to finish, or write into another output_dir.{extra}"
    )


@contextlib.contextmanager
def _local_lock(folder: str, node_rank: int) -> Iterator[None]:
    path = os.path.join(folder, lock_name(node_rank))
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                logger.warning("%s does not support file locks: concurrent optimize runs are not detected.", folder)
                yield
                return
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            try:
                with open(path) as f:
                    who = _describe(f.read())
            except FileNotFoundError:
                continue  # released and removed meanwhile: try again
            raise _locked_error(folder, who) from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break  # the lock file we hold is still the one at `path`
        except FileNotFoundError:
            pass
        os.close(fd)  # removed by the previous holder between our open and flock: take the new file
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_holder()).encode())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        os.close(fd)


def _lock_ttl() -> float:
    return settings.OUTPUT_LOCK_TTL.get()


class _RemoteLock:
    """A lock object kept alive by a heartbeat thread (see the module docstring)."""

    def __init__(self, storage: Any, url: str) -> None:
        self._storage = storage
        self._url = url
        self._ttl = _lock_ttl()
        self._version: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _payload(self) -> bytes:
        return json.dumps({**_holder(), "refreshed": time.time(), "ttl": self._ttl}).encode()

    def acquire(self) -> None:
        for _ in range(3):
            self._version = self._storage.create_if_absent(self._url, self._payload())
            if self._version is not None:
                break
            current = self._storage.read_versioned(self._url)
            if current is None:
                continue  # released meanwhile
            raw, version = current
            ttl = self._holder_ttl(raw)
            if ttl is not None and time.time() - json.loads(raw)["refreshed"] <= ttl:
                raise _locked_error(
                    self._url.rsplit("/", 1)[0],
                    _describe(raw),
                    f" If no run is active (it was killed), the lock {self._url} expires {ttl:g}s after its last "
                    f"refresh (the holder's {ENV_LOCK_TTL}), or delete it.",
                )
            logger.warning("Taking over the expired lock %s (%s)", self._url, _describe(raw))
            self._storage.delete_if_version(self._url, version)
        else:
            raise _locked_error(self._url.rsplit("/", 1)[0], "another run")
        self._thread = threading.Thread(target=self._refresh, name="litdata-output-lock", daemon=True)
        self._thread.start()

    def _holder_ttl(self, raw: bytes) -> float | None:
        """The holder's time-to-live in seconds; None for an unreadable lock object (taken over)."""
        try:
            info = json.loads(raw)
            float(info["refreshed"])
            return float(info.get("ttl", self._ttl))
        except (ValueError, KeyError, TypeError):
            return None

    def _refresh(self) -> None:
        while not self._stop.wait(self._ttl / 4):
            try:
                version = self._storage.replace_if_version(self._url, self._payload(), self._version)
            except Exception as error:  # a transient outage: try again at the next beat
                logger.warning("Could not refresh the output lock %s: %s", self._url, error)
                continue
            if version is None:
                logger.error("The output lock %s was taken by another run: this run's output may be mixed.", self._url)
                return
            self._version = version

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._version is not None:
            with contextlib.suppress(Exception):
                self._storage.delete_if_version(self._url, self._version)


@contextlib.contextmanager
def output_lock(output: Any, node_rank: int) -> Iterator[None]:
    """Hold the exclusive lock of ``output`` (a `LocalOutput` or `RemoteOutput`) for this node while the block runs;
    `OutputLockedError` if another run holds it."""
    storage = getattr(output, "storage", None)
    if storage is None:
        output.ensure_exists()
        with _local_lock(output.path, node_rank):
            yield
        return
    if not storage.supports_conditional_writes:
        logger.warning(
            "%s cannot create objects atomically: concurrent optimize runs into %s are not detected.",
            type(storage).__name__,
            output.path,
        )
        yield
        return
    lock = _RemoteLock(storage, output.join(lock_name(node_rank)))
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
