"""`StreamingDataLoader` and the dataset wrappers, called as a LitData 0.2.76 user calls them."""

import pytest
from dual import run_both

WRITE_PAIRS = """
import os
import litdata as ld
from compat_fns import pair

root = params["root"]
ld.optimize(fn=pair, inputs=list(range(20)), output_dir=root + "/pairs", chunk_size=5, num_workers=1, verbose=False)
"""


@pytest.mark.parametrize(
    "kwargs",
    [
        {"profile_batches": 2, "num_workers": 0},
        {"profile_batches": 2, "profile_cprofile": True, "num_workers": 1},
    ],
)
def test_the_loader_refuses_profiling_options_it_cannot_honour(tmp_path, kwargs):
    snippet = (
        WRITE_PAIRS
        + """
ld.StreamingDataLoader(ld.StreamingDataset(root + "/pairs"), batch_size=4, **params["kwargs"])
"""
    )
    reference, ours = run_both(snippet, tmp_path, kwargs=kwargs)
    assert reference.error == ours.error == "ValueError"
    assert ours.message.startswith(reference.message)


@pytest.mark.parametrize(
    ("kwargs", "written"),
    [
        ({"profile_batches": 2}, ["result.json"]),
        (
            {"profile_cprofile": True},
            ["cprofile_main.prof", "cprofile_main.txt", "cprofile_worker0.prof", "cprofile_worker0.txt"],
        ),
    ],
)
def test_profiling_creates_a_missing_profile_dir(tmp_path, kwargs, written):
    snippet = (
        WRITE_PAIRS
        + """
profile_dir = os.path.join(root, "profiles", "run-1")
loader = ld.StreamingDataLoader(
    ld.StreamingDataset(root + "/pairs"), batch_size=4, num_workers=1, profile_dir=profile_dir, **params["kwargs"]
)
batches = sum(1 for _ in loader)
result = batches, sorted(os.listdir(profile_dir))
"""
    )
    reference, ours = run_both(snippet, tmp_path, kwargs=kwargs)
    assert ours.value() == reference.value() == (5, written)


@pytest.mark.parametrize("arity", [0, 3])
def test_a_parallel_transform_must_take_one_or_two_arguments(tmp_path, arity):
    snippet = (
        WRITE_PAIRS
        + """
transform = eval("lambda " + ", ".join("abc"[: params["arity"]]) + ": 0")
ld.ParallelStreamingDataset(
    [ld.StreamingDataset(root + "/pairs"), ld.StreamingDataset(root + "/pairs")], transform=transform
)
"""
    )
    reference, ours = run_both(snippet, tmp_path, arity=arity)
    assert (ours.error, ours.message) == (reference.error, reference.message)
    assert ours.error == "ValueError"
