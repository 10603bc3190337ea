"""Threads that decode the images of a batch at once.

Pillow releases the GIL while it decodes, so the images of one batch decode side by side on threads. This pays off
where nothing else runs in parallel: a `StreamingDataLoader` without workers. Inside a DataLoader worker the workers
already use the cores, and the batch is decoded on the worker's own thread.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import litdata.settings as settings

_MAX_AUTO_THREADS = 8
_pools: dict[int, ThreadPoolExecutor] = {}  # by process id: a forked child starts a pool of its own
_lock = threading.Lock()


def decode_threads() -> int:
    """How many threads decode a batch here: ``LITDATA_DECODE_THREADS`` when set, else 1 inside a DataLoader worker
    and the usable cores (at most 8) elsewhere."""
    configured = settings.DECODE_THREADS.get()
    if configured is not None:
        return max(1, configured)
    from torch.utils.data import get_worker_info  # torch is imported already when batches are read; not at import

    if get_worker_info() is not None:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(_MAX_AUTO_THREADS, cores)


def decode_pool() -> ThreadPoolExecutor | None:
    """This process's decode threads, or None when a batch is decoded on the calling thread."""
    threads = decode_threads()
    if threads <= 1:
        return None
    pid = os.getpid()
    with _lock:
        pool = _pools.get(pid)
        if pool is None or pool._max_workers != threads:
            pool = _pools[pid] = ThreadPoolExecutor(threads, thread_name_prefix="litdata-decode")
    return pool
