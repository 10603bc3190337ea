"""One benchmark workload, run in a fresh interpreter by `bench_optimize_stream.py`.

The same file runs against litdata and against the real LitData (selected by PYTHONPATH), because both expose
the same API. Prints one JSON line with the measured figures.
"""

import json
import os
import sys
import time

import numpy as np
from PIL import Image

import litdata as ld


def random_image(index: int) -> dict:
    rng = np.random.default_rng(index)
    image = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return {"index": index, "image": image, "class": int(rng.integers(0, 10))}


def array_sample(index: int) -> dict:
    rng = np.random.default_rng(index)
    return {"index": index, "array": rng.random(100 * 1024 // 8)}


def identity(batch):
    return batch


FUNCTIONS = {"images": random_image, "arrays": array_sample}


def optimize(kind: str, num_items: int, output_dir: str, num_workers: int) -> dict:
    start = time.perf_counter()
    ld.optimize(
        fn=FUNCTIONS[kind], inputs=list(range(num_items)), output_dir=output_dir, num_workers=num_workers,
        chunk_bytes="64MB",
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items_per_s": num_items / seconds}


def stream(input_dir: str, shuffle: bool, num_workers: int, batch_size: int, epochs: int) -> dict:
    dataset = ld.StreamingDataset(input_dir, shuffle=shuffle)
    loader = ld.StreamingDataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=identity)
    figures = []
    for _ in range(epochs):
        start = time.perf_counter()
        count = sum(len(batch) for batch in loader)
        figures.append(count / (time.perf_counter() - start))
    return {"items": count, "items_per_s": max(figures)}


if __name__ == "__main__":
    os.environ.setdefault("LITDATA_DISABLE_VERSION_CHECK", "1")
    action, args = sys.argv[1], json.loads(sys.argv[2])
    result = optimize(**args) if action == "optimize" else stream(**args)
    result["library"] = f"{ld.__name__} {ld.__version__} at {os.path.dirname(ld.__file__)}"
    print(json.dumps(result))
