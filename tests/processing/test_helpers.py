import json
import multiprocessing
import os

import pytest
from processing_fns import identity, square_pair

from litdata.processing.functions import merge_datasets, optimize, walk
from litdata.processing.readers import ParquetReader
from litdata.streaming.dataset import StreamingDataset
from progress_output import final_bar

FORK = {"start_method": "fork", "verbose": False}


def read_all(path):
    dataset = StreamingDataset(str(path))
    return [dataset[i] for i in range(len(dataset))]


def test_walk_lists_every_folder_once_like_os_walk(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "c").mkdir()
    (tmp_path / "a" / "b" / "f.txt").write_text("x")
    (tmp_path / "top.txt").write_text("x")
    expected = sorted((root, sorted(dirs), sorted(files)) for root, dirs, files in os.walk(tmp_path))
    assert sorted((root, sorted(dirs), sorted(files)) for root, dirs, files in walk(str(tmp_path))) == expected


def test_merged_datasets_read_as_one_with_renamed_chunks(tmp_path):
    for name, values in (("one", range(5)), ("two", range(5, 9))):
        optimize(square_pair, list(values), str(tmp_path / name), chunk_size=2, num_workers=1, **FORK)
    merge_datasets([str(tmp_path / "one"), str(tmp_path / "two")], str(tmp_path / "merged"))
    assert read_all(tmp_path / "merged") == [(i, i**2) for i in range(9)]
    with open(tmp_path / "merged" / "index.json") as f:
        assert [c["filename"] for c in json.load(f)["chunks"]] == [f"chunk-0-{n}.bin" for n in range(5)]


def test_merging_shows_a_bar_of_the_chunks_copied(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    for name, values in (("one", range(5)), ("two", range(5, 9))):  # 3 + 2 chunks
        optimize(square_pair, list(values), str(tmp_path / name), chunk_size=2, num_workers=1, **FORK)
    capfd.readouterr()
    merge_datasets([str(tmp_path / "one"), str(tmp_path / "two")], str(tmp_path / "merged"))
    bar = final_bar(capfd.readouterr().err, "Merging datasets")
    assert "100%" in bar and "5/5" in bar and "chunks/s" in bar


def test_merging_with_verbose_false_shows_no_bar(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    for name in ("one", "two"):
        optimize(square_pair, [1, 2, 3], str(tmp_path / name), chunk_size=2, num_workers=1, **FORK)
    capfd.readouterr()
    merge_datasets([str(tmp_path / "one"), str(tmp_path / "two")], str(tmp_path / "merged"), verbose=False)
    assert "Merging datasets" not in capfd.readouterr().err
    assert len(read_all(tmp_path / "merged")) == 6


def test_merging_datasets_of_different_formats_is_refused(tmp_path):
    optimize(square_pair, [1], str(tmp_path / "pairs"), chunk_size=2, num_workers=1, **FORK)
    optimize(identity, [1], str(tmp_path / "ints"), chunk_size=2, num_workers=1, **FORK)
    with pytest.raises(ValueError, match="different data formats"):
        merge_datasets([str(tmp_path / "pairs"), str(tmp_path / "ints")], str(tmp_path / "merged"))


def test_merging_needs_at_least_two_datasets(tmp_path):
    with pytest.raises(ValueError, match="more than 1 input directory"):
        merge_datasets([str(tmp_path)], str(tmp_path / "merged"))


def test_parquet_reader_splits_files_into_shards_of_num_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": list(range(10))}), tmp_path / "x.parquet")
    reader = ParquetReader(str(tmp_path / "cache"), num_rows=4, to_pandas=False)
    shards = reader.remap_items([str(tmp_path / "x.parquet")], 2)
    assert [os.path.basename(s) for s in shards] == ["0_4_x.parquet", "4_8_x.parquet", "8_10_x.parquet"]
    assert reader.read(shards[1]).column("a").to_pylist() == [4, 5, 6, 7]


def test_optimize_with_a_parquet_reader_hands_tables_to_fn(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    from processing_fns import column_sum

    pq.write_table(pa.table({"a": list(range(10))}), tmp_path / "x.parquet")
    reader = ParquetReader(str(tmp_path / "cache"), num_rows=4, to_pandas=False)
    optimize(
        column_sum,
        [str(tmp_path / "x.parquet")],
        str(tmp_path / "out"),
        chunk_size=2,
        num_workers=2,
        reader=reader,
        keep_data_ordered=True,
        **FORK,
    )
    assert read_all(tmp_path / "out") == [6, 22, 17]


def test_inputs_from_a_queue_are_read_until_none(tmp_path):
    user_queue = multiprocessing.get_context("fork").Queue()
    for value in [*range(7), None]:
        user_queue.put(value)
    optimize(identity, queue=user_queue, output_dir=str(tmp_path), chunk_size=2, num_workers=2, **FORK)
    assert sorted(read_all(tmp_path)) == list(range(7))


def test_inputs_from_a_streaming_dataloader_are_its_batches(tmp_path):
    from litdata.streaming.dataloader import StreamingDataLoader

    optimize(
        identity, list(range(6)), str(tmp_path / "source"), chunk_size=3, num_workers=1, keep_data_ordered=True, **FORK
    )
    loader = StreamingDataLoader(StreamingDataset(str(tmp_path / "source")), batch_size=2)
    optimize(identity, loader, str(tmp_path / "out"), chunk_size=2, num_workers=1, **FORK)
    assert [batch.tolist() for batch in read_all(tmp_path / "out")] == [[0, 1], [2, 3], [4, 5]]


class _BrokenQueue:
    def get(self):
        raise OSError("the queue went away")


def test_a_failure_while_reading_lazy_inputs_stops_the_run(tmp_path):
    with pytest.raises(RuntimeError, match="Reading the inputs in the main process failed") as error:
        optimize(identity, queue=_BrokenQueue(), output_dir=str(tmp_path), chunk_size=2, num_workers=2, **FORK)
    assert isinstance(error.value.__cause__, OSError)
    assert multiprocessing.active_children() == []
