"""Run one measurement under several litdata implementations, interleaved, each in a fresh subprocess.

A benchmark script calls itself with ``--worker SPEC`` under each implementation's ``PYTHONPATH`` (ours: ``src``;
LitData 0.2.76: its install folder) and prints its result as JSON on its last line; running them in turn, repeat by
repeat, spreads the machine's drift over all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def implementations(reference: str, before: str | None = None) -> dict[str, str]:
    """Name -> ``PYTHONPATH``: ours, LitData 0.2.76 at ``reference`` and, for an A/B, another source tree."""
    found = {"ours": os.path.join(HERE, "..", "src"), "LitData": os.path.abspath(reference)}
    if before:
        found["before"] = os.path.abspath(before)
    return found


def run_interleaved(
    script: str, spec: str, pythonpaths: dict[str, str], repeat: int, extra: tuple[str, ...] = ()
) -> dict[str, list[Any]]:
    """``repeat`` rounds of ``script --worker spec *extra`` under each implementation: the results by name."""
    results: dict[str, list[Any]] = {name: [] for name in pythonpaths}
    for _ in range(repeat):
        for name, pythonpath in pythonpaths.items():
            env = dict(os.environ, PYTHONPATH=pythonpath, LITDATA_DISABLE_VERSION_CHECK="1")
            command = [sys.executable, script, "--worker", spec, *extra]
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            results[name].append(json.loads(out.strip().splitlines()[-1]))
    return results
