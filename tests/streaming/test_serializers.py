import io
import json
import os
import pickle
import struct
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from litdata.streaming.serializers import (
    _SERIALIZERS,
    JsonLeaf,
    PickleSerializer,
    Serializer,
    _get_serializers,
    select_serializer,
    serializer_for_format,
)
from litdata.streaming.typed import File, Text
from litdata.utilities._pytree import tree_unflatten, treespec_loads

from normalize import bytes_as_bytes, loose, norm

FIXTURES_DIR = os.path.join(os.path.dirname(__file__), "..", "fixtures")


def write(item):
    """What a writer records: (data_format name, bytes)."""
    key, serializer = select_serializer(item, _SERIALIZERS)
    data, name = serializer.serialize(item)
    return name or key, bytes(data)


def round_trip(item):
    data_format, data = write(item)
    return serializer_for_format(data_format, _SERIALIZERS).deserialize(data)


def test_default_registry_has_litdatas_order():
    expected = ["str", "text", "bool", "int", "float", "video", "audio", "image", "nifti", "mesh", "pdf", "graph"]
    expected += ["tifffile", "file", "pil", "jpeg", "jpeg_array", "bytes", "no_header_numpy", "numpy"]
    expected += ["no_header_tensor", "tensor", "json", "pickle"]
    assert list(_SERIALIZERS) == expected


def test_user_serializers_come_first_and_an_overridden_default_takes_the_user_position():
    mine, my_pickle = PickleSerializer(), PickleSerializer()
    registry = _get_serializers({"mine": mine, "int": my_pickle})
    assert list(registry)[:3] == ["mine", "int", "str"]
    assert registry["int"] is my_pickle
    assert list(registry).count("int") == 1


@pytest.mark.parametrize(
    ("item", "data_format"),
    [
        ("hello", "str"),
        (True, "bool"),
        (3, "int"),
        (2.5, "float"),
        (np.float64(2.5), "float"),
        (b"raw", "bytes"),
        (np.arange(3, dtype=np.int32), "no_header_numpy:2"),
        (np.ones((2, 2), dtype=np.float32), "numpy"),
        (torch.arange(3), "no_header_tensor:18"),
        (torch.ones(3, dtype=torch.float32), "no_header_tensor:1"),
        (torch.ones(3, dtype=torch.uint16), "no_header_tensor:20"),
        (torch.ones(2, 2), "tensor"),
        (torch.tensor(1.0), "tensor"),
        (JsonLeaf([1, 2]), "json"),
        (None, "pickle"),
        (np.int64(3), "pickle"),
        (2**64, "pickle"),
        (np.array(["a"], dtype=object), "pickle"),
        (Text(text="hi"), "text"),
        (File(bytes=b"x"), "file"),
    ],
    ids=repr,
)
def test_leaves_get_litdatas_data_format_name(item, data_format):
    assert write(item)[0] == data_format


def test_a_string_naming_an_existing_file_is_pickled_but_a_directory_stays_a_string(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    assert write(str(path))[0] == "pickle"
    assert write(str(tmp_path))[0] == "str"


@pytest.mark.parametrize(
    ("item", "hex_bytes", "returned_type"),
    [(5, "0500000000000000", int), (-1.5, "000000000000f8bf", float), (True, "01", bool), (False, "00", bool)],
)
def test_scalars_use_fixed_little_endian_bytes_and_come_back_as_python_scalars(item, hex_bytes, returned_type):
    assert write(item)[1].hex() == hex_bytes
    value = round_trip(item)
    assert value == item
    assert type(value) is returned_type


def test_legacy_scalars_read_ints_and_floats_as_numpy_scalars():
    int_reader = serializer_for_format("int", _SERIALIZERS, legacy_scalars=True)
    float_reader = serializer_for_format("float", _SERIALIZERS, legacy_scalars=True)
    assert type(int_reader.deserialize(write(7)[1])) is np.int64
    assert type(float_reader.deserialize(write(0.5)[1])) is np.float64


def test_tensor_header_is_big_endian_like_litdata_0_2_76():
    data = write(torch.ones(2, 2))[1]
    assert data[:16].hex() == "00000001000000020000000200000002"
    assert len(data) == 16 + 16


def test_tensor_written_with_a_little_endian_header_by_old_litdata_is_read():
    tensor = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    legacy = struct.pack("<IIII", 16, 2, 2, 3) + tensor.numpy().tobytes()
    assert torch.equal(serializer_for_format("tensor", _SERIALIZERS).deserialize(legacy), tensor)


@pytest.mark.parametrize(
    "tensor",
    [
        torch.tensor(3.5),
        torch.ones(0, 2),
        torch.arange(24, dtype=torch.int64).reshape(2, 3, 4),
        torch.tensor([[True, False]]),
        torch.ones(2, 2, dtype=torch.bfloat16),
        torch.ones(2, 2, dtype=torch.uint16),
        torch.arange(6.0).reshape(2, 3).t(),
    ],
    ids=["0d", "empty", "3d", "bool", "bfloat16", "uint16", "non_contiguous"],
)
def test_tensors_round_trip_with_dtype_and_shape(tensor):
    value = round_trip(tensor)
    assert value.dtype == tensor.dtype
    assert value.shape == tensor.shape
    assert torch.equal(value, tensor)


@pytest.mark.parametrize("tensor", [torch.arange(5, dtype=torch.int16), torch.ones(3, dtype=torch.bfloat16)])
def test_one_dimensional_tensors_round_trip_without_header(tensor):
    data_format, data = write(tensor)
    assert len(data) == tensor.numel() * tensor.element_size()
    assert torch.equal(serializer_for_format(data_format, _SERIALIZERS).deserialize(data), tensor)


def test_an_empty_one_dimensional_tensor_round_trips():
    assert round_trip(torch.empty(0, dtype=torch.int32)).shape == (0,)


def test_deserialized_tensors_are_writable_and_raise_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tensor = round_trip(torch.ones(2, 2))
        vector = round_trip(torch.ones(3))
    tensor += 1
    vector += 1
    assert tensor.sum() == 8 and vector.sum() == 6


def test_a_truncated_tensor_payload_is_reported_as_undecodable():
    with pytest.raises(ValueError, match="neither byte order"):
        serializer_for_format("tensor", _SERIALIZERS).deserialize(write(torch.ones(2, 2))[1][:-1])


def test_numpy_header_stays_little_endian():
    data = write(np.zeros((1, 3), dtype=np.float32))[1]
    assert data[:16].hex() == "09000000020000000100000003000000"


@pytest.mark.parametrize(
    "array",
    [np.arange(12, dtype=np.float16).reshape(3, 4), np.arange(5, dtype=np.uint64), np.ones((2, 0)), np.eye(3)[:, ::2]],
    ids=["2d", "1d", "empty", "non_contiguous"],
)
def test_numpy_arrays_round_trip_as_writable_copies(array):
    value = round_trip(array)
    assert value.dtype == array.dtype
    np.testing.assert_array_equal(value, array)
    assert value.flags.writeable


def test_bytes_leaves_are_returned_as_bytes_even_from_a_view_of_the_chunk():
    view = memoryview(b"..raw..")[2:5]
    value = serializer_for_format("bytes", _SERIALIZERS).deserialize(view)
    assert type(value) is bytes and value == b"raw"


def test_strings_and_text_decode_from_memoryviews():
    assert serializer_for_format("str", _SERIALIZERS).deserialize(memoryview("hé".encode())) == "hé"
    assert round_trip(Text(bytes=b"hi")) == "hi"


def test_text_wrapper_embeds_a_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("from file")
    assert round_trip(Text(path=str(path))) == "from file"


def test_file_wrapper_records_the_extension_and_reads_back_bytes(tmp_path):
    path = tmp_path / "blob.BIN"
    path.write_bytes(b"\x00\x01")
    data_format, data = write(File(path=str(path)))
    assert data_format == "file:BIN"
    assert serializer_for_format(data_format, _SERIALIZERS).deserialize(data) == b"\x00\x01"


@pytest.mark.parametrize("wrapper", [lambda: File(), lambda: File(path="a", bytes=b"b")])
def test_wrappers_need_exactly_one_source(wrapper):
    with pytest.raises(ValueError, match="exactly one of"):
        wrapper()


def test_a_text_without_a_source_is_refused_when_written_and_text_wins_over_bytes():
    with pytest.raises(TypeError, match="Text needs path=, bytes=, or text="):
        write(Text())
    assert round_trip(Text(text="a", bytes=b"b")) == "a"


def test_json_leaves_use_the_tagged_encoding():
    data_format, data = write(JsonLeaf([1, 2]))
    assert data.hex() == "020200000001000000000000000200000000000000"
    assert serializer_for_format(data_format, _SERIALIZERS).deserialize(data) == [1, 2]


def test_pil_images_round_trip_with_mode_and_pixels():
    image = Image.frombytes("L", (3, 2), bytes(range(6)))
    data_format, data = write(image)
    assert data_format == "pil"
    assert data[:13] == struct.pack("<III", 3, 2, 1) + b"L"
    value = serializer_for_format("pil", _SERIALIZERS).deserialize(data)
    assert (value.mode, value.size, value.tobytes()) == ("L", (3, 2), bytes(range(6)))


def make_jpeg(path, mode="RGB", size=(4, 2), exif_orientation=None):
    image = Image.new(mode, size, color=200 if mode == "L" else (250, 10, 10))
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    image.save(path, format="JPEG", exif=exif.tobytes())
    return Image.open(path)


def test_jpeg_files_keep_their_original_bytes_and_decode_to_chw_rgb_uint8(tmp_path):
    image = make_jpeg(tmp_path / "a.jpg")
    data_format, data = write(image)
    assert data_format == "jpeg"
    assert data == (tmp_path / "a.jpg").read_bytes()
    value = round_trip(image)
    assert (value.dtype, tuple(value.shape)) == (torch.uint8, (3, 2, 4))
    assert value[0].float().mean() > 200 and value[1].float().mean() < 60


def test_a_jpeg_keeps_its_file_bytes_whether_pillow_still_holds_the_file_open_or_not(tmp_path):
    still_open = make_jpeg(tmp_path / "a.jpg")
    expected = (tmp_path / "a.jpg").read_bytes()
    still_open.fp.seek(5)
    assert write(still_open)[1] == expected
    assert still_open.fp.tell() == 5  # the bytes are read through Pillow's file, which is left where it was
    still_open.load()  # and the image still decodes from it
    loaded = Image.open(tmp_path / "a.jpg")
    loaded.load()  # Pillow closes the file of a single-frame image once decoded
    assert loaded.fp is None and write(loaded)[1] == expected


def test_grayscale_jpegs_decode_to_three_channels(tmp_path):
    assert round_trip(make_jpeg(tmp_path / "g.jpg", mode="L")).shape == (3, 2, 4)


def test_jpeg_exif_orientation_is_applied(tmp_path):
    assert round_trip(make_jpeg(tmp_path / "r.jpg", exif_orientation=6)).shape == (3, 4, 2)


def test_a_jpeg_without_a_file_is_encoded_again(tmp_path):
    image = make_jpeg(tmp_path / "a.jpg")
    image.filename = ""
    data = write(image)[1]
    assert data[:2] == b"\xff\xd8"


def test_lists_of_jpegs_round_trip_as_lists_of_tensors(tmp_path):
    images = [make_jpeg(tmp_path / "a.jpg"), make_jpeg(tmp_path / "b.jpg", size=(2, 2))]
    data_format, data = write(images)
    assert data_format == "jpeg_array"
    assert struct.unpack_from("<I", data)[0] == 2
    assert [tuple(tensor.shape) for tensor in round_trip(images)] == [(3, 2, 4), (3, 2, 2)]


def test_an_existing_image_path_is_embedded_and_decodes_to_rgb(tmp_path):
    path = tmp_path / "pic.png"
    Image.new("RGBA", (5, 3)).save(path)
    data_format, data = write(str(path))
    assert data_format == "image:png"
    assert data == path.read_bytes()
    assert round_trip(str(path)).shape == (3, 3, 5)


@pytest.mark.parametrize(
    ("data_format", "serializer_key"), [("graph:pickle", "pickle"), ("file:txt", "file"), ("tiff", "tifffile")]
)
def test_parameterised_formats_resolve_to_the_registered_key(data_format, serializer_key):
    serializer = serializer_for_format(data_format, _SERIALIZERS)
    assert type(serializer) is type(_SERIALIZERS[serializer_key])


def test_read_side_serializers_are_fresh_copies():
    first = serializer_for_format("no_header_tensor:18", _SERIALIZERS)
    second = serializer_for_format("no_header_tensor:1", _SERIALIZERS)
    assert first is not _SERIALIZERS["no_header_tensor"]
    assert first.deserialize(struct.pack("<q", 4)).dtype == torch.int64
    assert second.deserialize(struct.pack("<f", 4.0)).dtype == torch.float32


def test_an_unknown_format_names_the_format_and_how_to_register_a_serializer():
    with pytest.raises(ValueError, match=r"'lidar:bin'.*serializers=\{'lidar'"):
        serializer_for_format("lidar:bin", _SERIALIZERS)


def test_a_bad_dtype_index_is_rejected_with_the_expected_form():
    with pytest.raises(ValueError, match="no_header_tensor:99"):
        serializer_for_format("no_header_tensor:99", _SERIALIZERS)


def test_a_user_serializer_is_selected_and_read_back():
    class Upper(Serializer):
        def serialize(self, item):
            return item.upper().encode(), None

        def deserialize(self, data):
            return bytes(data).decode()

        def can_serialize(self, item):
            return isinstance(item, str)

    registry = _get_serializers({"upper": Upper()})
    key, serializer = select_serializer("abc", registry)
    assert key == "upper"
    assert serializer_for_format(key, registry).deserialize(serializer.serialize("abc")[0]) == "ABC"


def test_pickled_json_leaves_from_litdata_load_here():
    pickled_by_litdata = bytes.fromhex(
        "80049545000000000000008c1d6c6974646174612e73747265616d696e672e73657269616c697a657273948c084a736f6e4c6561"
        "669493942981944e7d948c0576616c7565945d944b0161738694622e"
    )
    assert pickle.loads(pickled_by_litdata) == JsonLeaf([1])


def read_classic_dataset(case, legacy_scalars):
    """Decode every item of a golden classic-chunk dataset with our serializers and pytree."""
    folder = os.path.join(FIXTURES_DIR, case)
    with open(os.path.join(folder, "index.json")) as file:
        index = json.load(file)
    serializers = [
        serializer_for_format(name, _SERIALIZERS, legacy_scalars=legacy_scalars)
        for name in index["config"]["data_format"]
    ]
    spec = treespec_loads(index["config"]["data_spec"])
    samples = []
    for chunk in index["chunks"]:
        with open(os.path.join(folder, chunk["filename"]), "rb") as file:
            data = memoryview(file.read())
        (count,) = struct.unpack_from("<I", data)
        offsets = struct.unpack_from(f"<{count + 1}I", data, 4)
        for begin in offsets[:-1]:
            sizes = struct.unpack_from(f"<{len(serializers)}I", data, begin)
            position, leaves = begin + 4 * len(serializers), []
            for size, serializer in zip(sizes, serializers, strict=True):
                leaves.append(serializer.deserialize(data[position : position + size]))
                position += size
            samples.append(tree_unflatten(leaves, spec))
    return samples


def expected_samples(case):
    with open(os.path.join(FIXTURES_DIR, case + ".expected.pkl"), "rb") as file:
        return pickle.load(file)


@pytest.mark.parametrize("case", ["mixed_dict", "pil_images", "generator_filter", "pairs_multiworker"])
def test_golden_0_2_76_datasets_decode_to_exactly_litdatas_values(case):
    samples = read_classic_dataset(f"litdata-0.2.76/{case}", legacy_scalars=False)
    assert [norm(sample) for sample in samples] == bytes_as_bytes(expected_samples(f"litdata-0.2.76/{case}"))


@pytest.mark.parametrize("case", ["mixed_dict", "pil_images", "generator_filter", "pairs_multiworker"])
def test_golden_0_2_45_datasets_decode_with_little_endian_tensor_headers(case):
    samples = read_classic_dataset(f"litdata-0.2.45/{case}", legacy_scalars=True)
    expected = expected_samples(f"litdata-0.2.45/{case}")
    assert [loose(norm(sample)) for sample in samples] == [loose(sample) for sample in expected]


def test_jpeg_decoding_needs_no_torchvision(tmp_path):
    image = make_jpeg(tmp_path / "a.jpg")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    assert serializer_for_format("jpeg", _SERIALIZERS).deserialize(buffer.getvalue()).dtype == torch.uint8


def test_tiff_paths_are_embedded_and_read_back_as_arrays_when_tifffile_is_installed(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "scan.TIFF"
    tifffile.imwrite(path, np.arange(6, dtype=np.uint16).reshape(2, 3))
    data_format, data = write(str(path))
    assert data_format == "tifffile"
    np.testing.assert_array_equal(
        serializer_for_format(data_format, _SERIALIZERS).deserialize(data), np.arange(6).reshape(2, 3)
    )


def _jpeg(pixels, **options):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def _pillow_rgb(data):
    import io

    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)
        return np.asarray(image.convert("RGB"))


def test_jpegs_decoded_with_simplejpeg_are_pillows_pixels_byte_for_byte():
    from litdata.format.serializers import _decode_image_rgb, _fast_jpeg_rgb

    rng = np.random.default_rng(0)
    cases = []
    for height, width in ((17, 20), (64, 64), (101, 224)):
        ramp = np.linspace(0, 120, width, dtype=np.float32)[None, :, None]
        pixels = (rng.integers(0, 128, (height, width, 3)) + ramp).astype(np.uint8)
        for subsampling in (0, 1, 2):  # 4:4:4, 4:2:2, 4:2:0
            for progressive in (False, True):
                cases.append(_jpeg(pixels, quality=90, subsampling=subsampling, progressive=progressive))
    cases.append(_jpeg(rng.integers(0, 255, (30, 40), dtype=np.uint8)))  # grayscale
    for data in cases:
        assert _fast_jpeg_rgb(data) is not None  # the fast path decoded it ...
        decoded = _decode_image_rgb(memoryview(data))
        assert decoded.dtype == torch.uint8 and decoded.is_contiguous()
        assert np.array_equal(decoded.permute(1, 2, 0).numpy(), _pillow_rgb(data))  # ... into Pillow's pixels


def test_jpegs_with_exif_or_cmyk_and_damaged_ones_are_left_to_pillow():
    from PIL import Image

    from litdata.format.serializers import _decode_image_rgb, _fast_jpeg_rgb

    pixels = np.random.default_rng(1).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: Pillow turns the image upright
    rotated = _jpeg(pixels, exif=exif.tobytes())
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (24, 32, 4), dtype=np.uint8), "CMYK").save(buffer, "JPEG")
    cmyk = buffer.getvalue()
    for data in (rotated, cmyk):
        assert _fast_jpeg_rgb(data) is None
        assert np.array_equal(_decode_image_rgb(data).permute(1, 2, 0).numpy(), _pillow_rgb(data))
    assert tuple(_decode_image_rgb(rotated).shape) == (3, 32, 24)
    damaged = _jpeg(pixels)[:-40]
    assert _fast_jpeg_rgb(damaged) is None
    with pytest.raises(OSError):
        _decode_image_rgb(damaged)
