"""Turn raw inputs into optimized datasets (`optimize`) or files (`map`) with worker processes."""

from litdata.processing.functions import map, merge_datasets, optimize, walk

__all__ = ["map", "merge_datasets", "optimize", "walk"]
