"""Reusable memory for the batches a `StreamingDataLoader` builds in the training process (``num_workers=0``).

A training loop keeps the previous batch alive while the next one is built, so every fresh multi-megabyte batch
lands on pages the allocator has just returned to the kernel: one page fault per 4 KB, which costs more than
copying the data (3,000 x 100 KB samples: ~50,000 faults per epoch, throughput divided by 3 or more). The pool
hands out the same few buffers again once nothing refers to the batch made from them.

A buffer is lent as a numpy view; the batch tensor (and every tensor or array derived from it) keeps that view's
base alive (numpy points every view of a view at the array over the buffer itself), so the buffer is reused only
after the last of them was dropped.

Forking (DataLoader workers start every epoch) makes every private page copy-on-write, so the next batch written
into a pooled buffer would fault in a copy of each page. Buffers that are free when the process forks are therefore
left out of the child (``MADV_DONTFORK``; the child starts with an empty pool and never touches them), while
buffers lent to a batch are inherited as usual: a forked process may read a batch the training loop kept. (The
fork hooks of `batch_buffers` are registered with the rest of the batch hand-off's, in `worker_buffers`.)
"""

from __future__ import annotations

import math
import mmap
import threading
import weakref

import numpy as np

_MIN_POOLED_BYTES = 1 << 20  # below this, malloc reuses memory well on its own
_BUFFERS_PER_SIZE = 4
_MAX_POOLED_BYTES = 512 << 20


class BatchBufferPool:
    """Buffers of a few recurring sizes, each lent to one batch at a time."""

    def __init__(
        self,
        min_bytes: int = _MIN_POOLED_BYTES,
        buffers_per_size: int = _BUFFERS_PER_SIZE,
        max_bytes: int = _MAX_POOLED_BYTES,
    ) -> None:
        self._min_bytes = min_bytes
        self._buffers_per_size = buffers_per_size
        self._max_bytes = max_bytes
        self._pooled_bytes = 0
        self._slots: dict[int, list[list]] = {}  # nbytes -> [[mapping, weakref to the lent view or None], ...]
        self._lock = threading.Lock()

    def array(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """A writable array of ``shape`` and ``dtype`` over a free pooled buffer, or None (allocate it yourself)."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < self._min_bytes:
            return None
        with self._lock:
            slots = self._slots.setdefault(nbytes, [])
            slot = next((s for s in slots if s[1] is None or s[1]() is None), None)
            if slot is None:
                if len(slots) >= self._buffers_per_size or self._pooled_bytes + nbytes > self._max_bytes:
                    return None
                slot = [_private_mapping(nbytes), None]
                slots.append(slot)
                self._pooled_bytes += nbytes
            flat = np.frombuffer(slot[0], dtype, math.prod(shape))
            slot[1] = weakref.ref(flat)  # every view of the lent array keeps this one alive (numpy's base)
        return flat.reshape(shape)

    def before_fork(self) -> None:
        """Before the process forks: leave the free buffers out of the child."""
        self._lock.acquire()  # held across the fork: no buffer is lent half-way
        for slots in self._slots.values():
            for mapping, lent in slots:
                free = lent is None or lent() is None
                _advise(mapping, _DONTFORK if free else _DOFORK)

    def after_fork(self) -> None:
        """In the parent, once it forked."""
        self._lock.release()

    def forget(self) -> None:
        """In the child: the free buffers are not mapped here; start empty (the mappings are never touched)."""
        _orphans.extend(self._slots.values())  # kept alive: closing them would unmap what the child does not have
        self._slots, self._pooled_bytes = {}, 0
        self._lock = threading.Lock()


_DONTFORK = getattr(mmap, "MADV_DONTFORK", None)
_DOFORK = getattr(mmap, "MADV_DOFORK", None)
_orphans: list = []


def _private_mapping(nbytes: int) -> mmap.mmap:
    """Anonymous memory of this process: copied on write when it forks (a shared mapping would let a forked child
    see the buffer refilled). Windows has no fork and no ``flags``."""
    if hasattr(mmap, "MAP_PRIVATE"):
        return mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE)
    return mmap.mmap(-1, nbytes)


def _advise(mapping: mmap.mmap, advice: int | None) -> None:
    if advice is not None:
        try:
            mapping.madvise(advice)
        except (OSError, ValueError):  # advice unsupported here: the buffer is copied on write, as without it
            pass


batch_buffers = BatchBufferPool()
