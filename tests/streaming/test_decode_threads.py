"""The images of a batch read whole are decoded on several threads without workers: the same batches, in the same
order, as decoding them one by one; errors still name the item; a user's serializer is never called from threads."""

import io
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from litdata import StreamingDataLoader, StreamingDataset
from litdata.format import decode_threads
from litdata.format.chunk import ChunkCorruptedError
from litdata.streaming.serializers import IntSerializer, JPEGSerializer, decodes_in_parallel

from helpers import build_dataset


def jpeg(i):
    pixels = np.random.default_rng(i).integers(0, 255, (240, 320, 3), dtype=np.uint8)  # ~45 KB: decoded on threads
    data = io.BytesIO()
    Image.fromarray(pixels).save(data, format="JPEG", quality=95)
    return Image.open(io.BytesIO(data.getvalue()))


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("jpeg"), 90, chunk_size=16, make=lambda i: {"image": jpeg(i), "i": i})


def epoch(folder, shuffle=True):
    loader = StreamingDataLoader(StreamingDataset(folder, shuffle=shuffle, seed=7), batch_size=8)
    return [(batch["i"].tolist(), batch["image"]) for batch in loader]


def test_batches_decoded_on_threads_equal_batches_decoded_one_by_one(images, monkeypatch):
    monkeypatch.setenv("LITDATA_DECODE_THREADS", "1")
    one_by_one = epoch(images)
    monkeypatch.setenv("LITDATA_DECODE_THREADS", "4")
    assert decode_threads.decode_pool() is not None
    decoding_threads = set()
    decode = JPEGSerializer.deserialize

    def recording(self, data):
        decoding_threads.add(threading.current_thread().name)
        return decode(self, data)

    monkeypatch.setattr(JPEGSerializer, "deserialize", recording)
    threaded = epoch(images)
    assert len(decoding_threads) > 1 and all(name.startswith("litdata-decode") for name in decoding_threads)
    assert [ids for ids, _ in threaded] == [ids for ids, _ in one_by_one]
    assert sorted(sum((ids for ids, _ in threaded), [])) == list(range(90))
    for (ids, batch), (_, expected) in zip(threaded, one_by_one):
        assert batch.dtype == torch.uint8 and batch.shape == (len(ids), 3, 240, 320)
        assert torch.equal(batch, expected)


def test_a_corrupt_image_decoded_on_a_thread_raises_an_error_naming_the_item(tmp_path, monkeypatch):
    folder = build_dataset(tmp_path / "broken", 16, chunk_size=16, make=lambda i: {"image": jpeg(i), "i": i})
    path = tmp_path / "broken" / "chunk-0-0.bin"
    data = bytearray(path.read_bytes())
    starts = [pos for pos in range(len(data) - 2) if data[pos : pos + 3] == b"\xff\xd8\xff"]  # one JPEG per item
    assert len(starts) == 16
    data[starts[5] : starts[5] + 3] = b"\x00\x00\x00"  # item 5 is no JPEG any more
    path.write_bytes(bytes(data))
    monkeypatch.setenv("LITDATA_VERIFY_CHECKSUMS", "0")  # reach the decoder (the checksum would catch it first)
    monkeypatch.setenv("LITDATA_DECODE_THREADS", "4")
    loader = StreamingDataLoader(StreamingDataset(folder), batch_size=8)
    with pytest.raises(ChunkCorruptedError, match=r"Item 5 of chunk .*chunk-0-0\.bin"):
        list(loader)


def test_only_litdatas_own_image_deserializers_run_on_threads():
    class UserJPEG(JPEGSerializer):
        def deserialize(self, data):
            return super().deserialize(data)

    assert decodes_in_parallel([JPEGSerializer(), IntSerializer()])
    assert not decodes_in_parallel([IntSerializer()])  # nothing to gain
    assert not decodes_in_parallel([UserJPEG(), IntSerializer()])  # a user's code may not be thread-safe


def test_dataloader_workers_decode_on_their_own_thread(images, monkeypatch):
    monkeypatch.delenv("LITDATA_DECODE_THREADS", raising=False)
    loader = torch.utils.data.DataLoader(_ThreadsSeen(), num_workers=2, batch_size=None)
    assert sorted(loader) == [1, 1]
    assert decode_threads.decode_threads() >= 1


class _ThreadsSeen(torch.utils.data.IterableDataset):
    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if info is not None:
            yield decode_threads.decode_threads()
