"""Where `optimize`/`map` results go. The one place that knows the output is a local folder.

A storage backend for remote outputs plugs in by providing another class with the same methods from
`resolve_output`; the processing code never looks at URL schemes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import litdata.settings as settings
from litdata.format.writer import write_index_atomic

if TYPE_CHECKING:
    from litdata.storage import Storage

_UPLOAD_THREADS = 4

UploadListener = Callable[[int, int], None]  # (bytes handed over for upload, bytes uploaded)


class LocalOutput:
    """An output folder on the local (or a shared, mounted) filesystem.

    Writers put chunk files directly into it (they write under a temporary name and rename), so publishing a
    chunk is free; files produced by `map` are moved in.
    """

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self._run_dir: str | None = None

    @property
    def staging_dir(self) -> str:
        """Folder in which writers create chunk and per-writer index files (the run's own, see `begin_run`)."""
        return self._run_dir or self.path

    @property
    def staging_root(self) -> str:
        """Where the runs' staging folders live (see `litdata.processing.staging`)."""
        from litdata.processing.staging import STAGING_DIR

        return os.path.join(self.path, STAGING_DIR)

    def begin_run(self, run_dir: str) -> None:
        """Stage this run's files in ``run_dir``."""
        os.makedirs(run_dir, exist_ok=True)
        self._run_dir = run_dir

    def end_run(self) -> None:
        """Drop the run's staging folder."""
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
        self._run_dir = None

    def ensure_exists(self) -> None:
        os.makedirs(self.path, exist_ok=True)

    def join(self, name: str) -> str:
        return os.path.join(self.path, name)

    def local_path(self, name: str) -> str:
        """A local file holding the output's ``name`` (the file itself for a local output)."""
        return self.join(name)

    def put_file(self, local_path: str, name: str) -> None:
        """Copy a local file into the output as ``name``."""
        target = self.join(name)
        tmp = f"{target}.tmp-{os.getpid()}"
        shutil.copyfile(local_path, tmp)
        os.replace(tmp, target)

    def publish_chunk(self, path: str) -> None:
        """A writer finished the chunk file ``path`` in ``staging_dir``: move it into the output (one rename)."""
        target = self.join(os.path.basename(path))
        if os.path.abspath(path) != target:
            os.replace(path, target)

    def flush(self) -> None:
        """Wait until every published file has reached the output."""

    def watch_uploads(self, listener: UploadListener | None) -> None:
        """Nothing is uploaded to a local folder: ``listener`` is never called."""

    def exists(self, name: str) -> bool:
        return os.path.exists(self.join(name))

    def list_names(self) -> list[str]:
        """Names of the entries at the top of the output folder."""
        return os.listdir(self.path) if os.path.isdir(self.path) else []

    def is_empty(self) -> bool:
        return not self.list_names()

    def read_json(self, name: str) -> dict[str, Any] | None:
        """The parsed JSON file ``name``, or None if it does not exist."""
        try:
            with open(self.join(name)) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def write_json(self, name: str, payload: dict[str, Any]) -> None:
        """Write ``name`` atomically (temporary file, then rename), creating its folder if needed."""
        target = self.join(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_index_atomic(payload, target)

    def remove(self, name: str) -> None:
        """Delete a file or a folder; missing entries are ignored."""
        target = self.join(name)
        if os.path.isdir(target):
            shutil.rmtree(target, ignore_errors=True)
        else:
            try:
                os.remove(target)
            except FileNotFoundError:
                pass

    def publish_tree(self, local_dir: str) -> None:
        """Move every file under ``local_dir`` into the output, keeping relative paths; ``local_dir`` ends empty."""
        for root, _, files in os.walk(local_dir):
            relative_root = os.path.relpath(root, local_dir)
            destination_root = self.path if relative_root == "." else os.path.join(self.path, relative_root)
            if files:
                os.makedirs(destination_root, exist_ok=True)
            for name in files:
                shutil.move(os.path.join(root, name), os.path.join(destination_root, name))
        for entry in os.listdir(local_dir):
            shutil.rmtree(os.path.join(local_dir, entry), ignore_errors=True)


def _as_location(output_dir: Any) -> str:
    if isinstance(output_dir, Path):
        return str(output_dir)
    if isinstance(output_dir, str):
        return output_dir
    url, path = getattr(output_dir, "url", None), getattr(output_dir, "path", None)
    if url or path:
        return str(url or path)
    raise TypeError(f"output_dir must be a path string, a pathlib.Path or a Dir; got {output_dir!r}.")


class RemoteOutput:
    """An output prefix in object storage (``s3://``, ``gs://``, ``azure://``, ``r2://``...).

    Writers fill a local staging folder; every finished chunk is uploaded in the background while the worker goes on
    (then deleted locally), and JSON files (indexes, checkpoints) are uploaded as single objects, the index last.
    """

    def __init__(self, url: str, storage_options: dict | None = None) -> None:
        from litdata.storage import get_storage

        self.path = url.rstrip("/")
        self._storage_options = storage_options or {}
        get_storage(self.path, self._storage_options)  # unknown schemes fail here, before any worker starts
        digest = hashlib.md5(self.path.encode()).hexdigest()
        root = settings.OPTIMIZER_CACHE_FOLDER.get() or os.path.join(tempfile.gettempdir(), "litdata-staging")
        self._root = os.path.join(root, digest)
        self._staging = self._root
        self._storage_client: Storage | None = None
        self._uploads: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []
        self._listener: UploadListener | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_storage_client=None, _uploads=None, _pending=[], _listener=None)
        return state

    def watch_uploads(self, listener: UploadListener | None) -> None:
        """Have ``listener(queued_bytes, uploaded_bytes)`` called when a file is handed over for upload (from the
        caller's thread) and when its upload finished (possibly from an upload thread)."""
        self._listener = listener

    def _announce(self, path: str) -> None:
        if self._listener is not None:
            self._listener(os.path.getsize(path), 0)

    def _upload(self, path: str, name: str) -> None:
        size = os.path.getsize(path) if self._listener is not None else 0
        self._storage.upload_file(path, self.join(name))
        if self._listener is not None:
            self._listener(0, size)

    @property
    def _storage(self) -> Any:
        if self._storage_client is None:
            from litdata.storage import get_storage

            self._storage_client = get_storage(self.path, self._storage_options)
        return self._storage_client

    @property
    def storage(self) -> Any:
        """The storage client of the output's backend."""
        return self._storage

    @property
    def staging_dir(self) -> str:
        return self._staging

    @property
    def staging_root(self) -> str:
        return self._root

    def begin_run(self, run_dir: str) -> None:
        os.makedirs(run_dir, exist_ok=True)
        self._staging = run_dir

    def end_run(self) -> None:
        if self._staging != self._root:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging = self._root

    def ensure_exists(self) -> None:
        os.makedirs(self._staging, exist_ok=True)

    def join(self, name: str) -> str:
        return f"{self.path}/{name}"

    def local_path(self, name: str) -> str:
        target = os.path.join(self._staging, "downloads", name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        self._storage.download_file(self.join(name), target)
        return target

    def exists(self, name: str) -> bool:
        return self._storage.exists(self.join(name))

    def list_names(self) -> list[str]:
        """Names of the entries at the top of the output prefix (files, and folders once each)."""
        names = set()
        for info in self._storage.list(self.path + "/"):
            relative = info.url[len(self.path) + 1 :]
            names.add(relative.split("/", 1)[0])
        return sorted(names)

    def is_empty(self) -> bool:
        return not self.list_names()

    def read_json(self, name: str) -> dict[str, Any] | None:
        if not self.exists(name):
            return None
        return json.loads(self._storage.read_bytes(self.join(name)))

    def write_json(self, name: str, payload: dict[str, Any]) -> None:
        local = os.path.join(self._staging, "json", name)
        os.makedirs(os.path.dirname(local), exist_ok=True)
        write_index_atomic(payload, local)
        self._storage.upload_file(local, self.join(name))
        os.remove(local)

    def remove(self, name: str) -> None:
        target = self.join(name)
        if self._storage.exists(target):
            self._storage.delete(target)
        else:
            self._storage.delete_prefix(target + "/")

    def put_file(self, local_path: str, name: str) -> None:
        self._storage.upload_file(local_path, self.join(name))

    def publish_chunk(self, path: str) -> None:
        if self._uploads is None:
            self._uploads = ThreadPoolExecutor(_UPLOAD_THREADS, thread_name_prefix="litdata-upload")
        self._announce(path)
        self._pending.append(self._uploads.submit(self._upload_and_remove, path, os.path.basename(path)))

    def _upload_and_remove(self, path: str, name: str) -> None:
        self._upload(path, name)
        os.remove(path)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()  # re-raises an upload error in the worker, which reports it with its input
        if self._uploads is not None:
            self._uploads.shutdown()
            self._uploads = None

    def publish_tree(self, local_dir: str) -> None:
        """Upload every file under ``local_dir`` keeping relative paths; ``local_dir`` ends empty."""
        for root, _, files in os.walk(local_dir):
            for name in files:
                path = os.path.join(root, name)
                self._announce(path)
                self._upload(path, os.path.relpath(path, local_dir))
        for entry in os.listdir(local_dir):
            target = os.path.join(local_dir, entry)
            shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)


Output = LocalOutput | RemoteOutput  # the same interface, on a local folder or an object-storage prefix


def resolve_output(output_dir: Any, storage_options: dict | None = None) -> Output:
    """Turn the user's ``output_dir`` into an output target: a local folder or an object-storage prefix."""
    location = _as_location(output_dir)
    if location.startswith("local:"):
        location = location[len("local:") :]
    if "://" in location:
        return RemoteOutput(location, storage_options)
    return LocalOutput(location)
