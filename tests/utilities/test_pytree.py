import collections
import glob
import json
import os

import pytest

from litdata.utilities._pytree import (
    LeafSpec,
    TreeSpec,
    register_namedtuple,
    tree_flatten,
    tree_unflatten,
    treespec_dumps,
    treespec_loads,
)

FIXTURES_DIR = os.path.join(os.path.dirname(__file__), "..", "fixtures")
LEAF_JSON = '{"type": null, "context": null, "children_spec": []}'
PAIR_SPEC = f'[1, {{"type": "builtins.tuple", "context": "null", "children_spec": [{LEAF_JSON}, {LEAF_JSON}]}}]'

Point = collections.namedtuple("Point", "x y")
register_namedtuple(Point, serialized_type_name="tests.Point")


def fixture_data_specs():
    paths = sorted(glob.glob(os.path.join(FIXTURES_DIR, "litdata-*", "*", "index.json")))
    assert paths, "golden fixtures are missing"
    return [json.load(open(path))["config"]["data_spec"] for path in paths]


@pytest.mark.parametrize("data_spec", fixture_data_specs())
def test_every_fixture_data_spec_loads_and_dumps_back_byte_for_byte(data_spec):
    assert treespec_dumps(treespec_loads(data_spec)) == data_spec


def test_a_pair_of_ints_gives_litdatas_tuple_spec_string():
    leaves, spec = tree_flatten((3, 9))
    assert leaves == [3, 9]
    assert treespec_dumps(spec) == PAIR_SPEC


def test_a_sample_that_is_itself_a_leaf_gives_the_leaf_spec_string():
    leaves, spec = tree_flatten(7)
    assert leaves == [7]
    assert isinstance(spec, LeafSpec)
    assert treespec_dumps(spec) == f"[1, {LEAF_JSON}]"


def test_dict_leaves_follow_insertion_order_and_the_context_lists_the_keys():
    leaves, spec = tree_flatten({"b": 1, "a": {"c": 2, "d": [3, 4]}})
    assert leaves == [1, 2, 3, 4]
    schema = json.loads(treespec_dumps(spec))[1]
    assert schema["context"] == '["b", "a"]'
    assert schema["children_spec"][1]["context"] == '["c", "d"]'


@pytest.mark.parametrize(
    ("tree", "type_name", "context"),
    [
        ([1], "builtins.list", "null"),
        (collections.OrderedDict(a=1), "collections.OrderedDict", '["a"]'),
        (collections.deque([1], maxlen=3), "collections.deque", "3"),
        (collections.deque([1]), "collections.deque", "null"),
        (Point(1, 2), "collections.namedtuple", "tests.Point"),
        (
            collections.defaultdict(list, a=1),
            "collections.defaultdict",
            {"default_factory_module": "builtins", "default_factory_name": "list", "dict_context": ["a"]},
        ),
    ],
)
def test_node_types_serialise_with_litdatas_type_string_and_context(tree, type_name, context):
    schema = json.loads(treespec_dumps(tree_flatten(tree)[1]))[1]
    assert schema["type"] == type_name
    assert schema["context"] == context


@pytest.mark.parametrize(
    "tree",
    [
        {"image": 1, "meta": {"nested": [1, (2, 3)], "none": None}},
        collections.OrderedDict(b=1, a=[2]),
        collections.defaultdict(list, {"k": 1}),
        collections.deque([1, 2], maxlen=5),
        Point(1, (2, 3)),
        {1: "int key", (1, 2): "tuple key"},
        ((), [], {}),
    ],
    ids=["nested", "ordereddict", "defaultdict", "deque", "namedtuple", "non_str_keys", "empty"],
)
def test_tree_survives_flatten_dumps_loads_unflatten_with_its_container_types(tree):
    leaves, spec = tree_flatten(tree)
    loaded = treespec_loads(treespec_dumps(spec))
    rebuilt = tree_unflatten(leaves, loaded)
    assert rebuilt == tree
    assert type(rebuilt) is type(tree)
    assert loaded == spec


def test_a_dict_subclass_is_a_single_leaf():
    class Record(dict):
        pass

    record = Record(a=1)
    leaves, spec = tree_flatten({"r": record})
    assert leaves == [record]
    assert spec.num_leaves == 1


def test_a_list_of_jpeg_images_is_one_leaf(tmp_path):
    from PIL import Image

    path = tmp_path / "a.jpg"
    Image.new("RGB", (4, 4)).save(path)
    images = [Image.open(path), Image.open(path)]
    leaves, spec = tree_flatten({"frames": images, "label": 1})
    assert leaves == [images, 1]
    assert treespec_dumps(spec).count("builtins.list") == 0


def test_a_list_mixing_jpeg_and_other_images_stays_a_list_node(tmp_path):
    from PIL import Image

    path = tmp_path / "a.jpg"
    Image.new("RGB", (4, 4)).save(path)
    leaves, _ = tree_flatten([Image.open(path), Image.new("RGB", (2, 2))])
    assert len(leaves) == 2


def test_num_leaves_counts_every_leaf_of_the_tree():
    _, spec = tree_flatten({"a": [1, 2, (3,)], "b": {}, "c": None})
    assert spec.num_leaves == 4


def test_specs_of_different_shapes_are_not_equal():
    assert tree_flatten((1, 2))[1] != tree_flatten([1, 2])[1]
    assert tree_flatten({"a": 1})[1] != tree_flatten({"b": 1})[1]
    assert isinstance(tree_flatten((1,))[1], TreeSpec)


def test_unflatten_rejects_a_wrong_number_of_leaves():
    _, spec = tree_flatten((1, 2))
    with pytest.raises(ValueError, match="expects 2 leaves but 3"):
        tree_unflatten([1, 2, 3], spec)


def test_unflatten_accepts_any_iterable_of_leaves():
    _, spec = tree_flatten({"a": 1, "b": 2})
    assert tree_unflatten(iter([5, 6]), spec) == {"a": 5, "b": 6}


def test_trees_deeper_than_the_parser_limit_still_unflatten():
    tree = 1
    for _ in range(400):
        tree = [tree]
    leaves, spec = tree_flatten(tree)
    assert tree_unflatten(leaves, spec) == tree


def test_an_unregistered_namedtuple_cannot_be_dumped_and_the_error_names_the_fix():
    Unregistered = collections.namedtuple("Unregistered", "a")
    _, spec = tree_flatten(Unregistered(1))
    with pytest.raises(NotImplementedError, match="register_namedtuple"):
        treespec_dumps(spec)


def test_loading_an_unknown_namedtuple_name_names_the_fix():
    data_spec = f'[1, {{"type": "collections.namedtuple", "context": "nobody.Knows", "children_spec": [{LEAF_JSON}]}}]'
    with pytest.raises(ValueError, match="register_namedtuple"):
        treespec_loads(data_spec)


def test_loading_an_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="protocol"):
        treespec_loads(f"[2, {LEAF_JSON}]")
