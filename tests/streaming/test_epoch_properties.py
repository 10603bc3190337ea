"""Properties of the assignment, shuffle, epoch plan and resume over random datasets and topologies: every epoch of
every path (sample by sample or whole batches, fresh or persistent worker copies) reads each item exactly once over
ranks and workers, and resuming then reading the rest gives exactly the uninterrupted epochs."""

import tempfile
from contextlib import contextmanager
from unittest import mock

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from litdata import StreamingDataLoader, StreamingDataset
from litdata.streaming.loading.epoch_plan import apply_plan, take_plan
from litdata.utilities.env import _WorkerEnv

from helpers import build_dataset

EXAMPLES = 60
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
LOADER_EXAMPLES = 20  # each runs real loaders (with worker processes): 5 epochs
LOADER_SETTINGS = settings(
    max_examples=LOADER_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking restarts workers hundreds of times
)

topologies = st.fixed_dictionaries(
    {
        "num_items": st.integers(1, 150),
        "chunk_size": st.integers(1, 17),
        "world_size": st.integers(1, 3),
        "num_workers": st.integers(1, 3),
        "batch_size": st.integers(1, 8),
        "drop_last": st.booleans(),
        "shuffle": st.booleans(),
        "seed": st.integers(0, 2**16),
        "epoch": st.integers(1, 4),
    }
)


@contextmanager
def as_worker(rank: int, num_workers: int):
    """Run as DataLoader worker ``rank`` of ``num_workers`` (what torch's worker info would say)."""
    with mock.patch.object(_WorkerEnv, "detect", return_value=_WorkerEnv(world_size=num_workers, rank=rank)):
        yield


def rank_dataset(folder: str, t: dict, rank: int) -> StreamingDataset:
    dataset = StreamingDataset(folder, shuffle=t["shuffle"], drop_last=t["drop_last"], seed=t["seed"])
    dataset.distributed_env.world_size, dataset.distributed_env.global_rank = t["world_size"], rank
    dataset.set_batch_size(t["batch_size"])
    dataset.set_num_workers(t["num_workers"])
    dataset.set_epoch(t["epoch"])
    return dataset


def read_samples(copy: StreamingDataset, limit: int | None = None) -> list[int]:
    ids = []
    for sample in iter(copy):
        ids.append(int(sample))
        if len(ids) == limit:
            break
    return ids


def read_batches(copy: StreamingDataset, batch_size: int) -> list[int]:
    iter(copy)
    ids = []
    while True:
        try:
            ids.extend(int(i) for i in copy._next_batch(batch_size))
        except StopIteration:
            return ids


def worker_copy(dataset: StreamingDataset) -> StreamingDataset:
    """What a worker iterates: a copy of the dataset given the loader's plan of the epoch."""
    copy = dataset._iteration_copy()
    apply_plan(copy, take_plan(dataset))
    return copy


@SETTINGS
@given(topologies)
def test_every_epoch_reads_each_item_once_over_ranks_and_workers_sample_by_sample_and_in_whole_batches(t):
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_dataset(tmp, t["num_items"], t["chunk_size"])
        seen = []
        for rank in range(t["world_size"]):
            dataset = rank_dataset(folder, t, rank)
            rank_items = []
            for worker in range(t["num_workers"]):
                with as_worker(worker, t["num_workers"]):
                    samples = read_samples(worker_copy(dataset))
                    batches = read_batches(worker_copy(dataset), t["batch_size"])
                assert samples == batches
                rank_items += samples
            assert len(rank_items) == len(dataset)
            seen += rank_items
        assert len(seen) == len(set(seen))
        assert set(seen) <= set(range(t["num_items"]))
        if not t["drop_last"]:
            assert sorted(seen) == list(range(t["num_items"]))


@SETTINGS
@given(topologies, st.integers(0, 200), st.booleans())
def test_a_persistent_worker_copy_given_the_next_epochs_plan_reads_what_a_fresh_copy_reads(t, stop, whole_batches):
    """A worker copy that read epoch e (to its end, or broken off after ``stop`` items) and is then given the plan
    of epoch e + 1 reads epoch e + 1 exactly as a copy made for it does."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_dataset(tmp, t["num_items"], t["chunk_size"])
        rank = t["world_size"] - 1
        dataset = rank_dataset(folder, t, rank)
        for worker in range(t["num_workers"]):
            with as_worker(worker, t["num_workers"]):
                dataset.set_epoch(t["epoch"])
                persistent = worker_copy(dataset)
                if whole_batches:
                    read_batches(persistent, t["batch_size"])
                else:
                    read_samples(persistent, limit=stop or None)
                dataset.set_epoch(t["epoch"] + 1)
                apply_plan(persistent, take_plan(dataset))
                assert read_samples(persistent) == read_samples(worker_copy(dataset))


def _ids(batch) -> list[int]:
    return batch if isinstance(batch, list) else [int(i) for i in batch]


def _ids_collate(samples):
    return [int(sample) for sample in samples]


def _plus_zero(sample):
    return sample + 0


@LOADER_SETTINGS
@given(
    topologies,
    st.sampled_from(["default", "custom", "transform"]),
    st.sampled_from([(0, False), (1, True), (2, True), (2, False)]),
    st.data(),
)
def test_resuming_then_reading_the_rest_gives_the_uninterrupted_epoch_and_the_next_ones(t, path, workers, data):
    num_workers, persistent = workers
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_dataset(tmp, t["num_items"], t["chunk_size"])

        def loader():
            dataset = StreamingDataset(
                folder,
                shuffle=t["shuffle"],
                drop_last=t["drop_last"],
                seed=t["seed"],
                transform=_plus_zero if path == "transform" else None,
            )
            options = {"persistent_workers": persistent} if num_workers else {}
            return StreamingDataLoader(
                dataset,
                batch_size=t["batch_size"],
                num_workers=num_workers,
                collate_fn=_ids_collate if path == "custom" else None,
                **options,
            )

        uninterrupted = loader()
        epochs = [[i for batch in uninterrupted for i in _ids(batch)] for _ in range(3)]
        batches = -(-len(epochs[1]) // t["batch_size"])
        stop = data.draw(st.integers(0, batches), label="stop after batches")
        first = loader()
        assert [i for batch in first for i in _ids(batch)] == epochs[0]
        batches_of_first = iter(first)
        head = [i for _ in range(stop) for i in _ids(next(batches_of_first))]
        state = first.state_dict()
        del batches_of_first, first
        resumed = loader()
        resumed.load_state_dict(state)
        rest = [i for batch in resumed for i in _ids(batch)]
        if stop == batches:  # saved after the last batch: the resumed loader goes on with the next epoch
            assert (head, rest) == (epochs[1], epochs[2])
        else:
            assert head + rest == epochs[1]
            assert [i for batch in resumed for i in _ids(batch)] == epochs[2]
        if not t["drop_last"]:  # (with drop_last, each epoch's shuffle decides which items are left over)
            assert sorted(epochs[0]) == sorted(epochs[1]) == sorted(epochs[2]) == list(range(t["num_items"]))
