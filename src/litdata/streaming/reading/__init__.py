"""Reading: where a dataset's files come from (local, cache, remote) and how a chunk's items are read."""
