"""Functions the compatibility snippets hand to optimize workers (importable by name in spawned processes)."""


def identity(item):
    return item


def as_int(batch):
    return int(batch)


def pair(i):
    return (i, i * i)
