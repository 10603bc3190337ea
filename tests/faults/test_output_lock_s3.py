"""The output lock on S3: a lock object created with If-None-Match, kept fresh by the run that holds it, taken over
once a killed run's lock has expired."""

from __future__ import annotations

import time

import pytest
from crash_jobs import slow_sample

from litdata import StreamingDataset, optimize
from litdata.processing.locking import OutputLockedError, lock_name
from litdata.storage import get_storage

from fault_support import kill_tree, start_optimize, wait_until

FORK = {"start_method": "fork", "verbose": False}


def _ids(url: str, options: dict, cache: str) -> list[int]:
    return sorted(int(s["id"]) for s in StreamingDataset(url, storage_options=options, cache_dir=cache))


def test_a_second_run_into_an_s3_output_is_refused_until_the_killed_first_run_lock_expires(bucket, tmp_path):
    url, options = bucket
    output = f"{url}/out"
    storage = get_storage(output, options)
    lock_url = f"{output}/{lock_name(0)}"
    first = start_optimize(
        {"output": output, "ids": [0, 2000], "num_workers": 1, "storage_options": options},
        env={"LITDATA_OUTPUT_LOCK_TTL": "3"},
    )
    try:
        assert wait_until(lambda: storage.exists(lock_url) or first.poll() is not None, timeout=60)
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        with pytest.raises(OutputLockedError, match="Another optimize run .* is writing into s3://"):
            optimize(slow_sample, list(range(5000, 5010)), output, chunk_size=10, num_workers=1,
                     storage_options=options, **FORK)  # fmt: skip
    finally:
        kill_tree(first)
    killed_at = time.monotonic()
    # The killed run cannot remove its lock: it stays until it has not been refreshed for the TTL.
    with pytest.raises(OutputLockedError, match="expires 3s after its last refresh"):
        optimize(slow_sample, list(range(5000, 5010)), output, chunk_size=10, num_workers=1,
                 storage_options=options, **FORK)  # fmt: skip
    time.sleep(max(0.0, 3.5 - (time.monotonic() - killed_at)))
    optimize(slow_sample, list(range(5000, 5030)), output, chunk_size=10, num_workers=1, storage_options=options,
             **FORK)  # fmt: skip
    assert _ids(output, options, str(tmp_path / "cache")) == list(range(5000, 5030))
    assert not storage.exists(lock_url), "the lock is removed when the run ends"


def test_a_finished_s3_run_releases_its_lock_for_the_next(bucket, tmp_path):
    url, options = bucket
    output = f"{url}/out"
    optimize(slow_sample, list(range(20)), output, chunk_size=10, num_workers=1, storage_options=options, **FORK)
    optimize(slow_sample, list(range(20, 30)), output, chunk_size=10, num_workers=1, storage_options=options,
             mode="append", **FORK)  # fmt: skip
    assert _ids(output, options, str(tmp_path / "cache")) == list(range(30))
