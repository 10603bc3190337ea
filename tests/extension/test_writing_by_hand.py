"""Datasets written by hand with `Cache` and `BinaryWriter`, as a LitData 0.2.76 user writes them: items set by
index, chunk names, checkpoints, the writer's index file, then the items read back by index and by `ChunkedIndex`.
The same script runs under the real 0.2.76 and under ours, with the same output."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys
from litdata.streaming.cache import Cache
from litdata.streaming.sampler import ChunkedIndex
from litdata.streaming.writer import BinaryWriter

if __name__ == "__main__":
    root = sys.argv[1]
    out = {}
    folder = os.path.join(root, "cache")
    cache = Cache(folder, chunk_size=3)
    out["rank"] = cache.rank
    out["checkpoint_dir"] = os.path.relpath(cache.checkpoint_dir, folder)
    for i in range(7):
        cache[i] = {"i": i, "name": f"item {i}"}
    checkpoint = cache.save_checkpoint()
    out["checkpoint"] = os.path.relpath(checkpoint, folder)
    saved = json.load(open(checkpoint))
    out["checkpoint_fields"] = {k: saved[k] for k in ("inputs_done", "samples_written", "next_chunk_index", "done_till_index")}
    out["checkpoint_chunks"] = [c["filename"] for c in saved["chunks"]]
    out["same_checkpoint"] = cache.save_checkpoint()
    for i in range(7, 10):
        cache[i] = {"i": i, "name": f"item {i}"}
    out["done"] = sorted(os.path.basename(p) for p in cache.done())
    cache.merge()
    out["filled"] = cache.filled
    reader = Cache(folder, chunk_size=3)
    out["len"] = len(reader)
    out["items"] = [reader[i] for i in range(len(reader))]
    out["by_chunked_index"] = reader[ChunkedIndex(index=4, chunk_index=1, chunk_size=3)]
    out["chunked_index"] = [ChunkedIndex(5, 1, 3).chunk_size, ChunkedIndex(5, 1).chunk_indexes, ChunkedIndex(5, 1).is_last_index]

    writer = BinaryWriter(os.path.join(root, "writer"), chunk_size=2, compression="zstd")
    data, dim = writer.serialize({"a": 1, "b": "x"})
    out["serialize"] = [type(data).__name__, dim]
    out["names"] = [writer.get_chunk_filename(), writer.get_chunk_filename(file_compression=False)]
    try:
        writer.add_item(0, items={"a": 1, "b": "x"})
        writer.add_item(0, items={"a": 1, "b": "x"})
    except ValueError as error:
        out["twice"] = str(error)
    added = [writer.add_item(i, {"a": i, "b": "y"}) for i in range(1, 6)]
    out["added"] = [os.path.basename(p) if p else None for p in added]
    out["writer_done"] = sorted(os.path.basename(p) for p in writer.done())
    out["index"] = os.path.basename(writer.write_chunks_index())
    written = json.load(open(os.path.join(root, "writer", out["index"])))
    out["index_chunks"] = [[c["filename"], c["chunk_size"]] for c in written["chunks"]]
    writer.write_chunk_to_file(b"raw bytes", "by-hand.bin", compress=False)
    out["by_hand"] = open(os.path.join(root, "writer", "by-hand.bin"), "rb").read().decode()
    empty = BinaryWriter(os.path.join(root, "empty"), chunk_bytes="1MB")
    out["empty_index"] = empty.write_chunks_index()
    print(json.dumps(out))
"""


def test_a_dataset_written_by_hand_with_cache_and_binary_writer_reads_back_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours == run_reference(SCRIPT, str(tmp_path / "reference"))
    assert ours["items"] == [{"i": i, "name": f"item {i}"} for i in range(10)]
    assert ours["checkpoint_fields"]["samples_written"] == 6
