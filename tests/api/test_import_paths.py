"""Import paths and small APIs of LitData 0.2.76 that scripts use: ``litdata.streaming.ParallelStreamingDataset``,
``litdata.streaming.writer.index_parquet_dataset``, the scalar serializers' names, ``Dir(data_connection_id=)``,
``CloudProvider``, ``/teamspace/...`` paths, ``litdata.utilities.dataset_utilities`` and
``ChunkWaitTimeoutError(path, waited_s)``: the same results as 0.2.76 for the same script."""

import litdata as ld

from reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys, pickle
import litdata as ld
from litdata.streaming import ParallelStreamingDataset
from litdata.streaming.serializers import IntegerSerializer, BooleanSerializer, NumericSerializer
from litdata.streaming.writer import index_parquet_dataset
from litdata.streaming.resolver import Dir, _resolve_dir, CloudProvider
from litdata.utilities import dataset_utilities as du

def sample(i):
    return {"i": i}

if __name__ == "__main__":
    root = sys.argv[1]
    out = {}
    out["parallel_same"] = ParallelStreamingDataset is ld.ParallelStreamingDataset
    out["index_parquet_same"] = index_parquet_dataset is ld.index_parquet_dataset
    out["int_ser"] = [IntegerSerializer().serialize(7)[1], IntegerSerializer().deserialize(IntegerSerializer().serialize(7)[0]),
                      isinstance(IntegerSerializer(), NumericSerializer)]
    out["bool_ser"] = BooleanSerializer().deserialize(BooleanSerializer().serialize(True)[0])
    d = _resolve_dir(Dir(path="/x", url="s3://b/x", data_connection_id="conn-1"))
    out["dir"] = [d.path, d.url, d.data_connection_id, Dir().data_connection_id]
    out["cloud"] = [CloudProvider.AWS.value, CloudProvider("gcp").name, CloudProvider.AWS == "aws"]
    out["this_studio"] = _resolve_dir("/teamspace/studios/this_studio/data").path
    errs = []
    for p in ["/teamspace/s3_connections/conn/x", "/teamspace/lightning_storage/a/b", "/teamspace/gcs_folders/f/x"]:
        try:
            _resolve_dir(p); errs.append("ok")
        except Exception as e:
            errs.append([type(e).__name__, str(e)[:82]])
    out["teamspace"] = errs
    out["md5"] = du.generate_md5_hash("s3://bucket/data")
    out["wait"] = [du.wait_for_predicate(lambda: True, 1.0), du.wait_for_predicate(lambda: False, 0.05)]
    out["cache_env"] = du.get_default_cache_dir()
    data = os.path.join(root, "data")
    ld.optimize(fn=sample, inputs=list(range(23)), output_dir=data, chunk_size=5, num_workers=1, keep_data_ordered=True)
    out["roi"] = du.generate_roi(du.load_index_file(data)["chunks"])
    out["sub"] = du.subsample_streaming_dataset(Dir(path=data), subsample=0.5, shuffle=True, seed=3)
    out["sub_full"] = du.subsample_streaming_dataset(Dir(path=data))
    out["sub_pattern"] = du.subsample_streaming_dataset(Dir(path=data), fnmatch_pattern="chunk-0-[12].bin")
    mds = {"shards": [{"zip_data": {"bytes": 10, "basename": "shard.00000.mds"}, "samples": 4, "column_sizes": [8, None],
                        "column_names": ["x", "y"], "column_encodings": ["int", "str"], "compression": None, "format": "mds"}],
           "version": 2}
    os.makedirs(os.path.join(root, "mds"))
    json.dump(mds, open(os.path.join(root, "mds", "index.json"), "w"))
    out["mds"] = du.load_index_file(os.path.join(root, "mds"))
    try:
        du.load_index_file(os.path.join(root, "nothing"))
    except FileNotFoundError as e:
        out["no_index"] = str(e).replace(root, "<root>")
    du.copy_index_to_cache_index_filepath(data, os.path.join(root, "copy.json"))
    out["copied"] = json.load(open(os.path.join(root, "copy.json")))["chunks"] == du.load_index_file(data)["chunks"]
    err = ld.ChunkWaitTimeoutError("chunk-0-3.bin", 12.0)
    out["timeout_error"] = [err.path, err.waited_s, isinstance(err, FileNotFoundError), str(err).split(" chunk ")[0]]
    print(json.dumps(out, default=int))
"""


def test_the_same_script_gives_the_same_results_as_litdata_0_2_76(tmp_path):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    assert run_ours(SCRIPT, str(tmp_path / "ours")) == run_reference(SCRIPT, str(tmp_path / "theirs"))


def test_a_studio_mount_path_is_read_as_a_local_folder_inside_a_studio(monkeypatch, tmp_path):
    from litdata.streaming.resolver import _resolve_dir

    monkeypatch.setenv("LIGHTNING_CLOUD_PROJECT_ID", "project")
    assert _resolve_dir("/teamspace/s3_connections/conn/data").path == "/teamspace/s3_connections/conn/data"
    assert _resolve_dir("/teamspace/studios/this_studio/data").url is None


def test_chunk_wait_timeout_error_keeps_the_url_when_given():
    err = ld.ChunkWaitTimeoutError("chunk-0-1.bin", 3.0, "s3://bucket/ds")
    assert (err.path, err.waited_s, err.url) == ("chunk-0-1.bin", 3.0, "s3://bucket/ds")
    assert "s3://bucket/ds" in str(err) and "MAX_WAIT_TIME" in str(err)
