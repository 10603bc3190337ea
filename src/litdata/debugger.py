"""Trace what litdata does (epochs, batches, chunk reads, downloads, ...) into a log file.

Recipe::

    from litdata.debugger import enable_tracer

    enable_tracer("chunk")  # before building datasets and loaders; DataLoader workers inherit it
    for batch in StreamingDataLoader(StreamingDataset("data/"), batch_size=32, num_workers=4):
        ...
    # litdata_debug.log, one event per line, e.g.
    # ts:1764100000123456.250;PID:4242; TID:1403; name: read;ph: B;cat: read;cname: good;chunk: 3;size: 10;
    #     dist_world_size: 1;dist_global_rank: 0;dist_num_nodes: 1;worker_world_size: 4;worker_rank: 2;

Every line is ``ts`` (µs since the epoch), ``PID``, ``TID`` and ``key: value;`` pairs. Span events carry the
Chrome-trace fields ``name``, ``ph`` (``B`` begin / ``E`` end), ``cat`` and ``cname`` (a trace-viewer colour), so a
converter turns the file into a Chrome/Perfetto trace by pairing ``B``/``E`` lines per ``PID``/``TID``.
Levels choose the categories: ``batch`` (epochs, batches), ``chunk`` (+ downloads, reads, deletions,
decompression), ``sample`` (+ every sample), ``debug`` (+ cache locks); ``off`` records nothing. The settings live
in ``LITDATA_*`` environment variables so worker processes, forked or spawned, trace too. ``PRINT_DEBUG_LOGS=1``
also echoes the lines to the console.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.util import Finalize
from typing import Any

CAT_EPOCH = "epoch"
CAT_BATCH = "batch"
CAT_DOWNLOAD = "download"
CAT_READ = "read"
CAT_DELETE = "delete"
CAT_DECOMPRESS = "decompress"
CAT_SAMPLE = "sample"
CAT_LOCK = "lock"
CAT_CRASH = "crash"
ALL_CATEGORIES = (
    CAT_EPOCH,
    CAT_BATCH,
    CAT_DOWNLOAD,
    CAT_READ,
    CAT_DELETE,
    CAT_DECOMPRESS,
    CAT_SAMPLE,
    CAT_LOCK,
    CAT_CRASH,
)

_BATCH_LEVEL = frozenset({CAT_CRASH, CAT_EPOCH, CAT_BATCH})
_CHUNK_LEVEL = _BATCH_LEVEL | {CAT_DOWNLOAD, CAT_READ, CAT_DELETE, CAT_DECOMPRESS}
LEVEL_CATEGORIES: dict[str, frozenset[str]] = {
    "off": frozenset(),
    "batch": _BATCH_LEVEL,
    "chunk": _CHUNK_LEVEL,
    "sample": _CHUNK_LEVEL | {CAT_SAMPLE},
    "debug": _CHUNK_LEVEL | {CAT_SAMPLE, CAT_LOCK},
}

# trace-viewer colour names per category
_CAT_CNAME = {
    CAT_EPOCH: "memory_dump",
    CAT_BATCH: "thread_state_runnable",
    CAT_DOWNLOAD: "rail_load",
    CAT_READ: "good",
    CAT_DELETE: "rail_animate",
    CAT_DECOMPRESS: "cq_build_attempt_running",
    CAT_SAMPLE: "generic_work",
    CAT_LOCK: "thread_state_sleeping",
    CAT_CRASH: "terrible",
}

_LOGGER_NAME = "litdata"
_ENV_LOG_FILE = "LITDATA_LOG_FILE"
_ENV_LOG_LEVEL = "LITDATA_LOG_LEVEL"
_ENV_TRACE_LEVEL = "LITDATA_TRACE_LEVEL"
_ENV_TRACE_CATEGORIES = "LITDATA_TRACE_CATEGORIES"
_ENV_FLUSH_INTERVAL = "LITDATA_LOG_FLUSH_INTERVAL"


def enable_tracer(
    level: str = "chunk",
    *,
    categories: Sequence[str] | None = None,
    flush_interval: int = 5,
    log_file: str = "litdata_debug.log",
    item_loader: bool | None = None,
    iterating_dataset: bool | None = None,
    getitem_dataset_for_chunk_index: bool | None = None,
) -> logging.Logger:
    """Record litdata's trace events into ``log_file`` and return the ``litdata`` logger.

    Args:
        level: ``"off"``, ``"batch"``, ``"chunk"``, ``"sample"`` or ``"debug"`` (see the module docstring).
        categories: trace exactly these categories instead of the level's (names in ``ALL_CATEGORIES``).
        flush_interval: seconds between writes of the buffered lines (they are also written at process exit).
        log_file: the file lines are appended to.
        item_loader: the legacy item-loader debug log (``LITDATA_LOG_ITEM_LOADER``); by default on when the
            level traces samples.
        iterating_dataset: the legacy dataset-iteration debug log (``LITDATA_LOG_ITERATING_DATASET``); by default
            on when the level traces batches.
        getitem_dataset_for_chunk_index: the legacy ``__getitem__`` debug log (``LITDATA_LOG_GETITEM``); by
            default on when the level traces samples.
    """
    if level not in LEVEL_CATEGORIES:
        raise ValueError(f"Unknown tracer level {level!r}. Expected one of: {', '.join(LEVEL_CATEGORIES)}")
    active = LEVEL_CATEGORIES[level] if categories is None else frozenset(categories)
    unknown = sorted(active - set(ALL_CATEGORIES))
    if unknown:
        raise ValueError(f"Unknown trace categories {unknown}. Expected names from {ALL_CATEGORIES}.")
    os.environ.update(
        {
            _ENV_LOG_FILE: log_file,
            _ENV_TRACE_LEVEL: level,
            _ENV_LOG_LEVEL: os.environ.get(_ENV_LOG_LEVEL, "DEBUG"),
            _ENV_FLUSH_INTERVAL: str(flush_interval),
            "LITDATA_LOG_ITEM_LOADER": str(_default(item_loader, CAT_SAMPLE in active)),
            "LITDATA_LOG_ITERATING_DATASET": str(_default(iterating_dataset, CAT_BATCH in active)),
            "LITDATA_LOG_GETITEM": str(_default(getitem_dataset_for_chunk_index, CAT_SAMPLE in active)),
            _ENV_TRACE_CATEGORIES: ",".join(sorted(active)),
        }
    )
    _STATE.pid = None  # re-read the settings
    return _configure()


def active_categories() -> frozenset[str]:
    """The categories traced in this process (from the ``LITDATA_*`` settings)."""
    _ensure_configured()
    return _STATE.categories


def is_tracing(category: str) -> bool:
    """Whether events of ``category`` are recorded."""
    return category in active_categories()


def emit_trace(name: str, ph: str, category: str, **fields: Any) -> None:
    """Record one Chrome-trace event (``ph`` ``"B"``/``"E"``) when ``category`` is traced."""
    if not is_tracing(category):
        return
    parts = [f"name: {name}", f"ph: {ph}", f"cat: {category}", f"cname: {_CAT_CNAME.get(category, 'generic_work')}"]
    parts += [f"{key}: {_sanitize(value)}" for key, value in {**fields, **_env_info()}.items()]
    logging.getLogger(_LOGGER_NAME).debug(";".join(parts) + ";")


@contextmanager
def trace_span(name: str, category: str, **fields: Any) -> Iterator[None]:
    """Record a begin event, run the block, record the matching end event."""
    emit_trace(name, "B", category, **fields)
    try:
        yield
    finally:
        emit_trace(name, "E", category, **fields)


class _TraceFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"ts:{record.created * 1e6:.3f};PID:{record.process}; TID:{record.thread}; {record.getMessage()}"


class _BufferedFileHandler(logging.Handler):
    """Append formatted lines to a file in batches: every ``flush_interval`` seconds, and at process exit.

    A forked child drops the lines it inherited (its parent writes them) and flushes its own at exit.
    """

    def __init__(self, path: str, flush_interval: float) -> None:
        super().__init__()
        self.path = os.path.abspath(path)
        self.flush_interval = flush_interval
        self._lines: list[str] = []
        self._last_flush = time.monotonic()
        self._pid = os.getpid()
        _flush_at_exit(self)

    def emit(self, record: logging.LogRecord) -> None:
        if os.getpid() != self._pid:
            self._lines, self._pid = [], os.getpid()
            _flush_at_exit(self)
        try:
            self._lines.append(self.format(record) + "\n")
        except Exception:  # a record that cannot be formatted must not break the data path
            self.handleError(record)
            return
        if time.monotonic() - self._last_flush >= self.flush_interval or len(self._lines) >= 4096:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            lines, self._lines = self._lines, []
            self._last_flush = time.monotonic()
        if lines and os.getpid() == self._pid:
            with open(self.path, "a", encoding="utf-8") as file:
                file.write("".join(lines))


class _TracerState:
    """Per-process tracer settings, re-read after a fork or spawn."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.categories: frozenset[str] = frozenset()
        self.env_info: dict[str, int] | None = None


_STATE = _TracerState()
_STATE_LOCK = threading.Lock()


def _ensure_configured() -> None:
    if _STATE.pid != os.getpid():
        with _STATE_LOCK:
            if _STATE.pid != os.getpid():
                _configure()


def _configure() -> logging.Logger:
    """Apply the ``LITDATA_*`` settings to this process: active categories and the file handler."""
    logger = logging.getLogger(_LOGGER_NAME)
    names = os.environ.get(_ENV_TRACE_CATEGORIES)
    if names is None:
        names = ",".join(LEVEL_CATEGORIES.get(os.environ.get(_ENV_TRACE_LEVEL, "off"), ()))
    _STATE.categories = frozenset(name for name in names.split(",") if name)
    _STATE.env_info = None
    _STATE.pid = os.getpid()
    log_file = os.environ.get(_ENV_LOG_FILE)
    if log_file is None or _has_handler(logger, log_file):
        return logger
    for handler in [h for h in logger.handlers if isinstance(h, _BufferedFileHandler)]:
        handler.flush()
        logger.removeHandler(handler)
    handler = _BufferedFileHandler(log_file, float(os.environ.get(_ENV_FLUSH_INTERVAL, "5")))
    handler.setFormatter(_TraceFormatter())
    logger.addHandler(handler)
    if os.environ.get("PRINT_DEBUG_LOGS", "0") == "1" and not any(
        type(h) is logging.StreamHandler for h in logger.handlers
    ):
        console = logging.StreamHandler()
        console.setFormatter(_TraceFormatter())
        logger.addHandler(console)
    logger.setLevel(os.environ.get(_ENV_LOG_LEVEL, "DEBUG").upper())
    return logger


def _has_handler(logger: logging.Logger, log_file: str) -> bool:
    path = os.path.abspath(log_file)
    return any(isinstance(h, _BufferedFileHandler) and h.path == path for h in logger.handlers)


def _flush_at_exit(handler: _BufferedFileHandler) -> None:
    if multiprocessing.parent_process() is None:
        atexit.register(handler.flush)
    else:  # worker processes leave through multiprocessing, which skips atexit
        Finalize(handler, handler.flush, exitpriority=10)


def _env_info() -> dict[str, int]:
    if _STATE.env_info is None:
        from litdata.utilities.env import _DistributedEnv, _WorkerEnv  # imports torch: only once tracing is on

        dist, worker = _DistributedEnv.detect(), _WorkerEnv.detect()
        _STATE.env_info = {
            "dist_world_size": dist.world_size,
            "dist_global_rank": dist.global_rank,
            "dist_num_nodes": dist.num_nodes,
            "worker_world_size": worker.world_size,
            "worker_rank": worker.rank,
        }
    return _STATE.env_info


def _sanitize(value: Any) -> str:
    return str(value).replace(";", ",").replace("\n", " ")


def _default(flag: bool | None, fallback: bool) -> bool:
    return fallback if flag is None else flag
