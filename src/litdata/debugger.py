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

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import litdata.settings as settings

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
_ENV_LOG_FILE = settings.LOG_FILE.name
_ENV_LOG_LEVEL = settings.LOG_LEVEL.name
_ENV_TRACE_LEVEL = settings.TRACE_LEVEL.name
_ENV_TRACE_CATEGORIES = settings.TRACE_CATEGORIES.name


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
        flush_interval: accepted for compatibility; every line reaches ``log_file`` as it is recorded.
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
            _ENV_LOG_LEVEL: settings.LOG_LEVEL.get(),
            settings.LOG_ITEM_LOADER.name: str(_default(item_loader, CAT_SAMPLE in active)),
            settings.LOG_ITERATING_DATASET.name: str(_default(iterating_dataset, CAT_BATCH in active)),
            settings.LOG_GETITEM.name: str(_default(getitem_dataset_for_chunk_index, CAT_SAMPLE in active)),
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


class _AppendFileHandler(logging.Handler):
    """Append each formatted line to the file as it is emitted (one ``O_APPEND`` write, so lines of several
    processes never interleave), so a script can read the log right after its loop."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = os.path.abspath(path)
        self._fd: int | None = None
        self._pid: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8")
            if self._pid != os.getpid():  # first line of this process (or of a forked child): its own descriptor
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._pid = os.getpid()
            assert self._fd is not None  # opened above for this process
            os.write(self._fd, line)
        except Exception:  # a record that cannot be written must not break the data path
            self.handleError(record)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
        super().close()


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
    names = settings.TRACE_CATEGORIES.get()
    if names is None:
        names = ",".join(LEVEL_CATEGORIES.get(settings.TRACE_LEVEL.get(), ()))
    _STATE.categories = frozenset(name for name in names.split(",") if name)
    _STATE.env_info = None
    _STATE.pid = os.getpid()
    log_file = settings.LOG_FILE.get()
    if log_file is None or _has_handler(logger, log_file):
        return logger
    for handler in [h for h in logger.handlers if isinstance(h, _AppendFileHandler)]:
        logger.removeHandler(handler)
        handler.close()
    handler = _AppendFileHandler(log_file)
    handler.setFormatter(_TraceFormatter())
    logger.addHandler(handler)
    if settings.PRINT_DEBUG_LOGS.get() and not any(type(h) is logging.StreamHandler for h in logger.handlers):
        console = logging.StreamHandler()
        console.setFormatter(_TraceFormatter())
        logger.addHandler(console)
    logger.setLevel(settings.LOG_LEVEL.get().upper())
    return logger


def _has_handler(logger: logging.Logger, log_file: str) -> bool:
    path = os.path.abspath(log_file)
    return any(isinstance(h, _AppendFileHandler) and h.path == path for h in logger.handlers)


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
