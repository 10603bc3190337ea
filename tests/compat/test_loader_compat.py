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


def test_combined_weights_must_match_the_datasets_at_construction_not_at_the_first_sample(tmp_path):
    """0.2.76 accepts `weights=[1]` for two datasets and fails at the first sample; we refuse it up front."""
    snippet = (
        WRITE_PAIRS
        + """
datasets = [ld.StreamingDataset(root + "/pairs"), ld.StreamingDataset(root + "/pairs")]
try:
    combined = ld.CombinedStreamingDataset(datasets, weights=[1], iterate_over_all=False, seed=3)
except ValueError as error:
    result = ("constructor", str(error))
else:
    next(iter(combined))
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert reference.error == "ValueError" and "weights" in reference.message  # raised by the first next()
    assert ours.value()[0] == "constructor" and "one weight per dataset" in ours.value()[1]


def test_unnormalized_combined_weights_sample_as_litdata_does(tmp_path):
    snippet = (
        WRITE_PAIRS
        + """
ld.optimize(fn=pair, inputs=list(range(100, 110)), output_dir=root + "/other", chunk_size=5, num_workers=1,
            verbose=False)
datasets = [ld.StreamingDataset(root + "/pairs"), ld.StreamingDataset(root + "/other")]
result = list(ld.CombinedStreamingDataset(datasets, weights=[2, 6], iterate_over_all=False, seed=3))[:12]
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert ours.value() == reference.value()
