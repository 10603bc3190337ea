import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from litdata.utilities.shuffle import (
    assign_chunks_to_workers,
    distinct_chunks_per_node,
    item_order,
    shuffle_chunks_within_nodes,
    worker_item_budgets,
)


def chunk_intervals(sizes: list[int]) -> list[tuple[int, int, int, int]]:
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return [(start, start, start + size, start + size) for start, size in zip(starts, sizes, strict=False)]


def items_per_worker(pieces_per_worker) -> list[int]:
    return [sum(piece[2] - piece[1] for piece in pieces) for pieces in pieces_per_worker]


INTERVALS_257 = chunk_intervals([16] * 16 + [1])


def test_two_workers_split_the_chunk_at_their_budget_boundary():
    chunks, pieces = assign_chunks_to_workers(range(17), INTERVALS_257, 1, 2, 4, False)
    assert items_per_worker(pieces) == [129, 128]
    assert chunks[0][-1] == chunks[1][0] == 8
    assert pieces[0][-1] == (128, 128, 129, 144)
    assert pieces[1][0] == (128, 129, 144, 144)


def test_drop_last_gives_every_worker_whole_batches_and_drops_the_rest():
    _, pieces = assign_chunks_to_workers(range(17), INTERVALS_257, 2, 2, 3, True)
    assert items_per_worker(pieces) == [63, 63, 63, 63]


def test_without_drop_last_the_leftover_goes_to_the_last_rank():
    _, pieces = assign_chunks_to_workers(range(17), INTERVALS_257, 3, 1, 5, False)
    assert items_per_worker(pieces) == [85, 85, 87]


def test_odd_item_count_over_two_ranks_gives_the_first_rank_the_lower_half():
    _, pieces = assign_chunks_to_workers(range(11), chunk_intervals([10] * 10 + [1]), 2, 1, 1, False)
    assert pieces[0] == [(0, 0, 10, 10), (10, 10, 20, 20), (20, 20, 30, 30), (30, 30, 40, 40), (40, 40, 50, 50)]
    assert items_per_worker(pieces) == [50, 51]


def test_equal_chunks_are_dealt_out_whole_to_four_ranks():
    chunks, _ = assign_chunks_to_workers(range(8), chunk_intervals([50] * 8), 4, 1, 1, True)
    assert chunks == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_uneven_chunks_are_shared_by_adjacent_ranks():
    sizes = [50, 150, 50, 12, 50, 27, 50, 33]
    chunks, pieces = assign_chunks_to_workers(range(8), chunk_intervals(sizes), 4, 1, 1, True)
    assert chunks == [[0, 1], [1, 2], [2, 3, 4, 5], [5, 6, 7]]
    assert items_per_worker(pieces) == [105, 105, 105, 105]


def test_workers_without_a_whole_batch_get_nothing():
    chunks, _ = assign_chunks_to_workers(range(4), chunk_intervals([6] * 4), 1, 8, 6, True)
    assert chunks == [[0], [1], [2], [3], [], [], [], []]


def test_chunks_are_visited_in_the_given_order():
    chunks, pieces = assign_chunks_to_workers([2, 0, 1], chunk_intervals([3, 3, 3]), 1, 1, 1, False)
    assert chunks == [[2, 0, 1]]
    assert pieces == [[(6, 6, 9, 9), (0, 0, 3, 3), (3, 3, 6, 6)]]


def test_region_of_interest_limits_the_items_assigned():
    chunks, pieces = assign_chunks_to_workers([0, 1], [(0, 2, 5, 10), (10, 10, 10, 20)], 1, 1, 1, False)
    assert chunks == [[0]]
    assert pieces == [[(0, 2, 5, 10)]]


def test_intra_node_shuffle_matches_the_golden_vector():
    worker_chunks = [[2 * i, 2 * i + 1] for i in range(8)]
    shuffled = shuffle_chunks_within_nodes(distinct_chunks_per_node(worker_chunks, 2), seed=42, epoch=0)
    assert sum(shuffled, []) == [5, 6, 4, 0, 3, 1, 7, 2, 13, 14, 10, 11, 9, 12, 15, 8]


def test_distinct_chunks_per_node_lists_shared_chunks_once():
    assert distinct_chunks_per_node([[0, 1], [1, 2], [2, 3], [3]], 2) == [[0, 1, 2], [2, 3]]


def test_item_order_of_a_small_piece_is_the_seeded_permutation():
    expected = np.random.RandomState([7, 5, 2, 3]).permutation(np.arange(30, 40))
    assert item_order(30, 40, seed=7, num_chunks=5, epoch=2, chunk_id=3, window=256).tolist() == expected.tolist()


def test_item_order_keeps_items_inside_their_aligned_window():
    order = item_order(5, 105, seed=1, num_chunks=3, epoch=1, chunk_id=0, window=10)
    blocks = order.reshape(10, 10)
    assert sorted(order.tolist()) == list(range(5, 105))
    assert all(len({(item - 5) // 10 for item in block}) == 1 for block in blocks.tolist())
    assert [(block[0] - 5) // 10 for block in blocks.tolist()] != list(range(10))


def test_item_order_with_window_zero_is_a_full_permutation():
    expected = np.random.RandomState([1, 3, 1, 0]).permutation(np.arange(0, 1000))
    assert item_order(0, 1000, seed=1, num_chunks=3, epoch=1, chunk_id=0, window=0).tolist() == expected.tolist()


def test_item_order_leaves_a_single_item_alone():
    assert item_order(9, 10, seed=1, num_chunks=3, epoch=1, chunk_id=0, window=0).tolist() == [9]


topologies = st.fixed_dictionaries(
    {
        "sizes": st.lists(st.integers(0, 40), min_size=1, max_size=12),
        "world_size": st.integers(1, 4),
        "num_workers": st.integers(0, 4),
        "batch_size": st.integers(1, 6),
        "seed": st.integers(0, 2**16),
    }
)


@settings(max_examples=60, deadline=None)
@given(topologies)
def test_with_drop_last_every_rank_gets_the_same_number_of_whole_batches(topology):
    workers = max(topology["num_workers"], 1)
    order = np.random.RandomState(topology["seed"]).permutation(len(topology["sizes"]))
    _, pieces = assign_chunks_to_workers(
        order,
        chunk_intervals(topology["sizes"]),
        topology["world_size"],
        topology["num_workers"],
        topology["batch_size"],
        True,
    )
    counts = items_per_worker(pieces)
    per_rank = [sum(counts[rank * workers : (rank + 1) * workers]) for rank in range(topology["world_size"])]
    assert len(set(per_rank)) == 1
    assert all(count % topology["batch_size"] == 0 for count in counts)
    assert (
        per_rank[0]
        == sum(topology["sizes"]) // topology["batch_size"] // topology["world_size"] * topology["batch_size"]
    )


@settings(max_examples=60, deadline=None)
@given(topologies)
def test_without_drop_last_every_item_is_assigned_exactly_once(topology):
    order = np.random.RandomState(topology["seed"]).permutation(len(topology["sizes"]))
    _, pieces = assign_chunks_to_workers(
        order,
        chunk_intervals(topology["sizes"]),
        topology["world_size"],
        topology["num_workers"],
        topology["batch_size"],
        False,
    )
    assigned = [item for worker in pieces for piece in worker for item in range(piece[1], piece[2])]
    assert sorted(assigned) == list(range(sum(topology["sizes"])))


@settings(max_examples=60, deadline=None)
@given(topologies, st.booleans())
def test_each_worker_receives_exactly_its_budget(topology, drop_last):
    args = (topology["world_size"], topology["num_workers"], topology["batch_size"], drop_last)
    _, pieces = assign_chunks_to_workers(range(len(topology["sizes"])), chunk_intervals(topology["sizes"]), *args)
    assert items_per_worker(pieces) == worker_item_budgets(sum(topology["sizes"]), *args)


@settings(max_examples=60, deadline=None)
@given(topologies)
def test_budgets_differ_by_at_most_one_batch_between_workers_of_a_rank(topology):
    budgets = worker_item_budgets(
        sum(topology["sizes"]), topology["world_size"], topology["num_workers"], topology["batch_size"], True
    )
    assert max(budgets) - min(budgets) in (0, topology["batch_size"])
    first_rank = budgets[: max(topology["num_workers"], 1)]
    assert budgets == first_rank * topology["world_size"]
    assert first_rank == sorted(first_rank, reverse=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 700), st.integers(1, 5), st.integers(0, 300), st.integers(0, 300))
def test_item_order_is_a_permutation_of_the_piece(size, epoch, seed, window):
    order = item_order(100, 100 + size, seed=seed, num_chunks=9, epoch=epoch, chunk_id=4, window=window)
    assert sorted(order.tolist()) == list(range(100, 100 + size))
