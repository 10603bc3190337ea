"""Samples with a column of every MosaicML MDS encoding, and what StreamingDataset must give back for them."""

from __future__ import annotations

import io
from decimal import Decimal

import media_samples as samples
import numpy as np
import torch
from PIL import Image

COLUMNS = {
    "id": "int",
    "name": "str",
    "blob": "bytes",
    "vector": "ndarray",  # dtype and shape stored per sample
    "grid": "ndarray:int16:2,3",  # both fixed: a fixed-size column
    "ragged": "ndarray:float32",  # fixed dtype, shape per sample
    "pixels": "ndarray:uint8:4",
    "pil": "pil",
    "jpeg": "jpeg",
    "png": "png",
    "meta": "json",
    "score": "float32",
    "small": "uint8",
    "big": "int64",
    "extra": "pkl",
    "count": "str_int",
    "ratio": "str_float",
    "price": "str_decimal",
    "pils": "list[pil]",
    "jpegs": "list[jpeg]",
    "pngs": "list[png]",
    "frames": "jpeg_array",
}


def image(i: int) -> Image.Image:
    return Image.fromarray(samples.rgb(seed=i))


def jpeg_bytes(i: int) -> bytes:
    """What MosaicML's writer stores for ``image(i)`` (Pillow's default JPEG settings)."""
    buffer = io.BytesIO()
    image(i).save(buffer, format="JPEG")
    return buffer.getvalue()


def chw(data: bytes) -> torch.Tensor:
    """An encoded image as LitData gives JPEGs back: a (3, H, W) uint8 tensor."""
    return torch.from_numpy(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).transpose(2, 0, 1).copy())


def sample(i: int) -> dict:
    """Sample ``i``: variable-size columns grow with ``i`` (a 0-byte ``blob`` at ``i == 0``; MosaicML refuses empty arrays)."""
    return {
        "id": i - 3,
        "name": f"sample-{i} é",
        "blob": bytes([i]) * i,
        "vector": np.arange(i + 1, dtype=np.float64) if i % 2 else np.full((2, i + 1), i, np.int32),
        "grid": np.full((2, 3), -i, np.int16),
        "ragged": np.arange(i * 2 + 2, dtype=np.float32).reshape(i + 1, 2),
        "pixels": np.arange(4, dtype=np.uint8) + i,
        "pil": image(i),
        "jpeg": image(i),
        "png": image(i + 1),
        "meta": {"tags": ["a", str(i)], "ok": i % 2 == 0, "nested": {"n": i}},
        "score": i / 4,
        "small": 250 + i % 6,
        "big": -(2**40) - i,
        "extra": ("tuple", i, {i}),
        "count": 10**12 + i,
        "ratio": i / 8,
        "price": Decimal(i) / 100,
        "pils": [image(i), image(i + 2)],
        "jpegs": [image(i)] * (i % 3 + 1),
        "pngs": [image(i + 3)],
        "frames": [jpeg_bytes(i), jpeg_bytes(i + 1)],
    }


def assert_streamed_as_written(got: dict, i: int) -> None:
    """``got`` is sample ``i`` read back: lossless columns equal, JPEGs as CHW tensors of the stored JPEG."""
    want = sample(i)
    assert got.keys() == want.keys()
    for key in ("id", "name", "blob", "meta", "extra", "count", "ratio", "price"):
        assert got[key] == want[key] and type(got[key]) is type(want[key]), key
    for key in ("vector", "grid", "ragged", "pixels"):
        assert got[key].dtype == want[key].dtype and got[key].shape == want[key].shape, key
        np.testing.assert_array_equal(got[key], want[key])
    assert (got["score"], got["small"], got["big"]) == (np.float32(i / 4), np.uint8(250 + i % 6), -(2**40) - i)
    assert (type(got["score"]), type(got["small"]), type(got["big"])) == (np.float32, np.uint8, np.int64)
    for key in ("pil", "png"):
        assert isinstance(got[key], Image.Image) and got[key].mode == "RGB", key
        assert np.array_equal(np.asarray(got[key]), np.asarray(want[key])), key
    for key in ("pils", "pngs"):
        assert [np.asarray(im).tolist() for im in got[key]] == [np.asarray(im).tolist() for im in want[key]], key
    assert torch.equal(got["jpeg"], chw(jpeg_bytes(i)))
    assert len(got["jpegs"]) == i % 3 + 1 and all(torch.equal(t, chw(jpeg_bytes(i))) for t in got["jpegs"])
    assert len(got["frames"]) == 2
    assert torch.equal(got["frames"][0], chw(jpeg_bytes(i))) and torch.equal(got["frames"][1], chw(jpeg_bytes(i + 1)))
