"""The floor of the per-sample rows: what handing each 100 KB sample to a user's collate costs with no framework.

One `preadv` of a batch's items from the page cache into fresh memory (each sample then owns a private, writable
slice of it), then the benchmark's collate (`np.stack` of the arrays, as a tensor). Items per CPU-second, best of
``--repeat``, for the read alone and for the read plus the collate.

    python benchmarks/per_sample_floor.py [--items 3000] [--batch 64] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch

ITEM_BYTES = 100 * 1024


def _epoch(fd: int, items: int, batch: int, collate: bool) -> int:
    done = 0
    for start in range(0, items - batch + 1, batch):
        memory = np.empty(batch * ITEM_BYTES, dtype=np.uint8)
        os.preadv(fd, [memoryview(memory)], start * ITEM_BYTES)
        arrays = [memory[i * ITEM_BYTES : (i + 1) * ITEM_BYTES].view(np.float64) for i in range(batch)]
        if collate:
            torch.from_numpy(np.stack(arrays))
        done += batch
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile() as data:
        data.write(np.random.default_rng(0).bytes(args.items * ITEM_BYTES))
        data.flush()
        for collate in (False, True):
            best = float("inf")
            for _ in range(args.repeat):
                start = time.process_time()
                count = _epoch(data.fileno(), args.items, args.batch, collate)
                best = min(best, time.process_time() - start)
            label = "read + np.stack collate" if collate else "read alone"
            print(f"{label}: {count / best / 1e3:.1f}k items per CPU-second")


if __name__ == "__main__":
    main()
