"""`DataProcessor` running subclassed `DataChunkRecipe` / `MapRecipe` recipes, imported from
``litdata.processing.data_processor``: the same datasets and files as LitData 0.2.76 for the same script."""

import pytest

from litdata.processing.data_processor import DataChunkRecipe, DataProcessor

from reference_run import run_ours, run_reference

SCRIPT = """
import json, os, sys
from litdata.processing.data_processor import DataProcessor, DataChunkRecipe, MapRecipe
import litdata as ld

class Squares(DataChunkRecipe):
    is_generator = False  # 0.2.76 reads this attribute (its own subclasses set it)
    def prepare_structure(self, input_dir):
        return list(range(int(os.environ.get("N", "20"))))
    def prepare_item(self, item_metadata):
        return {"x": item_metadata, "y": item_metadata ** 2}

class Pairs(DataChunkRecipe):
    is_generator = True
    def prepare_structure(self, input_dir):
        return [os.path.join(input_dir, n) for n in sorted(os.listdir(input_dir))]
    def prepare_item(self, name):
        for j in range(2):
            yield {"name": os.path.basename(name), "j": j}

class Writer(MapRecipe):
    def prepare_structure(self, input_dir):
        return [os.path.join(input_dir, n) for n in sorted(os.listdir(input_dir))]
    def prepare_item(self, item_metadata, output_dir, is_last):
        name = os.path.basename(item_metadata)
        with open(os.path.join(output_dir, name + ".out"), "w") as f:
            f.write(name.upper())

if __name__ == "__main__":
    root = sys.argv[1]
    src = os.path.join(root, "src"); os.makedirs(src)
    for i in range(5):
        open(os.path.join(src, f"f{i}.txt"), "w").write("x" * (i + 1))
    out = {}
    DataProcessor(input_dir=None, output_dir=os.path.join(root, "sq"), num_workers=2, verbose=False, keep_data_ordered=True, fast_dev_run=False).run(Squares(chunk_size=6))
    ds = ld.StreamingDataset(os.path.join(root, "sq"))
    out["squares"] = [ds[i] for i in range(len(ds))]
    out["squares_chunks"] = [c["chunk_size"] for c in json.load(open(os.path.join(root, "sq", "index.json")))["chunks"]]
    DataProcessor(input_dir=src, output_dir=os.path.join(root, "pairs"), num_workers=1, verbose=False, fast_dev_run=False).run(Pairs(chunk_bytes="1MB"))
    ds = ld.StreamingDataset(os.path.join(root, "pairs"))
    out["pairs"] = sorted([ds[i]["name"], ds[i]["j"]] for i in range(len(ds)))
    DataProcessor(input_dir=src, output_dir=os.path.join(root, "mapped"), num_workers=2, verbose=False, fast_dev_run=False).run(Writer())
    out["mapped"] = {n: open(os.path.join(root, "mapped", n)).read() for n in sorted(os.listdir(os.path.join(root, "mapped")))}
    r = Squares()
    out["default_chunk_bytes"] = [r.chunk_size, r.chunk_bytes]
    errs = []
    for make in (lambda: Squares(chunk_size=2, chunk_bytes=3), lambda: DataProcessor(input_dir=None, output_dir=root, verbose=False, fast_dev_run=False).run(object())):
        try:
            make(); errs.append("ok")
        except Exception as e:
            errs.append([type(e).__name__, str(e)])
    out["errors"] = errs
    print(json.dumps(out))
"""


def test_a_script_subclassing_the_recipes_gives_what_litdata_0_2_76_gives(tmp_path):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert len(ours["squares"]) == 20 and len(ours["mapped"]) == 5
    assert ours == run_reference(SCRIPT, str(tmp_path / "theirs"))


class _Numbers(DataChunkRecipe):
    def prepare_structure(self, input_dir):
        return list(range(12))

    def prepare_item(self, item_metadata):
        return item_metadata * 3


def test_a_recipe_with_a_key_fn_writes_a_keyed_dataset(tmp_path):
    import litdata as ld

    recipe = _Numbers(chunk_size=5, key_fn=lambda sample: f"n{sample}")
    DataProcessor(input_dir=None, output_dir=str(tmp_path / "out"), num_workers=1, verbose=False).run(recipe)
    assert ld.StreamingDataset(str(tmp_path / "out"))["n33"] == 33


def test_running_something_else_than_a_recipe_is_refused(tmp_path):
    with pytest.raises(ValueError, match="data recipe"):
        DataProcessor(input_dir=None, output_dir=str(tmp_path)).run(object())
