"""Raw files and Parquet folders streamed in place, locally and from the cloud."""

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from torch.utils.data import DataLoader

from litdata import StreamingDataLoader, StreamingDataset
from litdata.format.parquet import ParquetLoader
from litdata.storage import get_storage
from litdata.streaming.raw import FileIndexer, StreamingRawDataset
from litdata.utilities.hf_dataset import index_hf_dataset
from litdata.utilities.parquet import index_parquet_dataset
from progress_output import final_bar


# ---------------------------------------------------------------- Parquet
def _write_parquet_folder(folder, num_files: int = 3, rows: int = 10) -> list[dict]:
    os.makedirs(folder, exist_ok=True)
    expected = []
    for k in range(num_files):
        ids = list(range(k * rows, (k + 1) * rows))
        table = pa.table(
            {
                "id": ids,
                "name": [f"n{i}" for i in ids],
                "score": [i / 2 for i in ids],
                "tags": [[i, i + 1] for i in ids],
                "blob": [bytes([i]) * 3 for i in ids],
            }
        )
        pq.write_table(table, os.path.join(folder, f"part-{k}.parquet"), row_group_size=4)
        expected += table.to_pylist()
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not parquet")
    return expected


def test_index_parquet_dataset_writes_litdatas_index_format(tmp_path):
    _write_parquet_folder(tmp_path / "pq")
    index_parquet_dataset(str(tmp_path / "pq"))
    with open(tmp_path / "pq" / "index.json") as f:
        index = json.load(f)
    assert [c["filename"] for c in index["chunks"]] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    assert all(c["chunk_size"] == 10 and c["dim"] is None for c in index["chunks"])
    assert index["chunks"][0]["chunk_bytes"] == os.path.getsize(tmp_path / "pq" / "part-0.parquet")
    assert index["config"] == {
        "chunk_bytes": None,
        "chunk_size": None,
        "compression": None,
        "data_format": ["int64", "string", "double", "list<element: int64>", "binary"],
        "data_spec": None,
        "encryption": None,
        "item_loader": "ParquetLoader",
        "types": None,
    }
    assert float(index["updated_at"]) > 0


@pytest.mark.parametrize("options", [{}, {"low_memory": False}, {"pre_load_chunk": True}])
@pytest.mark.filterwarnings("ignore:ParquetLoader.low_memory=False")
def test_parquet_rows_stream_as_dicts_in_every_loader_mode(tmp_path, options):
    expected = _write_parquet_folder(tmp_path / "pq")
    index_parquet_dataset(str(tmp_path / "pq"))
    dataset = StreamingDataset(str(tmp_path / "pq"), item_loader=ParquetLoader(**options))
    assert len(dataset) == 30
    assert list(dataset) == expected
    assert dataset[13] == expected[13]


def test_parquet_columns_and_wildcards_select_what_is_read(tmp_path):
    _write_parquet_folder(tmp_path / "pq")
    index_parquet_dataset(str(tmp_path / "pq"))
    dataset = StreamingDataset(str(tmp_path / "pq" / "part-1*.parquet"), item_loader=ParquetLoader(columns=["id"]))
    assert list(dataset) == [{"id": i} for i in range(10, 20)]
    assert sorted(os.listdir(tmp_path / "pq")) == ["index.json", "notes.txt"] + [f"part-{k}.parquet" for k in range(3)]


def test_a_parquet_folder_without_index_is_indexed_on_the_fly(tmp_path):
    expected = _write_parquet_folder(tmp_path / "pq", num_files=2)
    dataset = StreamingDataset(str(tmp_path / "pq"), item_loader=ParquetLoader())
    assert list(dataset) == expected
    assert not os.path.exists(tmp_path / "pq" / "index.json")  # the data folder is left untouched


def test_index_parquet_dataset_into_a_cache_dir(tmp_path):
    _write_parquet_folder(tmp_path / "pq", num_files=1)
    index_parquet_dataset(str(tmp_path / "pq"), cache_dir=str(tmp_path / "idx"))
    assert os.listdir(tmp_path / "idx") == ["index.json"]
    dataset = StreamingDataset(
        str(tmp_path / "pq"), item_loader=ParquetLoader(), index_path=str(tmp_path / "idx" / "index.json")
    )
    assert len(dataset) == 10


def test_indexing_parquet_files_shows_a_bar_of_the_files_read(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    _write_parquet_folder(tmp_path / "pq", num_files=4)
    index_parquet_dataset(str(tmp_path / "pq"))
    bar = final_bar(capfd.readouterr().err, "Indexing Parquet files")
    assert "100%" in bar and "4/4" in bar and "files/s" in bar


@pytest.mark.parametrize("quiet", [{"verbose": False}, {"env": "1"}], ids=["verbose-false", "tqdm-disable"])
def test_indexing_parquet_files_quietly_shows_no_bar(tmp_path, capfd, monkeypatch, quiet):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    if "env" in quiet:
        monkeypatch.setenv("TQDM_DISABLE", quiet["env"])
    _write_parquet_folder(tmp_path / "pq", num_files=2)
    index_parquet_dataset(str(tmp_path / "pq"), verbose=quiet.get("verbose", True))
    assert "Indexing Parquet files" not in capfd.readouterr().err
    assert len(StreamingDataset(str(tmp_path / "pq"), item_loader=ParquetLoader())) == 20


def test_parquet_folders_stream_from_a_bucket(backend, tmp_path, upload):
    expected = _write_parquet_folder(tmp_path / "pq")
    url = upload(tmp_path / "pq", f"{backend.endpoint}/pq", backend.storage_options)
    index_parquet_dataset(url, storage_options=backend.storage_options)
    assert get_storage(url, backend.storage_options).exists(f"{url}/index.json")
    options = dict(storage_options=backend.storage_options, cache_dir=str(tmp_path / "cache"))
    dataset = StreamingDataset(url, item_loader=ParquetLoader(), **options)
    assert list(dataset) == expected
    loader = StreamingDataLoader(dataset, batch_size=5, num_workers=2, collate_fn=lambda rows: [r["id"] for r in rows])
    assert sorted(i for batch in loader for i in batch) == list(range(30))
    subset = StreamingDataset(f"{url}/part-2.parquet", item_loader=ParquetLoader(), **options)
    assert [row["id"] for row in subset] == list(range(20, 30))


def test_hf_datasets_need_huggingface_hub(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(ImportError, match="pip install huggingface_hub"):
        index_hf_dataset("hf://datasets/org/repo/data", cache_dir=str(tmp_path))
    with pytest.raises(ImportError, match="pip install huggingface_hub"):
        StreamingDataset("hf://datasets/org/repo/data", item_loader=ParquetLoader(), cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="hf://datasets"):
        index_hf_dataset("s3://bucket/data")


# ---------------------------------------------------------------- raw files
def _write_files(folder) -> dict[str, bytes]:
    contents = {f"img/{i:02d}.jpg": bytes([i]) * (10 + i) for i in range(6)}
    contents["labels/a.txt"] = b"label a"
    contents["deep/1/2/3/4/5/6/too_deep.txt"] = b"x"
    for name, data in contents.items():
        os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    return contents


@pytest.mark.parametrize("where", ["local", "s3", "gcs", "azure"])
def test_raw_files_are_read_from_a_folder_or_bucket(where, request, tmp_path, upload):
    contents = _write_files(tmp_path / "files")
    location, options = str(tmp_path / "files"), None
    if where != "local":
        backend = request.getfixturevalue(where)
        location, options = (
            upload(tmp_path / "files", f"{backend.endpoint}/raw", backend.storage_options),
            backend.storage_options,
        )
    dataset = StreamingRawDataset(location, cache_dir=str(tmp_path / "cache"), storage_options=options)
    names = sorted(n for n in contents if "too_deep" not in n)
    assert len(dataset) == len(names)
    assert [bytes(dataset[i]) for i in range(len(dataset))] == [contents[n] for n in names]
    loader = DataLoader(dataset, batch_size=3, num_workers=2, collate_fn=lambda batch: batch)
    assert [data for batch in loader for data in batch] == [contents[n] for n in names]


def test_raw_file_index_is_cached_until_recomputed(s3, tmp_path, upload):
    _write_files(tmp_path / "files")
    url = upload(tmp_path / "files", f"{s3.endpoint}/raw", s3.storage_options)
    first = StreamingRawDataset(url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options)
    get_storage(url, s3.storage_options).upload_file(str(tmp_path / "files" / "labels" / "a.txt"), f"{url}/new.txt")
    cached = StreamingRawDataset(url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options)
    assert cached.files == first.files
    fresh = StreamingRawDataset(
        url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options, recompute_index=True
    )
    assert len(fresh.files) == len(first.files) + 1


def test_raw_setup_groups_files_and_extensions_filter_them(s3, tmp_path, upload):
    contents = _write_files(tmp_path / "files")
    url = upload(tmp_path / "files", f"{s3.endpoint}/raw", s3.storage_options)

    class Pairs(StreamingRawDataset):
        def setup(self, files):
            return [files[i : i + 2] for i in range(0, len(files), 2)]

    dataset = Pairs(
        url,
        cache_dir=str(tmp_path / "cache"),
        storage_options=s3.storage_options,
        indexer=FileIndexer(extensions=[".jpg"]),
        transform=lambda pair: b"+".join(pair),
    )
    assert len(dataset) == 3
    assert dataset[1] == contents["img/02.jpg"] + b"+" + contents["img/03.jpg"]
    assert dataset.__getitems__([0, 2]) == [dataset[0], dataset[2]]


def test_raw_cached_files_can_be_returned_as_local_paths(s3, tmp_path, upload):
    contents = _write_files(tmp_path / "files")
    url = upload(tmp_path / "files", f"{s3.endpoint}/raw", s3.storage_options)
    dataset = StreamingRawDataset(
        url, cache_dir=str(tmp_path / "cache"), storage_options=s3.storage_options, cache_files=True, item_type="path"
    )
    path = dataset[0]
    with open(path, "rb") as f:
        assert path.startswith(str(tmp_path / "cache")) and f.read() == contents["img/00.jpg"]
    with pytest.raises(ValueError, match="cache_files=True"):
        StreamingRawDataset(url, storage_options=s3.storage_options, item_type="path")
