"""MosaicML Streaming (MDS) datasets read in place: their ``index.json`` becomes a chunk index, their shards chunks.

An MDS index lists ``shards``; each shard file is ``<I`` sample count, ``<I`` offsets (count + 1, from the start
of the file), the writer's JSON config, then the samples. A sample holds a ``<I`` size for each variable-size
column, then every column's bytes, columns in sorted-name order (``column_names`` / ``column_encodings`` /
``column_sizes``). Shards may be compressed whole (``zip_data``, e.g. ``shard.00000.mds.zstd``).

:func:`adapt_mds_index` rewrites such an index as a LitData one (``config.format == "mds"``), which selects
:class:`MDSLoader`. Columns decode as MosaicML's encodings define them, except ``jpeg`` (also inside ``list[jpeg]``)
and ``jpeg_array``, which give CHW ``uint8`` tensors as LitData's own JPEG leaves do.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import json
import pickle
import struct
from decimal import Decimal
from typing import Any

import numpy as np

from litdata.format.chunk import ChunkLayout
from litdata.format.item_loader import BaseItemLoader, Interval, running_starts
from litdata.format.serializers import Serializer

__all__ = ["MDSLoader", "adapt_mds_index", "decode_column"]

_U32 = struct.Struct("<I")
_SCALARS = {name: np.dtype(name) for name in ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32")}
_SCALARS.update({name: np.dtype(name) for name in ("int64", "float16", "float32", "float64")})
_NDARRAY_DTYPES = {8: "uint8", 9: "int8", 16: "uint16", 17: "int16", 18: "float16", 32: "uint32", 33: "int32"}
_NDARRAY_DTYPES.update({34: "float32", 64: "uint64", 65: "int64", 66: "float64"})
_SHAPE_DTYPES = {0: "uint8", 1: "uint16", 2: "uint32", 3: "uint64"}
_OPTIONAL_CODECS = {"br": ("brotli", "Brotli"), "snappy": ("snappy", "python-snappy")}  # family: (module, package)
_LISTS = {"list[pil]": "pil", "list[jpeg]": "jpeg", "list[png]": "png"}  # list encoding: its elements' encoding


def adapt_mds_index(index: dict) -> dict:
    """A LitData chunk index for an MDS index (``version``/``shards``): one chunk per non-empty shard file.

    MosaicML's writer leaves an empty shard when a sample alone exceeds ``size_limit``; such shards are skipped.
    """
    shards = [shard for shard in index["shards"] if shard["samples"]]
    if not shards:
        raise ValueError("This MDS index lists no samples.")
    names = [(shard.get("zip_data") or shard["raw_data"])["basename"] for shard in shards]
    nested = [name for name in names if "/" in name]
    if nested:  # mosaicml-streaming's merge_index names the shards of sub-folder datasets '<part>/shard...'
        raise ValueError(
            f"This MDS index was merged from datasets in sub-folders (it lists the shard {nested[0]!r}), which cannot "
            "be streamed as one folder. Stream the sub-folders together instead: "
            f"CombinedStreamingDataset([StreamingDataset('<root>/{nested[0].split('/')[0]}'), ...])."
        )
    first = shards[0]
    if first.get("format") != "mds":
        raise ValueError(f"Only MDS shards can be streamed, this index has format {first.get('format')!r}.")
    chunks = []
    for shard in shards:
        stored = shard.get("zip_data") or shard["raw_data"]
        chunks.append(
            {
                "chunk_bytes": stored["bytes"],
                "chunk_size": shard["samples"],
                "column_sizes": shard["column_sizes"],
                "dim": None,
                "filename": stored["basename"],
                "mds_compression": shard.get("compression") if shard.get("zip_data") else None,
            }
        )
    names = first["column_names"]
    leaf: dict[str, Any] = {"type": None, "context": None, "children_spec": []}
    spec = [1, {"type": "builtins.dict", "context": json.dumps(names), "children_spec": [leaf for _ in names]}]
    config = {
        "chunk_bytes": sum(chunk["chunk_bytes"] for chunk in chunks),
        "chunk_size": sum(chunk["chunk_size"] for chunk in chunks),
        "compression": None,  # whole-shard compression is undone by MDSLoader (zip_data names are not chunk names)
        "mds_compression": first.get("compression"),
        "data_format": first["column_encodings"],
        "data_spec": json.dumps(spec),
        "encryption": None,
        "format": "mds",
        "mds_column_names": names,
    }
    return {"chunks": chunks, "config": config}


def _decompress(data: bytes, algorithm: str) -> bytes:
    family = algorithm.split(":", 1)[0]
    if family == "zstd":
        from litdata.format.compression import get_compressor

        return get_compressor("zstd").decompress(data)
    if family == "gz":
        return gzip.decompress(data)
    if family == "bz2":
        return bz2.decompress(data)
    if family in _OPTIONAL_CODECS:
        module_name, package = _OPTIONAL_CODECS[family]
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ModuleNotFoundError(
                f"This MDS dataset's shards are compressed with {algorithm!r}: run `pip install {package}`."
            ) from error
        return module.decompress(data)
    raise ValueError(f"MDS shards compressed with {algorithm!r} are not supported (zstd, gz, bz2, br, snappy are).")


def _decode_ndarray(encoding: str, data: bytes | memoryview) -> np.ndarray:
    _, _, args = encoding.partition(":")
    dtype_name, _, shape_text = args.partition(":")
    position = 0
    if not dtype_name:
        dtype_name = _NDARRAY_DTYPES[data[0]]
        position = 1
    if shape_text:
        shape = tuple(int(dim) for dim in shape_text.split(","))
    else:
        ndim, shape_code = data[position] >> 2, data[position] & 3
        shape_dtype = np.dtype(_SHAPE_DTYPES[shape_code])
        shape = tuple(int(d) for d in np.frombuffer(data, shape_dtype, count=ndim, offset=position + 1))
        position += 1 + ndim * shape_dtype.itemsize
    return np.frombuffer(data, np.dtype(dtype_name), offset=position).reshape(shape).copy()


def decode_column(encoding: str, data: bytes | memoryview) -> Any:
    """One column value from its MDS bytes."""
    if encoding == "int":
        return int.from_bytes(data, "little", signed=True)
    if encoding == "str":
        return str(data, "utf-8")
    if encoding == "bytes":
        return bytes(data)
    if encoding in _SCALARS:
        return np.frombuffer(data, _SCALARS[encoding])[0]
    if encoding == "ndarray" or encoding.startswith("ndarray:"):
        return _decode_ndarray(encoding, data)
    if encoding == "json":
        return json.loads(str(data, "utf-8"))
    if encoding == "pkl":
        return pickle.loads(data)
    if encoding == "str_int":
        return int(str(data, "utf-8"))
    if encoding == "str_float":
        return float(str(data, "utf-8"))
    if encoding == "str_decimal":
        return Decimal(str(data, "utf-8"))
    if encoding == "jpeg":
        from litdata.format.serializers import _decode_image_rgb

        return _decode_image_rgb(data)
    if encoding in ("jpeg_array", "jpegarray"):
        from litdata.format.serializers import JPEGArraySerializer

        return JPEGArraySerializer().deserialize(data)
    if encoding in _LISTS:  # u32 reserved, u32 count, u32 sizes, then the elements
        (count,) = _U32.unpack_from(data, 4)
        sizes, position = struct.unpack_from(f"<{count}I", data, 8), 8 + 4 * count
        elements = []
        for size in sizes:
            elements.append(decode_column(_LISTS[encoding], data[position : position + size]))
            position += size
        return elements
    if encoding in ("pil", "png"):
        import io

        from PIL import Image

        if encoding == "png":
            image = Image.open(io.BytesIO(bytes(data)))
            image.load()
            return image
        width, height, mode_length = struct.unpack_from("<III", data)
        mode = str(data[12 : 12 + mode_length], "utf-8")
        return Image.frombytes(mode, (width, height), bytes(data[12 + mode_length :]))
    raise ValueError(f"The MDS column encoding {encoding!r} is not supported.")


class MDSShard:
    """One MDS shard file, decompressed when it was stored compressed; ``item(i)`` is sample ``i``'s bytes."""

    def __init__(self, path: str, compression: str | None) -> None:
        with open(path, "rb") as file:
            data = file.read()
        self.buffer = memoryview(_decompress(data, compression) if compression else data)
        (self.num_items,) = _U32.unpack_from(self.buffer)
        self.offsets = struct.unpack_from(f"<{self.num_items + 1}I", self.buffer, 4)

    def item(self, local: int) -> memoryview:
        return self.buffer[self.offsets[local] : self.offsets[local + 1]]

    def close(self) -> None:
        self.buffer.release()


class MDSLoader(BaseItemLoader):
    """Reads the samples of MDS shards as dicts of columns (selected by ``format: "mds"`` in the adapted index)."""

    def setup(
        self,
        config: dict,
        chunks: list[dict],
        serializers: dict[str, Serializer],
        region_of_interest=None,
        force_download_queue: Any = None,
    ) -> None:
        super().setup(config, chunks, serializers, region_of_interest, force_download_queue)
        self._encodings: list[str] = list(config["data_format"])
        self._names: list[str] = list(
            config.get("mds_column_names") or json.loads(json.loads(config["data_spec"])[1]["context"])
        )
        self._starts = running_starts(chunk["chunk_size"] for chunk in chunks)
        self._by_filename = {chunk["filename"]: chunk for chunk in chunks}

    def generate_intervals(self) -> list[Interval]:
        intervals = []
        for i, chunk in enumerate(self._chunks):
            begin, end = self._starts[i], self._starts[i + 1]
            lo, hi = self._roi(i, (0, chunk["chunk_size"]))
            intervals.append(Interval(begin, begin + lo, begin + hi, end))
        return intervals

    def open_chunk(self, path: str, layout: ChunkLayout) -> MDSShard:
        import os

        chunk = self._by_filename.get(os.path.basename(path), {})
        return MDSShard(path, chunk.get("mds_compression"))

    def load_item_from_chunk(
        self, index: int, chunk_index: int, chunk_filepath: str, begin: int, filesize_bytes: int
    ) -> Any:
        """Sample ``index`` (absolute) of the MDS shard at ``chunk_filepath``, as a dict of columns."""
        return MDSLoader._fast_item(self, index, chunk_index, self._chunk_for(chunk_filepath))

    def _fast_item(self, index: int, chunk_index: int, chunk: MDSShard) -> dict[str, Any]:
        data = chunk.item(index - self._starts[chunk_index])
        sizes, position = [], 0
        for size in self._chunks[chunk_index]["column_sizes"]:
            if size is None:
                (size,) = _U32.unpack_from(data, position)
                position += 4
            sizes.append(size)
        sample = {}
        for name, encoding, size in zip(self._names, self._encodings, sizes):
            sample[name] = decode_column(encoding, data[position : position + size])
            position += size
        return sample

    def encode_data(self, data: list[bytes], sizes: list[int], flattened: list[Any]) -> tuple[bytes, int | None]:
        raise TypeError("MDS datasets are read-only here: write new data with litdata.optimize.")
