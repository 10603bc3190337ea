"""Sample functions shared by the compatibility tests (importable by spawned optimize workers)."""

import numpy as np
import torch
from PIL import Image


def pair(i):
    return (i, i * i)


def mixed(i):
    rng = np.random.default_rng(i)
    return {
        "index": i,
        "name": f"sample-{i}" + "x" * (i % 7),
        "score": float(rng.random()),
        "flag": bool(i % 2),
        "blob": rng.bytes(1 + i % 9),
        "mat": rng.standard_normal((2, 3)).astype(np.float32),
        "vec": rng.integers(0, 1000, 3 + i % 4),
        "t2": torch.from_numpy(rng.standard_normal((2, 2)).astype(np.float32)),
        "t1": torch.arange(i % 5 + 1, dtype=torch.int32),
        "meta": {"nested": [i, i + 1], "none": None},
    }


def tensors(i):
    return {
        "cube": torch.arange(24, dtype=torch.float64).reshape(2, 3, 4) + i,
        "scalar": torch.tensor(i, dtype=torch.int64),
        "half": torch.ones(3, 2, dtype=torch.float16) * i,
        "label": i,
    }


def images(i):
    rng = np.random.default_rng(i)
    rgb = Image.fromarray(rng.integers(0, 256, (8, 6, 3), dtype=np.uint8))
    gray = Image.fromarray(rng.integers(0, 256, (4, 7), dtype=np.uint8))
    return {"rgb": rgb, "gray": gray, "label": i % 10}


def evens(i):
    if i % 2 == 0:
        yield (i, str(i))


def tokens(i):
    rng = np.random.default_rng(i)
    return rng.integers(0, 30000, 100 + 37 * (i % 5)).astype(np.int32)


def tokens_tensor(i):
    return torch.arange(i, i + 90, dtype=torch.int64)
