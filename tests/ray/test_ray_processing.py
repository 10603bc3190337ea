"""optimize and map on a real 3-node Ray cluster (see conftest.py): same output as one machine, exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import ray_fns

import litdata as ld

pytestmark = pytest.mark.slow

_HERE = os.path.dirname(os.path.abspath(__file__))


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def _samples(folder) -> list:
    dataset = ld.StreamingDataset(str(folder))
    return [_plain(dataset[i]) for i in range(len(dataset))]


def _index(folder) -> dict:
    with open(os.path.join(folder, "index.json")) as f:
        return json.load(f)


def _only_indexed_files(folder) -> bool:
    listed = {chunk["filename"] for chunk in _index(folder)["chunks"]}
    return set(os.listdir(folder)) == listed | {"index.json"}


def _tree(folder) -> dict[str, str]:
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name)) as f:
                files[os.path.relpath(os.path.join(root, name), folder)] = f.read()
    return files


@pytest.fixture(scope="module")
def jobs(run_driver, tmp_path_factory):
    """The scenarios that leave the cluster as it was, run by one driver."""
    return run_driver(tmp_path_factory.mktemp("jobs"), "equivalence", "error", "s3", "interrupt")


@pytest.fixture(scope="module")
def equivalence(jobs):
    outcome = jobs["equivalence"]
    return Path(outcome.folder), outcome.result


def test_ray_optimize_in_order_writes_the_same_samples_as_one_machine(equivalence, tmp_path):
    workdir, _ = equivalence
    local = tmp_path / "local"
    ld.optimize(ray_fns.make_sample, list(range(240)), str(local), chunk_size=10, keep_data_ordered=True, num_workers=2)
    on_ray = _samples(workdir / "ordered")
    assert on_ray[:240] == _samples(local)
    assert on_ray == [_plain(ray_fns.make_sample(i)) for i in range(300)]  # 240, then 60 appended in order


def test_each_ray_task_writes_chunks_named_after_its_task_number(equivalence):
    workdir, result = equivalence
    expected = [f"chunk-{task}-{number}.bin" for task in range(12) for number in range(2)] + ["index.json"]
    assert result["ordered_files_before_append"] == sorted(expected)
    assert _only_indexed_files(workdir / "ordered")


def test_ray_optimize_with_a_generator_yields_every_sample_once(equivalence, tmp_path):
    workdir, _ = equivalence
    local = tmp_path / "local"
    ld.optimize(ray_fns.two_samples, list(range(200)), str(local), chunk_bytes="2KB", num_workers=2)
    pairs = [(sample["index"], sample["part"]) for sample in _samples(workdir / "generator")]
    assert len(pairs) == len(set(pairs))
    assert sorted(pairs) == sorted((s["index"], s["part"]) for s in _samples(local))
    assert pairs == sorted(pairs)  # tasks are contiguous slices merged in task order
    assert _only_indexed_files(workdir / "generator")


def test_ray_map_writes_the_same_files_as_one_machine(equivalence, tmp_path):
    workdir, _ = equivalence
    local = tmp_path / "local"
    ld.map(ray_fns.write_files, list(range(150)), str(local), num_workers=2)
    on_ray = _tree(workdir / "mapped")
    assert len(on_ray) == 150
    assert on_ray == _tree(local)


def test_an_error_in_fn_names_the_input_and_shows_the_remote_traceback(jobs):
    result = jobs["error"].result
    assert result["type"] == "RuntimeError"
    message = result["message"]
    assert "failed while processing the input 42." in message
    assert "Remote traceback:" in message
    assert "ray_fns.py" in message and "in fail_on_42" in message
    assert "ValueError: cannot turn 42 into a sample" in message
    assert result["cause"] == ["ValueError", "cannot turn 42 into a sample"]
    assert "index.json" not in result["files"]


def test_ray_reads_inputs_from_s3_in_the_tasks_and_writes_the_dataset_to_s3(jobs):
    result = jobs["s3"].result
    expected = [{"url": f"s3://data/raw/{i}.txt", "text": str(i), "double": 2 * i} for i in range(60)]
    assert result["samples"] == expected
    chunks = result["indexed_chunks"]
    assert len(chunks) == len(set(chunks))
    assert result["objects"] == sorted([f"optimized/{name}" for name in chunks] + ["optimized/index.json"])
    expected_mapped = [f"mapped/{'tens/' if i % 10 == 0 else ''}{i:04d}.txt" for i in range(30)]
    assert result["mapped"] == sorted(expected_mapped)


def test_one_environment_variable_moves_an_unchanged_script_to_ray(ray_cluster, tmp_path):
    script = os.path.join(_HERE, "unchanged_script.py")
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    env = {key: value for key, value in os.environ.items() if key not in ("RAY_ADDRESS", "LITDATA_EXECUTOR")}
    subprocess.run([sys.executable, script, str(local)], check=True, timeout=120, env=env, capture_output=True)
    from cluster import cluster_env

    ray_env = cluster_env({"LITDATA_EXECUTOR": "ray"})
    ran = ray_cluster.run([sys.executable, script, str(on_ray)], timeout=120, env=ray_env)
    assert ran.returncode == 0, ran.stdout[-4000:]
    local_samples, ray_samples = _samples(local), _samples(on_ray)
    assert all(not sample["on_ray"] for sample in local_samples)
    assert all(sample["on_ray"] for sample in ray_samples)
    assert sorted(s["index"] for s in local_samples) == [s["index"] for s in ray_samples] == list(range(50))


def test_ctrl_c_in_the_driver_cancels_the_ray_tasks(jobs):
    result = jobs["interrupt"].result
    assert result["sigint_receivable"], "the driver started with SIGINT ignored or blocked (inherited from pytest)"
    assert result["interrupted"]
    assert result["calls_2s_later"] == result["calls_after_cancel"]
    assert result["calls_after_cancel"] < 300
    assert not result["has_index"]


@pytest.fixture
def victim_node(ray_cluster):
    """One more node, for a test to kill (the other tests keep their three nodes)."""
    ray_cluster.add_node("victim")
    return "victim"


def test_a_worker_node_killed_mid_job_still_gives_every_sample_exactly_once(run_driver, victim_node, tmp_path):
    outcome = run_driver(tmp_path, "node_kill")["node_kill"]
    result = outcome.result
    assert result["killed"], "the node's processes were found and killed"
    calls = result["calls"]
    assert result["victim"] in {node for nodes in calls.values() for node in nodes}
    assert any(len(nodes) > 1 for nodes in calls.values()), "the inputs of the killed task ran again"
    assert sorted(calls, key=int) == [str(i) for i in range(160)]
    output = os.path.join(outcome.folder, "out")
    assert _samples(output) == [{"index": i} for i in range(160)]
    assert _only_indexed_files(output)
