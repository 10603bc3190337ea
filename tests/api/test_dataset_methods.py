"""`StreamingDataset.subset`, ``read_window`` / ``aread_window``, ``frame_counts`` and ``on_demand_bytes``: the same
results as LitData 0.2.76 for the same calls, and no public method of 0.2.76's `StreamingDataset` missing."""

import pytest

from reference_run import run_ours, run_reference

ATTRIBUTES = """
import json
from litdata import StreamingDataset
print(json.dumps(sorted(name for name in dir(StreamingDataset) if not name.startswith("_"))))
"""

SUBSET = """
import json, sys
import litdata as ld
def fn(i):
    return {"v": i}
if __name__ == "__main__":
    d = sys.argv[1]
    ld.optimize(fn=fn, inputs=list(range(30)), output_dir=d, chunk_size=7, num_workers=1, keep_data_ordered=True)
    ds = ld.StreamingDataset(d)
    out = {}
    for name, idx in [("slice", slice(3, 20, 2)), ("range", range(25, 5, -3)), ("list", [9, 3, 4, 5, 28, 3]), ("empty", [])]:
        s = ds.subset(idx)
        out[name] = {"len": len(s), "getitem": [s[i]["v"] for i in range(len(s))], "iter": [x["v"] for x in s],
                     "files": s.subsampled_files, "roi": [list(r) for r in s.region_of_interest]}
    for bad in ([30], [-1]):
        try:
            ds.subset(bad)
        except Exception as e:
            out[str(bad)] = [type(e).__name__, str(e)]
    s2 = ds.subset(range(10, 20)).subset([0, 9])
    out["nested"] = [x["v"] for x in s2]
    print(json.dumps(out))
"""

WINDOW = """
import json, sys, asyncio
import numpy as np
import litdata as ld
def fn(i):
    return {"features": np.arange(10 * 2, dtype=np.float32).reshape(10, 2) + i, "valid": np.ones(10, dtype=bool), "label": np.arange(10, dtype=np.int64)}
if __name__ == "__main__":
    d = sys.argv[1]
    ld.optimize(fn=fn, inputs=list(range(6)), output_dir=d, chunk_size=4, num_workers=1, keep_data_ordered=True)
    ds = ld.StreamingDataset(d)
    out = {}
    w = ds.read_window(3, start=2, frames=4, fields=["features", "valid"])
    out["w"] = {k: [str(v.dtype), list(v.shape), v.tolist(), bool(v.flags.writeable)] for k, v in w.items()}
    out["all"] = sorted(ds.read_window(5, 6, 4))
    out["empty"] = ds.read_window(0, 0, 1, fields=[])
    out["async"] = asyncio.run(ds.aread_window(1, 0, 2, ["label"]))["label"].tolist()
    errs = []
    for args, kw in [((0, 7, 4), {}), ((6, 0, 1), {}), ((0, 0, 0), {}), ((0, 0, 1), {"fields": "label"}), ((0, 0, 1), {"fields": ["x"]}),
                     ((0, 0, 1), {"fields": ["label", "label"]}), ((0.5, 0, 1), {}), ((0, 0, 1), {"max_concurrent_reads": 0})]:
        try:
            ds.read_window(*args, **kw); errs.append("ok")
        except Exception as e:
            errs.append([type(e).__name__, str(e)])
    out["errs"] = errs
    try:
        ds.frame_counts()
    except Exception as e:
        out["fc"] = [type(e).__name__, str(e)]
    ds.on_demand_bytes = False
    try:
        ds.on_demand_bytes = 1
    except Exception as e:
        out["odb"] = [type(e).__name__, str(e)]
    print(json.dumps(out))
"""


def test_every_public_method_of_litdata_0_2_76_streaming_dataset_exists_here():
    missing = set(run_reference(ATTRIBUTES)) - set(run_ours(ATTRIBUTES))
    assert not missing


@pytest.mark.parametrize("script", [SUBSET, WINDOW], ids=["subset", "read_window"])
def test_the_same_calls_give_the_same_results_as_litdata_0_2_76(script, tmp_path):
    assert run_ours(script, str(tmp_path / "ours")) == run_reference(script, str(tmp_path / "theirs"))


def test_a_subset_keeps_only_its_items_through_a_dataloader_with_workers(tmp_path):
    import litdata as ld

    ld.optimize(_sample, list(range(40)), str(tmp_path / "d"), chunk_size=6, num_workers=1, verbose=False)
    subset = ld.StreamingDataset(str(tmp_path / "d")).subset(range(3, 40, 4))
    loader = ld.StreamingDataLoader(subset, batch_size=2, num_workers=2)
    seen = sorted(int(v) for batch in loader for v in batch["v"])
    assert seen == list(range(3, 40, 4))


def _sample(i):
    return {"v": i}
