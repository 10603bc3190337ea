import pytest

from litdata.utilities.format import _convert_bytes_to_int, _human_readable_bytes, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64MB", 64_000_000),
        ("64mb", 64_000_000),
        ("64 MB", 64_000_000),
        ("1.5GB", 1_500_000_000),
        ("500kb", 500_000),
        ("500k", 500_000),
        ("2m", 2_000_000),
        ("3g", 3_000_000_000),
        ("1T", 1_000_000_000_000),
        ("2tb", 2_000_000_000_000),
        ("10b", 10),
        ("4096", 4096),
    ],
)
def test_size_strings_are_parsed_with_decimal_units(text, expected):
    assert _convert_bytes_to_int(text) == expected


@pytest.mark.parametrize("text", ["64 MiB-ish", "", "MB", "64 XB", "1.2.3MB"])
def test_invalid_size_string_error_quotes_the_value_and_shows_an_example(text):
    with pytest.raises(ValueError) as error:
        _convert_bytes_to_int(text)
    assert repr(text) in str(error.value)
    assert "chunk_bytes='64MB'" in str(error.value)


@pytest.mark.parametrize(
    ("num_bytes", "expected"),
    [
        (0, "0.0 B"),
        (999, "999.0 B"),
        (1500, "1.5 KB"),
        (64_000_000, "64.0 MB"),
        (10**13, "10.0 TB"),
        (10**16, "10.0 PB"),
    ],
)
def test_human_readable_bytes_uses_decimal_units(num_bytes, expected):
    assert _human_readable_bytes(num_bytes) == expected


def test_parse_size_accepts_ints_floats_strings_and_none():
    assert parse_size(None) is None
    assert parse_size(1234) == 1234
    assert parse_size(1e6) == 1_000_000
    assert parse_size("64MB") == 64_000_000


@pytest.mark.parametrize("value", [-1, True, [64]])
def test_parse_size_rejects_values_that_are_not_sizes(value):
    with pytest.raises(ValueError, match="64MB"):
        parse_size(value)
