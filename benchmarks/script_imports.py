"""`optimize` called from a script that imports torch at its top level, as most preprocessing scripts do.

Workers started with ``spawn`` or ``forkserver`` run the script's top level again before their first input, so a
script that starts with ``import torch`` costs each worker torch's import on every call. This generates such a
script (``fn`` defined in it, three ``optimize`` calls of ``--items`` token arrays with ``--workers`` workers) and
runs it under ours and under LitData 0.2.76, interleaved, each run a fresh process. It reports each call's wall
clock (the call alone, from `optimize` to its return) and the whole process (interpreter start, imports, the three
calls, exit), best of ``--repeat`` runs.

    python benchmarks/script_imports.py [--items 2000] [--workers 2] [--repeat 2] [--reference .cache/reference-litdata]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from interleaved import implementations, run_interleaved

HERE = os.path.dirname(os.path.abspath(__file__))
CALLS = 3

SCRIPT = """
import json
import os
import sys
import time

import numpy as np
import torch  # noqa: F401  (what the script's workers import again)

import litdata as ld


def tokenize(index):
    return {"tokens": np.arange(200 + index % 1800, dtype=np.int32)}


if __name__ == "__main__":
    folder, items, workers = sys.argv[2].split(",")
    seconds = []
    for call in range({calls}):
        start = time.perf_counter()
        ld.optimize(tokenize, list(range(int(items))), os.path.join(folder, str(call)), num_workers=int(workers),
                    chunk_bytes="8MB", verbose=False)
        seconds.append(time.perf_counter() - start)
    print(json.dumps(seconds))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--reference", default=os.path.join(HERE, "..", ".cache", "reference-litdata"))
    options = parser.parse_args()
    pythonpaths = implementations(options.reference)
    with tempfile.TemporaryDirectory(prefix="script-imports-") as root:
        script = os.path.join(root, "preprocess.py")
        with open(script, "w") as file:
            file.write(SCRIPT.replace("{calls}", str(CALLS)))
        calls: dict[str, list[list[float]]] = {name: [] for name in pythonpaths}
        whole: dict[str, list[float]] = {name: [] for name in pythonpaths}
        for repeat in range(options.repeat):
            for name, pythonpath in pythonpaths.items():
                out = os.path.join(root, f"{name}-{repeat}")
                start = time.perf_counter()
                result = run_interleaved(script, f"{out},{options.items},{options.workers}", {name: pythonpath}, 1)
                whole[name].append(time.perf_counter() - start)
                calls[name].append(result[name][0])
    print(f"optimize x{CALLS} in a script that imports torch, {options.items} token arrays, {options.workers} workers")
    print(f"| | {' | '.join(f'call {index + 1} (s)' for index in range(CALLS))} | whole process (s) |")
    print(f"|---|{'---:|' * (CALLS + 1)}")
    for name in pythonpaths:
        best = [min(run[index] for run in calls[name]) for index in range(CALLS)]
        print(f"| {name} | {' | '.join(f'{value:.3f}' for value in best)} | {min(whole[name]):.2f} |")
    for index in range(CALLS):
        ratio = min(run[index] for run in calls["LitData"]) / min(run[index] for run in calls["ours"])
        print(f"call {index + 1}: LitData / ours = {ratio:.1f}x")
    print(f"whole process: LitData / ours = {min(whole['LitData']) / min(whole['ours']):.2f}x")


if __name__ == "__main__":
    main()
