"""A worker of a local `optimize`/`map` that ends without reporting its share as done stops the run with an error
naming the worker, its last input and the likely cause, whatever its exit code, and no `index.json` is written.

Each case is a user's script run in a subprocess with a 30 s limit, so a regression (the run hanging, as it did for
an exit code of 0) fails the test instead of hanging the suite. LitData 0.2.76 reports success with part of the
samples when ``fn`` calls ``os._exit(0)``.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import litdata as ld
from litdata.processing.vanished import RecentInputs, describe_input, vanished_worker_error
from litdata.processing.workers import (
    BETWEEN_INPUTS,
    FINISHED,
    FINISHING,
    NO_INPUT,
    PROCESSING,
    STARTING,
    ShareStatus,
)

_SRC = str(Path(__file__).resolve().parents[2] / "src")
LIMIT_S = 30


def run_script(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``body`` as the user's script ``job.py`` in ``tmp_path``; returns the result and its wall time."""
    (tmp_path / "job.py").write_text(textwrap.dedent(body))
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "job.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": _SRC},
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
    )
    return result, time.monotonic() - start


def last_error_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stderr.strip().splitlines()[-1]


OPTIMIZE_WITH_EXIT = """
import multiprocessing
import os
import signal

import litdata as ld


def fn(index):
    if index == 37:
        {exit}
    return {{"index": index}}


if __name__ == "__main__":
    ld.optimize(fn=fn, inputs=list(range(100)), output_dir="out", chunk_size=5, num_workers=2, verbose=False)
    print("optimize returned")
"""


def test_fn_calling_os_exit_0_fails_the_run_naming_the_worker_and_the_input(tmp_path):
    result, _ = run_script(tmp_path, OPTIMIZE_WITH_EXIT.format(exit="os._exit(0)"))
    assert result.returncode != 0
    assert "optimize returned" not in result.stdout
    error = last_error_line(result)
    assert error.startswith("RuntimeError: Worker ")
    assert "exited with code 0 while processing the input 37" in error
    assert "os._exit()" in error
    assert not (tmp_path / "out" / "index.json").exists()


def test_fn_calling_os_exit_3_fails_the_run_naming_the_code_and_the_input(tmp_path):
    result, _ = run_script(tmp_path, OPTIMIZE_WITH_EXIT.format(exit="os._exit(3)"))
    assert result.returncode != 0
    assert "exited with code 3 while processing the input 37" in last_error_line(result)
    assert not (tmp_path / "out" / "index.json").exists()


def test_a_worker_killed_by_sigkill_fails_the_run_naming_the_signal_and_out_of_memory(tmp_path):
    result, _ = run_script(tmp_path, OPTIMIZE_WITH_EXIT.format(exit="os.kill(os.getpid(), signal.SIGKILL)"))
    assert result.returncode != 0
    error = last_error_line(result)
    assert "was killed by SIGKILL while processing the input 37" in error
    assert "out-of-memory" in error
    assert not (tmp_path / "out" / "index.json").exists()


def test_a_script_that_raises_system_exit_when_a_spawned_worker_imports_it_fails_the_run(tmp_path):
    result, _ = run_script(
        tmp_path,
        """
        import litdata as ld


        def fn(index):
            return {"index": index}


        if __name__ != "__main__":  # spawned workers import this script as __mp_main__
            raise SystemExit


        if __name__ == "__main__":
            ld.optimize(
                fn=fn, inputs=list(range(100)), output_dir="out", chunk_size=5, num_workers=2, start_method="spawn"
            )
            print("optimize returned")
        """,
    )
    assert result.returncode != 0
    assert "optimize returned" not in result.stdout
    error = last_error_line(result)
    assert "exited with code 0 before it processed any input" in error
    assert 'if __name__ == "__main__":' in error
    assert not (tmp_path / "out" / "index.json").exists()


def test_map_fails_when_fn_calls_os_exit_0(tmp_path):
    result, _ = run_script(
        tmp_path,
        """
        import os

        import litdata as ld


        def fn(index, output_dir):
            if index == "file-12":
                os._exit(0)
            with open(os.path.join(output_dir, index), "w") as file:
                file.write(index)


        if __name__ == "__main__":
            inputs = [f"file-{i}" for i in range(40)]
            ld.map(fn=fn, inputs=inputs, output_dir="out", num_workers=2, keep_data_ordered=True)
            print("map returned")
        """,
    )
    assert result.returncode != 0
    assert "map returned" not in result.stdout
    assert "exited with code 0 while processing the input 'file-12'" in last_error_line(result)


def test_a_lazy_stream_of_inputs_names_the_input_the_worker_was_processing(tmp_path):
    result, _ = run_script(
        tmp_path,
        """
        import multiprocessing
        import os

        import litdata as ld
        from litdata.processing.data_processor import ALL_DONE


        def fn(index):
            if index == 21:
                os._exit(0)
            return {"index": index}


        def producer(queue):
            for index in range(60):
                queue.put(index)
            queue.put(ALL_DONE)


        if __name__ == "__main__":
            queue = multiprocessing.Queue()
            multiprocessing.Process(target=producer, args=(queue,), daemon=True).start()
            ld.optimize(fn=fn, queue=queue, output_dir="out", chunk_size=5, num_workers=2, verbose=False)
        """,
    )
    assert result.returncode != 0
    assert "exited with code 0 while processing the input 21" in last_error_line(result)
    assert not (tmp_path / "out" / "index.json").exists()


@pytest.mark.parametrize("num_workers", [2, 4])
def test_workers_that_finish_normally_are_never_taken_for_vanished_ones(tmp_path, num_workers):
    for attempt in range(3):
        output = str(tmp_path / f"out-{attempt}")
        ld.optimize(
            fn=_index_sample,
            inputs=list(range(8)),
            output_dir=output,
            chunk_size=1,
            num_workers=num_workers,
            start_method="fork",
            verbose=False,
        )
        assert sorted(sample["index"] for sample in ld.StreamingDataset(output)) == list(range(8))


def _index_sample(index):
    return {"index": index}


def _status_of(*marks):
    """A ShareStatus whose workers are at ``(phase, input index)`` each."""
    status = ShareStatus(multiprocessing.get_context("spawn"), len(marks))
    for worker_index, (phase, index) in enumerate(marks):
        slots, at = status.slots_of(worker_index)
        slots[at], slots[at + 1] = phase, index
    return status


def _recorded(recent, indexes):
    return [index for index, _ in recent.record((i, f"item-{i}") for i in indexes)]


def test_a_stream_keeps_every_input_a_worker_may_have_taken_without_marking_it_yet():
    # worker 0 marked input 21 as done and may already hold 22 (taken from the queue, not marked yet) while
    # worker 1 raced ahead to 60: the scheduler decides how long that lasts, so no fixed window is enough
    status = _status_of((BETWEEN_INPUTS, 21), (PROCESSING, 60))
    recent = RecentInputs(limit=1000)
    recent.keep_needed(status)
    assert _recorded(recent, range(100)) == list(range(100))
    assert describe_input(recent, 22) == "the input 'item-22'"
    assert describe_input(recent, 20) == "input #20"  # below every worker's mark: nobody can name it any more
    # a worker that has not marked any input yet may take any of them; a finished one takes none
    status = _status_of((STARTING, NO_INPUT), (FINISHED, 99))
    recent = RecentInputs(limit=1000)
    recent.keep_needed(status)
    _recorded(recent, range(50))
    assert describe_input(recent, 0) == "the input 'item-0'"


def test_a_stream_stuck_behind_one_slow_input_keeps_that_input_and_no_more_than_its_limit():
    status = _status_of((PROCESSING, 2), (PROCESSING, 9))
    recent = RecentInputs(limit=3)
    recent.keep_needed(status)
    assert _recorded(recent, range(10)) == list(range(10))
    assert recent[2] == "item-2"
    assert [recent[i] for i in (8, 9)] == ["item-8", "item-9"]
    with pytest.raises(KeyError):
        recent[5]
    assert describe_input(recent, 5) == "input #5"


def test_a_worker_that_vanishes_while_writing_its_last_output_is_told_apart_from_one_inside_fn():
    error = vanished_worker_error(3, -9, FINISHING, 41, list(range(50)))
    assert str(error).startswith("Worker 3 was killed by SIGKILL after its last input (the input 41)")
    assert "out-of-memory" in str(error)
    long_input = "x" * 1000
    assert len(describe_input([long_input], 0)) < 400
