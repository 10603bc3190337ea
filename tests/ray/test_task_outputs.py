"""How the driver finishes a Ray optimize from the tasks' results (no cluster needed): exactly once, index last."""

from __future__ import annotations

import json
import os

import pytest

import litdata as ld
from litdata.processing.output import LocalOutput
from litdata.processing.ray import _finish_optimize, _split, _TaskResult
from litdata.streaming.writer import BinaryWriter


def _task_output(folder, task: int, values: list[int]) -> dict:
    """Write one task's chunks as a task does (writer rank = task number); returns the index it reports."""
    writer = BinaryWriter(str(folder), chunk_size=2, rank=task)
    for position, value in enumerate(values):
        writer.add_item(position, {"value": value})
    writer.done()
    with open(folder / f"{task}.index.json") as f:
        index = json.load(f)
    os.remove(folder / f"{task}.index.json")
    return index


def test_files_of_a_dead_attempt_are_removed_and_the_dataset_holds_each_sample_once(tmp_path):
    results = [_TaskResult("n", 3, index=_task_output(tmp_path, 0, [0, 1, 2]))]
    results.append(_TaskResult("n", 2, index=_task_output(tmp_path, 1, [3, 4])))
    (tmp_path / "chunk-1-1.bin").write_bytes(b"an attempt that died had got further")
    (tmp_path / "chunk-0-1.bin.tmp-4242").write_bytes(b"half written")
    (tmp_path / "1.index.json").write_text("{}")
    _finish_optimize(LocalOutput(str(tmp_path)), results, None)
    assert sorted(os.listdir(tmp_path)) == ["chunk-0-0.bin", "chunk-0-1.bin", "chunk-1-0.bin", "index.json"]
    dataset = ld.StreamingDataset(str(tmp_path))
    assert [dataset[i]["value"] for i in range(len(dataset))] == [0, 1, 2, 3, 4]


def test_chunks_missing_from_the_drivers_view_of_a_local_output_are_reported(tmp_path):
    results = [_TaskResult("n", 2, index=_task_output(tmp_path, 0, [0, 1]))]
    os.remove(tmp_path / "chunk-0-0.bin")  # as if written to another machine's disk
    with pytest.raises(RuntimeError, match="shared by every node"):
        _finish_optimize(LocalOutput(str(tmp_path)), results, None)
    assert not (tmp_path / "index.json").exists()


def test_tasks_take_contiguous_slices_or_whole_chunks_or_weighted_packs():
    assert _split(10, 3, None, None) == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    assert _split(10, 3, None, 4) == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]]  # empty slices are dropped
    packs = _split(4, 2, [5, 1, 1, 5], None)
    assert sorted(sum(packs, [])) == [0, 1, 2, 3] and len(packs) == 2
