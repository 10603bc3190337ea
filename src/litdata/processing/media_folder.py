"""Inputs for ``optimize`` from media collections: WebDataset tar shards and folders of media files.

``iter_webdataset_tar(path)`` yields one dict per sample of a tar shard (members grouped by key, the file name up to
its first dot): ``{ext: bytes, ..., "__key__": key, "__url__": path}``. ``list_media_folder(root, kind=)`` lists the
files of one media kind under ``root``, sorted, with the parent folder's name as ``label`` (class-per-folder
layouts); files directly in ``root`` have no label.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from typing import Any

__all__ = ["MEDIA_EXTENSIONS", "iter_webdataset_tar", "list_media_folder"]

MEDIA_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "audio": ("aac", "flac", "m4a", "mp3", "ogg", "opus", "pcm", "wav", "wma"),
    "image": ("bmp", "gif", "jpeg", "jpg", "png", "tif", "tiff", "webp"),
    "mesh": ("glb", "ply", "stl"),
    "nifti": ("nii", "nii.gz"),
    "pdf": ("pdf",),
    "text": ("md", "txt"),
    "video": ("avi", "h264", "mjpeg", "mkv", "mov", "mp4", "mpeg", "mpg", "ogv", "webm", "wmv"),
}


def iter_webdataset_tar(tar_path: str) -> Iterator[dict[str, Any]]:
    """The samples of a WebDataset tar shard, in order of first appearance.

    Members sharing a key (``dir/0001.jpg`` and ``dir/0001.cls`` have key ``0001``) form one sample; each value is
    the member's bytes under its extension (``jpg``, ``cls``, ``seg.png``...). Members without an extension and
    directories are skipped.
    """
    samples: dict[str, dict[str, Any]] = {}
    with tarfile.open(tar_path, "r:*") as archive:
        for member in archive:
            if not member.isfile():
                continue
            key, dot, extension = os.path.basename(member.name).partition(".")
            if not dot or not extension:
                continue
            file = archive.extractfile(member)
            samples.setdefault(key, {})[extension] = file.read() if file is not None else b""
    for key, sample in samples.items():
        sample["__key__"] = key
        sample["__url__"] = tar_path
        yield sample


def _kind_of(name: str, extensions: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(lowered.endswith("." + extension) for extension in extensions)


def list_media_folder(root: str, kind: str = "image", drop_labels: bool = False) -> list[dict[str, Any]]:
    """``[{"path": absolute path, "label": parent folder name or None}, ...]`` for the ``kind`` files under
    ``root`` (``image``, ``audio``, ``video``, ``text``, ``pdf``, ``mesh``, ``nifti``), sorted by path."""
    if kind not in MEDIA_EXTENSIONS:
        raise ValueError(f"Unknown media kind {kind!r}. Expected one of {sorted(MEDIA_EXTENSIONS)}.")
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"The media folder {root!r} does not exist.")
    rows = []
    for folder, _, files in os.walk(root):
        for name in files:
            if _kind_of(name, MEDIA_EXTENSIONS[kind]):
                label = None if drop_labels or folder == root else os.path.basename(folder)
                rows.append({"path": os.path.join(folder, name), "label": label})
    return sorted(rows, key=lambda row: row["path"])
