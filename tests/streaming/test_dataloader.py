"""StreamingDataLoader: batches, workers, collate of objects torch cannot stack, epochs, and state."""

import numpy as np
import pytest
import torch
from PIL import Image

from litdata import StreamingDataLoader, StreamingDataset, litdata_collate

from helpers import build_dataset


@pytest.fixture
def ints(tmp_path):
    return build_dataset(tmp_path / "ints", 100, chunk_size=10)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_every_item_is_delivered_once_per_epoch(ints, num_workers):
    loader = StreamingDataLoader(StreamingDataset(ints, shuffle=True), batch_size=8, num_workers=num_workers)
    for _ in range(2):
        items = torch.cat(list(loader)).tolist()
        assert sorted(items) == list(range(100))
    assert loader.current_epoch == 2


@pytest.mark.parametrize("batch_size", [None, 0, -3, 2.5, True])
def test_a_batch_size_that_is_not_a_positive_integer_is_refused_at_construction(ints, batch_size):
    with pytest.raises(ValueError, match="positive integer batch_size"):
        StreamingDataLoader(StreamingDataset(ints), batch_size=batch_size)


def test_len_of_the_loader_is_the_number_of_batches_it_yields(ints):
    loader = StreamingDataLoader(StreamingDataset(ints), batch_size=8, num_workers=2)
    assert len(loader) == len(list(loader))


def test_shuffle_changes_the_order_between_epochs_and_is_reproducible(ints):
    def epochs():
        loader = StreamingDataLoader(StreamingDataset(ints), batch_size=10, shuffle=True)
        return [torch.cat(list(loader)).tolist() for _ in range(2)]

    first, second = epochs()
    assert first != second
    assert epochs() == [first, second]


def test_pil_images_and_none_are_collated_as_lists(tmp_path):
    def make(i):
        return {"image": Image.new("RGB", (4, 4), (i, 0, 0)), "label": i, "extra": None, "raw": bytes([i])}

    folder = build_dataset(tmp_path / "img", 10, make=make)
    batch = next(iter(StreamingDataLoader(StreamingDataset(folder), batch_size=4)))
    assert [img.getpixel((0, 0))[0] for img in batch["image"]] == [0, 1, 2, 3]
    assert batch["label"].tolist() == [0, 1, 2, 3]
    assert batch["extra"] == [None] * 4
    assert batch["raw"] == [b"\x00", b"\x01", b"\x02", b"\x03"]


def test_collate_stacks_arrays_and_keeps_tuple_structure():
    batch = litdata_collate([(np.ones(2), 1, "a"), (np.zeros(2), 2, "b")])
    assert isinstance(batch, list) and batch[0].shape == (2, 2)
    assert batch[1].tolist() == [1, 2] and batch[2] == ("a", "b")  # strings of tuple samples: a tuple, as in torch


def test_a_non_streaming_dataset_is_refused():
    with pytest.raises(RuntimeError, match="StreamingDataset"):
        StreamingDataLoader(list(range(10)))


def test_state_dict_resumes_a_single_process_epoch_where_it_stopped(ints):
    loader = StreamingDataLoader(StreamingDataset(ints, shuffle=True), batch_size=10)
    full = [b.tolist() for b in loader]
    loader = StreamingDataLoader(StreamingDataset(ints, shuffle=True), batch_size=10)
    it = iter(loader)
    head = [next(it).tolist() for _ in range(3)]
    state = loader.state_dict()
    assert state["num_samples_yielded"] == 30 and state["current_epoch"] == 1
    resumed = StreamingDataLoader(StreamingDataset(ints, shuffle=True), batch_size=10)
    resumed.load_state_dict(state)
    assert head + [b.tolist() for b in resumed] == full


def test_loading_a_state_from_another_seed_is_refused(ints):
    loader = StreamingDataLoader(StreamingDataset(ints, shuffle=True, seed=1), batch_size=10)
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    other = StreamingDataLoader(StreamingDataset(ints, shuffle=True, seed=2), batch_size=10)
    other.load_state_dict(state)
    with pytest.raises(ValueError, match="seed"):
        list(other)


@pytest.mark.parametrize(("num_workers", "batch_size", "stop_after"), [(2, 4, 3), (3, 5, 4), (2, 3, 1)])
def test_resuming_with_workers_yields_exactly_the_rest_of_the_epoch(tmp_path, num_workers, batch_size, stop_after):
    folder = build_dataset(tmp_path / "data", 83, chunk_size=7)

    def loader():
        return StreamingDataLoader(
            StreamingDataset(folder, shuffle=True), batch_size=batch_size, num_workers=num_workers
        )

    full = [b.tolist() for b in loader()]
    first = loader()
    it = iter(first)
    head = [next(it).tolist() for _ in range(stop_after)]
    state = first.state_dict()
    del it
    resumed = loader()
    resumed.load_state_dict(state)
    assert head + [b.tolist() for b in resumed] == full
    second_epoch = [b.tolist() for b in resumed]
    assert sorted(x for b in second_epoch for x in b) == list(range(83))
    assert resumed.current_epoch == 2


def test_samples_of_wrapped_datasets_are_collated_like_plain_ones(tmp_path):
    from litdata.streaming.combined import CombinedStreamingDataset
    from litdata.streaming.parallel import ParallelStreamingDataset

    first = build_dataset(tmp_path / "first", 6, chunk_size=3, make=lambda i: {"id": i, "name": f"s{i}"})
    second = build_dataset(tmp_path / "second", 6, chunk_size=3, make=lambda i: {"id": 100 + i, "name": f"t{i}"})
    combined = CombinedStreamingDataset([StreamingDataset(first), StreamingDataset(second)], seed=0)
    batch = next(iter(StreamingDataLoader(combined, batch_size=4)))
    assert set(batch) == {"id", "name"} and batch["id"].shape == (4,) and len(batch["name"]) == 4
    parallel = ParallelStreamingDataset([StreamingDataset(first), StreamingDataset(second)])
    left, right = next(iter(StreamingDataLoader(parallel, batch_size=2)))
    assert left["id"].tolist() == [0, 1] and right["name"] == ["t0", "t1"]


def test_a_loader_over_an_endless_wrapper_has_no_length(tmp_path):
    from litdata.streaming.parallel import ParallelStreamingDataset

    folder = build_dataset(tmp_path / "data", 6, chunk_size=3)
    loader = StreamingDataLoader(ParallelStreamingDataset([StreamingDataset(folder)], length=float("inf")))
    with pytest.raises(TypeError):
        len(loader)
    it = iter(loader)
    assert [next(it)[0].item() for _ in range(8)] == [0, 1, 2, 3, 4, 5, 0, 1]


def test_a_loaded_state_serves_one_iteration_even_when_it_is_left_early(ints):
    def loader():
        return StreamingDataLoader(StreamingDataset(ints, shuffle=True), batch_size=10)

    full = loader()
    epochs = [[b.tolist() for b in full] for _ in range(2)]
    first = loader()
    it = iter(first)
    next(it), next(it)
    state = first.state_dict()
    resumed = loader()
    resumed.load_state_dict(state)
    it = iter(resumed)
    assert [next(it).tolist() for _ in range(8)] == epochs[0][2:]  # left before asking for the end
    assert [b.tolist() for b in resumed] == epochs[1] and resumed.current_epoch == 2


def test_numpy_leaves_are_stacked_like_torch_does_in_workers_too(tmp_path):
    folder = build_dataset(tmp_path / "arr", 12, make=lambda i: {"x": np.full((2, 3), i, dtype=np.float32)})
    for workers in (0, 2):
        batches = list(StreamingDataLoader(StreamingDataset(folder), batch_size=4, num_workers=workers))
        stacked = torch.cat([b["x"] for b in batches])
        assert stacked.dtype == torch.float32 and stacked.shape == (12, 2, 3)
        assert sorted(stacked[:, 0, 0].tolist()) == list(range(12))


def test_arrays_from_the_dataset_stay_writable_copies_after_a_loader_used_views(tmp_path):
    folder = build_dataset(tmp_path / "arr", 8, make=lambda i: {"x": np.full(4, i, dtype=np.int32)})
    dataset = StreamingDataset(folder)
    batches = list(StreamingDataLoader(dataset, batch_size=4))
    assert torch.cat([b["x"] for b in batches]).shape == (8, 4)
    sample = dataset[3]["x"]
    sample += 1  # a writable copy, as LitData 0.2.76 returns
    assert sample.tolist() == [4, 4, 4, 4] and dataset[3]["x"].tolist() == [3, 3, 3, 3]
