"""Windows of frames (``[start, start + frames)`` along axis 0) read from records of flat dictionaries of arrays:
`StreamingDataset.read_window` / ``aread_window``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def check_window_request(index: Any, start: Any, frames: Any, max_concurrent_reads: Any) -> None:
    """The argument checks of a window read (TypeError / IndexError / ValueError, as in LitData)."""
    for name, value in (("index", index), ("start", start), ("frames", frames)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an integer.")
    if index < 0 or start < 0 or frames < 1:
        raise IndexError("index/start must be nonnegative and frames must be positive.")
    if not isinstance(max_concurrent_reads, int) or isinstance(max_concurrent_reads, bool) or max_concurrent_reads < 1:
        raise ValueError("max_concurrent_reads must be a positive integer.")


def _selected(record: Any, fields: Sequence[str] | None) -> list[str]:
    if not isinstance(record, Mapping) or any(isinstance(v, Mapping | list | tuple) for v in record.values()):
        raise ValueError("Window reads require a flat dictionary of named array fields.")
    if any(not isinstance(name, str) for name in record):
        raise ValueError("Window field names must be strings.")
    if fields is None:
        return list(record)
    if isinstance(fields, str):
        raise TypeError("fields must be a sequence of field names, not a string.")
    names = list(fields)
    if len(set(names)) != len(names):
        raise ValueError("Duplicate requested fields.")
    for name in names:
        if name not in record:
            raise KeyError(name)
    return names


def _is_array(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim >= 1 and (value.dtype.kind in "biufc")
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return False
    return isinstance(value, torch.Tensor) and value.ndim >= 1 and value.device.type == "cpu"


def cut_window(record: Any, start: int, frames: int, fields: Sequence[str] | None) -> dict[str, Any]:
    """Frames ``[start, start + frames)`` of the selected fields of ``record``, as independent, writable copies."""
    names = _selected(record, fields)
    if not names:
        return {}
    for name in names:
        if not _is_array(record[name]):
            raise ValueError(f"Field {name!r} is not a fixed-width NumPy array or tensor.")
    lengths = {int(record[name].shape[0]) for name in names}
    if len(lengths) != 1:
        raise ValueError("Selected fields must share the same frame-axis length.")
    if start + frames > lengths.pop():
        raise IndexError("Window is outside the record.")
    return {
        name: record[name][start : start + frames].clone()
        if hasattr(record[name], "clone")
        else np.array(record[name][start : start + frames])
        for name in names
    }
