import pytest

from litdata.processing.data_processor import (
    next_chunk_indexes,
    queue_batch_size,
    split_aligned,
    split_by_weight,
    split_contiguously,
)
from litdata.processing.nodes import NodeInfo, detect_node
from litdata.utilities.packing import _pack_greedily


def test_contiguous_split_gives_the_remainder_to_the_last_parts():
    assert [list(r) for r in split_contiguously(5, 2)] == [[0, 1], [2, 3, 4]]
    assert [len(r) for r in split_contiguously(11, 4)] == [2, 3, 3, 3]


def test_contiguous_split_with_more_parts_than_items_leaves_the_first_parts_empty():
    assert [list(r) for r in split_contiguously(2, 3)] == [[], [0], [1]]


def test_aligned_split_hands_out_whole_chunks_and_the_partial_chunk_to_the_last_part():
    assert [list(r) for r in split_aligned(11, 2, 2)] == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9, 10]]


def test_greedy_packing_puts_the_heaviest_items_first_into_the_lightest_bin():
    bins, weights = _pack_greedily(list("abcdefg"), [5, 1, 3, 3, 2, 8, 1], 3)
    assert dict(bins) == {0: ["f"], 1: ["a", "e", "g"], 2: ["c", "d", "b"]}
    assert dict(weights) == {0: 8, 1: 8, 2: 7}


def test_greedy_packing_refuses_a_weight_count_that_differs_from_the_items():
    with pytest.raises(ValueError, match="Items and weights must have the same length, got 2 and 1"):
        _pack_greedily([1, 2], [1], 2)


def test_weighted_split_keeps_input_order_inside_each_part():
    assert split_by_weight(range(4), [1, 10, 1, 1], 2) == [[1], [0, 2, 3]]


def test_queue_batches_stay_small_for_balance():
    assert queue_batch_size(10, 2) == 1
    assert queue_batch_size(1_000_000, 4) == 256


def test_append_continues_each_rank_numbering_after_its_highest_chunk():
    existing = {"chunks": [{"filename": f} for f in ("chunk-0-0.bin", "chunk-0-4.bin", "chunk-2-1.zstd.bin")]}
    assert next_chunk_indexes(existing) == {0: 5, 2: 2}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, NodeInfo(1, 0)),
        ({"DATA_OPTIMIZER_NUM_NODES": "3", "DATA_OPTIMIZER_NODE_RANK": "2"}, NodeInfo(3, 2)),
        ({"SLURM_NNODES": "4", "SLURM_NODEID": "1"}, NodeInfo(4, 1)),
        ({"NNODES": "2", "GROUP_RANK": "1"}, NodeInfo(2, 1)),
        ({"NNODES": "2", "NODE_RANK": "1"}, NodeInfo(2, 1)),
        ({"DATA_OPTIMIZER_NUM_NODES": "2", "DATA_OPTIMIZER_NODE_RANK": "0", "SLURM_NNODES": "8"}, NodeInfo(2, 0)),
    ],
)
def test_node_rank_and_count_come_from_the_launcher_environment(env, expected):
    assert detect_node(env) == expected


def test_a_node_rank_outside_the_node_count_is_refused():
    with pytest.raises(ValueError, match="must be in"):
        detect_node({"DATA_OPTIMIZER_NUM_NODES": "2", "DATA_OPTIMIZER_NODE_RANK": "2"})
