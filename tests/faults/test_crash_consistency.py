"""Crash consistency of optimize: a run killed at any point (SIGKILL of the main process or of a worker) loses
nothing and doubles nothing; the dataset that was there stays readable; two runs never write one output at once."""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest
from crash_jobs import slow_sample

from litdata import StreamingDataset, optimize
from litdata.processing.locking import OutputLockedError

from fault_support import children_of, kill_tree, start_optimize, wait_until

REPEATS = 3
FORK = {"start_method": "fork", "verbose": False}


def _ids(output: str, **kwargs) -> list[int]:
    return sorted(int(sample["id"]) for sample in StreamingDataset(output, **kwargs))


def _chunk_files(output: str) -> set[str]:
    return {name for _, _, files in os.walk(output) for name in files if name.startswith("chunk-")}


def _kill_mid_run(spec: dict, rng: random.Random, **start_kwargs) -> str:
    """Start an optimize run, SIGKILL its main process or one of its workers at a random point once chunks are
    being written, and wait until every process of the run is gone. Returns what was killed."""
    before = _chunk_files(spec["output"])
    proc = start_optimize(spec, **start_kwargs)
    try:
        started = wait_until(lambda: _chunk_files(spec["output"]) - before or proc.poll() is not None, timeout=60)
        assert started and proc.poll() is None, "the run never started writing"
        time.sleep(rng.uniform(0, 0.3))
        workers = children_of(proc.pid)
        target = rng.choice(["main", "worker"]) if workers else "main"
        os.kill(rng.choice(workers) if target == "worker" else proc.pid, signal.SIGKILL)
        proc.wait(60)
        if target == "main":  # its workers must not outlive it (they would keep writing into the output)
            assert wait_until(lambda: not any(_alive(pid) for pid in workers), timeout=10), "workers outlived main"
        return target
    finally:
        kill_tree(proc)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_append_never_leaks_into_the_next_append(tmp_path):
    rng = random.Random(10)
    output = str(tmp_path / "out")
    optimize(slow_sample, list(range(200)), output, chunk_size=10, num_workers=2, **FORK)
    expected = set(range(200))
    for repeat in range(REPEATS):
        first = 1000 * (repeat + 1)
        killed_ids = set(range(first, first + 300))
        _kill_mid_run({"output": output, "ids": [first, first + 300], "mode": "append"}, rng)
        found = _ids(output)
        assert len(found) == len(set(found)), "samples doubled"
        assert set(found) in (expected, expected | killed_ids), "a killed append must add all of its samples or none"
        expected = set(found)
        optimize(slow_sample, list(range(first + 500, first + 600)), output, chunk_size=10, num_workers=2,
                 mode="append", **FORK)  # fmt: skip
        expected |= set(range(first + 500, first + 600))
        assert _ids(output) == sorted(expected)
    assert not [n for n in os.listdir(output) if n.startswith(".litdata")], "staging or lock left behind"


def test_a_killed_overwrite_leaves_the_old_dataset_readable(tmp_path):
    rng = random.Random(11)
    output = str(tmp_path / "out")
    optimize(slow_sample, list(range(200)), output, chunk_size=10, num_workers=2, **FORK)
    current = list(range(200))
    for repeat in range(REPEATS):
        first = 1000 * (repeat + 1)
        replacement = list(range(first, first + 300))
        _kill_mid_run({"output": output, "ids": [first, first + 300], "mode": "overwrite"}, rng)
        found = _ids(output)
        assert found in (current, replacement), "after a killed overwrite: the old dataset, or else the new one"
        current = list(range(first + 500, first + 550))
        optimize(slow_sample, current, output, chunk_size=10, num_workers=2, mode="overwrite", **FORK)
        assert _ids(output) == current
    with open(os.path.join(output, "index.json")) as f:
        indexed = sorted(chunk["filename"] for chunk in json.load(f)["chunks"])
    assert sorted(os.listdir(output)) == indexed + ["index.json"], "files of replaced datasets or killed runs left"


def test_a_second_run_into_the_same_output_is_refused_while_the_first_runs(tmp_path):
    output = str(tmp_path / "out")
    first = start_optimize({"output": output, "ids": [0, 400], "num_workers": 1})
    try:
        assert wait_until(lambda: _chunk_files(output) or first.poll() is not None, timeout=60)
        for mode in (None, "append", "overwrite"):
            with pytest.raises(OutputLockedError, match="Another optimize run .* is writing into"):
                optimize(slow_sample, list(range(1000, 1010)), output, chunk_size=10, num_workers=1, mode=mode,
                         **FORK)  # fmt: skip
        assert first.wait(120) == 0, first.stderr.read().decode()[-2000:]
    finally:
        kill_tree(first)
    assert _ids(output) == list(range(400))
    optimize(slow_sample, list(range(1000, 1010)), output, chunk_size=10, num_workers=1, mode="append", **FORK)
    assert _ids(output) == list(range(400)) + list(range(1000, 1010))


def test_a_killed_run_does_not_block_the_next_one(tmp_path):
    output = str(tmp_path / "out")
    _kill_mid_run({"output": output, "ids": [0, 400], "num_workers": 1}, random.Random(12))
    optimize(slow_sample, list(range(50)), output, chunk_size=10, num_workers=1, mode="overwrite", **FORK)
    assert _ids(output) == list(range(50))
