"""The per-sample path: a loader with a custom collate, a transform or a ``__getitem__`` subclass reads each batch's
samples at once, and hands user code samples that are its own: writable, disjoint from every other sample, from the
chunk file and from any later read of the same item, never overwritten while held, and the same values and types
as reading the items one by one."""

import os

import numpy as np
import pytest
import torch

from litdata import StreamingDataLoader, StreamingDataset
from litdata.format import private_map
from litdata.format.checksums import ChunkChecksumError

from helpers import build_dataset

NUM_ITEMS = 40
WIDTH = 40_000  # 160 KB of float32 per sample: read from the file, a batch of 8 fills a pooled 1 MB buffer


def make(i):
    return {"i": i, "x": np.full(WIDTH, i, dtype=np.float32), "t": torch.full((3, 2), i, dtype=torch.int16)}


def make_aligned(i):
    """Large samples whose leaves all sit at offsets aligned for their dtypes: batches in order map the file."""
    return {"i": i, "f": i / 2, "x": np.full(WIDTH, i, dtype=np.float32), "t": np.full((4, 2), i, dtype=np.int16)}


def make_small(i):
    return {"i": i, "f": i / 2, "x": np.full((2, 3), i, dtype=np.int64), "p": (i, np.full(4, i, np.uint8))}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("per-sample")
    return {
        "large": build_dataset(root / "large", NUM_ITEMS, chunk_size=8, make=make),
        "aligned": build_dataset(root / "aligned", NUM_ITEMS, chunk_size=8, make=make_aligned),
        "small": build_dataset(root / "small", NUM_ITEMS, chunk_size=8, make=make_small),
    }


class Tagged(StreamingDataset):
    """A subclass as users write them: ``super().__getitem__`` and something of its own."""

    def __getitem__(self, index):
        sample = super().__getitem__(index)
        sample["tag"] = "mine"
        return sample


class Neighbour(StreamingDataset):
    """A subclass that reads another item than the one it is given (read-ahead must step aside)."""

    def __getitem__(self, index):
        if isinstance(index, int):
            return super().__getitem__(index)
        return super().__getitem__((index.index + 1) % NUM_ITEMS)


def folder_bytes(folder):
    contents = {}
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            contents[name] = f.read()
    return contents


def value_of(sample):
    return int(sample["i"])


def check_private(samples):
    """Every array of every sample is writable, holds its sample's value and shares no memory with another's."""
    arrays = [a for s in samples for a in (s["x"], np.asarray(s["t"]))]
    assert all(a.flags.writeable for a in arrays)
    for s in samples:
        assert (s["x"] == value_of(s)).all() and (s["t"] == value_of(s)).all()
    for j, a in enumerate(arrays):
        for b in arrays[j + 1 :]:
            assert not np.shares_memory(a, b)


PATHS = ["collate", "transform", "subclass"]


def loader_for(folder, path, workers, shuffle, collate=None, batch_size=8, **loader_kwargs):
    kwargs = {"transform": lambda s: {**s, "via": "transform"}} if path == "transform" else {}
    cls = Tagged if path == "subclass" else StreamingDataset
    dataset = cls(folder, shuffle=shuffle, **kwargs)
    loader_kwargs["num_workers"] = workers
    return StreamingDataLoader(dataset, batch_size=batch_size, collate_fn=collate or list, **loader_kwargs)


LARGE = ["large", "aligned"]  # leaves at any offsets (read into lent memory), or aligned (mapped privately in order)


def keeping_collate(kept):
    """A user's collate that keeps every sample it gets (in the process that collates: the training process or a
    worker), checks that those it kept before are intact, and writes into each new one."""

    def collate(samples):
        check_private(samples)
        for s in kept:  # kept from earlier batches (and epochs, in a persistent worker): only its own writes
            assert (s["x"] == -value_of(s)).all() and (s["t"] == value_of(s)).all()
        for s in samples:
            assert s.get("via", "transform") == "transform" and s.get("tag", "mine") == "mine"
            kept.append(s)
        ids = [value_of(s) for s in samples]
        for s in samples:
            s["x"] *= -1  # a user writing into a sample
        return ids

    return collate


LOADERS = {"main": {"num_workers": 0}, "workers": {"num_workers": 2}}
LOADERS["persistent"] = {"num_workers": 2, "persistent_workers": True}


@pytest.mark.parametrize("kind", LARGE)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("loader_kwargs", LOADERS.values(), ids=LOADERS.keys())
@pytest.mark.parametrize("shuffle", [False, True])
def test_samples_handed_to_user_code_are_writable_private_and_never_overwritten(
    folders, kind, path, loader_kwargs, shuffle
):
    kept = []
    workers = loader_kwargs["num_workers"]
    loader = loader_for(folders[kind], path, workers, shuffle, keeping_collate(kept), **loader_kwargs)
    for _ in range(2):  # the second epoch reads what the first left: nothing written reaches it
        ids = [i for batch in loader for i in batch]
        assert sorted(ids) == list(range(NUM_ITEMS))
    if workers == 0:  # the training process collated: what it kept over two epochs is intact
        assert len(kept) == 2 * NUM_ITEMS
        check_private([{**s, "x": -s["x"]} for s in kept])


@pytest.mark.parametrize("kind", LARGE)
@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("shuffle", [False, True])
def test_a_resumed_loader_hands_user_code_private_samples_for_the_rest_of_the_epoch(folders, kind, workers, shuffle):
    loader = loader_for(folders[kind], "collate", workers, shuffle, keeping_collate([]))
    seen = []
    for step, batch in enumerate(loader):
        seen += batch
        if step == 1:
            state = loader.state_dict()
            break
    resumed = loader_for(folders[kind], "collate", workers, shuffle, keeping_collate([]))
    resumed.load_state_dict(state)
    rest = [i for batch in resumed for i in batch]
    assert sorted(seen + rest) == list(range(NUM_ITEMS))
    assert sorted(i for batch in resumed for i in batch) == list(range(NUM_ITEMS))  # the next epoch, whole


@pytest.mark.parametrize("kind", LARGE)
@pytest.mark.parametrize("path", PATHS)
def test_samples_share_nothing_with_a_later_read_of_the_same_item_or_with_the_chunk_file(folders, kind, path):
    folder = folders[kind]
    files = folder_bytes(folder)
    loader = loader_for(folder, path, 0, False)
    dataset = StreamingDataset(folder)
    for batch in loader:
        for s in batch:
            again = dataset[value_of(s)]
            assert not np.shares_memory(s["x"], again["x"])
            s["x"][:] = -7
            s["t"][:] = -7
            assert (again["x"] == value_of(s)).all()
            assert (dataset[value_of(s)]["x"] == value_of(s)).all()
    assert folder_bytes(folder) == files
    assert [value_of(s) for batch in loader for s in batch] == list(range(NUM_ITEMS))


def leaves(sample, prefix=""):
    """(path, type, dtype, shape, writable, value) of every leaf of a sample."""
    if isinstance(sample, dict):
        return [leaf for key in sample for leaf in leaves(sample[key], f"{prefix}[{key}]")]
    if isinstance(sample, tuple):
        found = [(prefix, type(sample), None, None, None, None)]
        return found + [leaf for k, v in enumerate(sample) for leaf in leaves(v, f"{prefix}[{k}]")]
    if isinstance(sample, np.ndarray):
        return [(prefix, np.ndarray, sample.dtype, sample.shape, sample.flags.writeable, sample.tolist())]
    if isinstance(sample, torch.Tensor):
        return [(prefix, torch.Tensor, sample.dtype, tuple(sample.shape), True, sample.tolist())]
    return [(prefix, type(sample), None, None, None, sample)]


@pytest.mark.parametrize("kind", [*LARGE, "small"])
@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("shuffle", [False, True])
def test_the_per_sample_path_yields_what_reading_items_one_by_one_yields(folders, kind, workers, shuffle):
    dataset = StreamingDataset(folders[kind], shuffle=shuffle)
    one_by_one = {value_of(s): leaves(s) for s in dataset}  # plain iteration: one item at a time
    loader = StreamingDataLoader(dataset, batch_size=8, num_workers=workers, collate_fn=list)
    seen = [s for batch in loader for s in batch]
    assert sorted(value_of(s) for s in seen) == list(range(NUM_ITEMS))
    for s in seen:
        assert leaves(s) == one_by_one[value_of(s)]
    if workers == 0:  # and in the same order as iterating the dataset in this process
        assert [value_of(s) for s in seen] == [value_of(s) for s in dataset]


def test_a_subclass_that_reads_other_items_gets_them(folders):
    loader = StreamingDataLoader(Neighbour(folders["large"]), batch_size=8, collate_fn=list)
    for _ in range(2):
        assert [value_of(s) for batch in loader for s in batch] == [(i + 1) % NUM_ITEMS for i in range(NUM_ITEMS)]


def test_a_transform_that_makes_tensors_is_collated_by_the_default_collate(folders):
    dataset = StreamingDataset(folders["large"], transform=lambda s: {"i": s["i"], "x": torch.as_tensor(s["x"])})
    kept = []
    for batch in StreamingDataLoader(dataset, batch_size=8):
        assert batch["x"].shape == (8, WIDTH) and batch["x"].dtype == torch.float32
        assert torch.equal(batch["x"][:, 0], batch["i"].float())
        kept.append(batch)
    for batch in kept:  # batches kept by the loop are never overwritten by the next ones
        assert torch.equal(batch["x"], batch["i"].float()[:, None].expand(8, WIDTH))


def test_a_corrupt_chunk_read_ahead_raises_before_any_of_its_samples_is_handed_out(tmp_path):
    folder = build_dataset(tmp_path / "corrupt", NUM_ITEMS, chunk_size=8, make=make)
    path = os.path.join(folder, "chunk-0-3.bin")
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) - 3)
        f.write(b"\xff")
    seen = []

    def collate(samples):
        seen.extend(value_of(s) for s in samples)
        return samples

    with pytest.raises(ChunkChecksumError, match="chunk-0-3.bin"):
        for _ in StreamingDataLoader(StreamingDataset(folder), batch_size=8, collate_fn=collate):
            pass
    assert seen == list(range(24))  # chunks 0-2 (verified ahead on the prefetch thread), nothing of chunk 3


def _open_descriptors_and_mappings():
    return len(os.listdir("/proc/self/fd")), sum(1 for _ in open("/proc/self/maps"))


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="counts descriptors and mappings in /proc")
def test_samples_kept_from_many_batches_hold_no_file_open_and_their_memory_goes_with_them(folders, monkeypatch):
    from litdata.format import chunk

    mapped = []
    monkeypatch.setattr(chunk, "map_private", lambda *a: mapped.append(a) or private_map.map_private(*a))
    loader = loader_for(folders["aligned"], "collate", 0, False, batch_size=2)
    list(loader)  # warm up: chunks opened once, pools filled
    before = _open_descriptors_and_mappings()
    kept = [batch[0] for _ in range(5) for batch in loader]  # one sample of every batch, 100 batches
    assert len(mapped) >= 100  # the batches were mapped, not read: the path under test
    assert all((s["x"] == value_of(s)).all() for s in kept)
    fds, maps = _open_descriptors_and_mappings()
    assert fds <= before[0] + 2  # a chunk's own descriptor at most, never one per batch kept
    assert maps >= before[1] + 50  # the kept samples' batches are still mapped...
    del kept
    assert _open_descriptors_and_mappings()[1] <= before[1] + 2  # ... and unmapped once nothing of them is left
