"""The README quick start, end to end on the local disk: optimize 1,000 random images with 4 workers, then stream
them back with StreamingDataLoader and report what happened and how fast."""

import os
import shutil
import tempfile
import time

import numpy as np
from PIL import Image

import litdata as ld


def random_images(index):
    rng = np.random.default_rng(index)
    image = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return {"index": index, "image": image, "class": int(rng.integers(0, 10))}


def main() -> None:
    output_dir = os.path.join(tempfile.gettempdir(), "litdata-demo")
    shutil.rmtree(output_dir, ignore_errors=True)

    start = time.perf_counter()
    ld.optimize(fn=random_images, inputs=list(range(1000)), output_dir=output_dir, num_workers=4, chunk_bytes="64MB")
    optimize_seconds = time.perf_counter() - start
    files = sorted(os.listdir(output_dir))
    size = sum(os.path.getsize(os.path.join(output_dir, f)) for f in files)

    dataset = ld.StreamingDataset(output_dir, shuffle=True)
    loader = ld.StreamingDataLoader(dataset, batch_size=64, num_workers=2)
    start = time.perf_counter()
    seen = set()
    batches = 0
    for batch in loader:
        seen.update(int(i) for i in batch["index"])
        batches += 1
    stream_seconds = time.perf_counter() - start

    print(
        f"optimize: 1000 images -> {len(files) - 1} chunk files + index.json ({size / 1e6:.2f} MB) "
        f"in {optimize_seconds:.2f}s ({1000 / optimize_seconds:,.0f} samples/s) with 4 workers"
    )
    print(
        f"stream:   {len(seen)} unique samples in {batches} batches in {stream_seconds:.2f}s "
        f"({len(seen) / stream_seconds:,.0f} samples/s) with 2 workers, shuffle=True"
    )
    assert seen == set(range(1000)), "every sample must come back exactly once"
    shutil.rmtree(output_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
