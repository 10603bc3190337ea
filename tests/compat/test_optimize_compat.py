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
