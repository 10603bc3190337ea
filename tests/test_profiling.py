"""StreamingDataLoader profiling: a Chrome trace of batch fetch/collate without viztracer, and cProfile dumps."""

import json
import os
import pstats

import pytest

from litdata import StreamingDataLoader, StreamingDataset

from helpers import build_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("profiling") / "data", 40, chunk_size=8)


def trace_events(path):
    with open(path) as f:
        trace = json.load(f)
    return trace["traceEvents"]


def test_profile_batches_traces_fetch_samples_and_collate_of_the_chosen_batches(folder, tmp_path):
    loader = StreamingDataLoader(
        StreamingDataset(folder),
        batch_size=4,
        num_workers=1,
        profile_batches=2,
        profile_skip_batches=1,
        profile_dir=str(tmp_path),
    )
    assert len(list(loader)) == 10
    events = trace_events(tmp_path / "result.json")
    assert {e["ph"] for e in events} == {"X"}
    by_name = {name: [e for e in events if e["name"] == name] for name in ("batch", "fetch", "sample", "collate")}
    assert [e["args"]["batch"] for e in by_name["batch"]] == [1, 2]
    assert [e["args"]["batch"] for e in by_name["collate"]] == [1, 2]
    assert len(by_name["sample"]) == 8
    for batch, fetch, collate in zip(by_name["batch"], by_name["fetch"], by_name["collate"]):
        assert batch["ts"] == fetch["ts"] and fetch["ts"] + fetch["dur"] == pytest.approx(collate["ts"])
        assert collate["ts"] + collate["dur"] == pytest.approx(batch["ts"] + batch["dur"])


def test_worker_zero_writes_the_trace_and_the_user_worker_init_fn_still_runs(folder, tmp_path):
    def init(worker_id):
        open(tmp_path / f"init{worker_id}", "w").close()

    loader = StreamingDataLoader(
        StreamingDataset(folder),
        batch_size=4,
        num_workers=2,
        profile_batches=True,
        profile_dir=str(tmp_path),
        worker_init_fn=init,
    )
    list(loader)
    events = trace_events(tmp_path / "result.json")  # written when worker 0 exits
    assert len([e for e in events if e["name"] == "batch"]) == 5  # worker 0 made half of the 10 batches
    assert {e["pid"] for e in events} != {os.getpid()}
    assert os.path.exists(tmp_path / "init0") and os.path.exists(tmp_path / "init1")


def test_profile_cprofile_dumps_the_main_process_and_worker_zero(folder, tmp_path):
    loader = StreamingDataLoader(
        StreamingDataset(folder), batch_size=4, num_workers=1, profile_cprofile=True, profile_dir=str(tmp_path)
    )
    list(loader)
    for who in ("main", "worker0"):
        stats = pstats.Stats(str(tmp_path / f"cprofile_{who}.prof"))
        assert stats.total_calls > 0
        text = (tmp_path / f"cprofile_{who}.txt").read_text()
        assert "--- tottime ---" in text and "--- cumulative ---" in text
    worker_functions = {func for _, _, func in pstats.Stats(str(tmp_path / "cprofile_worker0.prof")).stats}
    assert "__next__" in worker_functions
