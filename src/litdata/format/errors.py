"""Exceptions that are two things at once: what LitData 0.2.76 raises, and what earlier versions of ours raised.

Each class subclasses both, so scripts written against either keep catching it.
"""

from __future__ import annotations


class SampleStructureError(ValueError, TypeError):
    """A sample whose structure (dict keys, nesting, number or types of leaves) differs from the first sample's."""


class LeafTypeChangedError(SampleStructureError):
    """A sample leaf's type differs from the type the first sample fixed for that leaf (0.2.76: ``TypeError``)."""


class EmptyDatasetError(ValueError, FileNotFoundError):
    """A dataset folder holds no dataset (0.2.76: ``ValueError``; a missing file: ``FileNotFoundError``)."""


def not_corruption(error: BaseException) -> BaseException:
    """Mark ``error`` as the caller's mistake (e.g. a missing key), which chunk decoding re-raises as it is instead of
    reporting the chunk as corrupted."""
    error.not_corruption = True  # type: ignore[attr-defined]
    return error


def is_not_corruption(error: BaseException) -> bool:
    return getattr(error, "not_corruption", False) is True
