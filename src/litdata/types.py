"""Typed leaves: wrap a value so ``optimize`` stores it with a chosen encoding instead of guessing from its type.

``Text(path=...)`` stores a caption file's text, while a bare path string would be embedded as a file (or pickled).
Each wrapper takes a source (``path=``, ``bytes=`` or an in-memory value such as ``array=``) plus encoding options;
the serializers in :mod:`litdata.format.media` turn it into bytes and record a ``data_format`` such as
``image:png`` or ``audio:wav``. Reading never returns the wrapper: images come back as CHW ``uint8`` tensors, audio as
a dict with ``array`` and ``sampling_rate``, video as a frame decoder, graphs as PyG ``Data`` (or :class:`Graph`).

Pure data: importing this module imports neither torch nor any media library.
"""

from __future__ import annotations

import builtins
import importlib
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Audio",
    "File",
    "GRAPH_FIELDS",
    "Graph",
    "Image",
    "Jpeg",
    "JpegArray",
    "Mesh",
    "Nifti",
    "Pdf",
    "Pil",
    "Tensor",
    "Text",
    "Tiff",
    "Video",
]

GRAPH_FIELDS: tuple[str, ...] = ("x", "edge_index", "edge_attr", "y", "pos", "batch")
"""The named tensor fields of :class:`Graph`, in storage order."""


class _Unset:
    """Marks an option the caller did not pass (``Jpeg(max_quality=...)`` defaults to a cap of 95)."""

    def __repr__(self) -> str:
        return "<UNSET>"

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _read_file(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _extension(path: str | None) -> str:
    """The lower-case extension without the dot (``nii.gz`` for compressed NIfTI), ``""`` without a path."""
    if not path:
        return ""
    name = os.fspath(path).split("?", 1)[0].lower()
    if name.endswith(".nii.gz"):
        return "nii.gz"
    return os.path.splitext(name)[1].lstrip(".")


class _Source:
    """Shared behaviour of wrappers that may point at a file (``path=``) or carry its bytes (``bytes=``)."""

    path: str | None
    bytes: bytes | None

    def payload(self) -> tuple[builtins.bytes, str] | None:
        """``(file bytes, extension)`` when the wrapper was given ``bytes=`` or ``path=``, else ``None``."""
        if self.bytes is not None:
            return bytes(self.bytes), _extension(self.path)
        if self.path is not None:
            if not os.path.isfile(self.path):
                raise FileNotFoundError(f"{type(self).__name__}(path={self.path!r}): no such file.")
            return _read_file(self.path), _extension(self.path)
        return None

    def require_payload(self, *in_memory: str) -> tuple[builtins.bytes, str]:
        found = self.payload()
        if found is None:
            options = ", ".join(f"{name}=" for name in ("path", "bytes", *in_memory))
            raise TypeError(f"{type(self).__name__} needs one of {options} (all are None).")
        return found


@dataclass
class Text(_Source):
    """A text leaf stored as UTF-8 (format ``text``) and read back as ``str``.

    Give a source: ``text`` (a ``str``), ``bytes`` (UTF-8 encoded) or ``path`` (a text file to embed); ``text``
    wins over the others, as in LitData 0.2.76. A ``Text()`` without any is refused when written (``TypeError``).
    """

    path: str | None = None
    bytes: bytes | None = None
    text: str | None = None

    def encoded(self) -> builtins.bytes:
        """The UTF-8 bytes to store."""
        if self.text is not None:
            return self.text.encode("utf-8")
        if self.path is None and self.bytes is None:
            raise TypeError("Text needs path=, bytes=, or text= to be written; e.g. Text(text='a caption').")
        return self.require_payload()[0]


@dataclass
class File(_Source):
    """An opaque file leaf stored as raw bytes (format ``file:{ext}``, or ``file`` without a path), read as bytes.

    Give exactly one source: ``path`` (a file to embed; its extension names the format) or ``bytes``.
    """

    path: str | None = None
    bytes: bytes | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.bytes is None):
            raise ValueError("File needs exactly one of path=, bytes=.")

    def content(self) -> builtins.bytes:
        """The bytes to store."""
        return self.require_payload()[0]

    def extension(self) -> str:
        """The file extension without the dot (``""`` for in-memory bytes or a path without one)."""
        return os.path.splitext(self.path)[1].lstrip(".") if self.path is not None else ""


@dataclass
class Image(_Source):
    """An image read back as a ``uint8`` (3, H, W) RGB tensor (format ``image:{ext}``).

    ``path=``/``bytes=`` store the file as it is. ``array=`` (H, W[, C]) or ``image=`` (PIL) are encoded: PNG by
    default, or ``format="jpeg"`` (``quality=`` sets the JPEG quality). ``mode=`` converts first (e.g. ``"L"``).
    ``max_quality=`` caps JPEG quality: JPEGs at or below it are kept, anything else is re-encoded at the cap.
    """

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    image: Any = None
    mode: str | None = None
    format: str | None = None
    quality: int | None = None
    max_quality: int | None = None


@dataclass
class Jpeg(_Source):
    """A JPEG image, read back as a ``uint8`` (3, H, W) RGB tensor.

    ``path=`` stores the file as it is. ``bytes=``, ``array=`` or ``image=`` are stored as JPEG: existing JPEG
    bytes at or below ``max_quality`` (95 unless given; ``None`` keeps any JPEG) are kept, everything else is
    encoded at ``quality`` (default 95).
    """

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    image: Any = None
    mode: str | None = None
    quality: int | None = None
    max_quality: Any = UNSET


@dataclass
class JpegArray:
    """A list of JPEG images (e.g. video frames) in one leaf, read back as a list of CHW ``uint8`` tensors.

    ``images`` holds :class:`Jpeg` wrappers, JPEG bytes, paths or PIL images; ``quality``/``max_quality`` apply to
    every frame that is (re-)encoded.
    """

    images: list[Any] = field(default_factory=list)
    quality: int | None = None
    max_quality: Any = UNSET


@dataclass
class Pil(_Source):
    """An image read back as a ``PIL.Image`` (raw pixels, format ``pil``; ``path=`` keeps the file: ``image:{ext}``).

    ``mode=`` converts before storing.
    """

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    image: Any = None
    mode: str | None = None


@dataclass
class Tiff(_Source):
    """A TIFF image or stack, read back as a numpy array with ``tifffile`` (format ``tiff``)."""

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    image: Any = None


@dataclass
class Tensor(_Source):
    """A tensor leaf, read back as a ``torch.Tensor`` (formats ``tensor`` / ``no_header_tensor:{dtype}``).

    ``array=`` takes a tensor or numpy array (``dtype=`` casts it); ``bytes=`` with ``dtype=`` is read as a 1-D
    tensor of that dtype.
    """

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    dtype: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``array`` (``AttributeError`` for a tensor given as ``path=``/``bytes=``)."""
        if self.array is None:
            raise AttributeError("Tensor.shape needs array=; a Tensor given as path= or bytes= has no shape yet.")
        return tuple(self.array.shape)


@dataclass
class Audio(_Source):
    """Audio, read back as ``{"array": float32 samples, "sampling_rate": int}`` (format ``audio:{ext}``).

    ``path=``/``bytes=`` store the file as it is; ``array=`` ((samples,) or (channels, samples), floats in [-1, 1])
    with ``sampling_rate=`` is stored as 16-bit PCM WAV. Decoding WAV needs nothing else; other formats need
    ``pip install 'litdata[audio]'``.
    """

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    sampling_rate: int | None = None
    num_channels: int | None = None
    stream_index: int | None = None


@dataclass
class Video(_Source):
    """A video, read back as a decoder with ``get_frames_at`` / ``get_frames_in_range`` (format ``video:{ext}``).

    ``path=``/``bytes=`` store the file as it is; ``array=`` ((N, H, W, C) or (N, C, H, W) ``uint8``) is encoded
    as MP4 at ``fps``. Needs ``pip install 'litdata[video]'``.
    """

    path: str | None = None
    bytes: bytes | None = None
    array: Any = None
    fps: float = 25.0
    stream_index: int | None = None
    dimension_order: str = "NCHW"
    num_ffmpeg_threads: int = 1
    seek_mode: str = "approximate"
    device: str = "cpu"


@dataclass
class Pdf(_Source):
    """A PDF document, read back as a ``pdfplumber.PDF`` (format ``pdf``; needs ``litdata[pdf]`` to read)."""

    path: str | None = None
    bytes: bytes | None = None
    pdf: Any = None


@dataclass
class Mesh(_Source):
    """A 3D mesh, read back with ``trimesh`` (format ``mesh:{ext}``; needs ``litdata[mesh]``).

    ``mesh=`` (a trimesh object) is exported as ``file_type`` (``glb``, ``ply`` or ``stl``).
    """

    path: str | None = None
    bytes: bytes | None = None
    mesh: Any = None
    file_type: str = "glb"


@dataclass
class Nifti(_Source):
    """A NIfTI volume, read back as a ``nibabel`` image (format ``nifti:nii`` / ``nifti:nii.gz``; ``litdata[nifti]``).

    ``array=`` with ``affine=`` (default identity) builds a ``Nifti1Image``; ``image=`` takes one directly.
    """

    path: str | None = None
    bytes: bytes | None = None
    image: Any = None
    array: Any = None
    affine: Any = None


@dataclass
class Graph:
    """A graph as named tensors (format ``graph``), read back as PyG ``Data`` when ``torch_geometric`` is installed.

    ``data=`` adds more fields (a dict, or a PyG ``Data``/``HeteroData`` via ``to_dict()``); the named fields win over
    it. Any other ``data=`` object (e.g. a NetworkX graph) is pickled (format ``graph:pickle``).
    """

    x: Any = None
    edge_index: Any = None
    edge_attr: Any = None
    y: Any = None
    pos: Any = None
    batch: Any = None
    data: Any = None

    def fields(self) -> dict[str, Any]:
        """All fields: ``data`` entries first, then the named fields that are set."""
        merged = dict(self.data) if isinstance(self.data, dict) else {}
        merged.update({name: getattr(self, name) for name in GRAPH_FIELDS if getattr(self, name) is not None})
        return merged

    def to_mapping(self) -> dict[str, Any]:
        """The graph as one flat mapping of fields (what ``Data.from_dict`` takes): ``data`` entries (a dict or a PyG
        object's ``to_dict()``), then the named fields that are set. An opaque ``data=`` object gives ``{}``."""
        if self.data is not None and not isinstance(self.data, dict):
            if hasattr(self.data, "to_dict"):
                return {**self.data.to_dict(), **self.fields()}
            if any(getattr(self, name) is not None for name in GRAPH_FIELDS):
                raise TypeError(
                    "Graph.data= must be a PyG Data, a dict or left out when tensor fields are given: an opaque "
                    "data= object (e.g. a NetworkX graph) is stored on its own, pickled."
                )
            return {}
        return self.fields()

    def to_pyg(self) -> Any:
        """This graph as a ``torch_geometric.data.Data`` (needs ``pip install 'litdata[graph]'``)."""
        data_cls = require_pyg().data.Data
        return data_cls.from_dict(self.fields())


def require_pyg() -> Any:
    """The ``torch_geometric`` module, or an ImportError naming the extra to install."""
    try:
        importlib.import_module("torch_geometric.data")
        return importlib.import_module("torch_geometric")
    except ImportError as error:
        raise ModuleNotFoundError(
            "Reading graphs as PyG objects needs torch_geometric: pip install 'litdata[graph]'."
        ) from error
