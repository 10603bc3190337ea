import json
import multiprocessing
import os
import signal
import time

import pytest
from processing_fns import (
    crash_on_five,
    environment_mark,
    even_values_twice,
    fail_on_seven_after_delay,
    fail_on_three,
    identity,
    none_for_odd,
    record_pid_then_sleep,
    record_pid_then_sleep_in_map,
    square_pair,
    times_ten,
    token_sequence,
)

from litdata.processing.functions import map as litdata_map
from litdata.processing.functions import optimize
from litdata.streaming.dataset import StreamingDataset
from litdata.streaming.item_loader import TokensLoader

FORK = {"start_method": "fork", "verbose": False}


def read_all(path, **kwargs):
    dataset = StreamingDataset(str(path), **kwargs)
    return [dataset[i] for i in range(len(dataset))]


def chunk_layout(path):
    with open(os.path.join(path, "index.json")) as f:
        return [(c["filename"], c["chunk_size"]) for c in json.load(f)["chunks"]]


def test_spawned_workers_write_a_dataset_that_reads_back_in_input_order(tmp_path):
    optimize(
        square_pair, list(range(11)), str(tmp_path), chunk_size=2, num_workers=2, keep_data_ordered=True, verbose=False
    )
    assert read_all(tmp_path) == [(i, i**2) for i in range(11)]


def test_ordered_run_gives_contiguous_slices_with_the_remainder_to_the_last_worker(tmp_path):
    optimize(identity, list(range(11)), str(tmp_path), chunk_size=2, num_workers=2, keep_data_ordered=True, **FORK)
    assert chunk_layout(tmp_path) == [
        ("chunk-0-0.bin", 2),
        ("chunk-0-1.bin", 2),
        ("chunk-0-2.bin", 1),
        ("chunk-1-0.bin", 2),
        ("chunk-1-1.bin", 2),
        ("chunk-1-2.bin", 2),
    ]


def test_shared_queue_run_writes_every_input_exactly_once(tmp_path):
    optimize(identity, list(range(40)), str(tmp_path), chunk_size=3, num_workers=3, **FORK)
    assert sorted(read_all(tmp_path)) == list(range(40))
    assert not [name for name in os.listdir(tmp_path) if "index.json" in name and name != "index.json"]


def test_generator_fn_yields_several_samples_and_none_results_are_skipped(tmp_path):
    optimize(even_values_twice, list(range(6)), str(tmp_path), chunk_size=4, num_workers=1, **FORK)
    assert read_all(tmp_path) == [0, 1000, 2, 1002, 4, 1004]


def test_none_returned_by_fn_is_not_stored(tmp_path):
    optimize(none_for_odd, list(range(7)), str(tmp_path), chunk_size=4, num_workers=2, keep_data_ordered=True, **FORK)
    assert read_all(tmp_path) == [0, 2, 4, 6]


@pytest.mark.parametrize(("fast_dev_run", "expected"), [(True, 10), (3, 3)])
def test_fast_dev_run_processes_only_the_first_inputs_in_total(tmp_path, fast_dev_run, expected):
    optimize(
        identity,
        list(range(50)),
        str(tmp_path),
        chunk_size=4,
        num_workers=2,
        fast_dev_run=fast_dev_run,
        keep_data_ordered=True,
        **FORK,
    )
    assert read_all(tmp_path) == list(range(expected))


def test_batch_size_hands_lists_of_inputs_to_fn(tmp_path):
    optimize(identity, list(range(6)), str(tmp_path), chunk_size=4, num_workers=1, batch_size=2, **FORK)
    assert read_all(tmp_path) == [[0, 1], [2, 3], [4, 5]]


def test_tokens_loader_writes_token_chunks(tmp_path):
    optimize(
        token_sequence, list(range(6)), str(tmp_path), chunk_size=8, num_workers=1, item_loader=TokensLoader(), **FORK
    )
    blocks = read_all(tmp_path, item_loader=TokensLoader(block_size=4))
    assert [block.tolist() for block in blocks] == [list(range(i * 4, i * 4 + 4)) for i in range(6)]


def test_a_failing_fn_raises_with_the_input_and_leaves_no_index_and_no_child(tmp_path):
    with pytest.raises(RuntimeError, match="input 3") as error:
        optimize(fail_on_three, list(range(40)), str(tmp_path), chunk_size=2, num_workers=2, verbose=False)
    assert "ValueError: cannot handle 3" in str(error.value)
    assert isinstance(error.value.__cause__, ValueError)
    assert not os.path.exists(tmp_path / "index.json")
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_stops_the_run(tmp_path):
    with pytest.raises(RuntimeError, match="exited with code 3 while processing the input 5"):
        optimize(crash_on_five, list(range(10)), str(tmp_path), chunk_size=2, num_workers=2, **FORK)
    assert multiprocessing.active_children() == []


def test_an_existing_dataset_is_refused_without_a_mode(tmp_path):
    optimize(identity, [1, 2], str(tmp_path), chunk_size=2, num_workers=1, **FORK)
    with pytest.raises(RuntimeError, match="use `mode='append | overwrite'`"):
        optimize(identity, [3], str(tmp_path), chunk_size=2, num_workers=1, **FORK)


def test_overwrite_replaces_the_dataset_and_its_chunks(tmp_path):
    optimize(identity, list(range(8)), str(tmp_path), chunk_size=2, num_workers=2, **FORK)
    optimize(identity, [7], str(tmp_path), chunk_size=2, num_workers=1, mode="overwrite", **FORK)
    assert read_all(tmp_path) == [7]
    # The new chunk was written beside the old ones (a kill before the switch leaves the old dataset intact), then
    # the old chunks were deleted: only the new dataset remains.
    (name,) = [chunk for chunk, _ in chunk_layout(tmp_path)]
    assert sorted(os.listdir(tmp_path)) == [name, "index.json"]


def test_append_keeps_existing_chunks_first_and_continues_the_numbering(tmp_path):
    optimize(identity, list(range(3)), str(tmp_path), chunk_size=2, num_workers=1, **FORK)
    optimize(identity, list(range(10, 13)), str(tmp_path), chunk_size=2, num_workers=1, mode="append", **FORK)
    assert read_all(tmp_path) == [0, 1, 2, 10, 11, 12]
    assert [name for name, _ in chunk_layout(tmp_path)] == [f"chunk-0-{n}.bin" for n in range(4)]


def test_an_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="`append` or `overwrite`"):
        optimize(identity, [1], str(tmp_path), chunk_size=2, mode="replace")


def test_checkpoint_resume_skips_the_inputs_already_written(tmp_path):
    with pytest.raises(RuntimeError):
        optimize(
            fail_on_seven_after_delay,
            list(range(10)),
            str(tmp_path),
            chunk_size=2,
            num_workers=1,
            use_checkpoint=True,
            **FORK,
        )
    optimize(times_ten, list(range(10)), str(tmp_path), chunk_size=2, num_workers=1, use_checkpoint=True, **FORK)
    assert read_all(tmp_path) == [0, 1, 2, 3, 4, 5, 60, 70, 80, 90]
    assert not os.path.exists(tmp_path / ".checkpoints")


def test_progress_bar_advances_once_per_input_across_workers(tmp_path, monkeypatch):
    import tqdm.auto

    bars = []

    class RecordingBar:
        def __init__(self, total=None, **_):
            self.total, self.updates = total, []
            bars.append(self)

        def update(self, n):
            self.updates.append(n)

        def close(self):
            pass

    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    optimize(identity, list(range(30)), str(tmp_path), chunk_size=4, num_workers=2, start_method="fork")
    assert len(bars) == 1
    assert bars[0].total == 30
    assert sum(bars[0].updates) == 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": []}, "should be non empty"),
        ({"chunk_size": None}, "Exactly one of chunk_size"),
        ({"chunk_bytes": "64MB"}, "Exactly one of chunk_size"),
        ({"chunk_size": None, "chunk_bytes": "64 MiB-ish"}, "Cannot parse the size"),
        ({"num_nodes": 2}, "torchrun"),
        ({"machine": "A10G"}, "DATA_OPTIMIZER_NUM_NODES"),
        ({"output_dir": "unknownscheme://bucket/data"}, "unknownscheme"),
    ],
)
def test_bad_arguments_are_refused_before_any_worker_starts(tmp_path, kwargs, message):
    arguments = {"inputs": [1, 2], "output_dir": str(tmp_path), "chunk_size": 2, "num_workers": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        optimize(identity, **arguments)
    assert multiprocessing.active_children() == []


def _run_node(node_rank, output_dir):
    os.environ["DATA_OPTIMIZER_NUM_NODES"] = "2"
    os.environ["DATA_OPTIMIZER_NODE_RANK"] = str(node_rank)
    optimize(square_pair, list(range(21)), output_dir, chunk_size=3, num_workers=2, keep_data_ordered=True, **FORK)


def test_two_nodes_write_one_complete_dataset(tmp_path):
    context = multiprocessing.get_context("fork")
    nodes = [context.Process(target=_run_node, args=(rank, str(tmp_path))) for rank in (1, 0)]
    for node in nodes:
        node.start()
    for node in nodes:
        node.join(60)
    assert [node.exitcode for node in nodes] == [0, 0]
    assert read_all(tmp_path) == [(i, i**2) for i in range(21)]
    assert not [name for name in os.listdir(tmp_path) if name.endswith("-index.json")]
    assert [name.split("-")[1] for name, _ in chunk_layout(tmp_path)] == ["0"] * 2 + ["1"] * 2 + ["2"] * 2 + ["3"] * 2


def _run_until_interrupted(output_dir, entry_point, start_method):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    options = {"num_workers": 2, "start_method": start_method}
    if entry_point == "optimize":
        optimize(record_pid_then_sleep, list(range(100)), output_dir, chunk_size=2, verbose=False, **options)
    else:  # map has no `verbose` (as in 0.2.76)
        litdata_map(record_pid_then_sleep_in_map, list(range(100)), output_dir, **options)


def _is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
@pytest.mark.parametrize("entry_point", ["optimize", "map"])
def test_ctrl_c_in_the_main_process_stops_the_workers(tmp_path, monkeypatch, entry_point, start_method):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    monkeypatch.setenv("LITDATA_TEST_PID_DIR", str(pid_dir))
    args = (str(tmp_path / "out"), entry_point, start_method)
    main = multiprocessing.get_context("fork").Process(target=_run_until_interrupted, args=args)
    main.start()
    deadline = time.monotonic() + 30
    while len(os.listdir(pid_dir)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(main.pid, signal.SIGINT)
    main.join(30)
    assert main.exitcode not in (None, 0)
    worker_pids = [int(name) for name in os.listdir(pid_dir)]
    assert len(worker_pids) == 2
    assert not [pid for pid in worker_pids if _is_running(pid)]
    assert not os.path.exists(tmp_path / "out" / "index.json")


FORKSERVER = {"start_method": "forkserver", "verbose": False}


def test_forkserver_workers_see_the_environment_the_main_process_has_when_the_run_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("LITDATA_TEST_MARK", "first")
    optimize(environment_mark, list(range(4)), str(tmp_path / "a"), chunk_size=2, num_workers=2, **FORKSERVER)
    monkeypatch.setenv("LITDATA_TEST_MARK", "second")  # the server started with "first"
    optimize(environment_mark, list(range(4)), str(tmp_path / "b"), chunk_size=2, num_workers=2, **FORKSERVER)
    assert {sample["mark"] for sample in read_all(tmp_path / "a")} == {"first"}
    assert {sample["mark"] for sample in read_all(tmp_path / "b")} == {"second"}


def _run_with_forkserver_workers(output_dir):
    optimize(record_pid_then_sleep, list(range(100)), output_dir, chunk_size=2, num_workers=2, **FORKSERVER)


def test_forkserver_workers_die_when_the_main_process_is_killed(tmp_path, monkeypatch):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    monkeypatch.setenv("LITDATA_TEST_PID_DIR", str(pid_dir))
    main = multiprocessing.get_context("fork").Process(
        target=_run_with_forkserver_workers, args=(str(tmp_path / "out"),)
    )
    main.start()
    deadline = time.monotonic() + 60
    while len(os.listdir(pid_dir)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(main.pid, signal.SIGKILL)
    main.join(30)
    worker_pids = [int(name) for name in os.listdir(pid_dir)]
    assert len(worker_pids) == 2
    deadline = time.monotonic() + 30
    while [pid for pid in worker_pids if _is_running(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in worker_pids if _is_running(pid)]
    assert not os.path.exists(tmp_path / "out" / "index.json")


def _optimize_in_a_forked_child(output_dir):
    optimize(identity, list(range(6)), output_dir, chunk_size=2, num_workers=2, **FORKSERVER)


def test_a_process_forked_after_a_forkserver_run_can_still_optimize(tmp_path):
    optimize(identity, list(range(6)), str(tmp_path / "parent"), chunk_size=2, num_workers=2, **FORKSERVER)
    child = multiprocessing.get_context("fork").Process(target=_optimize_in_a_forked_child, args=(str(tmp_path / "c"),))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    assert sorted(read_all(tmp_path / "c")) == list(range(6))
