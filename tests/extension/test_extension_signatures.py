"""The classes users subclass or build by hand (shufflers, downloaders, writer, cache, reader, config, clients) take
LitData 0.2.76's parameters: same names, order and defaults, apart from extra optional parameters of ours. Each
remaining difference is listed in ``ALLOWED`` with its reason."""

from api.reference_run import run_ours, run_reference

DUMP = r"""
import importlib, inspect, json
TARGETS = {
    "litdata.streaming.shuffle": ["Shuffle", "NoShuffle", "FullShuffle", "WindowShuffle"],
    "litdata.streaming.downloader": [
        "Downloader", "S3Downloader", "GCPDownloader", "AzureDownloader", "R2Downloader", "HFDownloader",
        "LocalDownloader", "LocalDownloaderWithCache", "register_downloader", "unregister_downloader", "get_downloader",
    ],
    "litdata.streaming.writer": ["BinaryWriter"],
    "litdata.streaming.cache": ["Cache"],
    "litdata.streaming.config": ["ChunksConfig"],
    "litdata.streaming.reader": ["BinaryReader"],
    "litdata.streaming.sampler": ["ChunkedIndex"],
    "litdata.streaming.combined": ["CombinedStreamingDataset"],
    "litdata.streaming.client": ["S3Client", "R2Client"],
    "litdata.helpers": ["WarningCache"],
    "litdata.exceptions": ["ChunkWaitTimeoutError"],
}

def params(f):
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    return [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
            for p in sig.parameters.values()]

out = {}
for module_name, names in TARGETS.items():
    module = importlib.import_module(module_name)
    for name in names:
        obj = getattr(module, name)
        key = f"{module_name}.{name}"
        if not inspect.isclass(obj):
            out[key] = params(obj)
            continue
        members = {"__init__": params(obj.__init__)}
        for attr in dir(obj):
            if attr.startswith("_") and attr != "__call__":
                continue
            value = inspect.getattr_static(obj, attr)
            function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if isinstance(value, property):
                members[attr] = "property"
            elif inspect.isfunction(function):
                members[attr] = params(function)
        out[key] = members
print(json.dumps(out))
"""

_LOCKS = "0.2.76's chunk download, lock and decompress machinery; ours lives in litdata.streaming.reading.sources (CachedSource)"
_READER = "0.2.76's reader thread, POSIX fast path and shared-lock internals; our reader prefetches through ChunkSource"
_NAME = (
    "0.2.76's S3/GCP/R2 downloaders name it remote_filepath and the others inherit remote_chunkpath; all of ours "
    "say remote_filepath (callers pass it by position)"
)
ALLOWED = {
    **{
        f"litdata.streaming.config.ChunksConfig.{name}": _LOCKS
        for name in [
            "can_delete",
            "decrement_local_lock",
            "download_chunk_bytes_from_index",
            "download_chunk_from_index",
            "download_filepath",
            "increment_local_lock",
            "notify_file_published",
            "remaining_locks",
            "skip_chunk_indexes_deletion",
            "try_decompress",
            "wait_file_published",
        ]
    },
    **{
        f"litdata.streaming.reader.BinaryReader.{name}": _READER
        for name in [
            "acquire_shared_locks",
            "enable_mmap_for_chunks",
            "enable_posix_fast",
            "prefetch_posix_window",
            "read_item_bytes",
            "set_keep_node_shard",
            "setup_thread_and_download_chunk",
        ]
    },
    **{
        f"litdata.streaming.downloader.{cls}.download_bytes": _NAME
        for cls in ["AzureDownloader", "HFDownloader", "LocalDownloader", "LocalDownloaderWithCache"]
    },
    "litdata.streaming.client.R2Client.get_r2_bucket_credentials": (
        "fetches credentials from the Lightning AI platform; R2 credentials come from storage_options here"
    ),
}


def _differences(ours: object, reference: object) -> str | None:
    """What keeps ``ours`` from accepting every call written for ``reference`` (extra optional parameters are fine)."""
    if ours == reference:
        return None
    if not isinstance(ours, list) or not isinstance(reference, list):
        return f"ours {ours!r}, 0.2.76 {reference!r}"
    problems = []
    for position, (name, kind, default) in enumerate(reference):
        if position >= len(ours):
            problems.append(f"no parameter {name}")
            continue
        our_name, our_kind, our_default = ours[position]
        if our_name != name:
            problems.append(f"position {position} is {our_name}, 0.2.76 {name}")
        elif our_default != default:
            problems.append(f"{name} defaults to {our_default}, 0.2.76 {default}")
        elif our_kind != kind and "VAR" not in kind + our_kind:
            problems.append(f"{name} is {our_kind}, 0.2.76 {kind}")
    problems += [
        f"extra required {name}"
        for name, kind, default in ours[len(reference) :]
        if default is None and "VAR" not in kind
    ]
    return "; ".join(problems) or None


def signature_differences(ours: dict, reference: dict) -> dict[str, str]:
    found = {}
    for key, theirs in reference.items():
        mine = ours.get(key)
        if not isinstance(theirs, dict):
            problem = "missing" if mine is None else _differences(mine, theirs)
            if problem:
                found[key] = problem
            continue
        for member, their_params in theirs.items():
            name = f"{key}.{member}"
            if mine is None or member not in mine:
                found[name] = "missing"
            elif "property" in (their_params, mine[member]):
                if their_params != mine[member]:
                    found[name] = f"ours {mine[member]}, 0.2.76 {their_params}"
            elif problem := _differences(mine[member], their_params):
                found[name] = problem
    return found


def test_the_extension_classes_take_the_parameters_of_0_2_76_apart_from_the_listed_differences():
    ours, reference = run_ours(DUMP), run_reference(DUMP)
    found = signature_differences(ours, reference)
    assert {name: problem for name, problem in found.items() if name not in ALLOWED} == {}
    assert sorted(name for name in ALLOWED if name not in found) == []  # a fixed difference leaves the list
    assert len(reference) == 25 and len(found) == len(ALLOWED) == 23
