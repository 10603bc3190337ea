"""enable_tracer: LitData's `key: value;` trace lines, levels and categories, and events from worker processes."""

import logging
import os
import re
from pathlib import Path

import pytest

from litdata import StreamingDataLoader, StreamingDataset, debugger
from litdata.debugger import CAT_SAMPLE, LEVEL_CATEGORIES, emit_trace, enable_tracer, is_tracing, trace_span

from helpers import build_dataset

LINE = re.compile(r"^ts:\d+\.\d{3};PID:(\d+); TID:\d+; (.*)$")


@pytest.fixture(autouse=True)
def restore_tracer(monkeypatch, tmp_path):
    """Leave no tracer settings or handlers behind."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("LITDATA_LOG") or n.startswith("LITDATA_TRACE")]:
        monkeypatch.delenv(name)
    logger = logging.getLogger("litdata")
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in logger.handlers:
        if handler not in handlers:
            handler.close()
    logger.handlers, logger.level = handlers, level
    for name in [n for n in os.environ if n.startswith("LITDATA_LOG") or n.startswith("LITDATA_TRACE")]:
        monkeypatch.delenv(name)
    debugger._STATE.pid = None  # the next check re-reads the (now empty) settings


def events(path):
    """Parsed trace lines: (pid, {key: value})."""
    parsed = []
    for line in Path(path).read_text().splitlines():
        match = LINE.match(line)
        assert match, line
        fields = dict(part.split(": ", 1) for part in match.group(2).rstrip(";").split(";") if ": " in part)
        parsed.append((int(match.group(1)), fields))
    return parsed


def test_epochs_and_batches_are_traced_as_begin_end_pairs(tmp_path):
    logger = enable_tracer("batch")
    assert logger.name == "litdata"
    assert os.environ["LITDATA_TRACE_CATEGORIES"] == "batch,crash,epoch"
    folder = build_dataset(tmp_path / "data", 20, chunk_size=5)
    list(StreamingDataLoader(StreamingDataset(folder), batch_size=8))
    traced = [fields for _, fields in events("litdata_debug.log") if "ph" in fields]
    assert [(f["name"], f["ph"]) for f in traced] == [("dataloader", "B")] + [
        ("batch", ph) for _ in range(4) for ph in "BE"
    ] + [("dataloader", "E")]
    first = traced[1]
    assert (first["cat"], first["cname"], first["batch"], first["epoch"]) == (
        "batch",
        "thread_state_runnable",
        "0",
        "1",
    )
    assert (first["dist_world_size"], first["worker_world_size"], first["worker_rank"]) == ("1", "1", "0")


def test_categories_choose_what_is_traced(tmp_path):
    enable_tracer("chunk", categories=["sample"], log_file="custom.log")
    assert is_tracing(CAT_SAMPLE) and not is_tracing("batch")
    with trace_span("decode", CAT_SAMPLE, chunk=3, note="a;b"):
        emit_trace("ignored", "B", "batch")
    traced = [fields for _, fields in events("custom.log")]
    assert [(f["name"], f["ph"], f["chunk"], f["note"]) for f in traced] == [
        ("decode", "B", "3", "a,b"),
        ("decode", "E", "3", "a,b"),
    ]
    assert os.environ["LITDATA_LOG_ITEM_LOADER"] == "True" and os.environ["LITDATA_LOG_ITERATING_DATASET"] == "False"


def test_the_off_level_records_nothing(tmp_path):
    enable_tracer("off")
    assert LEVEL_CATEGORIES["off"] == frozenset()
    emit_trace("x", "B", "batch")
    assert not os.path.exists("litdata_debug.log") or events("litdata_debug.log") == []


@pytest.mark.parametrize(("kwargs", "match"), [({"level": "bogus"}, "tracer level"), ({"categories": ["foo"]}, "foo")])
def test_unknown_levels_and_categories_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        enable_tracer(**kwargs)


def _traced_read(sample):
    emit_trace("read", "B", "read", item=sample)
    emit_trace("read", "E", "read", item=sample)
    return sample


def test_worker_processes_trace_into_the_same_file_as_they_go(tmp_path):
    enable_tracer("chunk", flush_interval=3600)  # the interval is accepted, lines are written at once
    folder = build_dataset(tmp_path / "data", 12, chunk_size=3)
    dataset = StreamingDataset(folder, transform=_traced_read)
    assert sorted(x for batch in StreamingDataLoader(dataset, batch_size=3, num_workers=2) for x in batch) == list(
        range(12)
    )
    reads = [
        (pid, fields)
        for pid, fields in events("litdata_debug.log")
        if fields.get("name") == "read" and "item" in fields
    ]
    assert sorted(int(f["item"]) for _, f in reads if f["ph"] == "B") == list(range(12))
    assert {f["worker_rank"] for _, f in reads} == {"0", "1"} and {f["worker_world_size"] for _, f in reads} == {"2"}
    assert os.getpid() not in {pid for pid, _ in reads}
