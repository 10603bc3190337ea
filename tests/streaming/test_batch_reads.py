"""Batches read whole (the default collate of StreamingDataLoader): the same batches as collating sample by sample,
for every kind of chunk, order, worker count and batch boundary; batches a training loop keeps stay intact."""

import collections

import numpy as np
import pytest
import torch

from litdata import StreamingDataLoader, StreamingDataset, TokensLoader, litdata_collate
from litdata.streaming.loading.batch_buffers import BatchBufferPool
from litdata.streaming.reading.cache import Cache
from litdata.utilities._pytree import register_namedtuple

from helpers import build_dataset

Pair = collections.namedtuple("Pair", ["left", "right"])
register_namedtuple(Pair, serialized_type_name="test_batch_reads.Pair")


def assert_same_batch(actual, expected):
    assert type(actual) is type(expected)
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_same_batch(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same_batch(a, e)
    elif isinstance(expected, torch.Tensor):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        assert torch.equal(actual, expected)
    else:
        assert actual == expected


def epoch_pairs(folder, batch_size, num_workers=0, **dataset_kwargs):
    """The epoch read whole (default collate) and sample by sample (an explicit collate_fn), batch for batch."""

    def epoch(collate_fn):
        dataset = StreamingDataset(folder, **dataset_kwargs)
        loader = StreamingDataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=collate_fn)
        return list(loader)

    whole, per_sample = epoch(None), epoch(litdata_collate)
    assert len(whole) == len(per_sample) > 0
    return zip(whole, per_sample)


def fixed_size_sample(i):
    rng = np.random.default_rng(i)
    return {
        "index": i,
        "score": i / 7,
        "image": rng.integers(0, 255, (3, 8, 8), dtype=np.uint8),
        "features": rng.random(12).astype(np.float32),
        "tokens": torch.arange(i, i + 5),
        "mask": torch.ones(2, 3, dtype=torch.bool) if i % 2 else torch.zeros(2, 3, dtype=torch.bool),
        "pair": Pair(i, np.full(4, i, dtype=np.int16)),
        "nested": [i * 2, (np.float64(i), i + 1)],
    }


@pytest.fixture(scope="module")
def fixed_size(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("fixed") / "data", 57, chunk_size=10, make=fixed_size_sample)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [4, 7, 16])
def test_fixed_size_samples_give_the_batches_of_per_sample_collation(fixed_size, shuffle, batch_size):
    for whole, per_sample in epoch_pairs(fixed_size, batch_size, shuffle=shuffle, drop_last=batch_size == 7):
        assert_same_batch(whole, per_sample)


def test_with_workers_the_batches_are_those_of_per_sample_collation(fixed_size):
    for whole, per_sample in epoch_pairs(fixed_size, 6, num_workers=2, shuffle=True):
        assert_same_batch(whole, per_sample)


def test_samples_of_varying_size_and_any_leaf_type_give_the_same_batches(tmp_path):
    def make(i):
        return {"text": "x" * (i % 5), "array": np.arange(3) + i, "raw": bytes([i]) * (i % 4), "id": i}

    folder = build_dataset(tmp_path / "varying", 33, chunk_size=8, make=make)
    for whole, per_sample in epoch_pairs(folder, 5, shuffle=True):
        assert_same_batch(whole, per_sample)


@pytest.mark.parametrize("kwargs", [{"compression": "zstd"}, {}])
@pytest.mark.parametrize("shuffle", [False, True])
def test_large_samples_read_from_the_file_give_the_same_batches(tmp_path, kwargs, shuffle):
    def make(i):
        return {"id": i, "big": np.full((64, 128), i, dtype=np.float64), "small": np.arange(3) + i}

    folder = build_dataset(tmp_path / "large", 23, chunk_size=6, make=make, **kwargs)
    for whole, per_sample in epoch_pairs(folder, 5, shuffle=shuffle):
        assert_same_batch(whole, per_sample)


def test_plain_leaf_samples_give_the_same_batches(tmp_path):
    ints = build_dataset(tmp_path / "ints", 25, chunk_size=4)
    for whole, per_sample in epoch_pairs(ints, 6):
        assert_same_batch(whole, per_sample)
    tuples = build_dataset(tmp_path / "tuples", 25, chunk_size=4, make=lambda i: (np.arange(3) * i, float(i)))
    for whole, per_sample in epoch_pairs(tuples, 6, shuffle=True):
        assert_same_batch(whole, per_sample)


@pytest.mark.parametrize("shuffle", [False, True])
def test_token_blocks_give_the_same_batches(tmp_path, shuffle):
    cache = Cache(str(tmp_path / "tokens"), chunk_size=300, item_loader=TokensLoader())
    rng = np.random.default_rng(0)
    for i in range(40):
        cache[i] = rng.integers(0, 1000, int(rng.integers(20, 90)), dtype=np.int32)
    cache.done()
    cache.merge()
    for whole, per_sample in epoch_pairs(
        str(tmp_path / "tokens"), 6, item_loader=TokensLoader(block_size=17), shuffle=shuffle
    ):
        assert_same_batch(whole, per_sample)


def test_batches_kept_by_the_training_loop_are_not_overwritten(tmp_path):
    def make(i):
        return {"id": i, "x": np.full(40_000, i, dtype=np.float32)}  # 160 KB: batches come from the buffer pool

    folder = build_dataset(tmp_path / "kept", 60, chunk_size=10, make=make)
    loader = StreamingDataLoader(StreamingDataset(folder), batch_size=10)
    kept = [batch for _ in range(2) for batch in loader]
    for batch in kept:
        assert torch.equal(batch["x"], batch["id"].float()[:, None].expand(-1, 40_000))
    assert torch.cat([batch["id"] for batch in kept]).tolist() == list(range(60)) * 2


def test_a_batch_over_chunks_with_and_without_columns_is_collated_sample_by_sample(tmp_path):
    lengths = [4] * 10 + [4, 6] * 5  # chunk 0: every array has 4 values; chunk 1: 4 or 6
    folder = build_dataset(tmp_path / "mixed", 20, chunk_size=10, make=lambda i: {"a": np.arange(lengths[i]) + i})
    dataset = StreamingDataset(folder)
    reader = dataset._get_reader()
    loader = reader.config.item_loader
    assert loader.batch_columns(0, reader._chunk(0)) is not None
    assert loader.batch_columns(1, reader._chunk(1)) is None
    batch = reader.read_batch([(0, range(7, 10)), (1, [12, 10, 14])], ends_plan=False)
    expected = litdata_collate([dataset[i] for i in [7, 8, 9, 12, 10, 14]])
    assert_same_batch(batch, expected)


def test_transforms_and_batch_decode_false_read_sample_by_sample(fixed_size):
    def double(sample):
        return {**sample, "index": sample["index"] * 2}

    loader = StreamingDataLoader(StreamingDataset(fixed_size, transform=double), batch_size=8)
    assert torch.cat([b["index"] for b in loader]).tolist() == [2 * i for i in range(57)]
    plain = StreamingDataLoader(StreamingDataset(fixed_size, batch_decode=False), batch_size=8)
    for whole, per_sample in zip(plain, StreamingDataLoader(StreamingDataset(fixed_size), batch_size=8)):
        assert_same_batch(whole, per_sample)


def test_the_pool_lends_a_buffer_again_only_once_nothing_refers_to_it():
    pool = BatchBufferPool(min_bytes=1, buffers_per_size=2)
    first = pool.array((4, 8), np.float32)
    derived = torch.from_numpy(first)[1:]  # a view of the batch kept by the user
    del first
    second = pool.array((4, 8), np.float32)
    assert not np.shares_memory(second, derived.numpy())
    assert pool.array((4, 8), np.float32) is None  # both buffers lent, the pool is full: allocate elsewhere
    address = second.__array_interface__["data"][0]
    del second
    assert pool.array((4, 8), np.float32).__array_interface__["data"][0] == address


def _stack_collate(samples):
    """A user's collate (the batch leaves the worker through its shared buffers too)."""
    return {"id": torch.tensor([s["id"] for s in samples]), "x": torch.from_numpy(np.stack([s["x"] for s in samples]))}


def _keep(batch, how):
    """What a training loop may keep of a batch, and how to read its ids and values back later."""
    ids = batch["id"].clone()
    if how == "batch":
        return ids, lambda: batch["x"]
    if how == "view":
        view = batch["x"][1:]
        return ids[1:], lambda: view
    if how == "storage":  # an untyped storage object alone
        storage, shape = batch["x"].untyped_storage(), tuple(batch["x"].shape)
        return ids, lambda: torch.empty(0, dtype=torch.float32).set_(storage, 0, shape)
    array = batch["x"].numpy()  # a numpy array alone
    return ids, lambda: torch.from_numpy(array)


@pytest.mark.parametrize(
    "loader_kwargs",
    [
        {},
        {"persistent_workers": True},
        {"pin_memory": True},
        {"collate_fn": _stack_collate, "persistent_workers": True},
        {"multiprocessing_context": "spawn", "persistent_workers": True},
    ],
)
def test_batches_from_workers_kept_by_the_training_loop_are_not_overwritten(tmp_path, loader_kwargs):
    def make(i):
        return {"id": i, "x": np.full(3000, i, dtype=np.float32)}

    folder = build_dataset(tmp_path / "kept", 90, chunk_size=10, make=make)
    loader = StreamingDataLoader(StreamingDataset(folder, shuffle=True), batch_size=6, num_workers=2, **loader_kwargs)
    kept, seen = [], 0
    for _ in range(3):
        for batch in loader:  # 72 KB batches: lent from the workers' shared buffers
            # keep one batch in two (whole, a view, its storage alone or its numpy array alone): the rest is
            # released to the workers, which refill it while the loop goes on
            if seen % 2:
                kept.append(_keep(batch, ("batch", "view", "storage", "numpy")[seen // 2 % 4]))
            seen += 1
    assert len(kept) > 20
    for ids, values in kept:
        assert torch.equal(values(), ids.float()[:, None].expand(-1, 3000))


def test_batches_from_workers_are_lent_from_a_few_shared_buffers_refilled_once_nothing_of_them_is_left(tmp_path):
    from litdata.streaming.loading import worker_buffers

    folder = build_dataset(tmp_path / "lent", 200, chunk_size=20, make=lambda i: np.full(100, i, dtype=np.int64))
    loader = StreamingDataLoader(StreamingDataset(folder), batch_size=4, num_workers=1, persistent_workers=True)
    for _ in range(2):
        pointers, previous = set(), None
        for batch in loader:
            (slots,) = worker_buffers.slot_registry._by_pid.values()  # the one worker's shared buffers
            assert batch.untyped_storage().data_ptr() in {s.data_ptr() for s in slots.values()}  # no copy
            pointers.add(batch.untyped_storage().data_ptr())
            assert torch.equal(batch[:, 0], batch[:, -1])
            if previous is not None:  # the loop keeps the previous batch: it was not refilled meanwhile
                assert torch.equal(previous[:, 0], previous[:, -1]) and previous[0, 0] == batch[0, 0] - 4
            previous = batch
        assert len(pointers) <= worker_buffers._SLOTS_PER_SIZE  # 50 batches through a handful of buffers


def test_the_next_epochs_workers_take_over_the_shared_buffers_of_the_last(tmp_path):
    from litdata.streaming.loading import worker_buffers

    folder = build_dataset(tmp_path / "epochs", 120, chunk_size=10, make=lambda i: np.full(5000, i, dtype=np.int64))
    dataset = StreamingDataset(folder, shuffle=True)
    handed_over = None
    for epoch in range(3):
        loader = StreamingDataLoader(dataset, batch_size=6, num_workers=2)  # a new loader: new workers
        ids = []
        for batch in loader:
            assert torch.equal(batch[:, 0], batch[:, -1])
            ids += batch[:, 0].tolist()
        del batch  # a batch still held when its worker exits keeps its buffer: the next worker makes a new one
        assert sorted(ids) == list(range(120)), epoch
        cached = {
            worker: [s.data_ptr() for s, _ in storages]
            for worker, storages in worker_buffers.slot_registry._by_worker.items()
        }
        assert set(cached) == {0, 1}
        if handed_over is not None:  # the same memory went round again, no new buffers were made
            assert cached == handed_over
        handed_over = cached


def _rows_of_one_value(tmp_path, name: str, items: int = 64) -> str:
    """A dataset whose item ``i`` is 70,000 int64s equal to ``i`` (4 items: a 2.2 MB batch, pooled)."""
    return build_dataset(tmp_path / name, items, chunk_size=8, make=lambda i: np.full(70_000, i, dtype=np.int64))


def _hand_over_the_third_batch(loader, hand_over) -> list[int]:
    """Two epochs of ``loader``; the third batch of the first goes to ``hand_over``, then is dropped here (its
    memory may be refilled). Returns that batch's ids."""
    ids: list[int] = []
    for epoch in range(2):  # persistent workers refill the same buffers in the next epoch
        for step, batch in enumerate(loader):
            if epoch == 0 and step == 2:
                ids = batch[:, 0].tolist()
                hand_over(batch)
                del batch
    return ids


def _assert_the_other_process_kept(ids, child, go, result) -> None:
    """Let the other process look at the batch it holds: intact, the same ids."""
    go.set()
    assert result.get(timeout=60) == (True, ids)
    child.join(30)
    assert child.exitcode == 0


def _check_after_the_parent_went_on(kept, go, result):
    go.wait(60)  # until the parent has refilled its batch memory several times
    values = kept.numpy()  # numpy: torch's OpenMP threads may not survive a fork
    result.put((bool((values == values[:, :1]).all()), values[:, 0].tolist()))


@pytest.mark.parametrize(
    "loader_kwargs", [{"num_workers": 0}, {"num_workers": 2, "persistent_workers": True}], ids=["main", "workers"]
)
def test_a_process_forked_mid_epoch_keeps_the_batch_it_inherited_while_the_parent_reuses_its_memory(
    tmp_path, loader_kwargs
):
    import multiprocessing

    loader = StreamingDataLoader(StreamingDataset(_rows_of_one_value(tmp_path, "fork")), batch_size=4, **loader_kwargs)
    context = multiprocessing.get_context("fork")
    go, result = context.Event(), context.Queue()
    children = []

    def fork_holding(batch):
        children.append(context.Process(target=_check_after_the_parent_went_on, args=(batch, go, result), daemon=True))
        children[0].start()

    ids = _hand_over_the_third_batch(loader, fork_holding)
    _assert_the_other_process_kept(ids, children[0], go, result)


def test_a_process_forked_after_the_epoch_keeps_the_last_batch_while_the_next_epochs_workers_refill(tmp_path):
    import multiprocessing

    dataset = StreamingDataset(
        _rows_of_one_value(tmp_path, "last"), shuffle=True
    )  # each epoch fills the buffers with other batches
    loader = StreamingDataLoader(dataset, batch_size=4, num_workers=2)  # new workers every epoch
    context = multiprocessing.get_context("fork")
    go, result = context.Event(), context.Queue()
    batch = collections.deque(loader, maxlen=1).pop()  # the last batch is held as the epoch's workers exit
    ids = batch[:, 0].tolist()
    child = context.Process(target=_check_after_the_parent_went_on, args=(batch, go, result), daemon=True)
    child.start()
    del batch  # the next epoch's workers take over the buffers the last ones left
    for _ in range(2):
        assert sorted(i for b in loader for i in b[:, 0].tolist()) == list(range(64))
    _assert_the_other_process_kept(ids, child, go, result)


def _receive_batch_then_check(batches, go, result):
    kept = batches.get(timeout=60)
    go.wait(60)  # until the parent has refilled its batch memory several times
    result.put((bool(torch.equal(kept, kept[:, :1].expand_as(kept))), kept[:, 0].tolist()))


def test_a_batch_sent_to_another_process_stays_intact_while_the_workers_refill_its_buffer(tmp_path):
    import torch.multiprocessing as torch_mp

    dataset = StreamingDataset(_rows_of_one_value(tmp_path, "sent"))
    loader = StreamingDataLoader(dataset, batch_size=4, num_workers=2, persistent_workers=True)
    context = torch_mp.get_context("spawn")
    batches, go, result = context.Queue(), context.Event(), context.Queue()
    child = context.Process(target=_receive_batch_then_check, args=(batches, go, result), daemon=True)
    child.start()
    ids = _hand_over_the_third_batch(loader, batches.put)  # torch moves it to shared memory of its own as it is sent
    _assert_the_other_process_kept(ids, child, go, result)


def test_a_forked_process_can_stream_with_the_memory_pool_it_starts_with(tmp_path):
    import multiprocessing

    folder = _rows_of_one_value(tmp_path, "child", 32)
    parent_ids = [b[:, 0].tolist() for b in StreamingDataLoader(StreamingDataset(folder), batch_size=4)]
    assert sum(parent_ids, []) == list(range(32))  # the parent's pool now holds buffers
    context = multiprocessing.get_context("fork")
    result = context.Queue()

    def stream():
        torch.set_num_threads(1)  # torch's OpenMP threads may not survive a fork
        ids = [b[:, 0].tolist() for b in StreamingDataLoader(StreamingDataset(folder), batch_size=4)]
        result.put(sum(ids, []))

    child = context.Process(target=stream, daemon=True)
    child.start()
    assert result.get(timeout=60) == list(range(32))
    child.join(30)
    assert child.exitcode == 0


@pytest.mark.parametrize("side", [2, 64])  # small items are copied from the mapping, large ones read from the file
def test_items_of_equal_size_but_other_shapes_than_the_first_are_decoded_sample_by_sample(tmp_path, side):
    shapes = [(side, 6), (6, side)]  # same number of values, so every item has the same size
    folder = build_dataset(
        tmp_path / "shapes", 10, chunk_size=10, make=lambda i: {"i": i, "a": np.full(shapes[i % 2], i, np.float64)}
    )
    dataset = StreamingDataset(folder)
    reader = dataset._get_reader()
    like_first = reader.read_batch([(0, [0, 2, 4])], ends_plan=False)
    assert_same_batch(like_first, litdata_collate([dataset[i] for i in [0, 2, 4]]))
    others = reader.read_batch([(0, [5, 3]), (0, [9])], ends_plan=False)
    assert_same_batch(others, litdata_collate([dataset[i] for i in [5, 3, 9]]))
    assert reader.config.item_loader.batch_columns(0, reader._chunk(0)) is None  # read sample by sample from now on


class Doubled(StreamingDataset):
    def __getitem__(self, index):
        sample = super().__getitem__(index)
        return {**sample, "index": sample["index"] * 2}


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_subclass_overriding_getitem_shapes_what_iteration_and_the_loader_yield(fixed_size, num_workers):
    dataset = Doubled(fixed_size)
    assert [sample["index"] for sample in dataset] == [2 * i for i in range(57)]
    assert dataset[3]["index"] == 6
    loader = StreamingDataLoader(Doubled(fixed_size), batch_size=8, num_workers=num_workers)
    assert sorted(torch.cat([batch["index"] for batch in loader]).tolist()) == [2 * i for i in range(57)]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_batches_whose_items_differ_from_their_chunk_layout_come_out_right_with_workers(tmp_path, num_workers):
    def make(i):  # chunk 1: items 10-14 are laid out like its first item, items 15-19 are not (same size)
        shape = (6, 2) if i >= 15 else (2, 6)
        return {"i": i, "a": np.full(shape, i, np.float32)}

    folder = build_dataset(tmp_path / "late", 30, chunk_size=10, make=make)
    loader = StreamingDataLoader(StreamingDataset(folder), batch_size=5, num_workers=num_workers)
    for _ in range(2):
        batches = list(loader)
        assert sorted(torch.cat([b["i"] for b in batches]).tolist()) == list(range(30))
        for batch in batches:
            assert tuple(batch["a"].shape[1:]) == ((6, 2) if batch["i"][0] >= 15 else (2, 6))
            assert torch.equal(batch["a"], batch["i"].float()[:, None, None].expand_as(batch["a"]))


def test_spawned_workers_start_with_their_own_buffers_and_deliver_every_batch_intact(tmp_path):
    folder = build_dataset(tmp_path / "spawn", 60, chunk_size=10, make=lambda i: np.full(5000, i, dtype=np.int64))
    dataset = StreamingDataset(folder, shuffle=True)
    for _ in range(2):  # the second epoch's workers inherit nothing under spawn
        loader = StreamingDataLoader(dataset, batch_size=4, num_workers=2, multiprocessing_context="spawn")
        kept = list(loader)
        assert sorted(torch.cat(kept)[:, 0].tolist()) == list(range(60))
        assert all(torch.equal(b, b[:, :1].expand_as(b)) for b in kept)


@pytest.mark.parametrize(
    "make",
    [
        lambda i: {"i": i, "t": torch.full((64,), i, dtype=torch.float32)},  # 1-D: no_header_tensor
        lambda i: {"i": i, "t": torch.full((4, 8), i, dtype=torch.int16)},  # n-D: tensor, with its header
    ],
    ids=["1-D", "n-D"],
)
def test_tensor_leaves_are_read_as_columns_and_give_the_batches_of_per_sample_collation(tmp_path, make):
    folder = build_dataset(tmp_path / "tensors", 40, chunk_size=10, make=make)
    reader = StreamingDataset(folder)._get_reader()
    assert reader.config.item_loader.batch_columns(0, reader._chunk(0)) is not None  # the whole-batch path
    for workers, shuffle in ((0, False), (0, True), (2, True)):
        for whole, one_by_one in epoch_pairs(folder, 8, workers, shuffle=shuffle):
            assert_same_batch(whole, one_by_one)
