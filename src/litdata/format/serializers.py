"""Serializers: turn one pytree leaf into bytes and back, in LitData's on-disk encodings.

Writing picks the first serializer of the registry whose ``can_serialize`` accepts the leaf (:func:`select_serializer`)
and records its name in ``data_format``. Reading maps each ``data_format`` entry back to a fresh serializer
(:func:`serializer_for_format`). Byte layouts follow LitData 0.2.76; the reader also accepts 0.2.45 data (tensor
headers in either byte order, :func:`serializer_for_format` with ``legacy_scalars=True`` for numpy scalar ints/floats).

Serializers are pure: bytes in, values out. PIL is imported only when an image is actually met.
"""

from __future__ import annotations

import functools
import io
import math
import os
import pickle
import struct
import sys
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np

import litdata.settings as settings
from litdata.constants import _TORCH_DTYPES_MAPPING_NAMES
from litdata.format import json_codec
from litdata.types import File, Text

if TYPE_CHECKING:
    import torch

__all__ = [
    "BoolSerializer",
    "BytesSerializer",
    "FileSerializer",
    "FloatSerializer",
    "ImageSerializer",
    "IntSerializer",
    "JPEGArraySerializer",
    "JPEGSerializer",
    "JsonLeaf",
    "JsonSerializer",
    "NoHeaderNumpySerializer",
    "NoHeaderTensorSerializer",
    "NumpySerializer",
    "PILSerializer",
    "PickleRefusedError",
    "PickleSerializer",
    "RefusedPickleSerializer",
    "Serializer",
    "StringSerializer",
    "TensorSerializer",
    "TextSerializer",
    "TIFFSerializer",
    "pickle_allowed",
]

SerializedBytes = bytes | bytearray | memoryview


class _TorchTables:
    """The on-disk torch dtype table (index = position; aliases repeat a dtype and the writer records the LAST index
    of each: float32 -> 1, ...). Built on first use so that writing non-tensor data never imports torch."""

    def __init__(self) -> None:
        import torch

        self.dtypes: tuple[torch.dtype, ...] = tuple(getattr(torch, name) for name in _TORCH_DTYPES_MAPPING_NAMES)
        self.index: dict[torch.dtype, int] = {dtype: index for index, dtype in enumerate(self.dtypes)}
        self.itemsizes: tuple[int, ...] = tuple(dtype.itemsize for dtype in self.dtypes)


@functools.cache
def _torch_tables() -> _TorchTables:
    return _TorchTables()


def _is_tensor(item: Any) -> bool:
    """``isinstance(item, torch.Tensor)`` without importing torch (a tensor implies torch is already imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(item, torch.Tensor)


_NUMPY_DTYPES: tuple[np.dtype, ...] = tuple(
    np.dtype(name)
    for name in (
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128", "bool", "object", "S", "U", "V",
    )
)  # fmt: skip
# Only fixed-size plain dtypes can be written as raw bytes; object/str/bytes/void arrays go to pickle.
_NUMPY_DTYPE_INDEX: dict[np.dtype, int] = {dtype: index for index, dtype in enumerate(_NUMPY_DTYPES[:14])}

_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_PIL_HEADER = struct.Struct("<III")

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

_IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp", "bmp", "gif"})
_TIFF_EXTENSIONS = frozenset({"tif", "tiff"})


class JsonLeaf:
    """A JSON-like value (lists/dicts of scalars) stored as one leaf with the ``json`` serializer.

    The writer wraps list/dict fields of dict samples in it (see ``litdata.format.sample_types``). Lives in this
    module, with a single ``value`` slot, so that pickles made by LitData 0.2.76 load here too.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonLeaf) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JsonLeaf({self.value!r})"


class Serializer(ABC):
    """Encodes one kind of leaf. Subclass it and pass ``serializers={"name": MySerializer()}`` to add a kind."""

    size: int | None = None
    """Fixed byte size of every serialized value, or None when it varies."""

    @abstractmethod
    def serialize(self, data: Any) -> tuple[SerializedBytes, str | None]:
        """Return the bytes of ``data`` and the ``data_format`` name to record (None: the registry key)."""

    @abstractmethod
    def deserialize(self, data: bytes | memoryview) -> Any:
        """Rebuild the value from the bytes ``serialize`` produced (a ``memoryview`` of the chunk may come instead
        of ``bytes``, as in LitData)."""

    @abstractmethod
    def can_serialize(self, data: Any) -> bool:
        """Whether this serializer handles ``data`` (the first one that does wins at write time)."""

    def setup(self, metadata: Any) -> None:
        """Configure a read-side copy from its full ``data_format`` string (e.g. ``no_header_tensor:16``)."""


# ------------------------------------------------------------------------------------------------------ helpers


def _loaded_class(module_name: str, class_name: str) -> type | None:
    """The class if its module is already imported (no object can be an instance of it otherwise)."""
    module = sys.modules.get(module_name)
    return None if module is None else getattr(module, class_name, None)


def _is_instance_of_loaded(item: Any, module_name: str, class_name: str) -> bool:
    cls = _loaded_class(module_name, class_name)
    return cls is not None and isinstance(item, cls)


def _is_jpeg_file(item: Any) -> bool:
    return _is_instance_of_loaded(item, "PIL.JpegImagePlugin", "JpegImageFile")


def _extension(path: str) -> str:
    return os.path.splitext(path)[1][1:].lower()


def _read_file(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _decode_image_rgb(data: bytes | memoryview) -> torch.Tensor:
    """Decode an encoded image to a ``uint8`` (3, H, W) RGB tensor, EXIF orientation applied."""
    import torch

    pixels = _fast_jpeg_rgb(data)
    if pixels is None:
        from PIL import Image, ImageOps

        with Image.open(io.BytesIO(data)) as image:
            if "exif" in image.info:  # only then can it have an orientation to apply (exif_transpose copies it)
                image = ImageOps.exif_transpose(image)
            pixels = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


_simplejpeg: list[Any] = []  # the optional simplejpeg module (None when missing), looked up once


def _fast_jpeg_rgb(data: bytes | memoryview) -> np.ndarray | None:
    """The (H, W, 3) RGB pixels of a JPEG decoded by ``simplejpeg`` (``pip install litdata[jpeg]``), when installed:
    the same libjpeg-turbo decode as Pillow's, with the same settings (accurate DCT, fancy upsampling) and without
    Pillow's per-image overhead (5x faster on 64x64 images, 1.5x on 224x224). Only for colour and grayscale JPEGs
    without EXIF data, whose result is Pillow's byte for byte; None for anything else (decoded by Pillow)."""
    if not _simplejpeg:
        try:
            import simplejpeg
        except ImportError:
            simplejpeg = None
        _simplejpeg.append(simplejpeg)
    decoder = _simplejpeg[0]
    if decoder is None or bytes(data[:2]) != b"\xff\xd8":
        return None
    raw = bytes(data)
    if b"Exif\x00\x00" in raw:  # Pillow applies its orientation: leave it to Pillow
        return None
    try:
        if decoder.decode_jpeg_header(raw)[2] not in ("YCbCr", "Gray"):
            return None  # CMYK, YCCK, RGB-coded: Pillow converts them its own way
        return decoder.decode_jpeg(raw, colorspace="RGB")
    except ValueError:
        return None  # Pillow decodes what it can of a damaged JPEG, or raises its own error


def _prefixed(header: bytes, array: np.ndarray) -> bytearray:
    """``header`` followed by the C-order bytes of ``array``, built with a single copy of the data."""
    out = bytearray(len(header) + array.nbytes)
    out[: len(header)] = header
    if array.nbytes:
        np.frombuffer(out, dtype=array.dtype, offset=len(header)).reshape(array.shape)[...] = array
    return out


def _tensor_bytes(tensor: torch.Tensor) -> np.ndarray:
    """The raw C-order bytes of a tensor as a uint8 array (works for bfloat16 and other dtypes numpy lacks)."""
    import torch

    flat = tensor.detach().cpu().contiguous().reshape(-1)
    if flat.numel() == 0:  # an empty tensor may have any stride, which `view` refuses
        return np.empty(0, np.uint8)
    return flat.view(torch.uint8).numpy()


def _check_size(data: bytes | memoryview, expected: int, what: str) -> None:
    if len(data) != expected:
        raise ValueError(f"A {what} leaf must be {expected} bytes, found {len(data)}: the data is corrupted.")


def _tensor_from_bytes(data: bytes | memoryview, dtype: torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    import torch

    if not data:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(data), dtype=dtype).reshape(shape)  # own writable copy: no warning


# ------------------------------------------------------------------------------------------------------ scalars


class StringSerializer(Serializer):
    """``str`` leaves that are not paths of existing files, as UTF-8."""

    def serialize(self, obj: str) -> tuple[bytes, None]:
        return obj.encode("utf-8"), None

    def deserialize(self, data: bytes | memoryview) -> str:
        return str(data, "utf-8")

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, str) and not os.path.isfile(data)


class TextSerializer(Serializer):
    """:class:`~litdata.streaming.typed.Text` leaves, as UTF-8; read back as ``str``."""

    def serialize(self, item: Text) -> tuple[bytes, str]:
        return item.encoded(), "text"

    def deserialize(self, data: bytes | memoryview) -> str:
        return str(data, "utf-8")

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, Text)


class BoolSerializer(Serializer):
    """Python ``bool``, one byte."""

    size = 1

    def serialize(self, item: bool) -> tuple[bytes, None]:
        return b"\x01" if item else b"\x00", None

    def deserialize(self, data: bytes | memoryview) -> bool:
        return data[0] != 0

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, bool)


class NumericSerializer:
    """A scalar of the numpy type ``dtype`` in its little-endian bytes, read back as a numpy scalar. The base of
    `IntegerSerializer` and `FloatSerializer` (which read back Python ``int`` and ``float``), as in LitData 0.2.76."""

    def __init__(self, dtype: type) -> None:
        self.dtype = dtype
        self.size: int | None = np.dtype(dtype).itemsize

    def serialize(self, obj: Any) -> tuple[bytes, str | None]:
        return np.asarray(obj, dtype=np.dtype(self.dtype).newbyteorder("<")).tobytes(), None

    def deserialize(self, data: bytes) -> Any:
        _check_size(data, self.size or 0, np.dtype(self.dtype).name)
        return np.frombuffer(data, np.dtype(self.dtype).newbyteorder("<"))[0]


class IntSerializer(NumericSerializer, Serializer):
    """Python ``int`` within int64, as ``<q``; read back as ``int``."""

    def __init__(self) -> None:
        super().__init__(np.int64)

    def serialize(self, obj: int) -> tuple[bytes, None]:
        return _I64.pack(obj), None

    def deserialize(self, data: bytes | memoryview) -> int:
        _check_size(data, 8, "int")
        return _I64.unpack_from(data)[0]

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, int) and not isinstance(data, bool) and _INT64_MIN <= data <= _INT64_MAX


class FloatSerializer(NumericSerializer, Serializer):
    """Python ``float`` (and float subclasses such as ``np.float64``), as ``<d``; read back as ``float``."""

    def __init__(self) -> None:
        super().__init__(np.float64)

    def serialize(self, obj: float) -> tuple[bytes, None]:
        return _F64.pack(obj), None

    def deserialize(self, data: bytes | memoryview) -> float:
        _check_size(data, 8, "float")
        return _F64.unpack_from(data)[0]

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, float)


class NumpyScalarIntSerializer(IntSerializer):
    """Reads ``int`` leaves as ``np.int64`` scalars, as LitData 0.2.45 returned them."""

    def deserialize(self, data: bytes | memoryview) -> np.int64:  # type: ignore[override]  # LitData 0.2.45's numpy scalar, on purpose
        _check_size(data, 8, "int")
        return np.int64(_I64.unpack_from(data)[0])


class NumpyScalarFloatSerializer(FloatSerializer):
    """Reads ``float`` leaves as ``np.float64`` scalars, as LitData 0.2.45 returned them."""

    def deserialize(self, data: bytes | memoryview) -> np.float64:
        return np.float64(_F64.unpack_from(data)[0])


_LEGACY_SCALAR_FLAVOURS: dict[type, type] = {
    IntSerializer: NumpyScalarIntSerializer,
    FloatSerializer: NumpyScalarFloatSerializer,
}


# -------------------------------------------------------------------------------------------------- files, bytes


class FileSerializer(Serializer):
    """:class:`~litdata.streaming.typed.File` leaves as raw bytes (format ``file:{ext}``); read back as bytes."""

    def serialize(self, item: File) -> tuple[bytes, str]:
        extension = item.extension()
        return item.content(), f"file:{extension}" if extension else "file"

    def deserialize(self, data: bytes | memoryview) -> bytes:
        return bytes(data)

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, File)


class BytesSerializer(Serializer):
    """``bytes`` leaves, raw, read back as ``bytes`` (LitData 0.2.76 returns a ``memoryview`` over the chunk on its
    mmap path, which cannot be pickled to another process)."""

    def serialize(self, item: bytes) -> tuple[bytes, None]:
        return item, None

    def deserialize(self, item: bytes | memoryview) -> bytes:
        return item if type(item) is bytes else bytes(item)

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, bytes)


class ImageSerializer(Serializer):
    """Paths of existing image files, embedded as the file bytes (format ``image:{ext}``).

    Read back as a ``uint8`` (3, H, W) RGB tensor.
    """

    def serialize(self, item: str) -> tuple[bytes, str]:
        return _read_file(item), f"image:{_extension(item)}"

    def deserialize(self, data: bytes | memoryview) -> torch.Tensor:
        return _decode_image_rgb(data)

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, str) and _extension(item) in _IMAGE_EXTENSIONS and os.path.isfile(item)


class TIFFSerializer(Serializer):
    """Paths of existing ``.tif``/``.tiff`` files, embedded raw; read back as an ndarray (needs ``tifffile``)."""

    def serialize(self, item: str) -> tuple[bytes, None]:
        return _read_file(item), None

    def deserialize(self, data: bytes | memoryview) -> np.ndarray:
        import tifffile

        return tifffile.imread(io.BytesIO(data))

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, str) and _extension(item) in _TIFF_EXTENSIONS and os.path.isfile(item)


class PickleSerializer(Serializer):
    """Anything else, with ``pickle`` (the fallback; also ``None`` and strings naming existing files)."""

    def serialize(self, item: Any) -> tuple[bytes, None]:
        return pickle.dumps(item), None

    def deserialize(self, data: bytes | memoryview) -> Any:
        return pickle.loads(data)

    def can_serialize(self, _: Any) -> bool:
        return True


class RefusedPickleSerializer(PickleSerializer):
    """Stands for `PickleSerializer` when reading pickle is switched off (``LITDATA_ALLOW_PICKLE=0`` or
    ``allow_pickle=False``): writing still works, reading a dataset that stores pickled leaves is refused at once."""

    def setup(self, metadata: Any) -> None:
        raise PickleRefusedError(
            f"This dataset stores leaves with the 'pickle' serializer (data format {metadata!r}), and unpickling "
            "runs code chosen by whoever wrote the dataset. Reading pickle is switched off (LITDATA_ALLOW_PICKLE=0 or "
            "allow_pickle=False). Only if you trust the dataset's source, pass allow_pickle=True to the dataset."
        )

    def deserialize(self, data: bytes | memoryview) -> Any:
        self.setup("pickle")


class PickleRefusedError(ValueError):
    """A dataset stores pickled leaves and reading pickle is switched off."""


def pickle_allowed(allow_pickle: bool | None = None) -> bool:
    """``allow_pickle`` if given, else ``LITDATA_ALLOW_PICKLE`` (default: allowed, as in LitData)."""
    if allow_pickle is not None:
        return bool(allow_pickle)
    return settings.ALLOW_PICKLE.get()


class JsonSerializer(Serializer):
    """:class:`JsonLeaf` values in the tagged binary encoding of :mod:`litdata.format.json_codec`."""

    def serialize(self, item: JsonLeaf) -> tuple[bytes, None]:
        return json_codec.dumps(item.value), None

    def deserialize(self, data: bytes | memoryview) -> Any:
        return json_codec.loads(data)

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, JsonLeaf)


# ------------------------------------------------------------------------------------------------------- images


class PILSerializer(Serializer):
    """PIL images other than JPEG files: ``u32`` width, height, len(mode), the mode, then the raw pixels."""

    def serialize(self, item: Any) -> tuple[bytes, None]:
        mode = item.mode.encode("utf-8")
        width, height = item.size
        return _PIL_HEADER.pack(width, height, len(mode)) + mode + item.tobytes(), None

    @classmethod
    def deserialize(cls, data: bytes | memoryview) -> Any:
        from PIL import Image

        width, height, mode_length = _PIL_HEADER.unpack_from(data)
        start = _PIL_HEADER.size + mode_length
        mode = str(data[_PIL_HEADER.size : start], "utf-8")
        return Image.frombytes(mode, (width, height), bytes(data[start:]))

    def can_serialize(self, item: Any) -> bool:
        return _is_instance_of_loaded(item, "PIL.Image", "Image") and not _is_jpeg_file(item)


def _bytes_of_open_file(image: Any, filename: str) -> bytes | None:
    """The bytes of ``filename`` read through the file Pillow still holds open for ``image`` (no second ``open``;
    a small file is often in its read buffer already), or None when that file is closed or another one."""
    fp = getattr(image, "fp", None)
    if fp is None or getattr(fp, "name", None) != filename:
        return None
    try:
        position = fp.tell()
        fp.seek(0)
        data = fp.read()
        fp.seek(position)
    except (OSError, ValueError):  # closed, or not seekable
        return None
    return data if isinstance(data, bytes) else None


def _jpeg_bytes(image: Any) -> bytes:
    """The original file bytes when the image was opened from an existing file, else a fresh JPEG encoding."""
    filename = getattr(image, "filename", None)
    if filename:
        data = _bytes_of_open_file(image, filename)
        if data is not None:
            return data
        if os.path.isfile(filename):
            return _read_file(filename)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


class JPEGSerializer(Serializer):
    """PIL ``JpegImageFile`` leaves as JPEG bytes; read back as a ``uint8`` (3, H, W) RGB tensor."""

    def serialize(self, item: Any) -> tuple[bytes, None]:
        return _jpeg_bytes(item), None

    def deserialize(self, data: bytes | memoryview) -> torch.Tensor:
        return _decode_image_rgb(data)

    def can_serialize(self, item: Any) -> bool:
        return _is_jpeg_file(item)


class JPEGArraySerializer(Serializer):
    """Non-empty lists/tuples of ``JpegImageFile``: ``u32`` count, ``u32`` sizes, then the JPEG bytes."""

    def serialize(self, item: list | tuple) -> tuple[bytes, None]:
        encoded = [_jpeg_bytes(image) for image in item]
        header = struct.pack(f"<I{len(encoded)}I", len(encoded), *map(len, encoded))
        return b"".join([header, *encoded]), None

    def deserialize(self, data: bytes | memoryview) -> list[torch.Tensor]:
        (count,) = _U32.unpack_from(data)
        sizes = struct.unpack_from(f"<{count}I", data, 4)
        images, position = [], 4 * (count + 1)
        for size in sizes:
            images.append(_decode_image_rgb(data[position : position + size]))
            position += size
        return images

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, (list, tuple)) and len(item) > 0 and all(map(_is_jpeg_file, item))


def decodes_in_parallel(deserializers: list[Serializer]) -> bool:
    """Whether items with these leaves are worth decoding on several threads: they have an image leaf (Pillow
    releases the GIL while it decodes) and only litdata's own deserializers, which keep no state while decoding (a
    user's might)."""
    own = all(type(d).__module__.startswith("litdata.") for d in deserializers)
    images = (ImageSerializer, PILSerializer, JPEGSerializer, JPEGArraySerializer, TIFFSerializer)
    return own and any(isinstance(d, images) for d in deserializers)


# ------------------------------------------------------------------------------------------------------- arrays


def _dtype_index_from_format(data_format: str, table_size: int) -> int:
    _, _, suffix = data_format.partition(":")
    if not suffix.isdigit() or int(suffix) >= table_size:
        raise ValueError(f"Invalid data format {data_format!r}: expected '<name>:<dtype index below {table_size}>'.")
    return int(suffix)


class NoHeaderNumpySerializer(Serializer):
    """1-D numpy arrays as raw bytes; the dtype travels in the name (``no_header_numpy:{index}``)."""

    copy_arrays = True  # False: views over the given buffer (only when that buffer belongs to the sample)

    def __init__(self) -> None:
        self._dtype: np.dtype | None = None

    def setup(self, data_format: str) -> None:
        self._dtype = _NUMPY_DTYPES[_dtype_index_from_format(data_format, len(_NUMPY_DTYPES))]

    def serialize(self, item: np.ndarray) -> tuple[bytes, str]:
        return item.tobytes(), f"no_header_numpy:{_NUMPY_DTYPE_INDEX[item.dtype]}"

    def deserialize(self, data: bytes | memoryview) -> np.ndarray:
        if self._dtype is None:
            raise RuntimeError("Call setup('no_header_numpy:<dtype index>') before deserializing.")
        _check_size(data, len(data) - len(data) % self._dtype.itemsize, f"{self._dtype} array")
        array = np.frombuffer(data, dtype=self._dtype)
        return array.copy() if self.copy_arrays else array

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, np.ndarray) and item.ndim == 1 and item.dtype in _NUMPY_DTYPE_INDEX


class NumpySerializer(Serializer):
    """Numpy arrays with ndim > 1: ``<I`` dtype index, ``<I`` ndim, ``<I`` dims, then the C-order data."""

    copy_arrays = True  # False: views over the given buffer (only when that buffer belongs to the sample)

    def serialize(self, item: np.ndarray) -> tuple[bytearray, None]:
        header = struct.pack(f"<II{item.ndim}I", _NUMPY_DTYPE_INDEX[item.dtype], item.ndim, *item.shape)
        return _prefixed(header, item), None

    def deserialize(self, data: bytes | memoryview) -> np.ndarray:
        dtype_index, ndim = struct.unpack_from("<II", data)
        if dtype_index >= len(_NUMPY_DTYPES) or 8 + 4 * ndim > len(data):
            raise ValueError(f"A {len(data)}-byte numpy leaf has a header that does not parse: the data is corrupted.")
        shape = struct.unpack_from(f"<{ndim}I", data, 8)
        dtype = np.dtype(_NUMPY_DTYPES[dtype_index])
        _check_size(data, 8 + 4 * ndim + math.prod(shape) * dtype.itemsize, f"{dtype} array of shape {shape}")
        array = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=8 + 4 * ndim)
        array = array.reshape(shape)
        return array.copy() if self.copy_arrays else array

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, np.ndarray) and item.ndim > 1 and item.dtype in _NUMPY_DTYPE_INDEX


class NoHeaderTensorSerializer(Serializer):
    """1-D tensors as raw bytes; the dtype travels in the name (``no_header_tensor:{index}``)."""

    def __init__(self) -> None:
        self._dtype: torch.dtype | None = None

    def setup(self, data_format: str) -> None:
        self._dtype = _torch_tables().dtypes[_dtype_index_from_format(data_format, len(_TORCH_DTYPES_MAPPING_NAMES))]

    def serialize(self, item: torch.Tensor) -> tuple[bytes, str]:
        return _tensor_bytes(item).tobytes(), f"no_header_tensor:{_torch_tables().index[item.dtype]}"

    def deserialize(self, data: bytes | memoryview) -> torch.Tensor:
        if self._dtype is None:
            raise RuntimeError("Call setup('no_header_tensor:<dtype index>') before deserializing.")
        itemsize = self._dtype.itemsize
        _check_size(data, len(data) - len(data) % itemsize, f"{self._dtype} tensor")
        return _tensor_from_bytes(data, self._dtype, (len(data) // itemsize,))

    def can_serialize(self, item: Any) -> bool:
        return _is_tensor(item) and item.ndim == 1 and item.dtype in _torch_tables().index


def _parse_tensor_header(data: bytes | memoryview) -> tuple[torch.dtype, tuple[int, ...], int]:
    """Read ``(dtype, shape, data offset)``, accepting big-endian (0.2.57+) and little-endian (older) headers.

    The byte order is the one whose dtype index is known and whose shape accounts exactly for the payload length.
    """
    length = len(data)
    for order in (">", "<"):
        if length < 8:
            break
        dtype_index, ndim = struct.unpack_from(order + "II", data)
        offset = 8 + 4 * ndim
        if dtype_index >= len(_TORCH_DTYPES_MAPPING_NAMES) or offset > length:
            continue
        shape = struct.unpack_from(f"{order}{ndim}I", data, 8)
        if math.prod(shape) * _torch_tables().itemsizes[dtype_index] == length - offset:
            return _torch_tables().dtypes[dtype_index], shape, offset
    raise ValueError(
        f"Cannot decode a {length}-byte tensor leaf: its header matches neither byte order. The data is corrupted "
        "or was not written by the 'tensor' serializer."
    )


class TensorSerializer(Serializer):
    """Tensors with ndim != 1: ``>I`` dtype index, ``>I`` ndim, ``>I`` dims (big-endian), then the C-order data.

    Reading also accepts the little-endian header written by LitData before 0.2.57.
    """

    def serialize(self, item: torch.Tensor) -> tuple[bytearray, None]:
        header = struct.pack(f">II{item.ndim}I", _torch_tables().index[item.dtype], item.ndim, *item.shape)
        return _prefixed(header, _tensor_bytes(item)), None

    def deserialize(self, data: bytes | memoryview) -> torch.Tensor:
        dtype, shape, offset = _parse_tensor_header(data)
        return _tensor_from_bytes(data[offset:], dtype, shape)

    def can_serialize(self, item: Any) -> bool:
        return _is_tensor(item) and item.ndim != 1 and item.dtype in _torch_tables().index


# ---------------------------------------------------------------- LitData 0.2.76's names for the scalar serializers
IntegerSerializer = IntSerializer
BooleanSerializer = BoolSerializer

__all__ += ["BooleanSerializer", "IntegerSerializer", "NumericSerializer"]
