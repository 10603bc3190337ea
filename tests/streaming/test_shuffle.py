import json
from pathlib import Path

import numpy as np
import pytest

from litdata.streaming.shuffle import (
    FullShuffle,
    IndexedChunks,
    NoShuffle,
    Shuffle,
    WindowShuffle,
    detect_posix_fast_kind,
    filesystem_kind,
    resolve_item_shuffle_window,
    shuffler_class,
)
from litdata.utilities.subsample import subsample_chunks

ORDERS = json.loads((Path(__file__).parents[1] / "reference_orders" / "orders.json").read_text())
SEED = 1234


def chunk_intervals(sizes: list[int]) -> list[tuple[int, int, int, int]]:
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return [(start, start, start + size, start + size) for start, size in zip(starts, sizes, strict=False)]


def round_robin_batches(worker_sequences: list, batch_size: int) -> list[list[int]]:
    """The batches a rank's loader yields: workers cut their own batches and are asked in turn."""
    pending = [[seq[i : i + batch_size].tolist() for i in range(0, len(seq), batch_size)] for seq in worker_sequences]
    batches = []
    while any(pending):
        for worker_batches in pending:
            if worker_batches:
                batches.append(worker_batches.pop(0))
    return batches


def rank_batches(shuffler: Shuffle, case: dict, rank: int, epoch: int) -> list[list[int]]:
    workers = max(case["num_workers"], 1)
    items, _ = shuffler.worker_sequences(
        case["world_size"], case["num_nodes"], case["num_workers"], case["batch_size"], epoch
    )
    return round_robin_batches(items[rank * workers : (rank + 1) * workers], case["batch_size"])


def stored_values(case: dict, shuffler: Shuffle, batches: list[list[int]]) -> list[list[int]]:
    """Map item ids of the (subsampled) chunk list to the values written, which are the ids in the written files."""
    dataset = ORDERS["datasets"][case["dataset"]]
    first_value = dict(zip(dataset["filenames"], np.cumsum([0] + dataset["chunk_sizes"]).tolist(), strict=False))
    files = case["ranks"][0]["subsampled_files"]
    starts = [interval[0] for interval in shuffler.intervals]
    chunk_of = lambda item: int(np.searchsorted(starts, item, side="right")) - 1
    return [[first_value[files[chunk_of(i)]] + i - starts[chunk_of(i)] for i in batch] for batch in batches]


def reference_shuffler(case: dict) -> Shuffle:
    dataset = ORDERS["datasets"][case["dataset"]]
    size_of = dict(zip(dataset["filenames"], dataset["chunk_sizes"], strict=True))
    bytes_of = dict(zip(dataset["filenames"], dataset["chunk_bytes"], strict=True))
    files, rois = subsample_chunks(
        dataset["filenames"],
        [(0, size) for size in dataset["chunk_sizes"]],
        case["subsample"],
        case["shuffle"],
        case["seed"],
    )
    start = 0
    intervals = []
    for filename, (low, high) in zip(files, rois, strict=True):
        intervals.append((start, start + low, start + high, start + size_of[filename]))
        start += size_of[filename]
    cls = WindowShuffle if case["window_shuffle"] else shuffler_class(case["shuffle"], None)
    chunks = IndexedChunks(intervals, [bytes_of[filename] for filename in files])
    if cls is NoShuffle:
        return NoShuffle(chunks, case["seed"], case["drop_last"], max_cache_size=case["max_cache_size"])
    return cls(
        chunks,
        seed=case["seed"],
        drop_last=case["drop_last"],
        item_window=resolve_item_shuffle_window(case.get("item_shuffle_window")),
        max_cache_size=case["max_cache_size"],
    )


ORDER_CASES = [case for case in ORDERS["cases"] if case["resume_after"] is None]


@pytest.mark.parametrize("case", ORDER_CASES, ids=[case["name"] for case in ORDER_CASES])
def test_every_rank_reads_the_batches_the_reference_release_reads(case):
    shuffler = reference_shuffler(case)
    for rank, recorded in enumerate(case["ranks"]):
        for epoch, batches in enumerate(recorded["epochs"], start=1):
            predicted = stored_values(case, shuffler, rank_batches(shuffler, case, rank, epoch))
            assert predicted == batches, f"rank {rank}, epoch {epoch}"


def test_first_epoch_of_the_257_item_dataset_matches_the_documented_batches():
    shuffler = FullShuffle(IndexedChunks(chunk_intervals([16] * 16 + [1]), [0] * 17), seed=SEED, drop_last=False)
    case = {"world_size": 1, "num_nodes": 1, "num_workers": 0, "batch_size": 4}
    assert rank_batches(shuffler, case, 0, 1)[:3] == [[58, 51, 63, 60], [54, 57, 59, 50], [61, 62, 55, 49]]


def test_second_epoch_of_the_257_item_dataset_starts_with_the_documented_batch():
    shuffler = FullShuffle(IndexedChunks(chunk_intervals([16] * 16 + [1]), [0] * 17), seed=SEED, drop_last=False)
    case = {"world_size": 1, "num_nodes": 1, "num_workers": 0, "batch_size": 4}
    assert rank_batches(shuffler, case, 0, 2)[0] == [109, 104, 107, 106]


def test_no_shuffle_reads_every_chunk_in_order_with_ascending_items():
    shuffler = NoShuffle(IndexedChunks(chunk_intervals([5, 5, 3]), [0] * 3), seed=SEED, drop_last=False)
    items, _ = shuffler.worker_sequences(1, 1, 1, 1, 3)
    assert items[0].tolist() == list(range(13))


def test_full_shuffle_reshuffles_chunks_every_epoch():
    shuffler = FullShuffle(IndexedChunks(chunk_intervals([4] * 10), [0] * 10), seed=SEED, drop_last=False)
    first = shuffler.assignment(1, 1, 1, 1, 1)[0]
    second = shuffler.assignment(1, 1, 1, 1, 2)[0]
    assert sorted(first[0]) == sorted(second[0]) == list(range(10))
    assert first != second


def test_two_node_full_shuffle_keeps_node_chunk_sets_after_the_first_epoch():
    # reference 100 items / 15 chunks, W=4, NNODES=2, K=2, B=3, drop_last: 24 items per rank, then 24 and 27
    shuffler = FullShuffle(IndexedChunks(chunk_intervals([7] * 14 + [2]), [100] * 15), seed=SEED, drop_last=True)
    first, _ = shuffler.worker_sequences(4, 2, 2, 3, 1)
    later, _ = shuffler.worker_sequences(4, 2, 2, 3, 2)
    first_per_rank = [sum(len(first[2 * rank + worker]) for worker in range(2)) for rank in range(4)]
    assert first_per_rank == [24, 24, 24, 24]

    def node_chunks(sequences: list, node: int) -> set[int]:
        return {min(item // 7, 14) for sequence in sequences[4 * node : 4 * node + 4] for item in sequence.tolist()}

    assert all(node_chunks(later, node) <= node_chunks(first, node) for node in range(2))


def test_two_node_full_shuffle_falls_back_to_one_global_order_when_a_node_does_not_fit_the_cache():
    intervals = chunk_intervals([7] * 14 + [2])
    small_cache = FullShuffle(IndexedChunks(intervals, [100] * 15), seed=SEED, drop_last=True, max_cache_size=150)
    single_node = FullShuffle(IndexedChunks(intervals, [100] * 15), seed=SEED, drop_last=True)
    assert small_cache.assignment(4, 2, 2, 3, 2) == single_node.assignment(4, 1, 2, 3, 2)


def test_window_shuffle_with_drop_last_can_leave_one_rank_with_fewer_items():
    shuffler = WindowShuffle(IndexedChunks(chunk_intervals([600, 600, 100]), [0] * 3), seed=SEED, drop_last=True)
    items, _ = shuffler.worker_sequences(2, 1, 2, 7, 1)
    assert [len(items[0]) + len(items[1]), len(items[2]) + len(items[3])] == [196, 98]


def test_window_shuffle_keeps_each_worker_stripe_across_epochs():
    shuffler = WindowShuffle(IndexedChunks(chunk_intervals([10] * 40), [0] * 40), seed=SEED, drop_last=False)
    first = shuffler.assignment(1, 1, 4, 1, 1)[0]
    second = shuffler.assignment(1, 1, 4, 1, 2)[0]
    assert [sorted(chunks) for chunks in first] == [sorted(chunks) for chunks in second]
    assert [sorted(chunks) for chunks in first] == [list(range(10 * w, 10 * w + 10)) for w in range(4)]
    assert first != second


def test_window_shuffle_window_of_one_keeps_stripe_order(monkeypatch):
    monkeypatch.setenv("LITDATA_POSIX_SHUFFLE_WINDOW", "1")
    shuffler = WindowShuffle(IndexedChunks(chunk_intervals([10] * 8), [0] * 8), seed=SEED, drop_last=False)
    assert shuffler.assignment(1, 1, 2, 1, 3)[0] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 256),
        ("auto", 256),
        ("", 256),
        (True, 256),
        (False, 0),
        (64, 64),
        (-3, 0),
        ("full", 0),
        ("off", 0),
        ("all", 0),
        ("0", 0),
        ("32", 32),
        ("bogus", 256),
    ],
)
def test_item_shuffle_window_argument_resolves_to_a_block_size(monkeypatch, value, expected):
    monkeypatch.delenv("LITDATA_ITEM_SHUFFLE_WINDOW", raising=False)
    assert resolve_item_shuffle_window(value) == expected


@pytest.mark.parametrize(("env", "expected"), [("auto", 256), ("full", 0), ("12", 12), ("-5", 0), ("nope", 256)])
def test_item_shuffle_window_defaults_to_the_environment_variable(monkeypatch, env, expected):
    monkeypatch.setenv("LITDATA_ITEM_SHUFFLE_WINDOW", env)
    assert resolve_item_shuffle_window(None) == expected


def test_an_explicit_item_shuffle_window_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("LITDATA_ITEM_SHUFFLE_WINDOW", "12")
    assert resolve_item_shuffle_window(40) == 40


@pytest.mark.parametrize("setting", ["0", "false", "False", ""])
def test_posix_fast_profile_is_off_when_disabled_by_environment(monkeypatch, tmp_path, setting):
    monkeypatch.setenv("LITDATA_POSIX_FAST", setting)
    assert detect_posix_fast_kind(str(tmp_path), is_remote=False, compressed=False) is None


def test_posix_fast_profile_is_forced_by_any_other_environment_value(monkeypatch, tmp_path):
    monkeypatch.setenv("LITDATA_POSIX_FAST", "1")
    assert detect_posix_fast_kind(str(tmp_path), is_remote=False, compressed=False) == "forced"


def test_posix_fast_profile_is_vast_for_a_path_naming_vast(monkeypatch, tmp_path):
    monkeypatch.delenv("LITDATA_POSIX_FAST", raising=False)
    assert detect_posix_fast_kind(str(tmp_path / "VAST_data"), is_remote=False, compressed=False) == "vast"


def test_plain_local_directory_has_the_posix_profile(monkeypatch, tmp_path):
    monkeypatch.delenv("LITDATA_POSIX_FAST", raising=False)
    assert detect_posix_fast_kind(str(tmp_path), is_remote=False, compressed=False) in {"posix", "nfs"}


MOUNTS = """overlay / overlay rw 0 0
server:/export /data nfs4 rw 0 0
10.0.0.1@tcp:/scratch /data/scratch lustre rw 0 0
vastnfs:/v /mnt/v nfs rw 0 0
tmpfs /data/tmp tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/home/user/ds", "posix"),
        ("/data/ds", "nfs"),
        ("/data/scratch/ds", "lustre"),
        ("/data/scratchy", "nfs"),
        ("/mnt/v/ds", "vast"),
        ("/data/tmp", "posix"),
    ],
)
def test_filesystem_kind_comes_from_the_longest_mount_point_holding_the_path(path, expected):
    assert filesystem_kind(path, MOUNTS) == expected


@pytest.mark.parametrize(("is_remote", "compressed"), [(True, False), (False, True)])
def test_remote_or_compressed_datasets_have_no_posix_profile(monkeypatch, tmp_path, is_remote, compressed):
    monkeypatch.setenv("LITDATA_POSIX_FAST", "1")
    assert detect_posix_fast_kind(str(tmp_path), is_remote=is_remote, compressed=compressed) is None


@pytest.mark.parametrize(
    ("shuffle", "kind", "expected"),
    [
        (False, "nfs", NoShuffle),
        (True, None, FullShuffle),
        (True, "posix", FullShuffle),
        (True, "lustre", WindowShuffle),
        (True, "forced", WindowShuffle),
    ],
)
def test_shuffler_is_chosen_from_shuffle_flag_and_filesystem_kind(shuffle, kind, expected):
    assert shuffler_class(shuffle, kind) is expected
