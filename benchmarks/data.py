"""The benchmark inputs: generated once per run, read by every library's writer.

Only numpy and Pillow are needed, so this module imports in our venv and in the peers' venv alike.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

ARRAY_FLOATS = 100 * 1024 // 8  # one 100 KB float64 array per sample
SMALL_BYTES = 1024  # one 1 KB uint8 array per sample
IMAGE_SIDE = 64
VOCAB = 50_000
DOC_TOKENS = (200, 4000)  # document lengths, uniform
BLOCK_SIZE = 2049


@dataclass
class Sizes:
    """How much data each workload uses (see benchmarks/README.md for why these sizes)."""

    images: int = 4000
    arrays: int = 3000
    small: int = 10_000
    tokens: int = 10_000_000
    s3_arrays: int = 1500
    optimize_small: int = 2000  # the optimize rows: JPEG files and token documents written, at two sizes
    optimize_large: int = 20_000

    def scaled(self, factor: float) -> Sizes:
        return Sizes(**{name: max(64, int(value * factor)) for name, value in asdict(self).items()})


def image_path(root: str, index: int) -> str:
    return os.path.join(root, "images", f"{index:06d}.jpg")


def generate(root: str, sizes: Sizes) -> dict:
    """Write the raw inputs under ``root`` and return a manifest (also saved as ``root/manifest.json``)."""
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    ramp = np.linspace(0, 200, IMAGE_SIDE, dtype=np.float32)
    for index in range(max(sizes.images, sizes.optimize_large)):
        noise = rng.integers(0, 56, (IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
        pixels = (ramp[None, :, None] + ramp[:, None, None] * (index % 2) + noise).clip(0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(image_path(root, index), quality=90)
    np.save(os.path.join(root, "arrays.npy"), rng.random((sizes.arrays, ARRAY_FLOATS)))
    np.save(os.path.join(root, "s3_arrays.npy"), rng.random((sizes.s3_arrays, ARRAY_FLOATS)))
    np.save(os.path.join(root, "small.npy"), rng.integers(0, 256, (sizes.small, SMALL_BYTES), dtype=np.uint8))
    lengths = []
    while sum(lengths) < sizes.tokens:
        lengths.append(int(rng.integers(*DOC_TOKENS)))
    lengths[-1] -= sum(lengths) - sizes.tokens
    np.save(os.path.join(root, "tokens.npy"), rng.integers(0, VOCAB, sizes.tokens, dtype=np.int32))
    np.save(os.path.join(root, "doc_offsets.npy"), np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
    manifest = {"root": root, "sizes": asdict(sizes)}
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


class Source:
    """Random access to the raw inputs, the same for every writer (memory-mapped, picklable)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._arrays: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {"root": self.root, "_arrays": {}}

    def array(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            self._arrays[name] = np.load(os.path.join(self.root, f"{name}.npy"), mmap_mode="r")
        return self._arrays[name]

    def count(self, kind: str) -> int:
        """How many items of ``kind`` the streaming workloads use (the optimize rows may ask for more, see below)."""
        if kind == "images":
            with open(os.path.join(self.root, "manifest.json")) as f:
                return json.load(f)["sizes"]["images"]
        if kind == "tokens":
            return len(self.array("doc_offsets")) - 1
        return len(self.array(kind))

    def image(self, index: int) -> Image.Image:
        """The JPEG file itself, opened lazily: writers that know JPEG store its bytes as they are."""
        return Image.open(image_path(self.root, index))

    def image_bytes(self, index: int) -> bytes:
        with open(image_path(self.root, index), "rb") as f:
            return f.read()

    def label(self, index: int) -> int:
        return index % 10

    def row(self, kind: str, index: int) -> np.ndarray:
        return np.array(self.array(kind)[index])

    def document(self, index: int) -> np.ndarray:
        """Document ``index``; past the last one the documents repeat (the optimize rows write up to
        ``Sizes.optimize_large`` of them, more than the token stream holds)."""
        offsets = self.array("doc_offsets")
        index %= len(offsets) - 1
        return np.array(self.array("tokens")[offsets[index] : offsets[index + 1]])

    def blocks(self) -> np.ndarray:
        """The token stream cut into whole ``BLOCK_SIZE`` blocks (what TokensLoader serves), shape (n, BLOCK_SIZE)."""
        tokens = self.array("tokens")
        count = len(tokens) // BLOCK_SIZE
        return np.asarray(tokens[: count * BLOCK_SIZE]).reshape(count, BLOCK_SIZE)


class Sample:
    """``fn`` of litdata's ``optimize``: one input index to one sample.

    It lives here, away from torch, because ``optimize`` starts its workers with ``spawn``: they import the module
    of ``fn``, and a module that imports torch would add its import time (about 2 s here) to every run.
    """

    def __init__(self, source: Source, kind: str) -> None:
        self.source, self.kind = source, kind

    def __call__(self, index: int) -> Any:
        if self.kind == "images":
            return {"index": index, "image": self.source.image(index), "class": self.source.label(index)}
        if self.kind == "tokens":
            return self.source.document(index)
        key = "data" if self.kind == "small" else "array"
        return {"index": index, key: self.source.row(self.kind, index)}


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG bytes to an HWC uint8 RGB array with Pillow (what every library's JPEG decode reduces to here)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))
