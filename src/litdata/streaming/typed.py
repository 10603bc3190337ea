"""Typed wrappers that pick a serializer explicitly for a leaf (``Text(text=...)``, ``File(path=...)``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["File", "Text"]


def _require_one_source(wrapper: str, **sources: object) -> None:
    given = [name for name, value in sources.items() if value is not None]
    if len(given) != 1:
        names = ", ".join(f"{name}=" for name in sources)
        raise ValueError(f"{wrapper} needs exactly one of {names} (got {len(given)}: {given}).")


def _read_file(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


@dataclass
class Text:
    """A text leaf stored as UTF-8 (format ``text``) and read back as ``str``.

    Give exactly one source: ``text`` (a ``str``), ``bytes`` (UTF-8 encoded) or ``path`` (a text file to embed).
    """

    path: str | None = None
    bytes: bytes | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        _require_one_source("Text", path=self.path, bytes=self.bytes, text=self.text)

    def encoded(self) -> bytes:
        """The UTF-8 bytes to store."""
        if self.text is not None:
            return self.text.encode("utf-8")
        if self.bytes is not None:
            return self.bytes
        return _read_file(self.path)  # type: ignore[arg-type]


@dataclass
class File:
    """An opaque file leaf stored as raw bytes (format ``file:{ext}``, or ``file`` without a path) and read as bytes.

    Give exactly one source: ``path`` (a file to embed; its extension names the format) or ``bytes``.
    """

    path: str | None = None
    bytes: bytes | None = None

    def __post_init__(self) -> None:
        _require_one_source("File", path=self.path, bytes=self.bytes)

    def content(self) -> bytes:
        """The bytes to store."""
        return self.bytes if self.bytes is not None else _read_file(self.path)  # type: ignore[arg-type]

    def extension(self) -> str:
        """The file extension without the dot (``""`` for in-memory bytes or a path without one)."""
        return os.path.splitext(self.path)[1].lstrip(".") if self.path is not None else ""
