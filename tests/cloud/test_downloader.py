"""LitData's downloader registry, as a facade over the storage seam."""

import io
import os
import shutil

import pytest

from litdata import StreamingDataset
from litdata.streaming import downloader as dl
from litdata.streaming.downloader import (
    AzureDownloader,
    Downloader,
    FsspecDownloader,
    GCPDownloader,
    HFDownloader,
    LocalDownloader,
    LocalDownloaderWithCache,
    R2Downloader,
    S3Downloader,
    get_downloader,
    register_downloader,
    unregister_downloader,
)

from helpers import build_dataset


@pytest.mark.parametrize(
    ("url", "cls"),
    [
        ("s3://b/d", S3Downloader),
        ("gs://b/d", GCPDownloader),
        ("azure://c/d", AzureDownloader),
        ("r2://b/d", R2Downloader),
        ("hf://datasets/o/r", HFDownloader),
        ("local:/data", LocalDownloaderWithCache),
        ("memory://x/d", FsspecDownloader),
        ("/data/d", LocalDownloader),
    ],
)
def test_get_downloader_picks_the_class_by_prefix(url, cls, tmp_path):
    downloader = get_downloader(url, str(tmp_path), [], storage_options={}, session_options={})
    assert type(downloader) is cls


def test_registering_twice_needs_overwrite_and_unregistering_an_unknown_prefix_fails():
    with pytest.raises(ValueError, match="already registered"):
        register_downloader("s3://", S3Downloader)
    register_downloader("s3://", S3Downloader, overwrite=True)
    with pytest.raises(KeyError):
        unregister_downloader("nope://")


class FolderDownloader(Downloader):
    """A user-defined downloader: ``folder://name`` URLs are folders under a root directory."""

    root = ""
    calls: list = []

    def download_file(self, remote_filepath: str, local_filepath: str) -> None:
        self.calls.append(remote_filepath)
        shutil.copyfile(os.path.join(self.root, remote_filepath[len("folder://") :]), local_filepath)


def test_a_registered_downloader_streams_a_dataset_under_its_own_prefix(tmp_path, monkeypatch):
    build_dataset(tmp_path / "store" / "ds", 30, make=lambda i: i * 3)
    monkeypatch.setattr(FolderDownloader, "root", str(tmp_path / "store"))
    monkeypatch.setattr(dl, "_DOWNLOADERS", dict(dl._DOWNLOADERS))
    register_downloader("folder://", FolderDownloader)
    dataset = StreamingDataset("folder://ds", cache_dir=str(tmp_path / "cache"))
    assert list(dataset) == [i * 3 for i in range(30)]
    assert "folder://ds/index.json" in FolderDownloader.calls and "folder://ds/chunk-0-2.bin" in FolderDownloader.calls
    unregister_downloader("folder://")
    assert type(get_downloader("folder://ds", str(tmp_path), [])) is FsspecDownloader


def _read(folder: str, name: str) -> bytes:
    with open(os.path.join(folder, name), "rb") as f:
        return f.read()


def test_downloader_methods_reach_the_bucket(s3, tmp_path, upload):
    local = build_dataset(tmp_path / "local", 20, make=lambda i: i)
    url = upload(local, f"{s3.endpoint}/ds", s3.storage_options)
    chunks = [{"filename": "chunk-0-0.bin"}, {"filename": "chunk-0-1.bin"}]
    downloader = get_downloader(url, str(tmp_path / "cache"), chunks, s3.storage_options)
    os.makedirs(tmp_path / "cache")
    downloader.download_chunk_from_index(1)
    assert (tmp_path / "cache" / "chunk-0-1.bin").read_bytes() == _read(local, "chunk-0-1.bin")
    missing_local = str(tmp_path / "cache" / "chunk-0-0.bin")
    original = _read(local, "chunk-0-0.bin")
    assert downloader.download_bytes(f"{url}/chunk-0-0.bin", 4, 8, missing_local) == original[4:12]
    buffer = io.BytesIO()
    downloader.download_fileobj(f"{url}/index.json", buffer)
    assert buffer.getvalue() == _read(local, "index.json")
