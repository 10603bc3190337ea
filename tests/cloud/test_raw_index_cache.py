"""The file list of a `StreamingRawDataset` over a bucket is saved beside the data (``index.json.zstd``), so a
machine with an empty cache lists nothing; ``recompute_index`` lists again."""

from litdata.raw import StreamingRawDataset
from litdata.raw.indexer import INDEX_FILENAME
from litdata.storage import get_storage


def test_the_file_index_is_uploaded_to_the_bucket_and_reused_by_a_fresh_cache(s3, tmp_path, upload):
    (tmp_path / "files").mkdir()
    for i in range(5):
        (tmp_path / "files" / f"{i}.txt").write_bytes(b"x" * (i + 1))
    url = upload(tmp_path / "files", f"{s3.endpoint}/rawindex", s3.storage_options)
    first = StreamingRawDataset(url, cache_dir=str(tmp_path / "cache-a"), storage_options=s3.storage_options)
    storage = get_storage(url, s3.storage_options)
    assert storage.exists(f"{url}/{INDEX_FILENAME}")

    storage.upload_file(str(tmp_path / "files" / "0.txt"), f"{url}/late.txt")
    second = StreamingRawDataset(url, cache_dir=str(tmp_path / "cache-b"), storage_options=s3.storage_options)
    assert second.files == first.files
    assert [second[i] for i in range(len(second))] == [b"x" * (i + 1) for i in range(5)]

    fresh = StreamingRawDataset(
        url, cache_dir=str(tmp_path / "cache-b"), storage_options=s3.storage_options, recompute_index=True
    )
    assert len(fresh.files) == 6 and all(not f.path.endswith(INDEX_FILENAME) for f in fresh.files)
