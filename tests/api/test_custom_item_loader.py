"""An item loader written against LitData 0.2.76's interface (``load_item_from_chunk(index, chunk_index,
chunk_filepath, begin, filesize_bytes)``) works unchanged here, getting the same arguments as under 0.2.76."""

from reference_run import run_ours, run_reference

SCRIPT = r'''
import json, os, struct, sys
import litdata as ld
from litdata.streaming.item_loader import BaseItemLoader, Interval

class RawItemLoader(BaseItemLoader):
    """A loader written against 0.2.76's interface: returns each item's raw bytes and where it came from."""

    def generate_intervals(self):
        intervals, begin = [], 0
        for chunk in self._chunks:
            end = begin + chunk["chunk_size"]
            intervals.append(Interval(begin, begin, end, end))
            begin = end
        return intervals

    def pre_load_chunk(self, chunk_index, chunk_filepath):
        pass

    def load_item_from_chunk(self, index, chunk_index, chunk_filepath, begin, filesize_bytes):
        with open(chunk_filepath, "rb") as f:
            data = f.read()
        local = index - begin
        start, end = struct.unpack_from("<II", data, 4 + 4 * local)
        return {"local": local, "chunk": chunk_index, "file": os.path.basename(chunk_filepath),
                "begin": begin, "filesize": filesize_bytes == os.path.getsize(chunk_filepath), "item": data[start:end].hex()}

    def delete(self, chunk_index, chunk_filepath):
        pass

    def encode_data(self, data, sizes, flattened):
        return b"".join(data), None

def sample(i):
    return {"blob": bytes([65 + i]) * (i + 1)}

if __name__ == "__main__":
    out_dir = sys.argv[1]
    ld.optimize(fn=sample, inputs=list(range(11)), output_dir=out_dir, chunk_size=4, num_workers=1, keep_data_ordered=True, item_loader=RawItemLoader())
    ds = ld.StreamingDataset(out_dir, item_loader=RawItemLoader())
    print(json.dumps([ds[i] for i in range(len(ds))]))
'''


def test_a_0_2_76_item_loader_gets_the_same_arguments_here(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"))
    # 0.2.76 puts these samples in an Arrow row footer (empty item blobs); ours keeps them as the items' bytes
    assert [bytes.fromhex(item.pop("item")) for item in ours] == [bytes([65 + i]) * (i + 1) for i in range(11)]
    for item in theirs:
        item.pop("item")
    assert ours == theirs
    assert [item["begin"] for item in ours] == [0] * 4 + [4] * 4 + [8] * 3
