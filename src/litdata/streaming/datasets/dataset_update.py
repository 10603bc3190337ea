"""`dataset_update`: replace samples of a keyed, optimized dataset in place (``update[key] = sample``)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from typing import Any

from litdata.constants import _INDEX_FILENAME
from litdata.format.checksums import CHECKSUM_KEY, chunk_checksum
from litdata.format.config import load_index_file
from litdata.format.writer import BinaryWriter, write_index_atomic
from litdata.streaming.datasets.keys_index import KEYS_DIRNAME, KeyLookup, has_keys_store, normalize_key
from litdata.streaming.reading.resolver import _resolve_dir
from litdata.streaming.reading.sampler import ChunkedIndex
from litdata.streaming.reading.sources import ChunkSource

_CHUNK_NAME = re.compile(r"^chunk-(?P<rank>\d+)-(?P<number>\d+)(?:-u\d+)?(?:\.(?P<compression>[^.]+))?\.bin$")


def dataset_update(input_dir: str) -> DatasetUpdate:
    """Open an update session on a local keyed dataset (written with ``optimize(..., key_fn=...)`` or indexed with
    `build_keys_index`)::

        with dataset_update("optimized_data") as update:
            update["sample-id"] = {"x": 1, "y": 2}
            update.commit()
    """
    return DatasetUpdate(input_dir)


class DatasetUpdate:
    """Staged replacements of whole samples, by key. `commit` rewrites the chunks holding them (each file atomically)
    and then ``index.json``; leaving the ``with`` block without `commit` drops what was staged."""

    def __init__(self, input_dir: str) -> None:
        resolved = _resolve_dir(input_dir)
        if resolved.path is None or not os.path.isdir(resolved.path):
            if resolved.url is not None:
                raise NotImplementedError(
                    f"dataset_update() needs a local dataset folder; got the remote location {resolved.url!r}. "
                    "Download the dataset, update it, and upload it again."
                )
            raise FileNotFoundError(f"Dataset directory not found: {input_dir}")
        self._dir = resolved.path
        index_path = os.path.join(self._dir, _INDEX_FILENAME)
        if not os.path.isfile(index_path):
            raise FileNotFoundError(f"Missing {_INDEX_FILENAME} in {self._dir}. Did you run optimize()?")
        if not has_keys_store(self._dir):
            raise FileNotFoundError(
                f"Missing {KEYS_DIRNAME}/ key index in {self._dir}. "
                "Re-run optimize(..., key_fn=...) or call build_keys_index(dir, key_fn)."
            )
        self._index = load_index_file(index_path)
        self._lookup = KeyLookup(ChunkSource(self._dir), self._index.get("keys"))
        self._pending: dict[str | int, Any] = {}
        self._committed = False

    def __enter__(self) -> DatasetUpdate:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._pending.clear()

    def __setitem__(self, key: Any, sample: Any) -> None:
        self.replace(key, sample)

    def replace(self, key: Any, sample: Any) -> None:
        """Stage ``sample`` as the new sample of ``key`` (checked to exist at `commit`)."""
        if self._committed:
            raise RuntimeError("Cannot modify dataset_update after commit().")
        self._pending[normalize_key(key)] = sample

    def commit(self) -> None:
        """Write the staged samples. Unknown keys raise ``KeyError`` before anything is written."""
        if self._committed:
            raise RuntimeError("dataset_update session already committed.")
        config = self._index["config"]
        if config.get("encryption"):
            raise NotImplementedError("dataset_update() cannot rewrite encrypted datasets.")
        if config.get("item_loader") not in (None, "PyTreeLoader"):
            raise NotImplementedError(f"dataset_update() rewrites PyTreeLoader datasets, not {config['item_loader']}.")
        starts = [0]
        for chunk in self._index["chunks"]:
            starts.append(starts[-1] + int(chunk["chunk_size"]))
        by_chunk: dict[int, dict[int, Any]] = defaultdict(dict)
        for sample in self._pending.values():
            self._check_format(sample)
        for key, sample in self._pending.items():
            try:
                global_index = self._lookup.index_of(key)
            except KeyError:
                raise KeyError(f"Unknown dataset key: {key!r}") from None
            position = next(i for i in range(len(starts) - 1) if starts[i] <= global_index < starts[i + 1])
            by_chunk[position][global_index - starts[position]] = sample
        for position, replacements in sorted(by_chunk.items()):
            self._rewrite_chunk(position, starts[position], replacements)
        if by_chunk:
            self._index["updated_at"] = str(time.time())
            write_index_atomic(self._index, os.path.join(self._dir, _INDEX_FILENAME))
        self._pending.clear()
        self._committed = True

    def _check_format(self, sample: Any) -> None:
        expected = self._index["config"]
        with tempfile.TemporaryDirectory(prefix="litdata-update-check-") as scratch:
            writer = BinaryWriter(scratch, chunk_size=1)
            writer.serialize(sample)
            got = writer.get_config()
        if got["data_format"] != expected["data_format"] or got["data_spec"] != expected["data_spec"]:
            raise ValueError(
                "Updated sample is incompatible with the dataset data_format. "
                f"Expected {expected['data_format']}, got {got['data_format']}."
            )

    def _rewrite_chunk(self, position: int, start: int, replacements: dict[int, Any]) -> None:
        from litdata.streaming.datasets.dataset import StreamingDataset

        chunk = self._index["chunks"][position]
        match = _CHUNK_NAME.match(chunk["filename"])
        if match is None:
            raise ValueError(f"Unrecognized chunk filename: {chunk['filename']}")
        reader = StreamingDataset(self._dir)
        samples = [reader[ChunkedIndex(start + i, position)] for i in range(int(chunk["chunk_size"]))]
        reader._get_reader().close()
        for local, sample in replacements.items():
            samples[local] = sample
        config = self._index["config"]
        compression = config.get("compression")
        level = config.get("compression_level") or ("chunk" if compression and match.group("compression") else None)
        scratch = tempfile.mkdtemp(prefix="litdata-update-", dir=self._dir)
        try:
            writer = BinaryWriter(
                scratch,
                chunk_size=len(samples),
                compression=compression,
                compression_level=level,
                compression_batch_size=config.get("compression_batch_size"),
                chunk_index=int(match.group("number")),
                rank=int(match.group("rank")),
            )
            for i, sample in enumerate(samples):
                writer.add_item(i, sample)
            writer.done()
            (new_chunk,) = writer.chunks
            target = os.path.join(self._dir, chunk["filename"])
            os.replace(os.path.join(scratch, new_chunk["filename"]), target)
            chunk["chunk_bytes"] = new_chunk["chunk_bytes"]
            if CHECKSUM_KEY in chunk:  # the rewritten bytes, checked against this dataset's own config
                with open(target, "rb") as f:
                    chunk[CHECKSUM_KEY] = chunk_checksum([f.read()], chunk, config)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
