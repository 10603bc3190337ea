"""MosaicML Streaming (MDS) datasets, written by mosaicml-streaming's own MDSWriter, stream from S3 as they are."""

import pytest
from mds_cases import COLUMNS, assert_streamed_as_written, sample
from mosaic_writer import write_mds

import litdata as ld


@pytest.mark.parametrize("compression", [None, "zstd", "gz"])
def test_every_mosaic_column_encoding_streams_from_s3_as_written(s3, tmp_path, upload, compression):
    local = write_mds(str(tmp_path / "mds"), COLUMNS, [sample(i) for i in range(8)], compression, 5000)
    url = upload(local, f"{s3.endpoint}/mds", s3.storage_options)
    dataset = ld.StreamingDataset(url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options)
    streamed = list(dataset)
    assert len(streamed) == 8
    for i, item in enumerate(streamed):
        assert_streamed_as_written(item, i)
    assert_streamed_as_written(dataset[5], 5)


def test_a_shuffled_mds_dataset_from_s3_yields_every_sample_once_through_two_workers(s3, tmp_path, upload):
    rows = [{"id": i, "name": f"n{i}"} for i in range(40)]
    local = write_mds(str(tmp_path / "mds"), {"id": "int", "name": "str"}, rows, "zstd", 200)
    url = upload(local, f"{s3.endpoint}/mds", s3.storage_options)
    dataset = ld.StreamingDataset(
        url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options, shuffle=True, seed=3
    )
    batches = list(ld.StreamingDataLoader(dataset, batch_size=4, num_workers=2))
    ids = [int(i) for batch in batches for i in batch["id"]]
    assert sorted(ids) == list(range(40)) and ids != list(range(40))
    assert all(name == f"n{int(i)}" for batch in batches for name, i in zip(batch["name"], batch["id"]))
