"""optimize, map and merge_datasets write to S3, GCS and Azure (real servers); the index is uploaded last."""

import os

import pytest
from tqdm import tqdm

import litdata as ld
from litdata.storage import get_storage
from progress_output import final_bar


def pair(i):
    return (i, str(i) * (i % 5))


def write_file(item, output_dir):
    os.makedirs(os.path.join(output_dir, "sub"), exist_ok=True)
    with open(os.path.join(output_dir, "sub", f"{item}.txt"), "w") as f:
        f.write(str(item))


def _names(url, options):
    storage = get_storage(url, options)
    return sorted(info.url[len(url) + 1 :] for info in storage.list(url + "/"))


def _cache(tmp_path):
    return str(tmp_path / "cache")


@pytest.mark.parametrize("num_workers", [1, 2])
def test_optimize_to_each_cloud_streams_back_the_same_samples(backend, tmp_path, num_workers):
    url = f"{backend.endpoint}/dataset"
    ld.optimize(
        fn=pair,
        inputs=list(range(40)),
        output_dir=url,
        chunk_size=7,
        num_workers=num_workers,
        storage_options=backend.storage_options,
        verbose=False,
        start_method="fork",
    )
    names = _names(url, backend.storage_options)
    assert "index.json" in names and not [n for n in names if "index.json" in n and n != "index.json"]
    dataset = ld.StreamingDataset(url, storage_options=backend.storage_options, cache_dir=_cache(tmp_path))
    assert sorted(dataset[i] for i in range(len(dataset))) == sorted(pair(i) for i in range(40))


def _chunk_bytes(url, options):
    storage = get_storage(url, options)
    return sum(info.size for info in storage.list(url + "/") if info.url.rsplit("/", 1)[-1].startswith("chunk-"))


def test_optimize_to_a_bucket_shows_a_bar_of_the_bytes_uploaded(s3, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    url = f"{s3.endpoint}/dataset"
    options = dict(chunk_size=4, num_workers=2, storage_options=s3.storage_options, start_method="fork")
    ld.optimize(fn=pair, inputs=list(range(60)), output_dir=url, **options)
    uploaded = tqdm.format_sizeof(_chunk_bytes(url, s3.storage_options))  # every worker's chunks, e.g. "1.55k"
    bar = final_bar(capfd.readouterr().err, "Uploading chunks")
    assert "100%" in bar and f"| {uploaded}/{uploaded} [" in bar and "B/s" in bar


def test_optimize_with_verbose_false_shows_no_upload_bar(s3, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    url = f"{s3.endpoint}/dataset"
    options = dict(chunk_size=4, num_workers=1, storage_options=s3.storage_options, start_method="fork")
    ld.optimize(fn=pair, inputs=list(range(20)), output_dir=url, verbose=False, **options)
    assert _chunk_bytes(url, s3.storage_options) > 0
    assert "Uploading" not in capfd.readouterr().err


def test_optimize_into_a_local_folder_shows_no_upload_bar(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    ld.optimize(fn=pair, inputs=list(range(20)), output_dir=str(tmp_path / "out"), chunk_size=4, num_workers=1)
    err = capfd.readouterr().err
    assert "100%" in final_bar(err, "Optimizing") and "Uploading" not in err


def write_100_bytes(item, output_dir):
    with open(os.path.join(output_dir, f"{item}.bin"), "wb") as f:
        f.write(bytes(100))


def test_map_to_a_bucket_shows_a_bar_of_the_bytes_uploaded(s3, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    url = f"{s3.endpoint}/files"
    ld.map(write_100_bytes, list(range(7)), url, num_workers=2, storage_options=s3.storage_options, start_method="fork")
    assert len(_names(url, s3.storage_options)) == 7
    bar = final_bar(capfd.readouterr().err, "Uploading files")
    assert "100%" in bar and "| 700/700 [" in bar


def test_remote_append_and_overwrite_modes(s3, tmp_path):
    url = f"{s3.endpoint}/dataset"
    kwargs = dict(chunk_size=5, num_workers=1, storage_options=s3.storage_options, verbose=False, start_method="fork")
    ld.optimize(fn=pair, inputs=list(range(10)), output_dir=url, **kwargs)
    with pytest.raises(RuntimeError, match="mode='append | overwrite'"):
        ld.optimize(fn=pair, inputs=list(range(10)), output_dir=url, **kwargs)
    ld.optimize(fn=pair, inputs=list(range(10, 15)), output_dir=url, mode="append", **kwargs)
    first = ld.StreamingDataset(url, storage_options=s3.storage_options, cache_dir=_cache(tmp_path / "a"))
    assert sorted(x[0] for x in first) == list(range(15))
    ld.optimize(fn=pair, inputs=list(range(3)), output_dir=url, mode="overwrite", **kwargs)
    again = ld.StreamingDataset(url, storage_options=s3.storage_options, cache_dir=_cache(tmp_path / "b"))
    assert sorted(x[0] for x in again) == [0, 1, 2]


def test_map_uploads_the_files_written_by_fn(s3):
    url = f"{s3.endpoint}/files"
    ld.map(
        fn=write_file,
        inputs=list(range(6)),
        output_dir=url,
        num_workers=2,
        storage_options=s3.storage_options,
        start_method="fork",
    )
    assert _names(url, s3.storage_options) == [f"sub/{i}.txt" for i in range(6)]


def test_merge_datasets_between_buckets(s3, tmp_path):
    a, b, out = f"{s3.endpoint}/a", f"{s3.endpoint}/b", f"{s3.endpoint}/merged"
    for url, inputs in ((a, range(0, 8)), (b, range(8, 12))):
        ld.optimize(
            fn=pair,
            inputs=list(inputs),
            output_dir=url,
            chunk_size=3,
            num_workers=1,
            storage_options=s3.storage_options,
            verbose=False,
            start_method="fork",
        )
    ld.merge_datasets([a, b], out, storage_options=s3.storage_options)
    merged = ld.StreamingDataset(out, storage_options=s3.storage_options, cache_dir=_cache(tmp_path))
    assert sorted(x[0] for x in merged) == list(range(12))


def test_the_cli_inspects_a_dataset_in_a_bucket(s3, monkeypatch, capsys):
    from litdata.__main__ import main

    url = f"{s3.endpoint}/dataset"
    ld.optimize(
        fn=pair,
        inputs=list(range(9)),
        output_dir=url,
        chunk_size=4,
        num_workers=1,
        storage_options=s3.storage_options,
        verbose=False,
        start_method="fork",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.storage_options["endpoint_url"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert main(["inspect", url, "--json"]) == 0
    summary = __import__("json").loads(capsys.readouterr().out)
    assert summary["samples"] == 9 and summary["chunks"] == 3
