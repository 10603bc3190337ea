"""CombinedStreamingDataset: LitData 0.2.76's sample order, length rules, state layout, and exact resume."""

import json
import os
import socket
import warnings

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DataLoader

from litdata import StreamingDataLoader, StreamingDataset
from litdata.streaming.combined import CombinedStreamingDataset

from helpers import build_dataset

# Orders recorded from LitData 0.2.76 on the same datasets: A = 0..49 in chunks of 10, B = 1000..1029 in chunks
# of 7, C = 2000..2082 in chunks of 9 (seed 42).
REF_PLAIN_HEAD = [1000, 0, 1, 2, 1001, 1002, 1003, 3, 4, 5, 6, 7, 8, 9, 1004, 10, 11, 12, 1005, 13]
REF_TWO_WORKERS = [
    [1000, 0, 1, 2], [1016, 26, 27, 28], [1001, 1002, 1003, 3], [1017, 1018, 1019, 29], [4, 5, 6, 7],
    [30, 31, 32, 33], [8, 9, 1004, 10], [34, 35, 1020, 36], [11, 12, 1005, 13], [37, 38, 1021, 39],
    [1006, 1007, 14, 15], [1022, 1023, 40, 41], [1008, 16, 17, 18], [1024, 42, 43, 44], [1009, 19, 1010, 1011],
    [1025, 45, 1026, 1027], [20, 1012, 21, 22], [46, 1028, 47, 48], [1013, 23, 1014, 24], [1029, 49], [1015, 25],
]  # fmt: skip
REF_SHUFFLED_TWO_WORKERS_HEAD = [[1002, 2, 5, 7], [1011, 19, 16, 17], [1000, 1006, 1005, 8], [1013, 1010, 1012, 18]]
REF_WEIGHTED = [
    1000, 0, 1, 2, 1001, 1002, 1003, 3, 4, 5, 6, 1004, 7, 8, 1005, 1006, 9, 1007, 1008, 10, 1009, 1010, 11, 12,
    1011, 13, 14, 15, 1012, 1013, 1014, 1015, 1016, 1017, 16, 1018, 1019, 1020, 1021, 1022, 1023, 17, 18, 19, 20,
    21, 22, 23, 1024, 24, 25, 26, 27, 1025, 1026, 1027, 28, 1028, 29, 30, 1029,
]  # fmt: skip
REF_PER_STREAM_TAIL = [
    [44, 45, 46, 47], [1020, 1021, 1022, 1023], [2048, 2049, 2050, 2051], [48, 49, 1024, 1025],
    [1026, 1027, 2052, 2053], [2054, 2055, 1028, 1029], [2056, 2057, 2058, 2059],
]  # fmt: skip


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("combined")
    return {
        "a": build_dataset(root / "a", 50, chunk_size=10),
        "b": build_dataset(root / "b", 30, chunk_size=7, make=lambda i: 1000 + i),
        "c": build_dataset(root / "c", 83, chunk_size=9, make=lambda i: 2000 + i),
    }


def combined(folders, names="ab", shuffle=False, seed=42, **kwargs):
    children = [StreamingDataset(folders[name], shuffle=shuffle, seed=seed) for name in names]
    return CombinedStreamingDataset(children, **kwargs)


def batches(loader):
    return [batch.tolist() for batch in loader]


def test_iterating_without_a_loader_follows_litdata_and_repeats_every_epoch(folders):
    dataset = combined(folders)
    first = [int(x) for x in dataset]
    assert first[:20] == REF_PLAIN_HEAD
    assert sorted(first) == list(range(50)) + list(range(1000, 1030))
    assert [int(x) for x in dataset] == first


def test_two_workers_draw_the_same_sequence_over_their_own_shares(folders):
    loader = StreamingDataLoader(combined(folders), batch_size=4, num_workers=2)
    assert batches(loader) == REF_TWO_WORKERS
    shuffled = StreamingDataLoader(combined(folders, shuffle=True), batch_size=4, num_workers=2)
    assert batches(shuffled)[:4] == REF_SHUFFLED_TWO_WORKERS_HEAD


def test_length_is_the_sum_of_the_datasets_when_iterating_over_all(folders):
    dataset = combined(folders, "abc")
    assert len(dataset) == 163
    assert len(StreamingDataLoader(dataset, batch_size=4)) == 41
    assert dataset._weights == pytest.approx([50 / 163, 30 / 163, 83 / 163])


def test_weights_are_normalised_and_sampling_stops_at_the_first_exhausted_dataset(folders):
    dataset = combined(folders, iterate_over_all=False, weights=[2, 6])
    assert dataset._weights == [0.25, 0.75]
    with pytest.raises(TypeError):
        len(dataset)
    dataset = combined(folders, iterate_over_all=False, weights=[0.5, 0.5])
    assert [int(x) for x in dataset] == REF_WEIGHTED


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": [0.5, 0.5]}, "iterate_over_all"),
        ({"iterate_over_all": False, "weights": [1.0]}, "one weight per dataset"),
        ({"iterate_over_all": False, "weights": [0, 0]}, "positive sum"),
        ({"batching_method": "random"}, "batching_method"),
    ],
)
def test_bad_arguments_are_refused(folders, kwargs, match):
    with pytest.raises(ValueError, match=match):
        combined(folders, **kwargs)


def test_only_streaming_datasets_can_be_combined():
    with pytest.raises(RuntimeError, match="StreamingDataset"):
        CombinedStreamingDataset([list(range(3))])
    with pytest.raises(ValueError, match="at least one"):
        CombinedStreamingDataset([])


def test_per_stream_batches_come_from_one_dataset_and_never_twice_in_a_row(folders):
    loader = StreamingDataLoader(combined(folders, "abc", batching_method="per_stream"), batch_size=4)
    result = batches(loader)
    assert result[28:35] == REF_PER_STREAM_TAIL
    sources = [{x // 1000 for x in batch} for batch in result[:28]]
    assert all(len(source) == 1 for source in sources)
    assert all(a != b for a, b in zip(sources, sources[1:]))


def test_setters_are_forwarded_to_every_dataset(folders):
    dataset = combined(folders)
    dataset.set_epoch(3)
    dataset.set_shuffle(True)
    dataset.set_drop_last(True)
    dataset.set_batch_size([2, 3])
    dataset.set_num_workers(0)
    for child, batch_size in zip(dataset._datasets, [2, 3]):
        assert (child.current_epoch, child.shuffle, child.drop_last) == (3, True, True)
        assert (child.batch_size, child.num_workers) == (batch_size, 1)


def test_state_dict_has_litdata_layout_with_counts_per_worker_and_dataset(folders):
    loader = StreamingDataLoader(combined(folders), batch_size=4, num_workers=2)
    assert loader.state_dict()["num_samples_yielded"] == {}
    it = iter(loader)
    for _ in range(3):
        next(it)
    state = loader.state_dict()
    del it
    assert set(state) == {"dataset", "current_epoch", "latest_worker_idx", "num_samples_yielded"}
    assert state["num_samples_yielded"] == {0: [4, 4], 1: [3, 1]}
    assert (state["current_epoch"], state["latest_worker_idx"]) == (1, 0)
    assert set(state["dataset"]) == {"0", "1"}
    assert [state["dataset"][key]["num_samples_yielded"] for key in "01"] == [7, 5]
    assert state["dataset"]["1"]["input_dir_path"] == folders["b"]


def test_user_collate_sees_plain_samples_and_plain_loaders_get_plain_samples(folders):
    seen = []

    def collate(items):
        seen.append(items)
        return sum(items)

    loader = StreamingDataLoader(combined(folders), batch_size=4, collate_fn=collate)
    assert next(iter(loader)) == sum(REF_PLAIN_HEAD[:4])
    assert seen == [REF_PLAIN_HEAD[:4]]
    assert next(iter(DataLoader(combined(folders), batch_size=4))).tolist() == REF_PLAIN_HEAD[:4]


def _resume_matches(make_loader, stop_epoch: int, stop: int, epochs: int) -> None:
    loader = make_loader()
    full = [batches(loader) for _ in range(epochs)]
    first = make_loader()
    got = [batches(first) for _ in range(stop_epoch)]
    it = iter(first)
    head = [next(it).tolist() for _ in range(stop)]
    state = json.loads(json.dumps(first.state_dict()))  # survives a JSON (or torch.save) round trip
    del it
    resumed = make_loader()
    resumed.load_state_dict(state)
    got.append(head + batches(resumed))
    got += [batches(resumed) for _ in range(epochs - stop_epoch - 1)]
    assert got == full


@pytest.mark.parametrize("num_workers", [0, 1, 2])
@pytest.mark.parametrize(("stop_epoch", "stop"), [(0, 3), (0, 12), (1, 7)])
def test_resume_yields_exactly_the_rest_of_the_uninterrupted_run(folders, num_workers, stop_epoch, stop):
    def make_loader():
        return StreamingDataLoader(combined(folders, "abc", shuffle=True), batch_size=4, num_workers=num_workers)

    _resume_matches(make_loader, stop_epoch, stop, epochs=2)


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize(
    "kwargs", [{"batching_method": "per_stream"}, {"iterate_over_all": False, "weights": [1, 2, 3]}]
)
def test_resume_is_exact_for_per_stream_and_weighted_sampling(folders, num_workers, kwargs):
    def make_loader():
        dataset = combined(folders, "abc", shuffle=True, **kwargs)
        return StreamingDataLoader(dataset, batch_size=3, num_workers=num_workers)

    _resume_matches(make_loader, 0, 5, epochs=2)


def test_a_state_saved_at_the_end_of_an_epoch_resumes_with_the_next_epoch(folders):
    def make_loader():
        return StreamingDataLoader(combined(folders, iterate_over_all=False, weights=[1, 1]), batch_size=4)

    loader = make_loader()
    epochs = [batches(loader), batches(loader)]
    finished = make_loader()
    batches(finished)
    resumed = make_loader()
    resumed.load_state_dict(finished.state_dict())
    assert batches(resumed) == epochs[1] and resumed.current_epoch == 2


def _state_after_two_batches(folders, num_workers=0):
    loader = StreamingDataLoader(combined(folders, shuffle=True, seed=1), batch_size=4, num_workers=num_workers)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    del it
    return state


@pytest.mark.parametrize(("names", "seed", "match"), [("ab", 2, "seed"), ("ac", 1, "input_dir_path")])
def test_a_state_from_another_seed_or_dataset_is_refused(folders, names, seed, match):
    state = _state_after_two_batches(folders)
    loader = StreamingDataLoader(combined(folders, names, shuffle=True, seed=seed), batch_size=4)
    loader.load_state_dict(state)
    with pytest.raises(ValueError, match=match):
        next(iter(loader))


def test_force_override_state_dict_adopts_the_current_seed(folders):
    state = _state_after_two_batches(folders)
    dataset = combined(folders, shuffle=True, seed=2, force_override_state_dict=True)
    loader = StreamingDataLoader(dataset, batch_size=4)
    loader.load_state_dict(state)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rest = [x for batch in batches(loader) for x in batch]
    assert any("seed" in str(w.message) for w in caught)
    assert len(rest) == 80 - 8


def test_a_state_for_another_topology_or_number_of_datasets_is_refused(folders):
    state = _state_after_two_batches(folders, num_workers=2)
    with pytest.raises(ValueError, match="num_workers 2 -> 1"):
        StreamingDataLoader(combined(folders, shuffle=True, seed=1), batch_size=4, num_workers=1).load_state_dict(state)
    with pytest.raises(ValueError, match="holds 2 datasets"):
        StreamingDataLoader(combined(folders, "abc"), batch_size=4, num_workers=2).load_state_dict(state)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, port: int, folders: dict, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:

        def make_loader():
            return StreamingDataLoader(combined(folders, "abc", shuffle=True), batch_size=4)

        full = batches(make_loader())
        first = make_loader()
        it = iter(first)
        head = [next(it).tolist() for _ in range(5)]
        state = first.state_dict()
        del it
        resumed = make_loader()
        resumed.load_state_dict(state)
        result = {"full": full, "resumed": head + batches(resumed), "len": len(resumed.dataset)}
        with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
            json.dump(result, f)
        dist.barrier()  # both ranks reach the teardown together (torch 2.4's gloo can hang when one left first)
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_combine_disjoint_shares_and_resume_exactly(folders, tmp_path):
    mp.spawn(_rank_main, args=(_free_port(), folders, str(tmp_path)), nprocs=2)
    results = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in range(2)]
    items = [[x for batch in result["full"] for x in batch] for result in results]
    assert not set(items[0]) & set(items[1])
    for result, rank_items in zip(results, items):
        assert len(rank_items) == result["len"] == 76  # per rank and dataset, drop_last keeps whole batches
        assert result["resumed"] == result["full"]
