"""Datasets written by the real LitData (0.2.76 and 0.2.45) read back sample for sample."""

import json
import os
import pickle

import pytest

from litdata import StreamingDataset
from litdata.streaming.item_loader import TokensLoader
from litdata.utilities.encryption import FernetEncryption

from normalize import bytes_as_bytes, loose, norm
from testpaths import FIXTURES_DIR

RELEASES = ("0.2.76", "0.2.45")
CASES = sorted(
    name[: -len(".meta.json")]
    for name in os.listdir(os.path.join(FIXTURES_DIR, "litdata-0.2.76"))
    if name.endswith(".meta.json")
)


def _open_case(release: str, case: str) -> tuple[StreamingDataset, list]:
    folder = os.path.join(FIXTURES_DIR, f"litdata-{release}")
    with open(os.path.join(folder, f"{case}.meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(folder, f"{case}.expected.pkl"), "rb") as f:
        expected = pickle.load(f)
    kwargs = {}
    block_size = meta.get("reader_kwargs", {}).get("block_size")
    if block_size:
        kwargs["item_loader"] = TokensLoader(block_size=block_size)
    if "key_file" in meta:
        kwargs["encryption"] = FernetEncryption.load(os.path.join(folder, meta["key_file"]), meta["password"])
    return StreamingDataset(os.path.join(folder, case), **kwargs), expected


def _snapshot(folder: str) -> dict:
    return {name: os.stat(os.path.join(folder, name)).st_mtime_ns for name in sorted(os.listdir(folder))}


def test_every_release_has_the_same_ten_cases():
    assert len(CASES) == 10
    for release in RELEASES:
        for case in CASES:
            assert os.path.isdir(os.path.join(FIXTURES_DIR, f"litdata-{release}", case))


@pytest.mark.parametrize("case", CASES)
def test_data_written_by_litdata_0_2_76_reads_back_with_its_exact_types(case):
    dataset, expected = _open_case("0.2.76", case)
    assert len(dataset) == len(expected)
    assert [norm(dataset[i]) for i in range(len(dataset))] == bytes_as_bytes(expected)


@pytest.mark.parametrize("case", CASES)
def test_data_written_by_litdata_0_2_45_reads_back_equal(case):
    dataset, expected = _open_case("0.2.45", case)
    assert len(dataset) == len(expected)
    assert [loose(norm(dataset[i])) for i in range(len(dataset))] == [loose(x) for x in expected]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("case", CASES)
def test_iterating_a_golden_dataset_yields_every_sample_once_and_leaves_its_folder_untouched(release, case):
    dataset, expected = _open_case(release, case)
    folder = os.path.join(FIXTURES_DIR, f"litdata-{release}", case)
    before = _snapshot(folder)
    seen = [loose(norm(sample)) for sample in dataset]
    assert sorted(map(repr, seen)) == sorted(repr(loose(x)) for x in expected)
    assert _snapshot(folder) == before
