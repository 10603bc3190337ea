"""`optimize` as four steps (litdata.processing.steps), each run alone: validate, plan, execute, finish."""

import json
import os

import pytest
from processing_fns import identity, square_pair

from litdata.processing import steps
from litdata.processing.nodes import NodeInfo
from litdata.processing.output import resolve_output
from litdata.processing.staging import exclusive_run
from litdata.processing.workers import Job
from litdata.streaming.datasets.dataset import StreamingDataset

ONE_NODE = NodeInfo(1, 0)


# ------------------------------------------------------------------------------------------------------- validate
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"mode": "replace"}, "either `append` or `overwrite`"),
        ({"key_fn": "id"}, "`key_fn` must be a callable"),
        ({"keep_data_ordered": False, "use_checkpoint": True}, "Checkpoint feature is not supported"),
        ({"keep_data_ordered": False, "align_chunking": True, "chunk_size": 2}, "requires keep_data_ordered=True"),
        ({"align_chunking": True}, "`chunk_size` needs to be defined"),
    ],
)
def test_validation_refuses_contradicting_arguments(arguments, message):
    call = {"mode": None, "key_fn": None, "use_checkpoint": False, "keep_data_ordered": None}
    call |= {"align_chunking": False, "chunk_size": None} | arguments
    with pytest.raises(ValueError, match=message):
        steps.check_optimize_arguments(identity, **call)


def test_validation_accepts_a_usual_call():
    steps.check_optimize_arguments(identity, None, None, False, None, False, None)


def test_writer_options_are_checked_without_creating_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="Exactly one of chunk_size"):
        steps.writer_options(chunk_size=2, chunk_bytes="1MB")
    with pytest.raises(ValueError, match="Unknown compression"):
        steps.writer_options(chunk_size=2, compression="lz5")
    assert steps.writer_options(chunk_bytes="1MB") == {"chunk_bytes": "1MB"}
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------------------------------------- plan
def test_an_ordered_plan_gives_each_worker_a_contiguous_slice():
    run = steps.plan_run(steps.InputSource(list(range(10))), 4, ordered=True, node=ONE_NODE)
    assert run.num_workers == 4 and run.work.batches is None
    assert [[index for index, _ in share.items] for share in run.work.shares] == [
        [0, 1],
        [2, 3],
        [4, 5, 6],
        [7, 8, 9],
    ]


def test_a_plan_never_starts_more_workers_than_there_are_inputs():
    run = steps.plan_run(steps.InputSource(["a", "b", "c"]), 8, ordered=False, node=ONE_NODE)
    assert run.num_workers == 3 and len(run.work.shares) == 3


def test_an_unordered_plan_queues_every_input_once_in_batches():
    run = steps.plan_run(steps.InputSource(list(range(100)), batch_size=3), 2, ordered=False, node=ONE_NODE)
    queued = [pair for batch in run.work.batches for pair in batch]
    assert sorted(index for index, _ in queued) == list(range(34))
    assert queued[0][1] == [0, 1, 2] and run.work.total == 34


def test_each_node_plans_only_its_own_share_of_the_inputs():
    run = steps.plan_run(steps.InputSource(list(range(11))), 1, ordered=True, node=NodeInfo(2, 1))
    assert [item for _, item in run.work.shares[0].items] == [5, 6, 7, 8, 9, 10]  # the remainder to the last node
    assert run.work.shares[0].rank == 1


def test_planning_refuses_a_reader_with_a_queue():
    with pytest.raises(ValueError, match="cannot be used when the inputs come from"):
        steps.plan_run(steps.InputSource(None, queue=object(), batch_size=2), 1, ordered=False, node=ONE_NODE)


# ------------------------------------------------------------------------------------------------ execute, finish
def _index(path):
    with open(os.path.join(path, "index.json")) as f:
        return json.load(f)


def _execute(output, run, mode=None):
    options = steps.writer_options(chunk_size=2)
    job = Job("optimize", square_pair, output, run.num_workers, writer_options=options)
    return steps.execute_optimize(job, run, mode, "fork", verbose=False)


def test_execution_writes_the_chunks_and_leaves_the_switch_to_the_finish(tmp_path):
    output = resolve_output(str(tmp_path / "out"))
    run = steps.plan_run(steps.InputSource(list(range(6))), 2, ordered=True, node=ONE_NODE)
    with exclusive_run(output, 0):
        assert _execute(output, run) is None  # there was no dataset
        chunks = sorted(name for name in os.listdir(output.path) if name.startswith("chunk-"))
        assert chunks == ["chunk-0-0.bin", "chunk-0-1.bin", "chunk-1-0.bin", "chunk-1-1.bin"]
        assert not os.path.exists(os.path.join(output.path, "index.json"))
        assert sorted(os.listdir(output.staging_dir)) == ["0.index.json", "1.index.json"]
        steps.finish_optimize_run(output, run, None, None)
        assert os.listdir(output.staging_dir) == []
    assert [chunk["filename"] for chunk in _index(output.path)["chunks"]] == chunks
    dataset = StreamingDataset(output.path)
    assert [dataset[i] for i in range(len(dataset))] == [(i, i * i) for i in range(6)]


def test_an_appending_run_numbers_its_chunks_after_the_existing_ones_and_lists_them_last(tmp_path):
    output = resolve_output(str(tmp_path / "out"))
    for inputs, mode in ((list(range(2)), None), (list(range(2, 4)), "append")):
        run = steps.plan_run(steps.InputSource(inputs), 1, ordered=True, node=ONE_NODE)
        with exclusive_run(output, 0):
            existing = _execute(output, run, mode)
            steps.finish_optimize_run(output, run, mode, existing)
    assert [chunk["filename"] for chunk in _index(output.path)["chunks"]] == ["chunk-0-0.bin", "chunk-0-1.bin"]
    dataset = StreamingDataset(output.path)
    assert [dataset[i] for i in range(len(dataset))] == [(i, i * i) for i in range(4)]
