"""Module-level objects for the pickling tests: spawned workers import them by module name."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from litdata.processing.recipes import DataChunkRecipe, MapRecipe
from litdata.utilities.encryption import Encryption

_NONCE_BYTES = 12


class AesGcmEncryption(Encryption):
    """A custom scheme written as the `Encryption` docstring asks: it keeps its key as bytes and rebuilds the
    cryptography object (which cannot be pickled) when it is unpickled in a worker."""

    def __init__(self, key: bytes, level: str = "sample") -> None:
        self.level = level
        self.key = key
        self.cipher = AESGCM(key)

    @property
    def algorithm(self) -> str:
        return "aes-gcm"

    def encrypt(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self.cipher.encrypt(nonce, bytes(data), None)

    def decrypt(self, data: bytes) -> bytes:
        data = bytes(data)
        return self.cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], None)

    def save(self, file_path: str) -> None:
        with open(file_path, "wb") as file:
            file.write(self.key)

    @classmethod
    def load(cls, file_path: str, password: str) -> AesGcmEncryption:
        with open(file_path, "rb") as file:
            return cls(file.read())

    def __getstate__(self) -> dict[str, Any]:
        return {"level": self.level, "key": self.key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["key"], state["level"])  # type: ignore[misc]


def record(index: int) -> dict[str, Any]:
    """A sample with a secret string and an array, reproducible from its index."""
    return {"id": index, "secret": f"patient-{index}", "values": np.full(3, index, dtype=np.int64)}


def tokens(index: int) -> np.ndarray:
    return np.arange(index * 10, index * 10 + 10, dtype=np.int64)


def row_sums(frame: Any) -> dict[str, Any]:
    """Receives what a ParquetReader read (a pandas DataFrame) in a worker."""
    return {"rows": len(frame), "total": int(frame["value"].sum())}


class SquaresRecipe(DataChunkRecipe):
    def prepare_structure(self, input_dir: str | None) -> list[int]:
        return list(range(12))

    def prepare_item(self, item_metadata: int) -> tuple[int, int]:
        return item_metadata, item_metadata**2


class TextFilesRecipe(MapRecipe):
    def prepare_structure(self, input_dir: str | None) -> list[int]:
        return list(range(6))

    def prepare_item(self, item_metadata: int, output_dir: str, is_last: bool) -> None:
        with open(os.path.join(output_dir, f"{item_metadata}.txt"), "w") as file:
            file.write(str(item_metadata * 3))
