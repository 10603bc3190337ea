"""Elastic resume: a checkpoint taken with one topology continues its epoch with another, and every remaining item
is read exactly once (up to one re-served round of the new grid, as LitData 0.2.76 does)."""

import pytest

from litdata import StreamingDataLoader, StreamingDataset

from helpers import build_dataset


@pytest.fixture
def folder(tmp_path):
    return build_dataset(tmp_path / "data", 257, chunk_size=16)


def _loader(folder, num_workers, batch_size, world_size=1, rank=0):
    dataset = StreamingDataset(folder, shuffle=True, drop_last=False)
    dataset.distributed_env.world_size, dataset.distributed_env.global_rank = world_size, rank
    return StreamingDataLoader(dataset, batch_size=batch_size, num_workers=num_workers)


@pytest.mark.parametrize(("before", "after"), [((2, 4), (3, 5)), ((0, 4), (2, 3)), ((2, 3), (0, 3))])
def test_changing_workers_or_batch_size_reads_every_remaining_item_once(folder, before, after):
    first = _loader(folder, *before)
    it = iter(first)
    seen = [x for _ in range(5) for x in next(it).tolist()]
    state = first.state_dict()
    del it
    resumed = _loader(folder, *after)
    resumed.load_state_dict(state)
    rest = [x for batch in resumed for x in batch.tolist()]
    reserved = set(seen) & set(rest)
    assert len(rest) == len(set(rest))
    assert set(seen) | set(rest) == set(range(257))
    assert len(reserved) < after[1] * 1  # at most one round of the new grid (world size 1) is served again
    assert resumed.current_epoch == 1
    next_epoch = [x for batch in resumed for x in batch.tolist()]
    assert sorted(next_epoch) == list(range(257)) and resumed.current_epoch == 2


def test_growing_the_world_size_splits_the_rest_between_the_new_ranks(folder):
    states, seen = [], []
    for rank in range(2):
        loader = _loader(folder, 0, 4, world_size=2, rank=rank)
        it = iter(loader)
        seen += [x for _ in range(6) for x in next(it).tolist()]
        states.append(loader.state_dict())
    rest = []
    for rank in range(4):
        resumed = _loader(folder, 0, 4, world_size=4, rank=rank)
        resumed.load_state_dict(states[rank % 2])
        rest += [x for batch in resumed for x in batch.tolist()]
    assert len(rest) == len(set(rest))
    assert set(seen) | set(rest) == set(range(257))
    assert len(set(seen) & set(rest)) < 4 * 4


def test_a_second_checkpoint_inside_an_elastic_epoch_resumes_correctly(folder):
    first = _loader(folder, 0, 4)
    it = iter(first)
    seen = [x for _ in range(5) for x in next(it).tolist()]
    state = first.state_dict()
    second = _loader(folder, 0, 8)
    second.load_state_dict(state)
    it = iter(second)
    seen += [x for _ in range(3) for x in next(it).tolist()]
    state = second.state_dict()
    third = _loader(folder, 0, 4)
    third.load_state_dict(state)
    rest = [x for batch in third for x in batch.tolist()]
    assert set(seen) | set(rest) == set(range(257))
    assert len(rest) == len(set(rest))
    assert len(set(seen) & set(rest)) < 8 + 4


def test_a_plain_resume_keeps_working_after_the_elastic_changes(folder):
    full = [b.tolist() for b in _loader(folder, 2, 4)]
    first = _loader(folder, 2, 4)
    it = iter(first)
    head = [next(it).tolist() for _ in range(7)]
    state = first.state_dict()
    del it
    resumed = _loader(folder, 2, 4)
    resumed.load_state_dict(state)
    assert head + [b.tolist() for b in resumed] == full
