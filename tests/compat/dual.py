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


def run(snippet: str, impl: str, root: str, timeout: float = 300, env: dict | None = None, **params: Any) -> Outcome:
    """Run `snippet` under `impl` ("reference" or "ours") in a fresh process whose working directory is `root`."""
    os.makedirs(root, exist_ok=True)
    package = os.path.abspath(REFERENCE) if impl == "reference" else OURS
    if impl == "reference" and not os.path.isdir(os.path.join(package, "litdata")):
        raise AssertionError(f"The reference LitData is not installed at {package}: run `make reference`.")
    snippet_file, params_file, out_file = (os.path.join(root, n) for n in ("snippet.py", "params.pkl", "out.pkl"))
    with open(snippet_file, "w") as f:
        f.write(textwrap.dedent(snippet))
    with open(params_file, "wb") as f:
        pickle.dump({"root": root, **params}, f)
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([package, COMPAT_DIR, TESTS_DIR, FIXTURES_DIR]),
        "LITDATA_DISABLE_VERSION_CHECK": "1",
        "LITDATA_CACHE_DIR": os.path.join(root, "litdata-cache"),
        **(env or {}),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, snippet_file, params_file, out_file],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if not os.path.exists(out_file):
        raise AssertionError(f"{impl} snippet process died (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    with open(out_file, "rb") as f:
        outcome = pickle.load(f)
    return Outcome(impl=impl, stdout=proc.stdout, stderr=proc.stderr, root=root, **outcome)


def run_both(snippet: str, tmp_path, **kwargs: Any) -> tuple[Outcome, Outcome]:
    """Run `snippet` under the real LitData 0.2.76 and under ours; returns (reference, ours)."""
    return (
        run(snippet, "reference", os.path.join(str(tmp_path), "reference"), **kwargs),
        run(snippet, "ours", os.path.join(str(tmp_path), "ours"), **kwargs),
    )
