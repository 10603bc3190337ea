"""Training loops as users write them, with the default settings: keep batches or parts of them, edit them, hand
them to threads and processes, run several loaders, break off epochs. Every batch and everything kept is checked
against the sample it came from (sample ``i`` holds ``i`` in every value)."""

import multiprocessing
import queue
import threading
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from litdata import CombinedStreamingDataset, ParallelStreamingDataset, StreamingDataLoader, StreamingDataset

from helpers import build_dataset

NUM_ITEMS = 48
WIDTH = 65536  # 256 KB per sample: a batch of 4 fills 1 MB, the size batch memory pools start at


def make(i):
    return {"i": i, "x": np.full(WIDTH, i, dtype=np.float32)}


def make_small(i):
    return {"i": i, "x": np.full(6, i, dtype=np.float32), "s": f"item-{i}", "b": bytes([i]) * (i % 3 + 1)}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("loops")
    return {
        "large": build_dataset(root / "large", NUM_ITEMS, chunk_size=8, make=make),
        "small": build_dataset(root / "small", NUM_ITEMS, chunk_size=8, make=make_small),
        "zstd": build_dataset(root / "zstd", NUM_ITEMS, chunk_size=8, make=make_small, compression="zstd"),
    }


def check_batch(batch, ids=None):
    """A batch of samples ``ids`` (its own ``i`` when None) holds exactly those samples."""
    got = batch["i"].tolist()
    if ids is not None:
        assert got == list(ids)
    expected = torch.tensor(got, dtype=torch.float32)[:, None]
    assert torch.equal(batch["x"], expected.expand_as(batch["x"]))
    return got


def check_rows(x, ids):
    assert torch.equal(torch.as_tensor(x), torch.tensor(ids, dtype=torch.float32)[:, None].expand(len(ids), WIDTH))


def epoch_ids(loader):
    return sorted(i for batch in loader for i in check_batch(batch))


WORKERS = [0, 2, "2-persistent"]  # in the training process, 2 workers, 2 workers kept across epochs


def loader_workers(workers) -> dict:
    """The loader arguments of a ``WORKERS`` setting."""
    if workers == "2-persistent":
        return {"num_workers": 2, "persistent_workers": True}
    return {"num_workers": workers}


# ---------------------------------------------------------------- keeping what the loader gave
@pytest.mark.parametrize("workers", WORKERS)
def test_whole_batches_kept_over_two_epochs_stay_intact(folders, workers):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    kept = [batch for _ in range(2) for batch in loader]
    assert sorted(i for b in kept for i in check_batch(b)) == sorted(list(range(NUM_ITEMS)) * 2)


@pytest.mark.parametrize("workers", WORKERS)
def test_numpy_views_of_kept_batches_stay_intact(folders, workers):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    kept = [(batch["i"].tolist(), batch["x"].numpy()) for batch in loader]
    for ids, x in kept:
        check_rows(x, ids)


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("accessor", ["untyped_storage", "storage"])
def test_storages_kept_alone_are_never_refilled(folders, workers, accessor):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    kept = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage is deprecated
        for batch in loader:
            storage = getattr(batch["x"], accessor)()
            kept.append((batch["i"].tolist(), storage, batch["x"].storage_offset()))
            del batch
    for ids, storage, offset in kept:
        untyped = storage if accessor == "untyped_storage" else storage.untyped()
        x = torch.empty(0, dtype=torch.float32).set_(untyped, offset, (len(ids), WIDTH))
        check_rows(x, ids)


@pytest.mark.parametrize("workers", WORKERS)
def test_slices_and_views_of_batches_stay_intact(folders, workers):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    kept = []
    for batch in loader:
        ids = batch["i"].tolist()
        kept.append((ids[1:3], batch["x"][1:3]))
        kept.append((ids[-1:], batch["x"][-1].view(1, -1)))
        kept.append((ids, batch["x"].t().t()))
    for ids, x in kept:
        check_rows(x, ids)


@pytest.mark.parametrize("workers", WORKERS)
def test_batches_handed_to_a_thread_through_a_queue_stay_intact(folders, workers):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    handoff, seen = queue.Queue(), []

    def consume():
        while (batch := handoff.get()) is not None:
            seen.append(batch)

    thread = threading.Thread(target=consume)
    thread.start()
    for batch in loader:
        handoff.put(batch)
    handoff.put(None)
    thread.join()
    assert sorted(i for b in seen for i in check_batch(b)) == list(range(NUM_ITEMS))


def _check_in_child(inbox, outbox):
    results = []
    while (item := inbox.get()) is not None:
        ids, x = item
        results.append(bool(torch.equal(x, torch.tensor(ids, dtype=torch.float32)[:, None].expand_as(x))))
    outbox.put(results)


@pytest.mark.parametrize("workers", WORKERS)
def test_batches_sent_to_another_process_arrive_intact_while_the_loop_goes_on(folders, workers):
    context = multiprocessing.get_context("spawn")
    inbox, outbox = context.Queue(), context.Queue()
    child = context.Process(target=_check_in_child, args=(inbox, outbox))
    child.start()
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    for _ in range(2):
        for batch in loader:
            inbox.put((batch["i"].tolist(), batch["x"]))
    inbox.put(None)
    results = outbox.get(timeout=300)
    child.join(timeout=60)
    assert len(results) == 2 * NUM_ITEMS // 4 and all(results)


class ReplayBuffer(Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        ids, x = self.items[index]
        return bool(torch.equal(x, torch.tensor(ids, dtype=torch.float32)[:, None].expand_as(x)))


@pytest.mark.parametrize("workers", WORKERS)
def test_a_replay_buffer_read_by_forked_workers_sees_the_batches_it_kept(folders, workers):
    loader = StreamingDataLoader(
        StreamingDataset(folders["large"], shuffle=True), batch_size=4, **loader_workers(workers)
    )
    replay = []
    for epoch in range(2):
        for step, batch in enumerate(loader):
            if step % 2 == 0:
                replay.append((batch["i"].tolist(), batch["x"]))
            if step % 3 == 2:  # the replay buffer is read while the stream goes on
                reads = DataLoader(ReplayBuffer(list(replay)), batch_size=None, num_workers=2)
                assert all(reads), epoch
    assert len(replay) == NUM_ITEMS // 4


@pytest.mark.parametrize("workers", WORKERS)
def test_editing_a_batch_in_place_changes_no_other_batch(folders, workers):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    edited = []
    for batch in loader:
        check_batch(batch)
        batch["x"] += 1000
        edited.append(batch)
    for batch in edited:
        ids = batch["i"].tolist()
        check_rows(batch["x"] - 1000, ids)


# ---------------------------------------------------------------- writable arrays
@pytest.mark.parametrize("folder", ["small", "large", "zstd"])
@pytest.mark.parametrize("workers", WORKERS)
def test_a_transform_can_edit_numpy_leaves_in_place(folders, folder, workers):
    def bump(sample):
        sample["x"] += 1
        return sample

    dataset = StreamingDataset(folders[folder], transform=bump)
    loader = StreamingDataLoader(dataset, batch_size=4, **loader_workers(workers))
    for batch in loader:
        x = batch["x"] - 1
        assert torch.equal(x, batch["i"].float()[:, None].expand_as(x))


@pytest.mark.parametrize("folder", ["small", "large", "zstd"])
def test_indexing_during_an_open_epoch_gives_writable_copies(folders, folder):
    dataset = StreamingDataset(folders[folder])
    loader = StreamingDataLoader(dataset, batch_size=4)
    iterator = iter(loader)
    check_batch(next(iterator))
    sample = dataset[5]
    assert sample["x"].flags.writeable
    sample["x"] += 1
    assert (dataset[5]["x"] == 5).all()
    check_batch(next(iterator), [4, 5, 6, 7])


@pytest.mark.parametrize("workers", WORKERS)
def test_the_default_collate_sees_writable_samples_with_a_custom_collate_too(folders, workers):
    def collate(samples):
        assert all(s["x"].flags.writeable for s in samples)
        for s in samples:
            s["x"] *= 2
        return [s["i"] for s in samples], np.stack([s["x"] for s in samples])

    loader = StreamingDataLoader(
        StreamingDataset(folders["small"]), batch_size=4, **loader_workers(workers), collate_fn=collate
    )
    for ids, x in loader:
        assert (x == 2 * np.asarray(ids, np.float32)[:, None]).all()


# ---------------------------------------------------------------- loaders and datasets side by side
def test_iterating_the_dataset_during_a_loader_epoch_yields_plain_samples(folders):
    dataset = StreamingDataset(folders["large"])
    iterator = iter(StreamingDataLoader(dataset, batch_size=4))
    check_batch(next(iterator), [0, 1, 2, 3])
    sample = next(iter(dataset))
    assert isinstance(sample, dict) and sample["i"] == 0 and sample["x"].shape == (WIDTH,)
    check_batch(next(iterator), [4, 5, 6, 7])


@pytest.mark.parametrize("workers", WORKERS)
def test_a_plain_torch_dataloader_over_a_dataset_a_streaming_loader_uses(folders, workers):
    dataset = StreamingDataset(folders["large"])
    iterator = iter(StreamingDataLoader(dataset, batch_size=4, **loader_workers(workers)))
    next(iterator)
    plain = DataLoader(dataset, batch_size=3)
    assert epoch_ids(plain) == list(range(NUM_ITEMS))
    rest = sorted(i for batch in iterator for i in check_batch(batch))
    assert len(rest) == NUM_ITEMS - 4


@pytest.mark.parametrize("workers", WORKERS)
def test_two_loaders_with_different_batch_sizes_alternate_over_one_dataset(folders, workers):
    dataset = StreamingDataset(folders["large"])
    small = StreamingDataLoader(dataset, batch_size=2, **loader_workers(workers))
    large = StreamingDataLoader(dataset, batch_size=8, **loader_workers(workers))
    seen = {"small": [], "large": []}
    for a, b in zip(iter(small), iter(large)):
        seen["small"].extend(check_batch(a))
        seen["large"].extend(check_batch(b))
        assert len(a["i"]) == 2 and len(b["i"]) == 8
    assert sorted(seen["large"]) == list(range(NUM_ITEMS))
    assert len(seen["small"]) == NUM_ITEMS // 8 * 2


@pytest.mark.parametrize("workers", WORKERS)
def test_breaking_off_an_epoch_then_running_full_epochs(folders, workers):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, **loader_workers(workers))
    for step, batch in enumerate(loader):
        check_batch(batch)
        if step == 2:
            break
    assert epoch_ids(loader) == list(range(NUM_ITEMS))
    assert epoch_ids(loader) == list(range(NUM_ITEMS))


@pytest.mark.parametrize("prefetch_factor", [1, 2, 3, 4, 5, 6])
def test_every_prefetch_factor_delivers_each_sample_once(folders, prefetch_factor):
    loader = StreamingDataLoader(
        StreamingDataset(folders["large"]), batch_size=4, num_workers=2, prefetch_factor=prefetch_factor
    )
    kept = list(loader)
    assert sorted(i for b in kept for i in check_batch(b)) == list(range(NUM_ITEMS))


@pytest.mark.parametrize("kwargs", [{"persistent_workers": True}, {"pin_memory": True}])
def test_persistent_workers_and_pinned_memory_keep_batches_intact_across_epochs(folders, kwargs):
    loader = StreamingDataLoader(StreamingDataset(folders["large"]), batch_size=4, num_workers=2, **kwargs)
    kept = [batch for _ in range(3) for batch in loader]
    assert sorted(i for b in kept for i in check_batch(b)) == sorted(list(range(NUM_ITEMS)) * 3)


def test_resuming_from_a_state_dict_gives_exactly_the_rest_of_the_epoch(folders):
    dataset = StreamingDataset(folders["large"], shuffle=True)
    loader = StreamingDataLoader(dataset, batch_size=4, num_workers=2)
    first = []
    for step, batch in enumerate(loader):
        first.extend(check_batch(batch))
        if step == 4:
            state = loader.state_dict()
            break
    resumed = StreamingDataLoader(StreamingDataset(folders["large"], shuffle=True), batch_size=4, num_workers=2)
    resumed.load_state_dict(state)
    rest = [i for batch in resumed for i in check_batch(batch)]
    assert sorted(first + rest) == list(range(NUM_ITEMS))


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("wrapper", ["combined", "parallel"])
def test_wrapped_datasets_yield_plain_samples_while_a_loader_exists(folders, workers, wrapper):
    children = [StreamingDataset(folders["small"]), StreamingDataset(folders["small"])]
    if wrapper == "combined":
        dataset = CombinedStreamingDataset(children, iterate_over_all=True)
    else:
        dataset = ParallelStreamingDataset(children)
    loader = StreamingDataLoader(dataset, batch_size=4, **loader_workers(workers))
    for batch in loader:
        assert "_Tracked" not in repr(batch)
        break
    sample = next(iter(dataset))
    assert type(sample).__name__ != "_Tracked"
    assert sample["i"] == 0 if wrapper == "combined" else sample[0]["i"] == 0


# ---------------------------------------------------------------- what workers send back
@pytest.mark.parametrize("workers", WORKERS)
def test_bytes_leaves_come_back_as_bytes_through_workers(folders, workers):
    loader = StreamingDataLoader(
        StreamingDataset(folders["small"]), batch_size=4, **loader_workers(workers), collate_fn=lambda b: b, timeout=0
    )
    samples = [sample for batch in loader for sample in batch]
    assert sorted(s["i"] for s in samples) == list(range(NUM_ITEMS))
    assert all(type(s["b"]) is bytes and s["b"] == bytes([s["i"]]) * (s["i"] % 3 + 1) for s in samples)


def test_a_sample_that_cannot_be_pickled_in_a_worker_raises_a_clear_error(folders):
    def with_a_lock(sample):
        sample["lock"] = threading.Lock()
        return sample

    dataset = StreamingDataset(folders["small"], transform=with_a_lock)
    loader = StreamingDataLoader(dataset, batch_size=4, num_workers=1, collate_fn=lambda b: b)
    with pytest.raises(TypeError, match=r"batch\[0\]\['lock'\] is a lock"):
        next(iter(loader))


# ---------------------------------------------------------------- persistent workers, epoch after epoch, on every path
def ids_of(batch) -> list[int]:
    return [int(i) for i in (batch if isinstance(batch, list) else batch["i"])]


def ids_collate(samples):
    return [sample["i"] for sample in samples]


def tag(sample):
    return {**sample, "tag": 1}


class Tagged(StreamingDataset):
    def __getitem__(self, index):
        return tag(super().__getitem__(index))


PATHS = {
    "default collate": ({}, {}),
    "custom collate": ({}, {"collate_fn": ids_collate}),
    "transform": ({"transform": tag}, {}),
    "__getitem__ subclass": ({"cls": Tagged}, {}),
}


def path_loader(folder, path, num_workers, persistent, batch_size=5):
    dataset_options, loader_options = PATHS[path]
    options = dict(dataset_options)
    cls = options.pop("cls", StreamingDataset)
    dataset = cls(folder, shuffle=True, seed=11, **options)
    extra = {"persistent_workers": True} if persistent else {}
    return StreamingDataLoader(dataset, batch_size=batch_size, num_workers=num_workers, **loader_options, **extra)


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("num_workers", [1, 2, 3])
def test_persistent_workers_read_every_sample_once_per_epoch_in_the_order_fresh_workers_read(
    folders, path, num_workers
):
    persistent = path_loader(folders["small"], path, num_workers, persistent=True)
    fresh = path_loader(folders["small"], path, num_workers, persistent=False)
    for _ in range(3):
        ids = [i for batch in persistent for i in ids_of(batch)]
        assert sorted(ids) == list(range(NUM_ITEMS))
        assert ids == [i for batch in fresh for i in ids_of(batch)]


@pytest.mark.parametrize("path", ["custom collate", "transform"])
def test_persistent_workers_broken_off_mid_epoch_read_the_next_epochs_as_fresh_workers_do(folders, path):
    persistent = path_loader(folders["small"], path, 2, persistent=True)
    fresh = path_loader(folders["small"], path, 2, persistent=False)
    for step, _ in enumerate(persistent):
        if step == 3:
            break
    for step, _ in enumerate(fresh):
        if step == 3:
            break
    for _ in range(2):
        ids = [i for batch in persistent for i in ids_of(batch)]
        assert sorted(ids) == list(range(NUM_ITEMS))
        assert ids == [i for batch in fresh for i in ids_of(batch)]


@pytest.mark.parametrize("path", ["custom collate", "transform"])
def test_persistent_workers_resumed_from_a_state_dict_read_the_rest_and_the_next_epochs_exactly(folders, path):
    uninterrupted = path_loader(folders["small"], path, 2, persistent=True)
    epochs = [[i for batch in uninterrupted for i in ids_of(batch)] for _ in range(3)]
    first = path_loader(folders["small"], path, 2, persistent=True)
    list(first)
    batches = iter(first)
    head = [i for _ in range(4) for i in ids_of(next(batches))]
    state = first.state_dict()
    del batches, first
    resumed = path_loader(folders["small"], path, 2, persistent=True)
    resumed.load_state_dict(state)
    assert head + [i for batch in resumed for i in ids_of(batch)] == epochs[1]
    assert [i for batch in resumed for i in ids_of(batch)] == epochs[2]
