import collections
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from litdata.format.sample_types import (
    JsonLeaf,
    SampleShaper,
    SampleStructureError,
    describe_structure,
    fuse_types,
    infer_types,
)
from litdata.streaming.serializers import _SERIALIZERS, select_serializer
from litdata.utilities._pytree import tree_flatten, treespec_dumps

FIXTURES_DIR = os.path.join(os.path.dirname(__file__), "..", "fixtures")


def fixture_config(case):
    with open(os.path.join(FIXTURES_DIR, "litdata-0.2.76", case, "index.json")) as file:
        return json.load(file)["config"]


def mixed_sample(i):
    """A sample shaped like the golden `mixed_dict` case."""
    return {
        "index": i,
        "name": f"sample-{i}",
        "score": i / 10,
        "flag": i % 2 == 0,
        "blob": bytes(i),
        "mat": np.ones((i + 1, 3), dtype=np.float32),
        "vec": np.arange(i + 2),
        "t2": torch.ones(2, i + 1),
        "t1": torch.arange(i + 3, dtype=torch.int32),
        "meta": {"nested": [i, i + 1], "none": None},
    }


def written_config(samples):
    """types, data_spec and data_format as a writer would record them for these samples."""
    shaper = SampleShaper()
    shaped = [shaper.shape(sample) for sample in samples]
    leaves, spec = tree_flatten(shaped[0])
    formats = []
    for leaf in leaves:
        key, serializer = select_serializer(leaf, _SERIALIZERS)
        formats.append(serializer.serialize(leaf)[1] or key)
    return shaper.types, treespec_dumps(spec), formats


GOLDEN_CASES = {
    "mixed_dict": [mixed_sample(i) for i in range(4)],
    "pil_images": [{"rgb": Image.new("RGB", (6, 8)), "gray": Image.new("L", (7, 4)), "label": 6}],
    "generator_filter": [{"i": 0, "sq": np.zeros((1, 2), dtype=np.int64)}, {"i": 2, "sq": np.ones((1, 2))}],
    "pairs_multiworker": [(0, 0), (1, 1)],
    "tokens_int32": [np.arange(64, dtype=np.int32)],
    "tokens_int64_tensor": [torch.arange(33)],
}


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_types_data_spec_and_data_format_match_the_golden_index(case):
    config = fixture_config(case)
    types, data_spec, data_format = written_config(GOLDEN_CASES[case])
    assert json.dumps(types, sort_keys=True) == json.dumps(config["types"], sort_keys=True)
    assert data_spec == config["data_spec"]
    assert data_format == config["data_format"]


def test_json_list_fields_become_one_json_leaf():
    shaped = SampleShaper().shape({"tags": ["a", "b"], "records": [{"x": 1}], "meta": {"ids": [1, 2]}})
    assert shaped["tags"] == JsonLeaf(["a", "b"])
    assert shaped["records"] == JsonLeaf([{"x": 1}])
    assert shaped["meta"] == {"ids": JsonLeaf([1, 2])}


def test_lists_of_tensors_tuples_arrays_and_bytes_stay_pytree_nodes():
    sample = {"tensors": [torch.ones(1)], "pair": (1, 2), "array": np.ones(2), "blobs": [b"x"]}
    shaped = SampleShaper().shape(sample)
    assert not any(isinstance(value, JsonLeaf) for value in shaped.values())
    assert len(tree_flatten(shaped)[0]) == 5


def test_none_fields_are_filled_with_defaults_for_their_type():
    shaper = SampleShaper()
    first = {"l": [1], "i": 2, "s": "x", "d": {"f": 1.5, "l": [1]}, "b": b"x", "flag": True, "t": torch.ones(1)}
    shaper.shape(first)
    shaped = shaper.shape({key: torch.ones(1) if key == "t" else None for key in first})
    assert shaped["l"] == JsonLeaf([])
    assert (shaped["i"], shaped["s"], shaped["b"], shaped["flag"]) == (0, "", b"", False)
    assert shaped["d"] == {"f": 0.0, "l": JsonLeaf([])}
    assert list(shaped) == list(first)


def test_key_order_comes_from_the_first_sample():
    shaper = SampleShaper()
    shaper.shape({"b": 1, "a": 2})
    shaped = shaper.shape({"a": 3, "b": 4})
    assert list(shaped.items()) == [("b", 4), ("a", 3)]
    assert shaper.types == {"a": "int", "b": "int"}


@pytest.mark.parametrize(
    "later, problem",
    [
        ({"b": 1}, "key ['a'] is missing"),
        ({"b": 1, "a": 2, "extra": "x"}, "key ['extra'] is not in the first sample"),
        ({"b": 1, "A": 2}, "key ['a'] is missing; key ['A'] is not in the first sample"),
        ({"b": 1, "a": 2, "d": {"y": 1}}, "key ['d']['x'] is missing"),
    ],
)
def test_a_sample_whose_keys_change_raises_naming_the_key_and_both_structures(later, problem):
    shaper = SampleShaper()
    shaper.shape({"b": 1, "a": 2, "d": {"x": 1}} if "d" in later else {"b": 1, "a": 2})
    with pytest.raises(SampleStructureError) as caught:
        shaper.shape(later)
    message = str(caught.value)
    assert problem in message
    assert "first sample: {'b': int, 'a': int" in message and f"this sample:  {describe_structure(later)}" in message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)


def test_a_none_nested_dict_is_filled_without_a_key_error():
    shaper = SampleShaper()
    shaper.shape({"d": {"x": 1, "l": [1]}})
    assert shaper.shape({"d": None}) == {"d": {"x": 0, "l": JsonLeaf([])}}


def test_dict_subclasses_are_rebuilt_as_plain_dicts():
    sample = collections.OrderedDict(a=collections.defaultdict(list, k=[1]), t=torch.ones(1))
    shaped = SampleShaper().shape(sample)
    assert type(shaped) is dict and type(shaped["a"]) is dict
    assert '"builtins.dict"' in treespec_dumps(tree_flatten(shaped)[1])


def test_non_dict_samples_are_returned_unchanged():
    sample = ([1, 2], "x")
    assert SampleShaper().shape(sample) is sample


def test_types_are_none_before_any_sample():
    assert SampleShaper().types is None


def test_types_fuse_across_samples_and_stay_json_serialisable():
    shaper = SampleShaper()
    for sample in [{"v": None, "l": []}, {"v": 1, "l": [2]}, {"v": 2, "l": [None]}]:
        shaper.shape(sample)
    assert shaper.types == {
        "v": {"type": "int", "optional": True},
        "l": {"type": "list", "value": {"type": "int", "optional": True}},
    }
    json.dumps(shaper.types)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"type": "null", "optional": True}),
        (True, "bool"),
        (1, "int"),
        (np.float64(1.0), "float"),
        (np.int64(1), "json"),
        ("x", "str"),
        (bytearray(b"x"), "bytes"),
        ((1, 2), "json"),
        (np.ones(2), "json"),
        (torch.ones(2), "tensor"),
        (Image.new("RGB", (1, 1)), "image"),
        ([], {"type": "list", "value": "json"}),
        ([1, 2.5], {"type": "list", "value": "json"}),
        ([1, None], {"type": "list", "value": {"type": "int", "optional": True}}),
        (
            [{"x": 1}, {"y": "s"}],
            {
                "type": "list",
                "value": {
                    "type": "struct",
                    "fields": {"x": {"type": "int", "optional": True}, "y": {"type": "str", "optional": True}},
                },
            },
        ),
    ],
    ids=lambda value: f"PIL.Image-{value.mode}-{value.size}" if isinstance(value, Image.Image) else repr(value),
)
def test_infer_types_follows_litdatas_kinds(value, expected):
    assert infer_types(value) == expected


def test_a_jpeg_file_image_is_kind_pil(tmp_path):
    Image.new("RGB", (2, 2)).save(tmp_path / "a.jpg")
    assert infer_types(Image.open(tmp_path / "a.jpg")) == "pil"


def test_a_top_level_dict_gives_a_bare_field_map_and_nested_dicts_give_structs():
    assert infer_types({"a": 1, "b": {"c": "x"}}) == {"a": "int", "b": {"type": "struct", "fields": {"c": "str"}}}


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("int", {"type": "null", "optional": True}, {"type": "int", "optional": True}),
        ("int", "float", "json"),
        ({"type": "int", "optional": True}, "str", {"type": "json", "optional": True}),
        ({"type": "list", "value": "int"}, {"type": "list", "value": "float"}, {"type": "list", "value": "json"}),
        ({"a": "int"}, {"b": "str"}, {"a": {"type": "int", "optional": True}, "b": {"type": "str", "optional": True}}),
        ({"type": "map", "value": "int"}, {"type": "struct", "fields": {"x": "int"}}, {"type": "map", "value": "int"}),
        ({"kind": "list", "value": "int"}, {"type": "list", "value": "int"}, {"type": "list", "value": "int"}),
        (None, "json", "json"),
    ],
    ids=repr,
)
def test_fuse_types_merges_schemas_like_litdata(left, right, expected):
    assert fuse_types(left, right) == expected


def test_fusing_is_symmetric_for_kind_mismatches():
    assert fuse_types("json", {"type": "int", "optional": True}) == fuse_types(
        {"type": "int", "optional": True}, "json"
    )
