import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import zstandard

from litdata.streaming.compression import (
    _COMPRESSORS,
    Compressor,
    CorruptedChunkError,
    FramedChunkReader,
    ZSTDCompressor,
    compress_sample,
    decompress_sample,
    get_compressor,
    is_framed_chunk,
    pack_framed_chunk,
    resolve_compression,
)

GOLDEN = Path("/work/shared/fixtures/litdata-0.2.76")
golden_required = pytest.mark.skipif(not GOLDEN.exists(), reason="golden fixtures are not available")


def _frame_records(chunk: bytes) -> list[tuple[int, ...]]:
    num_items, num_frames = struct.unpack_from("<I", chunk, 12)[0], struct.unpack_from("<I", chunk, 20)[0]
    table_start = 24 + 4 * (num_items + 1)
    return [struct.unpack_from("<IIQII", chunk, table_start + 24 * f) for f in range(num_frames)]


def _items(count: int, size: int = 12) -> list[bytes]:
    return [bytes([i % 256]) * size for i in range(count)]


def test_zstd_round_trips_bytes():
    data = b"litdata " * 1000
    compressor = ZSTDCompressor(level=9)
    assert compressor.decompress(compressor.compress(data)) == data


def test_zstd_decompresses_frames_without_content_size():
    data = b"no size in header " * 500
    frame = zstandard.ZstdCompressor(write_content_size=False).compress(data)
    assert ZSTDCompressor().decompress(frame) == data


def test_zstd_accepts_memoryviews():
    data = bytes(range(256)) * 10
    compressor = ZSTDCompressor()
    assert compressor.decompress(memoryview(compressor.compress(memoryview(data)))) == data


def test_registry_has_zstd_at_level_4_and_every_numeric_level():
    assert _COMPRESSORS["zstd"].level == 4
    assert {f"zstd:{level}" for level in range(1, 23)} <= set(_COMPRESSORS)
    assert get_compressor("zstd:22").level == 22


@pytest.mark.parametrize("name", ["gzip", "zstd:0", "zstd:23", "zstd_framed"])
def test_unknown_compressor_name_error_lists_valid_names(name):
    with pytest.raises(ValueError, match="'zstd:1' ... 'zstd:22'"):
        get_compressor(name)


def test_compressor_subclass_must_implement_both_directions():
    class Incomplete(Compressor):
        def compress(self, data):
            return bytes(data)

    with pytest.raises(TypeError):
        Incomplete()


def test_no_compression_resolves_to_no_level():
    assert resolve_compression(None, "sample", None, "PyTreeLoader") == (None, None)


def test_omitted_level_defaults_to_batch_for_the_pytree_loader():
    assert resolve_compression("zstd", None, None, "PyTreeLoader") == ("zstd", "batch")
    assert resolve_compression("zstd:3", None, None, None) == ("zstd:3", "batch")


def test_omitted_level_falls_back_to_chunk_for_tokens_loader():
    assert resolve_compression("zstd", None, None, "TokensLoader") == ("zstd", "chunk")


def test_omitted_level_falls_back_to_chunk_with_encryption():
    assert resolve_compression("zstd", None, object(), "PyTreeLoader") == ("zstd", "chunk")


def test_level_is_case_insensitive():
    assert resolve_compression("zstd", "SAMPLE", None, "PyTreeLoader") == ("zstd", "sample")


@pytest.mark.parametrize("level", ["batch", "sample"])
def test_batch_or_sample_level_with_encryption_asks_for_chunk_level(level):
    with pytest.raises(ValueError, match="compression_level='chunk'"):
        resolve_compression("zstd", level, object(), "PyTreeLoader")


@pytest.mark.parametrize("level", ["batch", "sample"])
def test_batch_or_sample_level_with_tokens_loader_asks_for_chunk_level(level):
    with pytest.raises(ValueError, match="compression_level='chunk'"):
        resolve_compression("zstd", level, None, "TokensLoader")


def test_numeric_level_is_explained_as_granularity():
    with pytest.raises(ValueError, match="compression_level=4 is granularity, not a zstd numeric level"):
        resolve_compression("zstd", 4, None, "PyTreeLoader")


def test_unknown_level_name_lists_the_valid_levels():
    with pytest.raises(ValueError, match="'chunk', 'batch', 'sample'"):
        resolve_compression("zstd", "frame", None, "PyTreeLoader")


def test_unknown_codec_is_rejected_while_resolving():
    with pytest.raises(ValueError, match="Unknown compression"):
        resolve_compression("lz4", None, None, "PyTreeLoader")


def test_sample_slots_are_independent_zstd_frames_with_content_size():
    blob = b"\x08\x00\x00\x00" + struct.pack("<q", 7)
    slot = compress_sample(blob)
    assert slot[:4] == b"\x28\xb5\x2f\xfd"
    assert zstandard.frame_content_size(slot) == len(blob)
    assert decompress_sample(memoryview(slot)) == blob


def test_framed_chunk_header_follows_the_documented_layout():
    chunk = pack_framed_chunk(_items(8), frame_rows=3)
    assert chunk[:8] == b"LDFZ01\x00\x00"
    assert struct.unpack_from("<HHIII", chunk, 8) == (1, 0, 8, 3, 3)
    assert list(np.frombuffer(chunk, "<u4", 9, 24)) == [12 * i for i in range(9)]


def test_framed_chunk_frame_records_match_the_reference_example():
    records = _frame_records(pack_framed_chunk(_items(8), frame_rows=3))
    assert [(first, count, uncompressed) for first, count, _, _, uncompressed in records] == [
        (0, 3, 36),
        (3, 3, 36),
        (6, 2, 24),
    ]
    assert records[0][2] == 132
    assert [off for _, _, off, _, _ in records[1:]] == [records[0][2] + records[0][3], records[1][2] + records[1][3]]


def test_framed_chunk_ends_with_its_last_frame():
    chunk = pack_framed_chunk(_items(8), frame_rows=3)
    _, _, offset, length, _ = _frame_records(chunk)[-1]
    assert offset + length == len(chunk)


def test_framed_chunk_round_trips_items_of_varying_sizes():
    items = [bytes(range(i % 256)) * (i % 5) for i in range(600)]
    reader = FramedChunkReader(pack_framed_chunk(items))
    assert reader.num_items == 600 and reader.num_frames == 3
    assert [bytes(reader.item(i)) for i in range(600)] == items


def test_framed_chunk_reader_decodes_each_frame_once_when_reading_in_order():
    class CountingCompressor(ZSTDCompressor):
        calls = 0

        def decompress(self, data):
            CountingCompressor.calls += 1
            return super().decompress(data)

    reader = FramedChunkReader(pack_framed_chunk(_items(10), frame_rows=4), compressor=CountingCompressor())
    for index in range(10):
        reader.item(index)
    assert CountingCompressor.calls == 3


def test_framed_chunk_reader_supports_random_access():
    items = _items(20, size=5)
    reader = FramedChunkReader(pack_framed_chunk(items, frame_rows=3))
    assert [bytes(reader.item(i)) for i in (19, 0, 10, 11, 2)] == [items[i] for i in (19, 0, 10, 11, 2)]


def test_framed_chunk_reader_reads_from_an_mmap(tmp_path):
    import mmap

    path = tmp_path / "chunk-0-0.bin"
    path.write_bytes(pack_framed_chunk(_items(5)))
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        reader = FramedChunkReader(mapped)
        assert bytes(reader.item(4)) == _items(5)[4]
        reader.close()


def test_framed_chunk_reader_rejects_out_of_range_items():
    with pytest.raises(IndexError, match="out of range"):
        FramedChunkReader(pack_framed_chunk(_items(3))).item(3)


def test_is_framed_chunk_sniffs_the_magic():
    assert is_framed_chunk(pack_framed_chunk(_items(2)))
    assert not is_framed_chunk(struct.pack("<III", 0, 8, 8))
    assert not is_framed_chunk(b"LDF")


def test_packing_an_empty_chunk_is_refused():
    with pytest.raises(ValueError, match="at least one item"):
        pack_framed_chunk([])


def test_truncated_framed_chunk_names_the_problem():
    chunk = pack_framed_chunk(_items(8), frame_rows=3)
    with pytest.raises(CorruptedChunkError, match="truncated: a frame lies outside the file"):
        FramedChunkReader(chunk[:-5])


def test_framed_chunk_cut_inside_its_tables_names_the_problem():
    with pytest.raises(CorruptedChunkError, match="tables end at byte"):
        FramedChunkReader(pack_framed_chunk(_items(8))[:40])


def test_framed_chunk_with_an_unknown_version_is_rejected():
    chunk = bytearray(pack_framed_chunk(_items(2)))
    chunk[8:10] = struct.pack("<H", 2)
    with pytest.raises(CorruptedChunkError, match="version is 2"):
        FramedChunkReader(bytes(chunk))


def test_framed_chunk_with_damaged_frame_bytes_names_the_frame():
    chunk = bytearray(pack_framed_chunk([bytes(range(200))] * 4, frame_rows=2))
    _, _, offset, length, _ = _frame_records(bytes(chunk))[1]
    chunk[offset : offset + length] = b"\x00" * length
    reader = FramedChunkReader(bytes(chunk))
    assert bytes(reader.item(0)) == bytes(range(200))
    with pytest.raises(CorruptedChunkError, match="frame 1 cannot be decompressed"):
        reader.item(2)


@golden_required
def test_golden_framed_chunks_yield_the_items_litdata_wrote():
    index = json.loads((GOLDEN / "mixed_zstd" / "index.json").read_text())
    expected = pickle.loads((GOLDEN / "mixed_zstd.expected.pkl").read_bytes())
    num_leaves = len(index["config"]["data_format"])
    position = 0
    for chunk in index["chunks"]:
        buffer = (GOLDEN / "mixed_zstd" / chunk["filename"]).read_bytes()
        assert is_framed_chunk(buffer)
        reader = FramedChunkReader(buffer)
        assert reader.num_items == chunk["chunk_size"]
        for i in range(reader.num_items):
            blob = reader.item(i)
            sizes = np.frombuffer(blob, "<u4", num_leaves)
            assert 4 * num_leaves + int(sizes.sum()) == len(blob)
            starts = (4 * num_leaves + np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])).tolist()
            sample = expected[position]
            assert struct.unpack_from("<q", blob, starts[0])[0] == sample["index"]
            assert bytes(blob[starts[1] : starts[2]]).decode() == sample["name"]
            assert bytes(blob[starts[4] : starts[5]]) == sample["blob"][1]
            position += 1
    assert position == len(expected)


@golden_required
def test_golden_framed_chunk_matches_the_documented_frame_record():
    buffer = (GOLDEN / "mixed_zstd" / "chunk-0-0.bin").read_bytes()
    assert _frame_records(buffer) == [(0, 10, 92, 1507, 2713)]
