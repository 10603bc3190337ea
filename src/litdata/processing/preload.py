"""Modules the forkserver of `optimize`/`map` workers imports once, so that its workers do not each import them.

A worker started from a forkserver is a fork of that server: whatever the server imported, the worker has. The
server imports litdata's worker code; when `optimize` starts the server, it also asks it (through
`PRELOAD_ENV`, read here at the server's start) to import the modules that define the job's function, reader
and item loader, and the modules the main script imports at its top level (`litdata.processing.main_imports`),
with the main process's ``sys.path``.
Without this, every worker of every run imports them again: a worker started this way runs the main script's
top-level code again (as ``__mp_main__``), so a script that starts with ``import torch`` costs each worker about a
second before its first input, on every call. With the script's imports already in the server, those statements
find the modules loaded; the script still runs in each worker as before. It is best effort: a module that fails to
import is skipped, and the workers then import it themselves and report what fails.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterable
from typing import Any

import litdata.settings as settings

PRELOAD_ENV = "LITDATA_FORKSERVER_PRELOAD"
_NOT_PRELOADED = ("__main__", "__mp_main__", "builtins")


def _module_name(obj: Any) -> str | None:
    while hasattr(obj, "func"):  # functools.partial, possibly nested
        obj = obj.func
    name = getattr(obj, "__module__", None)
    return name if isinstance(name, str) else None


def modules_to_preload(objects: Iterable[Any]) -> list[str]:
    """The modules defining ``objects`` that a forkserver can import by name: already imported here, from a file,
    neither the main script (a script may call `optimize` when imported) nor litdata's own."""
    names: list[str] = []
    for obj in objects:
        name = _module_name(obj)
        if name is None or name in _NOT_PRELOADED or name in names or name.split(".")[0] == "litdata":
            continue
        module = sys.modules.get(name)
        if module is None:
            continue
        if getattr(module, "__file__", None) and getattr(module, "__spec__", None) is not None:
            names.append(name)
    return names


def preload_request(modules: list[str]) -> str:
    """The value of `PRELOAD_ENV` that makes a new forkserver import ``modules`` with this process's sys.path."""
    return json.dumps({"modules": modules, "sys_path": sys.path})


def _preload_from_environ() -> None:
    from litdata.processing import spawn_guard

    request = settings.take_internal(PRELOAD_ENV)
    if not request:
        return
    spec = json.loads(request)
    sys.path[:] = spec["sys_path"]
    spawn_guard.preloading = True
    try:
        for name in spec["modules"]:
            try:
                importlib.import_module(name)
            except (Exception, SystemExit, spawn_guard.PreloadAborted):
                continue
    finally:
        spawn_guard.preloading = False


_preload_from_environ()
