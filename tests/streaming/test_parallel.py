"""ParallelStreamingDataset: zipped samples, cycling lengths, seeded transforms, and exact resume."""

import itertools
import json
import random

import numpy as np
import pytest
import torch

from litdata import StreamingDataLoader, StreamingDataset
from litdata.streaming.parallel import ParallelStreamingDataset

from helpers import build_dataset


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    return {
        "a": build_dataset(root / "a", 50, chunk_size=10),
        "b": build_dataset(root / "b", 30, chunk_size=7, make=lambda i: 1000 + i),
        "e": build_dataset(root / "e", 13, chunk_size=4, make=lambda i: 4000 + i),
    }


def parallel(folders, names="ab", shuffle=False, **kwargs):
    return ParallelStreamingDataset([StreamingDataset(folders[name], shuffle=shuffle) for name in names], **kwargs)


def batches(loader):
    return [[column.tolist() for column in batch] for batch in loader]


def firsts(loader):
    return [batch[0] for batch in batches(loader)]


def test_samples_are_zipped_and_the_shortest_dataset_ends_the_epoch(folders):
    dataset = parallel(folders)
    assert list(dataset) == [(i, 1000 + i) for i in range(30)]
    assert (len(dataset), dataset.get_all_lens(), dataset.is_cycling(), dataset.is_infinite()) == (
        30,
        [50, 30],
        False,
        False,
    )
    loader = StreamingDataLoader(parallel(folders), batch_size=4, num_workers=2)
    result = batches(loader)
    assert result[0] == [[0, 1, 2, 3], [1000, 1001, 1002, 1003]] and result[-1] == [[38, 39], [1028, 1029]]
    assert loader.state_dict()["num_samples_yielded"] == {0: [16, 16], 1: [14, 14]}


def test_a_length_cycles_the_datasets_and_each_epoch_continues_where_the_last_stopped(folders):
    loader = StreamingDataLoader(parallel(folders, length=45), batch_size=4)
    assert len(loader) == 12
    epoch = batches(loader)
    assert epoch[0] == [[0, 1, 2, 3], [1000, 1001, 1002, 1003]] and epoch[-1] == [[44], [1014]]
    state = loader.state_dict()
    assert (state["num_samples_yielded"], state["num_cycles"]) == ({0: [45, 15]}, {0: [0, 1]})
    epoch = batches(loader)  # as LitData 0.2.76: A goes on at 45, B at 1015
    assert epoch[0] == [[45, 46, 47, 48], [1015, 1016, 1017, 1018]] and epoch[-1] == [[39], [1029]]
    assert batches(loader)[0] == [[40, 41, 42, 43], [1000, 1001, 1002, 1003]]
    assert loader.state_dict()["num_cycles"] == {0: [2, 4]}


def test_without_resume_every_epoch_serves_the_same_samples(folders):
    loader = StreamingDataLoader(parallel(folders, shuffle=True, length=20, resume=False), batch_size=4)
    first = batches(loader)
    assert first[0] == [[2, 5, 7, 8], [1002, 1000, 1006, 1005]]
    assert batches(loader) == first


def test_every_cycle_is_a_new_shuffled_epoch_of_the_dataset(folders):
    loader = StreamingDataLoader(parallel(folders, shuffle=True, length=100), batch_size=10)
    a_items = [x for batch in firsts(loader) for x in batch]
    assert sorted(a_items[:50]) == sorted(a_items[50:]) == list(range(50))
    assert a_items[:50] != a_items[50:]


def test_an_infinite_length_never_ends_and_has_no_len(folders):
    dataset = parallel(folders, "ae", length=float("inf"))
    assert dataset.is_infinite() and dataset.get_len(1, 1) is None
    with pytest.raises(TypeError):
        len(dataset)
    samples = list(itertools.islice(iter(dataset), 60))
    assert [b for _, b in samples] == [4000 + i % 13 for i in range(60)]


@pytest.mark.parametrize("length", [-1, 2.5, "10", float("nan"), True])
def test_a_bad_length_is_refused(folders, length):
    with pytest.raises(ValueError, match="length"):
        parallel(folders, length=length)


def test_a_transform_gets_the_samples_and_optionally_seeded_generators(folders):
    assert list(parallel(folders, transform=lambda samples: sum(samples)))[:3] == [1000, 1002, 1004]
    with pytest.raises(TypeError, match="callable"):
        parallel(folders, transform=5)

    def draw(samples, rngs):
        assert isinstance(rngs["random"], random.Random) and isinstance(rngs["numpy"], np.random.Generator)
        assert isinstance(rngs["torch"], torch.Generator)
        value = rngs["random"].random() + rngs["numpy"].random() + torch.rand(1, generator=rngs["torch"]).item()
        return samples[0], value

    def epochs(**kwargs):
        loader = StreamingDataLoader(parallel(folders, transform=draw, **kwargs), batch_size=4, collate_fn=list)
        return [[value for batch in loader for _, value in batch] for _ in range(2)]

    first, second = epochs()
    assert len(set(first)) == len(first) and first != second
    assert epochs() == [first, second]  # reproducible
    reset = epochs(reset_rngs=True)
    assert reset[0] == reset[1]
    assert epochs(seed=7)[0] != first


def test_state_dict_has_the_cycle_counts_of_every_worker(folders):
    loader = StreamingDataLoader(parallel(folders, length=45), batch_size=4, num_workers=2)
    assert batches(loader)[-1] == [[46, 47], [1022, 1023]]
    state = loader.state_dict()
    assert set(state) == {"dataset", "current_epoch", "latest_worker_idx", "num_samples_yielded", "num_cycles"}
    assert state["num_samples_yielded"] == {0: [23, 7], 1: [22, 8]} and state["num_cycles"] == {0: [0, 1], 1: [0, 1]}
    assert [state["dataset"][key]["num_samples_yielded"] for key in "01"] == [45, 45]


def _draw(samples, rngs):
    return (*samples, rngs["random"].randrange(10**6))


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize(("length", "stop_epoch"), [(None, 0), (None, 1), (20, 1), (45, 0), (45, 1)])
def test_resume_yields_exactly_the_rest_of_the_uninterrupted_run(folders, num_workers, length, stop_epoch):
    def make_loader():
        dataset = parallel(folders, "abe", shuffle=True, length=length, transform=_draw)
        return StreamingDataLoader(dataset, batch_size=4, num_workers=num_workers)

    loader = make_loader()
    full = [batches(loader) for _ in range(3)]
    first = make_loader()
    got = [batches(first) for _ in range(stop_epoch)]
    it = iter(first)
    head = [[column.tolist() for column in next(it)] for _ in range(3)]
    state = json.loads(json.dumps(first.state_dict()))
    del it
    resumed = make_loader()
    resumed.load_state_dict(state)
    got.append(head + batches(resumed))
    got += [batches(resumed) for _ in range(2 - stop_epoch)]
    assert got == full


def test_an_infinite_stream_resumes_exactly(folders):
    def make_loader():
        dataset = parallel(folders, "ae", shuffle=True, length=float("inf"), transform=_draw)
        return StreamingDataLoader(dataset, batch_size=4, num_workers=2)

    full = [[column.tolist() for column in batch] for batch in itertools.islice(iter(make_loader()), 30)]
    first = make_loader()
    it = iter(first)
    head = [[column.tolist() for column in next(it)] for _ in range(11)]
    state = first.state_dict()
    del it
    resumed = make_loader()
    resumed.load_state_dict(state)
    tail = [[column.tolist() for column in batch] for batch in itertools.islice(iter(resumed), 19)]
    assert head + tail == full


def test_two_workers_continue_their_own_streams_across_epochs(folders):
    def worker_streams(epoch):  # both workers serve the same number of batches, in turn
        return [sum(epoch[worker::2], []) for worker in (0, 1)]

    def make_loader(length):
        return StreamingDataLoader(parallel(folders, shuffle=True, length=length), batch_size=4, num_workers=2)

    loader = make_loader(60)
    epochs = [worker_streams(firsts(loader)) for _ in range(3)]
    long_epoch = worker_streams(firsts(make_loader(180)))
    for worker in (0, 1):
        assert sum((epoch[worker] for epoch in epochs), []) == long_epoch[worker]
