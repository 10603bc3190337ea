"""How to hand user code a writable, private array per sample: three designs measured side by side (issue 21).

Usage: python benchmarks/per_sample_copy.py [--mb 200] [--repeat 5]

For 100 KB and 1 KB float64 items, 0 workers, in order and shuffled, every design makes one array per item and
then does what a custom collate does with it (copies it into a batch of 64):

* ``view + copy``: a view over a read-only mapping of the chunk, then ``.copy()`` (a private, writable array);
* ``ACCESS_COPY view``: a view over a copy-on-write private mapping (``mmap.ACCESS_COPY``, ``MAP_PRIVATE``):
  writable, and a write reaches neither the file nor any other mapping; a page is copied only where written;
* ``ACCESS_COPY view, one mapping per item``: the same, but each item gets a private mapping of its own pages;
* ``pread into own buffer``: ``os.preadv`` of the item's bytes into an ``np.empty`` array of its own;
* ``StreamingDataset[i]`` / ``StreamingDataLoader + collate``: today's whole path in litdata (what users get).

Every figure is the best of ``--repeat`` epochs over the same file (the page cache holds it), in items per second of
wall clock and per second of CPU time.
"""

from __future__ import annotations

import argparse
import mmap
import os
import shutil
import tempfile
import time
from collections.abc import Callable

import numpy as np

BATCH = 64


def write_file(path: str, item_bytes: int, count: int) -> None:
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        for start in range(0, count, 1024):
            rows = min(1024, count - start)
            f.write(rng.random((rows, item_bytes // 8)).tobytes())


def view_then_copy(path: str, item_bytes: int, order: np.ndarray) -> Callable[[], None]:
    def epoch() -> None:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
            batch = np.empty((BATCH, item_bytes // 8))
            count = item_bytes // 8
            for n, i in enumerate(order):
                array = np.frombuffer(mapping, np.float64, count, int(i) * item_bytes).copy()
                batch[n % BATCH] = array
                del array

    return epoch


def copy_on_write_view(path: str, item_bytes: int, order: np.ndarray) -> Callable[[], None]:
    def epoch() -> None:
        with open(path, "rb") as f:
            mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        batch = np.empty((BATCH, item_bytes // 8))
        count = item_bytes // 8
        for n, i in enumerate(order):
            array = np.frombuffer(mapping, np.float64, count, int(i) * item_bytes)  # writable, private
            batch[n % BATCH] = array
            del array
        mapping.close()

    return epoch


def copy_on_write_per_item(path: str, item_bytes: int, order: np.ndarray) -> Callable[[], None]:
    """A private mapping of each item's own pages: what a reader must do for the view to be private to one sample
    (one shared ACCESS_COPY mapping hands the same, possibly user-modified, bytes to every later read of an item)."""

    def epoch() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            batch = np.empty((BATCH, item_bytes // 8))
            count = item_bytes // 8
            for n, i in enumerate(order):
                start = int(i) * item_bytes
                aligned = start - start % mmap.ALLOCATIONGRANULARITY
                mapping = mmap.mmap(fd, start + item_bytes - aligned, access=mmap.ACCESS_COPY, offset=aligned)
                array = np.frombuffer(mapping, np.float64, count, start - aligned)
                batch[n % BATCH] = array
                del array
                mapping.close()
        finally:
            os.close(fd)

    return epoch


def pread_own_buffer(path: str, item_bytes: int, order: np.ndarray) -> Callable[[], None]:
    def epoch() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            batch = np.empty((BATCH, item_bytes // 8))
            for n, i in enumerate(order):
                array = np.empty(item_bytes // 8)
                os.preadv(fd, [array], int(i) * item_bytes)
                batch[n % BATCH] = array
                del array
        finally:
            os.close(fd)

    return epoch


def litdata_paths(folder: str, item_bytes: int, count: int, shuffle: bool) -> dict[str, Callable[[], None]]:
    """Today's path in litdata: the same items written by `optimize`, read with ``ds[i]`` and with a loader that
    has a custom collate (the per-sample path)."""
    import torch

    import litdata as ld

    rng = np.random.default_rng(0)
    data = rng.random((count, item_bytes // 8))
    ld.optimize(fn=_Row(data), inputs=list(range(count)), output_dir=folder, chunk_bytes="64MB", num_workers=1)
    dataset = ld.StreamingDataset(folder, shuffle=shuffle)
    order = np.random.default_rng(1).permutation(count) if shuffle else np.arange(count)

    def getitem() -> None:
        batch = np.empty((BATCH, item_bytes // 8))
        for n, i in enumerate(order):
            batch[n % BATCH] = dataset[int(i)]

    def collate(samples: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(samples))

    loader = ld.StreamingDataLoader(dataset, batch_size=BATCH, num_workers=0, collate_fn=collate)

    def per_sample_loader() -> None:
        for _ in loader:
            pass

    return {"litdata StreamingDataset[i]": getitem, "litdata StreamingDataLoader + custom collate": per_sample_loader}


class _Row:
    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    def __call__(self, index: int) -> np.ndarray:
        return self.data[index]


def best(epoch: Callable[[], None], repeat: int) -> tuple[float, float]:
    """The best wall-clock and the best CPU time (this process, all threads) of ``repeat`` epochs, in seconds: on a
    busy machine the CPU time is the steadier of the two."""
    epoch()  # warm: page cache, imports, first chunk opened
    walls, cpus = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        epoch()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="megabytes of items per size")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-litdata", action="store_true", help="only the three mechanisms")
    options = parser.parse_args()
    root = tempfile.mkdtemp(prefix="per-sample-copy-")
    try:
        print(f"{'design':48} {'item':>6} {'order':>8} {'items/s':>12} {'items/CPU s':>12}")
        for item_bytes in (100 * 1024, 1024):
            count = options.mb * 2**20 // item_bytes
            path = os.path.join(root, f"items-{item_bytes}.bin")
            write_file(path, item_bytes, count)
            for shuffle in (False, True):
                order = np.random.default_rng(1).permutation(count) if shuffle else np.arange(count)
                designs = {
                    "view + copy (today's mechanism)": view_then_copy(path, item_bytes, order),
                    "ACCESS_COPY view, one mapping per chunk": copy_on_write_view(path, item_bytes, order),
                    "ACCESS_COPY view, one mapping per item": copy_on_write_per_item(path, item_bytes, order),
                    "pread into own buffer": pread_own_buffer(path, item_bytes, order),
                }
                if not options.no_litdata:
                    folder = os.path.join(root, f"ds-{item_bytes}-{shuffle}")
                    designs |= litdata_paths(folder, item_bytes, count, shuffle)
                for name, epoch in designs.items():
                    wall, cpu = best(epoch, options.repeat)
                    size, order_name = f"{item_bytes // 1024} KB", "shuffle" if shuffle else "in order"
                    print(f"{name:48} {size:>6} {order_name:>8} {count / wall:12,.0f} {count / cpu:12,.0f}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
