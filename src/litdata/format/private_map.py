"""Private copy-on-write mappings of a file's bytes, handed out as writable numpy arrays.

A page of such a mapping is read from the page cache the first time it is touched, and copied only if it is written
to; a write never reaches the file, nor another mapping of the same bytes. So a batch's samples can be views into
their own mapping rather than copies: each mapping is private to the batch it was made for, and is unmapped once no
array, view or tensor of it is left.

The mapping is made with libc's ``mmap`` rather than Python's `mmap` module, which keeps a duplicate of the file
descriptor open for as long as the mapping lives: a user keeping one sample of every batch would run out of file
descriptors. Where libc's ``mmap`` cannot be called (Windows, 32-bit builds), `map_private` returns None and callers
read the bytes instead.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
from typing import Any

import numpy as np

_PAGE = mmap.ALLOCATIONGRANULARITY


def _load_libc() -> tuple[Any, Any] | None:
    if os.name != "posix" or sys.maxsize <= 2**32:  # off_t is 64-bit on the platforms kept
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        map_file, unmap = libc.mmap, libc.munmap
    except (OSError, AttributeError):
        return None
    map_file.restype = ctypes.c_void_p
    map_file.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int64]
    unmap.restype = ctypes.c_int
    unmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return map_file, unmap


_LIBC = _load_libc()
_MAP_FAILED = ctypes.c_void_p(-1).value


class _Mapping:
    """Owns one mapping: the base of the arrays over it, unmapped when the last of them is gone."""

    __slots__ = ("__array_interface__", "_address", "_length")

    def __init__(self, address: int, length: int) -> None:
        self._address = address
        self._length = length
        self.__array_interface__ = {"data": (address, False), "shape": (length,), "typestr": "|u1", "version": 3}

    def __del__(self) -> None:
        if _LIBC is not None:
            _LIBC[1](self._address, self._length)


def map_private(fd: int, position: int, nbytes: int) -> np.ndarray | None:
    """A writable uint8 array over bytes ``position .. position + nbytes`` of the file open as ``fd``, mapped
    privately (copy-on-write): writes stay in this process's memory. None where it cannot be done; the caller
    then reads the bytes. The file must not be truncated in place while the array lives (chunk files never are:
    they are replaced by rename, or deleted)."""
    if _LIBC is None or nbytes <= 0:
        return None
    start = position - position % _PAGE
    length = position + nbytes - start
    address = _LIBC[0](None, length, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE, fd, start)
    if address is None or address == _MAP_FAILED:
        return None
    return np.asarray(_Mapping(address, length))[position - start :]
