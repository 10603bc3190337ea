"""Turn raw inputs into optimized datasets (`optimize`) or files (`map`) with worker processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["map", "merge_datasets", "optimize", "walk"]


def __getattr__(name: str) -> Any:
    # Imported on first use: worker processes import litdata.processing.workers without the public functions.
    if name in __all__:
        from litdata.processing import functions

        return getattr(functions, name)
    raise AttributeError(f"module 'litdata.processing' has no attribute {name!r}")


if TYPE_CHECKING:
    from litdata.processing.functions import map, merge_datasets, optimize, walk
