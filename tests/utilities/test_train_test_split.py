"""train_test_split: LitData's chunk order and cuts, disjoint subsets, and input checks."""

import pytest

from litdata import StreamingDataLoader, StreamingDataset
from litdata.utilities.train_test_split import train_test_split

from helpers import build_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("split") / "c", 83, chunk_size=9, make=lambda i: 2000 + i)


def regions(dataset):
    return [(file[6:-4], tuple(roi)) for file, roi in zip(dataset.subsampled_files, dataset.region_of_interest)]


def items(dataset):
    return sorted(int(x) for x in dataset)


def test_splits_follow_litdata_chunk_order_and_cut_chunks_between_subsets(folder):
    train, test = train_test_split(StreamingDataset(folder), [0.7, 0.3])
    # recorded from LitData 0.2.76 (seed 42)
    assert regions(train) == [
        ("0-8", (0, 9)), ("0-2", (0, 9)), ("0-4", (0, 9)), ("0-3", (0, 9)), ("0-5", (0, 9)), ("0-9", (0, 2)),
        ("0-6", (0, 9)), ("0-0", (0, 2)),
    ]  # fmt: skip
    assert regions(test) == [("0-0", (2, 9)), ("0-7", (0, 9)), ("0-1", (0, 8))]
    assert (len(train), len(test)) == (58, 24)


def test_without_shuffle_the_splits_take_the_chunks_in_order(folder):
    first, second = train_test_split(StreamingDataset(folder), [0.7, 0.3], shuffle=False)
    assert items(first) == list(range(2000, 2058))
    assert items(second) == list(range(2058, 2082))


def test_subsets_share_no_item_and_stream_exactly_their_items(folder):
    dataset = StreamingDataset(folder, shuffle=True)
    splits = train_test_split(dataset, [0.5, 0.25, 0.1], seed=3)
    contents = [items(split) for split in splits]
    assert [len(c) for c in contents] == [41, 20, 8]
    assert len(set().union(*contents)) == 69
    for split, content in zip(splits, contents):
        streamed = [x for batch in StreamingDataLoader(split, batch_size=4, num_workers=2) for x in batch.tolist()]
        assert sorted(streamed) == content
        assert split.shuffle and split.seed == dataset.seed
    assert items(dataset) == list(range(2000, 2083))  # the original is untouched


def test_a_subsampled_dataset_keeps_every_region_with_its_chunk(folder):
    dataset = StreamingDataset(folder, subsample=0.5, shuffle=True)
    kept = items(dataset)
    halves = train_test_split(dataset, [0.5, 0.5])
    contents = [items(half) for half in halves]
    assert len(contents[0]) == len(contents[1]) == len(kept) // 2
    assert set(contents[0]) | set(contents[1]) <= set(kept)
    assert not set(contents[0]) & set(contents[1])


@pytest.mark.parametrize(
    ("splits", "match"),
    [
        ([0.7, 0.4], "sum"),
        ([-0.1, 0.5], r"\[0, 1\]"),
        ([1.5], r"\[0, 1\]"),
        (["a"], "fraction"),
        ([], "at least"),
    ],
)
def test_bad_splits_are_refused(folder, splits, match):
    with pytest.raises(ValueError, match=match):
        train_test_split(StreamingDataset(folder), splits)


def test_only_streaming_datasets_can_be_split():
    with pytest.raises(TypeError, match="StreamingDataset"):
        train_test_split(list(range(10)), [0.5])
