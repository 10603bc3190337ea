"""Which executor a job asks for, and the checks made before any Ray connection (no cluster needed)."""

from __future__ import annotations

import sys

import pytest

import litdata as ld
from litdata.processing.ray import ENV_EXECUTOR, RayExecutor, select_executor


@pytest.fixture(autouse=True)
def no_ray_environment(monkeypatch):
    monkeypatch.delenv(ENV_EXECUTOR, raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def test_a_script_without_executor_runs_locally():
    assert select_executor(None, None, None) is None


def test_executor_ray_or_a_ray_executor_selects_ray():
    custom = RayExecutor(address="127.0.0.1:6399", num_cpus_per_task=2)
    assert select_executor("ray", None, None) == RayExecutor()
    assert select_executor(custom, None, None) is custom


def test_the_environment_variable_selects_ray_and_the_argument_wins(monkeypatch):
    monkeypatch.setenv(ENV_EXECUTOR, "ray")
    assert select_executor(None, None, None) == RayExecutor()
    assert select_executor("local", None, None) is None


def test_num_nodes_selects_ray_only_when_a_cluster_is_reachable(monkeypatch):
    assert select_executor(None, 3, None) is None
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6399")
    assert select_executor(None, 3, None) == RayExecutor()
    assert select_executor(None, 3, "A10G") is None  # a platform machine is not a Ray job


def test_num_nodes_without_a_cluster_still_explains_how_to_use_several_machines(tmp_path):
    with pytest.raises(ValueError, match="Lightning platform"):
        ld.optimize(lambda i: i, [1, 2], str(tmp_path / "out"), chunk_size=1, num_nodes=2)


@pytest.mark.parametrize("source", ["argument", "environment"])
def test_an_unknown_executor_name_is_refused_with_the_choices(monkeypatch, source):
    if source == "environment":
        monkeypatch.setenv(ENV_EXECUTOR, "spark")
    name = "spark" if source == "argument" else None
    with pytest.raises(ValueError, match="'local'.*'ray'.*RayExecutor"):
        select_executor(name, None, None)


def test_machine_cannot_be_combined_with_ray():
    with pytest.raises(ValueError, match="resources_per_task"):
        select_executor("ray", None, "A10G")


@pytest.mark.parametrize(
    ("options", "message"),
    [({"num_tasks": 0}, "num_tasks"), ({"max_retries": -1}, "max_retries"), ({"num_cpus_per_task": 0}, "num_cpus")],
)
def test_invalid_ray_executor_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        RayExecutor(**options)


def test_use_checkpoint_on_ray_points_to_ray_retries(tmp_path):
    with pytest.raises(ValueError, match="max_retries"):
        ld.optimize(lambda i: i, [1, 2], str(tmp_path / "out"), chunk_size=1, use_checkpoint=True, executor="ray")


def test_a_queue_of_inputs_on_ray_asks_for_a_list(tmp_path):
    import multiprocessing

    queue = multiprocessing.Queue()
    with pytest.raises(ValueError, match="must be a list"):
        ld.optimize(lambda i: i, queue=queue, output_dir=str(tmp_path / "out"), chunk_size=1, executor="ray")


def test_without_ray_installed_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ImportError, match=r"litdata\[ray\]"):
        ld.optimize(lambda i: i, [1, 2], str(tmp_path / "out"), chunk_size=1, executor="ray")
    with pytest.raises(ImportError, match=r"litdata\[ray\]"):
        ld.map(lambda i, output_dir: None, [1, 2], str(tmp_path / "mapped"), executor="ray")
