"""MosaicML Streaming (MDS) datasets, written by mosaicml-streaming's own MDSWriter during the run, stream through
StreamingDataset as they are, as in LitData 0.2.76."""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mds_cases import COLUMNS, assert_streamed_as_written, sample
from mosaic_writer import MOSAIC, merge_index, write_mds

import litdata as ld

from testpaths import TESTS_DIR

REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")


def shard_counts(folder: str) -> list[int]:
    with open(os.path.join(folder, "index.json")) as file:
        return [shard["samples"] for shard in json.load(file)["shards"]]


@pytest.mark.parametrize("compression", [None, "zstd", "zstd:7", "gz", "bz2:5"])
def test_every_mosaic_column_encoding_streams_back_as_written(tmp_path, compression):
    folder = write_mds(str(tmp_path / "mds"), COLUMNS, [sample(i) for i in range(10)], compression, 5000, ["sha1"])
    assert len([count for count in shard_counts(folder) if count]) > 2
    dataset = ld.StreamingDataset(folder)
    assert len(dataset) == 10
    for i in range(10):
        assert_streamed_as_written(dataset[i], i)
    streamed = list(dataset)
    assert [item["id"] for item in streamed] == [i - 3 for i in range(10)]
    assert_streamed_as_written(streamed[7], 7)


@pytest.mark.parametrize("compression", ["br", "snappy"])
def test_brotli_and_snappy_shards_stream_when_their_codec_is_installed(tmp_path, monkeypatch, compression):
    columns = {key: COLUMNS[key] for key in ("id", "name", "ragged", "pil")}
    rows = [{key: sample(i)[key] for key in columns} for i in range(8)]
    folder = write_mds(str(tmp_path / "mds"), columns, rows, compression, 600)
    monkeypatch.setattr(sys, "path", [*sys.path, MOSAIC])  # Brotli and python-snappy, as installed beside the writer
    dataset = ld.StreamingDataset(folder)
    assert [item["name"] for item in dataset] == [row["name"] for row in rows]
    np.testing.assert_array_equal(dataset[5]["ragged"], rows[5]["ragged"])
    assert dataset[6]["pil"].tobytes() == rows[6]["pil"].tobytes()


def test_brotli_shards_without_brotli_installed_name_the_package_to_install(tmp_path, monkeypatch):
    folder = write_mds(str(tmp_path / "mds"), {"id": "int"}, [{"id": i} for i in range(3)], "br")
    monkeypatch.setitem(sys.modules, "brotli", None)  # as on a machine without it: importing it fails
    with pytest.raises(ModuleNotFoundError, match=r"compressed with 'br': run `pip install Brotli`"):
        ld.StreamingDataset(folder)[0]


def test_a_sample_larger_than_the_shard_size_limit_does_not_break_the_dataset(tmp_path):
    """MosaicML's writer then leaves an empty first shard (0 samples) in the index, which is skipped."""
    rows = [{"id": i, "blob": bytes(300 if i == 0 else 10)} for i in range(6)]
    folder = write_mds(str(tmp_path / "mds"), {"id": "int", "blob": "bytes"}, rows, "zstd", 200)
    assert shard_counts(folder)[0] == 0 and sum(shard_counts(folder)) == 6
    dataset = ld.StreamingDataset(folder)
    assert [(item["id"], len(item["blob"])) for item in dataset] == [(0, 300)] + [(i, 10) for i in range(1, 6)]


def test_a_shuffled_mds_dataset_yields_every_sample_once_through_two_workers(tmp_path):
    columns = {"id": "int", "name": "str", "vector": "ndarray:float32:4"}
    rows = [{"id": i, "name": str(i), "vector": np.full(4, i, np.float32)} for i in range(60)]
    folder = write_mds(str(tmp_path / "mds"), columns, rows, "zstd", 400)
    assert len(shard_counts(folder)) > 4
    dataset = ld.StreamingDataset(folder, shuffle=True, seed=7)
    loader = ld.StreamingDataLoader(dataset, batch_size=4, num_workers=2)
    batches = list(loader)
    ids = [int(i) for batch in batches for i in batch["id"]]
    assert sorted(ids) == list(range(60)) and ids != list(range(60))
    assert all(torch.equal(batch["vector"][:, 0], batch["id"].float()) for batch in batches)
    assert all(name == str(int(i)) for batch in batches for name, i in zip(batch["name"], batch["id"]))


def test_a_merged_mds_index_names_the_way_to_stream_its_parts_which_then_stream_every_sample(tmp_path):
    """Parallel writers each write a sub-folder; MosaicML's merge_index lists their shards as ``part0/shard...``."""
    root = tmp_path / "mds"
    for part, compression in enumerate(["zstd", None]):
        write_mds(str(root / f"part{part}"), COLUMNS, [sample(10 * part + i) for i in range(5)], compression, 5000)
    with pytest.raises(
        ValueError, match=r"sub-folders .*CombinedStreamingDataset\(\[StreamingDataset\('<root>/part0'\)"
    ):
        ld.StreamingDataset(merge_index(str(root)))
    parts = [ld.StreamingDataset(str(root / f"part{part}")) for part in range(2)]
    streamed = sorted(ld.CombinedStreamingDataset(parts), key=lambda item: item["id"])
    assert [item["id"] + 3 for item in streamed] == [*range(5), *range(10, 15)]
    for item in streamed:
        assert_streamed_as_written(item, item["id"] + 3)


READ_WITH_REFERENCE = textwrap.dedent(
    """
    import pickle, sys
    import litdata
    assert litdata.__version__ == "0.2.76", litdata.__file__
    dataset = litdata.StreamingDataset(sys.argv[1])
    pickle.dump([dataset[i] for i in range(len(dataset))], open(sys.argv[2], "wb"))
    """
)


def test_mds_samples_decode_as_litdata_0_2_76_decodes_them(tmp_path):
    """On what 0.2.76 reads without torchvision: int/str/bytes/pil/json columns in shards compressed with plain zstd
    (it misreads ``zstd:<level>`` shards and fails on uncompressed ones or any other compression)."""
    columns = {key: COLUMNS[key] for key in ("id", "name", "blob", "pil", "meta")}
    rows = [{key: sample(i)[key] for key in columns} for i in range(9)]
    folder = write_mds(str(tmp_path / "mds"), columns, rows, "zstd", 500)
    assert len(shard_counts(folder)) > 2
    out, copy = str(tmp_path / "read.pkl"), shutil.copytree(folder, tmp_path / "copy")  # 0.2.76 deletes read shards
    env = dict(os.environ, PYTHONPATH=REFERENCE)
    result = subprocess.run([sys.executable, "-c", READ_WITH_REFERENCE, copy, out], capture_output=True, env=env)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    with open(out, "rb") as file:
        theirs = pickle.load(file)
    ours = ld.StreamingDataset(folder)
    assert len(theirs) == len(ours) == 9
    for i, their in enumerate(theirs):
        mine = ours[i]
        assert {key: type(value) for key, value in mine.items()} == {key: type(value) for key, value in their.items()}
        assert {key: value for key, value in mine.items() if key != "pil"} == {
            k: v for k, v in their.items() if k != "pil"
        }
        assert (mine["pil"].mode, mine["pil"].size, mine["pil"].tobytes()) == (
            their["pil"].mode,
            their["pil"].size,
            their["pil"].tobytes(),
        )
        assert {key: value for key, value in mine.items() if key != "pil"} == {
            key: value for key, value in rows[i].items() if key != "pil"
        }
        assert mine["pil"].tobytes() == rows[i]["pil"].tobytes()
