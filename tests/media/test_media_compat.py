"""Media datasets in both directions against the real LitData 0.2.76.

The golden datasets in ``tests/fixtures/media-0.2.76`` were written by the real release (``tests/media/record.py``).
We read them back sample for sample; we write the same inputs and store the same chunk bytes; and the real release
reads what we write (in a subprocess, for the kinds it can decode on this machine).
"""

import functools
import glob
import json
import os
import pickle
import subprocess
import sys
import textwrap

import media_cases
import pytest

import litdata as ld

from testpaths import FIXTURES_DIR, TESTS_DIR

GOLDEN = os.path.join(FIXTURES_DIR, "media-0.2.76")
REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")
MEDIA_TESTS = os.path.dirname(os.path.abspath(__file__))


def _expected(case: str) -> list:
    with open(os.path.join(GOLDEN, f"{case}.expected.pkl"), "rb") as file:
        return pickle.load(file)


def _data_format(folder: str) -> list[str]:
    with open(os.path.join(folder, "index.json")) as file:
        return json.load(file)["config"]["data_format"]


def _chunks(folder: str) -> list[bytes]:
    paths = sorted(glob.glob(os.path.join(folder, "*.bin")))
    assert paths, f"no chunk in {folder}"
    chunks = []
    for path in paths:
        with open(path, "rb") as file:
            chunks.append(file.read())
    return chunks


@functools.cache
def _ours(root: str) -> str:
    """Every case written by our optimize, once per test session (same inputs, one worker, one chunk)."""
    for case in media_cases.CASES:
        ld.optimize(
            fn=media_cases.make_fn(case),
            inputs=list(range(media_cases.NUM_ITEMS)),
            output_dir=os.path.join(root, case),
            chunk_size=media_cases.NUM_ITEMS,
            num_workers=1,
        )
    return root


@pytest.fixture(scope="module")
def ours(tmp_path_factory) -> str:
    return _ours(str(tmp_path_factory.mktemp("ours-media")))


@pytest.mark.parametrize("case", media_cases.CASES)
def test_a_media_dataset_written_by_litdata_0_2_76_reads_back_identically(case):
    dataset = ld.StreamingDataset(os.path.join(GOLDEN, case))
    assert [media_cases.describe(dataset[i]) for i in range(len(dataset))] == _expected(case)


@pytest.mark.parametrize("case", media_cases.CASES)
def test_we_store_the_same_bytes_as_litdata_0_2_76_for_the_same_inputs(ours, case):
    golden_formats = _data_format(os.path.join(GOLDEN, case))
    if case in media_cases.REFERENCE_CANNOT_READ_ITS_OWN:  # we record "tifffile" where it wrote "tiff"
        golden_formats = ["tifffile" if name == "tiff" else name for name in golden_formats]
    assert _data_format(os.path.join(ours, case)) == golden_formats
    assert _chunks(os.path.join(ours, case)) == _chunks(os.path.join(GOLDEN, case))


READ_WITH_REFERENCE = textwrap.dedent(
    """
    import pickle, sys
    import litdata
    import media_cases
    assert litdata.__version__ == "0.2.76", litdata.__file__
    out = {}
    for case in sys.argv[3:]:
        dataset = litdata.StreamingDataset(sys.argv[1] + "/" + case)
        out[case] = [media_cases.describe(dataset[i]) for i in range(len(dataset))]
    pickle.dump(out, open(sys.argv[2], "wb"))
    """
)


@pytest.fixture(scope="module")
def read_by_reference(ours) -> dict:
    if not os.path.isdir(os.path.join(REFERENCE, "litdata")):
        pytest.fail(f"The reference LitData 0.2.76 is not installed at {REFERENCE}: run `make reference`.")
    readable = [case for case in media_cases.CASES if case not in media_cases.REFERENCE_CANNOT_DECODE]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REFERENCE, MEDIA_TESTS, os.path.join(TESTS_DIR, "streaming")]))
    out_path = os.path.join(ours, "read-by-reference.pkl")
    result = subprocess.run(
        [sys.executable, "-c", READ_WITH_REFERENCE, ours, out_path, *readable],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    with open(out_path, "rb") as file:
        return pickle.load(file)


@pytest.mark.parametrize("case", sorted(set(media_cases.CASES) - media_cases.REFERENCE_CANNOT_DECODE))
def test_litdata_0_2_76_reads_our_media_dataset_identically(read_by_reference, case):
    assert read_by_reference[case] == _expected(case)
