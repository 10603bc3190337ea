"""Recipes subclassed the way a LitData 0.2.76 user extends them and run by `DataProcessor`: a chunk recipe with its
own constructor arguments and a second-level subclass that only changes the inputs, and a map recipe that learns
which item is last. The same script runs under the real 0.2.76 and under ours, with the same results."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys
import litdata as ld
from litdata.processing.data_processor import DataChunkRecipe, DataProcessor, MapRecipe

class Scaled(DataChunkRecipe):
    is_generator = False
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
    def prepare_structure(self, input_dir):
        return list(range(10))
    def prepare_item(self, item_metadata):
        return {"x": item_metadata, "scaled": item_metadata * self.factor}

class EvenScaled(Scaled):
    def prepare_structure(self, input_dir):
        return [i for i in super().prepare_structure(input_dir) if i % 2 == 0]

class Marker(MapRecipe):
    def prepare_structure(self, input_dir):
        return [f"name-{i}" for i in range(4)]
    def prepare_item(self, item_metadata, output_dir, is_last):
        with open(os.path.join(output_dir, item_metadata), "w") as f:
            f.write(str(is_last))

if __name__ == "__main__":
    root = sys.argv[1]
    out = {}
    for name, recipe in [("scaled", Scaled(3, chunk_size=4)), ("even", EvenScaled(10, chunk_bytes="64KB"))]:
        folder = os.path.join(root, name)
        DataProcessor(input_dir=None, output_dir=folder, num_workers=2, verbose=False, fast_dev_run=False,
                      keep_data_ordered=True).run(recipe)
        ds = ld.StreamingDataset(folder)
        out[name] = [[int(s["x"]), int(s["scaled"])] for s in (ds[i] for i in range(len(ds)))]
        out[name + "_config"] = {k: v for k, v in json.load(open(os.path.join(folder, "index.json")))["config"].items()
                                 if k in ("chunk_size", "chunk_bytes", "data_format")}
    folder = os.path.join(root, "marks")
    DataProcessor(input_dir=None, output_dir=folder, num_workers=1, verbose=False, fast_dev_run=False,
                  keep_data_ordered=True).run(Marker())
    out["marks"] = {n: open(os.path.join(folder, n)).read() for n in sorted(os.listdir(folder))}
    print(json.dumps(out))
"""


def test_recipe_subclasses_with_their_own_arguments_run_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours == run_reference(SCRIPT, str(tmp_path / "reference"))
    assert ours["scaled"] == [[i, 3 * i] for i in range(10)]
    assert ours["even"] == [[i, 10 * i] for i in range(0, 10, 2)]
