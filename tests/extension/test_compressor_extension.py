"""A compressor of the user's own, registered beside zstd as with LitData 0.2.76: `optimize(compression=name)` writes
whole-file compressed chunks (``chunk-R-N.name.bin``) that read back sample for sample, and batch or sample framing,
which LitData 0.2.76 keeps for zstd, is refused for it. Each scenario runs here and under the real 0.2.76."""

import pytest

from reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys, zlib
import numpy as np
import litdata as ld
from litdata.streaming.compression import _COMPRESSORS, Compressor


class ZlibCompressor(Compressor):
    def compress(self, data):
        return zlib.compress(data)

    def decompress(self, data):
        return zlib.decompress(data)

    @classmethod
    def register(cls, compressors):
        compressors["zlib"] = cls()


ZlibCompressor.register(_COMPRESSORS)


def sample(i):
    return {"index": i, "array": np.full((3, 40), i, dtype=np.int32), "blob": bytes([i % 256]) * 300}


if __name__ == "__main__":
    out_dir, level = sys.argv[1], sys.argv[2]
    kwargs = {} if level == "default" else {"compression_level": level}
    try:
        ld.optimize(fn=sample, inputs=list(range(10)), output_dir=out_dir, chunk_size=4, num_workers=1,
                    compression="zlib", **kwargs)
    except Exception as err:
        print(json.dumps({"error": type(err).__name__, "message": str(err)}))
        sys.exit(0)
    files = sorted(name for name in os.listdir(out_dir) if name.endswith(".bin"))
    with open(os.path.join(out_dir, "index.json")) as f:
        config = json.load(f)["config"]
    with open(os.path.join(out_dir, files[0]), "rb") as f:  # before reading: 0.2.76 inflates them in place
        compressed = zlib.decompress(f.read())[:4] != b""
    ds = ld.StreamingDataset(out_dir)
    samples = [{"index": int(s["index"]), "array": int(s["array"].sum()), "shape": list(s["array"].shape),
                "blob": bytes(s["blob"]).hex()[:4]} for s in ds]
    print(json.dumps({"files": files, "compression": config["compression"],
                      "level": config.get("compression_level"), "samples": samples, "whole_file_zlib": compressed}))
"""


def test_a_registered_compressor_writes_whole_file_chunks_that_read_back(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"), "default")
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"), "default")
    assert ours["files"] == ["chunk-0-0.zlib.bin", "chunk-0-1.zlib.bin", "chunk-0-2.zlib.bin"]
    assert [s["index"] for s in ours["samples"]] == list(range(10))
    assert ours["whole_file_zlib"]
    assert ours == theirs


@pytest.mark.parametrize("level", ["batch", "sample"])
def test_batch_or_sample_framing_with_a_registered_compressor_is_refused(tmp_path, level):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"), level)
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"), level)
    assert "error" in theirs  # a worker's failure there (RuntimeError); here a ValueError before any work starts
    assert ours["error"] == "ValueError"
    assert "only supported with compression='zstd'" in ours["message"]
