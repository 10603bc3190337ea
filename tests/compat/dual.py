"""Run one snippet of public LitData calls under the real LitData 0.2.76 and under ours, each in its own process.

A snippet is plain Python that may read `params` (a dict; `params["root"]` is a private scratch folder, also the
working directory) and sets `result` to something picklable. An exception escaping the snippet is recorded, so a
test can compare exception types and messages too.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any

import litdata

from testpaths import FIXTURES_DIR, TESTS_DIR

REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")
OURS = os.path.dirname(os.path.dirname(os.path.abspath(litdata.__file__)))
COMPAT_DIR = os.path.dirname(os.path.abspath(__file__))

_RUNNER = textwrap.dedent(
    """
    import pickle, sys, traceback
    snippet_file, params_file, out_file = sys.argv[1:4]
    params = pickle.load(open(params_file, "rb"))
    scope = {"params": params, "__name__": "__snippet__"}
    try:
        exec(compile(open(snippet_file).read(), "<snippet>", "exec"), scope)
        outcome = {"result": scope.get("result")}
    except BaseException as error:
        outcome = {
            "error": type(error).__name__,
            "bases": [c.__module__ + "." + c.__qualname__ for c in type(error).__mro__],
            "message": str(error),
            "traceback": traceback.format_exc(),
        }
    pickle.dump(outcome, open(out_file, "wb"))
    """
)


@dataclass
class Outcome:
    """What a snippet produced under one implementation."""

    impl: str
    result: Any = None
    error: str | None = None
    bases: list[str] = field(default_factory=list)
    message: str = ""
    traceback: str = ""
    stdout: str = ""
    stderr: str = ""
    root: str = ""

    def raised(self, name: str) -> bool:
        """Whether the snippet raised an exception that is (a subclass of) the class with this qualified name."""
        return any(base == name or base.endswith("." + name) for base in self.bases)

    def value(self) -> Any:
        """The snippet's result; fails with the snippet's own traceback if it raised."""
        assert self.error is None, f"{self.impl} raised:\n{self.traceback}\n{self.stderr[-3000:]}"
        return self.result


def _start(snippet: str, impl: str, root: str, env: dict | None, params: dict) -> subprocess.Popen:
    os.makedirs(root, exist_ok=True)
    package = os.path.abspath(REFERENCE) if impl == "reference" else OURS
    if impl == "reference" and not os.path.isdir(os.path.join(package, "litdata")):
        raise AssertionError(f"The reference LitData is not installed at {package}: run `make reference`.")
    with open(os.path.join(root, "snippet.py"), "w") as f:
        f.write(textwrap.dedent(snippet))
    with open(os.path.join(root, "params.pkl"), "wb") as f:
        pickle.dump({"root": root, **params}, f)
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([package, COMPAT_DIR, TESTS_DIR, FIXTURES_DIR]),
        "LITDATA_DISABLE_VERSION_CHECK": "1",
        "LITDATA_CACHE_DIR": os.path.join(root, "litdata-cache"),
        **(env or {}),
    }
    files = [os.path.join(root, name) for name in ("snippet.py", "params.pkl", "out.pkl")]
    return subprocess.Popen(
        [sys.executable, "-c", _RUNNER, *files],
        cwd=root,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen, impl: str, root: str, timeout: float) -> Outcome:
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise AssertionError(f"{impl} snippet timed out after {timeout}s:\n{stderr[-4000:]}") from None
    out_file = os.path.join(root, "out.pkl")
    if not os.path.exists(out_file):
        raise AssertionError(f"{impl} snippet process died (rc={proc.returncode}):\n{stderr[-4000:]}")
    with open(out_file, "rb") as f:
        outcome = pickle.load(f)
    return Outcome(impl=impl, stdout=stdout, stderr=stderr, root=root, **outcome)


def run(snippet: str, impl: str, root: str, timeout: float = 300, env: dict | None = None, **params: Any) -> Outcome:
    """Run `snippet` under `impl` ("reference" or "ours") in a fresh process whose working directory is `root`."""
    return _finish(_start(snippet, impl, root, env, params), impl, root, timeout)


def run_both(
    snippet: str, tmp_path, timeout: float = 400, env: dict | None = None, **params: Any
) -> tuple[Outcome, Outcome]:
    """Run `snippet` under the real LitData 0.2.76 and under ours, side by side; returns (reference, ours)."""
    roots = {impl: os.path.join(str(tmp_path), impl) for impl in ("reference", "ours")}
    procs = {impl: _start(snippet, impl, root, env, params) for impl, root in roots.items()}
    try:
        return tuple(_finish(procs[impl], impl, roots[impl], timeout) for impl in ("reference", "ours"))  # type: ignore[return-value]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
