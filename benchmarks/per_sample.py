"""The per-sample path of the streaming rows: a custom ``collate_fn`` and a ``transform``, the same for every library.

Either one makes a loader hand each sample to user code (no whole-batch shortcut is possible): most real image and
text pipelines look like this. Both work on the 100 KB array samples (``{"index": int, "array": float64 array}``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def stack_collate(samples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """A user's collate: stack the arrays with numpy, then one tensor per key."""
    arrays = np.stack([sample["array"] for sample in samples])
    return {"index": torch.tensor([int(sample["index"]) for sample in samples]), "array": torch.from_numpy(arrays)}


def to_tensor(sample: dict[str, Any]) -> dict[str, Any]:
    """A user's transform: the array as a tensor (as torchvision's ``ToTensor`` would), then the default collate."""
    return {"index": sample["index"], "array": torch.as_tensor(sample["array"])}


PATHS = ("batch", "collate", "transform")
