"""Optimize and stream the demo data with litdata and, when installed beside it, the real LitData; print a table
of throughputs and the ratio ours / theirs.

Usage: python benchmarks/bench_optimize_stream.py [--items 4000] [--reference PATH]
The reference is a `pip install --target` folder of LitData (`make reference` builds .cache/reference-litdata).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")


def run(action: str, args: dict, reference: str | None) -> dict:
    env = dict(os.environ, LITDATA_DISABLE_VERSION_CHECK="1", LITDATA_POSIX_FAST="0")
    if reference:
        env["PYTHONPATH"] = reference
    out = subprocess.run(
        [sys.executable, WORKLOAD, action, json.dumps(args)], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{action} {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--reference", default=os.environ.get("LITDATA_REFERENCE_PATH"))
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    reference = options.reference if options.reference and os.path.isdir(options.reference) else None
    libraries = {"ours": None, **({"LitData": reference} if reference else {})}
    root = tempfile.mkdtemp(prefix="litdata-bench-")
    rows = []
    try:
        for kind, items in (("images", options.items), ("arrays", options.items // 2)):
            figures = {}
            for name, path in libraries.items():
                out = os.path.join(root, f"{kind}-{name}")
                best = None
                for _ in range(options.repeat):
                    shutil.rmtree(out, ignore_errors=True)
                    result = run("optimize", {"kind": kind, "num_items": items, "output_dir": out, "num_workers": 2}, path)
                    best = max(best or 0, result["items_per_s"])
                figures[name] = best
            rows.append((f"optimize {items} {kind} (2 workers)", figures))
            for shuffle in (False, True):
                for workers in (0, 2):
                    figures = {}
                    for name, path in libraries.items():
                        args = {"input_dir": os.path.join(root, f"{kind}-{name}"), "shuffle": shuffle,
                                "num_workers": workers, "batch_size": 64, "epochs": options.repeat + 1}
                        figures[name] = run("stream", args, path)["items_per_s"]
                    rows.append((f"stream {kind} shuffle={shuffle} workers={workers}", figures))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{'workload':<48}{'ours (items/s)':>16}" + (f"{'LitData':>14}{'ratio':>9}" if reference else ""))
    for label, figures in rows:
        line = f"{label:<48}{figures['ours']:>16,.0f}"
        if reference:
            line += f"{figures['LitData']:>14,.0f}{figures['ours'] / figures['LitData']:>8.2f}x"
        print(line)
    if not reference:
        print("(the real LitData is not installed: run `make reference` to compare)")


if __name__ == "__main__":
    main()
