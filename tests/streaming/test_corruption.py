"""Corrupted chunks and indexes raise errors that name the file and the fix; they are never read as data."""

import json
import os
import re

import numpy as np
import pytest
import torch

from litdata import StreamingDataLoader, StreamingDataset
from litdata.format.checksums import ChunkChecksumError
from litdata.format.chunk import ChunkCorruptedError

from helpers import build_dataset


def sample(i):
    return {"i": i, "x": np.full(3, i, dtype=np.int32), "s": "v" * (i % 4)}


@pytest.fixture
def folder(tmp_path):
    return build_dataset(tmp_path / "data", 30, chunk_size=10, make=sample)


def flip(path, position, mask=0x01):
    with open(path, "r+b") as f:
        f.seek(position)
        byte = f.read(1)[0]
        f.seek(position)
        f.write(bytes([byte ^ mask]))


def read_everything(folder, **kwargs):
    dataset = StreamingDataset(folder, **kwargs)
    return [dataset[i] for i in range(len(dataset))]


def test_optimize_records_a_checksum_per_chunk(folder):
    with open(os.path.join(folder, "index.json")) as f:
        chunks = json.load(f)["chunks"]
    assert len(chunks) == 3
    assert all(re.fullmatch(rf"xxh3:[0-9a-f]{{16}}:{chunk['chunk_bytes']}", chunk["checksum"]) for chunk in chunks)


def test_crc32_checksums_are_verified_too(folder):
    from litdata.format.checksums import chunk_checksum

    path = os.path.join(folder, "index.json")
    with open(path) as f:
        index = json.load(f)
    for chunk in index["chunks"]:
        with open(os.path.join(folder, chunk["filename"]), "rb") as f:
            chunk["checksum"] = chunk_checksum([f.read()], chunk, index["config"], "crc32")
    with open(path, "w") as f:
        json.dump(index, f)
    assert len(read_everything(folder)) == 30
    flip(os.path.join(folder, "chunk-0-2.bin"), 40)
    with pytest.raises(ValueError, match="chunk-0-2.bin"):
        read_everything(folder)


def test_a_chunk_rewritten_by_a_tool_that_ignores_checksums_is_read_without_verification(folder):
    path = os.path.join(folder, "index.json")
    with open(path) as f:
        index = json.load(f)
    chunk = index["chunks"][1]
    chunk_path = os.path.join(folder, chunk["filename"])
    with open(chunk_path, "rb") as f:
        payload = f.read()
    with open(chunk_path, "wb") as f:  # the same items with 8 bytes of padding, as another writer might lay them out
        f.write(payload + bytes(8))
    chunk["chunk_bytes"] += 8  # that writer updates chunk_bytes and leaves our checksum as it was
    with open(path, "w") as f:
        json.dump(index, f)
    assert len(read_everything(folder)) == 30


@pytest.mark.parametrize("verify", ["1", "0"])
def test_a_bit_flip_in_a_chunks_offset_table_raises_naming_the_chunk(folder, monkeypatch, verify):
    monkeypatch.setenv("LITDATA_VERIFY_CHECKSUMS", verify)
    flip(os.path.join(folder, "chunk-0-1.bin"), 4 * 5)  # an offset of chunk 1's header
    error = ChunkChecksumError if verify == "1" else ChunkCorruptedError
    with pytest.raises(error, match=r"chunk-0-1\.bin.*(re-run optimize|re-download|downloaded again)"):
        read_everything(folder)


def test_a_bit_flip_in_a_sample_fails_the_checksum_in_the_loader_too(folder):
    flip(os.path.join(folder, "chunk-0-2.bin"), os.path.getsize(os.path.join(folder, "chunk-0-2.bin")) - 2)
    with pytest.raises(ChunkChecksumError, match="chunk-0-2.bin"):
        list(StreamingDataLoader(StreamingDataset(folder), batch_size=4))


def test_item_sizes_that_do_not_add_up_raise_with_checksums_off(folder, monkeypatch):
    monkeypatch.setenv("LITDATA_VERIFY_CHECKSUMS", "0")
    path = os.path.join(folder, "chunk-0-0.bin")
    header = 4 * 12  # u32 count + 11 offsets
    flip(path, header + 4 * 2, 0x02)  # the size of item 0's third leaf
    with pytest.raises(ChunkCorruptedError, match=r"Item 0 of chunk .*chunk-0-0\.bin"):
        read_everything(folder)


@pytest.mark.parametrize("value", [0, -3, 2.5, "10"])
def test_an_index_with_an_impossible_chunk_size_is_refused(folder, value):
    path = os.path.join(folder, "index.json")
    with open(path) as f:
        index = json.load(f)
    index["chunks"][1]["chunk_size"] = value
    with open(path, "w") as f:
        json.dump(index, f)
    with pytest.raises(ValueError, match=r"index.json.*chunk entry 1 has chunk_size"):
        StreamingDataset(folder)


def test_an_index_whose_chunk_size_disagrees_with_the_chunk_is_refused(folder, monkeypatch):
    monkeypatch.setenv("LITDATA_VERIFY_CHECKSUMS", "0")
    path = os.path.join(folder, "index.json")
    with open(path) as f:
        index = json.load(f)
    index["chunks"][0]["chunk_size"] = 9
    with open(path, "w") as f:
        json.dump(index, f)
    with pytest.raises(ChunkCorruptedError, match=r"chunk-0-0\.bin' holds 10 items but index.json says 9"):
        read_everything(folder)


def test_a_corrupted_cached_copy_is_fetched_again_once_then_the_error_is_clear(folder, tmp_path):
    cache = tmp_path / "cache"
    dataset = StreamingDataset(f"local:{folder}", cache_dir=str(cache))
    assert [s["i"] for s in (dataset[i] for i in range(30))] == list(range(30))
    cached = [
        os.path.join(root, name) for root, _, names in os.walk(cache) for name in names if name == "chunk-0-1.bin"
    ]
    assert len(cached) == 1
    flip(cached[0], 100)
    fresh = StreamingDataset(f"local:{folder}", cache_dir=str(cache))
    assert [fresh[i]["i"] for i in range(30)] == list(range(30))  # downloaded again
    flip(os.path.join(folder, "chunk-0-1.bin"), 100)  # now the source is corrupted too
    flip(cached[0], 100)
    again = StreamingDataset(f"local:{folder}", cache_dir=str(cache))
    with pytest.raises(ChunkChecksumError, match="chunk-0-1.bin"):
        [again[i] for i in range(30)]


def test_an_empty_1d_tensor_made_from_numpy_is_written_and_read_back(tmp_path):
    folder = build_dataset(tmp_path / "empty", 3, make=lambda i: {"t": torch.from_numpy(np.zeros(i, np.float32))})
    dataset = StreamingDataset(folder)
    assert [dataset[i]["t"].shape for i in range(3)] == [(0,), (1,), (2,)]


def test_chunks_verified_in_workers_are_not_verified_again_by_the_next_epochs_workers_unless_they_change(folder):
    from litdata.format import checksums

    dataset = StreamingDataset(folder)
    ids = [b["i"].tolist() for b in StreamingDataLoader(dataset, batch_size=5, num_workers=2)]
    assert sorted(sum(ids, [])) == list(range(30))
    chunk_files = {os.path.join(folder, f"chunk-0-{k}.bin") for k in range(3)}
    assert chunk_files <= {path for path, *_ in checksums._verified}  # the workers told the training process
    path = os.path.join(folder, "chunk-0-1.bin")
    stat = os.stat(path)
    flip(path, stat.st_size - 2)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a new version of the file
    with pytest.raises(ChunkChecksumError, match="chunk-0-1.bin"):
        list(StreamingDataLoader(dataset, batch_size=5, num_workers=2))


def test_the_chunks_of_a_plan_are_verified_ahead_of_their_first_read(tmp_path):
    import time

    from litdata.format import checksums

    folder = build_dataset(tmp_path / "ahead", 40, chunk_size=8, make=sample)
    iterator = iter(StreamingDataLoader(StreamingDataset(folder), batch_size=4))
    next(iterator)  # chunk 0 is open; nothing else was read
    ahead = {os.path.join(folder, f"chunk-0-{k}.bin") for k in (1, 2)}  # max_pre_download=2 chunks ahead
    deadline = time.monotonic() + 10
    while not ahead <= {path for path, *_ in checksums._verified} and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ahead <= {path for path, *_ in checksums._verified}
    assert os.path.join(folder, "chunk-0-4.bin") not in {path for path, *_ in checksums._verified}
    assert sorted(i for batch in [next(iterator)] for i in batch["i"].tolist()) == [4, 5, 6, 7]


def test_a_cached_chunk_keeps_its_modification_time_when_read_again(folder, tmp_path):
    cache = tmp_path / "cache"
    dataset = StreamingDataset(f"local:{folder}", cache_dir=str(cache))
    assert [dataset[i]["i"] for i in range(30)] == list(range(30))
    cached = [os.path.join(root, n) for root, _, names in os.walk(cache) for n in names if n == "chunk-0-1.bin"]
    before = os.stat(cached[0])
    again = StreamingDataset(f"local:{folder}", cache_dir=str(cache))
    assert [again[i]["i"] for i in range(30)] == list(range(30))
    after = os.stat(cached[0])
    assert after.st_mtime_ns == before.st_mtime_ns  # the file version: verified once per process
    assert after.st_atime_ns >= before.st_atime_ns  # the recency eviction goes by


@pytest.mark.parametrize("shift", [4, 16, -4])
def test_items_starting_anywhere_but_after_the_header_or_at_the_next_aligned_byte_are_refused(
    folder, monkeypatch, shift
):
    monkeypatch.setenv("LITDATA_VERIFY_CHECKSUMS", "0")  # the layout check alone, not the checksum
    path = os.path.join(folder, "chunk-0-0.bin")
    with open(path, "r+b") as f:
        count, first = np.frombuffer(f.read(8), "<u4")
        assert first == 4 * (count + 2)  # 10 items: 48 bytes of header, already aligned
        f.seek(4)
        f.write(np.array([int(first) + shift], "<u4").tobytes())
    with pytest.raises(ChunkCorruptedError, match="chunk-0-0.bin"):
        read_everything(folder)
