"""Shared pieces of the fault-injection tests: a moto S3 server, datasets with crafted indexes, process helpers."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(REPO, "src")
REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(REPO, ".cache", "reference-litdata")


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto S3 server on a free port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_options(endpoint: str) -> dict:
    return {
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


def new_bucket(endpoint: str) -> tuple[str, dict]:
    """Create a fresh bucket: ``("s3://name", storage_options)``."""
    import boto3

    options = s3_options(endpoint)
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", **options).create_bucket(Bucket=name)
    return f"s3://{name}", options


@pytest.fixture
def bucket(moto_url) -> tuple[str, dict]:
    """A fresh bucket on the module's moto server."""
    return new_bucket(moto_url)


def upload_folder(folder: str, url: str, options: dict) -> str:
    from litdata.storage import get_storage, join_url

    storage = get_storage(url, options)
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            storage.upload_file(path, join_url(url, os.path.relpath(path, folder)))
    return url


def rename_chunk_in_index(folder: str, new_name: str, position: int = 0) -> None:
    """Point chunk ``position`` of ``folder/index.json`` at ``new_name`` (what a crafted index does)."""
    path = os.path.join(folder, "index.json")
    with open(path) as f:
        index = json.load(f)
    index["chunks"][position]["filename"] = new_name
    with open(path, "w") as f:
        json.dump(index, f)


def run_python(code: str, *, reference: bool = False, env: dict | None = None, timeout: float = 120) -> dict:
    """Run ``code`` in a fresh interpreter with our sources (or the real LitData 0.2.76); it prints one JSON line
    last, which is returned (with ``returncode`` and ``stderr`` tail)."""
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = REFERENCE if reference else SRC
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    result.update(returncode=proc.returncode, stderr=proc.stderr[-2000:])
    return result


def tree_files(folder: str) -> set[str]:
    """Every file under ``folder`` (relative paths)."""
    found = set()
    for root, _, files in os.walk(folder):
        for name in files:
            found.add(os.path.relpath(os.path.join(root, name), folder))
    return found


FAULTS_DIR = os.path.dirname(os.path.abspath(__file__))


def start_optimize(spec: dict, *, reference: bool = False, env: dict | None = None) -> subprocess.Popen:
    """Start `crash_jobs.main(spec)` in a child process (our sources, or the real LitData 0.2.76)."""
    path = [REFERENCE if reference else SRC, FAULTS_DIR]
    full_env = dict(os.environ, **(env or {}), PYTHONPATH=os.pathsep.join(path))
    script = os.path.join(FAULTS_DIR, "crash_jobs.py")
    return subprocess.Popen(
        [sys.executable, script, json.dumps(spec)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (its optimize workers)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except FileNotFoundError:
        return []


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL a child started with `start_optimize` and everything in its session; wait for it."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(30)


def wait_until(condition, timeout: float = 60.0, interval: float = 0.02) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
