"""Properties of the read order over random datasets and topologies, through the real dataset and loader."""

import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litdata import StreamingDataLoader, StreamingDataset

from helpers import build_dataset

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _rank_loader(folder, world_size, rank, batch_size, drop_last, shuffle=True):
    dataset = StreamingDataset(folder, shuffle=shuffle, drop_last=drop_last, seed=3)
    dataset.distributed_env.world_size, dataset.distributed_env.global_rank = world_size, rank
    return StreamingDataLoader(dataset, batch_size=batch_size)


topologies = st.tuples(
    st.integers(1, 120),  # items
    st.integers(1, 17),  # chunk size
    st.integers(1, 4),  # world size
    st.integers(1, 6),  # batch size
    st.booleans(),  # drop_last
)


@SETTINGS
@given(topologies)
def test_every_rank_yields_what_its_length_announces_and_drop_last_keeps_ranks_in_step(topology):
    num_items, chunk_size, world_size, batch_size, drop_last = topology
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_dataset(tmp, num_items, chunk_size)
        seen, batch_counts = [], []
        for rank in range(world_size):
            loader = _rank_loader(folder, world_size, rank, batch_size, drop_last)
            batches = [b.tolist() for b in loader]
            items = [x for b in batches for x in b]
            assert len(items) == len(loader.dataset)
            assert len(batches) == len(loader)
            seen += items
            batch_counts.append(len(batches))
        assert len(seen) == len(set(seen))
        if drop_last:
            assert len(set(batch_counts)) == 1
            assert all(len(b) == batch_size for b in batches)
        else:
            assert sorted(seen) == list(range(num_items))


@SETTINGS
@given(topologies, st.integers(0, 40))
def test_resuming_at_any_batch_yields_exactly_the_rest_of_the_epoch(topology, stop):
    num_items, chunk_size, world_size, batch_size, drop_last = topology
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_dataset(tmp, num_items, chunk_size)
        full = [b.tolist() for b in _rank_loader(folder, world_size, 0, batch_size, drop_last)]
        stop = min(stop, max(len(full) - 1, 0))  # a checkpoint at the very end starts the next epoch instead
        loader = _rank_loader(folder, world_size, 0, batch_size, drop_last)
        it = iter(loader)
        head = [next(it).tolist() for _ in range(stop)]
        resumed = _rank_loader(folder, world_size, 0, batch_size, drop_last)
        resumed.load_state_dict(loader.state_dict())
        assert head + [b.tolist() for b in resumed] == full
