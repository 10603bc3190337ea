"""The `litdata` command line: ``litdata cache path``, ``litdata cache clear``, ``litdata inspect DIR``, ``--version``.

Errors a user can fix (a missing dataset, refused credentials, an unreachable endpoint, a bad option) are printed as
one line without a traceback, and the command exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any

import litdata.settings as settings
from litdata.__about__ import __version__
from litdata.constants import _DEFAULT_CACHE_DIR, _INDEX_FILENAME
from litdata.format.config import load_index_file
from litdata.sizes import _human_readable_bytes
from litdata.utilities.progress import progress_bar

_CLEAR_BAR_MIN_FILES = 100  # below this, removing is too quick for a bar to help
_CLEAR_BAR_STEP = 256  # files removed between two updates of the bar (updating per file doubles the time)


def default_cache_dir() -> str:
    """The folder where remote datasets are cached (``LITDATA_CACHE_DIR`` or ``~/.lightning/chunks``)."""
    return settings.CACHE_DIR.get() or _DEFAULT_CACHE_DIR


def _cache_path(_: argparse.Namespace) -> int:
    print(default_cache_dir())
    return 0


def _folder_contents(path: str) -> tuple[int, int]:
    """The number of files under ``path`` and their total size in bytes."""
    files = size = 0
    for root, _, names in os.walk(path):
        files += len(names)
        for name in names:
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(root, name)).st_size
    return files, size


def _remove_folder(path: str, bar: Any) -> None:
    """Delete ``path`` like `shutil.rmtree`, advancing ``bar`` by the files removed, a few hundred at a time (files
    another process removes meanwhile, e.g. a reader evicting chunks, are skipped). A ``path`` that is a link to a
    folder is emptied and kept."""
    unreported = 0
    for root, folders, names in os.walk(path, topdown=False):
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(root, name))
            unreported += 1
            if unreported == _CLEAR_BAR_STEP:
                bar.update(unreported)
                unreported = 0
        for name in folders:
            folder = os.path.join(root, name)
            with contextlib.suppress(FileNotFoundError):
                (os.unlink if os.path.islink(folder) else os.rmdir)(folder)
    bar.update(unreported)
    if not os.path.islink(path):
        shutil.rmtree(path)  # what is left: the empty top folder, or files created while removing


def _confirmed(question: str) -> bool | None:
    """The user's answer to a yes/no ``question`` (default no); None when stdin is not a terminal."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _cache_clear(args: argparse.Namespace) -> int:
    path = default_cache_dir()
    if not os.path.isdir(path):
        print(f"Nothing to remove: {path} does not exist")
        return 0
    files, size = _folder_contents(path)
    if not args.yes:
        answer = _confirmed(f"Delete the cache folder {path} ({_human_readable_bytes(size)})?")
        if answer is None:
            print(
                f"litdata: error: not deleting {path}: there is no terminal to confirm on. "
                "Run `litdata cache clear --yes` to delete it without asking.",
                file=sys.stderr,
            )
            return 1
        if not answer:
            print("Nothing removed.")
            return 0
    show = files > _CLEAR_BAR_MIN_FILES and not args.quiet
    with progress_bar(f"Clearing the cache ({_human_readable_bytes(size)})", files, "files", show) as bar:
        _remove_folder(path, bar)
    if os.path.islink(path):
        print(f"Emptied {os.path.realpath(path)} (the cache folder {path} links to it and is kept)")
    else:
        print(f"Removed {path}")
    return 0


def describe_index(index: dict) -> dict:
    """A summary of an optimized dataset's index: samples, chunks, bytes, format, compression, encryption."""
    config = index.get("config") or {}
    chunks = index.get("chunks") or []
    legacy = "compression_level" not in config and "types" not in config
    return {
        "samples": sum(c.get("chunk_size", 0) for c in chunks),
        "chunks": len(chunks),
        "bytes": sum(c.get("chunk_bytes") or 0 for c in chunks),
        "tokens": sum(c.get("dim") or 0 for c in chunks) if any(c.get("dim") for c in chunks) else None,
        "data_format": config.get("data_format"),
        "item_loader": config.get("item_loader"),
        "compression": config.get("compression"),
        "compression_level": config.get("compression_level"),
        "encryption": config.get("encryption"),
        "writer": "LitData <= 0.2.56 layout" if legacy else "LitData 0.2.57+ / litdata layout",
        "updated_at": index.get("updated_at"),
    }


def _load_index(target: str) -> dict:
    """The index of a local dataset folder, an index.json path, or a remote dataset URL (credentials from the env)."""
    if "://" not in target:
        return load_index_file(target if target.endswith(".json") else os.path.join(target, _INDEX_FILENAME))
    from litdata.storage import get_storage

    url = target if target.endswith(".json") else target.rstrip("/") + "/" + _INDEX_FILENAME
    try:
        raw = get_storage(url).read_bytes(url)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"No index.json at {url}: this location is not an optimized dataset.") from err
    return json.loads(raw)


def _inspect(args: argparse.Namespace) -> int:
    target = args.path
    summary = describe_index(_load_index(target))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"dataset:      {target}")
    print(f"samples:      {summary['samples']:,}" + (f" ({summary['tokens']:,} tokens)" if summary["tokens"] else ""))
    print(f"chunks:       {summary['chunks']:,} ({_human_readable_bytes(summary['bytes'])})")
    print(f"data format:  {summary['data_format']} ({summary['item_loader']})")
    compression = summary["compression"] or "none"
    if summary["compression"]:
        compression += f" ({summary['compression_level'] or 'chunk'} level)"
    print(f"compression:  {compression}")
    print(f"encryption:   {summary['encryption'] or 'none'}")
    print(f"writer:       {summary['writer']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litdata", description="litdata command line tools")
    parser.add_argument("--version", action="version", version=f"litdata {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    cache = sub.add_parser("cache", help="manage the local cache of streamed datasets")
    cache_sub = cache.add_subparsers(dest="cache_command", required=True)
    cache_sub.add_parser("path", help="print the cache folder").set_defaults(func=_cache_path)
    clear = cache_sub.add_parser("clear", help="delete the cache folder (asks first)")
    clear.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    clear.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    clear.set_defaults(func=_cache_clear)
    inspect = sub.add_parser("inspect", help="summarise an optimized dataset (a folder or its index.json)")
    inspect.add_argument("path")
    inspect.add_argument("--json", action="store_true", help="print the summary as JSON")
    inspect.set_defaults(func=_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``litdata`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError, ImportError) as err:  # refused credentials are a PermissionError
        print(f"litdata: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("litdata: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
