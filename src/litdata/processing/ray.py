"""Run `optimize` and `map` as tasks on a Ray cluster instead of this machine's worker processes.

One argument moves a job to Ray: ``optimize(..., executor="ray")`` or ``executor=RayExecutor(...)``; so does one
environment variable (``LITDATA_EXECUTOR=ray``), or ``num_nodes=N`` without ``machine`` when a Ray cluster is
reachable (``ray.init`` already called, or ``RAY_ADDRESS`` set). Without any of them nothing here is used.

How a job runs:

- the driver splits the inputs into many small tasks (by default 4 per task slot of the cluster), puts each task's
  slice in Ray's object store once, and submits the tasks; every task fetches only its own slice;
- a task runs the same worker loop as a local worker process (`workers.run_worker`) with its task number as writer
  rank, so its chunks are named ``chunk-{task}-{n}.bin``. A task whose worker process or node dies is re-run by Ray
  (``max_retries``) and rewrites the same names; an error raised by ``fn`` is not retried but reported with the input
  and the remote traceback;
- the driver merges the indexes returned by the tasks in task order (so the dataset is in input order), deletes any
  chunk file the index does not list (left by an attempt that died), and writes ``index.json`` last.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import litdata.processing.data_processor as engine
import litdata.settings as settings
from litdata.constants import _INDEX_FILENAME
from litdata.format.writer import merge_index_files, write_index_atomic
from litdata.processing.interrupts import catch_ctrl_c
from litdata.processing.nodes import NodeInfo
from litdata.processing.readers import BaseReader
from litdata.processing.workers import FAILED, PROGRESS, Job, WorkerFailure, WorkerShare, run_worker
from litdata.utilities.progress import progress_bar

ENV_EXECUTOR = settings.EXECUTOR.name
_TASKS_PER_SLOT = 4
_POLL_S = 0.2
_ONE_NODE = NodeInfo(num_nodes=1, rank=0)  # the driver plans and finishes the whole job
_TASK_FILE = re.compile(r"^(chunk-\d+-\d+(?:\..+)?\.bin|\d+\.index\.json)(?:\.tmp-\d+)?$")


@dataclass
class RayExecutor:
    """Run `optimize`/`map` as Ray tasks (``pip install 'litdata[ray]'``; litdata must be installed on every node).

    Args:
        address: the cluster (``"auto"``, ``"127.0.0.1:6379"``, ``"ray://head:10001"``). ``None``: the ``ray.init()``
            already done in this process, else ``RAY_ADDRESS``, else Ray's default.
        num_cpus_per_task: CPUs reserved by one task (Ray runs as many tasks at once as the cluster has room for).
        num_gpus_per_task: GPUs reserved by one task (``map`` functions accepting ``device`` then get ``"cuda:0"``).
        resources_per_task: custom Ray resources reserved by one task, e.g. ``{"preprocessing": 1}``.
        num_tasks: how many tasks the inputs are split into; default 4 per task slot, at most one per input.
        max_retries: how often Ray re-runs a task whose worker process or node died.
        runtime_env: Ray runtime environment, used when this executor connects to the cluster.
    """

    address: str | None = None
    num_cpus_per_task: float = 1.0
    num_gpus_per_task: float = 0.0
    resources_per_task: dict[str, float] | None = None
    num_tasks: int | None = None
    max_retries: int = 3
    runtime_env: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.num_cpus_per_task > 0:
            raise ValueError(f"num_cpus_per_task must be positive, got {self.num_cpus_per_task!r}.")
        if self.num_tasks is not None and (isinstance(self.num_tasks, bool) or self.num_tasks < 1):
            raise ValueError(f"num_tasks must be a positive integer or None, got {self.num_tasks!r}.")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries!r}.")

    def optimize(
        self,
        fn: Callable[[Any], Any],
        inputs: Any,
        output: Any,
        mode: str | None,
        reader: BaseReader | None,
        writer_options: dict[str, Any],
        align_chunk_size: int | None,
        verbose: bool,
        use_checkpoint: bool,
    ) -> None:
        """`optimize` on the cluster, called by `litdata.optimize` with its checked arguments (``inputs.items``: the
        inputs after batching and ``fast_dev_run``; ``inputs.weights``: their weights or None)."""
        if use_checkpoint:
            raise ValueError(
                "use_checkpoint=True resumes local worker processes; on Ray, tasks whose node died are re-run by Ray "
                "(RayExecutor(max_retries=...)). Drop use_checkpoint."
            )
        items = _require_list(inputs.items)
        ray = _connect(self)
        parts = _split(len(items), self._task_count(ray, len(items)), inputs.weights, align_chunk_size)
        existing = engine.prepare_output(output, mode, _ONE_NODE, len(parts), use_checkpoint=False)
        first_chunk = engine.next_chunk_indexes(existing) if mode == "append" else {}
        job = Job("optimize", fn, output, len(parts), reader=reader, writer_options=writer_options)
        results = _run_tasks(ray, self, job, items, parts, first_chunk, verbose, "Optimizing on Ray")
        _finish_optimize(output, results, existing if mode == "append" else None)

    def map(
        self,
        fn: Callable[..., Any],
        inputs: Any,
        output: Any,
        reader: BaseReader | None,
        fn_wants_device: bool,
        fn_wants_is_last: bool,
    ) -> None:
        """`map` on the cluster: every task moves the files ``fn`` wrote into the output, keeping their names."""
        items = _require_list(inputs.items)
        ray = _connect(self)
        parts = _split(len(items), self._task_count(ray, len(items)), inputs.weights, None)
        output.ensure_exists()
        job = Job(
            "map",
            fn,
            output,
            len(parts),
            reader=reader,
            fn_wants_device=fn_wants_device,
            fn_wants_is_last=fn_wants_is_last,
        )
        _run_tasks(ray, self, job, items, parts, {}, True, "Mapping on Ray")

    def _task_count(self, ray: Any, num_items: int) -> int:
        if self.num_tasks is not None:
            return min(self.num_tasks, num_items)
        resources = ray.cluster_resources()
        wanted = {"CPU": self.num_cpus_per_task, "GPU": self.num_gpus_per_task, **(self.resources_per_task or {})}
        slots = min(int(resources.get(name, 0) // amount) for name, amount in wanted.items() if amount > 0)
        return max(1, min(num_items, max(1, slots) * _TASKS_PER_SLOT))


def select_executor(executor: str | RayExecutor | None, num_nodes: int | None, machine: Any) -> RayExecutor | None:
    """The Ray executor a job asks for, or None to run it with local worker processes.

    ``executor`` wins; otherwise ``LITDATA_EXECUTOR`` (``"ray"`` or ``"local"``); otherwise ``num_nodes`` without
    ``machine`` selects Ray when a cluster is reachable (``ray.init`` already called, or ``RAY_ADDRESS`` set).
    """
    if isinstance(executor, RayExecutor):
        chosen: RayExecutor | None = executor
    else:
        name = executor if executor is not None else (settings.EXECUTOR.get() or None)
        if name not in (None, "ray", "local"):
            source = "executor" if executor is not None else ENV_EXECUTOR
            raise ValueError(
                f"{source}={name!r} is not an executor; use 'local' (worker processes on this machine), 'ray' or a "
                "litdata.processing.ray.RayExecutor(...)."
            )
        cluster_hint = name is None and num_nodes is not None and machine is None and _ray_cluster_reachable()
        chosen = RayExecutor() if name == "ray" or cluster_hint else None
    if chosen is not None and machine is not None:
        raise ValueError(
            "`machine` selects a Lightning platform machine and cannot be combined with Ray; reserve resources "
            "with RayExecutor(num_cpus_per_task=..., num_gpus_per_task=..., resources_per_task=...) instead."
        )
    return chosen


def _ray_cluster_reachable() -> bool:
    if settings.RAY_ADDRESS.get():
        return True
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def _connect(executor: RayExecutor) -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "Running optimize/map on Ray needs the `ray` package on the driver and on every node: "
            "pip install 'litdata[ray]'."
        ) from None
    if not ray.is_initialized():
        options: dict[str, Any] = {"address": executor.address} if executor.address else {}
        if executor.runtime_env is not None:
            options["runtime_env"] = executor.runtime_env
        ray.init(**options)
    return ray


def _require_list(items: list[Any] | None) -> list[Any]:
    if items is None:
        raise ValueError(
            "On Ray, `inputs` must be a list: a StreamingDataLoader or a queue produces its inputs in this process. "
            "Pass a list (e.g. of indexes or URLs) and read the data inside `fn`, which runs on the cluster."
        )
    return items


def _split(
    num_items: int, num_tasks: int, weights: Sequence[int] | None, align_chunk_size: int | None
) -> list[list[int]]:
    """Input indexes of every task: contiguous slices (whole chunks with ``align_chunk_size``), or weighted packs."""
    if weights is not None:
        parts = engine.split_by_weight(range(num_items), weights, num_tasks)
    elif align_chunk_size:
        parts = [list(r) for r in engine.split_aligned(num_items, num_tasks, align_chunk_size)]
    else:
        parts = [list(r) for r in engine.split_contiguously(num_items, num_tasks)]
    return [part for part in parts if part]


# ----------------------------------------------------------------------------------------------- inside a task


@dataclass(frozen=True)
class _TaskResult:
    node: str
    num_items: int
    index: dict[str, Any] | None = None  # optimize: the task's chunks and config
    failure: WorkerFailure | None = None


class _TaskEvents:
    """Stands in for a local worker's event queue: progress goes to the driver's counter, a failure is kept."""

    def __init__(self, progress: Any, task: int) -> None:
        self._progress = progress
        self._task = task
        self.failure: WorkerFailure | None = None

    def put(self, event: tuple[str, int, Any]) -> None:
        kind, _, payload = event
        if kind == PROGRESS:
            self._progress.add.remote(self._task, payload)
        elif kind == FAILED:
            self.failure = payload


def _run_task(job: Job, task: int, items: list[tuple[int, Any]], first_chunk_index: int, progress: Any) -> _TaskResult:
    """One Ray task: the local worker loop over this task's inputs, writer rank = task number."""
    import ray

    progress.reset.remote(task)  # a re-run attempt starts counting again
    events = _TaskEvents(progress, task)
    share = WorkerShare(worker_index=task, rank=task, items=items, first_chunk_index=first_chunk_index)
    previous_handler = signal.getsignal(signal.SIGINT)
    try:
        run_worker(job, share, None, events)
    finally:
        signal.signal(signal.SIGINT, previous_handler)  # run_worker ignores Ctrl-C; Ray's worker process lives on
    node = f"{ray.util.get_node_ip_address()} ({ray.get_runtime_context().get_node_id()[:8]})"
    if events.failure is not None:
        return _TaskResult(node, len(items), failure=events.failure)
    index = None
    index_path = os.path.join(job.output.staging_dir, f"{task}.index.json")
    if job.kind == "optimize" and os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
        os.remove(index_path)
    return _TaskResult(node, len(items), index=index)


class _ProgressCounter:
    """A Ray actor in the driver's node: processed inputs per task (reset when a task is re-run)."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}

    def reset(self, task: int) -> None:
        self._counts[task] = 0

    def add(self, task: int, count: int) -> None:
        self._counts[task] = self._counts.get(task, 0) + count

    def total(self) -> int:
        return sum(self._counts.values())


# ------------------------------------------------------------------------------------------------- in the driver


class _Bar:
    """A progress bar set to absolute values (nothing when tqdm is missing or ``verbose=False``)."""

    def __init__(self, total: int, verbose: bool, description: str) -> None:
        self._bar = progress_bar(description, total, "items", verbose)

    def show(self, count: int) -> None:
        if count != self._bar.n:
            self._bar.update(count - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _start_progress_counter(ray: Any) -> Any:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
    return ray.remote(num_cpus=0, max_restarts=0)(_ProgressCounter).options(scheduling_strategy=here).remote()


def _progress_total(ray: Any, counter: Any, fallback: int) -> int:
    try:
        return max(fallback, ray.get(counter.total.remote(), timeout=5))
    except Exception:  # the counter is only for display
        return fallback


def _run_tasks(
    ray: Any,
    executor: RayExecutor,
    job: Job,
    items: list[Any],
    parts: list[list[int]],
    first_chunk: dict[int, int],
    verbose: bool,
    description: str,
) -> list[_TaskResult]:
    """Submit one task per part and wait for all; the first failure (or Ctrl-C) cancels the others."""
    remote = ray.remote(_run_task).options(
        num_cpus=executor.num_cpus_per_task,
        num_gpus=executor.num_gpus_per_task,
        resources=executor.resources_per_task or {},
        max_retries=executor.max_retries,
        retry_exceptions=False,
    )
    counter = _start_progress_counter(ray)
    pending: dict[Any, int] = {}
    results: list[_TaskResult | None] = [None] * len(parts)
    done_items = 0
    bar = _Bar(len(items), verbose, description)
    try:  # from the first submission on: tasks already running are cancelled on Ctrl-C during the submissions too
        with catch_ctrl_c() as ctrl_c:
            job_ref = ray.put(job)  # fn is pickled once, not once per task
            for task, part in enumerate(parts):
                ctrl_c.raise_if_pressed()
                slice_ref = ray.put([(i, items[i]) for i in part])  # each task fetches only its own inputs
                pending[remote.remote(job_ref, task, slice_ref, first_chunk.get(task, 0), counter)] = task
            while pending:
                ctrl_c.raise_if_pressed()
                ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=_POLL_S)
                for ref in ready:
                    task = pending.pop(ref)
                    results[task] = _task_result(ray, ref, task, parts[task], executor.max_retries)
                    done_items += len(parts[task])
                bar.show(_progress_total(ray, counter, done_items) if pending else done_items)
    except BaseException:
        for ref in pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        raise
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            ray.kill(counter)
    return results  # type: ignore[return-value]


def _task_result(ray: Any, ref: Any, task: int, part: list[int], max_retries: int) -> _TaskResult:
    try:
        result: _TaskResult = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # raised in the task outside fn (fn's errors are returned)
        raise RuntimeError(f"Ray task {task} (inputs {part[0]}..{part[-1]}) failed outside of fn:\n{exc}") from exc
    except ray.exceptions.RayError as exc:
        raise RuntimeError(
            f"Ray task {task} (inputs {part[0]}..{part[-1]}) did not finish after {max_retries} retries: "
            f"{type(exc).__name__}: {exc}\nIts worker process or node died every time; lower the memory used per "
            "task or raise RayExecutor(max_retries=...)."
        ) from exc
    if result.failure is not None:
        raise _failure_error(result, task)
    return result


def _failure_error(result: _TaskResult, task: int) -> RuntimeError:
    failure = result.failure
    assert failure is not None
    where = f"Ray task {task} on node {result.node}"
    if failure.input_repr is None:
        who = f"{where} failed outside of fn."
    else:
        who = f"{where} failed while processing the input {failure.input_repr}."
    return failure.as_error(f"{who}\nRemote traceback:\n{failure.traceback}")


def _finish_optimize(output: Any, results: list[_TaskResult], existing_index: dict[str, Any] | None) -> None:
    """Merge the tasks' indexes in task order, drop files of dead attempts, write ``index.json`` last."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for task, result in enumerate(results):
            if result.index is not None:
                paths.append(os.path.join(scratch, f"{task}.index.json"))
                write_index_atomic(result.index, paths[-1])
        merged = merge_index_files(paths, existing_index)
    listed = {chunk["filename"] for chunk in merged["chunks"]}
    names = output.list_names()
    for name in names:
        if _TASK_FILE.match(name) and name not in listed:
            output.remove(name)
    missing = sorted(listed - set(names))
    if missing:
        raise RuntimeError(
            f"The tasks wrote chunks that are not in `{output.path}` as seen from the driver (e.g. {missing[0]}). "
            "On a cluster of several machines, output_dir must be object storage (s3://, gs://, azure://) or a "
            "folder shared by every node at the same path."
        )
    output.write_json(_INDEX_FILENAME, merged)
