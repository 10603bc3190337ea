"""The ``types`` schema of ``index.json`` and the writer-side reshaping of dict samples (LitData 0.2.76).

Schema grammar (JSON-serialisable)::

    types := None | {field: T, ...}            # a top-level dict sample: the bare field map
           | T                                 # any other sample
    T     := KIND                              # "str" "int" "float" "bool" "bytes" "json" or a media kind
           | {"type": KIND, "optional": True}
           | {"type": "list" | "map", "value": T [, "optional": True]}
           | {"type": "struct", "fields": {name: T, ...} [, "optional": True]}

:class:`SampleShaper` infers and fuses the schema sample after sample, and rewrites dict samples before flattening:
keys and their order come from the first sample, ``None`` fields get a default for their type, list/dict fields
holding plain JSON values become one :class:`~litdata.format.serializers.JsonLeaf` leaf, nested dicts are
reshaped recursively. Other samples pass through unchanged.

Deliberate differences from LitData: a dict sample whose keys differ from the first sample's (a key missing, added
or renamed, at any depth) raises :class:`SampleStructureError` (LitData fills missing keys with ``None`` and drops
nothing), and values containing ``bytes`` are never wrapped as JSON leaves (LitData crashes on them), they stay
ordinary pytree nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import Any

from litdata.format.errors import SampleStructureError
from litdata.format.serializers import JsonLeaf

__all__ = ["JsonLeaf", "SampleShaper", "SampleStructureError", "describe_structure", "fuse_types", "infer_types"]

Types = Any  # None | str | dict, see the grammar above

_NULL: dict = {"type": "null", "optional": True}
_UNKNOWN = "<unknown>"  # element kind of an empty list until a non-empty one is seen; rendered as "json"

_SCALAR_KINDS: dict[type, Types] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    bytearray: "bytes",
    type(None): _NULL,
}
_MEDIA_KINDS: dict[str, str] = {
    "Audio": "audio",
    "Video": "video",
    "Image": "image",
    "Jpeg": "jpeg",
    "JpegArray": "jpeg_array",
    "Pil": "pil",
    "Tiff": "tiff",
    "Text": "text",
    "File": "file",
    "Mesh": "mesh",
    "Pdf": "pdf",
    "Nifti": "nifti",
    "Graph": "graph",
    "Tensor": "tensor",
}
_CONTAINER_KINDS = frozenset({"list", "map", "json"})
_TYPE_KEYS = frozenset({"type", "kind", "optional", "value", "fields"})


# --------------------------------------------------------------------------------------------------------- infer


def _infer_elements(values: list) -> Types:
    value_types = set(map(type, values))
    if value_types.issubset(_SCALAR_KINDS):  # fast path: decide from the distinct types only
        if len(value_types) == 1:
            return _SCALAR_KINDS[value_types.pop()]
        return reduce(_fuse, [_SCALAR_KINDS[value_type] for value_type in value_types], _UNKNOWN)
    return reduce(_fuse, map(_infer, values), _UNKNOWN)


def _infer_struct(mapping: dict) -> Types:
    if not all(type(key) is str for key in mapping):
        return "json"
    return {"type": "struct", "fields": {key: _infer(value) for key, value in mapping.items()}}


_LIST_CONTENT = "<list>"  # markers: the kind of lists and dicts depends on their content
_DICT_CONTENT = "<dict>"


def _kind_of_type(value_type: type) -> Types:
    """The kind shared by every value of ``value_type`` (or a content marker for lists and dicts)."""
    media = _MEDIA_KINDS.get(value_type.__name__)
    if media is not None:
        return media
    for base, kind in _SCALAR_KINDS.items():
        if issubclass(value_type, base):
            return kind
    if issubclass(value_type, list):
        return _LIST_CONTENT
    if issubclass(value_type, dict):
        return _DICT_CONTENT
    if value_type.__name__.endswith("ImageFile") and value_type.__module__.startswith("PIL."):
        return "pil"
    return "json"


_KINDS_BY_TYPE: dict[type, Types] = dict(_SCALAR_KINDS)  # memo of _kind_of_type: per-sample inference is hot


def _infer(value: Any) -> Types:
    kind = _KINDS_BY_TYPE.get(type(value))
    if kind is None:
        kind = _KINDS_BY_TYPE[type(value)] = _kind_of_type(type(value))
    if kind == _LIST_CONTENT:
        return {"type": "list", "value": _infer_elements(value)}
    if kind == _DICT_CONTENT:
        return _infer_struct(value)
    return kind


# ---------------------------------------------------------------------------------------------------------- fuse


def _kind(types: Types) -> str:
    return types if isinstance(types, str) else types["type"]


def _is_optional(types: Types) -> bool:
    return isinstance(types, dict) and types.get("optional", False)


def _optional(types: Types) -> Types:
    if isinstance(types, str):
        return {"type": types, "optional": True}
    return types if types.get("optional") else {**types, "optional": True}


def _fuse_fields(left: dict, right: dict) -> dict:
    fields = {name: _fuse(types, right[name]) if name in right else _optional(types) for name, types in left.items()}
    for name, types in right.items():
        if name not in left:
            fields[name] = _optional(types)
    return fields


def _fuse(left: Types, right: Types) -> Types:
    """Fuse two normalised types; returns ``left`` itself when nothing changes."""
    if left == right or right == _UNKNOWN:
        return left
    if left == _UNKNOWN:
        return right
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind == "null":
        return _optional(right)
    if right_kind == "null":
        return _optional(left)
    fused: Types
    if left_kind == right_kind and left_kind in ("list", "map"):
        fused = {"type": left_kind, "value": _fuse(left["value"], right["value"])}
    elif left_kind == right_kind == "struct":
        fused = {"type": "struct", "fields": _fuse_fields(left["fields"], right["fields"])}
    elif left_kind == right_kind:
        fused = left_kind
    elif {left_kind, right_kind} == {"map", "struct"}:
        mapping, struct = (left, right) if left_kind == "map" else (right, left)
        fused = {"type": "map", "value": reduce(_fuse, struct["fields"].values(), mapping["value"])}
    else:
        fused = "json"
    if _is_optional(left) or _is_optional(right):
        fused = _optional(fused)
    return left if fused == left else fused  # a schema that already holds ``right`` stays the same object


# ------------------------------------------------------------------------------------------- normalise and render


def _is_field_map(types: dict) -> bool:
    has_kind = isinstance(types.get("type", types.get("kind")), str)
    return not has_kind or not _TYPE_KEYS.issuperset(types)


def _normalise(types: Types) -> Types:
    """Parse a written schema: accept ``kind`` for ``type`` and bare field maps as structs."""
    if not isinstance(types, dict):
        return types
    if _is_field_map(types):
        return {"type": "struct", "fields": {name: _normalise(field) for name, field in types.items()}}
    normalised = {"type": types.get("type", types.get("kind"))}
    if "value" in types:
        normalised["value"] = _normalise(types["value"])
    if "fields" in types:
        normalised["fields"] = {name: _normalise(field) for name, field in types["fields"].items()}
    if types.get("optional"):
        normalised["optional"] = True
    return normalised


def _render_nested(types: Types) -> Types:
    if types == _UNKNOWN:
        return "json"
    if isinstance(types, str):
        return types
    rendered = dict(types)
    if "value" in rendered:
        rendered["value"] = _render_nested(rendered["value"])
    if "fields" in rendered:
        rendered["fields"] = {name: _render_nested(field) for name, field in rendered["fields"].items()}
    return rendered


def _render(types: Types) -> Types:
    """The schema as written to ``index.json``: a non-optional top-level struct becomes the bare field map."""
    rendered = _render_nested(types)
    if isinstance(rendered, dict) and rendered["type"] == "struct" and not rendered.get("optional"):
        return rendered["fields"]
    return rendered


def infer_types(sample: Any) -> Types:
    """The ``types`` schema of a single sample."""
    return _render(_infer(sample))


def fuse_types(left: Types, right: Types) -> Types:
    """Fuse two ``types`` schemas (e.g. of two writers); ``None`` stands for "no sample seen"."""
    if left is None or right is None:
        return right if left is None else left
    return _render(_fuse(_normalise(left), _normalise(right)))


# --------------------------------------------------------------------------------------------------------- shape

_JSON_SCALARS = (type(None), bool, int, float, str)
_JSON_SCALAR_TYPES = frozenset(_JSON_SCALARS)


def _is_json_row(value: Any) -> bool:
    """Whether ``value`` is plain JSON data: scalars, lists and str-keyed dicts of those (no bytes, no tuples)."""
    if isinstance(value, list):
        return set(map(type, value)).issubset(_JSON_SCALAR_TYPES) or all(map(_is_json_row, value))
    if isinstance(value, dict):
        return all(type(key) is str for key in value) and all(map(_is_json_row, value.values()))
    return isinstance(value, _JSON_SCALARS)


def _none() -> None:
    return None


_DEFAULT_FACTORIES: dict[str, Callable[[], Any]] = {
    "list": list,
    "map": dict,
    "struct": dict,  # filled with the field defaults by the nested plan
    "int": int,
    "float": float,
    "bool": bool,
    "bytes": bytes,
    "str": str,
}

_KEEP, _WRAP, _RECURSE = range(3)
_MAX_STRUCTURE_CHARS = 400


def describe_structure(sample: Any) -> str:
    """A short description of a sample's structure, e.g. ``{'image': ndarray, 'label': int, 'tags': list}``."""
    text = _structure(sample)
    return text if len(text) <= _MAX_STRUCTURE_CHARS else text[: _MAX_STRUCTURE_CHARS - 3] + "..."


def _structure(value: Any, in_dict: bool = False) -> str:
    """Dicts, tuples and lists are spelled out, except JSON lists inside a dict (stored as one leaf)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {_structure(item, True)}" for key, item in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_structure, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list) and not (in_dict and _is_json_row(value)):
        return "[" + ", ".join(map(_structure, value)) + "]"
    return type(value).__name__


class _KeysChanged(Exception):
    """Raised by `_DictPlan.apply` for a dict whose keys are not the first sample's; carries where and which."""

    def __init__(self, path: tuple, missing: list, added: list) -> None:
        super().__init__(path, missing, added)
        self.path, self.missing, self.added = path, missing, added


class _DictPlan:
    """How to rewrite one dict level: per key (in template order) its default factory and what to do with it."""

    __slots__ = ("entries", "keys", "path")

    def __init__(self, struct_types: dict, path: tuple, key_templates: dict[tuple, list]) -> None:
        fields = struct_types["fields"]
        keys = key_templates.setdefault(path, list(fields))
        self.keys = frozenset(keys)
        self.path = path
        self.entries: list[tuple[Any, Callable[[], Any], int, _DictPlan | None]] = []
        for key in keys:
            field_types = fields.get(key, "json")
            kind = _kind(field_types)
            nested = _DictPlan(field_types, (*path, key), key_templates) if kind == "struct" else None
            action = _RECURSE if nested is not None else _WRAP if kind in _CONTAINER_KINDS else _KEEP
            self.entries.append((key, _DEFAULT_FACTORIES.get(kind, _none), action, nested))

    def apply(self, sample: dict, check_keys: bool = True) -> dict:
        if check_keys and sample.keys() != self.keys:
            missing = [key for key, *_ in self.entries if key not in sample]
            raise _KeysChanged(self.path, missing, [key for key in sample if key not in self.keys])
        shaped = {}
        for key, default, action, nested in self.entries:
            value: Any = sample.get(key)
            filled = value is None
            if filled:
                value = default()
            if action == _WRAP:
                if _is_json_row(value):
                    value = JsonLeaf(value)
            elif nested is not None:  # action is _RECURSE
                value = nested.apply(value, check_keys=not filled)
            shaped[key] = value
        return shaped


class SampleShaper:
    """Prepares every sample of one writer for flattening and accumulates the ``types`` schema.

    Example::

        shaper = SampleShaper()
        leaves, spec = tree_flatten(shaper.shape(sample))   # for each sample
        config["types"] = shaper.types                      # when the writer is done
    """

    def __init__(self) -> None:
        self._types: Types = None
        self._plan: _DictPlan | None = None
        self._key_templates: dict[tuple, list] = {}
        self.first_structure: str | None = None  # `describe_structure` of the first sample

    @property
    def types(self) -> Types:
        """The fused schema of the samples seen so far (``None`` before the first), ready for ``index.json``."""
        return None if self._types is None else _render(self._types)

    def shape(self, sample: Any) -> Any:
        """Fuse ``sample`` into the schema and return it ready for ``tree_flatten`` (a new dict for dict samples)."""
        sample_types = _infer(sample)
        if self._types is None:
            self.first_structure = describe_structure(sample)
        fused = sample_types if self._types is None else _fuse(self._types, sample_types)
        if fused is not self._types:
            self._types = fused
            self._plan = None
        if not isinstance(sample, dict):
            return sample
        if self._plan is None:
            struct_types = fused if _kind(fused) == "struct" else _infer_struct_or_json_fields(sample)
            self._plan = _DictPlan(struct_types, (), self._key_templates)
        try:
            return self._plan.apply(sample)
        except _KeysChanged as change:
            raise self._keys_error(sample, change) from None

    def _keys_error(self, sample: dict, change: _KeysChanged) -> SampleStructureError:
        where = "".join(f"[{key!r}]" for key in change.path)
        problems = [f"key {where}[{key!r}] is missing" for key in change.missing]
        problems += [f"key {where}[{key!r}] is not in the first sample" for key in change.added]
        return SampleStructureError(
            f"does not have the keys of the first sample: {'; '.join(problems)}.\n"
            f"  first sample: {self.first_structure}\n  this sample:  {describe_structure(sample)}\n"
            "Every sample must have the same keys; store None for a value that is missing."
        )


def _infer_struct_or_json_fields(sample: dict) -> dict:
    """Field types for a dict sample when the fused schema is no longer a struct (dict and non-dict samples mixed)."""
    return {"type": "struct", "fields": dict.fromkeys(sample, "json")}
