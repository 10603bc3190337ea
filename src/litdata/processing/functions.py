"""Public processing API: `optimize`, `map`, `walk` and `merge_datasets`."""

from __future__ import annotations

import concurrent.futures
import inspect
import itertools
import multiprocessing
import os
import pickle
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import litdata.processing.data_processor as engine
import litdata.settings as settings
from litdata.constants import _INDEX_FILENAME
from litdata.format.item_loader import BaseItemLoader
from litdata.format.writer import BinaryWriter
from litdata.processing.keys_index import write_keys_index
from litdata.processing.nodes import NodeInfo, detect_node
from litdata.processing.output import resolve_output
from litdata.processing.ray import RayExecutor, select_executor
from litdata.processing.readers import BaseReader
from litdata.processing.spawn_guard import exit_if_spawn_bootstrap
from litdata.processing.staging import exclusive_run
from litdata.processing.workers import Job, is_generator_function
from litdata.utilities.encryption import Encryption
from litdata.utilities.progress import progress_bar

if TYPE_CHECKING:
    import multiprocessing as mp

    from litdata.processing.nodes import Machine
    from litdata.streaming.loading.dataloader import StreamingDataLoader

_FAST_DEV_RUN_ITEMS = 10
_NODE_TIMEOUT_ENV = settings.OPTIMIZER_TIMEOUT.name
_MODES = (None, "append", "overwrite")


def _is_streaming_dataloader(obj: Any) -> bool:
    """Whether ``obj`` is a StreamingDataLoader (without importing torch when none can exist yet)."""
    module = sys.modules.get("litdata.streaming.loading.dataloader")
    return module is not None and isinstance(obj, module.StreamingDataLoader)


def _refuse_platform_only(num_nodes: int | None, machine: Any) -> None:
    if num_nodes is not None or machine is not None:
        raise ValueError(
            "`num_nodes` and `machine` launch a job on the Lightning platform, which is not available here. "
            "To use several machines, start the same script on each of them with DATA_OPTIMIZER_NUM_NODES and "
            "DATA_OPTIMIZER_NODE_RANK set, or launch it with SLURM (srun) or torchrun (--nnodes): every node then "
            "processes its share of the inputs into the shared output_dir."
        )


def _resolve_num_workers(num_workers: int | None) -> int:
    if num_workers is None:
        return os.cpu_count() or 1
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be a non-negative integer or None, got {num_workers!r}.")
    return max(1, num_workers)


def _resolve_start_method(start_method: str | None) -> str:
    """``fork`` in notebooks; elsewhere ``forkserver`` where the platform has it (workers are forked from a server
    that imported litdata's worker code once per process, instead of each starting a new interpreter), else
    ``spawn``."""
    if start_method is not None:
        return start_method
    if "ipykernel" in sys.modules:
        return "fork"
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _fast_dev_run_limit(fast_dev_run: bool | int) -> int | None:
    """Number of inputs kept by ``fast_dev_run``: True means 10 in total (LitData's ``[:True]`` kept 1 per worker)."""
    if fast_dev_run is False or fast_dev_run is None:
        return None
    if fast_dev_run is True:
        return _FAST_DEV_RUN_ITEMS
    if not isinstance(fast_dev_run, int) or fast_dev_run < 1:
        raise ValueError(f"fast_dev_run must be a bool or a positive int, got {fast_dev_run!r}.")
    return fast_dev_run


def _check_local_input_dir(input_dir: str | Path | None) -> str | None:
    if input_dir is None:
        return None
    location = str(getattr(input_dir, "url", None) or getattr(input_dir, "path", None) or input_dir)
    if "://" in location:
        raise ValueError(
            f"Reading inputs from a remote input_dir ({location}) is not supported yet; download them first "
            "and pass local paths."
        )
    return location


def _first_path(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    values = item.values() if isinstance(item, dict) else item if isinstance(item, (list, tuple)) else ()
    return next((value for value in values if isinstance(value, str)), None)


def _file_sizes(items: Sequence[Any]) -> list[int]:
    """Size of the file named by each input's first string (0 when it is not a file)."""
    sizes = []
    for item in items:
        path = _first_path(item)
        sizes.append(os.path.getsize(path) if path is not None and os.path.isfile(path) else 0)
    return sizes


@dataclass
class _Inputs:
    """The user's inputs after reader remapping, batching and ``fast_dev_run``: a list, or a lazy stream."""

    items: list[Any] | None
    weights: list[int] | None
    stream: Iterable[Any] | None = None
    stream_length: int | None = None
    dataloader: Any = None  # a StreamingDataLoader that every worker iterates for its own part


def _iter_user_queue(user_queue: Any) -> Iterator[Any]:
    """Items from the user's queue until it yields `ALL_DONE` (or None)."""
    while (item := user_queue.get()) is not None and not (isinstance(item, str) and item == engine.ALL_DONE):
        yield item


def _collect_inputs(
    inputs: Any,
    user_queue: Any,
    reader: BaseReader | None,
    weights: list[int] | None,
    batch_size: int | None,
    fast_dev_run: bool | int,
    num_workers: int,
    node: NodeInfo,
) -> _Inputs:
    limit = _fast_dev_run_limit(fast_dev_run)
    if (inputs is None) == (user_queue is None):
        raise ValueError("Pass exactly one of `inputs` (a list or a StreamingDataLoader) or `queue`.")
    if user_queue is not None or _is_streaming_dataloader(inputs):
        if batch_size is not None or weights is not None or reader is not None:
            raise ValueError(
                "`batch_size`, `weights` and `reader` cannot be used when the inputs come from a StreamingDataLoader "
                "or a queue; batch with the dataloader's own batch_size instead."
            )
        if user_queue is not None:
            return _Inputs(None, None, stream=itertools.islice(_iter_user_queue(user_queue), limit))
        if node.num_nodes == 1 and limit is None:
            return _Inputs(None, None, dataloader=inputs)
        share = engine.split_contiguously(len(inputs), node.num_nodes)[node.rank]
        stop = share.stop if limit is None else min(share.stop, share.start + limit)
        return _Inputs(None, None, stream=itertools.islice(inputs, share.start, stop), stream_length=stop - share.start)
    if not isinstance(inputs, Sequence) or isinstance(inputs, (str, bytes)):
        raise ValueError(f"`inputs` must be a list (or another sequence) or a StreamingDataLoader, got {type(inputs)}.")
    if len(inputs) == 0:
        raise ValueError(f"The provided inputs should be non empty. Found {inputs!r}.")
    if weights is not None:
        if reader is not None:
            raise ValueError("`weights` cannot be combined with a `reader`; the reader decides the work items.")
        if len(weights) != len(inputs):
            raise ValueError(f"Got {len(weights)} weights for {len(inputs)} inputs; pass one weight per input.")
    items = reader.remap_items(inputs, num_workers) if reader is not None else list(inputs)
    weights = list(weights) if weights is not None else None
    if batch_size is not None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        starts = range(0, len(items), batch_size)
        items = [items[start : start + batch_size] for start in starts]
        weights = [sum(weights[start : start + batch_size]) for start in starts] if weights is not None else None
    if limit is not None:
        items = items[:limit]
        weights = weights[:limit] if weights is not None else None
    return _Inputs(items, weights)


def _plan(
    collected: _Inputs,
    node: NodeInfo,
    num_workers: int,
    keep_data_ordered: bool,
    align_chunk_size: int | None,
    sizes_from: str | None,
) -> engine.WorkPlan:
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
    sizes = _file_sizes(collected.items) if sizes_from is not None else None
    return engine.plan_queue(collected.items, indexes, node, num_workers, sizes)


def _effective_num_workers(num_workers: int, collected: _Inputs, node: NodeInfo) -> int:
    """A single node never starts more workers than it has inputs."""
    if node.num_nodes == 1 and collected.items is not None:
        return min(num_workers, len(collected.items))
    return num_workers


def _check_picklable(kind: str, fn: Callable[..., Any], start_method: str, **parts: Any) -> None:
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


def _warn_if_empty(output: Any, output_dir: Any, node: NodeInfo) -> None:
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


def _node_timeout() -> float | None:
    return settings.OPTIMIZER_TIMEOUT.get()


def optimize(
    fn: Callable[[Any], Any],
    inputs: Sequence[Any] | StreamingDataLoader | None = None,
    output_dir: str = "optimized_data",
    queue: mp.Queue | None = None,
    input_dir: str | None = None,
    weights: list[int] | None = None,
    chunk_size: int | None = None,
    chunk_bytes: int | str | None = None,
    align_chunking: bool = False,
    compression: str | None = None,
    compression_level: str | None = None,
    compression_batch_size: int | None = None,
    encryption: Encryption | None = None,
    num_workers: int | None = None,
    fast_dev_run: bool = False,
    num_nodes: int | None = None,
    machine: Machine | str | None = None,
    num_downloaders: int | None = None,
    num_uploaders: int | None = None,
    reorder_files: bool = True,
    reader: BaseReader | None = None,
    batch_size: int | None = None,
    mode: Literal["append", "overwrite"] | None = None,
    use_checkpoint: bool = False,
    item_loader: BaseItemLoader | None = None,
    start_method: str | None = None,
    optimize_dns: bool | None = None,
    storage_options: dict[str, Any] = {},  # noqa: B006 - LitData's default, never mutated
    keep_data_ordered: bool | None = None,
    verbose: bool = True,
    broadcast_paths: bool = False,
    key_fn: Callable[[Any], Any] | None = None,
    executor: str | RayExecutor | None = None,
) -> None:
    """Turn inputs into an optimized (chunked) dataset in ``output_dir``, using worker processes.

    ``fn(input)`` returns a sample, ``None`` (skipped) or is a generator yielding several samples. Exactly one of
    ``chunk_size`` (items per chunk) or ``chunk_bytes`` (e.g. ``"64MB"``) is required. By default workers pull
    inputs from a shared queue, so the sample order in the dataset is not the input order; pass
    ``keep_data_ordered=True`` (implied by ``use_checkpoint`` and ``align_chunking``) for contiguous slices per
    worker and a dataset in input order. ``mode`` is ``None`` (refuse an existing dataset), ``"append"`` or
    ``"overwrite"``. On several machines, set ``DATA_OPTIMIZER_NUM_NODES``/``DATA_OPTIMIZER_NODE_RANK`` (or use
    SLURM / torchrun): each node processes a contiguous share and the last node writes ``index.json``.
    ``num_downloaders``, ``num_uploaders``, ``optimize_dns``, ``storage_options`` and ``broadcast_paths`` only
    matter for remote storage or the Lightning platform and have no effect on local folders. ``executor="ray"``
    (or a `litdata.processing.ray.RayExecutor`, or ``LITDATA_EXECUTOR=ray``) runs the job on a Ray cluster.
    """
    exit_if_spawn_bootstrap()
    ray_executor = select_executor(executor, num_nodes, machine)
    if ray_executor is None:
        _refuse_platform_only(num_nodes, machine)
    if mode not in _MODES:
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
    writer_options: dict[str, Any] = {
        "chunk_size": chunk_size,
        "chunk_bytes": chunk_bytes,
        "compression": compression,
        "compression_level": compression_level,
        "compression_batch_size": compression_batch_size,
        "encryption": encryption,
        "item_loader": item_loader,
    }
    with tempfile.TemporaryDirectory() as scratch:  # the writer validates its settings before any worker starts
        BinaryWriter(scratch, **writer_options)
    output = resolve_output(output_dir, storage_options)
    status = _Status(verbose)
    status.setup(output.path, fast_dev_run)
    sizes_from = _check_local_input_dir(input_dir) if reorder_files else None
    if ray_executor is not None:  # the same job as Ray tasks (litdata.processing.ray)
        ray_inputs = _collect_inputs(inputs, queue, reader, weights, batch_size, fast_dev_run, 1, NodeInfo(1, 0))
        align = chunk_size if align_chunking else None
        with exclusive_run(output, 0):  # one run per output, as on one machine
            ray_executor.optimize(fn, ray_inputs, output, mode, reader, writer_options, align, verbose, use_checkpoint)
        return
    node = detect_node()
    num_workers = _resolve_num_workers(num_workers)
    collected = _collect_inputs(inputs, queue, reader, weights, batch_size, fast_dev_run, num_workers, node)
    num_workers = _effective_num_workers(num_workers, collected, node)
    status.found(collected, num_workers)
    ordered = bool(keep_data_ordered) or use_checkpoint or align_chunking
    plan = _plan(collected, node, num_workers, ordered, chunk_size if align_chunking else None, sizes_from)
    start_method = _resolve_start_method(start_method)
    _check_picklable("optimize", fn, start_method, reader=reader, writer_options=writer_options)

    with exclusive_run(output, node.rank):  # one run per output; killed runs never leak into this one
        existing_index = engine.prepare_output(output, mode, node, num_workers, use_checkpoint)
        first_chunk = engine.next_chunk_indexes(existing_index)
        for share in plan.shares:
            share.first_chunk_index = first_chunk.get(share.rank, 0)
        if use_checkpoint:
            engine.apply_checkpoints(plan, output, (num_workers, node, writer_options))
        job = Job(
            "optimize",
            fn,
            output,
            num_workers,
            reader=reader,
            writer_options=writer_options,
            use_checkpoint=use_checkpoint,
        )
        engine.run_workers(job, plan, start_method, verbose, "Optimizing")
        status.say("Workers are finished.")
        ranks = [share.rank for share in plan.shares]
        appended, replaced = (existing_index, None) if mode == "append" else (None, existing_index)
        engine.finish_optimize(output, node, ranks, appended, _node_timeout(), replaced_index=replaced)
        status.say("Finished data processing!")
        if key_fn is not None and node.is_last:
            write_keys_index(output, key_fn, verbose, storage_options=storage_options, encryption=encryption)
    _warn_if_empty(output, output_dir, node)


class _Status:
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

    def found(self, collected: _Inputs, num_workers: int) -> None:
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


def _fn_accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


def map(
    fn: Callable[..., Any],
    inputs: Sequence[Any] | StreamingDataLoader,
    output_dir: str | Path | Any,
    input_dir: str | Path | None = None,
    weights: list[int] | None = None,
    num_workers: int | None = None,
    fast_dev_run: bool | int = False,
    num_nodes: int | None = None,
    machine: Machine | str | None = None,
    num_downloaders: int | None = None,
    num_uploaders: int | None = None,
    reorder_files: bool = True,
    error_when_not_empty: bool = False,
    reader: BaseReader | None = None,
    batch_size: int | None = None,
    start_method: str | None = None,
    optimize_dns: bool | None = None,
    storage_options: dict[str, Any] = {},  # noqa: B006 - LitData's default, never mutated
    keep_data_ordered: bool | None = None,
    broadcast_paths: bool = False,
    executor: str | RayExecutor | None = None,
) -> None:
    """Call ``fn(input, output_dir)`` for every input in worker processes; the files it writes land in ``output_dir``.

    ``fn`` receives a private temporary folder as ``output_dir``; after each call the files in it are moved into
    the real ``output_dir``, keeping their relative paths. If ``fn`` accepts ``device`` it gets ``"cuda:N"`` (or
    ``"cpu"``), if it accepts ``is_last`` it learns whether the input is the worker's last. Inputs are pulled from
    a shared queue unless ``keep_data_ordered=True``. ``error_when_not_empty=True`` refuses a non-empty
    ``output_dir``. ``executor`` moves the job to a Ray cluster, as with `optimize`.
    """
    exit_if_spawn_bootstrap()
    ray_executor = select_executor(executor, num_nodes, machine)
    if ray_executor is None:
        _refuse_platform_only(num_nodes, machine)
    output = resolve_output(output_dir, storage_options)
    if error_when_not_empty and not output.is_empty():
        raise RuntimeError(
            f"The provided output_dir `{output.path}` is not empty and error_when_not_empty=True. "
            "Use an empty or new folder."
        )
    sizes_from = _check_local_input_dir(input_dir) if reorder_files else None
    if ray_executor is not None:  # the same job as Ray tasks (litdata.processing.ray)
        ray_inputs = _collect_inputs(inputs, None, reader, weights, batch_size, fast_dev_run, 1, NodeInfo(1, 0))
        wants = _fn_accepts(fn, "device"), _fn_accepts(fn, "is_last")
        ray_executor.map(fn, ray_inputs, output, reader, *wants)
        return
    node = detect_node()
    num_workers = _resolve_num_workers(num_workers)
    collected = _collect_inputs(inputs, None, reader, weights, batch_size, fast_dev_run, num_workers, node)
    num_workers = _effective_num_workers(num_workers, collected, node)
    plan = _plan(collected, node, num_workers, bool(keep_data_ordered), None, sizes_from)
    start_method = _resolve_start_method(start_method)
    _check_picklable("map", fn, start_method, reader=reader)
    output.ensure_exists()
    job = Job(
        "map",
        fn,
        output,
        num_workers,
        reader=reader,
        fn_wants_device=_fn_accepts(fn, "device"),
        fn_wants_is_last=_fn_accepts(fn, "is_last"),
    )
    engine.run_workers(job, plan, start_method, True, "Mapping")


def walk(folder: str, max_workers: int | None = os.cpu_count()) -> Iterator[tuple[str, list[str], list[str]]]:
    """Like `os.walk`, but lists folders concurrently in a thread pool (so the order is not depth-first)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as pool:
        pending = {pool.submit(_list_folder, str(folder))}
        while pending:
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                path, folders, files = future.result()
                yield path, folders, files
                pending.update(pool.submit(_list_folder, os.path.join(path, name)) for name in folders)


def _list_folder(path: str) -> tuple[str, list[str], list[str]]:
    folders: list[str] = []
    files: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            (folders if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
    return path, folders, files


def _merged_chunk_name(number: int, config: dict[str, Any]) -> str:
    compression = config.get("compression")
    whole_file = compression and config.get("compression_level") not in ("batch", "sample")
    return f"chunk-0-{number}.{compression}.bin" if whole_file else f"chunk-0-{number}.bin"


def merge_datasets(
    input_dirs: list[str],
    output_dir: str,
    max_workers: int | None = os.cpu_count(),
    storage_options: dict = {},  # noqa: B006
    verbose: bool = True,
) -> None:
    """Combine optimized datasets with the same format into ``output_dir`` (chunks copied as ``chunk-0-{n}``).

    A progress bar on stderr counts the chunks copied; ``verbose=False`` (or ``TQDM_DISABLE=1``) hides it."""
    if len(input_dirs) < 2:
        raise ValueError(f"There should be more than 1 input directory to merge, got {len(input_dirs)}.")
    sources = [resolve_output(path, storage_options) for path in input_dirs]
    output = resolve_output(output_dir, storage_options)
    indexes: list[Any] = [source.read_json(_INDEX_FILENAME) for source in sources]  # None: no index (refused below)
    missing = [source.path for source, index in zip(sources, indexes) if index is None]
    if missing:
        raise ValueError(f"One of the provided input_dir doesn't have an index file: {missing}.")
    if output.exists(_INDEX_FILENAME):
        raise ValueError(f"The output_dir `{output.path}` already contains an optimized dataset; use a new folder.")
    first = indexes[0]["config"]
    for key, label in (("data_format", "data formats"), ("compression", "compression configuration")):
        if any(index["config"].get(key) != first.get(key) for index in indexes):
            raise ValueError(f"Your are trying to merge datasets with different {label}; they must be identical.")
    copies: list[tuple[Any, str, str]] = []
    chunks: list[dict[str, Any]] = []
    for source, index in zip(sources, indexes):
        for chunk in index["chunks"]:
            name = _merged_chunk_name(len(chunks), first)
            copies.append((source, chunk["filename"], name))
            chunks.append(dict(chunk, filename=name))
    output.ensure_exists()

    def copy(job: tuple[Any, str, str]) -> None:
        source, filename, name = job
        output.put_file(source.local_path(filename), name)

    with (
        progress_bar("Merging datasets", len(copies), "chunks", verbose) as bar,
        concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as pool,
    ):
        for future in concurrent.futures.as_completed([pool.submit(copy, job) for job in copies]):
            future.result()
            bar.update(1)
    output.write_json(_INDEX_FILENAME, {"config": first, "chunks": chunks})
