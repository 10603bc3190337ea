"""litdata.utilities.progress: one look for every bar, and the switches that hide them."""

import sys

import pytest

from litdata.processing.functions import merge_datasets, optimize
from litdata.streaming.dataset import StreamingDataset
from litdata.utilities.progress import progress_bar
from progress_output import final_bar


@pytest.fixture(autouse=True)
def _bars_on(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)


def double(i):
    return i * 2


def test_a_bar_names_the_operation_and_counts_its_unit_up_to_the_total(capfd):
    with progress_bar("Doing things", 3, "things") as bar:
        for _ in range(3):
            bar.update(1)
    captured = capfd.readouterr()
    assert captured.out == ""  # bars go to stderr, never into the program's output
    line = final_bar(captured.err, "Doing things")
    assert "100%" in line and "3/3" in line and "things/s" in line


def test_a_byte_bar_shows_scaled_sizes_and_a_byte_rate(capfd):
    with progress_bar("Moving", 2_500_000, in_bytes=True) as bar:
        bar.update(2_500_000)
    line = final_bar(capfd.readouterr().err, "Moving")
    assert "2.50M/2.50M" in line and "B/s" in line


@pytest.mark.parametrize("value", ["1", "yes", "0"])
def test_any_non_empty_tqdm_disable_hides_the_bars_as_tqdm_itself_does(capfd, monkeypatch, value):
    monkeypatch.setenv("TQDM_DISABLE", value)
    with progress_bar("Hidden", 2) as bar:
        bar.update(2)
    assert bar.n == 2 and capfd.readouterr().err == ""


def test_an_empty_tqdm_disable_leaves_the_bars_on(capfd, monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "")
    with progress_bar("Shown", 2) as bar:
        bar.update(2)
    assert "2/2" in final_bar(capfd.readouterr().err, "Shown")


def test_without_tqdm_optimize_and_merge_run_and_print_no_bar(tmp_path, capfd, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    for name, inputs in (("one", [1, 2, 3]), ("two", [4, 5])):
        optimize(double, inputs, str(tmp_path / name), chunk_size=2, num_workers=1, start_method="fork")
    merge_datasets([str(tmp_path / "one"), str(tmp_path / "two")], str(tmp_path / "merged"))
    err = capfd.readouterr().err
    assert "Optimizing" not in err and "Merging" not in err
    merged = StreamingDataset(str(tmp_path / "merged"))
    assert [merged[i] for i in range(len(merged))] == [2, 4, 6, 8, 10]
