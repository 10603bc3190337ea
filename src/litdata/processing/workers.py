"""The loop run by each `optimize`/`map` worker process.

A worker takes its inputs either from a fixed share (ordered runs, resumed runs) or from a queue shared by the
node's workers, calls the user's function, writes the results (chunks for `optimize`, files for `map`) and tells
the main process about progress, completion and failure through the ``events`` queue.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import inspect
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from litdata.constants import ENV_GLOBAL_RANK_OPTIMIZE, ENV_NUM_WORKERS_OPTIMIZE
from litdata.format.writer import BinaryWriter, write_index_atomic
from litdata.processing.output import Output
from litdata.processing.readers import BaseReader
from litdata.settings import adopt_environ

# Messages on the tasks queue are lists of (input index, input); this one ends a worker's stream.
END_OF_INPUTS = None
# Messages on the events queue: (kind, worker index, payload).
PROGRESS, UPLOADS, DONE, FAILED = "progress", "uploads", "done", "failed"

# Where a worker is in its share (see `ShareStatus`).
STARTING, PROCESSING, BETWEEN_INPUTS, FINISHING, FINISHED = range(5)
NO_INPUT = -1

_PROGRESS_INTERVAL_S = 0.1
_PARENT_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1
CHECKPOINT_DIR = ".checkpoints"


@dataclass(frozen=True)
class Job:
    """What every worker of a run does (pickled once per worker)."""

    kind: str  # "optimize" or "map"
    fn: Callable[..., Any]
    output: Output
    num_workers: int
    reader: BaseReader | None = None
    writer_options: dict[str, Any] = field(default_factory=dict)
    use_checkpoint: bool = False
    fn_wants_device: bool = False
    fn_wants_is_last: bool = False


@dataclass
class WorkerShare:
    """One worker's identity and, for static assignment, its inputs (``None`` means: pull from the shared queue).

    With ``dataloader`` set, the worker iterates that StreamingDataLoader itself: inside an optimize worker its
    dataset reads only this worker's contiguous part, so the written dataset keeps the dataloader's order.
    """

    worker_index: int
    rank: int
    items: list[tuple[int, Any]] | None = None
    dataloader: Any = None
    first_chunk_index: int = 0
    inputs_done: int = 0
    resumed_chunks: list[dict[str, Any]] = field(default_factory=list)
    resumed_config: dict[str, Any] | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class WorkerFailure:
    """A worker's report of an exception: the input it was processing, its traceback and the exception if picklable."""

    rank: int
    input_repr: str | None
    traceback: str
    pickled_exception: bytes | None

    def as_error(self, message: str) -> RuntimeError:
        """A `RuntimeError` with ``message`` (who failed, then the traceback), caused by the worker's exception when
        it could be sent."""
        error = RuntimeError(message)
        if self.pickled_exception is not None:
            with contextlib.suppress(Exception):
                error.__cause__ = pickle.loads(self.pickled_exception)
        return error


class ShareStatus:
    """Where each worker of a run is: its phase and the input it is processing (or processed last).

    The slots live in shared memory and each worker writes only its own (two integer stores per input, no lock), so
    the main process can still read them after the worker vanished without a word (``os._exit``, a signal).
    """

    def __init__(self, context: Any, num_workers: int) -> None:
        self._slots = context.RawArray("q", [STARTING, NO_INPUT] * num_workers)

    def slots_of(self, worker_index: int) -> tuple[Any, int]:
        """The shared array and the offset of ``worker_index``'s phase; its input index follows it."""
        return self._slots, 2 * worker_index

    def inputs_in_use(self) -> set[int]:
        """Indexes of the inputs the workers are processing or processed last (their own or a vanished one's)."""
        return {self._slots[slot + 1] for slot in range(0, len(self._slots), 2) if self._slots[slot] != STARTING}

    def oldest_input_needed(self) -> int:
        """The lowest input index an unfinished worker may still name: the one it marked last (its next input
        comes after it), `NO_INPUT` while one has not marked any."""
        marks = [
            self._slots[slot + 1] if self._slots[slot] != STARTING else NO_INPUT
            for slot in range(0, len(self._slots), 2)
            if self._slots[slot] != FINISHED
        ]
        return min(marks, default=NO_INPUT)

    def read(self, worker_index: int) -> tuple[int, int]:
        """``(phase, input index)`` of a worker; the index is `NO_INPUT` before its first input."""
        return self._slots[2 * worker_index], self._slots[2 * worker_index + 1]


def share_fingerprint(items: list[tuple[int, Any]], settings: Any) -> str:
    """Identify a worker's share (and the run settings) so that a checkpoint is only reused for the same work."""
    digest = hashlib.sha1(repr(settings).encode())
    for index, item in items:
        digest.update(f"{index}:{item!r}\n".encode())
    return digest.hexdigest()


def checkpoint_name(rank: int) -> str:
    return f"{CHECKPOINT_DIR}/checkpoint-{rank}.json"


def is_generator_function(fn: Callable[..., Any]) -> bool:
    """Whether calling ``fn`` returns a generator (plain functions, partials and callable objects)."""
    target = fn
    while hasattr(target, "func"):  # functools.partial, possibly nested
        target = target.func
    if inspect.isgeneratorfunction(target):
        return True
    call = getattr(target, "__call__", None)  # noqa: B004 - callable objects define their behaviour in __call__
    return call is not None and inspect.isgeneratorfunction(call)


class _ProgressReporter:
    """Counts processed inputs and uploaded bytes and sends them to the main process at most every
    `_PROGRESS_INTERVAL_S` (inputs from the worker's thread, uploads from any thread)."""

    def __init__(self, events: Any, worker_index: int) -> None:
        self._events = events
        self._worker_index = worker_index
        self._pending = 0
        self._last_sent = float("-inf")
        self._upload_lock = threading.Lock()
        self._bytes_queued = self._bytes_uploaded = 0
        self._uploads_last_sent = float("-inf")

    def advance(self) -> None:
        self._pending += 1
        now = time.monotonic()
        if now - self._last_sent >= _PROGRESS_INTERVAL_S:
            self.flush()
            self._last_sent = now

    def uploads(self, queued: int, uploaded: int) -> None:
        """``queued`` more bytes were handed over for upload, ``uploaded`` more bytes reached the output."""
        with self._upload_lock:
            self._bytes_queued += queued
            self._bytes_uploaded += uploaded
            now = time.monotonic()
            if now - self._uploads_last_sent >= _PROGRESS_INTERVAL_S:
                self._send_uploads()
                self._uploads_last_sent = now

    def _send_uploads(self) -> None:
        if self._bytes_queued or self._bytes_uploaded:
            self._events.put((UPLOADS, self._worker_index, (self._bytes_queued, self._bytes_uploaded)))
            self._bytes_queued = self._bytes_uploaded = 0

    def flush(self) -> None:
        if self._pending:
            self._events.put((PROGRESS, self._worker_index, self._pending))
            self._pending = 0
        with self._upload_lock:
            self._send_uploads()


def _pull_from_queue(tasks: Any) -> Iterator[list[tuple[int, Any]] | None]:
    """Batches from the shared queue; stops waiting if the main process disappeared."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            yield tasks.get(timeout=_PARENT_POLL_S)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return


def _iter_inputs(share: WorkerShare, tasks: Any) -> Iterator[tuple[int, Any, bool]]:
    """Yield ``(input index, input, is_last)``, looking one batch ahead to know which input is the last."""
    if share.items is not None:
        last = len(share.items) - 1
        for position, (index, item) in enumerate(share.items):
            yield index, item, position == last
        return
    if share.dataloader is not None:
        batches: Iterator[Any] = ([(position, batch)] for position, batch in enumerate(share.dataloader))
    else:
        batches = _pull_from_queue(tasks)
    current = next(batches, END_OF_INPUTS)
    while current is not END_OF_INPUTS:
        upcoming = next(batches, END_OF_INPUTS)
        last = len(current) - 1
        for position, (index, item) in enumerate(current):
            yield index, item, position == last and upcoming is END_OF_INPUTS
        current = upcoming


class _ChunkSink:
    """`optimize`: writes the samples returned by the user's function into this worker's chunk files."""

    def __init__(self, job: Job, share: WorkerShare) -> None:
        self._job = job
        self._share = share
        self._writer = BinaryWriter(
            job.output.staging_dir, chunk_index=share.first_chunk_index, rank=share.rank, **job.writer_options
        )
        self._num_samples = 0
        self._inputs_seen = share.inputs_done
        self._unflushed_inputs: deque[int] = deque()  # input position of every sample not yet in a chunk file
        self._flushed_chunks = 0

    def consume(self, value: Any, is_last: bool) -> None:
        result = self._job.fn(value)
        if inspect.isgenerator(result):
            for sample in result:
                if sample is not None:
                    self._add(sample)
        elif result is not None:
            self._add(result)
        self._inputs_seen += 1

    def _add(self, sample: Any) -> None:
        completed = self._writer.add_item(self._num_samples, sample)
        self._num_samples += 1
        if completed is not None:
            self._job.output.publish_chunk(completed)
        if self._job.use_checkpoint:
            self._unflushed_inputs.append(self._inputs_seen)
            if completed is not None:
                self._save_checkpoint()

    def _save_checkpoint(self) -> None:
        new_chunks = self._writer.chunks[self._flushed_chunks :]
        self._flushed_chunks = len(self._writer.chunks)
        for _ in range(sum(chunk["chunk_size"] for chunk in new_chunks)):
            self._unflushed_inputs.popleft()
        inputs_done = self._unflushed_inputs[0] if self._unflushed_inputs else self._inputs_seen + 1
        self._job.output.write_json(
            checkpoint_name(self._share.rank),
            {
                "fingerprint": self._share.fingerprint,
                "inputs_done": inputs_done,
                "next_chunk_index": self._share.first_chunk_index + len(self._writer.chunks),
                "chunks": self._share.resumed_chunks + self._writer.chunks,
                "config": self._writer.get_config(),
            },
        )

    def finish(self) -> None:
        for path in self._writer.done():
            self._job.output.publish_chunk(path)
        self._job.output.flush()
        if not self._share.resumed_chunks:
            return
        config = self._writer.get_config() if self._writer.chunks else self._share.resumed_config
        index_path = os.path.join(self._job.output.staging_dir, f"{self._share.rank}.index.json")
        write_index_atomic({"chunks": self._share.resumed_chunks + self._writer.chunks, "config": config}, index_path)


class _FileSink:
    """`map`: the user's function writes files into a private folder; they are moved into the output after each call."""

    def __init__(self, job: Job, share: WorkerShare) -> None:
        self._job = job
        self._work_dir = tempfile.mkdtemp(prefix=f"litdata-map-{share.rank}-")
        self._extra_kwargs: dict[str, Any] = {}
        if job.fn_wants_device:
            self._extra_kwargs["device"] = _device_for(share.rank)

    def consume(self, value: Any, is_last: bool) -> None:
        kwargs = dict(self._extra_kwargs, is_last=is_last) if self._job.fn_wants_is_last else self._extra_kwargs
        result = self._job.fn(value, self._work_dir, **kwargs)
        if inspect.isgenerator(result):
            for _ in result:
                pass
        elif result is not None:
            raise ValueError(
                f"The function given to `map` returned {type(result).__name__}; it must write files into its "
                "`output_dir` argument and return None. To store returned samples, use `optimize` instead."
            )
        self._job.output.publish_tree(self._work_dir)

    def finish(self) -> None:
        os.rmdir(self._work_dir)


def _device_for(rank: int) -> str:
    import torch

    num_gpus = torch.cuda.device_count()
    return f"cuda:{rank % num_gpus}" if num_gpus else "cpu"


def pickled_exception(exc: BaseException) -> bytes | None:
    """The exception pickled for the main process, or None if it cannot be."""
    try:
        return pickle.dumps(exc)
    except Exception:
        return None


def _report_failure(events: Any, share: WorkerShare, item: Any, has_item: bool, exc: BaseException) -> None:
    input_repr = None
    if has_item:
        try:
            input_repr = repr(item)
        except Exception as repr_error:
            input_repr = f"<input whose repr() failed: {repr_error!r}>"
    failure = WorkerFailure(share.rank, input_repr, traceback.format_exc(), pickled_exception(exc))
    events.put((FAILED, share.worker_index, failure))


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the main process dies (even by SIGKILL): a worker of a killed
    run must not keep writing into the output while the next run starts."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if not parent.is_alive():  # the main process died before the request was in place (a forkserver's child is
        os._exit(1)  # the server's: the server ends when the main process does, and the kernel kills its children)


def run_worker(
    job: Job,
    share: WorkerShare,
    tasks: Any,
    events: Any,
    status: ShareStatus | None = None,
    environ: dict[str, str] | None = None,
) -> None:
    """Entry point of a worker process (see the module docstring). ``status`` (local runs) tracks its progress;
    ``environ``: the main process's environment when the workers started (a forkserver's child inherits the
    server's, which may be older)."""
    _die_with_parent()
    if environ is not None:
        adopt_environ(environ)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the main process, which terminates us
    os.environ[ENV_GLOBAL_RANK_OPTIMIZE] = str(share.rank)
    os.environ[ENV_NUM_WORKERS_OPTIMIZE] = str(job.num_workers)
    progress = _ProgressReporter(events, share.worker_index)
    job.output.watch_uploads(progress.uploads)
    item: Any = None
    has_item = False
    # two plain stores per input into shared memory (a private list where nobody watches: Ray tasks)
    slots, at = status.slots_of(share.worker_index) if status is not None else ([STARTING, NO_INPUT], 0)
    try:
        sink = _ChunkSink(job, share) if job.kind == "optimize" else _FileSink(job, share)
        for index, item, is_last in _iter_inputs(share, tasks):
            has_item = True
            slots[at + 1] = index
            slots[at] = PROCESSING
            sink.consume(job.reader.read(item) if job.reader is not None else item, is_last)
            slots[at] = BETWEEN_INPUTS
            has_item = False
            progress.advance()
        slots[at] = FINISHING
        sink.finish()
        progress.flush()
        slots[at] = FINISHED
        events.put((DONE, share.worker_index, None))
    except BaseException as exc:
        progress.flush()
        _report_failure(events, share, item, has_item, exc)
