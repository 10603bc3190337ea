"""Item loaders: how a chunk's items are encoded at write time and decoded at read time."""

from __future__ import annotations

import copy
import itertools
import json
import os
import struct
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from litdata.format.batching import ChunkColumns, LeafColumn, assemble_collated, assembles_by_spec
from litdata.format.chunk import ChunkCorruptedError, ChunkData, ChunkLayout
from litdata.format.decode_threads import decode_pool
from litdata.format.errors import is_not_corruption
from litdata.format.registry import serializer_for_format
from litdata.format.serializers import (
    _NUMPY_DTYPES,
    FloatSerializer,
    IntSerializer,
    NoHeaderNumpySerializer,
    NoHeaderTensorSerializer,
    NumpySerializer,
    Serializer,
    TensorSerializer,
    _parse_tensor_header,
    decodes_in_parallel,
)
from litdata.utilities._pytree import TreeSpec, tree_unflatten, treespec_loads
from litdata.utilities.encryption import DecryptionError


class Interval(NamedTuple):
    """A chunk's place in the dataset, in absolute item ids: ``[chunk_start, chunk_end)`` with the readable
    region of interest ``[roi_start_idx, roi_end_idx)``."""

    chunk_start: int
    roi_start_idx: int
    roi_end_idx: int
    chunk_end: int


class BaseItemLoader(ABC):
    """Encodes items into chunk bytes (writer side) and decodes them back (reader side).

    Subclass it as with LitData 0.2.76: the reader calls ``load_item_from_chunk(index, chunk_index, chunk_filepath,
    begin, filesize_bytes)`` (with ``encryption`` too for `PyTreeLoader` subclasses), where ``begin`` is the chunk's
    first item id and ``filesize_bytes`` its ``chunk_bytes``. The loaders of this package keep a faster path over
    open chunks behind that surface, used as long as a subclass does not override ``load_item_from_chunk``.
    """

    _fast_item: Callable[..., Any] | None = None
    """A built-in loader's decode path over an open chunk, ``(index, chunk_index, chunk)``."""

    _TRANSIENT = ("_layout", "_given_chunk", "_opened")  # open chunks and keys: never pickled to workers
    _layout: ChunkLayout | None = None
    _given_chunk: Any = None

    def setup(
        self,
        config: dict,
        chunks: list,
        serializers: dict[str, Serializer],
        region_of_interest: list[tuple[int, int]] | None = None,
        force_download_queue: Any = None,
    ) -> None:
        """Bind the loader to a dataset's index (called by the reader)."""
        self._config = config
        self._chunks = chunks
        self._serializers = serializers
        self._data_format: list[str] = list(config.get("data_format") or [])
        self._shift_idx = len(self._data_format) * 4  # the u32 leaf sizes at the start of each item
        self.region_of_interest = region_of_interest
        self._force_download_queue = force_download_queue
        self._begins: list[int] | None = None
        self._given_chunk = None
        self._opened: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key not in self._TRANSIENT}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        definer = next(c for c in cls.__mro__ if "load_item_from_chunk" in c.__dict__)
        fast = definer.__dict__.get("_fast_item")
        # the framework's entry: a built-in's fast path unless the class overrides load_item_from_chunk
        cls._read_item = fast if fast is not None else BaseItemLoader._read_item  # type: ignore[method-assign]
        deserialize = next((c for c in cls.__mro__ if "deserialize" in c.__dict__), None)
        custom_deserialize = deserialize is not None and not deserialize.__module__.startswith("litdata.")
        if custom_deserialize:  # a user's PyTreeLoader.deserialize decodes every item, as in 0.2.76
            cls.decode_item = _decode_with_deserialize  # type: ignore[attr-defined]
        if fast is None or custom_deserialize:
            cls._read_items = BaseItemLoader._read_items  # type: ignore[method-assign]
            cls.batch_columns = BaseItemLoader.batch_columns  # type: ignore[method-assign]

    def set_batch_decode(self, batch_decode: Any) -> None:
        """LitData 0.2.76's decode-window setting (``"auto"``, ``0``, ``N``, ``"all"``); loaders here ignore it."""

    def force_download(self, chunk_index: int) -> None:
        """Ask for chunk ``chunk_index`` to be downloaded now (LitData 0.2.76 passes a queue to ``setup``)."""
        if self._force_download_queue is not None:
            self._force_download_queue.put(chunk_index)

    def state_dict(self) -> dict:
        """The loader's settings, stored in resumable state."""
        return {}

    @abstractmethod
    def generate_intervals(self) -> list[Interval]:
        """One `Interval` per chunk, in chunk-list order."""

    @abstractmethod
    def load_item_from_chunk(
        self, index: int, chunk_index: int, chunk_filepath: str, begin: int, filesize_bytes: int
    ) -> Any:
        """Decode item ``index`` (absolute id) of chunk ``chunk_index``, stored at ``chunk_filepath``; ``begin`` is
        the chunk's first item id and ``filesize_bytes`` its size in the index."""

    def load_item_from_bytes(self, raw_bytes: bytes, chunk_index: int) -> Any:
        """Decode an item from its bytes alone (loaders that support it override this)."""
        raise NotImplementedError(f"{type(self).__name__} cannot decode an item from its bytes alone.")

    @abstractmethod
    def encode_data(self, data: list[bytes], sizes: list[int], flattened: list[Any]) -> Any:
        """Join serialized leaves into one item blob; returns the blob and its ``dim`` (tokens) or None."""

    def open_chunk(self, path: str, layout: ChunkLayout) -> Any:
        """Open a chunk file for reading (loaders of other file formats, such as Parquet, override this)."""
        self._layout = layout
        return ChunkData(path, layout)

    def _read_item(self, index: int, chunk_index: int, chunk: Any) -> Any:
        """What the reader calls for one item of an open chunk: ``load_item_from_chunk`` the 0.2.76 way (replaced by
        the fast path of a built-in loader that is not overridden)."""
        if self._begins is None or len(self._begins) != len(self._chunks):
            self._begins = [interval[0] for interval in self.generate_intervals()]
        size = self._chunks[chunk_index].get("chunk_bytes") or os.path.getsize(chunk.path)
        self._given_chunk = chunk
        args: tuple[Any, ...] = (index, chunk_index, chunk.path, self._begins[chunk_index], size)
        if isinstance(self, PyTreeLoader):
            args += ((self._layout or ChunkLayout()).encryption,)
        return self.load_item_from_chunk(*args)

    def _read_items(self, indices: Sequence[int], chunk_index: int, chunk: Any) -> list[Any]:
        """Decode the items ``indices`` (absolute ids) of chunk ``chunk_index``, in order (a batch's run of items)."""
        read = self._read_item
        return [read(int(i), chunk_index, chunk) for i in indices]

    def _chunk_for(self, chunk_filepath: str, encryption: Any = None) -> Any:
        """The open chunk at ``chunk_filepath`` for a call of the public ``load_item_from_chunk``: the one the reader
        is reading, else one opened here (the last two are kept open)."""
        given = self._given_chunk
        if given is not None and given.path == chunk_filepath:
            return given
        opened = self.__dict__.setdefault("_opened", {})
        chunk = opened.get(chunk_filepath)
        if chunk is None:
            layout = self._layout or _layout_of(self._config, encryption)
            chunk = opened[chunk_filepath] = self.open_chunk(chunk_filepath, layout)
            while len(opened) > 2:
                opened.pop(next(iter(opened))).close()
        return chunk

    def batch_columns(self, chunk_index: int, chunk: Any) -> ChunkColumns | None:
        """The chunk as rows of identically laid out items, for batches copied column by column (see
        `litdata.format.batching`); None when its items must be decoded one by one. A loader that returns
        columns also decodes a row as a sample (``sample_from_row(row)``) and puts a batch's collated leaves
        together in the structure of a sample (``assemble_batch(leaf_values)``)."""
        return None

    def forget_columns(self, chunk_index: int) -> None:
        """The chunk's items turned out not to share one layout: read it sample by sample from now on."""

    def pre_load_chunk(self, chunk_index: int, chunk_filepath: str) -> None:
        """Hook called when a chunk becomes available locally."""

    def delete(self, chunk_index: int, chunk_filepath: str) -> None:
        """Hook called before a chunk is evicted from the cache."""

    def close(self, chunk_index: int) -> None:
        """Release what the loader holds for a chunk."""

    def _roi(self, chunk_index: int, default: tuple[int, int]) -> tuple[int, int]:
        if self.region_of_interest is None:
            return default
        start, end = self.region_of_interest[chunk_index]
        return start, end


def _decode_with_deserialize(self: Any, blob: memoryview | bytes | bytearray, as_views: bool = True) -> Any:
    return self.deserialize(blob if as_views else bytes(blob))


def _layout_of(config: dict, encryption: Any) -> ChunkLayout:
    """How the chunks of a dataset with this index ``config`` were written."""
    return ChunkLayout(
        compression=config.get("compression"),
        compression_level=config.get("compression_level") or "chunk",
        encryption=encryption,
        encryption_level=(config.get("encryption") or {}).get("level"),
    )


_PARALLEL_MIN_ITEM_BYTES = 16 << 10  # mean item size from which a batch's images are decoded on several threads


def _guarded(chunk: Any, local: int, step: Callable[..., Any], *args: Any) -> Any:
    """``step(*args)`` for item ``local`` of ``chunk``; an error caused by its bytes becomes a `ChunkCorruptedError`
    naming the chunk and the item."""
    try:
        return step(*args)
    except (ImportError, DecryptionError):
        raise
    except Exception as err:
        if is_not_corruption(err):
            raise
        raise _corrupted(chunk, local, err) from err


def _is_legacy_config(config: dict) -> bool:
    """Datasets written before the 0.2.57-era format (no framing keys) decode int/float as numpy scalars."""
    return "compression_level" not in config and "types" not in config


def _decodes_as(deserializer: Serializer, base: type[Serializer]) -> bool:
    """Whether ``deserializer`` decodes as ``base`` does: ``base`` itself, or a subclass that keeps its
    ``deserialize`` (the media serializers only change which values they accept)."""
    return isinstance(deserializer, base) and type(deserializer).deserialize is base.deserialize


def _leaf_column(deserializer: Serializer, data: np.ndarray, pos: int) -> LeafColumn | None:
    """Where the value of a leaf starts (``pos`` is where the leaf starts) and what it is, for leaves that can be
    copied as a column of numbers; None for any other leaf."""
    kind = type(deserializer)
    if kind is IntSerializer or kind is FloatSerializer:
        if len(data) != 8:
            return None
        is_int = kind is IntSerializer
        return LeafColumn(pos, np.dtype("<i8" if is_int else "<f8"), (), "int" if is_int else "float")
    try:
        if _decodes_as(deserializer, NoHeaderNumpySerializer):
            dtype = np.dtype(deserializer._dtype)  # type: ignore[attr-defined]  # a NoHeaderNumpySerializer
            leaf = LeafColumn(pos, dtype, (len(data) // dtype.itemsize,), "array")
        elif _decodes_as(deserializer, NumpySerializer):
            dtype_index, ndim = struct.unpack_from("<II", data.data)
            shape = struct.unpack_from(f"<{ndim}I", data.data, 8)
            leaf = LeafColumn(pos + 8 + 4 * ndim, np.dtype(_NUMPY_DTYPES[dtype_index]), shape, "array")
        elif _decodes_as(deserializer, NoHeaderTensorSerializer):
            dtype = _numpy_dtype(deserializer._dtype)  # type: ignore[attr-defined]  # a NoHeaderTensorSerializer
            leaf = LeafColumn(pos, dtype, (len(data) // dtype.itemsize,), "tensor")
        elif _decodes_as(deserializer, TensorSerializer):
            torch_dtype, shape, offset = _parse_tensor_header(data.data)
            leaf = LeafColumn(pos + offset, _numpy_dtype(torch_dtype), shape, "tensor")
        else:
            return None
    except (ValueError, TypeError, IndexError, struct.error):
        return None  # bfloat16 and other dtypes numpy lacks, or a header that does not parse
    if leaf.dtype.kind not in "biufc" or leaf.nbytes == 0 or leaf.offset - pos + leaf.nbytes != len(data):
        return None
    return leaf


def _without_copies(deserializer: Serializer) -> Serializer:
    if not getattr(deserializer, "copy_arrays", False):
        return deserializer
    viewing: Any = copy.copy(deserializer)  # a serializer with a copy_arrays switch (checked above)
    viewing.copy_arrays = False
    return viewing


def _numpy_dtype(torch_dtype: Any) -> np.dtype:
    import torch

    return torch.empty(0, dtype=torch_dtype).numpy().dtype


def _load_spec(spec: Any) -> TreeSpec | None:
    if not spec:
        return None
    try:
        return treespec_loads(spec)
    except ValueError as err:
        if not isinstance(err, json.JSONDecodeError):  # e.g. a namedtuple not registered in this process
            raise ValueError(f"{err} (index.json: config.data_spec)") from err
        raise ValueError(
            f"The sample structure (config.data_spec) in index.json does not parse ({err}): the index is corrupted. "
            "Re-run optimize (mode='overwrite') or download the dataset's index.json again."
        ) from err
    except (TypeError, KeyError, IndexError, AttributeError) as err:
        raise ValueError(
            f"The sample structure (config.data_spec) in index.json does not parse ({err}): the index is corrupted. "
            "Re-run optimize (mode='overwrite') or download the dataset's index.json again."
        ) from err


def _corrupted(chunk: Any, local: int, error: Exception) -> ChunkCorruptedError:
    return ChunkCorruptedError(
        f"Item {local} of chunk {getattr(chunk, 'path', '?')!r} cannot be decoded: {error}. The chunk or index.json is "
        "corrupted: delete the cached chunk so it is downloaded again, or re-run optimize (mode='overwrite')."
    )


def running_starts(sizes: Iterable[int]) -> list[int]:
    """First absolute item id of every chunk (plain ints: looked up once per item)."""
    return [0, *itertools.accumulate(sizes)]


class PyTreeLoader(BaseItemLoader):
    """The default loader: each item is a pytree of serialized leaves (``u32`` size per leaf, then the leaves).

    ``batch_decode`` is accepted as in LitData 0.2.76 (``"auto"``, ``0``, ``N``, ``"all"``) and has no effect here:
    items are decoded one by one or copied column by column into a batch, whichever is faster.
    """

    def __init__(self, batch_decode: Any = "auto") -> None:
        self._batch_decode = batch_decode

    def set_batch_decode(self, batch_decode: Any) -> None:
        """Record LitData 0.2.76's decode-window setting (no effect here, see the class)."""
        self._batch_decode = batch_decode

    def setup(
        self,
        config: dict,
        chunks: list,
        serializers: dict[str, Serializer],
        region_of_interest: list[tuple[int, int]] | None = None,
        force_download_queue: Any = None,
    ) -> None:
        super().setup(config, chunks, serializers, region_of_interest, force_download_queue)
        data_format = self._data_format
        self._legacy = _is_legacy_config(config)
        self._deserializers = [
            serializer_for_format(fmt, serializers, legacy_scalars=self._legacy) for fmt in data_format
        ]
        # LitData 0.2.76's attributes, read by its loaders' subclasses: a set-up serializer per data format
        self._serializers = {**serializers, **dict(zip(data_format, self._deserializers))}
        self._serializers_list = self._deserializers
        # for blobs read into a bytearray of their own (`ChunkData.item`): their arrays can be views of it
        self._owning_deserializers = [_without_copies(d) for d in self._deserializers]
        self._spec: TreeSpec | None = _load_spec(config.get("data_spec"))
        self._data_spec = self._spec
        self._starts = running_starts(c["chunk_size"] for c in chunks)
        self._sizes = struct.Struct(f"<{len(data_format)}I")
        self._columnar = not self._legacy and assembles_by_spec(self._spec)
        self._columns: dict[int, ChunkColumns | None] = {}
        self._parallel_decode = decodes_in_parallel(self._deserializers)

    def generate_intervals(self) -> list[Interval]:
        intervals, begin = [], 0
        for i, chunk in enumerate(self._chunks):
            end = begin + chunk["chunk_size"]
            lo, hi = self._roi(i, (0, chunk["chunk_size"]))
            intervals.append(Interval(begin, begin + lo, begin + hi, end))
            begin = end
        return intervals

    def _fast_item(self, index: int, chunk_index: int, chunk: ChunkData) -> Any:
        local = index - self._chunk_start(chunk_index)
        if chunk.footer is not None:
            return _guarded(chunk, local, chunk.footer.row, local)
        return _guarded(chunk, local, self._decode_local, chunk, local)

    def load_item_from_chunk(
        self,
        index: int,
        chunk_index: int,
        chunk_filepath: str,
        begin: int,
        filesize_bytes: int,
        encryption: Any = None,
    ) -> Any:
        """Decode item ``index`` of the chunk at ``chunk_filepath`` (``encryption``: the key of an encrypted
        dataset)."""
        return PyTreeLoader._fast_item(self, index, chunk_index, self._chunk_for(chunk_filepath, encryption))

    def load_item_from_bytes(self, raw_bytes: bytes, chunk_index: int) -> Any:
        """Decode an item from its stored bytes (not for encrypted datasets)."""
        if self._config.get("encryption"):
            raise ValueError("load_item_from_bytes cannot decode the items of an encrypted dataset.")
        if self._config.get("format") == "mds":
            return self.mds_deserialize(raw_bytes, chunk_index)
        return self.deserialize(raw_bytes)

    def deserialize(self, raw_item_data: bytes | memoryview) -> Any:
        """The sample stored as ``raw_item_data`` (an item's bytes: its leaf sizes, then its leaves)."""
        return PyTreeLoader.decode_item(self, raw_item_data, as_views=False)

    def mds_deserialize(self, raw_item_data: bytes | memoryview, chunk_index: int) -> Any:
        """The sample stored as ``raw_item_data`` in a MosaicML MDS shard (fixed column sizes from the index)."""
        sizes, position = [], 0
        for size in self._chunks[chunk_index]["column_sizes"]:
            if not size:
                (size,) = struct.unpack_from("<I", raw_item_data, position)
                position += 4
            sizes.append(size)
        leaves = []
        for size, deserializer in zip(sizes, self._deserializers):
            leaves.append(deserializer.deserialize(bytes(raw_item_data[position : position + size])))
            position += size
        return tree_unflatten(leaves, self._spec) if self._spec is not None else leaves

    def _decode_local(self, chunk: ChunkData, local: int) -> Any:
        return self.decode_item(chunk.item(local), chunk.returns_views)

    def _read_items(self, indices: Sequence[int], chunk_index: int, chunk: ChunkData) -> list[Any]:
        pool = decode_pool() if self._parallel_decode and chunk.footer is None and len(indices) > 1 else None
        if pool is None:
            return super()._read_items(indices, chunk_index, chunk)
        locals_ = [int(i) - self._chunk_start(chunk_index) for i in indices]
        blobs = [_guarded(chunk, local, chunk.item, local) for local in locals_]  # reads stay on this thread
        views = chunk.returns_views

        def decode(share: slice) -> list[Any]:
            pairs = zip(locals_[share], blobs[share])
            return [_guarded(chunk, local, self.decode_item, blob, views) for local, blob in pairs]

        if sum(map(len, blobs)) < _PARALLEL_MIN_ITEM_BYTES * len(blobs):  # small images: threads cost more than
            return decode(slice(None))  # they save (the GIL is held for much of a small image's decode)
        step = -(-len(blobs) // pool._max_workers)  # one contiguous share per thread: few hand-offs
        shares = pool.map(decode, [slice(start, start + step) for start in range(0, len(blobs), step)])
        return [sample for share in shares for sample in share]

    def _chunk_start(self, chunk_index: int) -> int:
        return self._starts[chunk_index]

    def decode_item(self, blob: memoryview | bytes | bytearray, as_views: bool = True) -> Any:
        """Turn one item blob into the user's sample. ``as_views=False`` hands leaves over as ``bytes``; a
        ``bytearray`` blob belongs to this sample alone, so its arrays are views of it rather than copies."""
        sizes = self._sizes.unpack_from(blob, 0)
        pos = self._sizes.size
        if pos + sum(sizes) != len(blob):
            raise ValueError(f"its leaf sizes {list(sizes)} do not add up to its {len(blob) - pos} bytes of leaves")
        leaves = []
        view = memoryview(blob)
        as_views = as_views and not self._legacy
        deserializers = self._owning_deserializers if type(blob) is bytearray else self._deserializers
        for size, deserializer in zip(sizes, deserializers):
            leaf = view[pos : pos + size]
            pos += size
            leaves.append(deserializer.deserialize(leaf if as_views else bytes(leaf)))
        return self.sample_from_leaves(leaves)

    def batch_columns(self, chunk_index: int, chunk: Any) -> ChunkColumns | None:
        if chunk_index not in self._columns:
            columnar = self._columnar and chunk.footer is None
            self._columns[chunk_index] = self._find_columns(chunk_index, chunk) if columnar else None
        return self._columns[chunk_index]

    def _find_columns(self, chunk_index: int, chunk: ChunkData) -> ChunkColumns | None:
        """Columns laid out as in the chunk's first item; every item read is checked to have its leaf sizes and
        array headers."""
        rows = chunk.fixed_rows()
        if rows is None or rows.shape[1] < self._sizes.size:
            return None
        first = rows[0]
        pos = self._sizes.size
        headers = [(0, pos)]
        leaves = []
        for size, deserializer in zip(self._sizes.unpack_from(first, 0), self._deserializers):
            leaf = _leaf_column(deserializer, first[pos : pos + size], pos)
            if leaf is None:
                return None
            if leaf.offset > pos:
                headers.append((pos, leaf.offset - pos))
            leaves.append(leaf)
            pos += size
        if pos != rows.shape[1]:
            return None
        expected = tuple((start, first[start : start + length].tobytes()) for start, length in headers)
        first_item = self._chunk_start(chunk_index)
        assert chunk.offsets is not None  # fixed rows are found from the offsets
        position = int(chunk.offsets[0])
        return ChunkColumns(rows, first_item, tuple(leaves), position, chunk.read_file, expected, chunk.map_file)

    def forget_columns(self, chunk_index: int) -> None:
        self._columns[chunk_index] = None

    def sample_from_row(self, row: np.ndarray) -> Any:
        return self.decode_item(row.data)

    def assemble_batch(self, leaf_values: list[Any]) -> Any:
        return assemble_collated(leaf_values, self._spec)

    def sample_from_leaves(self, leaves: list[Any]) -> Any:
        """One sample from its decoded leaves, as `decode_item` builds it."""
        if self._spec is None:
            return leaves[0] if len(leaves) == 1 else leaves
        return tree_unflatten(leaves, self._spec)

    def close(self, chunk_index: int) -> None:
        self._columns.pop(chunk_index, None)

    @classmethod
    def encode_data(cls, data: list[bytes], sizes: list[int], flattened: list[Any]) -> tuple[bytes, int | None]:
        header = struct.pack(f"<{len(sizes)}I", *sizes)
        return header + b"".join(data), None


class TokensLoader(BaseItemLoader):
    """Reads token chunks as fixed-size blocks of ``block_size`` tokens (blocks never span chunks)."""

    def __init__(self, block_size: int | None = None) -> None:
        self._block_size = block_size

    @property
    def block_size(self) -> int | None:
        return self._block_size

    def state_dict(self) -> dict:
        return {"block_size": self._block_size}

    def setup(  # type: ignore[override]  # LitData 0.2.76's signature, without force_download_queue
        self,
        config: dict,
        chunks: list,
        serializers: dict[str, Serializer],
        region_of_interest: list[tuple[int, int]] | None = None,
    ) -> None:
        super().setup(config, chunks, serializers, region_of_interest)
        block_size = self._block_size
        if block_size is None or block_size <= 0:
            raise ValueError(
                f"TokensLoader needs a positive block_size to read tokens, got {self._block_size!r}. "
                "Use StreamingDataset(..., item_loader=TokensLoader(block_size=2048))."
            )
        data_format = config.get("data_format") or []
        if len(data_format) != 1 or not str(data_format[0]).startswith(("no_header_numpy", "no_header_tensor")):
            raise ValueError(
                f"TokensLoader reads datasets of 1-D token arrays, but this one stores {data_format}. "
                "Use the default item loader for it."
            )
        if all(c.get("dim") is None for c in chunks):
            raise ValueError(
                "This dataset has no token counts (`dim`) in its index: it was not written with TokensLoader."
            )
        fmt = data_format[0]
        serializer: Any = serializer_for_format(fmt, serializers)  # a no_header_numpy or no_header_tensor serializer
        self._as_tensor = fmt.startswith("no_header_tensor")
        self._dtype = serializer._dtype  # torch or numpy dtype learnt from the format string
        self._to_output: Callable[[np.ndarray], Any] | None
        if self._as_tensor:
            import torch

            self._np_dtype = torch.empty(0, dtype=self._dtype).numpy().dtype
            self._to_output = torch.from_numpy
        else:
            self._np_dtype = np.dtype(self._dtype)
            self._to_output = None
        self._block = block_size  # validated above
        self._blocks_start = running_starts((c["dim"] or 0) // block_size for c in chunks)
        self._columns: dict[int, ChunkColumns] = {}

    def generate_intervals(self) -> list[Interval]:
        intervals, begin = [], 0
        for i, chunk in enumerate(self._chunks):
            num_blocks = (chunk["dim"] or 0) // self._block
            end = begin + num_blocks
            lo, hi = self._roi(i, (0, num_blocks))
            intervals.append(Interval(begin, begin + lo, begin + hi, end))
            begin = end
        return intervals

    def load_item_from_chunk(
        self, index: int, chunk_index: int, chunk_filepath: str, begin: int, filesize_bytes: int
    ) -> Any:
        """Token block ``index`` (absolute) of the chunk at ``chunk_filepath``."""
        return TokensLoader._fast_item(self, index, chunk_index, self._chunk_for(chunk_filepath))

    def _fast_item(self, index: int, chunk_index: int, chunk: ChunkData) -> Any:
        local = index - self._blocks_start[chunk_index]
        itemsize = self._np_dtype.itemsize
        start = local * self._block * itemsize
        raw = chunk.data_area()[start : start + self._block * itemsize]
        if len(raw) != self._block * itemsize or local < 0:
            raise _corrupted(chunk, local, ValueError(f"the chunk ends before token block {local}"))
        return self._output(np.frombuffer(raw, self._np_dtype))

    def _output(self, array: np.ndarray) -> Any:
        array = array.copy()  # a writable array of its own, never a view over the chunk
        return self._to_output(array) if self._to_output is not None else array

    def batch_columns(self, chunk_index: int, chunk: Any) -> ChunkColumns | None:
        columns = self._columns.get(chunk_index)
        if columns is None:
            block_bytes = self._block * self._np_dtype.itemsize
            num_blocks = (self._chunks[chunk_index]["dim"] or 0) // self._block
            area = chunk.data_area()
            if num_blocks == 0 or len(area) < num_blocks * block_bytes:
                return None
            rows = np.frombuffer(area, np.uint8, num_blocks * block_bytes).reshape(num_blocks, block_bytes)
            kind = "tensor" if self._as_tensor else "array"
            leaf = LeafColumn(0, self._np_dtype, (self._block,), kind)
            area_position = len(chunk.buffer) - len(area)
            first_item = self._blocks_start[chunk_index]
            columns = ChunkColumns(rows, first_item, (leaf,), area_position, chunk.read_file, map_file=chunk.map_file)
            self._columns[chunk_index] = columns
        return columns

    def sample_from_row(self, row: np.ndarray) -> Any:
        return self._output(row.view(self._np_dtype))

    def assemble_batch(self, leaf_values: list[Any]) -> Any:
        return leaf_values[0]

    def sample_from_leaves(self, leaves: list[Any]) -> Any:
        return leaves[0]

    def close(self, chunk_index: int) -> None:
        self._columns.pop(chunk_index, None)

    @classmethod
    def encode_data(cls, data: list[bytes], _: list[int], flattened: list[Any]) -> tuple[bytes, int | None]:
        if len(data) != 1 or len(flattened) != 1:
            raise ValueError(
                "TokensLoader writes exactly one 1-D array of tokens per item; got a sample with several leaves."
            )
        shape = getattr(flattened[0], "shape", None)  # arrays, tensors and litdata.Tensor(array=...)
        if shape is None or len(shape) != 1:
            raise ValueError(f"TokensLoader expects 1-D token arrays or tensors, got {type(flattened[0]).__name__}.")
        return data[0], int(shape[0])
