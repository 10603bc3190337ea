"""A custom input reader for ``optimize``, written as a LitData 0.2.76 user writes one: ``remap_items`` groups the
inputs once, ``read`` loads one group in a worker, and ``fn`` receives what ``read`` returned. The same script runs
under the real 0.2.76 and under ours, with the same dataset written."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys
import litdata as ld
from litdata.processing.readers import BaseReader

class LineFileReader(BaseReader):
    # inputs are text files; each worker item is a pair of files, read into their lines
    def remap_items(self, items, num_workers):
        self.num_workers_seen = num_workers
        return [items[i : i + 2] for i in range(0, len(items), 2)]

    def read(self, item):
        lines = []
        for path in item:
            with open(path) as f:
                lines.extend(line.strip() for line in f)
        return lines

def count_words(lines):
    for line in lines:
        yield {"line": line, "words": len(line.split())}

if __name__ == "__main__":
    root = sys.argv[1]
    os.makedirs(os.path.join(root, "text"))
    files = []
    for i in range(5):
        path = os.path.join(root, "text", f"{i}.txt")
        with open(path, "w") as f:
            f.write("\n".join(" ".join(["w"] * (i + j)) + f" {i}-{j}" for j in range(3)))
        files.append(path)
    reader = LineFileReader()
    out = {"nodes": [reader.get_num_nodes(), reader.get_node_rank()]}
    ld.optimize(fn=count_words, inputs=files, output_dir=os.path.join(root, "out"), chunk_size=4, num_workers=2,
                reader=reader)
    ds = ld.StreamingDataset(os.path.join(root, "out"))
    out["samples"] = sorted([s["line"], int(s["words"])] for s in ds)
    print(json.dumps(out))
"""


def test_a_custom_reader_feeds_optimize_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours == run_reference(SCRIPT, str(tmp_path / "reference"))
    assert len(ours["samples"]) == 15
    assert ["w w w w w w 4-2", 7] in ours["samples"]
