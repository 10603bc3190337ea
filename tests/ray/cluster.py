"""A real multi-node Ray cluster on this machine, inside its own network namespace (only loopback) and PID namespace.

Ray advertises the machine's interface address unless loopback is the only interface, so every node, driver and
server of a test runs in one namespace created with ``unshare -n -p -f --mount-proc`` (root). Programs enter it with
``nsenter``; stopping the cluster kills the namespace's first process, and the kernel then ends every process in it.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence

GCS_PORT = 6399
ADDRESS = f"127.0.0.1:{GCS_PORT}"
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Node deaths are noticed after about 5 s instead of Ray's default of about 30 s.
# A loaded machine may need more than Ray's 30 s for a node to register.
_NODE_ENV = {
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_failure_threshold": "5",
    "RAY_raylet_start_wait_time_s": "120",
}


def namespaces_available() -> str | None:
    """None if this process may create network and PID namespaces, else why not."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return "the unshare/nsenter commands (util-linux) are missing"
    probe = subprocess.run(
        ["unshare", "-n", "-p", "-f", "--mount-proc", "true"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        return f"creating network and PID namespaces is not permitted here (needs root): {probe.stderr.strip()}"
    return None


def cluster_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the Ray processes and drivers: our sources and the tests' functions first, the venv on PATH."""
    env = dict(os.environ)
    paths = [os.path.join(_REPO, "src"), os.path.dirname(os.path.abspath(__file__)), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.update(RAY_USAGE_STATS_ENABLED="0", PYTHONUNBUFFERED="1", RAY_ADDRESS=ADDRESS)
    env.update(extra or {})
    return env


class LocalRayCluster:
    """Nodes started with ``ray start`` in a private namespace; `run` executes a program in the same namespace."""

    def __init__(self, log_dir: str) -> None:
        self.log_dir = log_dir
        self.temp_dir = os.path.join(tempfile.gettempdir(), f"ldray-{uuid.uuid4().hex[:8]}")
        self._holder: subprocess.Popen | None = None
        self.init_pid: int | None = None
        self.nodes: list[str] = []

    def start(self, nodes: Sequence[str], timeout: float = 240.0) -> None:
        """Start a head node ``nodes[0]``, then the other nodes (each with 1 CPU and a resource of its name)."""
        self._holder = subprocess.Popen(
            ["unshare", "-n", "-p", "-f", "--mount-proc", "sh", "-c", "ip link set lo up && exec sleep infinity"],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.init_pid = self._namespace_init(timeout=30)
        deadline = time.monotonic() + timeout
        for position, name in enumerate(nodes):  # one after the other: nodes started at once may pick the same port
            self.add_node(name, timeout=max(30.0, deadline - time.monotonic()), head=position == 0)

    def _namespace_init(self, timeout: float) -> int:
        assert self._holder is not None
        children = f"/proc/{self._holder.pid}/task/{self._holder.pid}/children"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(children) as f:
                pids = f.read().split()
            if pids:
                return int(pids[0])
            time.sleep(0.05)
        raise RuntimeError("the namespace did not start")

    def add_node(self, name: str, timeout: float = 120.0, head: bool = False) -> None:
        """``ray start`` a node with 1 CPU and the custom resource ``{name: 1}`` (``head``: the cluster's first node)."""
        common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", f"--resources={json.dumps({name: 1})}"]
        common += ["--object-store-memory=100000000", "--disable-usage-stats"]
        if head:
            command = ["ray", "start", "--head", f"--port={GCS_PORT}", "--include-dashboard=false"]
            command += [f"--temp-dir={self.temp_dir}"]
        else:
            command = ["ray", "start", f"--address={ADDRESS}"]
        log = os.path.join(self.log_dir, f"ray-start-{name}.log")
        result = self.run(command + common, timeout=timeout, log=log, env=cluster_env(_NODE_ENV))
        if result.returncode != 0:
            with open(log) as f:
                raise RuntimeError(f"`ray start` of node {name} failed:\n{f.read()[-3000:]}\n{self._raylet_errors()}")
        self.nodes.append(name)

    def _raylet_errors(self) -> str:
        """Error lines of the raylets' logs (the temporary folder is deleted by `stop`)."""
        lines = []
        for log in sorted(glob.glob(os.path.join(self.temp_dir, "session_latest", "logs", "raylet*.out"))):
            with open(log, errors="replace") as f:
                lines += [f"{os.path.basename(log)}: {line}" for line in f if " E " in line or " F " in line]
        return "".join(lines[-20:])

    def run(
        self,
        argv: Sequence[str],
        timeout: float,
        log: str | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> subprocess.CompletedProcess:
        """Run ``argv`` inside the namespace (output to ``log`` if given, else captured)."""
        assert self.init_pid is not None, "start the cluster first"
        command = ["nsenter", "-t", str(self.init_pid), "-n", "-p", "-m", *argv]
        output = open(log, "w") if log else subprocess.PIPE  # noqa: SIM115 - closed below
        try:
            return subprocess.run(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                env=env or cluster_env(),
                cwd=cwd or _REPO,
            )
        finally:
            if log:
                output.close()

    def stop(self) -> None:
        """Kill the namespace's first process: the kernel ends every process of the namespace with it."""
        if self.init_pid is not None:
            try:
                os.kill(self.init_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._holder is not None:
            self._holder.wait(30)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
