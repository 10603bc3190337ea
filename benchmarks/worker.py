"""A long-lived benchmark worker for one library: reads JSON commands on stdin, answers one JSON line each.

Usage: python benchmarks/worker.py ADAPTER DATA_ROOT   (ADAPTER: litdata_api, mosaic, wds or raw)

The driver (`bench.py`) starts one per library, in that library's venv, and sends the same commands to each in
turn, so every library runs every workload in the same conditions. Anything the libraries print goes to stderr;
answers go to the original stdout only.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

from data import Source

os.environ.setdefault("LITDATA_DISABLE_VERSION_CHECK", "1")


def batch_len(batch: Any) -> int:
    if isinstance(batch, dict):
        batch = next(iter(batch.values()))
    return len(batch)


def epoch(loader: Iterable) -> dict:
    """Iterate once; time the whole epoch and, apart, the first batch (worker start-up, first chunk opened)."""
    start = time.perf_counter()
    first_seconds, first_items, items = 0.0, 0, 0
    for batch in loader:
        items += batch_len(batch)
        if not first_items:
            first_seconds, first_items = time.perf_counter() - start, items
    return {
        "seconds": time.perf_counter() - start,
        "items": items,
        "first_seconds": first_seconds,
        "first_items": first_items,
    }


def throughput(result: dict) -> float:
    """Items per second; for a streamed epoch, after its first batch (start-up is reported on its own row)."""
    items, seconds = result["items"], result["seconds"]
    first_items, first_seconds = result.get("first_items", 0), result.get("first_seconds", 0.0)
    if items > first_items > 0 and seconds > first_seconds:
        return (items - first_items) / (seconds - first_seconds)
    return items / seconds


def memory() -> dict[str, float]:
    """Current and peak resident memory of this process, in MB."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


class Worker:
    def __init__(self, adapter_name: str, root: str) -> None:
        self.adapter = importlib.import_module(f"adapters.{adapter_name}")
        self.source = Source(root)

    def describe(self) -> dict:
        return {"library": self.adapter.describe()}

    def optimize(self, kind: str, out: str, chunk_bytes: int, workers: int, count: int | None = None) -> dict:
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        items = self.adapter.optimize(self.source, kind, out, chunk_bytes, workers, count)
        result = {"seconds": time.perf_counter() - start, "items": items}
        if hasattr(self.adapter, "optimize_memcpy_seconds"):  # the raw limits: the same bytes copied in memory
            result["memcpy_seconds"] = self.adapter.optimize_memcpy_seconds(out)
        return result

    def stream(
        self,
        kind: str,
        location: str,
        shuffle: bool,
        workers: int,
        batch_size: int,
        items: int,
        path: str = "batch",
        checksums: str | None = None,
    ) -> dict:
        if hasattr(self.adapter, "stream"):
            result = self.adapter.stream(self.source, kind, location, items)
            if kind != "images":
                result["first_seconds"] = self.adapter.first_batch_seconds(
                    location, batch_size * result["bytes"] // items
                )
            return result
        options: dict[str, Any] = {"path": path} if path != "batch" else {}
        if checksums is not None:
            options["checksums"] = checksums
        loader = self.adapter.loader(kind, location, shuffle, workers, batch_size, **options)
        first = epoch(loader)
        if checksums is not None:
            return first  # the checksum rows time the first epoch whole: chunks are verified as they are opened
        second = epoch(loader)
        # the steady state: the faster of two epochs of one loader, each after its first batch (an epoch here
        # lasts well under a second, where one descheduling moves it by 10 %); start-up from the first epoch
        faster = max((first, second), key=throughput)
        return {**faster, "startup_seconds": first["first_seconds"]}

    def random_access(self, kind: str, location: str, indices: list[int]) -> dict:
        if hasattr(self.adapter, "random_access"):
            return self.adapter.random_access(self.source, kind, indices)
        dataset = self.adapter.dataset(kind, location)
        if dataset is None:
            return {"unsupported": "no random access"}
        dataset[indices[0]]  # open the first chunk outside the timing, like the others' setup
        start = time.perf_counter()
        for index in indices:
            dataset[index]
        return {"seconds": time.perf_counter() - start, "items": len(indices)}

    def s3(self, kind: str, location: Any, cache_dir: str, workers: int, batch_size: int, items: int) -> dict:
        if hasattr(self.adapter, "s3"):
            return self.adapter.s3(*location, cache_dir=cache_dir, items=items)
        loader = self.adapter.loader(kind, location, False, workers, batch_size, cache_dir=cache_dir)
        first, second = epoch(loader), epoch(loader)
        return {"seconds": [first["seconds"], second["seconds"]], "items": first["items"]}

    def rss(self, kind: str, location: str, batch_size: int, epochs: int) -> dict:
        if hasattr(self.adapter, "rss"):
            return self.adapter.rss(location, epochs)
        loader = self.adapter.loader(kind, location, True, 0, batch_size)
        after = []
        for _ in range(epochs):
            epoch(loader)
            after.append(memory()["VmRSS"])
        return {"rss_after_epoch": after, **memory()}


def main() -> None:
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints of the libraries go to stderr, not into the answers
    sys.stdout = sys.stderr
    try:
        worker = Worker(sys.argv[1], sys.argv[2])
        answers.write(json.dumps(worker.describe()) + "\n")
    except Exception:
        answers.write(json.dumps({"error": traceback.format_exc(limit=-3)}) + "\n")
        return
    for line in sys.stdin:
        command = json.loads(line)
        try:
            result = getattr(worker, command["op"])(**command["args"])
        except Exception:
            traceback.print_exc()
            result = {"error": traceback.format_exc(limit=-4)}
        answers.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
