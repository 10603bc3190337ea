"""Streaming samples whose leaves are torch tensors, ours vs LitData 0.2.76, through the default collate.

Tensors are stored with their own serializers (``tensor``, ``no_header_tensor``), not as numpy arrays, so this is
its own row: until 2026-12-07 ours decoded such batches sample by sample. One dataset (``{"index": int,
"tensor": float32 tensor}``, written by ours, which LitData reads) is streamed by each implementation in its own
subprocess, interleaved (ours, LitData, ours, ...): items per second of wall clock after the first batch, best of
``--repeat`` runs of two epochs each.

    python benchmarks/tensor_leaves.py [--items 3000] [--kb 100] [--repeat 2] [--reference .cache/reference-litdata]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any

from interleaved import implementations, run_interleaved

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [(workers, shuffle) for workers in (0, 2) for shuffle in (False, True)]


class TensorRow:
    """``fn`` of the writer: one float32 tensor of ``floats`` values per item (picklable for the workers)."""

    def __init__(self, floats: int) -> None:
        self.floats = floats

    def __call__(self, index: int) -> dict[str, Any]:
        import torch

        generator = torch.Generator().manual_seed(index)
        return {"index": index, "tensor": torch.rand(self.floats, generator=generator)}


def _measure(folder: str, workers: int, shuffle: bool) -> float:
    """Two epochs with the litdata on sys.path: the best items/s after the first batch."""
    import litdata as ld

    loader = ld.StreamingDataLoader(ld.StreamingDataset(folder, shuffle=shuffle), batch_size=64, num_workers=workers)
    best = 0.0
    for _ in range(2):
        count, start = 0, 0.0
        for batch in loader:
            if count == 0:
                start = time.perf_counter()
            count += len(batch["index"])
        best = max(best, (count - 64) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--kb", type=int, default=100, help="size of each tensor")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--reference", default=os.path.join(HERE, "..", ".cache", "reference-litdata"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        folder, workers, shuffle = options.worker.split(",")
        print(json.dumps(_measure(folder, int(workers), shuffle == "1")))
        return
    with tempfile.TemporaryDirectory() as root:
        folder = os.path.join(root, "tensors")
        sys.path.insert(0, os.path.join(HERE, "..", "src"))
        import litdata as ld

        inputs = list(range(options.items))
        ld.optimize(fn=TensorRow(options.kb * 256), inputs=inputs, output_dir=folder, chunk_bytes="64MB", num_workers=1)
        pythonpaths = implementations(options.reference)
        print(f"{options.items:,} x {options.kb} KB float32 tensors, default collate, batch 64 (items/s)")
        print(f"{'case':24} {'ours':>9} {'LitData':>9} {'ratio':>6}")
        for workers, shuffle in CASES:
            rates = run_interleaved(__file__, f"{folder},{workers},{int(shuffle)}", pythonpaths, options.repeat)
            ours, theirs = max(rates["ours"]), max(rates["LitData"])
            label = f"{workers} workers, {'shuffle' if shuffle else 'in order'}"
            print(f"{label:24} {ours:9,.0f} {theirs:9,.0f} {ours / theirs:6.2f}", flush=True)


if __name__ == "__main__":
    main()
