"""Our StreamingDataset + StreamingDataLoader yield the batches the real LitData 0.2.76 yielded, batch for batch.

`tests/reference_orders/orders.json` was recorded from the real release by `tests/reference_orders/record.py`; here
the recorder's own per-rank routine runs against our package (both expose the same API), on datasets rebuilt with
the recorded chunk layout.
"""

import json
import os
import sys

import pytest

from litdata.streaming.writer import BinaryWriter

from testpaths import TESTS_DIR

sys.path.insert(0, os.path.join(TESTS_DIR, "reference_orders"))
import record

with open(os.path.join(TESTS_DIR, "reference_orders", "orders.json")) as _f:
    RECORDED = json.load(_f)
CASES = {case["name"]: case for case in RECORDED["cases"]}


def _rebuild(root, name: str) -> str:
    """The recorded dataset, chunk for chunk: item ``i`` is ``{"i": i, ...}`` as the recorder wrote it."""
    layout = RECORDED["datasets"][name]
    spec = record.DATASETS[name]
    folder = str(root / name)
    writer = BinaryWriter(folder, chunk_size=1 << 30)
    index = 0
    for size in layout["chunk_sizes"]:
        for _ in range(size):
            writer.add_item(index, {"i": index, "pad": spec["pad"](index)} if "pad" in spec else {"i": index})
            index += 1
        writer.write_chunk()
    writer.done()
    writer.merge()
    return folder


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("orders")
    return {name: _rebuild(root, name) for name in RECORDED["datasets"]}


def _run(monkeypatch, folder: str, case: dict, rank: int, state: dict | None = None) -> dict:
    for key, value in record._environment(case, rank).items():
        if key in ("WORLD_SIZE", "GLOBAL_RANK", "NNODES") or key.startswith("LITDATA_"):
            monkeypatch.setenv(key, value)
    return json.loads(json.dumps(record.run_rank(folder, case, state)))


def _keys(state: dict) -> dict:
    return {key: _keys(value) if isinstance(value, dict) else None for key, value in state.items()}


def _relocated(checkpoint: dict, folder: str) -> dict:
    """A checkpoint written elsewhere, pointed at our copy of the dataset."""
    state = json.loads(json.dumps(checkpoint))
    state["dataset"]["input_dir_path"] = folder
    return state


@pytest.mark.parametrize("name", sorted(CASES))
def test_batches_match_the_recorded_litdata_0_2_76_order(name, datasets, monkeypatch):
    case = CASES[name]
    folder = datasets[case["dataset"]]
    for rank, recorded in enumerate(case["ranks"]):
        expected = dict(recorded)
        got = _run(monkeypatch, folder, case, rank)
        theirs, ours = expected.pop("checkpoint", None), got.pop("checkpoint", None)
        assert got == expected, f"rank {rank} differs"
        if theirs is not None:
            assert _keys(ours) == _keys(theirs), "our checkpoint does not have LitData's keys"


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["resume_after"] is not None))
def test_a_checkpoint_saved_by_litdata_0_2_76_continues_identically_in_ours(name, datasets, monkeypatch):
    case = CASES[name]
    folder = datasets[case["dataset"]]
    if case["resume_into"] is None:
        for rank, recorded in enumerate(case["ranks"]):
            plain = {**case, "resume_after": None}
            got = _run(monkeypatch, folder, plain, rank, _relocated(recorded["checkpoint"], folder))
            assert got["after"] == recorded["after"], f"rank {rank} differs after resuming"
        return
    checkpoint = _relocated(case["ranks"][0]["checkpoint"], folder)
    resumed_case = {**case, **case["resume_into"], "resume_into": None, "resume_after": None}
    for rank, expected in enumerate(case["resumed_ranks"]):
        assert _run(monkeypatch, folder, resumed_case, rank, checkpoint) == expected, f"resumed rank {rank} differs"
