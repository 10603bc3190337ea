"""Progress bars where users wait (`optimize`, `map`, `merge_datasets`, `index_parquet_dataset`, `litdata cache
clear`), all with the same look: a description naming the operation, a unit (``files``, ``chunks``, ``items`` or
bytes), the total when known, written to stderr and redrawn at most twice a second.

A bar is hidden when the caller passes ``enabled=False`` (the operation's ``verbose=False`` or the command line's
``--quiet``), when ``TQDM_DISABLE`` is non-empty, or when tqdm is not installed; the returned object then does nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import litdata.settings as settings

_MIN_INTERVAL_S = 0.5


class _NoBar:
    """Stands in for a hidden bar: the same methods, no output."""

    def __init__(self, total: float | None) -> None:
        self.n: float = 0
        self.total = total

    def update(self, count: float = 1) -> None:
        self.n += count

    def close(self) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def progress_bar(
    description: str,
    total: float | None = None,
    unit: str = "items",
    enabled: bool = True,
    in_bytes: bool = False,
) -> Any:
    """A tqdm bar on stderr (``update(n)``, ``close()``, usable as a context manager), or a silent stand-in.

    ``in_bytes=True`` counts bytes and shows them scaled (``12.3MB``, ``4.1MB/s``) instead of ``unit``. A bar whose
    total grows while it runs takes the new value with ``bar.total = new_total`` (shown at the next redraw).
    """
    if not enabled or settings.TQDM_DISABLE.get():  # tqdm's rule: any non-empty value
        return _NoBar(total)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar(total)
    options: dict[str, Any] = {"unit": "B", "unit_scale": True} if in_bytes else {"unit": unit}
    return tqdm(total=total, desc=description, file=sys.stderr, mininterval=_MIN_INTERVAL_S, smoothing=0, **options)
