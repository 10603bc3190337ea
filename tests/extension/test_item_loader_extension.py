"""Item loaders written as a LitData 0.2.76 user writes them: subclasses of `PyTreeLoader` and `TokensLoader` that
override ``load_item_from_chunk`` (post-processing ``super()``) or ``deserialize``, and read what 0.2.76's ``setup``
sets. Each scenario runs here and under the real 0.2.76 with the same results."""

import pytest

from reference_run import run_ours, run_reference

SCRIPT = r'''
import json, sys
import numpy as np
import torch
import litdata as ld
from litdata.streaming.item_loader import PyTreeLoader, TokensLoader


class ScaledLoader(PyTreeLoader):
    """Post-processes every sample the default loader decodes."""

    def load_item_from_chunk(self, index, chunk_index, chunk_filepath, begin, filesize_bytes, encryption=None):
        item = super().load_item_from_chunk(index, chunk_index, chunk_filepath, begin, filesize_bytes, encryption)
        item["x"] = item["x"] * 10
        item["seen"] = [index - begin, chunk_index, filesize_bytes > 0, list(self._data_format)]
        return item


class TaggingLoader(PyTreeLoader):
    """Decodes items with the default loader's deserialize, then tags them."""

    def deserialize(self, raw_item_data):
        item = super().deserialize(raw_item_data)
        item["tag"] = "tagged"
        return item


class ShiftedTokens(TokensLoader):
    def load_item_from_chunk(self, index, chunk_index, chunk_filepath, begin, filesize_bytes):
        return super().load_item_from_chunk(index, chunk_index, chunk_filepath, begin, filesize_bytes) + 1000


def sample(i):
    return {"i": i, "x": torch.full((2, 3), i, dtype=torch.int64)}  # a tensor leaf: 0.2.76 decodes it per item


def tokens(i):
    return np.arange(i * 8, i * 8 + 8, dtype=np.int32)


def describe(s):
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in s.items()}


if __name__ == "__main__":
    root, scenario = sys.argv[1], sys.argv[2]
    if scenario == "tokens":
        ld.optimize(fn=tokens, inputs=list(range(6)), output_dir=root, chunk_size=16, num_workers=1,
                    item_loader=ShiftedTokens())  # the index names the loader class, which reading must match
        ds = ld.StreamingDataset(root, item_loader=ShiftedTokens(block_size=4))
        out = [ds[i].tolist() for i in range(len(ds))]
    else:
        loader = ScaledLoader() if scenario == "override" else TaggingLoader(batch_decode=0)  # item by item
        ld.optimize(fn=sample, inputs=list(range(10)), output_dir=root, chunk_size=4, num_workers=1,
                    item_loader=loader)
        ds = ld.StreamingDataset(root, item_loader=loader)
        out = {"by_index": [describe(ds[i]) for i in range(len(ds))]}
        batches = ld.StreamingDataLoader(ds, batch_size=4, num_workers=0)
        out["batched"] = [b["x"].sum().item() for b in batches]
    print(json.dumps(out))
'''


@pytest.mark.parametrize("scenario", ["override", "tokens"])
def test_a_loader_subclass_written_for_0_2_76_gets_the_same_samples(tmp_path, scenario):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"), scenario)
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"), scenario)
    assert ours == theirs


def test_a_pytree_loader_override_post_processes_what_super_decodes(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"), "override")
    assert [s["x"][0][0] for s in ours["by_index"]] == [10 * i for i in range(10)]
    assert [s["seen"][:2] for s in ours["by_index"]] == [[i % 4, i // 4] for i in range(10)]
    assert ours["by_index"][0]["seen"][3] == ["int", "tensor"]


def test_a_deserialize_override_decodes_every_item_and_only_adds_what_it_adds(tmp_path):
    # 0.2.76 bypasses a deserialize override for the chunks its own optimize writes (it decodes their rows from a
    # row footer or a window); here the override decodes every item, which is what overriding it asks for.
    ours = run_ours(SCRIPT, str(tmp_path / "ours"), "deserialize")
    theirs = run_reference(SCRIPT, str(tmp_path / "theirs"), "deserialize")
    assert [sample.pop("tag") for sample in ours["by_index"]] == ["tagged"] * 10
    assert ours == theirs
