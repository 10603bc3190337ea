import json
from pathlib import Path

import pytest

from litdata.utilities.subsample import subsample_chunks

ORDERS = json.loads((Path(__file__).parents[1] / "reference_orders" / "orders.json").read_text())
FILES = [f"chunk-{i}.bin" for i in range(4)]
ROIS = [(0, 10), (0, 10), (0, 10), (0, 5)]


def test_full_sample_keeps_the_chunk_list():
    assert subsample_chunks(FILES, ROIS, 1.0, shuffle=True, seed=3) == (FILES, ROIS)


def test_half_without_shuffle_takes_the_first_half_of_the_items():
    files, rois = subsample_chunks(FILES, ROIS, 0.5, shuffle=False, seed=3)
    assert files == FILES[:2]
    assert rois == [(0, 10), (0, 7)]


def test_one_and_a_half_without_shuffle_appends_the_first_half_to_a_full_copy():
    files, rois = subsample_chunks(FILES, ROIS, 1.5, shuffle=False, seed=3)
    assert files == FILES + FILES[:2]
    assert rois == ROIS + [(0, 10), (0, 7)]


def test_upsampling_with_shuffle_repeats_every_chunk_in_a_new_order():
    files, _ = subsample_chunks(FILES, ROIS, 2.0, shuffle=True, seed=3)
    assert sorted(files[:4]) == sorted(files[4:]) == FILES
    assert files[:4] != files[4:]


def test_subsample_with_shuffle_takes_the_same_items_for_the_same_seed():
    assert subsample_chunks(FILES, ROIS, 0.3, shuffle=True, seed=3) == subsample_chunks(FILES, ROIS, 0.3, True, 3)


def test_subsample_keeps_the_first_items_of_the_last_chunk_region():
    files, rois = subsample_chunks(["a", "b"], [(2, 8), (1, 9)], 0.5, shuffle=False, seed=0)
    assert files == ["a", "b"]
    assert rois == [(2, 8), (1, 2)]


@pytest.mark.parametrize("bad", [0, -0.5, "half", None])
def test_subsample_rejects_anything_but_a_positive_number(bad):
    with pytest.raises(ValueError, match="subsample"):
        subsample_chunks(FILES, ROIS, bad, shuffle=False, seed=0)


SUBSAMPLED_CASES = [case for case in ORDERS["cases"] if case["subsample"] != 1.0]


@pytest.mark.parametrize("case", SUBSAMPLED_CASES, ids=[case["name"] for case in SUBSAMPLED_CASES])
def test_subsampled_chunk_list_matches_the_reference_release(case):
    dataset = ORDERS["datasets"][case["dataset"]]
    files, rois = subsample_chunks(
        dataset["filenames"],
        [(0, size) for size in dataset["chunk_sizes"]],
        case["subsample"],
        case["shuffle"],
        case["seed"],
    )
    assert files == case["ranks"][0]["subsampled_files"]
    assert [list(roi) for roi in rois] == case["ranks"][0]["region_of_interest"]
