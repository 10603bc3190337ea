"""`complete_dataset`, `is_complete_dataset`, and `StreamingDataset` finishing a folder of writer index files."""

import os

import pytest

import litdata as ld
from litdata.streaming.cache import Cache
from litdata.streaming.writer import BinaryWriter

from reference_run import run_reference

SCRIPT = """
import json, os, sys
import litdata as ld
from litdata.streaming.cache import Cache

folder = sys.argv[1]
cache = Cache(folder, chunk_size=3)
for i in range(7):
    cache[i] = {"v": i}
cache.done()
out = {"written": sorted(os.listdir(folder)), "complete_before": ld.is_complete_dataset(folder)}
ds = ld.StreamingDataset(folder)
out["items"] = [ds[i]["v"] for i in range(len(ds))]
out["after_open"] = sorted(os.listdir(folder))
out["complete_after"] = ld.is_complete_dataset(folder)
out["returns"] = ld.complete_dataset(folder) == folder
errors = []
os.makedirs(os.path.join(folder, "empty"))
for bad in (os.path.join(folder, "nope"), os.path.join(folder, "empty")):
    try:
        ld.complete_dataset(bad)
    except Exception as err:
        errors.append([type(err).__name__, str(err).replace(folder, "<dir>")])
out["errors"] = errors
print(json.dumps(out))
"""


def test_a_folder_written_with_cache_completes_on_open_as_in_litdata_0_2_76(tmp_path):
    expected = run_reference(SCRIPT, str(tmp_path / "theirs"))
    cache = Cache(str(tmp_path / "ours"), chunk_size=3)
    for i in range(7):
        cache[i] = {"v": i}
    cache.done()
    folder = str(tmp_path / "ours")
    ours = {"written": sorted(os.listdir(folder)), "complete_before": ld.is_complete_dataset(folder)}
    ds = ld.StreamingDataset(folder)
    ours["items"] = [ds[i]["v"] for i in range(len(ds))]
    ours["after_open"] = sorted(os.listdir(folder))
    ours["complete_after"] = ld.is_complete_dataset(folder)
    ours["returns"] = ld.complete_dataset(folder) == folder
    errors = []
    os.makedirs(os.path.join(folder, "empty"))
    for bad in (os.path.join(folder, "nope"), os.path.join(folder, "empty")):
        with pytest.raises(FileNotFoundError) as err:
            ld.complete_dataset(bad)
        errors.append([err.type.__name__, str(err.value).replace(folder, "<dir>")])
    ours["errors"] = errors
    assert ours == expected
    assert ours["items"] == list(range(7))


def test_complete_dataset_merges_several_writers_in_rank_order_and_litdata_0_2_76_reads_it(tmp_path):
    folder = str(tmp_path / "ranks")
    for rank in (1, 0):
        writer = BinaryWriter(folder, chunk_size=2, rank=rank)
        for i in range(5):
            writer.add_item(i, {"rank": rank, "i": i})
        writer.done()
    assert ld.complete_dataset(folder) == folder
    assert sorted(name for name in os.listdir(folder) if name.endswith(".json")) == ["index.json"]
    ds = ld.StreamingDataset(folder)
    ours = [[ds[i]["rank"], ds[i]["i"]] for i in range(len(ds))]
    assert ours == [[r, i] for r in (0, 1) for i in range(5)]
    read = run_reference(
        "import json, sys\nimport litdata as ld\nds = ld.StreamingDataset(sys.argv[1])\n"
        "print(json.dumps([[ds[i]['rank'], ds[i]['i']] for i in range(len(ds))]))",
        folder,
    )
    assert read == ours


def test_an_empty_folder_is_not_completed_and_streaming_it_still_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    assert not ld.is_complete_dataset(str(tmp_path / "empty"))
    with pytest.raises((FileNotFoundError, ValueError)):
        ld.StreamingDataset(str(tmp_path / "empty"))
