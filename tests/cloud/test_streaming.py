"""StreamingDataset end to end against real servers: build locally, upload, stream back the same samples."""

import json
import logging
import os
import pickle
import threading
import time

import numpy as np
import pytest
from filelock import FileLock

from litdata import StreamingDataLoader, StreamingDataset
from litdata.storage import RetryPolicy, StorageAccessError, get_storage
from litdata.storage.s3 import S3Storage
from litdata.streaming.cache import Dir
from litdata.streaming.item_loader import TokensLoader
from litdata.streaming.reading.sources import ChunkWaitTimeoutError
from litdata.utilities.encryption import FernetEncryption

from helpers import build_dataset
from normalize import bytes_as_bytes, loose, norm
from testpaths import FIXTURES_DIR


def _sample(i: int) -> dict:
    return {"id": i, "name": f"item-{i}", "vector": np.full(4, i, dtype=np.float32)}


def _ids(items) -> list[int]:
    return [int(item["id"]) for item in items]


def _chunk_files(folder: str) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("chunk-"))


@pytest.fixture
def remote_dataset(backend, tmp_path, upload):
    """60 samples in 6 chunks, uploaded to each backend: (url, storage_options)."""
    local = build_dataset(tmp_path / "local", 60, chunk_size=10, make=_sample)
    return upload(local, f"{backend.endpoint}/dataset", backend.storage_options), backend.storage_options


def test_streaming_from_each_backend_yields_the_samples_written_locally(remote_dataset, tmp_path):
    url, options = remote_dataset
    dataset = StreamingDataset(url, storage_options=options, cache_dir=str(tmp_path / "cache"))
    assert len(dataset) == 60
    items = list(dataset)
    assert _ids(items) == list(range(60))
    assert items[7]["name"] == "item-7" and items[7]["vector"].tolist() == [7.0] * 4
    assert dataset[59]["id"] == 59


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_over_each_backend_yields_every_sample_once(remote_dataset, tmp_path, num_workers):
    url, options = remote_dataset
    dataset = StreamingDataset(url, storage_options=options, cache_dir=str(tmp_path / "cache"), shuffle=True)
    loader = StreamingDataLoader(dataset, batch_size=4, num_workers=num_workers)
    assert sorted(int(i) for batch in loader for i in batch["id"]) == list(range(60))


@pytest.mark.parametrize("spelling", ["boto3", "env"])
@pytest.mark.parametrize("transport", ["s5cmd", "boto3"])
def test_s3_storage_options_work_in_either_spelling_on_either_transport(
    s3, tmp_path, upload, monkeypatch, caplog, spelling, transport
):
    if transport == "boto3":
        monkeypatch.setenv("DISABLE_S5CMD", "1")
    boto = s3.storage_options
    options = boto
    if spelling == "env":
        options = {
            "AWS_ACCESS_KEY_ID": boto["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": boto["aws_secret_access_key"],
            "S3_ENDPOINT_URL": boto["endpoint_url"],
            "AWS_REGION": "us-east-1",
        }
    url = upload(build_dataset(tmp_path / "local", 40, chunk_size=5, make=_sample), f"{s3.endpoint}/ds", boto)
    caplog.set_level(logging.DEBUG, logger="litdata.storage")
    dataset = StreamingDataset(url, storage_options=options, cache_dir=str(tmp_path / "cache"), max_pre_download=3)
    assert (dataset._source.downloader.storage.s5cmd is not None) == (transport == "s5cmd")
    assert _ids(dataset) == list(range(40))
    assert ("s5cmd run" in caplog.text) == (transport == "s5cmd")


def test_s3_credentials_and_endpoint_come_from_the_environment(s3, tmp_path, upload, monkeypatch):
    url = upload(build_dataset(tmp_path / "local", 20, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.storage_options["endpoint_url"])  # boto3's name; s5cmd gets it too
    dataset = StreamingDataset(url, cache_dir=str(tmp_path / "cache"))
    assert _ids(dataset) == list(range(20))


def test_session_options_reach_the_boto3_session(s3, tmp_path, upload, monkeypatch):
    monkeypatch.setenv("DISABLE_S5CMD", "1")
    url = upload(build_dataset(tmp_path / "local", 10, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    session = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    options = {"endpoint_url": s3.storage_options["endpoint_url"]}
    dataset = StreamingDataset(url, storage_options=options, session_options=session, cache_dir=str(tmp_path / "c"))
    assert _ids(dataset) == list(range(10))


def test_wrong_credentials_fail_with_an_error_naming_the_fix(seaweed, tmp_path, upload):
    url = upload(build_dataset(tmp_path / "local", 10, make=_sample), f"{seaweed.endpoint}/ds", seaweed.storage_options)
    wrong = {**seaweed.storage_options, "aws_access_key_id": "nobody"}
    with pytest.raises(StorageAccessError, match=r"index\.json: access denied.*storage_options="):
        StreamingDataset(url, storage_options=wrong, cache_dir=str(tmp_path / "cache"))
    good = StreamingDataset(url, storage_options=seaweed.storage_options, cache_dir=str(tmp_path / "cache"))
    assert _ids(good) == list(range(10))


def test_throttling_and_server_errors_are_retried_with_backoff(throttling_s3, tmp_path, upload, monkeypatch):
    monkeypatch.setattr(S3Storage, "retry_policy", RetryPolicy(attempts=4, base_delay=0.01))
    backend, proxy = throttling_s3
    url = upload(build_dataset(tmp_path / "local", 30, make=_sample), f"{backend.endpoint}/ds", backend.storage_options)
    dataset = StreamingDataset(url, storage_options=backend.storage_options, cache_dir=str(tmp_path / "cache"))
    assert _ids(dataset) == list(range(30))
    assert proxy.throttled >= 5  # every upload, the index and each chunk were refused once


def test_an_unreachable_endpoint_gives_up_naming_the_url_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(S3Storage, "retry_policy", RetryPolicy(attempts=2, base_delay=0.01))
    options = {"endpoint_url": "http://127.0.0.1:9", "aws_access_key_id": "a", "aws_secret_access_key": "b"}
    with pytest.raises(OSError, match=r"s3://nowhere/ds/index\.json after 2 attempts.*endpoint"):
        StreamingDataset("s3://nowhere/ds", storage_options=options, cache_dir=str(tmp_path))


def test_random_access_downloads_only_the_chunk_it_needs(s3, tmp_path, upload):
    url = upload(build_dataset(tmp_path / "local", 60, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    dataset = StreamingDataset(url, storage_options=s3.storage_options, cache_dir=str(tmp_path / "cache"))
    assert dataset[35]["id"] == 35
    assert _chunk_files(dataset._dataset_dir) == ["chunk-0-3.bin"]


def test_chunks_are_prefetched_ahead_of_the_reader(s3, tmp_path, upload):
    url = upload(build_dataset(tmp_path / "local", 60, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    dataset = StreamingDataset(
        url, storage_options=s3.storage_options, cache_dir=str(tmp_path / "cache"), max_pre_download=2
    )
    iterator = iter(dataset)
    assert next(iterator)["id"] == 0
    deadline = time.monotonic() + 10
    while _chunk_files(dataset._dataset_dir) != ["chunk-0-0.bin", "chunk-0-1.bin", "chunk-0-2.bin"]:
        assert time.monotonic() < deadline, _chunk_files(dataset._dataset_dir)
        time.sleep(0.02)
    time.sleep(0.2)
    assert len(_chunk_files(dataset._dataset_dir)) == 3  # no further than max_pre_download ahead
    assert [next(iterator)["id"] for _ in range(59)] == list(range(1, 60))
    assert not [t for t in threading.enumerate() if t.name == "litdata-prefetch"]


def test_a_chunk_stuck_in_another_download_times_out_naming_chunk_url_and_fix(s3, tmp_path, upload, monkeypatch):
    url = upload(build_dataset(tmp_path / "local", 20, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    dataset = StreamingDataset(url, storage_options=s3.storage_options, cache_dir=str(tmp_path / "cache"))
    monkeypatch.setenv("MAX_WAIT_TIME", "0.3")
    held = FileLock(os.path.join(dataset._dataset_dir, ".locks", "chunk-0-1.bin.lock"))  # another reader's download
    expected = r"'chunk-0-1\.bin' of s3://.*/ds.*MAX_WAIT_TIME"
    with held, pytest.raises(ChunkWaitTimeoutError, match=expected):
        dataset[15]
    assert dataset[15]["id"] == 15


def test_a_new_updated_at_invalidates_the_cache(s3, tmp_path, upload):
    options, cache = s3.storage_options, str(tmp_path / "cache")
    url = upload(build_dataset(tmp_path / "v1", 20, make=_sample), f"{s3.endpoint}/ds", options)
    first = StreamingDataset(url, storage_options=options, cache_dir=cache)
    assert _ids(first) == list(range(20))
    old_folder = first._dataset_dir

    local = build_dataset(tmp_path / "v2", 20, make=lambda i: _sample(100 + i))
    with open(os.path.join(local, "index.json")) as f:
        index = json.load(f)
    index["updated_at"] = str(float(index["updated_at"]) + 1)
    with open(os.path.join(local, "index.json"), "w") as f:
        json.dump(index, f)
    upload(local, url, options)

    second = StreamingDataset(url, storage_options=options, cache_dir=cache)
    assert second._dataset_dir != old_folder
    assert os.path.basename(second._dataset_dir) == index["updated_at"]
    assert _ids(second) == list(range(100, 120))
    assert not os.path.exists(old_folder)


def test_a_dir_with_path_and_url_caches_in_that_path(s3, tmp_path, upload):
    url = upload(build_dataset(tmp_path / "local", 20, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    target = str(tmp_path / "my-cache")
    dataset = StreamingDataset(Dir(path=target, url=url), storage_options=s3.storage_options)
    assert _ids(dataset) == list(range(20))
    assert _chunk_files(target) == ["chunk-0-0.bin", "chunk-0-1.bin"]


def test_default_cache_folder_is_md5_of_the_url_then_updated_at(s3, tmp_path, upload, monkeypatch):
    import hashlib

    monkeypatch.setenv("LITDATA_CACHE_DIR", str(tmp_path / "root"))
    url = upload(build_dataset(tmp_path / "local", 10, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    dataset = StreamingDataset(url, storage_options=s3.storage_options)
    with open(os.path.join(tmp_path / "local", "index.json")) as f:
        updated_at = json.load(f)["updated_at"]
    expected = os.path.join(str(tmp_path / "root"), hashlib.md5(url.encode()).hexdigest(), updated_at)
    assert dataset._dataset_dir == expected


def test_the_dataset_pickles_into_workers_without_clients(s3, tmp_path, upload):
    url = upload(build_dataset(tmp_path / "local", 10, make=_sample), f"{s3.endpoint}/ds", s3.storage_options)
    dataset = StreamingDataset(url, storage_options=s3.storage_options, cache_dir=str(tmp_path / "cache"))
    assert dataset[0]["id"] == 0
    clone = pickle.loads(pickle.dumps(dataset))
    assert _ids(clone) == list(range(10))


GOLDEN = os.path.join(FIXTURES_DIR, "litdata-0.2.76")
CASES = sorted(n[: -len(".meta.json")] for n in os.listdir(GOLDEN) if n.endswith(".meta.json"))


@pytest.fixture(scope="module")
def golden_bucket(new_s3_bucket, upload):
    """Every golden dataset of LitData 0.2.76, uploaded once to one bucket."""
    backend = new_s3_bucket()
    for case in CASES:
        upload(os.path.join(GOLDEN, case), f"{backend.endpoint}/{case}", backend.storage_options)
    return backend


def _golden_reader_kwargs(case: str) -> tuple[dict, list]:
    with open(os.path.join(GOLDEN, f"{case}.meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(GOLDEN, f"{case}.expected.pkl"), "rb") as f:
        expected = pickle.load(f)
    kwargs = {}
    if meta.get("reader_kwargs", {}).get("block_size"):
        kwargs["item_loader"] = TokensLoader(block_size=meta["reader_kwargs"]["block_size"])
    if "key_file" in meta:
        kwargs["encryption"] = FernetEncryption.load(os.path.join(GOLDEN, meta["key_file"]), meta["password"])
    return kwargs, expected


@pytest.mark.parametrize("case", CASES)
def test_each_golden_dataset_uploaded_to_s3_reads_back_exactly(golden_bucket, tmp_path, case):
    kwargs, expected = _golden_reader_kwargs(case)
    url, options = f"{golden_bucket.endpoint}/{case}", golden_bucket.storage_options
    dataset = StreamingDataset(url, storage_options=options, cache_dir=str(tmp_path / "cache"), **kwargs)
    assert [norm(dataset[i]) for i in range(len(dataset))] == bytes_as_bytes(expected)
    assert sorted(repr(loose(norm(s))) for s in dataset) == sorted(repr(loose(x)) for x in expected)


def test_local_prefix_copies_chunks_into_the_cache(tmp_path):
    local = build_dataset(tmp_path / "nfs", 20, make=_sample)
    dataset = StreamingDataset(f"local:{local}", cache_dir=str(tmp_path / "cache"))
    assert _ids(dataset) == list(range(20))
    assert dataset._dataset_dir.startswith(str(tmp_path / "cache"))
    assert _chunk_files(dataset._dataset_dir) == ["chunk-0-0.bin", "chunk-0-1.bin"]


def test_an_index_path_replaces_the_remote_index(s3, tmp_path, upload):
    local = build_dataset(tmp_path / "local", 30, make=_sample)
    url = upload(local, f"{s3.endpoint}/ds", s3.storage_options)
    get_storage(url, s3.storage_options).delete(f"{url}/index.json")
    dataset = StreamingDataset(
        url, storage_options=s3.storage_options, cache_dir=str(tmp_path / "c"), index_path=f"{local}/index.json"
    )
    assert _ids(dataset) == list(range(30))


@pytest.mark.parametrize("cloud", ["gcs", "azure"])
@pytest.mark.parametrize("case", CASES)
def test_each_golden_dataset_uploaded_to_gcs_and_azure_reads_back_exactly(request, upload, tmp_path, cloud, case):
    backend = request.getfixturevalue(cloud)
    kwargs, expected = _golden_reader_kwargs(case)
    url = upload(os.path.join(GOLDEN, case), f"{backend.endpoint}/{case}", backend.storage_options)
    dataset = StreamingDataset(url, storage_options=backend.storage_options, cache_dir=str(tmp_path / "c"), **kwargs)
    assert [norm(dataset[i]) for i in range(len(dataset))] == bytes_as_bytes(expected)


def _collate_ids(samples: list) -> list[int]:
    return [int(sample["id"]) for sample in samples]


def _id_of(sample: dict) -> dict:
    return {"id": int(sample["id"])}


def _epochs(loader, count: int) -> list[list[int]]:
    return [
        [int(i) for batch in loader for i in (batch["id"] if isinstance(batch, dict) else batch)] for _ in range(count)
    ]


PREFETCH_PATHS = [
    (regime, workers, persistent, path)
    for regime in ("one by one", "bulk")
    for workers, persistent in ((0, False), (2, False), (2, True))
    for path in ("default collate", "custom collate", "transform")
]


@pytest.mark.parametrize(("regime", "workers", "persistent", "path"), PREFETCH_PATHS)
def test_remote_epochs_and_a_resume_yield_what_the_local_copy_yields_whatever_the_prefetch_regime(
    s3, tmp_path, upload, monkeypatch, regime, workers, persistent, path
):
    """Large chunks are prefetched one by one, small ones in bulk (s5cmd): either way, on every loader path, two
    shuffled epochs and a run resumed mid-epoch give the local copy's samples in the local copy's order."""
    import litdata.streaming.reading.sources as sources

    monkeypatch.setattr(sources, "_BULK_CHUNK_BYTES", 0 if regime == "one by one" else 1 << 40)  # forked workers see it
    local = build_dataset(tmp_path / "local", 60, chunk_size=5, make=_sample)
    url = upload(local, f"{s3.endpoint}/prefetch", s3.storage_options)

    def loader(source: str, cache: str):
        options = {"storage_options": s3.storage_options, "cache_dir": str(tmp_path / cache)} if cache else {}
        transform = {"transform": _id_of} if path == "transform" else {}
        dataset = StreamingDataset(source, shuffle=True, seed=7, max_pre_download=3, **options, **transform)
        collate = {"collate_fn": _collate_ids} if path == "custom collate" else {}
        return StreamingDataLoader(dataset, batch_size=4, num_workers=workers, persistent_workers=persistent, **collate)

    expected = _epochs(loader(local, ""), 2)
    assert sorted(expected[0]) == list(range(60)) and expected[0] != expected[1]
    assert _epochs(loader(url, "cache-a"), 2) == expected

    interrupted = loader(url, "cache-b")
    head = []
    for batch in interrupted:
        head += [int(i) for i in (batch["id"] if isinstance(batch, dict) else batch)]
        if len(head) == 24:
            break
    state = interrupted.state_dict()
    resumed = loader(url, "cache-c")
    resumed.load_state_dict(state)
    assert head + _epochs(resumed, 1)[0] == expected[0]
