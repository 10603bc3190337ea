"""Where `optimize`/`map` results go. The one place that knows the output is a local folder.

A storage backend for remote outputs plugs in by providing another class with the same methods from
`resolve_output`; the processing code never looks at URL schemes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from litdata.streaming.writer import write_index_atomic


class LocalOutput:
    """An output folder on the local (or a shared, mounted) filesystem.

    Writers put chunk files directly into it (they write under a temporary name and rename), so publishing a
    chunk is free; files produced by `map` are moved in.
    """

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))

    @property
    def staging_dir(self) -> str:
        """Folder in which writers create chunk and per-writer index files."""
        return self.path

    def ensure_exists(self) -> None:
        os.makedirs(self.path, exist_ok=True)

    def join(self, name: str) -> str:
        return os.path.join(self.path, name)

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


def resolve_output(output_dir: Any) -> LocalOutput:
    """Turn the user's ``output_dir`` into an output target; remote URLs are refused for now."""
    location = _as_location(output_dir)
    if location.startswith("local:"):
        location = location[len("local:") :]
    if "://" in location:
        raise ValueError(
            f"Writing to a remote output_dir ({location}) is not supported yet; only local folders are. "
            "Write to a local folder and upload it, or mount the bucket and pass the mounted path."
        )
    return LocalOutput(location)
