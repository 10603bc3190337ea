"""Serializers for the typed leaves of :mod:`litdata.types` (images, audio, video, documents, meshes, volumes, graphs).

Files given by ``path=``/``bytes=`` are stored as they are, with the extension in the ``data_format``
(``image:png``, ``audio:wav``, ``mesh:glb``...); in-memory values are encoded (PNG/JPEG, 16-bit WAV, MP4, ...).
Byte layouts and format names follow LitData 0.2.76. The image, PIL, JPEG, TIFF and tensor serializers extend the
base ones of :mod:`litdata.format.serializers`, so plain PIL images, paths and tensors keep working unchanged.

Optional decoders are imported only when a leaf of their kind is met; a missing one raises an error naming the
``litdata[...]`` extra to install.
"""

from __future__ import annotations

import gzip
import importlib
import io
import os
import pickle
import struct
import wave
from dataclasses import dataclass
from typing import Any

import numpy as np

from litdata.format import graph as graphs
from litdata.format.serializers import (
    ImageSerializer,
    JPEGArraySerializer,
    JPEGSerializer,
    NoHeaderTensorSerializer,
    PILSerializer,
    Serializer,
    TensorSerializer,
    TIFFSerializer,
    _decode_image_rgb,
    _is_jpeg_file,
)
from litdata.types import (
    UNSET,
    Audio,
    Graph,
    Image,
    Jpeg,
    JpegArray,
    Mesh,
    Nifti,
    Pdf,
    Pil,
    Tensor,
    Tiff,
    Video,
    _extension,
)

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp", "gif")
AUDIO_EXTENSIONS = ("wav", "mp3", "flac", "ogg", "opus", "m4a", "aac", "wma", "pcm")
VIDEO_EXTENSIONS = ("mp4", "ogv", "mjpeg", "avi", "mov", "h264", "mpg", "mpeg", "webm", "wmv", "mkv")
MESH_EXTENSIONS = ("glb", "ply", "stl")
DEFAULT_JPEG_QUALITY = 95

_EXTRAS = {
    "soundfile": "audio",
    "av": "video",
    "pdfplumber": "pdf",
    "trimesh": "mesh",
    "nibabel": "nifti",
    "torch_geometric": "graph",
    "tifffile": "extras",
}


def require(module: str, purpose: str) -> Any:
    """Import an optional library, or raise an error naming the ``litdata[...]`` extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ModuleNotFoundError(
            f"{purpose} needs the optional library {module!r}: pip install 'litdata[{_EXTRAS[module]}]'."
        ) from error


def _path_of(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("path")
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return getattr(item, "path", None)


def has_media_extension(item: Any, extensions: tuple[str, ...]) -> bool:
    """Whether ``item`` is a typed leaf/dict whose ``path`` has one of ``extensions``, or such an existing file."""
    path = _path_of(item)
    if not path or _extension(path) not in extensions:
        return False
    return not isinstance(item, (str, os.PathLike)) or os.path.isfile(path)


def media_payload(item: Any) -> tuple[bytes, str]:
    """``(file bytes, extension)`` of a typed leaf, an ``{"path", "bytes"}`` dict or an existing file path."""
    if isinstance(item, dict):
        if item.get("bytes") is not None:
            return bytes(item["bytes"]), _extension(item.get("path"))
        item = item.get("path")
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Media path does not exist: {path}")
        with open(path, "rb") as file:
            return file.read(), _extension(path)
    return item.require_payload()


# ------------------------------------------------------------------------------------------------------- images


def _pil_from_array(array: Any) -> Any:
    from PIL import Image as PILImage

    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = array.transpose(1, 2, 0)  # CHW -> HWC
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return PILImage.fromarray(array)


def _pil_format(fmt: str) -> tuple[str, str]:
    """``(PIL format name, extension)`` for a format or extension name (``jpg``/``jpeg`` -> ``JPEG``, ``jpg``)."""
    name = fmt.upper()
    if name in ("JPG", "JPEG"):
        return "JPEG", "jpg"
    if name == "TIF":
        name = "TIFF"
    return name, name.lower()


def encode_pil(image: Any, fmt: str, quality: int | None = None, mode: str | None = None) -> tuple[bytes, str]:
    """Encode a PIL image as ``fmt`` (PNG, JPEG, ...); returns ``(bytes, extension)``."""
    pil_format, ext = _pil_format(fmt)
    if mode:
        image = image.convert(mode)
    if pil_format == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    options = {"quality": quality} if pil_format == "JPEG" and quality is not None else {}
    buffer = io.BytesIO()
    image.save(buffer, format=pil_format, **options)
    return buffer.getvalue(), ext


_IJG_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
_ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60,
    61, 54, 47, 55, 62, 63,
)  # fmt: skip


def _ijg_table(quality: int) -> tuple[int, ...]:
    """The standard luminance table scaled for ``quality`` as libjpeg does, in zigzag (file) order."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    natural = [min(max((value * scale + 50) // 100, 1), 255) for value in _IJG_LUMA]
    return tuple(natural[index] for index in _ZIGZAG)


_IJG_TABLES = {_ijg_table(quality): quality for quality in range(100, 0, -1)}


def jpeg_quality(data: bytes) -> int | None:
    """The libjpeg quality a JPEG was saved with (from its luminance table), or None when it is not a known one."""
    if data[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        (length,) = struct.unpack_from(">H", data, position + 2)
        if marker == 0xDB:
            segment, offset = data[position + 4 : position + 2 + length], 0
            while offset < len(segment):
                precision, table_id = segment[offset] >> 4, segment[offset] & 0x0F
                size = 128 if precision else 64
                if table_id == 0:
                    step = 2 if precision else 1
                    values = segment[offset + 1 : offset + 1 + size]
                    table = tuple(int.from_bytes(values[i : i + step], "big") for i in range(0, len(values), step))
                    return _IJG_TABLES.get(table)
                offset += 1 + size
        if marker in (0xDA, 0xD9):
            return None
        position += 2 + length
    return None


def _is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def _keeps_jpeg(data: bytes, cap: int | None) -> bool:
    """Whether existing JPEG bytes are stored as they are under a quality cap (unknown quality: kept)."""
    if not _is_jpeg(data):
        return False
    if cap is None:
        return True
    quality = jpeg_quality(data)
    return quality is None or quality <= cap


def _original_jpeg(image: Any) -> bytes | None:
    filename = getattr(image, "filename", None)
    if _is_jpeg_file(image) and filename and os.path.isfile(filename):
        with open(filename, "rb") as file:
            return file.read()
    return None


def _decode_pil(data: bytes) -> Any:
    from PIL import Image as PILImage

    image = PILImage.open(io.BytesIO(data))
    image.load()
    return image


def jpeg_bytes(source: Any, quality: int | None, max_quality: Any, mode: str | None = None) -> bytes:
    """JPEG bytes for one frame: existing JPEGs under the cap as they are, anything else encoded."""
    cap = DEFAULT_JPEG_QUALITY if max_quality is UNSET else max_quality
    encode_quality = quality if quality is not None else DEFAULT_JPEG_QUALITY
    if isinstance(source, Jpeg):
        mode = source.mode or mode
        if source.quality is not None:
            quality, encode_quality = source.quality, source.quality
        if source.image is not None or source.array is not None:
            source = source.image if source.image is not None else _pil_from_array(source.array)
        else:
            source = source.require_payload("array", "image")[0]
    elif isinstance(source, (str, os.PathLike)):
        source = media_payload(source)[0]
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if quality is None and mode is None and _keeps_jpeg(data, cap):
            return data
        source = _decode_pil(data)
    original = _original_jpeg(source)
    if original is not None and quality is None and mode is None and _keeps_jpeg(original, cap):
        return original
    return encode_pil(source, "JPEG", encode_quality, mode)[0]


class MediaImageSerializer(ImageSerializer):
    """:class:`~litdata.types.Image` leaves (and ``Jpeg``/``Pil`` given a ``path=``), format ``image:{ext}``."""

    def serialize(self, item: Any) -> tuple[bytes, str]:
        if not isinstance(item, (Image, Jpeg, Pil, dict)):
            return super().serialize(item)
        if isinstance(item, Image) and (
            item.array is not None
            or item.image is not None
            or item.mode
            or item.format
            or item.quality is not None
            or item.max_quality is not None
        ):
            return self._encode(item)
        data, ext = media_payload(item)
        return data, f"image:{ext or 'jpg'}"

    def _encode(self, item: Image) -> tuple[bytes, str]:
        cap = item.max_quality
        if item.image is not None or item.array is not None:
            image = item.image if item.image is not None else _pil_from_array(item.array)
            original = _original_jpeg(image) if cap is not None else None
            if original is not None and _keeps_jpeg(original, cap):
                return original, "image:jpg"
            fmt = item.format or (getattr(image, "format", None) if item.image is not None else None) or "PNG"
        else:
            data, ext = media_payload(item)
            if cap is not None and item.quality is None and item.mode is None and _keeps_jpeg(data, cap):
                return data, f"image:{ext or 'jpg'}"
            image = _decode_pil(data)
            fmt = item.format or ext or image.format or "PNG"
        if cap is not None:
            fmt = "JPEG"
        quality = item.quality if item.quality is not None else cap
        data, ext = encode_pil(image, fmt, quality, item.mode)
        return data, f"image:{ext}"

    def deserialize(self, data: bytes | memoryview) -> Any:
        return _decode_image_rgb(data)

    def can_serialize(self, item: Any) -> bool:
        if isinstance(item, Image):
            return True
        if isinstance(item, (Jpeg, Pil)):
            return item.path is not None
        if isinstance(item, dict):
            return has_media_extension(item, IMAGE_EXTENSIONS)
        return super().can_serialize(item)


class MediaPILSerializer(PILSerializer):
    """:class:`~litdata.types.Pil` leaves without a path: raw pixels in the ``pil`` layout, read as ``PIL.Image``."""

    def serialize(self, item: Any) -> tuple[bytes, None]:
        if isinstance(item, Pil):
            if item.image is not None:
                image = item.image
            elif item.array is not None:
                image = _pil_from_array(item.array)
            else:
                image = _decode_pil(item.require_payload("array", "image")[0])
            if item.mode:
                image = image.convert(item.mode)
            item = image
        return super().serialize(item)

    def can_serialize(self, item: Any) -> bool:
        return (isinstance(item, Pil) and item.path is None) or super().can_serialize(item)


class MediaJPEGSerializer(JPEGSerializer):
    """:class:`~litdata.types.Jpeg` leaves without a path (and JPEG PIL images): JPEG bytes, read as CHW tensors."""

    def serialize(self, item: Any) -> tuple[bytes, None]:
        if isinstance(item, Jpeg):
            return jpeg_bytes(item, None, item.max_quality), None
        return super().serialize(item)

    def can_serialize(self, item: Any) -> bool:
        return (isinstance(item, Jpeg) and item.path is None) or super().can_serialize(item)


class MediaJPEGArraySerializer(JPEGArraySerializer):
    """:class:`~litdata.types.JpegArray` leaves: ``u32`` count, ``u32`` sizes, then the JPEG bytes."""

    def serialize(self, item: Any) -> tuple[bytes, None]:
        if not isinstance(item, JpegArray):
            return super().serialize(item)
        frames = [self._frame(image, item) for image in item.images]
        header = struct.pack(f"<I{len(frames)}I", len(frames), *map(len, frames))
        return b"".join([header, *frames]), None

    @staticmethod
    def _frame(image: Any, array: JpegArray) -> bytes:
        if isinstance(image, (bytes, bytearray, memoryview)) and array.quality is None and _is_jpeg(bytes(image)):
            return bytes(image)  # JPEG bytes given as they are: stored as they are
        return jpeg_bytes(image, array.quality, array.max_quality)

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, JpegArray) or super().can_serialize(item)


class MediaTIFFSerializer(TIFFSerializer):
    """:class:`~litdata.types.Tiff` leaves and ``.tif`` paths; read back as numpy arrays.

    LitData 0.2.76 records ``Tiff`` leaves as ``tiff``, a name its own reader does not resolve; we read that name
    but record ``tifffile``, which both releases read.
    """

    def serialize(self, item: Any) -> tuple[bytes, None]:
        if not isinstance(item, Tiff):
            return super().serialize(item)
        if item.array is None and item.image is None:
            return item.require_payload("array", "image")[0], None
        tifffile = require("tifffile", "Writing TIFF leaves")
        array = np.asarray(item.array if item.array is not None else item.image)
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, array)
        return buffer.getvalue(), None

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, Tiff) or super().can_serialize(item)


# ------------------------------------------------------------------------------------------------------ tensors


def _tensor_of(item: Tensor) -> Any:
    """The torch tensor a :class:`~litdata.types.Tensor` leaf stands for (``dtype=`` applied)."""
    import torch

    if item.array is not None:
        tensor = item.array if isinstance(item.array, torch.Tensor) else torch.from_numpy(np.asarray(item.array))
        return tensor.to(item.dtype) if item.dtype is not None else tensor
    data = bytearray(item.bytes)  # type: ignore[arg-type]
    dtype = item.dtype if isinstance(item.dtype, torch.dtype) else torch.from_numpy(np.empty(0, item.dtype)).dtype
    return torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)


def _tensor_like(item: Any) -> bool:
    if not isinstance(item, Tensor):
        return False
    if item.array is not None:
        return (
            isinstance(item.array, np.ndarray) or type(item.array).__name__ == "Tensor" and hasattr(item.array, "dim")
        )
    return item.bytes is not None and item.dtype is not None


class MediaNoHeaderTensorSerializer(NoHeaderTensorSerializer):
    """1-D :class:`~litdata.types.Tensor` leaves (and 1-D tensors) as raw bytes, ``no_header_tensor:{dtype}``."""

    def serialize(self, item: Any) -> tuple[bytes, str]:
        return super().serialize(_tensor_of(item) if isinstance(item, Tensor) else item)

    def can_serialize(self, item: Any) -> bool:
        if _tensor_like(item):
            return _tensor_of(item).ndim == 1
        return super().can_serialize(item)


class MediaTensorSerializer(TensorSerializer):
    """Other :class:`~litdata.types.Tensor` leaves (and tensors with ndim != 1), ``tensor``."""

    def serialize(self, item: Any) -> tuple[bytearray, None]:
        return super().serialize(_tensor_of(item) if isinstance(item, Tensor) else item)

    def can_serialize(self, item: Any) -> bool:
        return _tensor_like(item) or super().can_serialize(item)


# -------------------------------------------------------------------------------------------------------- audio


def wav_bytes(array: Any, sampling_rate: int) -> bytes:
    """16-bit PCM WAV of float samples in [-1, 1], (samples,) or (channels, samples)."""
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    pcm = np.clip(np.asarray(array, dtype=np.float32), -1.0, 1.0)
    if pcm.ndim == 1:
        pcm = pcm[None, :]
    interleaved = (pcm.T.reshape(-1) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(int(pcm.shape[0]))
        out.setsampwidth(2)
        out.setframerate(int(sampling_rate))
        out.writeframes(interleaved.tobytes())
    return buffer.getvalue()


_PCM_DTYPES: dict[int, np.dtype] = {1: np.dtype(np.uint8), 2: np.dtype("<i2"), 4: np.dtype("<i4")}


def _decode_wav(data: bytes) -> tuple[np.ndarray, int] | None:
    """Integer-PCM WAV decoded with the standard library, or None for other WAV flavours (float, ...)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as source:
            channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError):
        return None
    if width not in _PCM_DTYPES:
        return None
    samples = np.frombuffer(frames, dtype=_PCM_DTYPES[width]).astype(np.float32)
    samples = (samples - 128.0) / 128.0 if width == 1 else samples / float(2 ** (8 * width - 1))
    return samples.reshape(-1, channels).T, rate


def decode_audio(data: bytes) -> dict[str, Any]:
    """``{"path": None, "array": float32 samples, "sampling_rate": int}``; mono audio is 1-D, else (channels, N)."""
    decoded = _decode_wav(data) if data[:4] == b"RIFF" else None
    if decoded is None:
        soundfile = require("soundfile", "Decoding non-PCM or compressed audio")
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
        decoded = samples.T, rate
    samples, rate = decoded
    samples = np.ascontiguousarray(samples[0] if samples.shape[0] == 1 else samples)
    return {"path": None, "array": samples, "sampling_rate": int(rate)}


def _check_decode(decode: Any, allowed: tuple[Any, ...], name: str) -> Any:
    if decode not in allowed:
        raise ValueError(
            f"{name}(decode={decode!r}) is not supported here; use one of {', '.join(map(repr, allowed))}."
        )
    return decode


class AudioSerializer(Serializer):
    """:class:`~litdata.types.Audio` leaves (format ``audio:{ext}``), read back as ``{"array", "sampling_rate"}``
    (``decode="bytes"``: the encoded file's bytes)."""

    def __init__(
        self,
        decode: str = "decoder",
        sampling_rate: int | None = None,
        num_channels: int | None = None,
        stream_index: int | None = None,
    ) -> None:
        self.decode = _check_decode(decode, ("decoder", "bytes"), "AudioSerializer")
        self.sampling_rate = sampling_rate
        self.num_channels = num_channels
        self.stream_index = stream_index

    def serialize(self, item: Any) -> tuple[bytes, str]:
        array = rate = None
        if isinstance(item, Audio):
            array, rate = item.array, item.sampling_rate
        elif isinstance(item, dict) and item.get("array") is not None:
            array, rate = item["array"], item.get("sampling_rate")
        if array is not None:
            if rate is None:
                raise KeyError("Audio(array=...) needs sampling_rate= to be encoded as WAV.")
            return wav_bytes(array, rate), "audio:wav"
        data, ext = media_payload(item)
        if ext == "pcm":
            if rate is None:
                raise KeyError("Raw .pcm audio needs Audio(sampling_rate=...) to be encoded as WAV.")
            return wav_bytes(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32767.0, rate), "audio:wav"
        return data, f"audio:{ext or 'wav'}"

    def deserialize(self, data: bytes | memoryview) -> Any:
        if self.decode == "bytes":
            return bytes(data)
        return decode_audio(bytes(data))

    def can_serialize(self, data: Any) -> bool:
        if isinstance(data, Audio):
            return True
        if isinstance(data, dict) and data.get("array") is not None and data.get("sampling_rate") is not None:
            return True
        return has_media_extension(data, AUDIO_EXTENSIONS)


# -------------------------------------------------------------------------------------------------------- video


@dataclass
class FrameBatch:
    """Decoded frames: ``data`` (N, C, H, W) ``uint8`` (or NHWC), with each frame's time stamp and duration."""

    data: Any
    pts_seconds: Any
    duration_seconds: Any


class VideoDecoder:
    """A decoded video: frames by index (``get_frames_at``), by range (``get_frames_in_range``) or ``decoder[i]``.

    Frames are decoded with PyAV on first use (``pip install 'litdata[video]'``).
    """

    def __init__(self, data: bytes, dimension_order: str = "NCHW") -> None:
        if dimension_order not in ("NCHW", "NHWC"):
            raise ValueError(f"dimension_order must be 'NCHW' or 'NHWC', not {dimension_order!r}.")
        self._av = require("av", "Decoding video")
        self._data = data
        self._dimension_order = dimension_order
        self._frames: Any = None
        self._pts: Any = None
        self._duration: Any = None
        self.metadata: dict[str, Any] = {}

    def _decode(self) -> None:
        if self._frames is not None:
            return
        import torch

        with self._av.open(io.BytesIO(self._data)) as container:
            stream = container.streams.video[0]
            frames: list[np.ndarray] = []
            pts: list[float] = []
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                pts.append(float(frame.time) if frame.time is not None else float(len(pts)))
            rate = float(stream.average_rate) if stream.average_rate else None
        stacked = torch.from_numpy(np.stack(frames)) if frames else torch.empty(0, 0, 0, 3, dtype=torch.uint8)
        self._frames = stacked.permute(0, 3, 1, 2).contiguous() if self._dimension_order == "NCHW" else stacked
        self._pts = torch.tensor(pts, dtype=torch.float64)
        self._duration = torch.full((len(pts),), 1.0 / rate if rate else 0.0, dtype=torch.float64)
        self.metadata = {"num_frames": len(frames), "average_fps": rate}

    def __len__(self) -> int:
        self._decode()
        return len(self._frames)

    def __getitem__(self, index: int | slice) -> Any:
        self._decode()
        return self._frames[index]

    def get_frame_at(self, index: int) -> FrameBatch:
        """One frame (``data`` of shape (C, H, W))."""
        self._decode()
        return FrameBatch(self._frames[index], self._pts[index], self._duration[index])

    def get_frames_at(self, indices: int | list[int]) -> FrameBatch:
        """The frames at ``indices`` (one index gives a batch of one)."""
        self._decode()
        selected = [indices] if isinstance(indices, int) else list(indices)
        return FrameBatch(self._frames[selected], self._pts[selected], self._duration[selected])

    def get_frames_in_range(self, start: int, stop: int, step: int = 1) -> FrameBatch:
        """Frames ``start``, ``start + step``, ... below ``stop``."""
        self._decode()
        window = slice(start, stop, step)
        return FrameBatch(self._frames[window], self._pts[window], self._duration[window])


def mp4_bytes(array: Any, fps: float) -> bytes:
    """An MP4 (MPEG-4 part 2) of ``uint8`` frames, (N, H, W, C) or (N, C, H, W)."""
    av = require("av", "Encoding Video(array=...)")
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    frames = np.asarray(array, dtype=np.uint8)
    if frames.ndim != 4:
        raise ValueError(f"Video(array=...) must be (N, H, W, C) or (N, C, H, W), got shape {frames.shape}.")
    if frames.shape[1] in (1, 3) and frames.shape[-1] not in (1, 3):
        frames = frames.transpose(0, 2, 3, 1)
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        from fractions import Fraction

        stream = container.add_stream("mpeg4", rate=Fraction(fps).limit_denominator(1000))
        stream.height, stream.width = frames.shape[1], frames.shape[2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "2"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


class VideoSerializer(Serializer):
    """:class:`~litdata.types.Video` leaves (format ``video:{ext}``), read back as a :class:`VideoDecoder`
    (``decode="bytes"``: the encoded file's bytes)."""

    def __init__(
        self,
        decode: str = "decoder",
        seek_mode: str = "approximate",
        device: str = "cpu",
        num_ffmpeg_threads: int = 1,
        dimension_order: str = "NCHW",
        stream_index: int | None = None,
    ) -> None:
        self.decode = _check_decode(decode, ("decoder", "bytes"), "VideoSerializer")
        self.seek_mode = seek_mode
        self.device = device
        self.num_ffmpeg_threads = num_ffmpeg_threads
        self.dimension_order = dimension_order
        self.stream_index = stream_index

    def serialize(self, item: Any) -> tuple[bytes, str]:
        if isinstance(item, Video) and item.array is not None:
            return mp4_bytes(item.array, item.fps), "video:mp4"
        data, ext = media_payload(item)
        return data, f"video:{ext or 'mp4'}"

    def deserialize(self, data: bytes | memoryview) -> Any:
        if self.decode == "bytes":
            return bytes(data)
        return VideoDecoder(bytes(data), self.dimension_order)

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, Video) or has_media_extension(data, VIDEO_EXTENSIONS)


# ------------------------------------------------------------------------------------ documents, meshes, volumes


class PDFSerializer(Serializer):
    """:class:`~litdata.types.Pdf` leaves (format ``pdf``), read back as a ``pdfplumber.PDF`` (``decode=False``:
    the file's bytes)."""

    def __init__(self, decode: bool = True) -> None:
        self.decode = decode

    def serialize(self, item: Any) -> tuple[bytes, str]:
        if isinstance(item, Pdf) and item.pdf is not None:
            stream = item.pdf.stream
            stream.seek(0)
            return stream.read(), "pdf"
        return media_payload(item)[0], "pdf"

    def deserialize(self, data: bytes | memoryview) -> Any:
        if not self.decode:
            return bytes(data)
        return require("pdfplumber", "Reading PDF leaves").open(io.BytesIO(bytes(data)))

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, Pdf) or has_media_extension(data, ("pdf",))


class MeshSerializer(Serializer):
    """:class:`~litdata.types.Mesh` leaves (format ``mesh:{glb,ply,stl}``), read back with ``trimesh.load``
    (``decode=False``: the file's bytes)."""

    def __init__(self, decode: bool = True) -> None:
        self.decode = decode
        self._file_type = "glb"

    def setup(self, metadata: Any) -> None:
        self._file_type = str(metadata).partition(":")[2] or "glb"

    def serialize(self, item: Any) -> tuple[bytes, str]:
        if isinstance(item, Mesh) and item.mesh is not None:
            file_type = item.file_type.lower()
            if file_type not in MESH_EXTENSIONS:
                raise ValueError(f"Mesh(file_type={item.file_type!r}) must be one of {', '.join(MESH_EXTENSIONS)}.")
            return item.mesh.export(file_type=file_type), f"mesh:{file_type}"
        data, ext = media_payload(item)
        ext = ext or (item.file_type if isinstance(item, Mesh) else "")
        if ext not in MESH_EXTENSIONS:
            raise ValueError(f"Mesh files must be .glb, .ply or .stl (got {ext!r}).")
        return data, f"mesh:{ext}"

    def deserialize(self, data: bytes | memoryview) -> Any:
        if not self.decode:
            return bytes(data)
        trimesh = require("trimesh", "Reading mesh leaves")
        return trimesh.load(io.BytesIO(bytes(data)), file_type=self._file_type)

    def can_serialize(self, data: Any) -> bool:
        return isinstance(data, Mesh) or has_media_extension(data, MESH_EXTENSIONS)


class NiftiSerializer(Serializer):
    """:class:`~litdata.types.Nifti` leaves (format ``nifti:nii`` / ``nifti:nii.gz``), read back with nibabel
    (``decode=False``: the file's bytes)."""

    def __init__(self, decode: bool = True) -> None:
        self.decode = decode

    def serialize(self, item: Any) -> tuple[bytes, str]:
        if isinstance(item, Nifti) and (item.image is not None or item.array is not None):
            image = item.image
            if image is None:
                nibabel = require("nibabel", "Writing Nifti(array=...)")
                affine = np.eye(4) if item.affine is None else np.asarray(item.affine)
                image = nibabel.Nifti1Image(np.asarray(item.array), affine)
            filename = getattr(image.file_map.get("image"), "filename", None) if hasattr(image, "file_map") else None
            if filename and os.path.isfile(filename):
                return media_payload(filename)[0], f"nifti:{_extension(filename)}"
            return image.to_bytes(), "nifti:nii"
        data, ext = media_payload(item)
        return data, "nifti:nii.gz" if ext == "nii.gz" else "nifti:nii"

    def deserialize(self, data: bytes | memoryview) -> Any:
        if not self.decode:
            return bytes(data)
        nibabel = require("nibabel", "Reading NIfTI leaves")
        raw = bytes(data)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return nibabel.Nifti1Image.from_bytes(raw)

    def can_serialize(self, data: Any) -> bool:
        path = _path_of(data)
        if isinstance(data, Nifti):
            return True
        if not path or not (path.lower().endswith(".nii") or path.lower().endswith(".nii.gz")):
            return False
        return not isinstance(data, str) or os.path.isfile(path)


# ------------------------------------------------------------------------------------------------------- graphs


class GraphSerializer(Serializer):
    """:class:`~litdata.types.Graph` and PyG ``Data``/``HeteroData`` leaves as packed tensors (format ``graph``).

    An opaque ``Graph(data=obj)`` (e.g. NetworkX) is pickled (format ``graph:pickle``) and read back as a Graph.
    """

    def __init__(self) -> None:
        self._pickled = False

    def setup(self, metadata: Any) -> None:
        self._pickled = str(metadata).partition(":")[2] == "pickle"

    def serialize(self, item: Any) -> tuple[bytes, str]:
        mapping = graphs.graph_mapping(item)
        if mapping is None:
            return pickle.dumps(item.data), "graph:pickle"
        return graphs.encode_graph(*mapping), "graph"

    def deserialize(self, data: bytes | memoryview) -> Any:
        if self._pickled:
            return Graph(data=pickle.loads(data))
        return graphs.decode_graph(data)

    def can_serialize(self, item: Any) -> bool:
        return isinstance(item, Graph) or graphs.is_pyg_data(item)
