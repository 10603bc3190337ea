"""Keyed datasets: ``optimize(key_fn=)``, ``build_keys_index``, ``ds[key]``, ``get_by_key`` and ``dataset_update``,
with the keys store of LitData 0.2.76 (each release reads and updates what the other wrote)."""

import json
import os

import pyarrow.parquet as pq
import pytest

import litdata as ld
from litdata.streaming.dataset_update import DatasetUpdate

from reference_run import run_reference


def sample_of(i):
    return {"id": f"k{i}", "v": i}


def key_of(sample):
    return sample["id"]


def int_key_of(sample):
    return 1000 + sample["v"]


REFERENCE_READS = """
import json, sys
import litdata as ld
ds = ld.StreamingDataset(sys.argv[1])
by_str = {k: ds[k] for k in sys.argv[2].split(",") if k}
by_int = {k: ds.get_by_key(int(k)) for k in sys.argv[3].split(",") if k}
print(json.dumps({"str": by_str, "int": by_int, "len": len(ds)}))
"""

REFERENCE_UPDATES = """
import json, sys
import litdata as ld
with ld.dataset_update(sys.argv[1]) as update:
    update[sys.argv[2]] = {"id": sys.argv[2], "v": -1}
    update.commit()
print(json.dumps(ld.StreamingDataset(sys.argv[1])[sys.argv[2]]))
"""

REFERENCE_WRITES = """
import json, sys
import litdata as ld

def sample_of(i):
    return {"id": f"k{i}", "v": i}

def int_key_of(sample):
    return 1000 + sample["v"]

if __name__ == "__main__":
    ld.optimize(fn=sample_of, inputs=list(range(23)), output_dir=sys.argv[1], chunk_size=5, num_workers=1,
                key_fn=int_key_of)
    print(json.dumps("written"))
"""


@pytest.fixture
def keyed_dir(tmp_path):
    output_dir = str(tmp_path / "keyed")
    ld.optimize(sample_of, list(range(30)), output_dir, chunk_size=7, num_workers=2, key_fn=key_of, verbose=False)
    return output_dir


def test_optimize_with_key_fn_writes_a_sorted_keys_shard_and_records_it_in_the_index(keyed_dir):
    table = pq.read_table(os.path.join(keyed_dir, "keys", "shard-00000.parquet"))
    assert table.column_names == ["key", "index", "chunk_index", "chunk_offset"]
    keys = table.column("key").to_pylist()
    assert keys == sorted(f"k{i}" for i in range(30))
    with open(os.path.join(keyed_dir, "index.json")) as f:
        assert json.load(f)["keys"] == {"num_shards": 1, "sharding": "none", "version": 1}
    ds = ld.StreamingDataset(keyed_dir)
    for key, index in zip(keys, table.column("index").to_pylist()):
        assert ds[index]["id"] == key


def test_a_str_key_reads_its_sample_and_an_unknown_key_raises_key_error(keyed_dir):
    ds = ld.StreamingDataset(keyed_dir)
    assert ds["k17"] == {"id": "k17", "v": 17}
    assert ds.get_by_key("k3") == {"id": "k3", "v": 3}
    with pytest.raises(KeyError):
        ds["missing"]


def test_keyed_access_without_a_keys_store_raises_key_error_naming_the_fix(tmp_path):
    ld.optimize(sample_of, list(range(5)), str(tmp_path / "plain"), chunk_size=2, num_workers=1, verbose=False)
    with pytest.raises(KeyError, match="build_keys_index"):
        ld.StreamingDataset(str(tmp_path / "plain"))["k1"]


def test_build_keys_index_with_int_keys_in_several_shards_serves_get_by_key(tmp_path):
    output_dir = str(tmp_path / "plain")
    ld.optimize(
        sample_of, list(range(40)), output_dir, chunk_size=6, num_workers=2, keep_data_ordered=True, verbose=False
    )
    keys_dir = ld.build_keys_index(output_dir, int_key_of, num_shards=3, verbose=False)
    assert sorted(os.listdir(keys_dir)) == ["shard-00000.parquet", "shard-00001.parquet", "shard-00002.parquet"]
    ds = ld.StreamingDataset(output_dir)
    assert [ds.get_by_key(1000 + i)["v"] for i in range(40)] == list(range(40))
    assert ds[5]["v"] == 5  # an int index stays a position
    with pytest.raises(FileExistsError):
        ld.build_keys_index(output_dir, int_key_of, verbose=False)


def test_duplicate_keys_are_refused(tmp_path):
    output_dir = str(tmp_path / "plain")
    ld.optimize(sample_of, list(range(6)), output_dir, chunk_size=2, num_workers=1, verbose=False)
    with pytest.raises(ValueError, match="Duplicate key"):
        ld.build_keys_index(output_dir, lambda sample: "same", verbose=False)


def test_dataset_update_replaces_samples_only_on_commit(keyed_dir):
    with ld.dataset_update(keyed_dir) as update:
        update["k4"] = {"id": "k4", "v": 400}
    assert ld.StreamingDataset(keyed_dir)["k4"]["v"] == 4  # left without commit: nothing written

    with ld.dataset_update(keyed_dir) as update:
        update["k4"] = {"id": "k4", "v": 400}
        update["k29"] = {"id": "k29", "v": 2900}
        update.commit()
        with pytest.raises(RuntimeError):
            update["k5"] = {"id": "k5", "v": 5}
        with pytest.raises(RuntimeError):
            update.commit()
    ds = ld.StreamingDataset(keyed_dir)
    assert [ds[i]["v"] for i in range(len(ds))].count(400) == 1
    assert ds["k4"]["v"] == 400 and ds["k29"]["v"] == 2900 and ds["k5"]["v"] == 5


def test_dataset_update_refuses_unknown_keys_and_incompatible_samples_before_writing(keyed_dir):
    before = {name: os.path.getmtime(os.path.join(keyed_dir, name)) for name in os.listdir(keyed_dir)}
    with ld.dataset_update(keyed_dir) as update:
        update["nope"] = {"id": "nope", "v": 0}
        with pytest.raises(KeyError, match="nope"):
            update.commit()
    with ld.dataset_update(keyed_dir) as update:
        update["k1"] = {"id": "k1", "v": "not an int"}
        with pytest.raises(ValueError, match="data_format"):
            update.commit()
    assert {name: os.path.getmtime(os.path.join(keyed_dir, name)) for name in os.listdir(keyed_dir)} == before


def test_dataset_update_needs_a_keys_store(tmp_path):
    ld.optimize(sample_of, list(range(4)), str(tmp_path / "plain"), chunk_size=2, num_workers=1, verbose=False)
    with pytest.raises(FileNotFoundError, match="build_keys_index"):
        DatasetUpdate(str(tmp_path / "plain"))


def test_litdata_0_2_76_reads_and_updates_our_keyed_dataset(keyed_dir, tmp_path):
    ours = str(tmp_path / "int_keys")
    ld.optimize(sample_of, list(range(12)), ours, chunk_size=5, num_workers=1, verbose=False)
    ld.build_keys_index(ours, int_key_of, num_shards=2, verbose=False)

    read = run_reference(REFERENCE_READS, keyed_dir, "k0,k13,k29", "")
    assert read["str"] == {f"k{i}": {"id": f"k{i}", "v": i} for i in (0, 13, 29)}
    read = run_reference(REFERENCE_READS, ours, "", "1000,1007,1011")
    assert read["int"] == {str(1000 + i): {"id": f"k{i}", "v": i} for i in (0, 7, 11)}

    assert run_reference(REFERENCE_UPDATES, keyed_dir, "k13") == {"id": "k13", "v": -1}
    ds = ld.StreamingDataset(keyed_dir)
    assert ds["k13"] == {"id": "k13", "v": -1} and ds["k12"] == {"id": "k12", "v": 12}


def test_we_read_and_update_a_keyed_dataset_written_by_litdata_0_2_76(tmp_path):
    theirs = str(tmp_path / "theirs")
    run_reference(REFERENCE_WRITES, theirs)
    ds = ld.StreamingDataset(theirs)
    assert [ds.get_by_key(1000 + i)["v"] for i in range(23)] == list(range(23))

    with ld.dataset_update(theirs) as update:
        update[1009] = {"id": "k9", "v": 99}
        update.commit()
    read = run_reference(REFERENCE_READS, theirs, "", "1009,1010")
    assert read["int"] == {"1009": {"id": "k9", "v": 99}, "1010": {"id": "k10", "v": 10}}
    assert read["len"] == 23
