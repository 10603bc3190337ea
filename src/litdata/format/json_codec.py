"""The tagged binary encoding of ``json`` leaves (LitData 0.2.76).

One tag byte, then a payload; integers are little-endian, counts and lengths ``u32``, strings UTF-8 with a ``u32``
byte-length prefix:

====  ===========================================================================================================
tag   payload
====  ===========================================================================================================
0x00  ``u32 n`` + ``n`` bytes of compact JSON (anything the other tags cannot hold: tuples, mixed lists, big ints)
0x01  list[str] (also the empty list): ``u32 count`` then ``count`` strings
0x02  list[int]: ``u32 count`` then ``count`` int64
0x03  list[float]: ``u32 count`` then ``count`` float64
0x04  list[bool]: ``u32 count`` then ``count`` u8
0x05  dict with str keys: ``u32 count`` then per entry a string key and a tagged value (recursive)
0x06  list of records sharing one key set: ``u32 rows``, ``u32 nkeys``, the keys, then ``rows * nkeys`` cells,
      each 0x10 None, 0x11 str, 0x12 int64, 0x13 float64 or 0x14 u8 bool
0x07  str;  0x08 int64;  0x09 float64;  0x0A bool (u8);  0x0B None
====  ===========================================================================================================

Payloads whose first byte is above 0x20 are plain JSON text (what older ``json`` leaves held).
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

__all__ = ["dumps", "loads"]

TAG_JSON = 0x00
TAG_STR_LIST = 0x01
TAG_INT_LIST = 0x02
TAG_FLOAT_LIST = 0x03
TAG_BOOL_LIST = 0x04
TAG_DICT = 0x05
TAG_RECORDS = 0x06
TAG_STR = 0x07
TAG_INT = 0x08
TAG_FLOAT = 0x09
TAG_BOOL = 0x0A
TAG_NONE = 0x0B

CELL_NONE = 0x10
CELL_STR = 0x11
CELL_INT = 0x12
CELL_FLOAT = 0x13
CELL_BOOL = 0x14

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_LAST_TAG = TAG_NONE

_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_TAG_U32 = struct.Struct("<BI")
_TAG_I64 = struct.Struct("<Bq")
_TAG_F64 = struct.Struct("<Bd")
_RECORDS_HEADER = struct.Struct("<BII")


# ------------------------------------------------------------------------------------------------------------ encode


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"A json leaf cannot hold a {type(value).__name__} ({value!r}); convert it to a JSON value.")


def _json_text(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")


def _is_int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and _INT64_MIN <= value <= _INT64_MAX


def _encode_str(text: str, out: bytearray) -> None:
    encoded = text.encode("utf-8")
    out += _U32.pack(len(encoded))
    out += encoded


def _encode_json(value: Any, out: bytearray) -> None:
    text = _json_text(value)
    out += _TAG_U32.pack(TAG_JSON, len(text))
    out += text


def _encode_number_list(tag: int, dtype: str, values: list, out: bytearray) -> bool:
    try:
        array = np.array(values, dtype=dtype)
    except OverflowError:
        return False
    out += _TAG_U32.pack(tag, len(values))
    out += array.tobytes()
    return True


def _encode_records(rows: list[dict], out: bytearray) -> bool:
    """Append the 0x06 layout for ``rows`` if they qualify (same non-empty str key set, scalar cells)."""
    keys = list(rows[0])
    if not keys or not all(type(key) is str for key in keys):
        return False
    key_set = set(keys)
    cells = bytearray()
    for row in rows:
        if len(row) != len(keys) or row.keys() != key_set:
            return False
        for key in keys:
            cell = row[key]
            if cell is None:
                cells.append(CELL_NONE)
            elif isinstance(cell, bool):
                cells += bytes((CELL_BOOL, cell))
            elif isinstance(cell, str):
                cells.append(CELL_STR)
                _encode_str(cell, cells)
            elif isinstance(cell, int):
                if not _INT64_MIN <= cell <= _INT64_MAX:
                    return False
                cells += _TAG_I64.pack(CELL_INT, cell)
            elif isinstance(cell, float):
                cells += _TAG_F64.pack(CELL_FLOAT, cell)
            else:
                return False
    out += _RECORDS_HEADER.pack(TAG_RECORDS, len(rows), len(keys))
    for key in keys:
        _encode_str(key, out)
    out += cells
    return True


def _encode_list(values: list, out: bytearray) -> None:
    if not values:
        out += _TAG_U32.pack(TAG_STR_LIST, 0)
    elif not (
        _encode_exact_number_list(values, out) or _encode_typed_list(values, out) or _encode_dict_list(values, out)
    ):
        _encode_json(values, out)


def _encode_dict_list(values: list, out: bytearray) -> bool:
    """A list of dicts in the records layout (see `_encode_records`); False when they do not qualify."""
    return all(isinstance(value, dict) for value in values) and _encode_records(values, out)


def _encode_exact_number_list(values: list, out: bytearray) -> bool:
    """Fast path for a list of exactly ``int`` or exactly ``float`` (subclasses take `_encode_typed_list`)."""
    kinds = set(map(type, values))
    if len(kinds) != 1:
        return False
    kind = kinds.pop()
    if kind is int:
        return _encode_number_list(TAG_INT_LIST, "<i8", values, out)
    return kind is float and _encode_number_list(TAG_FLOAT_LIST, "<f8", values, out)


def _encode_typed_list(values: list, out: bytearray) -> bool:
    """A list whose values all are str, bool, int64 or float (in that order of precedence); False otherwise."""
    if all(isinstance(value, str) for value in values):
        out += _TAG_U32.pack(TAG_STR_LIST, len(values))
        for value in values:
            _encode_str(value, out)
    elif all(isinstance(value, bool) for value in values):
        out += _TAG_U32.pack(TAG_BOOL_LIST, len(values))
        out += bytes(map(bool, values))
    elif all(_is_int64(value) for value in values):
        _encode_number_list(TAG_INT_LIST, "<i8", [int(value) for value in values], out)
    elif all(isinstance(value, float) for value in values):
        _encode_number_list(TAG_FLOAT_LIST, "<f8", [float(value) for value in values], out)
    else:
        return False
    return True


def _encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(TAG_NONE)
    elif isinstance(value, bool):
        out += bytes((TAG_BOOL, value))
    elif isinstance(value, str):
        out.append(TAG_STR)
        _encode_str(value, out)
    elif _is_int64(value):
        out += _TAG_I64.pack(TAG_INT, value)
    elif isinstance(value, float):
        out += _TAG_F64.pack(TAG_FLOAT, value)
    elif isinstance(value, list):
        _encode_list(value, out)
    elif isinstance(value, dict) and all(type(key) is str for key in value):
        out += _TAG_U32.pack(TAG_DICT, len(value))
        for key, item in value.items():
            _encode_str(key, out)
            _encode(item, out)
    else:
        _encode_json(value, out)


def dumps(value: Any) -> bytes:
    """Encode a JSON-like value (None, bool, int, float, str, lists and str-keyed dicts of those) to bytes."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


# ------------------------------------------------------------------------------------------------------------ decode


def _read_str(view: memoryview, pos: int) -> tuple[str, int]:
    (length,) = _U32.unpack_from(view, pos)
    start = pos + 4
    return str(view[start : start + length], "utf-8"), start + length


def _read_cell(view: memoryview, pos: int) -> tuple[Any, int]:
    tag = view[pos]
    pos += 1
    if tag == CELL_NONE:
        return None, pos
    if tag == CELL_STR:
        return _read_str(view, pos)
    if tag == CELL_INT:
        return _I64.unpack_from(view, pos)[0], pos + 8
    if tag == CELL_FLOAT:
        return _F64.unpack_from(view, pos)[0], pos + 8
    if tag == CELL_BOOL:
        return view[pos] != 0, pos + 1
    raise ValueError(f"Corrupted json leaf: unknown record cell tag 0x{tag:02x} at byte {pos - 1}.")


def _decode(view: memoryview, pos: int) -> tuple[Any, int]:
    tag = view[pos]
    pos += 1
    if tag == TAG_NONE:
        return None, pos
    if tag == TAG_BOOL:
        return view[pos] != 0, pos + 1
    if tag == TAG_INT:
        return _I64.unpack_from(view, pos)[0], pos + 8
    if tag == TAG_FLOAT:
        return _F64.unpack_from(view, pos)[0], pos + 8
    if tag == TAG_STR:
        return _read_str(view, pos)
    (count,) = _U32.unpack_from(view, pos)
    pos += 4
    if tag == TAG_JSON:
        return json.loads(bytes(view[pos : pos + count])), pos + count
    if tag == TAG_INT_LIST:
        return np.frombuffer(view, dtype="<i8", count=count, offset=pos).tolist(), pos + 8 * count
    if tag == TAG_FLOAT_LIST:
        return np.frombuffer(view, dtype="<f8", count=count, offset=pos).tolist(), pos + 8 * count
    if tag == TAG_BOOL_LIST:
        return [byte != 0 for byte in view[pos : pos + count]], pos + count
    if tag == TAG_STR_LIST:
        strings = []
        for _ in range(count):
            text, pos = _read_str(view, pos)
            strings.append(text)
        return strings, pos
    if tag == TAG_DICT:
        mapping = {}
        for _ in range(count):
            key, pos = _read_str(view, pos)
            mapping[key], pos = _decode(view, pos)
        return mapping, pos
    # TAG_RECORDS: ``count`` rows
    (num_keys,) = _U32.unpack_from(view, pos)
    pos += 4
    keys = []
    for _ in range(num_keys):
        key, pos = _read_str(view, pos)
        keys.append(key)
    rows = []
    for _ in range(count):
        row = {}
        for key in keys:
            row[key], pos = _read_cell(view, pos)
        rows.append(row)
    return rows, pos


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Decode a ``json`` leaf: the tagged encoding above, or legacy JSON text (first byte above 0x20)."""
    view = memoryview(data).cast("B") if isinstance(data, memoryview) else memoryview(data)
    if not view or view[0] > _LAST_TAG:  # legacy JSON text, or an unknown tag: parse the payload as JSON
        return json.loads(bytes(view))
    return _decode(view, 0)[0]
