"""Modules the forkserver of `optimize`/`map` workers imports once, so that its workers do not each import them.

A worker started from a forkserver is a fork of that server: whatever the server imported, the worker has. The
server imports litdata's worker code; when `optimize` starts the server, it also asks it (through
`PRELOAD_ENV`, read here at the server's start) to import the modules that define the job's function, reader
and item loader, and the modules the main script imports at its top level, with the main process's ``sys.path``.
Without this, every worker of every run imports them again: a worker started this way runs the main script's
top-level code again (as ``__mp_main__``), so a script that starts with ``import torch`` costs each worker about a
second before its first input, on every call. With the script's imports already in the server, those statements
find the modules loaded; the script still runs in each worker as before. It is best effort: a module that fails to
import is skipped, and the workers then import it themselves and report what fails.
"""

from __future__ import annotations

import ast
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


def main_script_imports() -> list[str]:
    """The modules the main script imports in the code a worker runs again: its top level outside the
    ``if __name__ == "__main__":`` block (inside ``try``, ``with`` and other ``if`` blocks too), limited to those
    this process has imported, so that preloading them costs the server nothing a worker would not pay anyway."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return []  # an interactive session or `python -c`: workers do not run it again
    try:
        with open(path, "rb") as script:
            tree = ast.parse(script.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for name in _top_level_imports(tree.body):
        if name not in names and name != "__future__" and name in sys.modules:
            names.append(name)
    return names


def _top_level_imports(statements: list[ast.stmt]) -> Iterable[str]:
    for statement in statements:
        if isinstance(statement, ast.Import):
            yield from (alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            if statement.level == 0 and statement.module:  # a script has no package for relative imports
                yield statement.module
                for alias in statement.names:  # `from package import submodule`
                    submodule = f"{statement.module}.{alias.name}"
                    if isinstance(sys.modules.get(submodule), type(sys)):
                        yield submodule
        elif isinstance(statement, ast.If):
            if not _is_main_guard(statement.test):
                yield from _top_level_imports(statement.body)
            yield from _top_level_imports(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _top_level_imports(block)
            for handler in statement.handlers:
                yield from _top_level_imports(handler.body)
        elif isinstance(statement, ast.With):
            yield from _top_level_imports(statement.body)


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either side); a worker runs the script as ``__mp_main__`` and skips the block."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
    has_main = any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides)
    return has_name and has_main


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
