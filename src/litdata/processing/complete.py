"""`complete_dataset` and `is_complete_dataset` at LitData's import path."""

from litdata.streaming.datasets.complete import complete_dataset, is_complete_dataset

__all__ = ["complete_dataset", "is_complete_dataset"]
