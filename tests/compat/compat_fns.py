"""Functions the compatibility snippets hand to optimize workers (importable by name in spawned processes).

Imported only inside snippet processes, so `litdata` here is whichever implementation the snippet runs.
"""

from litdata.streaming.serializers import Serializer


def identity(item):
    return item


def as_int(batch):
    return int(batch)


def pair(i):
    return (i, i * i)


def int_then_tensor(i):
    import torch

    return {"x": i if i < 3 else torch.ones(2)}


class RecordingSerializer(Serializer):
    """A user's serializer: stores text, and records what type its `deserialize` received."""

    def serialize(self, item):
        return item.text.encode(), None

    def deserialize(self, data):
        return (type(data).__name__, bytes(data).decode())

    def can_serialize(self, item):
        return isinstance(item, Note)


class Note:
    def __init__(self, text):
        self.text = text


def note(i):
    return {"note": Note(f"n{i}"), "i": i}
