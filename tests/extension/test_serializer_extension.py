"""A serializer written as a LitData 0.2.76 user writes one: a `Serializer` subclass passed to `Cache` and
`StreamingDataset` with ``serializers=``
whose ``serialize`` names a parametrised data format and whose ``setup(metadata)`` reads it back, plus
`NumericSerializer(dtype)` and the media serializers imported from `litdata.streaming.serializers`. Run here and
under the real 0.2.76 with the same results."""

from reference_run import run_ours, run_reference

SCRIPT = r'''
import json, sys
import numpy as np
import litdata as ld
from litdata.streaming.cache import Cache
from litdata.streaming.serializers import (
    AudioSerializer, GraphSerializer, MeshSerializer, NiftiSerializer, NumericSerializer, PDFSerializer, Serializer,
    VideoSerializer,
)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class PointSerializer(Serializer):
    """Points as 'x,y' text; the data format carries the separator, read back in setup."""

    def __init__(self):
        self.separator = ","

    def serialize(self, data):
        return f"{data.x}{self.separator}{data.y}".encode(), f"point:{self.separator}"

    def deserialize(self, data):
        x, y = bytes(data).decode().split(self.separator)
        return {"x": int(x), "y": int(y)}

    def can_serialize(self, data):
        return isinstance(data, Point)

    def setup(self, metadata):
        self.separator = metadata.split(":", 1)[1]


def sample(i):
    return {"i": i, "point": Point(i, -i)}


if __name__ == "__main__":
    root = sys.argv[1]
    cache = Cache(root, chunk_size=3, serializers={"point": PointSerializer()})  # 0.2.76's optimize takes none
    for i in range(6):
        cache[i] = sample(i)
    cache.done()
    cache.merge()
    ds = ld.StreamingDataset(root, serializers={"point": PointSerializer()})
    with open(root + "/index.json") as f:
        formats = json.load(f)["config"]["data_format"]
    int16 = NumericSerializer(np.int16)
    data, name = int16.serialize(-7)
    print(json.dumps({
        "samples": [ds[i] for i in range(len(ds))],
        "formats": formats,
        "numeric": [data.hex(), name, int(int16.deserialize(data)), type(int16.deserialize(data)).__name__],
        "bytes_modes": [
            PDFSerializer(decode=False).deserialize(b"%PDF-1.1") == b"%PDF-1.1",
            MeshSerializer(decode=False).deserialize(b"solid") == b"solid",
            NiftiSerializer(decode=False).deserialize(b"nii") == b"nii",
            AudioSerializer(decode="bytes").deserialize(b"RIFF") == b"RIFF",
            VideoSerializer(decode="bytes").deserialize(b"ftyp") == b"ftyp",
        ],
        "graph": GraphSerializer().can_serialize(ld.Graph(x=None)),
    }))
'''


def test_a_serializer_written_for_0_2_76_writes_and_reads_the_same(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"))
    assert ours["samples"][5] == {"i": 5, "point": {"x": 5, "y": -5}}
    assert ours["formats"] == ["int", "point:,"]
    assert ours == theirs
