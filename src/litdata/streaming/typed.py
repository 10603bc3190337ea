"""Typed wrappers that pick a serializer explicitly for a leaf: kept importable here; they live in :mod:`litdata.types`."""

from litdata.types import File, Text

__all__ = ["File", "Text"]
