"""Profiling a `StreamingDataLoader` without extra dependencies.

``profile_batches``: the profiled process (DataLoader worker 0, or the main process without workers) records, for
each batch after ``profile_skip_batches``, a ``batch`` span made of one ``fetch`` span (with a ``sample`` span per
sample read from the dataset) and one ``collate`` span, and writes them as a Chrome trace (``result.json``, open it
in chrome://tracing or https://ui.perfetto.dev).

``profile_cprofile``: cProfile of the main process and of worker 0, dumped as ``cprofile_<who>.prof`` (for
``pstats``/snakeviz) and ``cprofile_<who>.txt`` (top functions by self time and by cumulative time).
"""

from __future__ import annotations

import atexit
import cProfile
import functools
import io
import json
import multiprocessing
import os
import pstats
import threading
import time
from collections.abc import Callable
from multiprocessing.util import Finalize
from typing import Any

TRACE_FILENAME = "result.json"


class ChromeTrace:
    """Chrome trace events of one process, written as ``{"traceEvents": [...]}``."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._pid = os.getpid()
        self._tid = threading.get_ident()

    def add(self, name: str, start: float, end: float, category: str, **args: Any) -> None:
        """A complete event from ``start`` to ``end`` (`time.perf_counter` seconds)."""
        self.events.append(
            {
                "name": name,
                "cat": category,
                "ph": "X",
                "ts": start * 1e6,
                "dur": (end - start) * 1e6,
                "pid": self._pid,
                "tid": self._tid,
                "args": args,
            }
        )

    def write(self, path: str) -> None:
        """Write the trace to ``path`` atomically."""
        tmp = f"{path}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as file:
            json.dump({"traceEvents": self.events, "displayTimeUnit": "ms"}, file)
        os.replace(tmp, path)


class BatchRecorder:
    """Records fetch/sample/collate spans of batches ``skip`` to ``skip + count`` (``count=None``: until the process
    ends) and writes them to ``path``."""

    def __init__(self, path: str, skip: int, count: int | None) -> None:
        self.path = path
        self.skip = skip
        self.count = count
        self.trace = ChromeTrace()
        self.batch_index = 0
        self._fetch_start: float | None = None
        self._samples: list[tuple[float, float]] = []
        self.done = False

    @property
    def recording(self) -> bool:
        return not self.done and self.batch_index >= self.skip

    def fetch_started(self) -> None:
        self._fetch_start = time.perf_counter()
        self._samples = []

    def sample_fetched(self, start: float, end: float) -> None:
        self._samples.append((start, end))

    def batch_collated(self, start: float, end: float, size: int) -> None:
        if self.recording:
            fetch_start = start if self._fetch_start is None else self._fetch_start
            index = self.batch_index
            self.trace.add("batch", fetch_start, end, "batch", batch=index, size=size)
            self.trace.add("fetch", fetch_start, start, "fetch", batch=index)
            for position, (sample_start, sample_end) in enumerate(self._samples):
                self.trace.add("sample", sample_start, sample_end, "fetch", batch=index, position=position)
            self.trace.add("collate", start, end, "collate", batch=index)
        self.batch_index += 1
        self._fetch_start = None
        if self.count is not None and self.batch_index >= self.skip + self.count:
            self.finish()

    def finish(self) -> None:
        """Write the trace once."""
        if not self.done:
            self.done = True
            self.trace.write(self.path)


_RECORDER: BatchRecorder | None = None


def start_recording(path: str, skip: int, count: int | None) -> BatchRecorder:
    """Record batches in this process; the trace is written after ``count`` batches, or at process exit."""
    global _RECORDER
    _RECORDER = BatchRecorder(path, skip, count)
    if count is None:
        _at_exit(_RECORDER.finish)
    return _RECORDER


def active_recorder() -> BatchRecorder | None:
    return _RECORDER if _RECORDER is not None and not _RECORDER.done else None


class ProfilingCollate:
    """Time ``collate_fn`` in the recording process."""

    def __init__(self, collate_fn: Callable[[Any], Any]) -> None:
        self.collate_fn = collate_fn

    def __call__(self, items: Any) -> Any:
        recorder = active_recorder()
        if recorder is None:
            return self.collate_fn(items)
        start = time.perf_counter()
        batch = self.collate_fn(items)
        recorder.batch_collated(start, time.perf_counter(), len(items) if isinstance(items, list) else 1)
        return batch


class CProfileDump:
    """A cProfile of this process, dumped to ``<directory>/cprofile_<name>.prof`` and ``.txt``."""

    def __init__(self, directory: str, name: str) -> None:
        self.directory = directory
        self.name = name
        self.profile = cProfile.Profile()

    def dump(self) -> None:
        base = os.path.join(self.directory, f"cprofile_{self.name}")
        self.profile.dump_stats(f"{base}.prof")
        report = io.StringIO()
        for key in ("tottime", "cumulative"):
            report.write(f"--- {key} ---\n")
            pstats.Stats(self.profile, stream=report).sort_stats(key).print_stats(40)
        with open(f"{base}.txt", "w", encoding="utf-8") as file:
            file.write(report.getvalue())
        print(f"[litdata] cProfile wrote {base}.prof and {base}.txt")


class WorkerProfiling:
    """A ``worker_init_fn`` that starts the profilers in worker 0, then runs the user's ``worker_init_fn``."""

    def __init__(
        self,
        worker_init_fn: Callable[[int], None] | None,
        directory: str,
        batches: int | None,
        skip_batches: int,
        trace: bool,
        cprofile: bool,
    ) -> None:
        self.worker_init_fn = worker_init_fn
        self.directory = directory
        self.batches = batches
        self.skip_batches = skip_batches
        self.trace = trace
        self.cprofile = cprofile

    def __call__(self, worker_id: int) -> None:
        if worker_id == 0:
            if self.trace:
                start_recording(os.path.join(self.directory, TRACE_FILENAME), self.skip_batches, self.batches)
            if self.cprofile:
                dump = CProfileDump(self.directory, "worker0")
                dump.profile.enable()
                _at_exit(functools.partial(_stop_and_dump, dump))
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)


def _at_exit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` when this process ends, DataLoader workers included (they skip ``atexit``)."""
    if multiprocessing.parent_process() is None:
        atexit.register(callback)
    else:
        Finalize(None, callback, exitpriority=10)


def _stop_and_dump(dump: CProfileDump) -> None:
    dump.profile.disable()
    dump.dump()
