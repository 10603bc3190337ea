"""MosaicML Streaming (MDS) datasets stream through StreamingDataset as they are, as in LitData 0.2.76."""

import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import media_samples as samples
import numpy as np
import pytest
import torch
from mds_writer import write_mds
from PIL import Image

import litdata as ld

from testpaths import TESTS_DIR

REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")
COLUMNS = {
    "id": "int",
    "name": "str",
    "blob": "bytes",
    "vector": "ndarray",
    "grid": "ndarray:int16:2,3",
    "pil": "pil",
    "jpeg": "jpeg",
    "meta": "json",
    "score": "float32",
    "extra": "pkl",
}


def mds_sample(i: int) -> dict:
    return {
        "id": i,
        "name": f"sample-{i}",
        "blob": bytes([i]) * (i + 1),
        "vector": np.arange(i + 1, dtype=np.float64),
        "grid": np.full((2, 3), i, dtype=np.int16),
        "pil": Image.fromarray(samples.rgb(seed=i)),
        "jpeg": Image.fromarray(samples.rgb(seed=i)),
        "meta": {"tags": ["a", str(i)], "ok": i % 2 == 0},
        "score": i / 4,
        "extra": ("tuple", i),
    }


def check(sample: dict, i: int) -> None:
    assert sample["id"] == i and isinstance(sample["id"], int)
    assert sample["name"] == f"sample-{i}"
    assert sample["blob"] == bytes([i]) * (i + 1)
    np.testing.assert_array_equal(sample["vector"], np.arange(i + 1, dtype=np.float64))
    np.testing.assert_array_equal(sample["grid"], np.full((2, 3), i, dtype=np.int16))
    assert isinstance(sample["pil"], Image.Image) and np.array_equal(np.asarray(sample["pil"]), samples.rgb(seed=i))
    assert isinstance(sample["jpeg"], torch.Tensor) and sample["jpeg"].shape == (3, 8, 6)
    assert sample["meta"] == {"tags": ["a", str(i)], "ok": i % 2 == 0}
    assert sample["score"] == np.float32(i / 4)
    assert sample["extra"] == ("tuple", i)


@pytest.mark.parametrize("compression", [None, "zstd", "zstd:7"])
def test_an_mds_dataset_streams_every_column_encoding(tmp_path, compression):
    folder = write_mds(str(tmp_path / "mds"), COLUMNS, [mds_sample(i) for i in range(12)], compression, 4000)
    assert len([name for name in os.listdir(folder) if name.startswith("shard.")]) > 1
    dataset = ld.StreamingDataset(folder)
    assert len(dataset) == 12
    for i in range(12):
        check(dataset[i], i)
    assert [sample["id"] for sample in dataset] == list(range(12))


def test_an_mds_dataset_batches_in_the_dataloader_with_workers(tmp_path):
    columns = {"id": "int", "name": "str", "vector": "ndarray:float32:4"}
    rows = [{"id": i, "name": str(i), "vector": np.full(4, i, np.float32)} for i in range(20)]
    folder = write_mds(str(tmp_path / "mds"), columns, rows, "zstd", 300)
    loader = ld.StreamingDataLoader(ld.StreamingDataset(folder, shuffle=True), batch_size=4, num_workers=2)
    batches = list(loader)
    ids = sorted(int(i) for batch in batches for i in batch["id"])
    assert ids == list(range(20))
    assert all(torch.equal(batch["vector"][:, 0], batch["id"].float()) for batch in batches)


READ_WITH_REFERENCE = textwrap.dedent(
    """
    import pickle, sys
    import litdata
    assert litdata.__version__ == "0.2.76", litdata.__file__
    dataset = litdata.StreamingDataset(sys.argv[1])
    pickle.dump([dataset[i] for i in range(len(dataset))], open(sys.argv[2], "wb"))
    """
)


def test_litdata_0_2_76_reads_the_mds_datasets_these_tests_write(tmp_path):
    """The test writer is checked against the real release on the encodings it supports (compressed shards)."""
    columns = {"id": "int", "name": "str", "blob": "bytes", "pil": "pil"}
    rows = [{key: mds_sample(i)[key] for key in columns} for i in range(6)]
    folder = write_mds(str(tmp_path / "mds"), columns, rows, "zstd", 600)
    out, copy = str(tmp_path / "read.pkl"), shutil.copytree(folder, tmp_path / "copy")  # 0.2.76 deletes read shards
    env = dict(os.environ, PYTHONPATH=REFERENCE)
    result = subprocess.run([sys.executable, "-c", READ_WITH_REFERENCE, copy, out], capture_output=True, env=env)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    with open(out, "rb") as file:
        theirs = pickle.load(file)
    ours = ld.StreamingDataset(folder)
    assert len(theirs) == len(ours) == 6
    for i, sample in enumerate(theirs):
        mine = ours[i]
        assert sample.keys() == mine.keys()
        assert (sample["id"], sample["name"], bytes(sample["blob"])) == (mine["id"], mine["name"], mine["blob"])
        assert sample["pil"].tobytes() == mine["pil"].tobytes()
