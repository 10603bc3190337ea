"""A fault-injecting HTTP proxy for S3 tests, and the S3 server fixtures it sits in front of.

`FaultProxy` listens on 127.0.0.1 and forwards every request to a real S3 server (moto from ``tests/cloud``), except
the requests its `Fault` rules pick: those are delayed (latency), answered with ``503 SlowDown``, cut by a TCP reset
before or in the middle of the response body, or stalled (no answer for a while, then the connection is closed).
Each rule fires a bounded number of times per object (or in all), every stall ends by itself, and the proxy shuts
itself down after ``lifetime`` seconds at the latest, so a test can never hang on it.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te", "upgrade"}
_SLOW_DOWN = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
KINDS = ("latency", "503", "reset", "truncate", "stall")


@dataclass
class Fault:
    """Inject ``kind`` into the requests with method ``method`` (any if None) whose path contains ``path_contains``.

    ``per_object``: at most this many times for each (method, path, range), e.g. 1 = "the first attempt of every
    request fails". ``total``: at most this many times in all (None: no overall limit). ``seconds``: the delay of
    ``latency`` and the duration of ``stall``.
    """

    kind: str
    method: str | None = None
    path_contains: str = ""
    per_object: int | None = 1
    total: int | None = None
    seconds: float = 0.0
    fired: int = 0
    _seen: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown fault kind {self.kind!r}; use one of {KINDS}.")

    def take(self, method: str, path: str, byte_range: str) -> bool:
        """Whether this request gets the fault (and count it)."""
        if self.method is not None and method != self.method:
            return False
        if self.path_contains not in path:
            return False
        if self.total is not None and self.fired >= self.total:
            return False
        key = (method, path, byte_range)
        if self.per_object is not None and self._seen[key] >= self.per_object:
            return False
        self._seen[key] += 1
        self.fired += 1
        return True


class FaultProxy:
    """A threaded HTTP proxy in front of ``target`` (``http://host:port``) that injects `Fault`s (see the module)."""

    def __init__(self, target: str, faults: list[Fault] | None = None, lifetime: float = 300.0) -> None:
        parsed = urlparse(target)
        self._target = (parsed.hostname, parsed.port)
        self.faults: list[Fault] = list(faults or [])
        self.requests: Counter = Counter()  # (method, user agent family) -> number of requests received
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # resets are expected here
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(lifetime, self.close)
        self._timer.daemon = True
        self._timer.start()

    def fired(self, kind: str) -> int:
        """How many requests received the fault ``kind`` so far."""
        return sum(fault.fired for fault in self.faults if fault.kind == kind)

    def _pick(self, method: str, path: str, byte_range: str) -> list[Fault]:
        with self._lock:
            return [fault for fault in self.faults if fault.take(method, path, byte_range)]

    def close(self) -> None:
        """Stop serving (also ends every stall); safe to call twice."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and "Expect: 100-continue" answered at once

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                agent = "s5cmd" if "aws-sdk-go" in self.headers.get("User-Agent", "") else "boto3"
                with proxy._lock:
                    proxy.requests[(self.command, agent)] += 1
                faults = {
                    fault.kind: fault for fault in proxy._pick(self.command, self.path, self.headers["Range"] or "")
                }
                if "latency" in faults:
                    proxy._closed.wait(faults["latency"].seconds)
                if "stall" in faults:
                    proxy._closed.wait(faults["stall"].seconds)
                    self._reset()
                    return
                if "reset" in faults:
                    self._reset()
                    return
                if "503" in faults:
                    self._reply(503, [("Content-Type", "application/xml")], _SLOW_DOWN)
                    return
                status, headers, data = self._forward(body)
                if "truncate" in faults and len(data) > 1:
                    self._reply(status, headers, data, cut_at=len(data) // 2)
                    return
                self._reply(status, headers, data)

            def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                conn = http.client.HTTPConnection(*proxy._target, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    kept = [
                        (k, v) for k, v in response.getheaders() if k.lower() not in _HOP_HEADERS | {"content-length"}
                    ]
                    if self.command == "HEAD":
                        kept.append(("Content-Length", response.getheader("Content-Length") or "0"))
                    return response.status, kept, data
                finally:
                    conn.close()

            def _reply(self, status: int, headers: list, data: bytes, cut_at: int | None = None) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if self.command != "HEAD" or not any(k.lower() == "content-length" for k, _ in headers):
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if cut_at is None:
                    self.wfile.write(data)
                    return
                self.wfile.write(data[:cut_at])
                self.wfile.flush()
                self._reset()

            def _reset(self) -> None:
                """Abort the connection with a TCP RST (SO_LINGER 0), as a dropped connection does."""
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.connection.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

            def log_message(self, *args: object) -> None:
                pass

        return Handler


# ---------------------------------------------------------------- the S3 server behind the proxy
def _load_cloud_fixtures():
    """``tests/cloud/conftest.py`` as a plain module (its fixtures are only visible under tests/cloud otherwise)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cloud", "conftest.py")
    spec = importlib.util.spec_from_file_location("litdata_tests_cloud_fixtures", path)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_cloud = _load_cloud_fixtures()
moto_endpoint = _cloud.moto_endpoint  # the session's moto server, as in tests/cloud
seaweed_server = _cloud.seaweed_server  # SeaweedFS, which checks credentials
s3_options = _cloud.s3_options


@pytest.fixture
def s3_bucket(moto_endpoint) -> str:
    """A fresh bucket on moto; returns its name."""
    import uuid

    import boto3

    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", **s3_options(moto_endpoint)).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def fault_proxy(moto_endpoint) -> Iterator[FaultProxy]:
    """A `FaultProxy` in front of moto with no faults yet (append `Fault`s to ``proxy.faults``)."""
    proxy = FaultProxy(moto_endpoint)
    yield proxy
    proxy.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
