"""One module per library: how it writes the benchmark data and how it reads it back.

Each adapter exposes ``optimize(source, kind, out, chunk_bytes, workers)``, ``loader(kind, location, shuffle,
workers, batch_size, cache_dir=None)`` and ``dataset(kind, location)`` (for ``ds[i]``, or ``None`` when the library
has no random access). ``raw`` instead implements every operation itself as the "raw limit".
"""
