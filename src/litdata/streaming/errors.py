"""Exceptions that are two things at once: what LitData 0.2.76 raises, and what earlier versions of ours raised.

Each class subclasses both, so scripts written against either keep catching it.
"""

from __future__ import annotations


class LeafTypeChangedError(TypeError, ValueError):
    """A sample leaf's type differs from the type the first sample fixed for that leaf (0.2.76: ``TypeError``)."""


class EmptyDatasetError(ValueError, FileNotFoundError):
    """A dataset folder holds no dataset (0.2.76: ``ValueError``; a missing file: ``FileNotFoundError``)."""
