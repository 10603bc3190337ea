"""`litdata.raw`: `StreamingRawDataset` and its indexers, compared with LitData 0.2.76 (the same files, items and
errors for the same calls; each reads the ``index.json.zstd`` file list the other saved beside the data), and its
download knobs (prefetch, hedging, byte ranges, batch timeout)."""

import os
import threading
import time

import pytest

from litdata.raw import FileMetadata, StreamingRawDataset
from litdata.raw.indexer import INDEX_FILENAME, FileIndexer
from litdata.storage.local import LocalStorage
from litdata.storage.registry import register_storage, unregister_storage

from reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys
from litdata.raw import StreamingRawDataset, FileMetadata
from litdata.raw.indexer import FileIndexer, BaseIndexer

root, mode = sys.argv[1], sys.argv[2]
data = os.path.join(root, "data")
out = {}
if mode == "build":
    for i in range(6):
        os.makedirs(os.path.join(data, f"d{i % 2}"), exist_ok=True)
        with open(os.path.join(data, f"d{i % 2}", f"f{i}.{'txt' if i % 3 else 'bin'}"), "wb") as f:
            f.write(bytes([65 + i]) * (i + 1))
    ds = StreamingRawDataset(data, cache_dir=os.path.join(root, "cache-" + sys.argv[3]))
    out["files"] = sorted([os.path.relpath(f.path, data), f.size] for f in ds.files)
    out["beside_data"] = sorted(n for n in os.listdir(data) if not os.path.isdir(os.path.join(data, n)))
    out["cache"] = sorted(n for r, _, fs in os.walk(os.path.join(root, "cache-" + sys.argv[3])) for n in fs)
    order = sorted(range(len(ds)), key=lambda i: ds.files[i].path)
    out["items"] = [ds[i].decode() for i in order]
    out["batch"] = [x.decode() for x in ds.__getitems__(order[:3])]
    ext = StreamingRawDataset(data, cache_dir=os.path.join(root, "ext-" + sys.argv[3]), indexer=FileIndexer(extensions=[".bin"]))
    out["ext"] = sorted(os.path.basename(f.path) for f in ext.files)
    paths = StreamingRawDataset(data, cache_dir=os.path.join(root, "p-" + sys.argv[3]), cache_files=True, item_type="path")
    p = paths[0]
    out["path_item"] = [os.path.isfile(p), p.startswith(os.path.join(root, "p-" + sys.argv[3])), open(p, "rb").read() == open(paths.files[0].path, "rb").read()]
    class Pairs(StreamingRawDataset):
        def setup(self, files):
            files = sorted(files, key=lambda f: f.path)
            return [files[i:i + 2] for i in range(0, len(files), 2)]
    pairs = Pairs(data, cache_dir=os.path.join(root, "pairs-" + sys.argv[3]), transform=lambda fs: b"+".join(fs).decode())
    out["pairs"] = [pairs[i] for i in range(len(pairs))]
    errors = []
    for setup in (lambda self, files: tuple(files), lambda self, files: ["x"]):
        Bad = type("Bad", (StreamingRawDataset,), {"setup": setup})
        try:
            b = Bad(data, cache_dir=os.path.join(root, "bad-" + sys.argv[3]))
            b[0]
            errors.append("ok")
        except Exception as e:
            errors.append([type(e).__name__, str(e)])
    for bad in ("ftp://host/x", "http://host/x"):
        try:
            FileIndexer().discover_files(bad, None); errors.append("ok")
        except Exception as e:
            errors.append([type(e).__name__, str(e)[:40]])
    os.makedirs(os.path.join(root, "empty"), exist_ok=True)
    try:
        StreamingRawDataset(os.path.join(root, "empty"), cache_dir=os.path.join(root, "e-" + sys.argv[3]))
    except ValueError as e:
        errors.append(["ValueError", str(e).replace(root, "<root>")])
    try:
        ds[len(ds)]
    except IndexError as e:
        errors.append(["IndexError", str(e)])
    for item_type, cache_files in (("other", False), ("path", False)):
        try:
            StreamingRawDataset(data, item_type=item_type, cache_files=cache_files)
        except ValueError as e:
            errors.append(["ValueError", str(e)])
    out["errors"] = errors
    fm = FileMetadata("a", 3)
    out["fm"] = [fm.to_dict(), FileMetadata.from_dict({"path": "b", "size": 4}) == FileMetadata("b", 4)]
    r = StreamingRawDataset(data, cache_dir=os.path.join(root, "k-" + sys.argv[3]), max_prefetch=0)
    out["knobs"] = [r.max_prefetch, r.prefetch_cache_size, r.hedge_delay, r.download_timeout, r.max_concurrent_downloads]
    r = StreamingRawDataset(data, cache_dir=os.path.join(root, "k2-" + sys.argv[3]), max_prefetch=5, hedge_delay=-1, download_timeout=-3)
    out["knobs2"] = [r.max_prefetch, r.prefetch_cache_size, r.hedge_delay, r.download_timeout]
elif mode == "read":
    # a new file appears: a reader with a fresh cache folder must use the index saved beside the data
    with open(os.path.join(data, "late.txt"), "wb") as f:
        f.write(b"late")
    ds = StreamingRawDataset(data, cache_dir=os.path.join(root, "cache-" + sys.argv[3]))
    out["files"] = sorted([os.path.relpath(f.path, data), f.size] for f in ds.files)
    os.remove(os.path.join(data, "late.txt"))
print(json.dumps(out))
"""


def test_the_same_calls_give_the_same_files_items_and_errors_as_litdata_0_2_76(tmp_path):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = run_ours(SCRIPT, str(tmp_path / "ours"), "build", "first")
    assert ours["beside_data"] == [INDEX_FILENAME] and INDEX_FILENAME in ours["cache"]
    assert ours == run_reference(SCRIPT, str(tmp_path / "theirs"), "build", "first")


def test_each_release_reuses_the_file_index_the_other_saved_beside_the_data(tmp_path):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    built_by_us = run_ours(SCRIPT, str(tmp_path / "ours"), "build", "first")
    built_by_them = run_reference(SCRIPT, str(tmp_path / "theirs"), "build", "first")
    # a file added afterwards is not seen by a reader with a fresh cache folder: it used the saved list
    assert run_reference(SCRIPT, str(tmp_path / "ours"), "read", "fresh")["files"] == built_by_us["files"]
    assert run_ours(SCRIPT, str(tmp_path / "theirs"), "read", "fresh")["files"] == built_by_them["files"]


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(40):
        (data / f"{i:03d}.bin").write_bytes(bytes([i]) * (1000 + i))
    return data


def _contents(folder):
    return [(folder / f"{i:03d}.bin").read_bytes() for i in range(40)]


def test_a_batch_of_consecutive_items_prefetches_the_next_ones(folder, tmp_path):
    dataset = StreamingRawDataset(str(folder), cache_dir=str(tmp_path / "cache"), max_prefetch=4)
    expected = _contents(folder)  # files are listed in path order
    assert dataset.__getitems__([0, 1]) == expected[:2]
    deadline = time.monotonic() + 30
    while dataset._inflight and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(2, 6):  # prefetched: readable after the files are gone
        os.remove(folder / f"{i:03d}.bin")
    assert dataset.__getitems__([2, 3, 4, 5]) == expected[2:6]
    os.remove(folder / "020.bin")  # never prefetched: read when asked for
    with pytest.raises(OSError):
        dataset[20]


def test_hedged_and_ranged_reads_return_the_whole_files(folder, tmp_path):
    expected = _contents(folder)
    hedged = StreamingRawDataset(str(folder), cache_dir=str(tmp_path / "a"), hedge_delay=1e-6, max_prefetch=0)
    ranged = StreamingRawDataset(
        str(folder), cache_dir=str(tmp_path / "b"), range_parallel_threshold=1010, range_chunk_size=7
    )
    for dataset in (hedged, ranged):
        order = sorted(range(len(dataset)), key=lambda i: dataset.files[i].path)
        assert dataset.__getitems__(order) == expected


class _SlowStorage(LocalStorage):
    """Local files behind a ``slow://`` URL, each read taking a while."""

    delay = 3.0
    schemes = ("slow://",)

    def _read_range(self, url, offset, length):
        time.sleep(self.delay)
        return super()._read_range(url[len("slow://") :], offset, length)

    def _list(self, url):
        for obj in super()._list(url[len("slow://") :]):
            yield type(obj)("slow://" + obj.url, obj.size)

    def _download(self, url, local_path_):
        super()._download(url[len("slow://") :], local_path_)

    def _upload(self, local_path_, url):
        super()._upload(local_path_, url[len("slow://") :])


@pytest.fixture
def slow_storage():
    register_storage("slow://", _SlowStorage)
    yield
    unregister_storage("slow://")


def test_a_batch_that_takes_longer_than_download_timeout_raises_timeout_error(folder, tmp_path, slow_storage):
    dataset = StreamingRawDataset(
        f"slow://{folder}", cache_dir=str(tmp_path / "cache"), download_timeout=0.2, max_prefetch=0
    )
    with pytest.raises(TimeoutError, match="download_timeout"):
        dataset.__getitems__([0, 1])
    patient = StreamingRawDataset(f"slow://{folder}", cache_dir=str(tmp_path / "cache"), download_timeout=0)
    assert len(patient[0]) >= 1000


def test_setup_must_return_a_list_of_file_metadata_or_of_lists_of_them(folder, tmp_path):
    class Tuple(StreamingRawDataset):
        def setup(self, files):
            return tuple(files)

    class Names(StreamingRawDataset):
        def setup(self, files):
            return [[f.path] for f in files]

    with pytest.raises(TypeError, match="must return a list"):
        Tuple(str(folder), cache_dir=str(tmp_path / "cache"))
    with pytest.raises(TypeError, match="FileMetadata or List"):
        Names(str(folder), cache_dir=str(tmp_path / "cache"))


def test_unsupported_schemes_are_refused_before_any_network_access(tmp_path):
    for url in ("ftp://example.invalid/data", "http://example.invalid/data"):
        with pytest.raises(ValueError, match="Unsupported input directory scheme"):
            StreamingRawDataset(url, cache_dir=str(tmp_path / "cache"))
    assert FileIndexer(extensions=["bin"])._should_include_file("x/a.BIN")
    assert FileMetadata.from_dict({"path": "p", "size": 1}) == FileMetadata("p", 1)


def test_concurrent_batches_from_threads_get_their_own_items(folder, tmp_path):
    dataset = StreamingRawDataset(str(folder), cache_dir=str(tmp_path / "cache"), max_prefetch=8)
    order = sorted(range(len(dataset)), key=lambda i: dataset.files[i].path)
    expected = _contents(folder)
    results = {}

    def read(start):
        results[start] = dataset.__getitems__(order[start : start + 10])

    threads = [threading.Thread(target=read, args=(start,)) for start in range(0, 40, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [x for start in sorted(results) for x in results[start]] == expected
