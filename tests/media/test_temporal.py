"""TemporalArrayLoader: records of per-frame arrays, and windows of frames read with range reads only."""

import asyncio
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import litdata as ld
from litdata.streaming import temporal

from testpaths import TESTS_DIR

REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")
MEDIA_TESTS = os.path.dirname(os.path.abspath(__file__))
GROUPS = [["clock", "valid"]]


def record(i: int) -> dict:
    """Record ``i``: 10 + i frames of a clock, a validity flag and a small image per frame."""
    frames = 10 + i
    return {
        "clock": np.arange(frames, dtype=np.float64) + 100 * i,
        "valid": (np.arange(frames) % 2).astype(bool),
        "image": np.arange(frames * 6, dtype=np.uint8).reshape(frames, 2, 3) + i,
    }


def tensor_record(i: int) -> dict:
    return {"pose": torch.arange(12.0).reshape(4, 3) + i, "t": np.arange(4, dtype=np.int32)}


def _optimize(output_dir: str, fn=record, count: int = 3, **kwargs) -> str:
    ld.optimize(
        fn=fn,
        inputs=list(range(count)),
        output_dir=output_dir,
        chunk_size=2,
        num_workers=1,
        item_loader=ld.TemporalArrayLoader(field_groups=GROUPS if fn is record else None),
        **kwargs,
    )
    return output_dir


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> str:
    return _optimize(str(tmp_path_factory.mktemp("temporal") / "ours"))


def test_a_record_streams_back_whole_and_a_window_returns_the_selected_frames(dataset_dir):
    dataset = ld.StreamingDataset(dataset_dir, item_loader=ld.TemporalArrayLoader())
    assert len(dataset) == 3
    whole = dataset[1]
    assert list(whole) == ["clock", "valid", "image"]
    for name, array in record(1).items():
        np.testing.assert_array_equal(whole[name], array)
    window = dataset.read_window(1, start=3, frames=4)
    for name, array in record(1).items():
        np.testing.assert_array_equal(window[name], array[3:7])
    only = dataset.read_window(2, start=0, frames=12, fields=["image"])
    assert list(only) == ["image"]
    np.testing.assert_array_equal(only["image"], record(2)["image"])


def test_the_loader_is_picked_from_the_index_when_none_is_given(dataset_dir):
    np.testing.assert_array_equal(ld.StreamingDataset(dataset_dir).read_window(0, 2, 2)["clock"], [2.0, 3.0])


def test_a_window_reads_only_its_byte_ranges_one_per_field_group(dataset_dir, monkeypatch):
    reads = []
    real_pread = os.pread

    def recording_pread(fd, length, offset):
        reads.append((offset, length))
        return real_pread(fd, length, offset)

    monkeypatch.setattr(temporal.os, "pread", recording_pread)
    dataset = ld.StreamingDataset(dataset_dir, item_loader=ld.TemporalArrayLoader())
    dataset.read_window(1, start=3, frames=4)
    index = json.loads(Path(dataset_dir, "index.json").read_text())
    record_offset = index["chunks"][0]["temporal_offsets"][1]
    frames = index["chunks"][0]["temporal_frames"][1]
    clock_valid_stride, image_stride = 16, 6  # aligned (f8, b1) struct; (2, 3) uint8
    assert reads == [
        (record_offset + 4 + 3 * clock_valid_stride, 4 * clock_valid_stride),
        (record_offset + 4 + frames * clock_valid_stride + 3 * image_stride, 4 * image_stride),
    ]
    reads.clear()
    dataset.read_window(1, start=0, frames=2, fields=["valid"])
    assert reads == [(record_offset + 4, 2 * clock_valid_stride)]


def test_aread_window_returns_what_read_window_returns(dataset_dir):
    dataset = ld.StreamingDataset(dataset_dir, item_loader=ld.TemporalArrayLoader())
    together = asyncio.run(dataset.aread_window(2, start=5, frames=6, max_concurrent_reads=1))
    apart = dataset.read_window(2, start=5, frames=6)
    assert together.keys() == apart.keys()
    for name in apart:
        np.testing.assert_array_equal(together[name], apart[name])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(index=1, start=9, frames=5), IndexError),
        (dict(index=1, start=-1, frames=2), IndexError),
        (dict(index=1, start=0, frames=0), IndexError),
        (dict(index=7, start=0, frames=1), IndexError),
        (dict(index=0, start=0, frames=1, fields=["nope"]), KeyError),
    ],
)
def test_windows_outside_a_record_or_unknown_fields_are_rejected(dataset_dir, kwargs, error):
    with pytest.raises(error):
        ld.StreamingDataset(dataset_dir, item_loader=ld.TemporalArrayLoader()).read_window(**kwargs)


def test_direct_io_refuses_a_file_system_other_than_nfs_instead_of_buffering(dataset_dir):
    dataset = ld.StreamingDataset(dataset_dir, item_loader=ld.TemporalArrayLoader(), window_direct_io=True)
    with pytest.raises(OSError, match="NFS"):
        dataset.read_window(0, start=0, frames=2)


def test_tensor_fields_come_back_as_tensors_and_compressed_datasets_still_read_windows(tmp_path):
    folder = _optimize(str(tmp_path / "t"), fn=tensor_record, count=2, compression="zstd")
    dataset = ld.StreamingDataset(folder, item_loader=ld.TemporalArrayLoader())
    window = dataset.read_window(1, start=1, frames=2)
    assert isinstance(window["pose"], torch.Tensor) and torch.equal(window["pose"], tensor_record(1)["pose"][1:3])
    np.testing.assert_array_equal(window["t"], [1, 2])
    with pytest.raises(ValueError, match="uncompressed"):
        ld.StreamingDataset(folder, item_loader=ld.TemporalArrayLoader(), window_direct_io=True).read_window(0, 0, 1)


def test_records_with_fields_of_different_lengths_are_rejected(tmp_path):
    loader = ld.TemporalArrayLoader()
    with pytest.raises(ValueError, match="same number of frames"):
        loader.encode_record({"a": np.zeros(3), "b": np.zeros(4)})
    with pytest.raises(ValueError, match="NumPy array or tensor"):
        loader.encode_record({"a": [1, 2, 3]})


REFERENCE_SCRIPT = textwrap.dedent(
    """
    import pickle, sys
    import litdata as ld
    import test_temporal
    assert ld.__version__ == "0.2.76", ld.__file__
    ours, theirs, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    ld.optimize(fn=test_temporal.record, inputs=list(range(3)), output_dir=theirs, chunk_size=2, num_workers=1,
                item_loader=ld.TemporalArrayLoader(field_groups=test_temporal.GROUPS))
    dataset = ld.StreamingDataset(ours, item_loader=ld.TemporalArrayLoader())
    out = {"whole": [dataset[i] for i in range(len(dataset))],
           "window": dataset.read_window(1, start=3, frames=4),
           "image": dataset.read_window(2, start=1, frames=2, fields=["image"])}
    pickle.dump(out, open(out_path, "wb"))
    """
)


@pytest.fixture(scope="module")
def reference_run(dataset_dir, tmp_path_factory) -> tuple[dict, str]:
    root = tmp_path_factory.mktemp("temporal-ref")
    theirs, out_path = str(root / "theirs"), str(root / "read.pkl")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REFERENCE, MEDIA_TESTS, TESTS_DIR]))
    result = subprocess.run(
        [sys.executable, "-c", REFERENCE_SCRIPT, dataset_dir, theirs, out_path],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    with open(out_path, "rb") as file:
        return pickle.load(file), theirs


def test_we_write_the_chunks_and_index_litdata_0_2_76_writes(dataset_dir, reference_run):
    _, theirs = reference_run
    ours_index, their_index = (json.loads(Path(d, "index.json").read_text()) for d in (dataset_dir, theirs))
    ours_index.pop("updated_at", None)
    their_index.pop("updated_at", None)
    for chunk in ours_index["chunks"]:  # our chunk checksums are the one addition (0.2.76 ignores the key)
        assert chunk.pop("checksum").startswith(("xxh3:", "crc32:"))
    assert ours_index == their_index
    for chunk in their_index["chunks"]:
        assert Path(dataset_dir, chunk["filename"]).read_bytes() == Path(theirs, chunk["filename"]).read_bytes()


def test_litdata_0_2_76_reads_our_records_and_windows(reference_run):
    read, _ = reference_run
    for i, whole in enumerate(read["whole"]):
        for name, array in record(i).items():
            np.testing.assert_array_equal(whole[name], array)
    for name, array in record(1).items():
        np.testing.assert_array_equal(read["window"][name], array[3:7])
    np.testing.assert_array_equal(read["image"]["image"], record(2)["image"][1:3])


def test_we_read_windows_of_a_dataset_litdata_0_2_76_wrote(reference_run):
    _, theirs = reference_run
    dataset = ld.StreamingDataset(theirs, item_loader=ld.TemporalArrayLoader())
    for name, array in record(2).items():
        np.testing.assert_array_equal(dataset.read_window(2, start=4, frames=8)[name], array[4:12])
