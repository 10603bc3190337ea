"""A small writer of MosaicML Streaming (MDS) datasets, following the documented MDS layout.

mosaicml-streaming itself cannot be imported here without transformers, brotli, snappy, xxhash and its cloud
clients, so the tests write MDS with this instead. It is checked against the real LitData 0.2.76, which reads it.

Layout: ``index.json`` (``{"version": 2, "shards": [...]}``, keys sorted) and shards ``shard.NNNNN.mds`` (``.zstd``
when compressed): ``<I`` sample count, ``<I`` offsets from the start of the file (count + 1), the writer's config as
sorted JSON, then the samples; a sample is a ``<I`` size per variable-size column, then each column's bytes, columns
in sorted-name order.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct

import numpy as np

_FIXED_SIZES = {"int": 8, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "int8": 1, "int16": 2, "int32": 4}
_FIXED_SIZES.update({"int64": 8, "float16": 2, "float32": 4, "float64": 8})
_NDARRAY_CODES = {"uint8": 8, "int8": 9, "uint16": 16, "int16": 17, "float16": 18, "uint32": 32, "int32": 33}
_NDARRAY_CODES.update({"float32": 34, "uint64": 64, "int64": 65, "float64": 66})


def _column_size(encoding: str) -> int | None:
    if encoding in _FIXED_SIZES:
        return _FIXED_SIZES[encoding]
    parts = encoding.split(":")
    if parts[0] == "ndarray" and len(parts) == 3:
        return int(np.prod([int(d) for d in parts[2].split(",")])) * np.dtype(parts[1]).itemsize
    return None


def _encode(encoding: str, value) -> bytes:
    if encoding == "int":
        return np.int64(value).tobytes()
    if encoding in _FIXED_SIZES:
        return np.array(value, dtype=encoding).tobytes()
    if encoding == "str":
        return value.encode("utf-8")
    if encoding == "bytes":
        return bytes(value)
    if encoding == "json":
        return json.dumps(value).encode("utf-8")
    if encoding == "pkl":
        return pickle.dumps(value)
    if encoding == "pil":
        mode = value.mode.encode("utf-8")
        return np.array([*value.size, len(mode)], np.uint32).tobytes() + mode + value.tobytes()
    if encoding in ("jpeg", "png"):
        buffer = io.BytesIO()
        value.save(buffer, format=encoding.upper())
        return buffer.getvalue()
    if encoding.startswith("ndarray"):
        parts, head = encoding.split(":"), b""
        if len(parts) == 1:
            shape = np.array(value.shape, np.int64)
            shape_code = next(code for code, limit in enumerate((8, 16, 32, 64)) if shape.max() < (1 << limit))
            head = bytes([_NDARRAY_CODES[value.dtype.name], (value.ndim << 2) | shape_code])
            head += shape.astype(f"uint{8 << shape_code}").tobytes()
        return head + value.tobytes()
    raise ValueError(encoding)


def _compress(data: bytes, compression: str) -> bytes:
    import zstandard

    family, _, level = compression.partition(":")
    assert family == "zstd", compression
    return zstandard.ZstdCompressor(level=int(level or 3)).compress(data)


def write_mds(
    out: str, columns: dict[str, str], samples: list[dict], compression: str | None = None, size_limit: int = 1 << 26
) -> str:
    """Write ``samples`` (dicts with the keys of ``columns``) as an MDS dataset in ``out``; returns ``out``."""
    os.makedirs(out, exist_ok=True)
    names = sorted(columns)
    encodings = [columns[name] for name in names]
    sizes = [_column_size(encoding) for encoding in encodings]
    config = {
        "version": 2,
        "format": "mds",
        "compression": compression,
        "hashes": [],
        "size_limit": size_limit,
        "column_names": names,
        "column_encodings": encodings,
        "column_sizes": sizes,
    }
    config_data = json.dumps(config, sort_keys=True).encode("utf-8")
    shards: list[dict] = []
    pending: list[bytes] = []

    def flush() -> None:
        offsets = np.array([0, *map(len, pending)]).cumsum().astype(np.uint32)
        offsets += 4 + len(offsets.tobytes()) + len(config_data)
        raw = np.uint32(len(pending)).tobytes() + offsets.tobytes() + config_data + b"".join(pending)
        raw_name = f"shard.{len(shards):05}.mds"
        shard = {
            "samples": len(pending),
            "raw_data": {"basename": raw_name, "bytes": len(raw), "hashes": {}},
            "zip_data": None,
            **config,
        }
        data, name = raw, raw_name
        if compression:
            data, name = _compress(raw, compression), f"{raw_name}.{compression.split(':')[0]}"
            shard["zip_data"] = {"basename": name, "bytes": len(data), "hashes": {}}
        with open(os.path.join(out, name), "wb") as file:
            file.write(data)
        shards.append(shard)
        pending.clear()

    shard_bytes = 8 + len(config_data)
    for sample in samples:
        values = [_encode(encoding, sample[name]) for name, encoding in zip(names, encodings)]
        head = struct.pack(f"<{sizes.count(None)}I", *(len(v) for v, s in zip(values, sizes) if s is None))
        encoded = head + b"".join(values)
        if pending and shard_bytes + len(encoded) + 4 > size_limit:
            flush()
            shard_bytes = 8 + len(config_data)
        pending.append(encoded)
        shard_bytes += len(encoded) + 4
    if pending:
        flush()
    with open(os.path.join(out, "index.json"), "w") as file:
        json.dump({"version": 2, "shards": shards}, file, sort_keys=True)
    return out
