import json
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from litdata.streaming.sampling.resume import (
    elastic_drop_count,
    elastic_plan,
    lockstep_stream,
    skip_consumed,
    split_samples_across_workers,
)
from litdata.streaming.shuffle import FullShuffle, IndexedChunks, NoShuffle, WindowShuffle

ORDERS = json.loads((Path(__file__).parents[1] / "reference_orders" / "orders.json").read_text())
RESUME_CASES = [case for case in ORDERS["cases"] if case["resume_after"] is not None and not case.get("resume_into")]
ELASTIC_CASES = [case for case in ORDERS["cases"] if case.get("resume_into")]
SEED = 1234


def chunk_intervals(sizes: list[int]) -> list[tuple[int, int, int, int]]:
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return [(start, start, start + size, start + size) for start, size in zip(starts, sizes, strict=False)]


def round_robin_batches(worker_sequences: list, batch_size: int, first_worker: int = 0) -> list[list[int]]:
    pending = [[list(seq[i : i + batch_size]) for i in range(0, len(seq), batch_size)] for seq in worker_sequences]
    order = list(range(first_worker, len(pending)))
    batches = []
    while any(pending):
        for worker in order:
            if pending[worker]:
                batches.append(pending[worker].pop(0))
        order = list(range(len(pending)))
    return batches


def replayed_sequences(shuffler, topology: tuple, rank: int, num_samples_yielded: int) -> list[list[int]]:
    """What each worker of ``rank`` reads after a strict-replay resume, rebuilt piece by piece."""
    world_size, num_workers, batch_size, epoch = topology
    workers = max(num_workers, 1)
    chunks, pieces = shuffler.assignment(world_size, 1, num_workers, batch_size, epoch)
    served = split_samples_across_workers(num_samples_yielded, num_workers, batch_size)
    sequences = []
    for worker, consumed in enumerate(served):
        global_worker = rank * workers + worker
        index, offset = skip_consumed(pieces[global_worker], consumed)
        rest = [
            list(shuffler.items_for_piece(chunk, piece, epoch))
            for chunk, piece in zip(chunks[global_worker][index:], pieces[global_worker][index:], strict=True)
        ]
        sequences.append(sum(rest, [])[offset:])
    return sequences


def test_samples_yielded_are_split_in_whole_rounds_then_whole_batches():
    assert split_samples_across_workers(9, 2, 3) == [6, 3]
    assert split_samples_across_workers(12, 3, 4) == [4, 4, 4]
    assert split_samples_across_workers(26, 3, 4) == [10, 8, 8]
    assert split_samples_across_workers(23, 3, 4) == [8, 8, 7]


def test_without_workers_all_samples_belong_to_the_only_worker():
    assert split_samples_across_workers(17, 0, 4) == [17]


def test_skip_consumed_skips_whole_pieces_then_points_inside_the_current_one():
    pieces = [(0, 0, 5, 5), (5, 5, 8, 8), (8, 8, 20, 20)]
    assert skip_consumed(pieces, 0) == (0, 0)
    assert skip_consumed(pieces, 5) == (1, 0)
    assert skip_consumed(pieces, 9) == (2, 1)


def test_skip_consumed_points_past_the_end_when_everything_was_read():
    assert skip_consumed([(0, 0, 5, 5)], 5) == (1, 0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 30), min_size=1, max_size=10),
    st.integers(1, 3),
    st.integers(0, 3),
    st.integers(1, 5),
    st.integers(1, 2),
    st.booleans(),
    st.data(),
)
def test_strict_replay_continues_each_worker_where_it_stopped(sizes, world_size, workers, batch, epoch, shuffle, data):
    cls = FullShuffle if shuffle else NoShuffle
    chunks = IndexedChunks(chunk_intervals(sizes), [0] * len(sizes))
    shuffler = NoShuffle(chunks, SEED, True) if cls is NoShuffle else cls(chunks, SEED, True, item_window=256)
    items, _ = shuffler.worker_sequences(world_size, 1, workers, batch, epoch)
    rank = data.draw(st.integers(0, world_size - 1))
    mine = items[rank * max(workers, 1) : (rank + 1) * max(workers, 1)]
    full = round_robin_batches(mine, batch)
    consumed = data.draw(st.integers(0, len(full)))
    resumed = replayed_sequences(shuffler, (world_size, workers, batch, epoch), rank, consumed * batch)
    first_worker = consumed % max(workers, 1)
    assert round_robin_batches(resumed, batch, first_worker) == full[consumed:]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=10), st.integers(0, 3), st.integers(1, 5), st.data())
def test_strict_replay_resumes_each_worker_with_the_tail_of_its_sequence(sizes, workers, batch, data):
    shuffler = FullShuffle(IndexedChunks(chunk_intervals(sizes), [0] * len(sizes)), seed=SEED, drop_last=False)
    items, _ = shuffler.worker_sequences(1, 1, workers, batch, 1)
    consumed = data.draw(st.integers(0, sum(sizes)))
    served = split_samples_across_workers(consumed, workers, batch)
    resumed = replayed_sequences(shuffler, (1, workers, batch, 1), 0, consumed)
    assert resumed == [seq[count:].tolist() for seq, count in zip(items, served, strict=True)]


def test_a_worker_whose_pieces_are_all_consumed_resumes_with_nothing():
    shuffler = NoShuffle(IndexedChunks(chunk_intervals([4, 4]), [0, 0]), seed=SEED, drop_last=False)
    assert replayed_sequences(shuffler, (1, 2, 4, 1), 0, 8) == [[], []]


def reference_shuffler(case: dict):
    dataset = ORDERS["datasets"][case["dataset"]]
    cls = WindowShuffle if case["window_shuffle"] else FullShuffle if case["shuffle"] else NoShuffle
    chunks = IndexedChunks(chunk_intervals(dataset["chunk_sizes"]), dataset["chunk_bytes"])
    if cls is NoShuffle:
        return NoShuffle(chunks, case["seed"], case["drop_last"])
    return cls(chunks, case["seed"], case["drop_last"], item_window=256)  # the window 0.2.76's dataset passes


def test_recorded_resumes_cover_several_topologies():
    assert len(RESUME_CASES) >= 3


def test_strict_replay_yields_what_the_reference_release_yields_after_a_resume():
    for case in RESUME_CASES:
        shuffler = reference_shuffler(case)
        topology = (case["world_size"], case["num_workers"], case["batch_size"], 1)
        for rank, recorded in enumerate(case["ranks"]):
            yielded = recorded["state"]["num_samples_yielded"]
            resumed = replayed_sequences(shuffler, topology, rank, yielded)
            first_worker = (recorded["state"]["latest_worker_idx"] + 1) % max(case["num_workers"], 1)
            assert round_robin_batches(resumed, case["batch_size"], first_worker) == recorded["after"], case["name"]


def test_lockstep_stream_interleaves_batches_rank_by_rank_then_worker_by_worker():
    # 2 ranks x 2 workers, batches of 2: rank0/w0, rank1/w0, rank0/w1, rank1/w1, ...
    sequences = [[0, 1, 2, 3], [10, 11], [20, 21, 22], [30]]
    order = lockstep_stream(sequences, world_size=2, num_workers=2, batch_size=2)
    flat = np.concatenate([np.asarray(seq) for seq in sequences])
    assert flat[order].tolist() == [0, 1, 20, 21, 10, 11, 30, 2, 3, 22]


def test_elastic_drop_count_rounds_down_to_whole_rounds_of_the_new_grid():
    assert elastic_drop_count(50, world_size=2, batch_size=4) == 48
    assert elastic_drop_count(50, world_size=2, batch_size=4, round_to_batches=False) == 50


def test_elastic_plan_deals_the_rest_of_the_stream_batch_by_batch_to_the_new_grid():
    plan = elastic_plan([list(range(12))], (1, 1, 4), (2, 1, 2), drop_count=4, drop_last=False)
    assert plan == [[4, 5, 8, 9], [6, 7, 10, 11]]


def test_elastic_plan_with_drop_last_keeps_whole_rounds_of_the_new_grid():
    plan = elastic_plan([list(range(13))], (1, 1, 4), (1, 2, 2), drop_count=2, drop_last=True)
    assert plan == [[2, 3, 6, 7], [4, 5, 8, 9]]


def test_elastic_plan_by_chunk_drops_the_rest_of_the_current_chunk_and_deals_whole_visits():
    items = [[0, 1, 2, 3, 4, 5, 6, 7, 8]]
    chunks = [[0, 0, 0, 1, 1, 2, 2, 2, 3]]
    plan = elastic_plan(items, (1, 1, 1), (1, 2, 1), drop_count=1, drop_last=False, worker_chunks=chunks)
    assert plan == [[3, 4, 8], [5, 6, 7]]


def served_before_checkpoint(items: list, topology: tuple, batches_per_rank: int) -> list[int]:
    world_size, num_workers, batch_size = topology
    workers = max(num_workers, 1)
    served = []
    for rank in range(world_size):
        rank_batches = round_robin_batches(items[rank * workers : (rank + 1) * workers], batch_size)
        served += sum(rank_batches[:batches_per_rank], [])
    return served


@settings(max_examples=30, deadline=None)
@given(
    st.tuples(st.integers(1, 3), st.integers(0, 3), st.integers(1, 5)),
    st.tuples(st.integers(1, 3), st.integers(0, 3), st.integers(1, 5)),
    st.data(),
)
def test_elastic_resume_loses_nothing_and_repeats_less_than_one_new_round(old, new, data):
    shuffler = FullShuffle(IndexedChunks(chunk_intervals([16] * 16 + [1]), [0] * 17), seed=SEED, drop_last=True)
    items, _ = shuffler.worker_sequences(old[0], 1, old[1], old[2], 1)
    rounds_all_workers_alive = min(len(sequence) for sequence in items) // old[2]
    batches_per_rank = data.draw(st.integers(0, rounds_all_workers_alive * max(old[1], 1)))
    served = served_before_checkpoint(items, old, batches_per_rank)
    drop = elastic_drop_count(batches_per_rank * old[2] * old[0], new[0], new[2])
    plan = elastic_plan(items, old, new, drop_count=drop, drop_last=False)
    counts = Counter(served + sum(plan, []))
    assert set(counts) == set(np.concatenate(items).tolist())
    assert sum(counts.values()) - len(counts) < new[0] * new[2]


def test_elastic_plan_by_chunk_reads_every_remaining_item_once():
    shuffler = WindowShuffle(
        IndexedChunks(chunk_intervals([7] * 12), [0] * 12), seed=SEED, drop_last=False, item_window=256
    )
    items, chunks = shuffler.worker_sequences(2, 1, 2, 3, 1)
    plan = elastic_plan(items, (2, 2, 3), (1, 3, 4), drop_count=0, drop_last=False, worker_chunks=chunks)
    assert sorted(sum(plan, [])) == list(range(84))


def test_recorded_elastic_resumes_cover_worker_batch_and_world_size_changes():
    assert {tuple(sorted(case["resume_into"])) for case in ELASTIC_CASES} >= {
        ("num_workers",),
        ("batch_size",),
        ("world_size",),
    }
    assert any(case["window_shuffle"] for case in ELASTIC_CASES)


def test_elastic_resume_yields_what_the_reference_release_yields():
    for case in ELASTIC_CASES:
        old = (case["world_size"], case["num_workers"], case["batch_size"])
        new_case = {**case, **case["resume_into"]}
        new = (new_case["world_size"], new_case["num_workers"], new_case["batch_size"])
        items, chunks = reference_shuffler(case).worker_sequences(*old[:1], 1, *old[1:], 1)
        sample_in_epoch = case["ranks"][0]["state"]["num_samples_yielded"] * old[0]
        by_chunk = case["window_shuffle"]
        drop = elastic_drop_count(sample_in_epoch, new[0], new[2], round_to_batches=not by_chunk)
        plan = elastic_plan(
            items, old, new, drop_count=drop, drop_last=case["drop_last"], worker_chunks=chunks if by_chunk else None
        )
        workers = max(new[1], 1)
        for rank, recorded in enumerate(case["resumed_ranks"]):
            rank_plan = [np.asarray(seq) for seq in plan[rank * workers : (rank + 1) * workers]]
            assert round_robin_batches(rank_plan, new[2]) == recorded["after"], (case["name"], rank)
