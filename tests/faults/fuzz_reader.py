"""Reads mutated copies of a dataset and reports each outcome as a JSON line (run by test_fuzz_chunks.py).

Usage: ``python fuzz_reader.py <jobs.json>``; a job is ``{"id", "folder", "kind"}``. For each job, every sample is read
with ``ds[i]`` and again through a `StreamingDataLoader`, and compared with the sample the dataset was written from:
``correct`` (all equal), ``error`` (an exception, with its type and message) or ``wrong`` (a sample differs).
"""

import json
import sys

import numpy as np
import torch


def expected_sample(kind: str, i: int) -> dict:
    if kind == "mixed":
        return {
            "i": i,
            "x": np.arange(4, dtype=np.float32) + i,
            "s": "s" * (i % 7) + str(i),
            "b": bytes([i % 256]) * (i % 5 + 1),
            "t": torch.full((2, 2), i, dtype=torch.int32),
        }
    return {"i": i, "x": np.full(8, i, dtype=np.int64)}


def same(a, b) -> bool:
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(b, (np.ndarray, torch.Tensor)):
        return type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and bool((a == b).all())
    return type(a) is type(b) and a == b


def read_all(folder: str, kind: str, num_items: int) -> bool:
    from litdata import StreamingDataLoader, StreamingDataset
    from litdata.streaming.collate import litdata_collate

    dataset = StreamingDataset(folder)
    if len(dataset) != num_items:
        return False
    for i in range(num_items):
        if not same(dataset[i], expected_sample(kind, i)):
            return False
    batch_size = 4
    batches = list(StreamingDataLoader(StreamingDataset(folder), batch_size=batch_size))
    expected = [
        litdata_collate([expected_sample(kind, i) for i in range(start, min(start + batch_size, num_items))])
        for start in range(0, num_items, batch_size)
    ]
    return same(batches, expected)


def main() -> None:
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            outcome = {"outcome": "correct" if read_all(job["folder"], job["kind"], job["num_items"]) else "wrong"}
        except Exception as error:  # the reader refused the data: what a corrupted file should give
            outcome = {"outcome": "error", "type": type(error).__name__, "message": str(error)[:300]}
        print(json.dumps({"id": job["id"], **outcome}), flush=True)


if __name__ == "__main__":
    main()
