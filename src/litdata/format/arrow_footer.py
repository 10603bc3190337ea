"""Read the Arrow row footer (``LDARW01``) that LitData 0.2.76 appends to chunks of JSON-like dict samples.

Layout at the end of such a chunk::

    ... chunk bytes ... | Arrow IPC file or stream (ipc_len bytes) | u32 LE ipc_len | "LDARW01\\0"

Item ``i`` of the chunk is row ``i`` of the IPC data, returned as a plain Python dict (``to_pylist`` semantics).
"""

from __future__ import annotations

import bisect
import struct
from mmap import mmap
from typing import Any

ARROW_FOOTER_MAGIC = b"LDARW01\x00"
ARROW_FILE_MAGIC = b"ARROW1"
_TRAILER = struct.Struct("<I8s")

BufferLike = bytes | bytearray | memoryview | mmap


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.ipc
    except ImportError as error:
        raise ModuleNotFoundError(
            "This chunk stores its rows in an Arrow footer, which needs `pyarrow`; install it: `pip install pyarrow`."
        ) from error
    return pyarrow


def _ipc_length(buf: BufferLike) -> int | None:
    """Return the IPC length announced by a valid trailer, or ``None`` when there is no usable footer."""
    if len(buf) < _TRAILER.size:
        return None
    ipc_length, magic = _TRAILER.unpack_from(buf, len(buf) - _TRAILER.size)
    if magic != ARROW_FOOTER_MAGIC or ipc_length == 0 or ipc_length > len(buf) - _TRAILER.size:
        return None
    return ipc_length


def has_arrow_footer(buf: BufferLike) -> bool:
    """Tell whether a (decompressed, decrypted) chunk ends with a valid Arrow row footer."""
    return _ipc_length(buf) is not None


class ArrowFooter:
    """Rows of a chunk's Arrow footer; accepts both the IPC file format and the IPC stream format.

    Record batches are converted to Python one at a time and the last one is cached, so reading rows in order converts
    each batch once. The footer keeps a zero-copy view on ``buf``: drop it before closing an ``mmap`` passed as ``buf``.
    """

    def __init__(self, buf: BufferLike) -> None:
        ipc_length = _ipc_length(buf)
        if ipc_length is None:
            raise ValueError(
                "This chunk has no valid Arrow footer (it must end with u32 ipc_len + b'LDARW01\\x00'); check"
                " has_arrow_footer() first, or delete the cached chunk file if it was damaged."
            )
        pa = _pyarrow()
        end = len(buf) - _TRAILER.size
        ipc_view = memoryview(buf)[end - ipc_length : end]
        ipc = pa.py_buffer(ipc_view)
        try:
            if bytes(ipc_view[: len(ARROW_FILE_MAGIC)]) == ARROW_FILE_MAGIC:
                reader = pa.ipc.open_file(ipc)
                self._batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
            else:
                self._batches = list(pa.ipc.open_stream(ipc))
        except (pa.ArrowException, OSError) as error:
            raise ValueError(
                f"The Arrow footer of this chunk cannot be read ({error}); delete the cached chunk file so it is"
                " downloaded again, or re-create the dataset with optimize."
            ) from error
        self._batch_starts = [0]
        for batch in self._batches:
            self._batch_starts.append(self._batch_starts[-1] + batch.num_rows)
        self.num_rows = self._batch_starts[-1]
        self._cached_batch_index = -1
        self._cached_rows: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return self.num_rows

    def row(self, index: int) -> dict[str, Any]:
        """Return row ``index`` as a dict of Python values (bytes as ``bytes``, nested lists and structs as such)."""
        if not 0 <= index < self.num_rows:
            raise IndexError(f"Row {index} is out of range for an Arrow footer of {self.num_rows} rows.")
        batch_index = self._cached_batch_index
        start = self._batch_starts[batch_index] if batch_index >= 0 else -1
        if not start <= index < start + len(self._cached_rows):
            batch_index = bisect.bisect_right(self._batch_starts, index) - 1
            self._cached_rows = self._batches[batch_index].to_pylist()
            self._cached_batch_index = batch_index
            start = self._batch_starts[batch_index]
        return dict(self._cached_rows[index - start])
