"""Run a snippet with the real LitData 0.2.76 (the reference install) in a subprocess and return what it prints.

The snippet gets ``sys.argv[1:]`` and prints one JSON document as its last line. It runs as a script file, so
functions it passes to ``optimize`` must be defined at its top level and its work must sit under
``if __name__ == "__main__":`` (0.2.76 starts its workers with spawn)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap

from testpaths import TESTS_DIR

REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")


def run_reference(snippet: str, *args: str, timeout: float = 600) -> object:
    """The JSON value printed last by ``snippet`` run under LitData 0.2.76."""
    check = "import litdata\nassert litdata.__version__ == '0.2.76', litdata.__file__\n"
    return _run(REFERENCE, check + textwrap.dedent(snippet), args, timeout)


def run_ours(snippet: str, *args: str, timeout: float = 600) -> object:
    """The JSON value printed last by ``snippet`` run under this package (same process layout as `run_reference`)."""
    import litdata

    source = os.path.dirname(os.path.dirname(os.path.abspath(litdata.__file__)))
    return _run(source, textwrap.dedent(snippet), args, timeout)


def _run(pythonpath: str, code: str, args: tuple[str, ...], timeout: float) -> object:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATA_OPTIMIZER", "LITDATA_CACHE"))}
    env["PYTHONPATH"] = pythonpath
    with tempfile.TemporaryDirectory(prefix="litdata-reference-") as folder:
        script = os.path.join(folder, "reference_script.py")
        with open(script, "w") as f:
            f.write(code)
        done = subprocess.run(
            [sys.executable, script, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=folder
        )
    if done.returncode != 0:
        raise AssertionError(f"The snippet failed under {pythonpath}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
