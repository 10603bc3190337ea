"""Resuming an epoch from a checkpoint: strict replay on the same topology, elastic restripe on a new one.

Strict replay: ``split_samples_across_workers`` tells each worker of a rank how many items it had served, and
``skip_consumed`` turns that count into a position in the worker's piece list.

Elastic restripe (world size, workers or batch size changed): the original epoch is rebuilt per original global
worker, ``lockstep_stream`` merges it into the single order in which all ranks consumed it, and ``elastic_plan``
drops what the checkpoint says was consumed and deals the rest out to the new grid of ranks and workers.
"""

from collections.abc import Sequence

import numpy as np


def split_samples_across_workers(num_samples_yielded: int, num_workers: int, batch_size: int) -> list[int]:
    """Items each worker of one rank had served when the rank's loader had yielded ``num_samples_yielded`` items.

    The loader asks workers for batches round-robin from worker 0: whole rounds first, then whole batches to
    workers 0, 1, ..., and a final partial batch to the next worker.
    """
    num_workers = max(num_workers, 1)
    rounds, rest = divmod(num_samples_yielded, num_workers * batch_size)
    served = [rounds * batch_size] * num_workers
    for worker in range(num_workers):
        taken = min(rest, batch_size)
        served[worker] += taken
        rest -= taken
    return served


def skip_consumed(pieces: Sequence[Sequence[int]], consumed: int) -> tuple[int, int]:
    """Position after the first ``consumed`` items of a worker's pieces: ``(piece index, items into that piece)``.

    The piece index equals ``len(pieces)`` when everything was consumed.
    """
    for index, piece in enumerate(pieces):
        size = piece[2] - piece[1]
        if consumed < size:
            return index, consumed
        consumed -= size
    return len(pieces), 0


def elastic_drop_count(sample_in_epoch: int, world_size: int, batch_size: int, round_to_batches: bool = True) -> int:
    """Items of the merged epoch stream to skip on an elastic resume.

    ``sample_in_epoch`` is rounded down to whole rounds of the new grid (``world_size * batch_size``), so up to one
    round is served again rather than lost; WindowShuffle resumes pass ``round_to_batches=False``.
    """
    if not round_to_batches:
        return sample_in_epoch
    return sample_in_epoch - sample_in_epoch % (world_size * batch_size)


def lockstep_stream(
    worker_sequences: Sequence[Sequence[int] | np.ndarray], world_size: int, num_workers: int, batch_size: int
) -> np.ndarray:
    """Positions (into the concatenation of ``worker_sequences``) in the order the original ranks consumed them.

    ``worker_sequences`` holds one sequence per original global worker (rank-major). Batch ``b`` of the merged run
    comes from rank ``b % world_size``, worker ``(b // world_size) % num_workers``; a worker with nothing left
    contributes nothing to its batch.
    """
    num_workers = max(num_workers, 1)
    lengths = [len(sequence) for sequence in worker_sequences]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cursors = [0] * len(lengths)
    remaining = sum(lengths)
    parts = []
    batch = 0
    while remaining:
        rank, round_index = batch % world_size, batch // world_size
        worker = rank * num_workers + round_index % num_workers
        taken = min(batch_size, lengths[worker] - cursors[worker])
        if taken:
            start = offsets[worker] + cursors[worker]
            parts.append(np.arange(start, start + taken))
            cursors[worker] += taken
            remaining -= taken
        batch += 1
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def elastic_plan(
    worker_sequences: Sequence[Sequence[int] | np.ndarray],
    original_topology: tuple[int, int, int],
    new_topology: tuple[int, int, int],
    drop_count: int,
    drop_last: bool,
    worker_chunks: Sequence[Sequence[int] | np.ndarray] | None = None,
) -> list[list[int]]:
    """Items each new global worker reads for the rest of an epoch resumed on a different topology.

    Args:
        worker_sequences: the original epoch's item ids per original global worker, in reading order.
        original_topology: ``(world_size, num_workers, batch_size)`` of the run that wrote the checkpoint.
        new_topology: ``(world_size, num_workers, batch_size)`` of the resuming run.
        drop_count: items of the merged stream already consumed (see ``elastic_drop_count``).
        drop_last: keep only what fills every new worker equally (whole batches, or whole chunk visits).
        worker_chunks: chunk id of every item of ``worker_sequences``; when given (WindowShuffle), the rest is
            dealt out in whole chunk visits instead of single items.

    Returns:
        One list of item ids per new global worker (rank-major), in reading order.
    """
    order = lockstep_stream(worker_sequences, *original_topology)
    stream = _concatenated(worker_sequences)[order]
    world_size, num_workers, batch_size = new_topology
    num_workers = max(num_workers, 1)
    if worker_chunks is None:
        return _deal_items(stream[drop_count:], world_size, num_workers, batch_size, drop_last)
    chunks = _concatenated(worker_chunks)[order]
    return _deal_chunk_visits(stream, chunks, drop_count, world_size * num_workers, drop_last)


def _concatenated(sequences: Sequence[Sequence[int] | np.ndarray]) -> np.ndarray:
    return np.concatenate([np.zeros(0, dtype=np.int64)] + [np.asarray(seq, dtype=np.int64) for seq in sequences])


def _deal_items(
    stream: np.ndarray, world_size: int, num_workers: int, batch_size: int, drop_last: bool
) -> list[list[int]]:
    if drop_last:
        stream = stream[: len(stream) - len(stream) % (world_size * num_workers * batch_size)]
    batch = np.arange(len(stream)) // batch_size
    worker = (batch % world_size) * num_workers + (batch // world_size) % num_workers
    return [stream[worker == g].tolist() for g in range(world_size * num_workers)]


def _deal_chunk_visits(
    items: np.ndarray, chunks: np.ndarray, drop_count: int, num_global_workers: int, drop_last: bool
) -> list[list[int]]:
    start = drop_count
    while 0 < start < len(chunks) and chunks[start] == chunks[start - 1]:
        start += 1
    items, chunks = items[start:], chunks[start:]
    visit_starts = np.flatnonzero(np.diff(chunks, prepend=-1) != 0)
    visits = np.split(items, visit_starts[1:]) if len(items) else []
    if drop_last:
        visits = visits[: len(visits) - len(visits) % num_global_workers]
    plan: list[list[int]] = [[] for _ in range(num_global_workers)]
    for index, visit in enumerate(visits):
        plan[index % num_global_workers] += visit.tolist()
    return plan
