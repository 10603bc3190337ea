"""The engine behind `optimize` and `map`: plan who processes what, run the worker processes, finish the output.

- **plan**: split the inputs between nodes (contiguous shares, or greedy packing with weights), then between this
  node's workers: contiguous slices when order matters, otherwise a shared queue of small batches that idle
  workers pull from (faster when inputs take uneven time; the output order then depends on timing).
- **run**: start the workers, show one progress bar, stop everything on the first failure or on Ctrl-C.
- **finish**: merge the per-worker indexes into ``index.json`` (written last, atomically); with several nodes the
  last node merges the per-node indexes.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from litdata.constants import _INDEX_FILENAME
from litdata.format.writer import merge_index_files
from litdata.processing.interrupts import catch_ctrl_c
from litdata.processing.main_imports import main_script_imports
from litdata.processing.nodes import NodeInfo
from litdata.processing.output import Output
from litdata.processing.preload import PRELOAD_ENV, modules_to_preload, preload_request
from litdata.processing.spawn_guard import BOOTSTRAP_EXIT_CODE, bootstrap_error
from litdata.processing.staging import chunk_names, remove_replaced_chunks
from litdata.processing.vanished import RecentInputs, vanished_worker_error
from litdata.processing.workers import (
    CHECKPOINT_DIR,
    DONE,
    END_OF_INPUTS,
    FAILED,
    PROGRESS,
    UPLOADS,
    Job,
    ShareStatus,
    WorkerFailure,
    WorkerShare,
    checkpoint_name,
    pickled_exception,
    run_worker,
    share_fingerprint,
)
from litdata.settings import child_environ, take_internal
from litdata.utilities.packing import _pack_greedily
from litdata.utilities.progress import progress_bar

_MAX_QUEUE_BATCH = 256
_JOIN_TIMEOUT_S = 5.0
_FEEDER_JOIN_TIMEOUT_S = 1.0
_FEEDER_RANK = -1  # failures of the thread that reads lazy inputs in the main process
_EVENT_POLL_S = 0.2
# A worker seen dead without its DONE gets this long for its last messages (already in the pipe) to be read.
_EXIT_GRACE_S = 0.5
_NODE_INDEX_POLL_S = 0.5
_FORKSERVER_PRELOAD = [
    "litdata.processing.workers",
    "litdata.processing.preload",
    # what every worker imports anyway (unpickling its job's queues and progress slots, the 0.2.76 module paths,
    # hashing its chunks), ~7 ms a worker otherwise; a module that is not installed is skipped by the server
    "multiprocessing.queues",
    "multiprocessing.synchronize",
    "multiprocessing.sharedctypes",
    "litdata.streaming",
    "litdata.format.loaders",
    "xxhash",
]  # not "__main__": workers import the user's script as spawn does
_CHUNK_FILE = re.compile(r"^chunk-(\d+)-(\d+)(?:\..+)?\.bin$")
_WORKER_INDEX_FILE = re.compile(r"^(\d+)\.index\.json$")
# At most this many inputs of a lazy stream are kept per worker to name the input of a worker that vanished.
_STREAM_INPUTS_KEPT_PER_WORKER = 64
ALL_DONE = "ALL_DONE"  # put once on an optimize(queue=...) queue: no more inputs (for any number of workers)

# ----------------------------------------------------------------------------------------------------------- plan


def split_contiguously(num_items: int, num_parts: int) -> list[range]:
    """Contiguous index ranges of (almost) equal length; the remainder goes one by one to the LAST parts."""
    base, remainder = divmod(num_items, num_parts)
    sizes = [base + (1 if part >= num_parts - remainder else 0) for part in range(num_parts)]
    bounds = [0]
    for size in sizes:
        bounds.append(bounds[-1] + size)
    return [range(bounds[part], bounds[part + 1]) for part in range(num_parts)]


def split_aligned(num_items: int, num_parts: int, chunk_size: int) -> list[range]:
    """Contiguous ranges made of whole chunks (``chunk_size`` items); the partial last chunk goes to the last part."""
    full_chunks, leftover = divmod(num_items, chunk_size)
    ranges = [range(r.start * chunk_size, r.stop * chunk_size) for r in split_contiguously(full_chunks, num_parts)]
    ranges[-1] = range(ranges[-1].start, ranges[-1].stop + leftover)
    return ranges


def split_by_weight(indexes: Sequence[int], weights: Sequence[int], num_parts: int) -> list[list[int]]:
    """Greedy packing of indexes into parts of similar total weight; each part keeps the input order."""
    # an empty input file weighs 0; _pack_greedily (as 0.2.76's) only takes positive weights
    packed, _ = _pack_greedily(list(indexes), [max(1, weights[i]) for i in indexes], num_parts)
    return [sorted(packed.get(part, [])) for part in range(num_parts)]


def node_indexes(num_items: int, node: NodeInfo, weights: Sequence[int] | None) -> list[int]:
    """The input indexes processed by this node."""
    if weights is not None:
        return split_by_weight(range(num_items), weights, node.num_nodes)[node.rank]
    return list(split_contiguously(num_items, node.num_nodes)[node.rank])


def queue_batch_size(num_items: int, num_workers: int) -> int:
    """Batches small enough to balance the workers, large enough to keep queue traffic low."""
    return max(1, min(_MAX_QUEUE_BATCH, num_items // (num_workers * 16)))


def batched(pairs: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    """Group ``(index, input)`` pairs into lists of ``size``."""
    batch: list[tuple[int, Any]] = []
    for pair in pairs:
        batch.append(pair)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class WorkPlan:
    """What this node's workers receive: fixed shares, or a stream of batches for the shared queue."""

    shares: list[WorkerShare]
    batches: Iterable[list[tuple[int, Any]]] | None  # None when every worker has a fixed share
    total: int | None  # number of inputs for the progress bar, if known
    inputs: Any = None  # input index -> input, to name a vanished worker's input (None: not kept)


def plan_static(
    inputs: Sequence[Any],
    indexes: Sequence[int],
    node: NodeInfo,
    num_workers: int,
    weights: Sequence[int] | None = None,
    align_chunk_size: int | None = None,
) -> WorkPlan:
    """Give each worker a fixed share of this node's inputs: contiguous slices, aligned slices or weighted packing."""
    if weights is not None:
        parts = split_by_weight(indexes, weights, num_workers)
    else:
        ranges = (
            split_aligned(len(indexes), num_workers, align_chunk_size)
            if align_chunk_size
            else split_contiguously(len(indexes), num_workers)
        )
        parts = [[indexes[position] for position in r] for r in ranges]
    shares = [
        WorkerShare(worker, node.rank * num_workers + worker, items=[(i, inputs[i]) for i in part])
        for worker, part in enumerate(parts)
    ]
    return WorkPlan(shares, batches=None, total=len(indexes), inputs=inputs)


def plan_queue(
    inputs: Sequence[Any], indexes: Sequence[int], node: NodeInfo, num_workers: int, sizes: Sequence[int] | None = None
) -> WorkPlan:
    """Let the workers pull batches from a shared queue; with ``sizes``, the largest inputs are queued first."""
    order = sorted(indexes, key=lambda i: sizes[i], reverse=True) if sizes is not None else indexes
    size = queue_batch_size(len(indexes), num_workers)
    shares = [WorkerShare(worker, node.rank * num_workers + worker) for worker in range(num_workers)]
    batches = list(batched(((i, inputs[i]) for i in order), size))
    return WorkPlan(shares, batches=batches, total=len(indexes), inputs=inputs)


def plan_stream(stream: Iterable[Any], node: NodeInfo, num_workers: int, total: int | None) -> WorkPlan:
    """Inputs produced lazily in the main process (a dataloader, a user queue) go through the shared queue."""
    shares = [WorkerShare(worker, node.rank * num_workers + worker) for worker in range(num_workers)]
    recent = RecentInputs(limit=_STREAM_INPUTS_KEPT_PER_WORKER * num_workers)
    return WorkPlan(shares, batches=batched(recent.record(enumerate(stream)), 1), total=total, inputs=recent)


def plan_dataloader(dataloader: Any, node: NodeInfo, num_workers: int) -> WorkPlan:
    """Every worker iterates the StreamingDataLoader itself and gets its own contiguous part (kept in order)."""
    shares = [
        WorkerShare(worker, node.rank * num_workers + worker, dataloader=dataloader) for worker in range(num_workers)
    ]
    return WorkPlan(shares, batches=None, total=len(dataloader))


def apply_checkpoints(plan: WorkPlan, output: Output, settings: Any) -> None:
    """Fingerprint each fixed share and skip the inputs an interrupted run with the same work already wrote."""
    for share in plan.shares:
        assert share.items is not None, "checkpoints need fixed shares"
        share.fingerprint = share_fingerprint(share.items, settings)
        saved = output.read_json(checkpoint_name(share.rank))
        if saved is None or saved.get("fingerprint") != share.fingerprint:
            continue
        share.inputs_done = saved["inputs_done"]
        share.items = share.items[share.inputs_done :]
        share.first_chunk_index = saved["next_chunk_index"]
        share.resumed_chunks = saved["chunks"]
        share.resumed_config = saved["config"]
    if plan.total is not None:
        plan.total = sum(len(share.items or ()) for share in plan.shares)


# ------------------------------------------------------------------------------------------------- output modes


def _owned_by(rank: int, node: NodeInfo, num_workers: int) -> bool:
    """Whether this node cleans files of ``rank``: its own ranks, and the last node takes ranks beyond the run's."""
    first = node.rank * num_workers
    return first <= rank < first + num_workers or (node.is_last and rank >= node.num_nodes * num_workers)


def _stale_names(output: Output, node: NodeInfo, num_workers: int, keep: set[str]) -> list[str]:
    """Chunk and writer-index files of this node's ranks that no dataset uses (left by a killed run)."""
    stale = []
    for name in output.list_names():
        match = _CHUNK_FILE.match(name) or _WORKER_INDEX_FILE.match(name)
        if match and name not in keep and _owned_by(int(match.group(1)), node, num_workers):
            stale.append(name)
    return stale


def prepare_output(
    output: Output, mode: str | None, node: NodeInfo, num_workers: int, use_checkpoint: bool
) -> dict[str, Any] | None:
    """Check ``mode`` against the output and clear what killed runs left; returns the existing index (extended in
    append mode, replaced at the end in overwrite mode: its chunks stay readable until then).

    Each node only deletes files of its own writer ranks, so that nodes never delete each other's new chunks. With
    ``use_checkpoint``, the chunks of an interrupted run are kept for it to resume from.
    """
    output.ensure_exists()
    existing = output.read_json(_INDEX_FILENAME)
    if mode is None and existing is not None:
        raise RuntimeError(
            f"The provided output_dir `{output.path}` already contains an optimized immutable datasets.\n"
            " HINT: Did you consider changing the `output_dir` with your own versioning as a suffix?\n"
            " HINT: If you want to append/overwrite to the existing dataset, use `mode='append | overwrite'`."
        )
    output.remove(f"{node.rank}-index.json")
    if use_checkpoint:
        return existing
    for name in _stale_names(output, node, num_workers, chunk_names(existing)):
        output.remove(name)
    for rank in range(node.rank * num_workers, (node.rank + 1) * num_workers):
        output.remove(checkpoint_name(rank))
    return existing


def next_chunk_indexes(existing: dict[str, Any] | None) -> dict[int, int]:
    """Append and overwrite modes: per writer rank, the number its next chunk file gets (one more than its highest),
    so that new chunks never replace a chunk of the existing dataset."""
    next_index: dict[int, int] = {}
    for chunk in (existing or {}).get("chunks", []):
        match = _CHUNK_FILE.match(chunk["filename"])
        if match:
            rank, number = int(match.group(1)), int(match.group(2))
            next_index[rank] = max(next_index.get(rank, 0), number + 1)
    return next_index


# ------------------------------------------------------------------------------------------------------------ run


class _Progress:
    """The bars of a run: inputs processed by all workers, and (remote outputs) the bytes the workers uploaded.

    The upload bar appears with the first upload; its total grows as workers hand over files, so at the end of the
    run it shows how much is still on its way to the output."""

    def __init__(self, total: int | None, verbose: bool, description: str, upload_description: str) -> None:
        self._verbose = verbose
        self._upload_description = upload_description
        self._bar = progress_bar(description, total, "items", verbose)
        self._uploads: Any = None

    def update(self, count: int) -> None:
        self._bar.update(count)

    def uploaded(self, queued: int, uploaded: int) -> None:
        if self._uploads is None:
            self._uploads = progress_bar(self._upload_description, 0, enabled=self._verbose, in_bytes=True)
        self._uploads.total += queued
        self._uploads.update(uploaded)

    def close(self) -> None:
        self._bar.close()
        if self._uploads is not None:
            self._uploads.close()


def _failure_error(failure: WorkerFailure) -> RuntimeError:
    if failure.rank == _FEEDER_RANK:
        who = "Reading the inputs in the main process failed."
    elif failure.input_repr is None:
        who = f"Worker {failure.rank} failed outside of fn."
    else:
        who = f"Worker {failure.rank} failed while processing the input {failure.input_repr}."
    return failure.as_error(f"{who}\nTraceback:\n{failure.traceback}")


class _Feeder(threading.Thread):
    """Puts the plan's batches, then one end marker per worker, on the tasks queue; stops when asked to."""

    def __init__(self, batches: Iterable[list[tuple[int, Any]]], tasks: Any, num_workers: int, events: Any) -> None:
        super().__init__(name="litdata-feeder", daemon=True)
        self._batches = batches
        self._tasks = tasks
        self._num_workers = num_workers
        self._events = events
        self.stop = threading.Event()

    def _put(self, message: Any) -> bool:
        while not self.stop.is_set():
            try:
                self._tasks.put(message, timeout=_EVENT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        try:
            for batch in self._batches:
                if not self._put(batch):
                    return
        except BaseException as exc:
            failure = WorkerFailure(_FEEDER_RANK, None, traceback.format_exc(), pickled_exception(exc))
            self._events.put((FAILED, _FEEDER_RANK, failure))
            return
        for _ in range(self._num_workers):
            if not self._put(END_OF_INPUTS):
                return


def _stop_processes(processes: list[Any]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(_JOIN_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()


def _usable_start_method(start_method: str, job: Job) -> str:
    """``forkserver``: start the server (it imports the worker code and the modules of the job's function once;
    each worker is a fork of it, see `litdata.processing.preload`), or ``spawn`` when this process was forked from
    one whose server it inherited and cannot use."""
    if start_method != "forkserver":
        return start_method
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(_FORKSERVER_PRELOAD)
    modules = modules_to_preload([job.fn, job.reader, job.writer_options.get("item_loader")])
    modules += [name for name in main_script_imports() if name not in modules]
    os.environ[PRELOAD_ENV] = preload_request(modules)  # read by a server started now, ignored by a running one
    try:
        forkserver.ensure_running()
    except ChildProcessError:
        return "spawn"
    finally:
        take_internal(PRELOAD_ENV)
    return start_method


def run_workers(job: Job, plan: WorkPlan, start_method: str, verbose: bool, description: str) -> None:
    """Run one process per share; returns when all finished, raises the first failure (after stopping all)."""
    context = multiprocessing.get_context(_usable_start_method(start_method, job))
    events = context.Queue()
    tasks = context.Queue(maxsize=4 * len(plan.shares)) if plan.batches is not None else None
    status = ShareStatus(context, len(plan.shares))
    if isinstance(plan.inputs, RecentInputs):
        plan.inputs.keep_needed(status)
    environ = child_environ()  # a forkserver's children would otherwise have the server's, maybe older, one
    new_process: Any = context.Process  # type: ignore[attr-defined]  # every concrete context has Process; typeshed's BaseContext does not
    processes = [
        new_process(
            target=run_worker, args=(job, share, tasks, events, status, environ), name=f"litdata-worker-{share.rank}"
        )
        for share in plan.shares
    ]
    feeder = _Feeder(plan.batches, tasks, len(plan.shares), events) if plan.batches is not None else None
    progress: _Progress | None = None
    try:
        for process in processes:  # before any thread of ours exists, which matters with fork
            process.start()
        if feeder is not None:
            feeder.start()
        uploading = "Uploading chunks" if job.kind == "optimize" else "Uploading files"
        progress = _Progress(plan.total, verbose, description, uploading)
        _WorkerWatch(processes, plan, status, events, progress).wait()
    finally:
        if feeder is not None and feeder.ident is not None:  # not started when a worker failed to start
            feeder.stop.set()
            feeder.join(_FEEDER_JOIN_TIMEOUT_S)  # it may wait on a user's queue forever; it is a daemon thread
        _stop_processes([process for process in processes if process.ident is not None])
        if progress is not None:
            progress.close()
        for q in (events, tasks):
            if q is not None:
                q.cancel_join_thread()
                q.close()


class _WorkerWatch:
    """Reads the workers' events until every worker reported its share as done; raises on the first failure.

    A worker that ended without reporting (any exit code, a signal) is a failure too: every `_EVENT_POLL_S`, also
    while other workers keep sending progress, the processes are checked; one found dead gets `_EXIT_GRACE_S` for
    its last messages to be read, then the run stops with `vanished_worker_error`.
    """

    def __init__(self, processes: list[Any], plan: WorkPlan, status: ShareStatus, events: Any, progress: _Progress):
        self._processes = processes
        self._plan = plan
        self._status = status
        self._events = events
        self._progress = progress
        self._finished: set[int] = set()
        self._dead_since: dict[int, float] = {}

    def wait(self) -> None:
        with catch_ctrl_c() as ctrl_c:  # a Ctrl-C is raised here, between events, never lost inside a call
            next_check = time.monotonic() + _EVENT_POLL_S
            while len(self._finished) < len(self._processes):
                ctrl_c.raise_if_pressed()
                try:
                    self._handle(*self._events.get(timeout=_EVENT_POLL_S))
                except queue.Empty:
                    pass
                if time.monotonic() >= next_check:
                    self._check_alive()
                    next_check = time.monotonic() + _EVENT_POLL_S

    def _handle(self, kind: str, worker_index: int, payload: Any) -> None:
        if kind == PROGRESS:
            self._progress.update(payload)
        elif kind == UPLOADS:
            self._progress.uploaded(*payload)
        elif kind == DONE:
            self._finished.add(worker_index)
        elif kind == FAILED:
            raise _failure_error(payload)

    def _check_alive(self) -> None:
        now = time.monotonic()
        for worker_index, process in enumerate(self._processes):
            if worker_index in self._finished or process.exitcode is None:
                continue
            if process.exitcode == BOOTSTRAP_EXIT_CODE:
                raise bootstrap_error()
            dead_since = self._dead_since.setdefault(worker_index, now)
            if now - dead_since >= _EXIT_GRACE_S:
                phase, input_index = self._status.read(worker_index)
                rank = self._plan.shares[worker_index].rank
                raise vanished_worker_error(rank, process.exitcode, phase, input_index, self._plan.inputs)


# --------------------------------------------------------------------------------------------------------- finish


def _wait_for_node_indexes(output: Output, num_nodes: int, timeout: float | None) -> list[str]:
    names = [f"{rank}-index.json" for rank in range(num_nodes)]
    deadline = None if timeout is None else time.monotonic() + timeout
    while not all(output.exists(name) for name in names):
        if deadline is not None and time.monotonic() > deadline:
            missing = [name for name in names if not output.exists(name)]
            raise TimeoutError(f"Timed out after {timeout:.0f}s waiting for the other nodes' indexes: {missing}.")
        time.sleep(_NODE_INDEX_POLL_S)
    return names


def finish_optimize(
    output: Output,
    node: NodeInfo,
    ranks: Iterable[int],
    existing_index: dict[str, Any] | None,
    node_timeout: float | None = None,
    replaced_index: dict[str, Any] | None = None,
) -> None:
    """Merge this node's writer indexes; write ``index.json`` (one node) or ``{node}-index.json`` + final merge.
    ``existing_index`` is extended (append); the chunks only ``replaced_index`` names are deleted once the new
    ``index.json`` is in place (overwrite)."""
    worker_files = [os.path.join(output.staging_dir, f"{rank}.index.json") for rank in ranks]
    worker_files = [path for path in worker_files if os.path.exists(path)]
    if node.num_nodes == 1:
        merged = merge_index_files(worker_files, existing_index)
        output.write_json(_INDEX_FILENAME, merged)
        remove_replaced_chunks(output, replaced_index, merged)
    else:
        node_index = merge_index_files(worker_files)
        node_index.pop("updated_at", None)
        output.write_json(f"{node.rank}-index.json", node_index)
    for path in worker_files:
        os.remove(path)
    if node.num_nodes > 1 and node.is_last:
        names = _wait_for_node_indexes(output, node.num_nodes, node_timeout)
        merged = merge_index_files([output.local_path(name) for name in names], existing_index)
        output.write_json(_INDEX_FILENAME, merged)
        remove_replaced_chunks(output, replaced_index, merged)
        for name in names:
            output.remove(name)
    if node.is_last:
        output.remove(CHECKPOINT_DIR)


# ----------------------------------------------------------------------------------------------- class-based API
_RECIPE_NAMES = ("DataProcessor", "DataRecipe", "DataChunkRecipe", "MapRecipe")


def __getattr__(name: str) -> Any:
    """LitData's recipe classes live in `litdata.processing.recipes` (imported on first use: no import cycle)."""
    if name in _RECIPE_NAMES:
        import litdata.processing.recipes as recipes

        return getattr(recipes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
