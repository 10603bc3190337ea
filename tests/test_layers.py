"""The layers of docs/architecture.md hold: `lint-imports` (run by `make lint`) passes on the code, fails when a
module imports upward, and no import circle (function-level imports included) spans two packages."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections import defaultdict

from testpaths import TESTS_DIR

ROOT = os.path.dirname(TESTS_DIR)
LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")


def _lint_imports(src: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": src}
    return subprocess.run(
        [LINT_IMPORTS, "--config", os.path.join(ROOT, "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_the_layer_contracts_hold():
    result = _lint_imports(os.path.join(ROOT, "src"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_layer_contract(tmp_path):
    shutil.copytree(os.path.join(ROOT, "src", "litdata"), tmp_path / "litdata")
    with open(tmp_path / "litdata" / "format" / "chunk.py", "a") as f:
        f.write(
            "\n\ndef _upward():\n    from litdata.streaming.datasets.dataset import StreamingDataset\n\n    return StreamingDataset\n"
        )
    result = _lint_imports(str(tmp_path))
    assert result.returncode != 0
    assert "litdata.format.chunk -> litdata.streaming.datasets.dataset" in result.stdout


def _module_graph(src: str) -> dict[str, set[str]]:
    """Module -> the litdata modules it imports, top-level, function-level and TYPE_CHECKING imports alike."""
    modules = {}
    for folder, _, files in os.walk(os.path.join(src, "litdata")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, src)[:-3].replace(os.sep, ".").removesuffix(".__init__")
                modules[module] = path
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != module:
                    graph[module].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _package(module: str) -> str:
    """The top-level package a module belongs to (a package's ``__init__`` belongs to the package itself)."""
    parts = module.split(".")
    if len(parts) > 2 or os.path.isdir(os.path.join(ROOT, "src", *parts)):
        return ".".join(parts[:2])
    return "litdata (top-level modules)"


def test_no_import_circle_spans_two_packages():
    spanning = [
        sorted(c) for c in _circles(_module_graph(os.path.join(ROOT, "src"))) if len({_package(m) for m in c}) > 1
    ]
    assert spanning == []
