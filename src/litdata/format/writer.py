"""`BinaryWriter`: serializes samples into chunk files and an index, in the LitData on-disk format."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import litdata.settings as settings
from litdata.constants import _DEFAULT_COMPRESSION_BATCH_SIZE, _INDEX_FILENAME
from litdata.format.checksums import CHECKSUM_KEY, chunk_checksum
from litdata.format.chunk import items_start
from litdata.format.compression import get_compressor, pack_framed_chunk, resolve_compression
from litdata.format.errors import LeafTypeChangedError, SampleStructureError
from litdata.format.item_loader import BaseItemLoader, PyTreeLoader
from litdata.format.registry import _get_serializers, select_serializer
from litdata.format.sample_types import SampleShaper, describe_structure, fuse_types
from litdata.format.serializers import JsonLeaf, SerializedBytes, Serializer
from litdata.sizes import _convert_bytes_to_int, _human_readable_bytes
from litdata.utilities._pytree import TreeSpec, tree_flatten, treespec_dumps

if TYPE_CHECKING:  # cryptography is imported only by those who encrypt
    from litdata.utilities.encryption import Encryption

_WORKER_INDEX = re.compile(r"^(\d+)\.index\.json$")
_NODE_INDEX = re.compile(r"^(\d+)-index\.json$")


@dataclass
class _Item:
    blob: bytes
    dim: int | None


def _resolve_chunk_limits(chunk_size: int | None, chunk_bytes: int | str | None) -> tuple[int | None, int | None]:
    if (chunk_size is None) == (chunk_bytes is None):
        raise ValueError(
            "Exactly one of chunk_size (items per chunk) or chunk_bytes (bytes per chunk) is required; "
            f"got chunk_size={chunk_size!r}, chunk_bytes={chunk_bytes!r}. Try chunk_bytes='64MB'."
        )
    if isinstance(chunk_bytes, str):
        chunk_bytes = _convert_bytes_to_int(chunk_bytes)
    for name, value in (("chunk_size", chunk_size), ("chunk_bytes", chunk_bytes)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return chunk_size, chunk_bytes


@dataclass(frozen=True)
class WriterSettings:
    """The chunk limits and compression a writer resolves its arguments to."""

    chunk_size: int | None
    chunk_bytes: int | None
    compression: str | None
    compression_level: str | None


def check_writer_options(
    chunk_size: int | None = None,
    chunk_bytes: int | str | None = None,
    compression: str | None = None,
    compression_level: str | None = None,
    compression_batch_size: int | None = None,
    encryption: Encryption | None = None,
    item_loader: BaseItemLoader | None = None,
) -> WriterSettings:
    """Check a writer's arguments (the errors `BinaryWriter` raises) without creating anything on disk."""
    chunk_size, chunk_bytes = _resolve_chunk_limits(chunk_size, chunk_bytes)
    if encryption is not None and getattr(encryption, "level", None) not in ("sample", "chunk"):
        raise ValueError(f"Encryption level must be 'sample' or 'chunk', got {getattr(encryption, 'level', None)!r}.")
    loader_name = type(item_loader).__name__ if item_loader is not None else PyTreeLoader.__name__
    compression, compression_level = resolve_compression(compression, compression_level, encryption, loader_name)
    if compression:
        get_compressor(compression)
    if compression_batch_size is not None and (isinstance(compression_batch_size, bool) or compression_batch_size <= 0):
        raise ValueError(f"compression_batch_size must be a positive integer, got {compression_batch_size!r}.")
    return WriterSettings(chunk_size, chunk_bytes, compression, compression_level)


def _writer_rank(rank: int | None) -> int:
    """``rank`` if given, else the optimize worker's rank, else (as in LitData 0.2.76) this process's global rank
    times its DataLoader workers plus the worker's rank (0 outside torch)."""
    if rank is not None:
        return rank
    if settings.GLOBAL_RANK_OPTIMIZE.is_set() or "torch" not in sys.modules:
        return settings.GLOBAL_RANK_OPTIMIZE.get(0)
    from litdata.utilities.env import _DistributedEnv, _WorkerEnv

    distributed, worker = _DistributedEnv.detect(), _WorkerEnv.detect()
    return distributed.global_rank * worker.world_size + worker.rank


_IOV_MAX = 1024  # buffers per writev call (POSIX's minimum for IOV_MAX is 16; Linux and macOS allow 1024)


def _write_gathered(f: Any, buffers: list[bytes]) -> None:
    """Write ``buffers`` back to back with few ``writev`` calls and no copy: a chunk of small items is tens of
    thousands of buffers, which ``writelines`` copies through its 8 KB buffer, one ``write`` call per 8 KB."""
    if not hasattr(os, "writev"):
        f.writelines(buffers)
        return
    f.flush()
    fd = f.fileno()
    for start in range(0, len(buffers), _IOV_MAX):
        group = buffers[start : start + _IOV_MAX]
        written = os.writev(fd, group)
        if written < sum(map(len, group)):  # a short write (rare): the rest of this group one write at a time
            rest = memoryview(b"".join(group))[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]


def _write_bytes_atomic(path: str, payload: bytes | list[bytes]) -> None:
    """Write ``payload`` (bytes, or a list of buffers written back to back) under a temporary name, then rename."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        if isinstance(payload, list):
            _write_gathered(f, payload)
        else:
            f.write(payload)
    os.replace(tmp, path)


def write_index_atomic(index: dict, path: str) -> None:
    """Write an index as sorted JSON under a temporary name, then rename it into place."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(index, f, sort_keys=True)
    os.replace(tmp, path)


class BinaryWriter:
    """Turns samples into chunk files ``chunk-{rank}-{n}[.{compression}].bin`` plus an index.

    Args:
        cache_dir: folder that receives the chunk files (each written under a temporary name, then renamed).
        chunk_size: maximum items per chunk (tokens per chunk with `TokensLoader`).
        chunk_bytes: maximum item bytes per chunk, an int or a size string such as ``"64MB"``.
        compression: ``"zstd"`` or ``"zstd:N"``.
        compression_level: ``"chunk"`` (whole file), ``"batch"`` (framed, default for zstd) or ``"sample"``.
        compression_batch_size: items per zstd frame with ``"batch"`` (default 256).
        encryption: an `Encryption` applied per sample or per chunk (its ``level``).
        follow_tensor_dimension: accepted for compatibility with LitData; it has no effect.
        serializers: extra or replacement serializers, tried before the defaults.
        chunk_index: number of the first chunk file (append mode continues a rank's numbering).
        item_loader: how items are encoded (`PyTreeLoader` by default, `TokensLoader` for tokens).
        msg_queue: if given, the path of every completed chunk file is put on it (e.g. for an uploader).
        rank: writer rank used in chunk names (default: the optimize worker rank from the environment, else 0).
    """

    def __init__(
        self,
        cache_dir: str,
        chunk_size: int | None = None,
        chunk_bytes: int | str | None = None,
        compression: str | None = None,
        compression_level: str | None = None,
        compression_batch_size: int | None = None,
        encryption: Encryption | None = None,
        follow_tensor_dimension: bool = True,
        serializers: dict[str, Serializer] | None = None,
        chunk_index: int | None = None,
        item_loader: BaseItemLoader | None = None,
        msg_queue: Any = None,
        *,
        rank: int | None = None,
    ) -> None:
        settings = check_writer_options(
            chunk_size, chunk_bytes, compression, compression_level, compression_batch_size, encryption, item_loader
        )
        self._cache_dir = str(cache_dir)
        os.makedirs(self._cache_dir, exist_ok=True)
        self._chunk_size, self._chunk_bytes = settings.chunk_size, settings.chunk_bytes
        self._item_loader = item_loader or PyTreeLoader()
        # items start aligned, except in token chunks: TokensLoader (LitData's too) reads tokens right after the header
        self._aligned_items = type(self._item_loader) is PyTreeLoader
        self._compression, self._compression_level = settings.compression, settings.compression_level
        self._compressor = get_compressor(self._compression) if self._compression else None
        self._frame_rows = compression_batch_size or _DEFAULT_COMPRESSION_BATCH_SIZE
        self._msg_queue = msg_queue
        self._encryption = encryption
        self._serializers = _get_serializers(serializers)
        self._rank = _writer_rank(rank)
        self._chunk_index = chunk_index or 0
        self._shaper = SampleShaper()
        self._repeat: tuple[tuple[Any, type], ...] | None = None  # see `_repeat_signature`
        self._spec: TreeSpec | None = None
        self._leaf_serializers: list[Serializer] = []
        self._data_format: list[str] | None = None
        self._data_spec: str | None = None
        self._pending: dict[int, _Item] = {}
        self._next_index = 0
        self._current: list[_Item] = []
        self._current_bytes = 0
        self._current_count = 0
        self.chunks: list[dict[str, Any]] = []
        self._last_checkpoint = 0  # chunks in the last checkpoint

    @property
    def rank(self) -> int:
        return self._rank

    @property
    def filled(self) -> bool:
        """Whether this writer's index file already exists."""
        return os.path.exists(os.path.join(self._cache_dir, f"{self._rank}.index.json"))

    def get_config(self) -> dict[str, Any]:
        """The ``config`` block of the index (0.2.76 key set)."""
        framed = self._compression_level in ("batch", "sample")
        return {
            "chunk_bytes": self._chunk_bytes,
            "chunk_size": self._chunk_size,
            "compression": self._compression,
            "compression_batch_size": self._frame_rows if self._compression_level == "batch" else None,
            "compression_level": self._compression_level if framed else None,
            "data_format": self._data_format,
            "data_spec": self._data_spec,
            "encryption": self._encryption.state_dict() if self._encryption is not None else None,
            "ipc_compression": None,
            "item_loader": type(self._item_loader).__name__,
            "types": self._shaper.types,
            **(self._item_loader.index_config() if hasattr(self._item_loader, "index_config") else {}),
        }

    def serialize(self, items: Any) -> tuple[bytes, int | None]:
        """Serialize one sample into its item bytes and its token count (`TokensLoader`; ``None`` otherwise).

        The first sample fixes the dataset's format; `add_item` serializes through this as well."""
        entry = self._serialize_item(self._next_index, items)
        return entry.blob, entry.dim

    def _serialize_item(self, index: int, item: Any) -> _Item:
        if hasattr(self._item_loader, "encode_record"):  # a loader of whole records (`TemporalArrayLoader`)
            if self._spec is None:
                self._spec = tree_flatten(b"")[1]
                self._data_format, self._data_spec = ["bytes"], treespec_dumps(self._spec)
            return _Item(self._item_loader.encode_record(item), None)
        leaves = self._leaves(index, item)
        data, sizes = self._serialize_leaves(index, item, leaves)
        # loaders take the serializers' bytes-like payloads as they are (LitData annotates them as bytes)
        blob, dim = self._item_loader.encode_data(cast("list[bytes]", data), sizes, leaves)
        if self._encryption is not None and self._encryption.level == "sample":
            blob = self._encryption.encrypt(bytes(blob))
        if self._compression_level == "sample":
            assert self._compressor is not None  # a compression level comes with a compression
            blob = self._compressor.compress(blob)
        return _Item(bytes(blob), dim)

    def _leaves(self, index: int, item: Any) -> list[Any]:
        """The sample's leaves, checked against the first sample's structure. A dict sample with the keys (in order)
        and value types of the previous one, which was its own leaves, skips the schema and flattening: they give
        the same result for it."""
        repeated = _repeated_leaves(self._repeat, item)
        if repeated is not None:
            return repeated
        try:
            leaves, spec = tree_flatten(self._shaper.shape(item))
        except SampleStructureError as err:
            raise SampleStructureError(f"Sample {index} {err}") from None
        if self._spec is None:
            self._learn_format(leaves, spec)
        elif spec != self._spec:
            raise SampleStructureError(
                f"Sample {index} does not have the structure of the first sample: every sample of a dataset must have "
                f"the same keys, nesting and number of leaves.\n  first sample: {self._shaper.first_structure}\n"
                f"  this sample:  {describe_structure(item)}"
            )
        self._repeat = _repeat_signature(item, leaves)
        return leaves

    def _serialize_leaves(self, index: int, item: Any, leaves: list[Any]) -> tuple[list[SerializedBytes], list[int]]:
        """Each leaf's payload and its size, with the serializers the first sample chose."""
        data: list[SerializedBytes] = []
        try:
            for leaf, serializer in zip(leaves, self._leaf_serializers):
                payload, _ = serializer.serialize(leaf)
                data.append(payload)
            sizes = [len(payload) for payload in data]
        except Exception as err:
            unsized = (position for position, payload in enumerate(data) if not hasattr(payload, "__len__"))
            position = len(data) if len(data) < len(leaves) else next(unsized, 0)
            raise self._leaf_type_error(index, item, leaves[position], position) from err
        return data, sizes

    def _leaf_type_error(self, index: int, item: Any, leaf: Any, position: int) -> LeafTypeChangedError:
        data_format = self._data_format
        assert data_format is not None  # learnt with the first sample's structure
        value = leaf.value if isinstance(leaf, JsonLeaf) else leaf
        return LeafTypeChangedError(
            f"Sample {index}: leaf {position} is a {type(value).__name__}, but the first sample fixed this "
            f"leaf's format to {data_format[position]!r}. Give every sample the same leaf types.\n"
            f"  first sample: {self._shaper.first_structure}\n  this sample:  {describe_structure(item)}"
        )

    def _learn_format(self, leaves: list[Any], spec: TreeSpec) -> None:
        formats = []
        for leaf in leaves:
            name, serializer = select_serializer(leaf, self._serializers)
            _, returned_name = serializer.serialize(leaf)
            fmt = returned_name or name
            formats.append(fmt)
            self._leaf_serializers.append(serializer)
        self._spec = spec
        self._data_format = formats
        self._data_spec = treespec_dumps(spec)

    def __setitem__(self, index: int, items: Any) -> None:
        self.add_item(index, items)

    def add_item(self, index: int, items: Any) -> str | None:
        """Add sample ``index`` (indexes are written in order, whatever order they arrive in); returns the path of a
        chunk file this call completed, if any."""
        if index in self._pending or index < self._next_index:
            raise ValueError(f"The provided index {index} already exists in the cache.")
        self._pending[index] = self._serialize_item(index, items)
        completed = None
        while self._next_index in self._pending:
            entry = self._pending.pop(self._next_index)
            self._next_index += 1
            if self._current and self._would_overflow(entry):
                completed = self._write_chunk()
            self._append(entry)
        return completed

    def _would_overflow(self, entry: _Item) -> bool:
        if self._chunk_bytes is not None and self._current_bytes + len(entry.blob) > self._chunk_bytes:
            return True
        weight = entry.dim if entry.dim is not None else 1
        return self._chunk_size is not None and self._current_count + weight > self._chunk_size

    def _append(self, entry: _Item) -> None:
        if self._chunk_bytes is not None and len(entry.blob) > self._chunk_bytes and not self._current:
            chunk = items_start(1, self._aligned_items) + len(entry.blob)  # the item alone in a classic chunk
            warnings.warn(
                f"An item was larger than the target chunk size ({_human_readable_bytes(self._chunk_bytes)}). "
                f"The current chunk will be {_human_readable_bytes(chunk)} in size. It gets a chunk of its own; "
                "raise chunk_bytes if this happens often.",
                UserWarning,
                stacklevel=3,
            )
        self._current.append(entry)
        self._current_bytes += len(entry.blob)
        self._current_count += entry.dim if entry.dim is not None else 1

    def get_chunk_filename(self, file_compression: bool | None = None) -> str:
        """Name of the next chunk file: ``chunk-{rank}-{n}.bin``, or ``chunk-{rank}-{n}.{compression}.bin`` for a
        whole-file compressed chunk (``file_compression``; by default whenever a compression is set)."""
        if file_compression is None:
            file_compression = bool(self._compression)
        if file_compression and self._compression:
            return f"chunk-{self._rank}-{self._chunk_index}.{self._compression}.bin"
        return f"chunk-{self._rank}-{self._chunk_index}.bin"

    def write_chunk_to_file(self, raw_data: bytes, filename: str, compress: bool | None = None) -> None:
        """Write ``raw_data`` as ``filename`` in the cache folder (atomically), compressed whole with the writer's
        compression when ``compress`` (by default whenever a compression is set)."""
        if compress is None:
            compress = bool(self._compression)
        if compress:
            if self._compressor is None:
                raise ValueError("write_chunk_to_file(compress=True) needs a writer created with a compression.")
            raw_data = self._compressor.compress(raw_data)
        _write_bytes_atomic(os.path.join(self._cache_dir, filename), raw_data)

    def _write_chunk(self) -> str:
        items, self._current = self._current, []
        self._current_bytes = self._current_count = 0
        blobs = [entry.blob for entry in items]
        payload: bytes | list[bytes]
        if self._compression_level == "batch":
            payload = pack_framed_chunk(blobs, self._frame_rows, self._compressor)
            chunk_bytes = len(payload)
        else:
            # header + blobs, joined only when a transform needs one buffer
            payload = _pack_classic_chunk(blobs, self._aligned_items)
            if self._encryption is not None and self._encryption.level == "chunk":
                payload = self._encryption.encrypt(b"".join(payload))
            chunk_bytes = len(payload) if isinstance(payload, bytes) else sum(map(len, payload))
            if self._compression_level == "chunk":
                assert self._compressor is not None  # a compression level comes with a compression
                payload = self._compressor.compress(payload if isinstance(payload, bytes) else b"".join(payload))
        filename = self.get_chunk_filename(file_compression=self._compression_level == "chunk")
        path = os.path.join(self._cache_dir, filename)
        _write_bytes_atomic(path, payload)
        dims = [entry.dim for entry in items]
        chunk = {
            "chunk_bytes": chunk_bytes,
            "chunk_size": len(items),
            "dim": None if dims[0] is None else int(sum(dim for dim in dims if dim is not None)),
            "filename": filename,
            **(self._item_loader.chunk_entries(blobs) if hasattr(self._item_loader, "chunk_entries") else {}),
        }
        parts = [payload] if isinstance(payload, (bytes, bytearray, memoryview)) else payload
        chunk[CHECKSUM_KEY] = chunk_checksum(parts, chunk, self.get_config())
        self.chunks.append(chunk)
        self._chunk_index += 1
        if self._msg_queue is not None:
            self._msg_queue.put(path)
        return path

    def write_chunk(self, on_done: bool = False) -> str | None:
        """Write the items gathered so far as a chunk (if any); returns its path. Items added out of order that
        wait for a smaller index are included too when ``on_done``."""
        if on_done:
            self._flush_pending()
        return self._write_chunk() if self._current else None

    def _flush_pending(self) -> None:
        for index in sorted(self._pending):
            entry = self._pending.pop(index)
            if self._current and self._would_overflow(entry):
                self._write_chunk()
            self._append(entry)

    def write_chunks_index(self) -> str:
        """Write this writer's ``{rank}.index.json`` (its chunks and config); returns its path, or ``""`` when
        nothing was written."""
        if not self.chunks and self._data_format is None:
            return ""
        path = os.path.join(self._cache_dir, f"{self._rank}.index.json")
        write_index_atomic({"chunks": self.chunks, "config": self.get_config()}, path)
        return path

    def save_checkpoint(self, checkpoint_dir: str = ".checkpoints", inputs_done: int | None = None) -> str | None:
        """Save the chunks written so far to ``{cache_dir}/{checkpoint_dir}/checkpoint-{rank}.json``, as LitData
        0.2.76 does; returns its path, or ``None`` when nothing changed since the last checkpoint.

        ``inputs_done`` is how many inputs this writer has handled (default: the samples in its chunks)."""
        folder = os.path.join(self._cache_dir, checkpoint_dir)
        os.makedirs(folder, exist_ok=True)
        if self._last_checkpoint == len(self.chunks):
            return None
        samples_written = sum(chunk["chunk_size"] for chunk in self.chunks)
        done = samples_written if inputs_done is None else inputs_done
        payload = {
            "chunks": self.chunks,
            "config": self.get_config(),
            "inputs_done": done,
            "samples_written": samples_written,
            "next_chunk_index": self._chunk_index,
            "done_till_index": done,
        }
        path = os.path.join(folder, f"checkpoint-{self._rank}.json")
        write_index_atomic(payload, path)
        self._last_checkpoint = len(self.chunks)
        return path

    def done(self) -> list[str]:
        """Write the remaining items and this writer's ``{rank}.index.json``; returns the chunk files this call wrote
        (those completed earlier were returned by `add_item`)."""
        already_written = len(self.chunks)
        self.write_chunk(on_done=True)
        written = [os.path.join(self._cache_dir, c["filename"]) for c in self.chunks[already_written:]]
        self.write_chunks_index()
        return written

    def merge(self, num_workers: int = 1, node_rank: int | None = None, timeout: float = 120.0) -> None:
        """Merge the writers' ``{rank}.index.json`` files of ``cache_dir`` into ``index.json`` (rank 0 only)."""
        if self._rank != 0:
            _wait_for(lambda: os.path.exists(os.path.join(self._cache_dir, _INDEX_FILENAME)), timeout, "index.json")
            return

        def _worker_files() -> list[str]:
            return [f for f in os.listdir(self._cache_dir) if _WORKER_INDEX.match(f)]

        _wait_for(lambda: len(_worker_files()) >= num_workers, timeout, f"{num_workers} writer index files")
        files = [os.path.join(self._cache_dir, f) for f in _worker_files()]
        index = merge_index_files(files)
        name = _INDEX_FILENAME if node_rank is None else f"{node_rank}-index.json"
        write_index_atomic(index, os.path.join(self._cache_dir, name))
        for f in files:
            os.remove(f)


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(0.05)


def _pack_classic_chunk(blobs: list[bytes], aligned: bool) -> list[bytes]:
    """Classic layout as buffers to write back to back: ``u32 N``, ``u32 offsets[N+1]`` (absolute), the items;
    ``aligned``: zero bytes after the header so that the items start at a multiple of 16 (`items_start`)."""
    num_items = len(blobs)
    sizes = np.array(list(map(len, blobs)), dtype=np.int64)
    offsets = np.empty(num_items + 1, dtype=np.int64)
    offsets[0] = items_start(num_items, aligned)
    np.cumsum(sizes, out=offsets[1:])
    offsets[1:] += offsets[0]
    if offsets[-1] >= 1 << 32:
        raise ValueError(
            f"A chunk must stay under 4 GiB; this one would be {int(offsets[-1])} bytes. Lower chunk_bytes."
        )
    header = np.zeros(int(offsets[0]) // 4, dtype="<u4")
    header[0] = num_items
    header[1 : num_items + 2] = offsets
    return [header.tobytes(), *blobs]


def _rank_of(path: str) -> tuple[int, str]:
    name = os.path.basename(path)
    match = _WORKER_INDEX.match(name) or _NODE_INDEX.match(name)
    return (int(match.group(1)) if match else 1 << 62, name)


def _configs_match(a: dict, b: dict) -> bool:
    keys = (set(a) | set(b)) - {"types"}
    return all(a.get(k) == b.get(k) for k in keys)


def merge_index_files(index_files: list[str], existing_index: dict | None = None) -> dict:
    """Concatenate writer/node indexes (numeric rank order) after ``existing_index``; configs must agree."""
    indexes = []
    for path in sorted(index_files, key=_rank_of):
        with open(path) as f:
            indexes.append(json.load(f))
    if existing_index is not None:
        indexes.insert(0, existing_index)
    indexes = [idx for idx in indexes if idx.get("chunks") or idx.get("config", {}).get("data_format") is not None]
    if not indexes:
        return {"chunks": [], "config": None, "updated_at": str(time.time())}
    config = dict(indexes[0]["config"])
    chunks: list[dict] = []
    for idx in indexes:
        other = idx["config"]
        if not _configs_match(config, other):
            diff = sorted(k for k in (set(config) | set(other)) - {"types"} if config.get(k) != other.get(k))
            raise ValueError(
                f"The config isn't consistent between chunks: {diff} differ. All writers must write samples of the "
                "same structure with the same chunking, compression and encryption settings."
            )
        if "types" in config or "types" in other:
            config["types"] = fuse_types(config.get("types"), other.get("types"))
        chunks.extend(idx["chunks"])
    return {"chunks": chunks, "config": config, "updated_at": str(time.time())}


def __getattr__(name: str) -> Any:
    """``index_parquet_dataset`` at LitData's import path (it lives in `litdata.format.parquet_index`)."""
    if name == "index_parquet_dataset":
        from litdata.format.parquet_index import index_parquet_dataset

        return index_parquet_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _repeat_signature(item: Any, leaves: list[Any]) -> tuple[tuple[Any, type], ...] | None:
    """The keys and value types of a str-keyed dict sample whose values are its leaves, in order and as they are
    (none reshaped, none a container, none ``None``); ``None`` for any other sample.

    Another sample with the same signature has the same leaves and structure, and leaves the schema as it is: the
    schema depends only on the values' types, and fusing the same types into it a second time changes nothing."""
    if type(item) is not dict or len(leaves) != len(item):
        return None
    signature = []
    for leaf, (key, value) in zip(leaves, item.items()):
        if type(key) is not str or leaf is not value or value is None:
            return None
        signature.append((key, type(value)))
    return tuple(signature)


def _repeated_leaves(signature: tuple[tuple[Any, type], ...] | None, item: Any) -> list[Any] | None:
    """``item``'s values if it is a dict with ``signature``'s keys (in order) and value types, else ``None``."""
    if signature is None or type(item) is not dict or len(item) != len(signature):
        return None
    leaves = []
    for (key, value_type), (item_key, value) in zip(signature, item.items()):
        if item_key != key or type(value) is not value_type:
            return None
        leaves.append(value)
    return leaves
