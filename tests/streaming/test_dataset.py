"""StreamingDataset over local folders: length, random access, iteration, shuffling, subsampling, transforms."""

import json
import os

import numpy as np
import pytest
import torch

from litdata import StreamingDataset
from litdata.format.chunk import ChunkCorruptedError
from litdata.streaming.cache import Dir
from litdata.streaming.item_loader import TokensLoader
from litdata.utilities.encryption import DecryptionError, FernetEncryption

from helpers import build_dataset


@pytest.fixture
def ints(tmp_path):
    return build_dataset(tmp_path / "ints", 95, chunk_size=10)


def test_length_random_access_slices_and_negative_indices(ints):
    ds = StreamingDataset(ints)
    assert len(ds) == 95
    assert ds[0] == 0 and ds[94] == 94 and ds[-1] == 94
    assert ds[10:14] == [10, 11, 12, 13]
    assert ds[::40] == [0, 40, 80]
    with pytest.raises(IndexError):
        ds[95]


def test_iteration_without_shuffle_yields_items_in_order(ints):
    assert list(StreamingDataset(ints)) == list(range(95))


def test_shuffle_yields_every_item_once_in_a_seeded_order_that_changes_per_epoch(ints):
    ds = StreamingDataset(ints, shuffle=True, seed=7)
    epoch1 = list(ds)
    epoch2 = list(ds)
    assert sorted(epoch1) == sorted(epoch2) == list(range(95))
    assert epoch1 != list(range(95)) and epoch1 != epoch2
    assert list(StreamingDataset(ints, shuffle=True, seed=7)) == epoch1
    assert list(StreamingDataset(ints, shuffle=True, seed=8)) != epoch1


def test_a_dir_object_and_a_pathlib_path_work_like_a_string(ints):
    assert list(StreamingDataset(Dir(path=ints))) == list(range(95))


def test_subsample_below_one_takes_a_fraction_and_above_one_repeats(ints):
    half = StreamingDataset(ints, subsample=0.5)
    assert len(half) == 47 and list(half) == list(range(47))
    double = StreamingDataset(ints, subsample=2.0)
    assert len(double) == 190 and sorted(double) == sorted(list(range(95)) * 2)


@pytest.mark.parametrize("subsample", [0, -0.5, "half"])
def test_subsample_must_be_a_positive_number(ints, subsample):
    with pytest.raises(ValueError, match="subsample"):
        StreamingDataset(ints, subsample=subsample)


def test_shuffle_must_be_a_bool(ints):
    with pytest.raises(ValueError, match="shuffle"):
        StreamingDataset(ints, shuffle="yes")


def test_transform_callable_and_list_apply_in_order(ints):
    assert StreamingDataset(ints, transform=lambda x: x * 2)[3] == 6
    ds = StreamingDataset(ints, transform=[lambda x: x + 1, lambda x: x * 10])
    assert ds[3] == 40 and list(ds)[:2] == [10, 20]


def test_distributed_env_splits_items_between_ranks_with_equal_lengths(ints):
    lengths, seen = [], []
    for rank in range(2):
        ds = StreamingDataset(ints)
        ds.distributed_env.world_size, ds.distributed_env.global_rank = 2, rank
        items = list(ds)
        lengths.append(len(ds))
        seen += items
        assert len(items) == len(ds)
    assert lengths == [47, 47]  # drop_last defaults to True with several ranks
    assert len(set(seen)) == 94


def test_local_prefix_copies_chunks_into_the_cache_and_not_into_the_source(ints, tmp_path):
    cache = tmp_path / "cache"
    before = sorted(os.listdir(ints))
    ds = StreamingDataset(f"local:{ints}", cache_dir=str(cache))
    assert list(ds) == list(range(95))
    assert sorted(os.listdir(ints)) == before
    copies = [f for _, _, files in os.walk(cache) for f in files]
    assert "index.json" in copies and "chunk-0-0.bin" in copies


def test_tokens_loader_reads_fixed_blocks_that_never_span_chunks(tmp_path):
    folder = build_dataset(
        tmp_path / "tok", 10, chunk_size=100, item_loader=TokensLoader(), make=lambda i: np.arange(30) + 100 * i
    )
    ds = StreamingDataset(folder, item_loader=TokensLoader(block_size=20))
    assert len(ds) == 4 + 4 + 4 + 1  # 90, 90, 90 and 30 tokens per chunk
    np.testing.assert_array_equal(ds[0], np.arange(20))
    np.testing.assert_array_equal(ds[1], np.concatenate([np.arange(20, 30), np.arange(100, 110)]))


def test_tensor_samples_round_trip_with_dtype_and_shape(tmp_path):
    folder = build_dataset(tmp_path / "t", 6, make=lambda i: {"x": torch.full((2, 3), i, dtype=torch.bfloat16)})
    sample = StreamingDataset(folder)[5]["x"]
    assert sample.dtype == torch.bfloat16 and sample.shape == (2, 3) and float(sample[0, 0]) == 5.0


def test_missing_index_names_the_folder_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="not an optimized dataset.*optimize"):
        StreamingDataset(str(tmp_path))


@pytest.mark.parametrize("input_dir", [None, Dir()])
def test_a_dataset_without_a_location_is_a_value_error_that_asks_for_one(input_dir):
    with pytest.raises(ValueError, match="No dataset location was given"):
        StreamingDataset(input_dir)


def test_malformed_index_is_a_clear_error(ints):
    with open(os.path.join(ints, "index.json"), "w") as f:
        f.write('{"chunks": [')
    with pytest.raises(ValueError, match="not valid JSON"):
        StreamingDataset(ints)
    with open(os.path.join(ints, "index.json"), "w") as f:
        json.dump({"chunks": 3}, f)
    with pytest.raises(ValueError, match="malformed"):
        StreamingDataset(ints)


@pytest.mark.parametrize("verify", ["1", "0"])
def test_a_truncated_chunk_is_reported_with_its_path(ints, monkeypatch, verify):
    monkeypatch.setenv("LITDATA_VERIFY_CHECKSUMS", verify)
    path = os.path.join(ints, "chunk-0-3.bin")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 5)
    ds = StreamingDataset(ints)
    assert ds[0] == 0
    with pytest.raises(ChunkCorruptedError, match="chunk-0-3.bin.*(truncated|checksum)"):
        ds[35]


def test_a_missing_chunk_is_reported_as_an_incomplete_dataset(ints):
    os.remove(os.path.join(ints, "chunk-0-2.bin"))
    with pytest.raises(FileNotFoundError, match="chunk-0-2.bin.*incomplete"):
        StreamingDataset(ints)[25]


def test_item_loader_mismatch_names_the_right_loader(ints):
    with pytest.raises(ValueError, match="PyTreeLoader"):
        StreamingDataset(ints, item_loader=TokensLoader(block_size=4))


@pytest.mark.parametrize("level", ["sample", "chunk"])
def test_encrypted_data_needs_the_right_key(tmp_path, level):
    key = FernetEncryption("secret", level=level)
    folder = build_dataset(tmp_path / level, 12, encryption=key, make=lambda i: (i, str(i)))
    assert list(StreamingDataset(folder, encryption=key)) == [(i, str(i)) for i in range(12)]
    without_key = StreamingDataset(folder)  # accepted, as by LitData: the first read fails
    with pytest.raises(ValueError, match="encrypted but no encryption"):
        without_key[0]
    key_file = tmp_path / "key.json"
    key.save(str(key_file))
    wrong = FernetEncryption.load(str(key_file), "not-the-password")
    with pytest.raises(DecryptionError):
        StreamingDataset(folder, encryption=wrong)[0]
    other_level = FernetEncryption("secret", level="chunk" if level == "sample" else "sample")
    with pytest.raises(ValueError, match="level mismatch"):
        StreamingDataset(folder, encryption=other_level)


def test_reading_a_compressed_dataset_leaves_its_folder_untouched(tmp_path):
    folder = build_dataset(tmp_path / "ro", 30, compression="zstd", compression_level="chunk", make=lambda i: str(i))
    before = {f: os.stat(os.path.join(folder, f)).st_mtime_ns for f in os.listdir(folder)}
    assert list(StreamingDataset(folder)) == [str(i) for i in range(30)]
    assert {f: os.stat(os.path.join(folder, f)).st_mtime_ns for f in os.listdir(folder)} == before


def test_large_samples_read_by_index_are_writable_and_independent(tmp_path):
    def make(i):
        return {"id": i, "big": np.full((128, 64), i, dtype=np.float64), "raw": bytes([i]) * 50_000}

    folder = build_dataset(tmp_path / "large", 12, chunk_size=5, make=make)
    dataset = StreamingDataset(folder)
    first, again = dataset[7], dataset[7]
    assert first["big"].flags.writeable
    first["big"][:] = -1
    assert (again["big"] == 7).all() and (dataset[7]["big"] == 7).all()
    assert bytes(again["raw"]) == bytes([7]) * 50_000
    assert [int(dataset[i]["big"][0, 0]) for i in (11, 0, 6, 3)] == [11, 0, 6, 3]
