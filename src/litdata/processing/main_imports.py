"""The modules a main script imports at its top level, which every worker started with ``spawn`` or ``forkserver``
imports again when it runs the script's top level (see `litdata.processing.preload`).

Found by parsing the script, not by running anything; only the main process calls this (the forkserver does not
import this module).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable


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
