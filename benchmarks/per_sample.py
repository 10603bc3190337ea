"""The per-sample path of the streaming rows: a custom ``collate_fn`` and a ``transform``, the same for every library.

Either one makes a loader hand each sample to user code (no whole-batch shortcut is possible): most real image and
text pipelines look like this. Both work on the 100 KB array samples (``{"index": int, "array": float64 array}``).

Run as a script, it compares ours with LitData 0.2.76 on that path alone, interleaved (ours, LitData, ours, ...),
in items per second of wall clock after the first batch and items per CPU second (the process and its DataLoader
workers), best of ``--repeat``: steadier than ``make bench`` on a busy machine.

    python benchmarks/per_sample.py [--items 6000] [--repeat 3] [--reference .cache/reference-litdata]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from typing import Any

import numpy as np
import torch
from interleaved import implementations, run_interleaved

HERE = os.path.dirname(os.path.abspath(__file__))
ARRAY_FLOATS = 100 * 1024 // 8


def stack_collate(samples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """A user's collate: stack the arrays with numpy, then one tensor per key."""
    arrays = np.stack([sample["array"] for sample in samples])
    return {"index": torch.tensor([int(sample["index"]) for sample in samples]), "array": torch.from_numpy(arrays)}


def to_tensor(sample: dict[str, Any]) -> dict[str, Any]:
    """A user's transform: the array as a tensor (as torchvision's ``ToTensor`` would), then the default collate."""
    return {"index": sample["index"], "array": torch.as_tensor(sample["array"])}


PATHS = ("batch", "collate", "transform")
CASES = [
    (path, workers, shuffle)
    for path in ("collate", "transform", "subclass")
    for workers in (0, 2)
    for shuffle in (False, True)
]


def _row(index: int) -> dict[str, Any]:
    return {"index": index, "array": np.random.default_rng(index).random(ARRAY_FLOATS)}


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(folder: str, path: str, workers: int, shuffle: bool, epochs: int) -> dict[str, Any]:
    """Epochs of one case with the litdata on sys.path: the best items/s after the first batch and items/CPU s."""
    import litdata as ld

    class Subclass(ld.StreamingDataset):
        def __getitem__(self, index: Any) -> Any:
            return super().__getitem__(index)

    cls = Subclass if path == "subclass" else ld.StreamingDataset
    dataset = cls(folder, shuffle=shuffle, **({"transform": to_tensor} if path == "transform" else {}))
    collate = {"collate_fn": stack_collate} if path in ("collate", "subclass") else {}
    loader = ld.StreamingDataLoader(dataset, batch_size=64, num_workers=workers, **collate)
    best_rate, best_cpu = 0.0, 0.0
    for _ in range(epochs):
        cpu_start = _cpu_seconds()
        count, start = 0, 0.0
        for batch in loader:
            if count == 0:
                start = time.perf_counter()
            count += len(batch["index"])
        seconds = time.perf_counter() - start
        best_rate = max(best_rate, (count - 64) / seconds)
        best_cpu = max(best_cpu, count / (_cpu_seconds() - cpu_start))
    return {"rate": best_rate, "per_cpu": best_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per process (the best one counts)")
    parser.add_argument("--reference", default=os.path.join(HERE, "..", ".cache", "reference-litdata"))
    parser.add_argument("--case", action="append", help="path,workers,shuffle (e.g. collate,0,0); default: all")
    parser.add_argument("--before", help="another litdata source folder to run first, e.g. main's src (A/B)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        folder, path, workers, shuffle = options.worker.split(",")
        print(json.dumps(_measure(folder, path, int(workers), shuffle == "1", options.epochs)))
        return
    cases = [(p, int(w), s == "1") for p, w, s in (c.split(",") for c in options.case)] if options.case else CASES
    with tempfile.TemporaryDirectory() as root:
        folder = os.path.join(root, "arrays")
        sys.path.insert(0, os.path.join(HERE, "..", "src"))
        import litdata as ld

        ld.optimize(fn=_row, inputs=list(range(options.items)), output_dir=folder, chunk_bytes="64MB", num_workers=1)
        pythonpaths = implementations(options.reference, options.before)
        before_header = "  before items/s, /CPU s" if options.before else ""
        print(
            f"{'case':28} {'ours items/s':>13} {'LitData':>9} {'ratio':>6} {'ours /CPU s':>12} {'LitData':>9} {'ratio':>6}"
            f"{before_header}"
        )
        for path, workers, shuffle in cases:
            spec = f"{folder},{path},{workers},{int(shuffle)}"
            extra = ("--epochs", str(options.epochs))
            results = run_interleaved(__file__, spec, pythonpaths, options.repeat, extra)
            best = {n: {k: max(r[k] for r in results[n]) for k in ("rate", "per_cpu")} for n in pythonpaths}
            ours, theirs = best["ours"], best["LitData"]
            label = f"{path}, {workers} workers, {'shuffle' if shuffle else 'in order'}"
            before = f"  {best['before']['rate']:13,.0f} {best['before']['per_cpu']:9,.0f}" if options.before else ""
            print(
                f"{label:28} {ours['rate']:13,.0f} {theirs['rate']:9,.0f} {ours['rate'] / theirs['rate']:6.2f} "
                f"{ours['per_cpu']:12,.0f} {theirs['per_cpu']:9,.0f} {ours['per_cpu'] / theirs['per_cpu']:6.2f}{before}",
                flush=True,
            )


if __name__ == "__main__":
    main()
