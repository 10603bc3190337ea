"""Pure sample-order logic: splitting chunks over ranks and workers, and the item order inside a piece.

Intervals are ``(chunk_start, roi_start, roi_end, chunk_end)`` in absolute item ids, one per chunk id. A *piece* is
the part of one chunk's region of interest given to one worker, written as an interval of the same shape.
"""

from collections.abc import Sequence

import numpy as np

Interval = tuple[int, int, int, int]


def roi_size(interval: Sequence[int]) -> int:
    """Number of items in the region of interest of ``interval``."""
    return max(0, interval[2] - interval[1])


def worker_item_budgets(
    num_items: int, world_size: int, num_workers: int, batch_size: int, drop_last: bool
) -> list[int]:
    """Items each global worker (rank-major) receives when ``num_items`` are dealt out in whole batches.

    Every rank gets the same number of batches, spread over its workers with the first ones taking one more; the
    items that do not fill a batch on every rank go to worker ``batches_per_rank % num_workers`` of the last rank
    unless ``drop_last`` is set.
    """
    num_workers = max(num_workers, 1)
    batches_per_rank = num_items // batch_size // world_size
    base, extra = divmod(batches_per_rank, num_workers)
    per_rank = [(base + (worker < extra)) * batch_size for worker in range(num_workers)]
    budgets = per_rank * world_size
    if not drop_last:
        leftover = num_items - world_size * batches_per_rank * batch_size
        budgets[(world_size - 1) * num_workers + extra] += leftover
    return budgets


def assign_chunks_to_workers(
    chunk_order: Sequence[int] | np.ndarray,
    intervals: Sequence[Sequence[int]],
    world_size: int,
    num_workers: int,
    batch_size: int,
    drop_last: bool,
) -> tuple[list[list[int]], list[list[Interval]]]:
    """Deal the chunks of ``chunk_order`` out to every global worker, in order, splitting chunks at budget ends.

    Returns, per global worker ``rank * num_workers + worker_id``, its chunk ids and their pieces. A chunk that
    overflows a worker's budget gives its lowest item ids to that worker and the rest to the following workers.
    """
    budgets = worker_item_budgets(
        sum(roi_size(intervals[chunk]) for chunk in chunk_order), world_size, num_workers, batch_size, drop_last
    )
    chunks_per_worker: list[list[int]] = [[] for _ in budgets]
    pieces_per_worker: list[list[Interval]] = [[] for _ in budgets]
    worker = 0
    for chunk in map(int, chunk_order):
        chunk_start, low, high, chunk_end = intervals[chunk]
        while low < high:
            while worker < len(budgets) and budgets[worker] == 0:
                worker += 1
            if worker == len(budgets):
                return chunks_per_worker, pieces_per_worker
            taken = min(high - low, budgets[worker])
            chunks_per_worker[worker].append(chunk)
            pieces_per_worker[worker].append((chunk_start, low, low + taken, chunk_end))
            budgets[worker] -= taken
            low += taken
    return chunks_per_worker, pieces_per_worker


def item_order(
    piece_lo: int, piece_hi: int, seed: int, num_chunks: int, epoch: int, chunk_id: int, window: int
) -> np.ndarray:
    """Shuffled item ids ``piece_lo .. piece_hi - 1`` of one piece of chunk ``chunk_id``.

    With ``window <= 1`` the piece is fully permuted; otherwise it is cut into blocks of ``window`` items from the
    piece start, each block is shuffled, then the blocks are visited in a shuffled order.
    """
    items = np.arange(piece_lo, piece_hi)
    if len(items) < 2:
        return items
    rng = np.random.RandomState([seed, num_chunks, epoch, chunk_id])
    if window <= 1:
        return rng.permutation(items)
    blocks = [items[start : start + window] for start in range(0, len(items), window)]
    for block in blocks:
        rng.shuffle(block)
    if len(blocks) > 1:
        rng.shuffle(blocks)
    return np.concatenate(blocks)


def distinct_chunks_per_node(chunks_per_worker: Sequence[Sequence[int]], num_nodes: int) -> list[list[int]]:
    """Chunk ids held by each node's workers (global workers split evenly over nodes), in first-seen order."""
    workers_per_node = len(chunks_per_worker) // num_nodes
    node_chunks = []
    for node in range(num_nodes):
        workers = chunks_per_worker[node * workers_per_node : (node + 1) * workers_per_node]
        node_chunks.append(list(dict.fromkeys(int(chunk) for chunks in workers for chunk in chunks)))
    return node_chunks


def shuffle_chunks_within_nodes(node_chunks: Sequence[Sequence[int]], seed: int, epoch: int) -> list[list[int]]:
    """Permute each node's chunk ids with its own generator ``RandomState([seed, epoch, node])``."""
    return [
        [int(chunk) for chunk in np.random.RandomState([seed, epoch, node]).permutation(chunks)] if chunks else []
        for node, chunks in enumerate(node_chunks)
    ]
