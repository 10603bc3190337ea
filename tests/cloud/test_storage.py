"""The storage seam against real servers: every backend uploads, lists, reads ranges, downloads and deletes."""

import os

import pytest

from litdata.storage import StorageAccessError, get_storage, join_url
from litdata.storage.azure import AzureStorage
from litdata.storage.fsspec import FsspecStorage
from litdata.storage.gcs import GCSStorage
from litdata.storage.local import LocalStorage
from litdata.storage.r2 import R2Storage
from litdata.storage.s3 import S3Storage


def _write(path, data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


@pytest.fixture
def any_storage(request, tmp_path):
    """(storage, root URL) for each backend, including the local and fsspec fallbacks."""
    kind = request.param
    if kind == "local":
        return get_storage(str(tmp_path / "bucket")), str(tmp_path / "bucket")
    if kind == "memory":
        return get_storage("memory://x"), f"memory://{tmp_path.name}"
    backend = request.getfixturevalue(kind)
    return get_storage(backend.endpoint, backend.storage_options), backend.endpoint


ALL = ["s3", "gcs", "azure", "local", "memory"]


@pytest.mark.parametrize("any_storage", ALL, indirect=True)
def test_upload_list_read_download_and_delete_round_trip(any_storage, tmp_path):
    storage, root = any_storage
    payload = bytes(range(256)) * 40
    source = _write(tmp_path / "src.bin", payload)
    for name in ("data/a.bin", "data/sub/b.bin", "other/c.bin"):
        storage.upload_file(source, join_url(root, name))

    listed = storage.list(join_url(root, "data"))
    assert [o.url for o in listed] == [join_url(root, "data/a.bin"), join_url(root, "data/sub/b.bin")]
    assert {o.size for o in listed} == {len(payload)}
    assert storage.exists(join_url(root, "data/a.bin"))
    assert not storage.exists(join_url(root, "data/missing.bin"))
    assert storage.size(join_url(root, "data/a.bin")) == len(payload)
    assert storage.read_range(join_url(root, "data/a.bin"), 10, 20) == payload[10:30]
    assert storage.read_range(join_url(root, "data/a.bin"), len(payload) - 5) == payload[-5:]
    assert storage.read_bytes(join_url(root, "other/c.bin")) == payload

    target = tmp_path / "out" / "a.bin"
    storage.download_file(join_url(root, "data/a.bin"), str(target))
    assert target.read_bytes() == payload
    assert os.listdir(target.parent) == ["a.bin"]  # no temporary file left behind

    assert storage.delete_prefix(join_url(root, "data")) == 2
    assert storage.list(join_url(root, "data")) == []
    storage.delete(join_url(root, "other/c.bin"))
    storage.delete(join_url(root, "other/c.bin"))  # deleting twice is fine
    assert not storage.exists(join_url(root, "other/c.bin"))


@pytest.mark.parametrize("any_storage", ALL, indirect=True)
def test_downloading_a_missing_object_raises_file_not_found_naming_the_url(any_storage, tmp_path):
    storage, root = any_storage
    url = join_url(root, "nope/missing.bin")
    with pytest.raises(FileNotFoundError, match="missing.bin"):
        storage.download_file(url, str(tmp_path / "x.bin"))
    assert not (tmp_path / "x.bin").exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("any_storage", ALL, indirect=True)
def test_bulk_download_fetches_every_file(any_storage, tmp_path):
    storage, root = any_storage
    names = [f"bulk/{i}.bin" for i in range(5)]
    for i, name in enumerate(names):
        storage.upload_file(_write(tmp_path / "src", bytes([i]) * (100 + i)), join_url(root, name))
    pairs = [(join_url(root, name), str(tmp_path / "dl" / name)) for name in names]
    storage.download_files(pairs)
    for i, (_, local) in enumerate(pairs):
        with open(local, "rb") as f:
            assert f.read() == bytes([i]) * (100 + i)


def test_urls_pick_their_backend():
    assert type(get_storage("s3://b/k")) is S3Storage
    assert type(get_storage("gs://b/k")) is GCSStorage
    assert type(get_storage("azure://c/k")) is AzureStorage
    assert type(get_storage("r2://b/k", {"account_id": "acc"})) is R2Storage
    assert type(get_storage("memory://b/k")) is FsspecStorage
    assert type(get_storage("local:/data")) is LocalStorage
    assert type(get_storage("/data")) is LocalStorage


def test_r2_speaks_s3_to_the_account_endpoint(s3, tmp_path):
    assert get_storage("r2://b", {"account_id": "acc"}).settings.endpoint_url == "https://acc.r2.cloudflarestorage.com"
    r2 = get_storage(s3.endpoint.replace("s3://", "r2://"), s3.storage_options)
    url = s3.endpoint.replace("s3://", "r2://") + "/x/y.bin"
    r2.upload_file(_write(tmp_path / "y", b"r2 data"), url)
    assert r2.list(url.rsplit("/", 1)[0])[0].url == url
    assert get_storage(s3.endpoint, s3.storage_options).read_bytes(f"{s3.endpoint}/x/y.bin") == b"r2 data"


def test_wrong_credentials_fail_with_a_clear_error(seaweed, tmp_path):
    good = get_storage(seaweed.endpoint, seaweed.storage_options)
    good.upload_file(_write(tmp_path / "f", b"secret"), f"{seaweed.endpoint}/f.bin")
    wrong = get_storage(seaweed.endpoint, {**seaweed.storage_options, "aws_secret_access_key": "wrong"})
    with pytest.raises(StorageAccessError, match=r"access denied.*aws_access_key_id"):
        wrong.download_file(f"{seaweed.endpoint}/f.bin", str(tmp_path / "out.bin"))
    assert not (tmp_path / "out.bin").exists()


def test_hf_urls_without_huggingface_hub_name_the_package(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(ImportError, match="pip install huggingface_hub"):
        get_storage("hf://datasets/org/repo").list("hf://datasets/org/repo")
