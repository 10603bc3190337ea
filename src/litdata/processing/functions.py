"""Public processing API: `optimize`, `map`, `walk` and `merge_datasets`."""

from __future__ import annotations

import concurrent.futures
import inspect
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from litdata.constants import _INDEX_FILENAME
from litdata.format.item_loader import BaseItemLoader
from litdata.processing import data_processor as engine
from litdata.processing import steps
from litdata.processing.keys_index import write_keys_index
from litdata.processing.nodes import NodeInfo
from litdata.processing.output import resolve_output
from litdata.processing.ray import RayExecutor
from litdata.processing.readers import BaseReader
from litdata.processing.spawn_guard import exit_if_spawn_bootstrap
from litdata.processing.staging import exclusive_run
from litdata.processing.workers import Job
from litdata.utilities.encryption import Encryption
from litdata.utilities.progress import progress_bar

if TYPE_CHECKING:
    import multiprocessing as mp

    from litdata.processing.nodes import Machine
    from litdata.streaming.loading.dataloader import StreamingDataLoader


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
    ray_executor = steps.choose_executor(executor, num_nodes, machine)
    steps.check_optimize_arguments(fn, mode, key_fn, use_checkpoint, keep_data_ordered, align_chunking, chunk_size)
    options = steps.writer_options(
        chunk_size=chunk_size,
        chunk_bytes=chunk_bytes,
        compression=compression,
        compression_level=compression_level,
        compression_batch_size=compression_batch_size,
        encryption=encryption,
        item_loader=item_loader,
    )
    output = resolve_output(output_dir, storage_options)
    status = steps.Status(verbose)
    status.setup(output.path, fast_dev_run)
    sizes_from = steps.check_local_input_dir(input_dir) if reorder_files else None
    source = steps.InputSource(inputs, queue, reader, weights, batch_size, fast_dev_run)
    align = chunk_size if align_chunking else None
    if ray_executor is not None:  # the same job as Ray tasks (litdata.processing.ray)
        ray_inputs = steps.collect_inputs(source, 1, NodeInfo(1, 0))
        with exclusive_run(output, 0):  # one run per output, as on one machine
            ray_executor.optimize(fn, ray_inputs, output, mode, reader, options, align, verbose, use_checkpoint)
        return
    ordered = bool(keep_data_ordered) or use_checkpoint or align_chunking
    run = steps.plan_run(source, num_workers, ordered, align, sizes_from)
    status.found(run.inputs, run.num_workers)
    method = steps.resolve_start_method(start_method)
    steps.check_picklable("optimize", fn, method, reader=reader, writer_options=options)
    job = Job("optimize", fn, output, run.num_workers, reader, options, use_checkpoint)
    with exclusive_run(output, run.node.rank):  # one run per output; killed runs never leak into this one
        existing_index = steps.execute_optimize(job, run, mode, method, verbose)
        status.say("Workers are finished.")
        steps.finish_optimize_run(output, run, mode, existing_index)
        status.say("Finished data processing!")
        if key_fn is not None and run.node.is_last:
            write_keys_index(output, key_fn, verbose, storage_options=storage_options, encryption=encryption)
    steps.warn_if_empty(output, output_dir, run.node)


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
    ray_executor = steps.choose_executor(executor, num_nodes, machine)
    output = resolve_output(output_dir, storage_options)
    if error_when_not_empty and not output.is_empty():
        raise RuntimeError(
            f"The provided output_dir `{output.path}` is not empty and error_when_not_empty=True. "
            "Use an empty or new folder."
        )
    sizes_from = steps.check_local_input_dir(input_dir) if reorder_files else None
    source = steps.InputSource(inputs, None, reader, weights, batch_size, fast_dev_run)
    wants = _fn_accepts(fn, "device"), _fn_accepts(fn, "is_last")
    if ray_executor is not None:  # the same job as Ray tasks (litdata.processing.ray)
        ray_executor.map(fn, steps.collect_inputs(source, 1, NodeInfo(1, 0)), output, reader, *wants)
        return
    run = steps.plan_run(source, num_workers, bool(keep_data_ordered), None, sizes_from)
    method = steps.resolve_start_method(start_method)
    steps.check_picklable("map", fn, method, reader=reader)
    output.ensure_exists()
    job = Job("map", fn, output, run.num_workers, reader=reader, fn_wants_device=wants[0], fn_wants_is_last=wants[1])
    engine.run_workers(job, run.work, method, True, "Mapping")


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
