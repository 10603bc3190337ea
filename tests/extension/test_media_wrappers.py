"""The media wrappers of `litdata.types` as LitData 0.2.76's README and tests use them: token ids wrapped in
``Tensor(array=...)`` written with `TokensLoader`, ``Tensor.shape``, ``Graph.to_mapping``, and `Text` (a written
``Text()`` without a source is a ``TypeError``; ``text=`` wins over other sources). Run here and under 0.2.76."""

from reference_run import run_ours, run_reference

SCRIPT = r"""
import json, sys
import numpy as np
import torch
import litdata as ld
from litdata.streaming.item_loader import TokensLoader
from litdata.streaming.serializers import TextSerializer
from litdata.types import Graph, Tensor, Text


def token_ids(i):
    return Tensor(array=torch.arange(i * 10, i * 10 + 10, dtype=torch.int32))


def outcome(make):
    try:
        value = make()
    except Exception as err:
        return type(err).__name__
    return value


if __name__ == "__main__":
    root = sys.argv[1]
    ld.optimize(fn=token_ids, inputs=list(range(4)), output_dir=root, chunk_size=20, num_workers=1,
                item_loader=TokensLoader())
    ds = ld.StreamingDataset(root, item_loader=TokensLoader(block_size=5))
    text = TextSerializer()
    graph = Graph(x=torch.ones(3, 2), edge_index=torch.tensor([[0, 1], [1, 2]]), data={"y": 7})
    print(json.dumps({
        "tokens": [ds[i].tolist() for i in range(len(ds))],
        "token_type": type(ds[0]).__name__,
        "shape": list(Tensor(array=np.zeros((2, 3))).shape),
        "shape_without_array": outcome(lambda: Tensor(bytes=b"ab", dtype=torch.uint8).shape),
        "graph_keys": sorted(graph.to_mapping()),
        "graph_y": graph.to_mapping()["y"],
        "text_round_trip": text.deserialize(text.serialize(Text(text="héllo"))[0]),
        "text_bytes": text.deserialize(text.serialize(Text(bytes="ça".encode()))[0]),
        "text_wins": text.deserialize(text.serialize(Text(text="a", bytes=b"b"))[0]),
        "empty_text": text.deserialize(text.serialize(Text(text=""))[0]),
        "no_source": outcome(lambda: text.serialize(Text())),
        "format": text.serialize(Text(text="x"))[1],
    }))
"""


def test_media_wrappers_behave_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"))
    assert ours["tokens"] == [list(range(start, start + 5)) for start in range(0, 40, 5)]
    assert ours["shape"] == [2, 3] and ours["graph_keys"] == ["edge_index", "x", "y"]
    assert ours["no_source"] == "TypeError"
    assert ours == theirs
