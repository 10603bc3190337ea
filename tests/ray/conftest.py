"""One real 3-node Ray cluster (head + 2 worker nodes, 1 CPU each) for the whole session, in its own namespace."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # spawned local workers import ray_fns by name
    sys.path.insert(0, _HERE)

from cluster import LocalRayCluster, cluster_env, namespaces_available  # noqa: E402

DRIVER = os.path.join(_HERE, "driver.py")
NODES = ("head", "node2", "node3")


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory) -> Iterator[LocalRayCluster]:
    pytest.importorskip("ray", reason="the Ray tests need `ray` (pip install 'litdata[ray]')")
    reason = namespaces_available()
    if reason is not None:
        pytest.skip(f"a local Ray cluster runs in a loopback-only network namespace, but {reason}")
    cluster = LocalRayCluster(str(tmp_path_factory.mktemp("ray-cluster-logs")))
    try:
        cluster.start(NODES)
        yield cluster
    finally:
        cluster.stop()


def _tail(path: str, size: int = 6000) -> str:
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()[-size:]


@pytest.fixture(scope="session")
def run_driver(ray_cluster) -> Callable[..., dict]:
    """Run a scenario of driver.py in the cluster's namespace; returns what it wrote to result.json."""

    def run(scenario: str, workdir: os.PathLike, timeout: float = 150.0, env: dict | None = None) -> dict:
        workdir = str(workdir)
        log = os.path.join(workdir, "driver.log")
        command = [sys.executable, DRIVER, scenario, workdir]
        ray_cluster.run(command, timeout=timeout, log=log, env=cluster_env(env))
        result_path = os.path.join(workdir, "result.json")
        if not os.path.exists(result_path):
            pytest.fail(f"the driver of {scenario!r} wrote no result; its log:\n{_tail(log)}")
        with open(result_path) as f:
            result = json.load(f)
        if "driver_error" in result:
            pytest.fail(f"the driver of {scenario!r} failed:\n{result['driver_error']}\nlog:\n{_tail(log)}")
        return result["result"]

    return run
