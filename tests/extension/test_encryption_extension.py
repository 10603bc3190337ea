"""A custom `Encryption`, written as a LitData 0.2.76 user writes one (a subclass with ``algorithm``, ``level``,
``encrypt``/``decrypt`` and ``state_dict``), used by ``optimize`` and by ``StreamingDataset``. The same script runs
under the real 0.2.76 and under ours: same index entry, same samples, and reading without the key fails."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys
import numpy as np
import litdata as ld
from litdata.utilities.encryption import Encryption

class XorEncryption(Encryption):
    def __init__(self, key, level="sample"):
        self.key = key
        self.level = level
    @property
    def algorithm(self):
        return "xor"
    def encrypt(self, data):
        return bytes(b ^ self.key for b in data)
    def decrypt(self, data):
        return bytes(b ^ self.key for b in data)
    def state_dict(self):
        return {"algorithm": self.algorithm, "level": self.level}
    def save(self, state, file_path):
        json.dump(state, open(file_path, "w"))
    def load(self, file_path):
        return json.load(open(file_path))

def sample(i):
    return {"i": i, "text": "secret " * (i + 1), "pixels": np.full((16, 16), i, dtype=np.uint8)}

if __name__ == "__main__":
    root = sys.argv[1]
    out = {}
    for level in ("sample", "chunk"):
        folder = os.path.join(root, level)
        ld.optimize(fn=sample, inputs=list(range(12)), output_dir=folder, chunk_size=5, num_workers=1,
                    encryption=XorEncryption(7, level), keep_data_ordered=True)
        out[level + "_index"] = json.load(open(os.path.join(folder, "index.json")))["config"]["encryption"]
        raw = b"".join(open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder)) if n.endswith(".bin"))
        out[level + "_plaintext_on_disk"] = b"secret" in raw
        ds = ld.StreamingDataset(folder, encryption=XorEncryption(7, level))
        out[level] = [[int(s["i"]), s["text"], int(s["pixels"].sum())] for s in ds]
    try:
        list(ld.StreamingDataset(os.path.join(root, "sample")))
        out["without_key"] = "read"
    except Exception:
        out["without_key"] = "refused"
    print(json.dumps(out))
"""


def test_a_custom_encryption_writes_and_reads_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours == run_reference(SCRIPT, str(tmp_path / "reference"))
    assert ours["sample"] == ours["chunk"] == [[i, "secret " * (i + 1), 256 * i] for i in range(12)]
    assert ours["sample_plaintext_on_disk"] is False and ours["chunk_plaintext_on_disk"] is False
