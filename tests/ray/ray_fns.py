"""Functions run by the Ray tests, both on the cluster (tests/ray is on the nodes' PYTHONPATH) and locally."""

from __future__ import annotations

import functools
import os
import time
import uuid

import numpy as np


def make_sample(index: int) -> dict:
    rng = np.random.default_rng(index)
    return {"index": index, "values": rng.integers(0, 1000, size=int(rng.integers(1, 40))), "name": f"item-{index}"}


def two_samples(index: int):
    """A generator fn: two samples per input, none for multiples of 7."""
    if index % 7 == 0:
        return
    yield {"index": index, "part": 0}
    yield {"index": index, "part": 1}


def write_files(index: int, output_dir: str) -> None:
    """A map fn: one file per input, every tenth one in a sub-folder."""
    folder = os.path.join(output_dir, "tens") if index % 10 == 0 else output_dir
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{index:04d}.txt"), "w") as f:
        f.write(f"{index * index}\n")


def fail_on_42(index: int) -> dict:
    if index == 42:
        raise ValueError(f"cannot turn {index} into a sample")
    return {"index": index}


def node_id() -> str:
    """The Ray node this code runs on ("local" outside Ray)."""
    import sys

    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return "local"
    return ray.get_runtime_context().get_node_id()


def recorded_slow_sample(index: int, marker_dir: str, delay: float) -> dict:
    """Sleeps ``delay`` and leaves one marker file per call (its name: input, then a unique id; its text: the node)."""
    with open(os.path.join(marker_dir, f"{index}-{uuid.uuid4().hex}"), "w") as f:
        f.write(node_id())
    time.sleep(delay)
    return {"index": index}


def sample_from_object(url: str, storage_options: dict) -> dict:
    """Reads one input object from object storage inside the task."""
    text = _storage(url.split("/")[2], tuple(sorted(storage_options.items()))).read_bytes(url).decode()
    return {"url": url, "text": text, "double": 2 * int(text)}


@functools.lru_cache
def _storage(bucket: str, options: tuple):
    from litdata.storage import get_storage

    return get_storage(f"s3://{bucket}", dict(options))
