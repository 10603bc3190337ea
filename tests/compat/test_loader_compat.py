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


def test_tracer_lines_reach_the_log_file_before_the_script_ends(tmp_path):
    snippet = (
        WRITE_PAIRS
        + """
import re
from litdata.debugger import enable_tracer

enable_tracer("batch")
for _ in ld.StreamingDataLoader(ld.StreamingDataset(root + "/pairs"), batch_size=4):
    pass
with open("litdata_debug.log") as log:  # read right after the loop, while the process still runs
    lines = log.read().splitlines()
result = sorted({(m.group(1), m.group(2)) for m in (re.search(r"name: (\\w+);ph: (\\w);", l) for l in lines) if m})
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert ("batch", "B") in reference.value() and ("batch", "E") in reference.value()
    assert set(reference.value()) <= set(ours.value())


PARALLEL = """
import litdata as ld
from compat_fns import draw, identity

root = params["root"]
ld.optimize(fn=identity, inputs=list(range(12)), output_dir=root + "/a", chunk_size=4, num_workers=1, verbose=False)
ld.optimize(fn=identity, inputs=list(range(100, 112)), output_dir=root + "/b", chunk_size=4, num_workers=1,
            verbose=False)


def loader(**kwargs):
    datasets = [ld.StreamingDataset(root + "/a"), ld.StreamingDataset(root + "/b")]
    return ld.StreamingDataLoader(ld.ParallelStreamingDataset(datasets, **kwargs), batch_size=2, collate_fn=list)


def first_samples(loader, batches):
    out = []
    for batch in loader:
        out.append(batch)
        if len(out) == batches:
            break
    return out
"""


def test_a_restored_parallel_loader_broken_off_early_starts_a_new_epoch_next_time(tmp_path):
    """0.2.76 replays the restored position on every new iteration until an epoch completes; we resume once, as
    documented in README ("Where we differ from LitData on purpose")."""
    snippet = (
        PARALLEL
        + """
original = loader()
iterator = iter(original)
next(iterator), next(iterator)
restored = loader()
restored.load_state_dict(original.state_dict())
result = [[sample[0] for sample in first_samples(restored, 1)[0]] for _ in range(3)]
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert reference.value() == [[4, 5], [4, 5], [4, 5]]
    assert ours.value() == [[4, 5], [0, 1], [0, 1]]


def test_seeded_parallel_transforms_draw_the_same_numbers_after_a_resume(tmp_path):
    """0.2.76 seeds its generators once per iteration from the position, so a resumed run draws other numbers than
    an uninterrupted one; ours reseeds per batch from the position, so both draw the same (README, on purpose)."""
    snippet = (
        PARALLEL
        + """
full = list(loader(transform=draw, seed=42))
interrupted = loader(transform=draw, seed=42)
iterator = iter(interrupted)
next(iterator), next(iterator)
resumed = loader(transform=draw, seed=42)
resumed.load_state_dict(interrupted.state_dict())
rest = list(resumed)
result = [[sample for sample, _ in batch] for batch in rest] == [[sample for sample, _ in batch] for batch in full[2:]], rest == full[2:]
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert reference.value() == (True, False)  # same samples, other random numbers
    assert ours.value() == (True, True)


def test_parquet_datasets_stream_through_fork_workers(tmp_path):
    """0.2.76 refuses `fork` workers with its Polars-based ParquetLoader; ours reads with pyarrow and accepts them
    (README, on purpose)."""
    snippet = """
import os
import pyarrow as pa
import pyarrow.parquet as pq
import litdata as ld
from litdata.streaming.item_loader import ParquetLoader

folder = params["root"] + "/pq"
os.makedirs(folder)
for part in range(2):
    ids = list(range(part * 10, part * 10 + 10))
    pq.write_table(pa.table({"id": ids, "name": [f"row-{i}" for i in ids]}), f"{folder}/part-{part}.parquet")
ld.index_parquet_dataset(folder)
dataset = ld.StreamingDataset(folder, item_loader=ParquetLoader())
loader = ld.StreamingDataLoader(dataset, batch_size=4, num_workers=2, multiprocessing_context="fork")
result = sorted(int(i) for batch in loader for i in batch["id"])
"""
    reference, ours = run_both(snippet, tmp_path)
    assert reference.error == "RuntimeError" and "fork" in reference.message
    assert ours.value() == list(range(20))
