"""Every environment variable litdata reads, declared once with its type, default and meaning.

Code reads a variable through its declaration, e.g. ``settings.CACHE_DIR.get()``, never through ``os.environ``
directly, so that one parser decides what ``"yes"`` or ``"50GB"`` mean and the documentation table
(``docs/reference/environment.md``, written by `environment_markdown`) lists every variable.

Booleans accept ``1/true/yes/on`` and ``0/false/no/off`` or an empty value (case-insensitive); integers, floats and
sizes (``"50GB"``, decimal units) are parsed the same way everywhere; a malformed value raises ``ValueError``
naming the variable, the value and the accepted forms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litdata.sizes import _convert_bytes_to_int

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_MISSING: Any = object()

GROUPS = {
    "cache": "Cache",
    "storage": "Storage",
    "optimize": "Optimize and map",
    "streaming": "Streaming",
    "progress": "Progress bars",
    "debugging": "Debugging",
    "distributed": "Distributed and nodes",
    "platform": "Lightning platform",
}
_ACCEPTED = {
    "bool": "1/true/yes/on or 0/false/no/off/empty (case-insensitive)",
    "int": "an integer such as 4",
    "float": "a number such as 2.5",
    "size": "a byte count or a decimal size such as 50GB",
    "str": "any text",
}


def parse(name: str, kind: str, value: str) -> Any:
    """Parse the text ``value`` of the variable ``name`` as ``kind`` (``bool``, ``int``, ``float``, ``size``,
    ``str``); raise ``ValueError`` naming the variable, the value and the accepted forms when it is malformed."""
    text = value.strip()
    try:
        if kind == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(text)
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "size":
            return _convert_bytes_to_int(text)
    except ValueError:
        raise ValueError(
            f"The environment variable {name}={value!r} is not a valid {kind}: use {_ACCEPTED[kind]}, or unset it."
        ) from None
    if kind == "str":
        return value
    raise ValueError(f"Unknown setting type {kind!r} for {name}; expected one of {', '.join(_ACCEPTED)}.")


@dataclass(frozen=True)
class Setting:
    """One environment variable: its ``name``, ``kind`` of value, ``default`` when unset, ``doc`` and ``group``."""

    name: str
    kind: str
    default: Any
    doc: str
    group: str
    shown_default: str | None = None

    def raw(self) -> str | None:
        """The variable's text as set in the environment, or None when it is unset."""
        return os.environ.get(self.name)

    def is_set(self) -> bool:
        """Whether the variable is present in the environment (even with an empty value)."""
        return self.name in os.environ

    def get(self, default: Any = _MISSING) -> Any:
        """The parsed value; ``default`` (or the declared default) when unset, or empty for a number or size."""
        value = self.raw()
        if value is None or (self.kind not in ("bool", "str") and not value.strip()):
            return self.default if default is _MISSING else default
        return parse(self.name, self.kind, value)


_REGISTRY: dict[str, Setting] = {}


def _declare(name: str, kind: str, default: Any, doc: str, group: str, shown_default: str | None = None) -> Setting:
    if name in _REGISTRY:
        raise ValueError(f"The environment variable {name} is declared twice in litdata.settings.")
    if group not in GROUPS:
        raise ValueError(f"Unknown settings group {group!r} for {name}; expected one of {', '.join(GROUPS)}.")
    setting = Setting(name, kind, default, doc, group, shown_default)
    _REGISTRY[name] = setting
    return setting


# Cache
CACHE_DIR = _declare(
    "LITDATA_CACHE_DIR",
    "str",
    None,
    "Folder where remote datasets are cached (inside it, one folder per dataset).",
    "cache",
    "`~/.lightning/chunks`",
)
MAX_CACHE_SIZE = _declare(
    "MAX_CACHE_SIZE",
    "str",
    None,
    "Overrides `max_cache_size`: a size such as `50GB`, a byte count, or a fraction of the free disk such as `0.5`.",
    "cache",
    "the `max_cache_size` argument",
)
MAX_WAIT_TIME = _declare(
    "MAX_WAIT_TIME",
    "float",
    120.0,
    "Seconds a reader waits for a chunk that another reader is downloading before it raises.",
    "cache",
)

# Storage
DISABLE_S5CMD = _declare(
    "DISABLE_S5CMD", "bool", False, "Never use the s5cmd binary; download S3 objects with boto3 only.", "storage"
)
STORAGE_MAX_ATTEMPTS = _declare(
    "LITDATA_STORAGE_MAX_ATTEMPTS", "int", 6, "Attempts per storage operation before it fails (at least 1).", "storage"
)
AWS_ACCESS_KEY_ID = _declare(
    "AWS_ACCESS_KEY_ID", "str", None, "S3 access key, unless `storage_options` set one.", "storage"
)
AWS_SECRET_ACCESS_KEY = _declare(
    "AWS_SECRET_ACCESS_KEY", "str", None, "S3 secret key, unless `storage_options` set one.", "storage"
)
AWS_SESSION_TOKEN = _declare(
    "AWS_SESSION_TOKEN", "str", None, "S3 session token, unless `storage_options` set one.", "storage"
)
AWS_REGION = _declare("AWS_REGION", "str", None, "S3 region, unless `storage_options` set one.", "storage")
AWS_DEFAULT_REGION = _declare(
    "AWS_DEFAULT_REGION",
    "str",
    None,
    "S3 region when `AWS_REGION` is unset (s5cmd falls back to us-east-1).",
    "storage",
)
S3_ENDPOINT_URL = _declare(
    "S3_ENDPOINT_URL", "str", None, "Endpoint of an S3-compatible server, unless `storage_options` set one.", "storage"
)
AWS_ENDPOINT_URL_S3 = _declare(
    "AWS_ENDPOINT_URL_S3", "str", None, "S3 endpoint when `S3_ENDPOINT_URL` is unset.", "storage"
)
AWS_ENDPOINT_URL = _declare(
    "AWS_ENDPOINT_URL", "str", None, "S3 endpoint when neither of the two above is set.", "storage"
)
AWS_PROFILE = _declare("AWS_PROFILE", "str", None, "AWS profile, unless `storage_options` set one.", "storage")
AWS_NO_SIGN_REQUEST = _declare(
    "AWS_NO_SIGN_REQUEST", "bool", False, "Read public S3 buckets anonymously (unsigned requests).", "storage"
)
R2_ACCOUNT_ID = _declare(
    "R2_ACCOUNT_ID", "str", None, "Cloudflare account of `r2://` URLs, unless `storage_options` set one.", "storage"
)
AZURE_STORAGE_CONNECTION_STRING = _declare(
    "AZURE_STORAGE_CONNECTION_STRING",
    "str",
    None,
    "Connection string of `azure://` URLs, unless `storage_options` set one.",
    "storage",
)

# Optimize and map
GLOBAL_RANK_OPTIMIZE = _declare(
    "DATA_OPTIMIZER_GLOBAL_RANK",
    "int",
    None,
    "Set by litdata in its worker processes: the worker's rank across all nodes.",
    "optimize",
)
NUM_WORKERS_OPTIMIZE = _declare(
    "DATA_OPTIMIZER_NUM_WORKERS", "int", 1, "Set by litdata in its worker processes: workers per node.", "optimize"
)
NUM_NODES_OPTIMIZE = _declare(
    "DATA_OPTIMIZER_NUM_NODES", "int", 1, "Number of machines taking part in an `optimize`/`map` run.", "optimize"
)
NODE_RANK_OPTIMIZE = _declare(
    "DATA_OPTIMIZER_NODE_RANK", "int", 0, "Rank of this machine in a multi-node `optimize`/`map` run.", "optimize"
)
OPTIMIZER_TIMEOUT = _declare(
    "DATA_OPTIMIZER_TIMEOUT",
    "float",
    None,
    "Seconds a node waits for the other nodes of a multi-node run; unset waits forever.",
    "optimize",
)
OPTIMIZER_CACHE_FOLDER = _declare(
    "DATA_OPTIMIZER_CACHE_FOLDER",
    "str",
    None,
    "Staging folder for chunks before they are uploaded to a remote `output_dir`.",
    "optimize",
    "`litdata-staging` in the temp folder",
)
OPTIMIZER_FAST_DEV_RUN = _declare(
    "DATA_OPTIMIZER_FAST_DEV_RUN", "bool", False, "Recipes process only a few inputs (a quick trial run).", "optimize"
)
OUTPUT_LOCK_TTL = _declare(
    "LITDATA_OUTPUT_LOCK_TTL",
    "float",
    60.0,
    "Seconds after which the lock of an abandoned run on an `output_dir` counts as stale.",
    "optimize",
)
EXECUTOR = _declare(
    "LITDATA_EXECUTOR",
    "str",
    None,
    "`ray` or `local`: how `optimize`/`map` run when `executor` is not given.",
    "optimize",
)
RAY_ADDRESS = _declare(
    "RAY_ADDRESS", "str", None, "Address of a Ray cluster; when set, `num_nodes` alone selects Ray.", "optimize"
)

# Streaming
VERIFY_CHECKSUMS = _declare(
    "LITDATA_VERIFY_CHECKSUMS", "bool", True, "Verify chunk checksums recorded in the index when reading.", "streaming"
)
DECODE_THREADS = _declare(
    "LITDATA_DECODE_THREADS",
    "int",
    None,
    "Threads that decode the images of a batch read whole by `StreamingDataLoader` (JPEG, PNG, PIL and TIFF leaves).",
    "streaming",
    "1 in DataLoader workers, else the usable cores (at most 8)",
)
ALLOW_PICKLE = _declare(
    "LITDATA_ALLOW_PICKLE",
    "bool",
    True,
    "`false` refuses to read datasets whose values are pickled (unpickling runs the writer's code).",
    "streaming",
)
POSIX_SHUFFLE_WINDOW = _declare(
    "LITDATA_POSIX_SHUFFLE_WINDOW", "int", 16, "Chunk window of the windowed shuffle (at least 1).", "streaming"
)
ITEM_SHUFFLE_WINDOW = _declare(
    "LITDATA_ITEM_SHUFFLE_WINDOW",
    "str",
    "auto",
    "Default `item_shuffle_window`: a block size, `0`/`off`/`full` for a full permutation, or `auto` (256).",
    "streaming",
)
POSIX_FAST = _declare(
    "LITDATA_POSIX_FAST",
    "str",
    None,
    "`0`/`false` or empty turns the fast local-filesystem profile off; any other value forces it on.",
    "streaming",
    "detected",
)

# Progress bars
TQDM_DISABLE = _declare(
    "TQDM_DISABLE",
    "str",
    None,
    "Any non-empty value hides every progress bar (`optimize`, `map`, `merge_datasets`, `index_parquet_dataset`, "
    "`litdata cache clear`). It is tqdm's own switch, read by tqdm too: even `0` hides the bars.",
    "progress",
)

# Debugging
LOG_FILE = _declare("LITDATA_LOG_FILE", "str", None, "File the trace lines are appended to.", "debugging")
LOG_LEVEL = _declare("LITDATA_LOG_LEVEL", "str", "DEBUG", "Level of the `litdata` trace logger.", "debugging")
TRACE_LEVEL = _declare(
    "LITDATA_TRACE_LEVEL", "str", "off", "Trace level: off, batch, chunk, sample or debug.", "debugging"
)
TRACE_CATEGORIES = _declare(
    "LITDATA_TRACE_CATEGORIES",
    "str",
    None,
    "Comma-separated trace categories; overrides the level's.",
    "debugging",
    "the level's",
)
PRINT_DEBUG_LOGS = _declare("PRINT_DEBUG_LOGS", "bool", False, "Also print trace lines on the console.", "debugging")
LOG_ITEM_LOADER = _declare(
    "LITDATA_LOG_ITEM_LOADER", "bool", False, "Written by `enable_tracer` (LitData's item-loader log).", "debugging"
)
LOG_ITERATING_DATASET = _declare(
    "LITDATA_LOG_ITERATING_DATASET",
    "bool",
    False,
    "Written by `enable_tracer` (LitData's dataset-iteration log).",
    "debugging",
)
LOG_GETITEM = _declare(
    "LITDATA_LOG_GETITEM", "bool", False, "Written by `enable_tracer` (LitData's `__getitem__` log).", "debugging"
)

# Distributed and nodes
WORLD_SIZE = _declare(
    "WORLD_SIZE",
    "int",
    None,
    "Overrides the number of training processes.",
    "distributed",
    "torch.distributed's, else `1`",
)
GLOBAL_RANK = _declare(
    "GLOBAL_RANK",
    "int",
    None,
    "Overrides the rank of this training process.",
    "distributed",
    "torch.distributed's, else `0`",
)
NNODES = _declare("NNODES", "int", None, "Number of machines (torchrun).", "distributed", "`1`")
GROUP_RANK = _declare("GROUP_RANK", "int", None, "Rank of this machine (torchrun).", "distributed", "`0`")
NODE_RANK = _declare("NODE_RANK", "int", None, "Rank of this machine when `GROUP_RANK` is unset.", "distributed", "`0`")
SLURM_NNODES = _declare("SLURM_NNODES", "int", None, "Number of machines (SLURM).", "distributed", "`1`")
SLURM_NODEID = _declare("SLURM_NODEID", "int", None, "Rank of this machine (SLURM).", "distributed", "`0`")

# Lightning platform
LIGHTNING_CLUSTER_ID = _declare(
    "LIGHTNING_CLUSTER_ID",
    "str",
    None,
    "Set on Lightning AI machines (with the project id: cache under /cache).",
    "platform",
)
LIGHTNING_CLOUD_PROJECT_ID = _declare(
    "LIGHTNING_CLOUD_PROJECT_ID", "str", None, "Set on Lightning AI machines; teamspace helpers need it.", "platform"
)


def all_settings() -> list[Setting]:
    """Every declared setting, in declaration order."""
    return list(_REGISTRY.values())


def named(name: str) -> Setting:
    """The declared setting of the environment variable ``name``; ``KeyError`` for an undeclared name."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"{name} is not declared in litdata.settings; declare it there before reading it.") from None


def environ() -> dict[str, str]:
    """The declared variables that are set in the environment, as raw text (a snapshot)."""
    return {name: value for name in _REGISTRY if (value := os.environ.get(name)) is not None}


def child_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of this process plus ``extra``, to hand to a child process unchanged."""
    return {**os.environ, **(extra or {})}


def take_internal(name: str) -> str | None:
    """Remove and return an internal variable one litdata process sets for a child it starts (not a user setting,
    so not declared: e.g. the forkserver's preload request); None when it is unset."""
    return os.environ.pop(name, None)


def adopt_environ(environ: Mapping[str, str]) -> None:
    """Make this process's environment exactly ``environ`` (a worker started by a long-lived server, e.g. a
    forkserver, takes the environment its job was started with)."""
    if environ != os.environ:
        os.environ.clear()
        os.environ.update(environ)


def _shown_default(setting: Setting) -> str:
    if setting.shown_default is not None:
        return setting.shown_default
    if setting.default is None:
        return "unset"
    if isinstance(setting.default, bool):
        return "`true`" if setting.default else "`false`"
    if isinstance(setting.default, float) and setting.default.is_integer():
        return f"`{int(setting.default)}`"
    return f"`{setting.default}`"


def environment_markdown() -> str:
    """The documentation page of every environment variable, one table per group (docs/reference/environment.md)."""
    lines = [
        "# Environment variables",
        "",
        "<!-- Generated by `python docs/reference/make_environment.py` from litdata.settings; do not edit by hand. -->",
        "",
        "Every environment variable litdata reads, declared in `litdata.settings`. Booleans accept",
        f"{_ACCEPTED['bool']}; a malformed value raises a `ValueError` naming the variable.",
    ]
    for group, title in GROUPS.items():
        members = [s for s in _REGISTRY.values() if s.group == group]
        if not members:
            continue
        lines += ["", f"## {title}", "", "| Variable | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
        for s in members:
            lines.append(f"| `{s.name}` | {s.kind} | {_shown_default(s)} | {s.doc} |")
    return "\n".join(lines) + "\n"
