"""BinaryWriter and Cache: chunking rules, index contents, atomic files, and clear errors."""

import json
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from litdata.format import writer as writer_module
from litdata.streaming.cache import Cache
from litdata.streaming.item_loader import TokensLoader
from litdata.streaming.writer import BinaryWriter, merge_index_files


def _index(folder):
    with open(os.path.join(folder, "index.json")) as f:
        return json.load(f)


def test_chunk_bytes_cuts_chunks_when_the_next_item_would_overflow(tmp_path):
    cache = Cache(str(tmp_path), chunk_bytes=90)
    for i in range(100):
        cache[i] = i  # 12-byte items (4-byte size header + int64)
    cache.done()
    cache.merge()
    index = _index(tmp_path)
    assert [c["chunk_size"] for c in index["chunks"]] == [7] * 14 + [2]
    for chunk in index["chunks"]:
        assert os.path.getsize(tmp_path / chunk["filename"]) == chunk["chunk_bytes"]


def test_chunk_size_puts_exactly_that_many_items_per_chunk(tmp_path):
    cache = Cache(str(tmp_path), chunk_size=25)
    for i in range(101):
        cache[i] = {"x": i}
    cache.done()
    cache.merge()
    assert [c["chunk_size"] for c in _index(tmp_path)["chunks"]] == [25, 25, 25, 25, 1]


def test_items_arriving_out_of_order_are_chunked_in_index_order(tmp_path):
    cache = Cache(str(tmp_path), chunk_size=3)
    for i in [2, 0, 1, 5, 4, 3, 6]:
        cache[i] = i
    cache.done()
    cache.merge()
    assert [cache[i] for i in range(7)] == list(range(7))


def test_index_config_has_the_0_2_76_keys(tmp_path):
    cache = Cache(str(tmp_path), chunk_size=2)
    cache[0] = (1, 2)
    cache.done()
    cache.merge()
    index = _index(tmp_path)
    assert set(index) == {"chunks", "config", "updated_at"}
    assert index["config"] == {
        "chunk_bytes": None,
        "chunk_size": 2,
        "compression": None,
        "compression_batch_size": None,
        "compression_level": None,
        "data_format": ["int", "int"],
        "data_spec": '[1, {"type": "builtins.tuple", "context": "null", "children_spec": [{"type": null, "context": '
        'null, "children_spec": []}, {"type": null, "context": null, "children_spec": []}]}]',
        "encryption": None,
        "ipc_compression": None,
        "item_loader": "PyTreeLoader",
        "types": "json",
    }


def test_zstd_writes_framed_chunks_by_default_and_whole_file_chunks_on_request(tmp_path):
    framed, whole = tmp_path / "framed", tmp_path / "whole"
    for folder, level in ((framed, None), (whole, "chunk")):
        cache = Cache(str(folder), chunk_size=10, compression="zstd", compression_level=level)
        for i in range(25):
            cache[i] = {"text": "abc" * i, "i": i}
        cache.done()
        cache.merge()
        assert [cache[i]["i"] for i in range(25)] == list(range(25))
    assert _index(framed)["config"]["compression_level"] == "batch"
    assert (framed / "chunk-0-0.bin").read_bytes()[:8] == b"LDFZ01\0\0"
    assert _index(whole)["config"]["compression_level"] is None
    assert sorted(os.listdir(whole))[0] == "chunk-0-0.zstd.bin"


def test_files_are_never_left_under_a_temporary_name(tmp_path):
    cache = Cache(str(tmp_path), chunk_size=4)
    for i in range(10):
        cache[i] = np.arange(i)
    cache.done()
    cache.merge()
    assert not [f for f in os.listdir(tmp_path) if ".tmp" in f]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(0, 300), max_size=2600), short=st.none() | st.floats(0, 1))
def test_a_chunk_file_holds_its_buffers_back_to_back_even_when_the_system_writes_less_than_asked(
    tmp_path, sizes, short
):
    """Chunks of small items are written a thousand buffers per system call; a call that writes only part of what
    it was given (``short``: the fraction it writes) must not lose, repeat or reorder a byte."""
    buffers = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    real_writev = os.writev

    def writev(fd, group):
        if short is None:
            return real_writev(fd, group)
        part = b"".join(group)[: int(short * sum(map(len, group)))]
        return os.write(fd, part) if part else 0

    path = str(tmp_path / "chunk.bin")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "writev", writev)
        writer_module._write_bytes_atomic(path, buffers)
    with open(path, "rb") as f:
        assert f.read() == b"".join(buffers)


def test_tokens_chunks_count_tokens_and_record_dim(tmp_path):
    cache = Cache(str(tmp_path), chunk_size=100, item_loader=TokensLoader())
    for i in range(10):
        cache[i] = torch.arange(30, dtype=torch.int32) + i
    cache.done()
    cache.merge()
    index = _index(tmp_path)
    assert [c["dim"] for c in index["chunks"]] == [90, 90, 90, 30]
    assert index["config"]["data_format"] == ["no_header_tensor:16"]


@pytest.mark.parametrize("per_chunk", range(1, 9))  # every residue of the header's size modulo 16
def test_items_start_aligned_in_pytree_chunks_and_right_after_the_header_in_token_chunks(tmp_path, per_chunk):
    trees = Cache(str(tmp_path / "trees"), chunk_size=per_chunk)
    tokens = Cache(str(tmp_path / "tokens"), chunk_size=9 * per_chunk, item_loader=TokensLoader())
    for i in range(per_chunk):
        trees[i] = {"i": i, "x": np.full(3, i, np.float64)}
        tokens[i] = torch.arange(9, dtype=torch.int32) + i
    for cache, folder in ((trees, "trees"), (tokens, "tokens")):
        cache.done()
        cache.merge()
        with open(tmp_path / folder / _index(tmp_path / folder)["chunks"][0]["filename"], "rb") as f:
            data = f.read()
        count, first = np.frombuffer(data, "<u4", 2)
        header_end = 4 * (int(count) + 2)
        if folder == "trees":
            assert first % 16 == 0 and header_end <= first < header_end + 16
            assert data[header_end:first] == bytes(first - header_end)  # zero padding
        else:
            assert first == header_end  # where TokensLoader reads the tokens
    assert [int(trees[i]["x"][0]) for i in range(per_chunk)] == list(range(per_chunk))


def test_an_item_larger_than_chunk_bytes_gets_its_own_chunk_with_a_warning(tmp_path):
    writer = BinaryWriter(str(tmp_path), chunk_bytes=100)
    writer.add_item(0, b"x" * 10)
    with pytest.warns(UserWarning, match="An item was larger than the target chunk size"):
        writer.add_item(1, b"y" * 500)
        writer.add_item(2, b"z" * 10)
    writer.done()
    assert [c["chunk_size"] for c in writer.chunks] == [1, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Exactly one of chunk_size"),
        ({"chunk_size": 10, "chunk_bytes": 100}, "Exactly one of chunk_size"),
        ({"chunk_bytes": "64 MiB-ish"}, "64 MiB-ish"),
        ({"chunk_size": 0}, "positive integer"),
        ({"chunk_size": 10, "compression": "gzip"}, "gzip"),
    ],
)
def test_bad_writer_settings_raise_a_clear_value_error(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        BinaryWriter(str(tmp_path), **kwargs)


def test_a_sample_that_changes_structure_is_rejected_with_both_structures(tmp_path):
    writer = BinaryWriter(str(tmp_path), chunk_size=10)
    writer.add_item(0, {"a": 1, "b": 2})
    with pytest.raises(ValueError, match="structure of the first sample"):
        writer.add_item(1, (1, 2))


def test_a_leaf_that_changes_type_is_rejected_naming_the_leaf(tmp_path):
    writer = BinaryWriter(str(tmp_path), chunk_size=10)
    writer.add_item(0, (1, np.zeros((2, 2))))
    with pytest.raises(ValueError, match="leaf 1"):
        writer.add_item(1, (1, "not an array"))


def test_merging_indexes_with_different_configs_names_the_difference(tmp_path):
    for rank, sample in ((0, 1), (1, "text")):
        writer = BinaryWriter(str(tmp_path), chunk_size=10, rank=rank)
        writer.add_item(0, sample)
        writer.done()
    files = [str(tmp_path / f"{r}.index.json") for r in (0, 1)]
    with pytest.raises(ValueError, match="config isn't consistent.*data_format"):
        merge_index_files(files)


def test_merge_orders_writer_indexes_numerically(tmp_path):
    for rank in (10, 2, 1):
        writer = BinaryWriter(str(tmp_path), chunk_size=10, rank=rank)
        writer.add_item(0, rank)
        writer.done()
    files = [str(tmp_path / f"{r}.index.json") for r in (10, 2, 1)]
    merged = merge_index_files(files)
    assert [c["filename"] for c in merged["chunks"]] == ["chunk-1-0.bin", "chunk-2-0.bin", "chunk-10-0.bin"]


_VALUES_OF_KIND = {
    "none": st.none(),
    "int": st.integers(-5, 5),
    "bool": st.booleans(),
    "float": st.floats(allow_nan=False, width=32),
    "str": st.text(max_size=3),
    "bytes": st.binary(max_size=3),
    "list": st.lists(st.integers(0, 3), max_size=2),
    "dict": st.dictionaries(st.sampled_from("xy"), st.integers(0, 3), max_size=2),
    "tuple": st.tuples(st.integers(0, 3)),
    "array": st.builds(lambda n: np.arange(n, dtype=np.int16), st.integers(0, 3)),
}


@st.composite
def _sample_runs(draw):
    """Dict samples drawn from a few shapes (keys in order, a kind of value for each): a base shape, variants of it
    with one value of another kind, and now and then other keys. Samples with the keys and value types of the
    previous one are frequent, and so are changes of one value's type."""
    kinds = sorted(_VALUES_OF_KIND)
    base = draw(st.dictionaries(st.sampled_from("abc"), st.sampled_from(kinds), min_size=1, max_size=3))
    shapes = [base]
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            shapes.append({**base, draw(st.sampled_from(sorted(base))): draw(st.sampled_from(kinds))})
        else:
            shapes.append(draw(st.dictionaries(st.sampled_from("abc"), st.sampled_from(kinds), min_size=1, max_size=3)))
    picks = draw(st.lists(st.integers(0, len(shapes) - 1), min_size=1, max_size=8))
    return [{key: draw(_VALUES_OF_KIND[kind]) for key, kind in shapes[pick].items()} for pick in picks]


def _write(folder, samples):
    """What a writer makes of ``samples``: the bytes of each chunk and the index config, or the error it raised."""
    writer = BinaryWriter(str(folder), chunk_size=3)
    try:
        for index, sample in enumerate(samples):
            writer.add_item(index, sample)
        writer.done()
    except Exception as err:
        return type(err).__name__, str(err).replace(str(folder), "<dir>")
    with open(os.path.join(folder, "0.index.json")) as f:
        index = json.load(f)
    chunks = [(folder / chunk["filename"]).read_bytes() for chunk in index["chunks"]]
    return chunks, index["config"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(samples=_sample_runs())
@example(samples=[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": True, "b": "z"}])  # bool is an int to Python
def test_samples_that_repeat_the_previous_ones_keys_and_types_are_written_as_the_full_path_writes_them(
    tmp_path_factory, samples, monkeypatch
):
    """The writer skips schema inference and flattening for a dict sample shaped like the previous one; what it
    writes (chunks, index, errors) is what it writes without that shortcut, whatever the samples."""
    fast = _write(tmp_path_factory.mktemp("fast"), samples)
    with monkeypatch.context() as patch:
        patch.setattr(writer_module, "_repeated_leaves", lambda signature, item: None)
        full = _write(tmp_path_factory.mktemp("full"), samples)
    assert fast == full
