"""The serializers, item loaders, compressors and media wrappers take LitData 0.2.76's signatures: for every class
and public method of 0.2.76 in these modules, our parameters (names, order, kinds, defaults) begin with 0.2.76's,
and any further parameter of ours is optional. `ALLOWED` names each remaining difference and why it stays."""

import json

from reference_run import run_ours, run_reference

DUMP = r"""
import importlib, inspect, json, sys

MODULES = {
    "litdata.streaming.serializers": None,
    "litdata.streaming.item_loader": ["BaseItemLoader", "PyTreeLoader", "TokensLoader", "ParquetLoader", "Interval"],
    "litdata.streaming.compression": ["Compressor", "ZSTDCompressor"],
    "litdata.streaming.temporal": ["TemporalArrayLoader"],
    "litdata.types": None,
}
names = json.loads(sys.argv[1]) if len(sys.argv) > 1 else None


def params(function):
    return [[p.name, p.kind.name, None if p.default is p.empty else repr(p.default)]
            for p in inspect.signature(function).parameters.values()]


out = {}
for module_name, class_names in MODULES.items():
    module = importlib.import_module(module_name)
    if names is not None:
        class_names = [key.rsplit(".", 1)[1] for key in names if key.rsplit(".", 1)[0] == module_name]
    elif class_names is None:
        class_names = [n for n, o in vars(module).items()
                       if inspect.isclass(o) and o.__module__ == module_name and not n.startswith("_")]
    for class_name in class_names:
        cls = getattr(module, class_name, None)
        if cls is None:
            continue
        members = {}
        for attr in dir(cls):
            if attr.startswith("_") and attr != "__init__":
                continue
            raw = inspect.getattr_static(cls, attr)
            if isinstance(raw, (classmethod, staticmethod)):
                kind, function = type(raw).__name__, raw.__func__
            elif isinstance(raw, property):
                members[attr] = ["property", []]
                continue
            elif inspect.isfunction(raw):
                kind, function = "method", raw
            else:
                continue
            if attr == "__init__" and function is object.__init__:
                continue
            try:
                members[attr] = [kind, params(function)]
            except (TypeError, ValueError):
                pass
        out[f"{module_name}.{class_name}"] = members
print(json.dumps(out))
"""

_READER_HOOKS = (
    "0.2.76's reader tuning hooks (in-place POSIX reads, mmap choice, prefetch-thread events); our reader has none"
)
_TEMPORAL = "0.2.76's TemporalArrayLoader is a PyTreeLoader with its own record codec; ours reads and writes the same bytes (encode_record, decode_record, window_ranges)"
ALLOWED = {
    **{
        f"litdata.streaming.{cls}.{hook}": _READER_HOOKS
        for cls in (
            "item_loader.BaseItemLoader",
            "item_loader.PyTreeLoader",
            "item_loader.TokensLoader",
            "item_loader.ParquetLoader",
            "temporal.TemporalArrayLoader",
        )
        for hook in (
            "set_chunk_ready_provider",
            "set_mmap_allowed_chunks",
            "set_posix_fast",
            "set_prefetch_error_provider",
            "warm_posix_chunk",
        )
    },
    "litdata.streaming.item_loader.ParquetLoader.set_remote_source": "ours reads Parquet files through the dataset's own chunk source and cache",
    "litdata.streaming.compression.ZSTDCompressor.__init__": "ours defaults level to 4 (the level 0.2.76 registers as 'zstd'); every 0.2.76 call works",
    **{
        f"litdata.streaming.temporal.TemporalArrayLoader.{name}": _TEMPORAL
        for name in ("bytes_per_frame", "decode_groups", "mds_deserialize", "serialize_record", "setup")
    },
    "litdata.types.JsonType": "0.2.76's schema object for index.json config.types; ours writes the same JSON (litdata.format.sample_types)",
}


def _difference(theirs, ours):
    """Why ``ours`` ([kind, params]) cannot stand for ``theirs``, or None."""
    if ours is None:
        return "missing"
    if ours[0] != theirs[0]:
        return f"is a {ours[0]}, 0.2.76's a {theirs[0]}"
    their_params = [p for p in theirs[1] if p[0] not in ("self", "cls")]
    our_params = [p for p in ours[1] if p[0] not in ("self", "cls")]
    if our_params[: len(their_params)] != their_params:
        return f"takes {our_params}, 0.2.76 {their_params}"
    extra = [p[0] for p in our_params[len(their_params) :] if p[2] is None and not p[1].startswith("VAR_")]
    return f"has required extra parameters {extra}" if extra else None


def differences(theirs, ours):
    found = {}
    for cls, members in theirs.items():
        if cls not in ours:
            found[cls] = "class missing"
            continue
        for name, signature in members.items():
            if name == "__init__" and [p[0] for p in signature[1]] == ["self"] and name not in ours[cls]:
                continue  # a constructor without arguments either way
            why = _difference(signature, ours[cls].get(name))
            if why:
                found[f"{cls}.{name}"] = why
    return found


def test_the_extension_classes_take_0_2_76_signatures():
    theirs = run_reference(DUMP)
    ours = run_ours(DUMP, json.dumps(sorted(theirs)))
    found = differences(theirs, ours)
    assert {name: why for name, why in found.items() if name not in ALLOWED} == {}
    assert sorted(name for name in ALLOWED if name not in found) == []  # every allowance is still needed
