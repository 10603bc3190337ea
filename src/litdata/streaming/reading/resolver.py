"""`Dir`: where a dataset lives (a local path, a remote URL, or both), and how user input resolves to one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from litdata.constants import _INDEX_FILENAME

_REMOTE_PREFIXES = ("s3://", "gs://", "azure://", "r2://", "hf://", "local:")


class NotADatasetFolderError(FileNotFoundError, ValueError):
    """A dataset location that names a file (such as ``index.json``) instead of the dataset's folder."""


def check_dataset_location(location: str) -> None:
    """Refuse a path to ``index.json`` (or another file) given where the dataset's folder is expected."""
    remote = _is_remote(location) and not location.startswith("local:")
    path = location.rstrip("/")
    folder, name = path.rsplit("/", 1) if remote and "/" in path else os.path.split(path)
    if remote and name == _INDEX_FILENAME:
        raise NotADatasetFolderError(
            f"{location!r} is the dataset's index file, not its folder: pass the folder that holds it, {folder!r}."
        )
    if remote or not os.path.isfile(location) or name.endswith(".parquet"):  # a Parquet file selects itself
        return
    if name == _INDEX_FILENAME:
        raise NotADatasetFolderError(
            f"{location!r} is the dataset's index file, not its folder: pass the folder that holds it, {folder!r}."
        )
    hint = (
        f"; the dataset is its folder, {folder!r}"
        if os.path.isfile(os.path.join(folder, _INDEX_FILENAME))
        else "; pass the folder that holds index.json"
    )
    raise NotADatasetFolderError(f"{location!r} is a file, not a dataset folder{hint}.")


@dataclass
class Dir:
    """A dataset location: ``path`` is a local folder (data or cache), ``url`` the remote location, if any, and
    ``data_connection_id`` the Lightning AI data connection it belongs to (kept for LitData compatibility)."""

    path: str | None = None
    url: str | None = None
    data_connection_id: str | None = None


class CloudProvider(str, Enum):
    """Cloud of a Lightning AI cluster."""

    AWS = "aws"
    GCP = "gcp"


def _is_remote(path: str) -> bool:
    return path.startswith(_REMOTE_PREFIXES) or "://" in path


def _resolve_dir(dir_path: str | Path | Dir | None) -> Dir:
    """Turn a user-supplied location into a `Dir` (remote URLs keep ``path=None``)."""
    if isinstance(dir_path, Dir):
        return Dir(
            path=str(dir_path.path) if dir_path.path is not None else None,
            url=str(dir_path.url) if dir_path.url is not None else None,
            data_connection_id=dir_path.data_connection_id or None,
        )
    if dir_path is None:
        return Dir()
    if isinstance(dir_path, Path):
        dir_path = str(dir_path)
    if not isinstance(dir_path, str):
        raise TypeError(f"Expected a path string, a pathlib.Path or a Dir; got {type(dir_path).__name__}: {dir_path!r}")
    if _is_remote(dir_path):
        return Dir(path=None, url=dir_path.rstrip("/") if not dir_path.startswith("local:") else dir_path)
    path = os.path.abspath(os.path.expanduser(dir_path))
    if path.startswith("/teamspace/"):
        from litdata.streaming.reading.teamspace import is_platform_path, resolve_platform_path

        if is_platform_path(path):
            return Dir(path=resolve_platform_path(path), url=None)
    return Dir(path=os.path.realpath(path), url=None)  # symlinks resolved, as in LitData
