"""The serializer registry, assembled here and only here: every serializer, in the order a leaf is matched.

Writing a leaf picks the first serializer whose ``can_serialize`` accepts it (:func:`select_serializer`), so the
order is LitData 0.2.76's: scalars, then the media kinds (video and audio before images, NIfTI, meshes, PDFs and
graphs after them), then files, PIL and JPEG images, bytes, arrays, tensors, ``json`` and ``pickle`` last. Reading
looks a serializer up by the ``data_format`` recorded in ``index.json`` (:func:`serializer_for_format`).

This module is also LitData 0.2.76's ``litdata.streaming.serializers``: every serializer class (the core ones of
:mod:`litdata.format.serializers` and the media ones of :mod:`litdata.format.media`) is importable from it.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from litdata.format import serializers as _core
from litdata.format.media import (
    AudioSerializer,
    GraphSerializer,
    MediaImageSerializer,
    MediaJPEGArraySerializer,
    MediaJPEGSerializer,
    MediaNoHeaderTensorSerializer,
    MediaPILSerializer,
    MediaTensorSerializer,
    MediaTIFFSerializer,
    MeshSerializer,
    NiftiSerializer,
    PDFSerializer,
    VideoSerializer,
)
from litdata.format.serializers import (
    _LEGACY_SCALAR_FLAVOURS,
    BooleanSerializer,
    BoolSerializer,
    BytesSerializer,
    FileSerializer,
    FloatSerializer,
    ImageSerializer,
    IntegerSerializer,
    IntSerializer,
    JPEGArraySerializer,
    JPEGSerializer,
    JsonLeaf,
    JsonSerializer,
    NoHeaderNumpySerializer,
    NoHeaderTensorSerializer,
    NumericSerializer,
    NumpySerializer,
    PickleRefusedError,
    PickleSerializer,
    PILSerializer,
    RefusedPickleSerializer,
    SerializedBytes,
    Serializer,
    StringSerializer,
    TensorSerializer,
    TextSerializer,
    TIFFSerializer,
    pickle_allowed,
)

__all__ = [
    "AudioSerializer",
    "BoolSerializer",
    "BooleanSerializer",
    "BytesSerializer",
    "FileSerializer",
    "FloatSerializer",
    "GraphSerializer",
    "ImageSerializer",
    "IntSerializer",
    "IntegerSerializer",
    "JPEGArraySerializer",
    "JPEGSerializer",
    "JsonLeaf",
    "JsonSerializer",
    "MeshSerializer",
    "NiftiSerializer",
    "NoHeaderNumpySerializer",
    "NoHeaderTensorSerializer",
    "NumericSerializer",
    "NumpySerializer",
    "PDFSerializer",
    "PILSerializer",
    "PickleRefusedError",
    "PickleSerializer",
    "RefusedPickleSerializer",
    "Serializer",
    "StringSerializer",
    "TIFFSerializer",
    "TensorSerializer",
    "TextSerializer",
    "VideoSerializer",
    "pickle_allowed",
    "select_serializer",
    "serializer_for_format",
]


def _default_serializers() -> OrderedDict[str, Serializer]:
    """A fresh default registry, in matching order. The image, TIFF, PIL, JPEG and tensor entries are the media
    flavours, which also accept the typed leaves of :mod:`litdata.types` (``ld.Image``, ``ld.Tiff``, ...).
    ``tifffile`` is always present: writing a ``Tiff`` leaf needs no library, reading one needs tifffile."""
    return OrderedDict(
        [
            ("str", StringSerializer()),
            ("text", TextSerializer()),
            ("bool", BoolSerializer()),
            ("int", IntSerializer()),
            ("float", FloatSerializer()),
            ("video", VideoSerializer()),
            ("audio", AudioSerializer()),
            ("image", MediaImageSerializer()),
            ("nifti", NiftiSerializer()),
            ("mesh", MeshSerializer()),
            ("pdf", PDFSerializer()),
            ("graph", GraphSerializer()),
            ("tifffile", MediaTIFFSerializer()),
            ("file", FileSerializer()),
            ("pil", MediaPILSerializer()),
            ("jpeg", MediaJPEGSerializer()),
            ("jpeg_array", MediaJPEGArraySerializer()),
            ("bytes", BytesSerializer()),
            ("no_header_numpy", NoHeaderNumpySerializer()),
            ("numpy", NumpySerializer()),
            ("no_header_tensor", MediaNoHeaderTensorSerializer()),
            ("tensor", MediaTensorSerializer()),
            ("json", JsonSerializer()),
            ("pickle", PickleSerializer()),
        ]
    )


_SERIALIZERS: OrderedDict[str, Serializer] = _default_serializers()


def _get_serializers(
    serializers: dict[str, Serializer] | None, allow_pickle: bool | None = None
) -> OrderedDict[str, Serializer]:
    """The registry to use: the user's serializers first (in their order), then the defaults they don't replace.
    Without `pickle_allowed`, the default pickle serializer refuses to read."""
    registry: OrderedDict[str, Serializer] = OrderedDict(serializers or {})
    for name, serializer in _SERIALIZERS.items():
        registry.setdefault(name, serializer)
    if type(registry["pickle"]) is PickleSerializer and not pickle_allowed(allow_pickle):
        registry["pickle"] = RefusedPickleSerializer()
    return registry


def reading_bytes(registry: OrderedDict[str, Serializer]) -> OrderedDict[str, Serializer]:
    """The registry for `Cache` reads: the user's serializers get ``bytes`` in ``deserialize`` (as with LitData's
    ``Cache[i]``; a dataset hands them a ``memoryview`` of the chunk)."""
    return OrderedDict(
        (name, serializer if type(serializer).__module__ == _core.__name__ else _BytesReading(serializer))
        for name, serializer in registry.items()
    )


class _BytesReading(Serializer):
    """A user's serializer whose ``deserialize`` gets ``bytes``, never a view of the chunk."""

    def __init__(self, inner: Serializer) -> None:
        self.inner = inner
        self.size = inner.size

    def serialize(self, data: Any) -> tuple[SerializedBytes, str | None]:
        return self.inner.serialize(data)

    def deserialize(self, data: bytes | memoryview) -> Any:
        return self.inner.deserialize(data if type(data) is bytes else bytes(data))

    def can_serialize(self, data: Any) -> bool:
        return self.inner.can_serialize(data)

    def setup(self, metadata: Any) -> None:
        self.inner.setup(metadata)


def select_serializer(item: Any, registry: OrderedDict[str, Serializer]) -> tuple[str, Serializer]:
    """The ``(key, serializer)`` that writes ``item``: the first in registry order that accepts it."""
    for name, serializer in registry.items():
        if serializer.can_serialize(item):
            return name, serializer
    raise TypeError(
        f"No serializer accepts a leaf of type {type(item).__name__}. Add one with serializers={{'name': ...}}."
    )


_FORMAT_ALIASES = {"tiff": "tifffile"}  # data_format names that differ from their registry key


def serializer_for_format(
    data_format: str, registry: Mapping[str, Serializer], *, legacy_scalars: bool = False
) -> Serializer:
    """A fresh, set-up serializer that reads leaves recorded as ``data_format`` in ``index.json``.

    ``a:b`` resolves to the key ``b`` when registered (e.g. ``graph:pickle``, read back by ``pickle`` as the object
    itself), else ``a`` (e.g. ``no_header_tensor`` for ``no_header_tensor:16``). With ``legacy_scalars`` the default ``int``/``float`` serializers return numpy
    scalars, as LitData 0.2.45 did.
    """
    name, _, parameter = data_format.partition(":")
    name = _FORMAT_ALIASES.get(name, name)
    key = parameter if parameter in registry else name
    if key not in registry:
        raise ValueError(
            f"The dataset uses the data format {data_format!r} (index.json), which no registered serializer handles. "
            "If index.json is intact, pass one to the dataset, e.g. "
            f"StreamingDataset(..., serializers={{{key!r}: YourSerializer()}})."
        )
    serializer = registry[key]
    legacy_flavour = _LEGACY_SCALAR_FLAVOURS.get(type(serializer)) if legacy_scalars else None
    serializer = legacy_flavour() if legacy_flavour is not None else copy.deepcopy(serializer)
    serializer.setup(data_format)
    return serializer


def __getattr__(name: str) -> Any:
    # LitData 0.2.76's module also held the helpers of the core serializers: reachable here as before.
    return getattr(_core, name)
