"""`optimize` called as a LitData 0.2.76 user calls it: same written dataset, same argument checks."""

import pytest
from dual import run_both

OPTIMIZE_FROM_A_DATALOADER = """
import litdata as ld
from compat_fns import as_int, identity

root = params["root"]
ld.optimize(fn=identity, inputs=list(range(43)), output_dir=root + "/source", chunk_size=5, num_workers=1,
            verbose=False)
loader = ld.StreamingDataLoader(ld.StreamingDataset(root + "/source"), batch_size=1)
ld.optimize(fn=as_int, inputs=loader, output_dir=root + "/copy", chunk_size=3, num_workers=4, verbose=False,
            **params["kwargs"])
copy = ld.StreamingDataset(root + "/copy")
result = [copy[i] for i in range(len(copy))]
"""


@pytest.mark.slow
def test_optimize_over_a_streaming_dataloader_with_several_workers_keeps_the_order(tmp_path):
    reference, ours = run_both(OPTIMIZE_FROM_A_DATALOADER, tmp_path, kwargs={"keep_data_ordered": True})
    assert ours.value() == reference.value() == list(range(43))


OPTIMIZE_WITH = """
import litdata as ld
from compat_fns import pair

ld.optimize(fn=pair, inputs=list(range(10)), output_dir=params["root"] + "/out", chunk_size=5, num_workers=1,
            verbose=False, **params["kwargs"])
"""


@pytest.mark.parametrize(
    "kwargs",
    [
        {"align_chunking": True, "keep_data_ordered": False},
        {"use_checkpoint": True, "keep_data_ordered": False},
    ],
)
def test_optimize_refuses_order_dependent_options_with_keep_data_ordered_false(tmp_path, kwargs):
    reference, ours = run_both(OPTIMIZE_WITH, tmp_path, kwargs=kwargs)
    assert (ours.error, ours.message) == (reference.error, reference.message)
    assert ours.error == "ValueError"


def test_a_leaf_whose_type_changes_between_samples_raises_type_error(tmp_path):
    snippet = """
from litdata.streaming.cache import Cache
from compat_fns import int_then_tensor

cache = Cache(params["root"] + "/changing", chunk_size=5)
for i in range(5):
    cache[i] = int_then_tensor(i)
cache.done()
"""
    reference, ours = run_both(snippet, tmp_path)
    assert reference.error == "TypeError"
    assert ours.raised("builtins.TypeError") and ours.raised("builtins.ValueError")
    assert "leaf types" in ours.message


def test_a_verbose_optimize_prints_litdata_status_lines(tmp_path):
    snippet = """
import litdata as ld
from compat_fns import pair

ld.optimize(fn=pair, inputs=list(range(20)), output_dir=params["root"] + "/out", chunk_size=5, num_workers=2)
"""
    reference, ours = run_both(snippet, tmp_path)
    expected = [
        f"Storing the files under {ours.root}/out",
        "Setup started with fast_dev_run=False.",
        "Found 20 items to process.",
        "Starting 2 workers with 20 items.",
        "Workers are finished.",
        "Finished data processing!",
    ]
    for line in expected:
        assert line.replace(ours.root, reference.root) in reference.stdout
        assert line in ours.stdout
