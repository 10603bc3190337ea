"""`optimize` and `map` as four steps, each a function of its own: validate, plan, execute, finish.

- **validate** the arguments before anything is touched: `check_optimize_arguments`, `check_writer_options`;
- **plan** who processes what: `plan_run` collects the inputs (reader, batching, ``fast_dev_run``) and splits them
  between this node's workers (`RunPlan`);
- **execute** the plan: `execute_optimize` prepares the output and runs the worker processes, which write chunk
  files into the output and their own index files into the run's staging folder;
- **finish**: `finish_optimize_run` merges those indexes into ``index.json``, the switch to the new dataset.

`litdata.processing.functions` chains them; the engine they call is `litdata.processing.data_processor`.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import litdata.settings as settings
from litdata.constants import _INDEX_FILENAME
from litdata.format.writer import check_writer_options
from litdata.processing import data_processor as engine
from litdata.processing.nodes import NodeInfo, detect_node
from litdata.processing.output import Output
from litdata.processing.ray import RayExecutor, select_executor
from litdata.processing.readers import BaseReader
from litdata.processing.workers import Job, is_generator_function

FAST_DEV_RUN_ITEMS = 10
MODES = (None, "append", "overwrite")

# ------------------------------------------------------------------------------------------------------- validate


def refuse_platform_only(num_nodes: int | None, machine: Any) -> None:
    if num_nodes is not None or machine is not None:
        raise ValueError(
            "`num_nodes` and `machine` launch a job on the Lightning platform, which is not available here. "
            "To use several machines, start the same script on each of them with DATA_OPTIMIZER_NUM_NODES and "
            "DATA_OPTIMIZER_NODE_RANK set, or launch it with SLURM (srun) or torchrun (--nnodes): every node then "
            "processes its share of the inputs into the shared output_dir."
        )


def choose_executor(executor: str | RayExecutor | None, num_nodes: int | None, machine: Any) -> RayExecutor | None:
    """The Ray executor that runs the job, or None for local worker processes (then ``num_nodes``/``machine``,
    which only the Lightning platform takes, are refused)."""
    ray_executor = select_executor(executor, num_nodes, machine)
    if ray_executor is None:
        refuse_platform_only(num_nodes, machine)
    return ray_executor


def check_optimize_arguments(
    fn: Callable[..., Any],
    mode: str | None,
    key_fn: Any,
    use_checkpoint: bool,
    keep_data_ordered: bool | None,
    align_chunking: bool,
    chunk_size: int | None,
) -> None:
    """Refuse contradicting `optimize` arguments, in the order LitData 0.2.76 checks them."""
    if mode not in MODES:
        raise ValueError(f"The provided `mode` should be either `append` or `overwrite`. Found {mode}.")
    if key_fn is not None and not callable(key_fn):
        raise ValueError(f"`key_fn` must be a callable returning each sample's key (str or int), got {key_fn!r}.")
    if use_checkpoint and is_generator_function(fn):
        raise ValueError("use_checkpoint=True is not supported with a generator `fn`; return one sample per input.")
    if keep_data_ordered is False and use_checkpoint:
        raise ValueError("Checkpoint feature is not supported for Queue based data processing, yet.")
    if keep_data_ordered is False and align_chunking:
        raise ValueError("align_chunking requires keep_data_ordered=True.")
    if align_chunking and chunk_size is None:
        raise ValueError(
            "When `align_chunking` is set to True, `chunk_size` needs to be defined (align_chunking aligns worker "
            "shares to whole chunks)."
        )


def writer_options(**options: Any) -> dict[str, Any]:
    """The `BinaryWriter` options every worker gets, checked here (no folder is created)."""
    check_writer_options(**options)
    return options


def check_local_input_dir(input_dir: Any) -> str | None:
    if input_dir is None:
        return None
    location = str(getattr(input_dir, "url", None) or getattr(input_dir, "path", None) or input_dir)
    if "://" in location:
        raise ValueError(
            f"Reading inputs from a remote input_dir ({location}) is not supported yet; download them first "
            "and pass local paths."
        )
    return location


def resolve_num_workers(num_workers: int | None) -> int:
    if num_workers is None:
        return os.cpu_count() or 1
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be a non-negative integer or None, got {num_workers!r}.")
    return max(1, num_workers)


def resolve_start_method(start_method: str | None) -> str:
    """``fork`` in notebooks; elsewhere ``forkserver`` where the platform has it (workers are forked from a server
    that imported litdata's worker code once per process, instead of each starting a new interpreter), else
    ``spawn``."""
    if start_method is not None:
        return start_method
    if "ipykernel" in sys.modules:
        return "fork"
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def check_picklable(kind: str, fn: Callable[..., Any], start_method: str, **parts: Any) -> None:
    """Fail before the output is touched when the job cannot be sent to spawned workers (e.g. ``fn`` is a lambda)."""
    if start_method == "fork":
        return
    try:
        pickle.dumps(fn)
    except Exception as err:
        name = getattr(fn, "__qualname__", None) or repr(fn)
        raise pickle.PicklingError(
            f"fn ({name}) cannot be sent to the worker processes ({type(err).__name__}: {err}). Workers started with "
            f"the {start_method!r} method receive fn by pickling, which only works for functions defined at module "
            "level: define fn at module level with `def` (not a lambda, not inside another function), or use a "
            "callable class instance or functools.partial of a module-level function."
        ) from err
    for name, part in parts.items():
        try:
            pickle.dumps(part)
        except Exception as err:
            raise pickle.PicklingError(
                f"The {kind} job cannot be sent to the worker processes: its {name} cannot be pickled "
                f"({type(err).__name__}: {err})."
            ) from err


# ----------------------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class InputSource:
    """The user's inputs as given: a sequence, a StreamingDataLoader or a queue, with how to read and group them."""

    inputs: Any
    queue: Any = None
    reader: BaseReader | None = None
    weights: list[int] | None = None
    batch_size: int | None = None
    fast_dev_run: bool | int = False


@dataclass
class Inputs:
    """The user's inputs after reader remapping, batching and ``fast_dev_run``: a list, or a lazy stream."""

    items: list[Any] | None
    weights: list[int] | None
    stream: Iterable[Any] | None = None
    stream_length: int | None = None
    dataloader: Any = None  # a StreamingDataLoader that every worker iterates for its own part


def _is_streaming_dataloader(obj: Any) -> bool:
    """Whether ``obj`` is a StreamingDataLoader (without importing torch when none can exist yet)."""
    module = sys.modules.get("litdata.streaming.loading.dataloader")
    return module is not None and isinstance(obj, module.StreamingDataLoader)


def fast_dev_run_limit(fast_dev_run: bool | int) -> int | None:
    """Number of inputs kept by ``fast_dev_run``: True means 10 in total (LitData's ``[:True]`` kept 1 per worker)."""
    if fast_dev_run is False or fast_dev_run is None:
        return None
    if fast_dev_run is True:
        return FAST_DEV_RUN_ITEMS
    if not isinstance(fast_dev_run, int) or fast_dev_run < 1:
        raise ValueError(f"fast_dev_run must be a bool or a positive int, got {fast_dev_run!r}.")
    return fast_dev_run


def _iter_user_queue(user_queue: Any) -> Iterator[Any]:
    """Items from the user's queue until it yields `ALL_DONE` (or None)."""
    while (item := user_queue.get()) is not None and not (isinstance(item, str) and item == engine.ALL_DONE):
        yield item


def _collect_stream(source: InputSource, limit: int | None, node: NodeInfo) -> Inputs:
    """Inputs from a user's queue or a StreamingDataLoader (consumed lazily)."""
    if source.batch_size is not None or source.weights is not None or source.reader is not None:
        raise ValueError(
            "`batch_size`, `weights` and `reader` cannot be used when the inputs come from a StreamingDataLoader "
            "or a queue; batch with the dataloader's own batch_size instead."
        )
    if source.queue is not None:
        return Inputs(None, None, stream=itertools.islice(_iter_user_queue(source.queue), limit))
    if node.num_nodes == 1 and limit is None:
        return Inputs(None, None, dataloader=source.inputs)
    share = engine.split_contiguously(len(source.inputs), node.num_nodes)[node.rank]
    stop = share.stop if limit is None else min(share.stop, share.start + limit)
    stream = itertools.islice(source.inputs, share.start, stop)
    return Inputs(None, None, stream=stream, stream_length=stop - share.start)


def _check_sequence(source: InputSource) -> None:
    inputs, weights = source.inputs, source.weights
    if not isinstance(inputs, Sequence) or isinstance(inputs, (str, bytes)):
        raise ValueError(f"`inputs` must be a list (or another sequence) or a StreamingDataLoader, got {type(inputs)}.")
    if len(inputs) == 0:
        raise ValueError(f"The provided inputs should be non empty. Found {inputs!r}.")
    if weights is not None and source.reader is not None:
        raise ValueError("`weights` cannot be combined with a `reader`; the reader decides the work items.")
    if weights is not None and len(weights) != len(inputs):
        raise ValueError(f"Got {len(weights)} weights for {len(inputs)} inputs; pass one weight per input.")


def _batched(items: list[Any], weights: list[int] | None, batch_size: int) -> tuple[list[Any], list[int] | None]:
    """Group ``items`` (and add up their weights) by ``batch_size``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    starts = range(0, len(items), batch_size)
    batches = [items[start : start + batch_size] for start in starts]
    return batches, [sum(weights[start : start + batch_size]) for start in starts] if weights is not None else None


def _collect_sequence(source: InputSource, limit: int | None, num_workers: int) -> Inputs:
    """A list of inputs, remapped by the reader, grouped by ``batch_size`` and cut by ``fast_dev_run``."""
    _check_sequence(source)
    reader = source.reader
    items = reader.remap_items(source.inputs, num_workers) if reader is not None else list(source.inputs)
    weights = list(source.weights) if source.weights is not None else None
    if source.batch_size is not None:
        items, weights = _batched(items, weights, source.batch_size)
    if limit is not None:
        items = items[:limit]
        weights = weights[:limit] if weights is not None else None
    return Inputs(items, weights)


def collect_inputs(source: InputSource, num_workers: int, node: NodeInfo) -> Inputs:
    """The work items of this node: a list (sequence inputs) or a stream (a queue, a StreamingDataLoader)."""
    limit = fast_dev_run_limit(source.fast_dev_run)
    if (source.inputs is None) == (source.queue is None):
        raise ValueError("Pass exactly one of `inputs` (a list or a StreamingDataLoader) or `queue`.")
    if source.queue is not None or _is_streaming_dataloader(source.inputs):
        return _collect_stream(source, limit, node)
    return _collect_sequence(source, limit, num_workers)


def _first_path(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    values = item.values() if isinstance(item, dict) else item if isinstance(item, (list, tuple)) else ()
    return next((value for value in values if isinstance(value, str)), None)


def file_sizes(items: Sequence[Any]) -> list[int]:
    """Size of the file named by each input's first string (0 when it is not a file)."""
    sizes = []
    for item in items:
        path = _first_path(item)
        sizes.append(os.path.getsize(path) if path is not None and os.path.isfile(path) else 0)
    return sizes


def work_plan(
    collected: Inputs,
    node: NodeInfo,
    num_workers: int,
    keep_data_ordered: bool,
    align_chunk_size: int | None,
    sizes_from: str | None,
) -> engine.WorkPlan:
    """Split the collected inputs between this node's workers (fixed shares, or a shared queue)."""
    if collected.dataloader is not None:
        return engine.plan_dataloader(collected.dataloader, node, num_workers)
    if collected.items is None:
        if keep_data_ordered and num_workers > 1:
            raise ValueError(
                "keep_data_ordered=True needs a list of inputs; with a StreamingDataLoader or a queue, "
                "use num_workers=1 to keep the order."
            )
        assert collected.stream is not None  # inputs without items or a dataloader are a stream
        return engine.plan_stream(collected.stream, node, num_workers, collected.stream_length)
    indexes = engine.node_indexes(len(collected.items), node, collected.weights)
    if keep_data_ordered or collected.weights is not None:
        return engine.plan_static(collected.items, indexes, node, num_workers, collected.weights, align_chunk_size)
    sizes = file_sizes(collected.items) if sizes_from is not None else None
    return engine.plan_queue(collected.items, indexes, node, num_workers, sizes)


@dataclass
class RunPlan:
    """What one node does in a run: its inputs, its number of workers and the work of each."""

    node: NodeInfo
    inputs: Inputs
    num_workers: int
    work: engine.WorkPlan


def plan_run(
    source: InputSource,
    num_workers: int | None,
    ordered: bool,
    align_chunk_size: int | None = None,
    sizes_from: str | None = None,
    node: NodeInfo | None = None,
) -> RunPlan:
    """Collect this node's inputs and split them between its workers; a single node never starts more workers than
    it has inputs."""
    node = detect_node() if node is None else node
    workers = resolve_num_workers(num_workers)
    collected = collect_inputs(source, workers, node)
    if node.num_nodes == 1 and collected.items is not None:
        workers = min(workers, len(collected.items))
    return RunPlan(node, collected, workers, work_plan(collected, node, workers, ordered, align_chunk_size, sizes_from))


# -------------------------------------------------------------------------------------------------------- execute


def execute_optimize(job: Job, run: RunPlan, mode: str | None, start_method: str, verbose: bool) -> dict | None:
    """Clear what killed runs left, number the new chunks after the existing ones, resume from checkpoints, then run
    the workers: they write the chunk files and, in the run's staging folder, their own index files. Returns the
    dataset that was there (its index), which `finish_optimize_run` extends or replaces."""
    output, node, plan = job.output, run.node, run.work
    existing_index = engine.prepare_output(output, mode, node, run.num_workers, job.use_checkpoint)
    first_chunk = engine.next_chunk_indexes(existing_index)
    for share in plan.shares:
        share.first_chunk_index = first_chunk.get(share.rank, 0)
    if job.use_checkpoint:
        engine.apply_checkpoints(plan, output, (run.num_workers, node, job.writer_options))
    engine.run_workers(job, plan, start_method, verbose, "Optimizing")
    return existing_index


# --------------------------------------------------------------------------------------------------------- finish


def finish_optimize_run(output: Output, run: RunPlan, mode: str | None, existing_index: dict | None) -> None:
    """Merge the workers' indexes into ``index.json`` (append: after the existing chunks; overwrite: the chunks only
    the old dataset used are deleted once the new index is in place)."""
    ranks = [share.rank for share in run.work.shares]
    appended, replaced = (existing_index, None) if mode == "append" else (None, existing_index)
    timeout = settings.OPTIMIZER_TIMEOUT.get()
    engine.finish_optimize(output, run.node, ranks, appended, timeout, replaced_index=replaced)


def warn_if_empty(output: Output, output_dir: Any, node: NodeInfo) -> None:
    """Warn when the finished dataset holds no sample (``fn`` returned None for every input)."""
    if not node.is_last:
        return
    index = output.read_json(_INDEX_FILENAME)
    if index is not None and not index.get("chunks"):
        warnings.warn(
            f"optimize wrote no sample into {output_dir}: fn returned None (or yielded nothing) for every input, so "
            "the dataset is empty. fn must return the sample to store, e.g. `return {'index': index, ...}`.",
            UserWarning,
            stacklevel=3,
        )


class Status:
    """The status lines LitData 0.2.76 prints with ``verbose=True`` (besides the progress bar)."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self._started = time.perf_counter()

    def say(self, line: str) -> None:
        if self.verbose:
            print(line, flush=True)

    def setup(self, output_path: str, fast_dev_run: bool | int) -> None:
        self.say(f"Storing the files under {output_path}")
        self.say(f"Setup started with fast_dev_run={fast_dev_run}.")

    def found(self, collected: Inputs, num_workers: int) -> None:
        if collected.items is not None:
            count: int | None = len(collected.items)
        else:
            count = len(collected.dataloader) if collected.dataloader is not None else collected.stream_length
        elapsed = round(time.perf_counter() - self._started, 3)
        if count is None:
            self.say(f"Setup finished in {elapsed} seconds. Using a Queue to process items on demand.")
            self.say(f"Starting {num_workers} workers.")
        else:
            self.say(f"Setup finished in {elapsed} seconds. Found {count} items to process.")
            self.say(f"Starting {num_workers} workers with {count} items.")
