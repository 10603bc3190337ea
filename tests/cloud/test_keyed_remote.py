"""Keyed datasets in a bucket: ``optimize(..., key_fn=)`` to S3 writes the ``keys/`` store there, and a
`StreamingDataset` over the bucket reads samples by key (fetching only the shard it needs)."""

import os

import pytest

import litdata as ld
from litdata.storage import get_storage


def _sample(i):
    return {"id": f"user-{i}", "score": i * 10}


def _key(sample):
    return sample["id"]


def test_a_keyed_dataset_optimized_to_a_bucket_is_read_by_key(s3, tmp_path):
    url = f"{s3.endpoint}/keyed"
    ld.optimize(
        _sample,
        list(range(50)),
        url,
        chunk_size=8,
        num_workers=2,
        key_fn=_key,
        storage_options=s3.storage_options,
        verbose=False,
    )
    assert get_storage(url, s3.storage_options).exists(f"{url}/keys/shard-00000.parquet")
    ds = ld.StreamingDataset(url, storage_options=s3.storage_options, cache_dir=str(tmp_path / "cache"))
    assert ds["user-42"] == {"id": "user-42", "score": 420}
    assert ds.get_by_key("user-0")["score"] == 0
    with pytest.raises(KeyError):
        ds["user-50"]
    cached = [name for _, _, files in os.walk(tmp_path / "cache") for name in files if name.endswith(".parquet")]
    assert cached == ["shard-00000.parquet"]
