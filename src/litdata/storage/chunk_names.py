"""Chunk file names come from ``index.json``, which may come from anyone: they must name a plain file.

A name with a path separator, ``..``, an absolute path, a drive, NUL or a line break could make a reader read
outside the dataset, or make the cache write or delete a file anywhere. These checks run before any I/O.
"""

from __future__ import annotations

import os

_FORBIDDEN = ("/", "\\", "\x00", "\n", "\r")


def check_chunk_name(name: object, where: str) -> str:
    """``name`` if it is a plain file name; else a ValueError that says where it came from (``where``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"The chunk filename {name!r} in {where} is not a file name (expected e.g. 'chunk-0-0.bin').")
    bad = [c for c in _FORBIDDEN if c in name]
    if bad or name in (".", "..") or os.path.isabs(name) or ":" in name[:2]:
        raise ValueError(
            f"The chunk filename {name!r} in {where} is not a plain file name (it contains a path separator, '..', "
            "an absolute path, NUL or a line break). The index is corrupt or was crafted to reach files outside the "
            "dataset; nothing was read or written. Only open datasets from sources you trust, or re-run optimize."
        )
    return name


def check_index_chunks(chunks: list, where: str) -> None:
    """Check the ``filename`` of every chunk entry of an index."""
    for chunk in chunks:
        check_chunk_name(chunk.get("filename") if isinstance(chunk, dict) else chunk, where)


def path_inside(folder: str, name: object) -> str:
    """``folder/name`` after checking that ``name`` is a plain file name and the path resolves inside ``folder``
    (symbolic links included)."""
    path = os.path.join(folder, check_chunk_name(name, folder))
    root = os.path.realpath(folder)
    if os.path.dirname(os.path.realpath(path)) != root:
        raise ValueError(
            f"The cache path {path!r} resolves to {os.path.realpath(path)!r}, outside the cache folder {root!r} (a "
            "symbolic link?); nothing was written or deleted. Remove the link or use another cache_dir."
        )
    return path
