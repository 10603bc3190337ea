import os

import pytest
from processing_fns import map_returns_value, write_device, write_is_last_marker, write_text_file

from litdata.processing.functions import map

FORK = {"start_method": "fork"}


def test_files_written_by_fn_land_in_output_dir_with_their_relative_paths(tmp_path):
    map(write_text_file, list(range(6)), str(tmp_path / "out"), num_workers=2, **FORK)
    assert sorted(os.listdir(tmp_path / "out")) == ["group-0", "group-1"]
    assert sorted(os.listdir(tmp_path / "out" / "group-1")) == ["1.txt", "3.txt", "5.txt"]
    assert (tmp_path / "out" / "group-0" / "4.txt").read_text() == "4"


def test_is_last_is_true_for_exactly_the_last_input_of_each_worker(tmp_path):
    map(write_is_last_marker, list(range(5)), str(tmp_path), num_workers=2, keep_data_ordered=True, **FORK)
    assert sorted(name for name in os.listdir(tmp_path) if name.endswith("-True.txt")) == ["1-True.txt", "4-True.txt"]


def test_is_last_marks_a_single_input_when_workers_share_a_queue(tmp_path):
    map(write_is_last_marker, list(range(9)), str(tmp_path), num_workers=1, **FORK)
    assert [name for name in os.listdir(tmp_path) if name.endswith("-True.txt")] == ["8-True.txt"]


def test_fn_asking_for_a_device_receives_one(tmp_path):
    map(write_device, [0], str(tmp_path), num_workers=1, **FORK)
    assert (tmp_path / "0.device").read_text() in {"cpu", "cuda:0"}


def test_a_non_empty_output_dir_is_refused_when_asked(tmp_path):
    (tmp_path / "existing.txt").write_text("x")
    with pytest.raises(RuntimeError, match="not empty"):
        map(write_text_file, [0], str(tmp_path), num_workers=1, error_when_not_empty=True, **FORK)


def test_fn_returning_a_value_points_to_optimize(tmp_path):
    with pytest.raises(RuntimeError, match="use `optimize` instead"):
        map(map_returns_value, [0], str(tmp_path), num_workers=1, **FORK)
