"""Small datasets built with `Cache` for streaming tests."""

import os

from litdata.streaming.cache import Cache


def build_dataset(folder, num_items: int, chunk_size: int = 10, make=lambda i: i, **kwargs) -> str:
    """Write ``make(i)`` for ``i < num_items`` into ``folder`` and return it."""
    folder = str(folder)
    cache = Cache(folder, chunk_size=chunk_size, **kwargs)
    for i in range(num_items):
        cache[i] = make(i)
    cache.done()
    cache.merge()
    assert os.path.exists(os.path.join(folder, "index.json"))
    return folder
