import json

import numpy as np
import pytest

from litdata.format.json_codec import dumps, loads

# Encodings observed from LitData 0.2.76 (the first four are the reference's documented examples).
GOLDEN = [
    ([1, 2], "020200000001000000000000000200000000000000"),
    (["a", "bc"], "01020000000100000061020000006263"),
    ([[1], [2]], "00090000005b5b315d2c5b325d5d"),
    (
        [{"a": 1, "b": "x"}, {"a": None, "b": 2.5}],
        "0602000000020000000100000061010000006212010000000000000011010000007810130000000000000440",
    ),
    ([], "0100000000"),
    ({}, "0500000000"),
    (None, "0b"),
    (True, "0a01"),
    (5, "080500000000000000"),
    (-(2**63), "080000000000000080"),
    (1.5, "09000000000000f83f"),
    ("hé", "070300000068c3a9"),
    ([True, False], "04020000000100"),
    ([1.5, 2.0], "0302000000000000000000f83f0000000000000040"),
    ({"c": {"d": None}}, "05010000000100000063050100000001000000640b"),
    ([{"b": 1, "a": True}], "060100000002000000010000006201000000611201000000000000001401"),
    ([{}, {}], "00070000005b7b7d2c7b7d5d"),
    ([{"a": 1}, {"b": 1}], "00110000005b7b2261223a317d2c7b2262223a317d5d"),
    ([None], "00060000005b6e756c6c5d"),
    ([1.5, 2], "00070000005b312e352c325d"),
    ({1: 2}, "00070000007b2231223a327d"),
    (2**63, "001300000039323233333732303336383534373735383038"),
    ([2**70], "00180000005b313138303539313632303731373431313330333432345d"),
]


@pytest.mark.parametrize(("value", "hex_bytes"), GOLDEN, ids=[repr(value)[:30] for value, _ in GOLDEN])
def test_values_encode_to_litdatas_bytes(value, hex_bytes):
    assert dumps(value).hex() == hex_bytes


@pytest.mark.parametrize(
    "value",
    [value for value, _ in GOLDEN if not isinstance(value, dict) or all(type(key) is str for key in value)],
    ids=lambda value: repr(value)[:30],
)
def test_encoded_values_decode_to_equal_python_values(value):
    assert loads(dumps(value)) == value


def test_decoded_number_lists_hold_python_scalars():
    decoded = loads(dumps({"ints": [1, 2], "floats": [0.5], "bools": [True]}))
    assert [type(item) for item in decoded["ints"] + decoded["floats"] + decoded["bools"]] == [int, int, float, bool]


def test_records_keep_the_first_rows_key_order():
    assert list(loads(dumps([{"b": 1, "a": 2}, {"a": 3, "b": 4}]))[1]) == ["b", "a"]


def test_tuples_come_back_as_lists():
    assert loads(dumps((1, (2, "x")))) == [1, [2, "x"]]


def test_numpy_float64_elements_use_the_float_list_encoding():
    assert dumps([np.float64(1.5), 2.0]) == dumps([1.5, 2.0])


def test_numpy_integers_in_a_list_fall_back_to_json_instead_of_failing():
    assert loads(dumps([1, np.int64(2)])) == [1, 2]


def test_bytes_cannot_be_encoded_and_the_error_says_what_to_convert():
    with pytest.raises(TypeError, match="bytes"):
        dumps([b"raw"])


def test_nan_floats_survive_as_binary_floats():
    assert np.isnan(loads(dumps([float("nan")]))[0])


def test_a_memoryview_slice_decodes_like_bytes():
    payload = b"padding" + dumps({"a": [1, 2], "b": "x"})
    assert loads(memoryview(payload)[7:]) == {"a": [1, 2], "b": "x"}


@pytest.mark.parametrize("legacy", [b"[1, 2]", b'{"a": [1]}', b"5", b'"x"', '["\u00e9"]'.encode()])
def test_payloads_starting_above_0x20_are_read_as_legacy_json_text(legacy):
    assert loads(legacy) == json.loads(legacy)


def test_an_unknown_tag_falls_back_to_parsing_the_payload_as_json():
    with pytest.raises(json.JSONDecodeError):
        loads(b"\x0c[1]")
    assert loads(b" [1]") == [1]


def test_an_empty_payload_is_an_error():
    with pytest.raises(json.JSONDecodeError):
        loads(b"")
