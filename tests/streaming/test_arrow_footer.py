import struct

import pyarrow as pa
import pyarrow.ipc
import pytest

from litdata.format.arrow_footer import ArrowFooter, has_arrow_footer


def _footer_chunk(rows: list[dict], ipc_format: str = "file", compression: str | None = None) -> bytes:
    """Build a footer-only chunk as LitData 0.2.76 does: empty classic items, Arrow IPC, then the trailer."""
    num_items = len(rows)
    header = struct.pack(f"<{num_items + 2}I", num_items, *[4 * (num_items + 2)] * (num_items + 1))
    columns = list(dict.fromkeys(key for row in rows for key in row))
    table = pa.Table.from_pylist([{column: row.get(column) for column in columns} for row in rows])
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    open_writer = pa.ipc.new_file if ipc_format == "file" else pa.ipc.new_stream
    with open_writer(sink, table.schema, options=options) as writer:
        for batch in table.to_batches(max_chunksize=256):
            writer.write_batch(batch)
    ipc = sink.getvalue().to_pybytes()
    return header + ipc + struct.pack("<I", len(ipc)) + b"LDARW01\x00"


FLAT_ROWS = [{"a": i, "s": f"s{i}", "f": i / 4, "b": i % 2 == 0, "y": bytes([i]) * 3} for i in range(10)]
NESTED_ROWS = [{"s": "x" * i, "l": list(range(i)), "d": {"k": i, "tags": ["t"] * (i % 3)}} for i in range(10)]
MANY_ROWS = [{"a": i, "s": str(i)} for i in range(600)]


def test_footer_is_detected_by_its_trailer():
    assert has_arrow_footer(_footer_chunk(FLAT_ROWS))


def test_classic_chunk_has_no_footer():
    assert not has_arrow_footer(struct.pack("<IIII", 1, 12, 16, 0) + b"\x00" * 4)


def test_trailer_announcing_more_bytes_than_the_chunk_holds_is_not_a_footer():
    assert not has_arrow_footer(b"\x00" * 4 + struct.pack("<I", 100) + b"LDARW01\x00")


def test_buffer_shorter_than_the_trailer_has_no_footer():
    assert not has_arrow_footer(b"LDARW01\x00")


def test_flat_rows_read_back_as_python_values():
    footer = ArrowFooter(_footer_chunk(FLAT_ROWS))
    assert footer.num_rows == len(FLAT_ROWS)
    assert [footer.row(i) for i in range(len(FLAT_ROWS))] == FLAT_ROWS
    assert type(footer.row(0)["y"]) is bytes


def test_nested_rows_read_back_as_lists_and_dicts():
    footer = ArrowFooter(_footer_chunk(NESTED_ROWS))
    assert [footer.row(i) for i in range(len(NESTED_ROWS))] == NESTED_ROWS


def test_missing_fields_read_back_as_none():
    footer = ArrowFooter(_footer_chunk([{"a": 1}, {"a": 2, "extra": "x"}]))
    assert footer.row(0) == {"a": 1, "extra": None}


def test_rows_across_record_batches_are_found():
    footer = ArrowFooter(_footer_chunk(MANY_ROWS))
    assert len(footer) == 600
    for index in (0, 255, 256, 511, 512, 599, 3):
        assert footer.row(index) == MANY_ROWS[index]


def test_zstd_compressed_ipc_buffers_are_read():
    footer = ArrowFooter(_footer_chunk(MANY_ROWS, compression="zstd"))
    assert [footer.row(i) for i in range(600)] == MANY_ROWS


def test_ipc_stream_format_is_accepted():
    footer = ArrowFooter(_footer_chunk(MANY_ROWS, ipc_format="stream"))
    assert [footer.row(i) for i in range(600)] == MANY_ROWS


def test_reading_rows_in_order_converts_each_record_batch_once():
    footer = ArrowFooter(_footer_chunk(MANY_ROWS))
    conversions = []

    class CountingBatch:
        def __init__(self, batch):
            self.batch = batch

        def to_pylist(self):
            conversions.append(self.batch.num_rows)
            return self.batch.to_pylist()

    footer._batches = [CountingBatch(batch) for batch in footer._batches]
    for index in range(600):
        footer.row(index)
    assert conversions == [256, 256, 88]


def test_changing_a_returned_row_does_not_change_the_next_read():
    footer = ArrowFooter(_footer_chunk(FLAT_ROWS))
    footer.row(1)["a"] = -1
    assert footer.row(1)["a"] == 1


def test_reading_a_row_past_the_end_raises_index_error():
    with pytest.raises(IndexError, match="out of range"):
        ArrowFooter(_footer_chunk(FLAT_ROWS)).row(10)


def test_damaged_ipc_bytes_raise_a_clear_error():
    chunk = bytearray(_footer_chunk(FLAT_ROWS))
    ipc_start = 4 * (len(FLAT_ROWS) + 2)
    chunk[ipc_start : ipc_start + 64] = b"\xff" * 64
    with pytest.raises(ValueError, match="Arrow footer of this chunk cannot be read"):
        ArrowFooter(bytes(chunk))


def test_chunk_without_footer_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="has_arrow_footer"):
        ArrowFooter(b"\x00" * 32)
