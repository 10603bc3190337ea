"""MosaicML Streaming (MDS) datasets stream from S3 as they are."""

import numpy as np
from mds_writer import write_mds

import litdata as ld


def test_an_mds_dataset_streams_from_s3(s3, tmp_path, upload):
    columns = {"id": "int", "name": "str", "vector": "ndarray"}
    rows = [{"id": i, "name": f"n{i}", "vector": np.arange(i + 1, dtype=np.int32)} for i in range(15)]
    local = write_mds(str(tmp_path / "mds"), columns, rows, "zstd", 400)
    url = upload(local, f"{s3.endpoint}/mds", s3.storage_options)
    dataset = ld.StreamingDataset(url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options)
    samples = list(dataset)
    assert [sample["id"] for sample in samples] == list(range(15))
    for sample in samples:
        np.testing.assert_array_equal(sample["vector"], np.arange(sample["id"] + 1, dtype=np.int32))
