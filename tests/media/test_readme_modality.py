"""The examples of LitData 0.2.76's README from its "Modality" section on, run as written (local paths for buckets).

Each example runs as a script in a fresh folder. Statements other than imports and definitions go under a
``__main__`` guard (optimize's workers are spawned and import the script), otherwise the code is the README's.
Snippets that rely on an earlier block of the same section are run after it. Two README calls,
``optimize(make_graph, ..., output_dir="graphs")`` and ``optimize(make_row, ..., output_dir="rows")``, give neither
``chunk_size`` nor ``chunk_bytes``: LitData 0.2.76 itself raises ``ValueError`` on them (as we do), so they run here
with ``chunk_bytes="64MB"`` added (marked ``# added``).
"""

import ast
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from fake_hub import FakeHub
from mosaic_writer import write_mds

from testpaths import TESTS_DIR

SRC = os.path.join(TESTS_DIR, "..", "src")
MEDIA_TESTS = os.path.dirname(os.path.abspath(__file__))


def run_example(folder, code: str, env: dict | None = None) -> str:
    """Run ``code`` as a script in ``folder`` (definitions at top level, the rest under a main guard)."""
    code = textwrap.dedent(code)
    tree = ast.parse(code)
    top, main = [], []
    for node in tree.body:
        segment = ast.get_source_segment(code, node)
        kind = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
        (top if isinstance(node, kind) else main).append(segment)
    script = "\n\n".join(top) + '\n\n\nif __name__ == "__main__":\n' + textwrap.indent("\n".join(main), "    ") + "\n"
    path = os.path.join(folder, "example.py")
    with open(path, "w") as file:
        file.write(script)
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.abspath(SRC), MEDIA_TESTS]), **(env or {}))
    result = subprocess.run(
        [sys.executable, path], cwd=folder, capture_output=True, text=True, env=full_env, timeout=900
    )
    assert result.returncode == 0, f"{script}\n---\n{result.stderr[-4000:]}"
    return result.stdout


MODALITY_TABLE = """
import numpy as np
import torch
import trimesh
import pdfplumber
from PIL import Image as PILImage

import litdata as ld
from litdata import Audio, File, Graph, Image, Jpeg, JpegArray, Mesh, Nifti, Pdf, Pil, Tensor, Text, Tiff, Video
from litdata import StreamingDataset, optimize

import media_samples

def write_row(i):
    hwc = media_samples.rgb(seed=i)
    wave = media_samples.tone()
    frames = media_samples.frames()
    pil_img = PILImage.fromarray(hwc)
    mesh = trimesh.creation.box()
    vol = media_samples.volume()
    return {
        "caption_file": Text(path="a.txt"),
        "caption_bytes": Text(bytes="ünïcode".encode("utf-8")),
        "caption": Text(text="a caption"),
        "tokens": Tensor(array=torch.arange(16)),
        "image_path": Image(path="a.jpg"),
        "image_bytes": Image(bytes=open("a.jpg", "rb").read()),
        "image_array": Image(array=hwc, quality=95, format="jpeg"),
        "jpeg_path": Jpeg(path="a.jpg"),
        "jpeg_array": Jpeg(array=hwc, quality=95),
        "jpeg_frames": JpegArray(images=[Jpeg(path=p) for p in ["a.jpg", "a.jpg"]]),
        "pil_path": Pil(path="a.png"),
        "pil_image": Pil(image=pil_img, mode="RGB"),
        "tiff_path": Tiff(path="a.tif"),
        "tiff_array": Tiff(array=hwc[..., 0]),
        "audio_path": Audio(path="a.wav"),
        "audio_bytes": Audio(bytes=open("a.wav", "rb").read()),
        "audio_array": Audio(array=wave, sampling_rate=16000),
        "video_path": Video(path="c.mp4"),
        "video_bytes": Video(bytes=open("c.mp4", "rb").read()),
        "video_array": Video(array=frames, fps=25),
        "sidecar_path": File(path="doc.bin"),
        "sidecar_bytes": File(bytes=b"blob"),
        "pdf_path": Pdf(path="p.pdf"),
        "pdf_doc": Pdf(pdf=pdfplumber.open("p.pdf")),
        "mesh_path": Mesh(path="m.glb"),
        "mesh_obj": Mesh(mesh=mesh, file_type="glb"),
        "nifti_path": Nifti(path="v.nii.gz"),
        "nifti_array": Nifti(array=vol, affine=np.eye(4)),
        "numpy_file": np.load("a.npy"),
        "numpy_zeros": np.zeros((3, 4, 4)),
        "feat": Tensor(array=torch.randn(3, 4, 4)),
        "graph": Graph(x=torch.ones(3, 2), edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor(1)),
    }

media_samples.prepare_modality_inputs(".")
optimize(write_row, inputs=list(range(4)), output_dir="modality", num_workers=1, chunk_size=2)
row = StreamingDataset("modality")[0]
text = row["caption"]
assert isinstance(text, str) and row["caption_bytes"] == "ünïcode" and row["caption_file"] == "caption file"
assert row["tokens"].shape == (16,)
for name in ["image_path", "image_bytes", "image_array", "jpeg_path", "jpeg_array", "pil_path"]:
    image = row[name]
    assert image.shape == (3, 8, 6), (name, image.shape)  # Tensor CHW
images = row["jpeg_frames"]
assert images[0].shape == (3, 8, 6)
pil_img = row["pil_image"]
assert pil_img.size == (6, 8)
array = row["tiff_array"]
assert array.shape == (8, 6) and row["tiff_path"].shape == (8, 6)
for name in ["audio_path", "audio_bytes", "audio_array"]:
    audio = row[name]
    assert audio["array"].shape == (800,) and audio["sampling_rate"] == 16000
for name in ["video_path", "video_bytes", "video_array"]:
    video = row[name]
    assert video.get_frames_at(0).data.shape[0] == 1 and video.get_frames_in_range(0, 8).data.shape[0] == 4
sidecar = row["sidecar_bytes"]
assert sidecar == b"blob" and row["sidecar_path"] == b"0123"
pdf = row["pdf_path"]
assert pdf.pages[0].width == 40 and row["pdf_doc"].pages[1].width == 41
mesh = row["mesh_obj"]
assert len(mesh.to_geometry().vertices) == 8 and len(row["mesh_path"].to_geometry().vertices) == 8
nifti = row["nifti_array"]
assert nifti.get_fdata().shape == (2, 3, 4) and row["nifti_path"].get_fdata().shape == (2, 3, 4)
array = row["numpy_file"]
assert array.shape == (2, 2) and row["numpy_zeros"].shape == (3, 4, 4)
feat = row["feat"]
assert feat.shape == (3, 4, 4)
graph = row["graph"]
print("graph", graph.x.shape, graph.edge_index.shape)
"""


def test_the_modality_table_writes_and_streams_every_type(tmp_path):
    out = run_example(tmp_path, MODALITY_TABLE)
    assert "graph torch.Size([3, 2]) torch.Size([2, 2])" in out


TEMPORAL = """
import numpy as np
from litdata import StreamingDataset, TemporalArrayLoader, optimize

def episode(i):
    frames = 200 + i
    return {"clock": np.arange(frames, dtype=np.float64), "valid": np.ones(frames, dtype=bool),
            "obs": np.zeros((frames, 4), dtype=np.float32) + i}

optimize(episode, inputs=list(range(3)), output_dir="episodes", num_workers=1, chunk_size=2,
         item_loader=TemporalArrayLoader(field_groups=[["clock", "valid"]]))
index = 2
window = StreamingDataset("episodes", item_loader=TemporalArrayLoader()).read_window(index, start=7, frames=64)
assert window["clock"].tolist() == list(range(7, 71)) and window["obs"].shape == (64, 4)
print("window", sorted(window))
"""


def test_the_temporal_array_recipe_reads_a_window(tmp_path):
    assert "window ['clock', 'obs', 'valid']" in run_example(tmp_path, TEMPORAL)


DIRECT_IO = """
from litdata import StreamingDataset, TemporalArrayLoader

windows = StreamingDataset(
    "/mnt/dataset",
    item_loader=TemporalArrayLoader(),
    window_direct_io=True,
)
try:
    sample = windows.read_window(0, start=128, frames=64)
except OSError as error:
    print("refused:", error)
"""


def test_direct_window_reads_refuse_a_local_disk_with_a_clear_error(tmp_path):
    run_example(tmp_path, TEMPORAL)  # writes ./episodes (frames enough for the README's window)
    out = run_example(tmp_path, DIRECT_IO.replace("/mnt/dataset", str(tmp_path / "episodes")))
    assert "refused:" in out and "NFS" in out


HF = """
import litdata as ld

ld.optimize_hf("stanfordnlp/imdb", output_dir="imdb-opt", split="train")
dataset = ld.StreamingDataset("imdb-opt", shuffle=True, drop_last=True)
print("rows", len(dataset))
"""


def test_the_optimize_hf_example_runs_against_a_local_hub(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "hub" / "stanfordnlp" / "imdb" / "refs%2Fconvert%2Fparquet" / "plain_text" / "train"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"text": [f"review {i}" for i in range(7)], "label": [i % 2 for i in range(7)]}), folder / "0.parquet"
    )
    hub = FakeHub(str(tmp_path / "hub"))
    try:
        env = {
            "HF_ENDPOINT": hub.endpoint,
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "LITDATA_CACHE_DIR": str(tmp_path / "c"),
        }
        assert "rows 7" in run_example(tmp_path, HF, env)
    finally:
        hub.close()


PYG_HOMOGENEOUS = """
import torch
import torch.nn.functional as F
from torch_geometric.data import Data
from torch_geometric.nn import GCNConv, global_mean_pool

from litdata import StreamingDataLoader, StreamingDataset, optimize

def make_graph(i: int) -> Data:
    n = 8 + i % 5
    src = torch.randint(0, n, (12,), dtype=torch.long)
    dst = torch.randint(0, n, (12,), dtype=torch.long)
    return Data(
        x=torch.randn(n, 8),
        edge_index=torch.stack([src, dst], 0),
        y=torch.tensor(i % 3),
        train_mask=torch.ones(n, dtype=torch.bool),
        num_nodes=n,
    )

optimize(make_graph, inputs=list(range(1024)), output_dir="graphs", chunk_size=64)

dataset = StreamingDataset("graphs")
sample = dataset[0]  # Data when PyG is installed, else Graph
loader = StreamingDataLoader(dataset, batch_size=32, shuffle=True)
batch = next(iter(loader))  # DataBatch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GCNConv(8, 16)
        self.lin = torch.nn.Linear(16, 3)

    def forward(self, data):
        x = F.relu(self.conv(data.x, data.edge_index))
        return self.lin(global_mean_pool(x, data.batch))

print(type(sample).__name__, type(batch).__name__, batch.num_graphs, tuple(Net()(batch).shape))
"""


def test_the_pyg_gcn_example_trains_on_a_streamed_databatch(tmp_path):
    pytest.importorskip("torch_geometric")
    assert "Data DataBatch 32 (32, 3)" in run_example(tmp_path, PYG_HOMOGENEOUS)


GRAPH_WRAPPER = """
import torch

from litdata import Graph, optimize

def make_graph(i: int) -> Graph:
    n = 6
    return Graph(
        x=torch.randn(n, 4),
        edge_index=torch.tensor([[0, 1, 2], [1, 2, 0]], dtype=torch.long),
        y=torch.tensor(i % 2),
        data={"num_nodes": n},  # extra tensors/scalars; field kwargs override data=
    )

optimize(make_graph, inputs=list(range(256)), output_dir="graphs", chunk_bytes="64MB")  # added
# later: sample.to_pyg()  if the stream returned Graph

from litdata import StreamingDataset
sample = StreamingDataset("graphs")[3]
print(type(sample).__name__, sample.num_nodes, int(sample.y))
"""


def test_the_graph_wrapper_example(tmp_path):
    pytest.importorskip("torch_geometric")
    assert "Data 6 1" in run_example(tmp_path, GRAPH_WRAPPER)


HETERO = """
import torch
from torch_geometric.data import HeteroData

from litdata import StreamingDataLoader, StreamingDataset, optimize

def make_hetero(i: int) -> HeteroData:
    data = HeteroData()
    data["paper"].x = torch.randn(8, 16)
    data["author"].x = torch.randn(4, 8)
    data["author", "writes", "paper"].edge_index = torch.tensor(
        [[0, 1, 2, 3], [0, 2, 4, 6]], dtype=torch.long
    )
    data.y = torch.tensor(i % 3)
    return data

optimize(make_hetero, inputs=list(range(512)), output_dir="hetero", chunk_size=32)

dataset = StreamingDataset("hetero")
sample = dataset[0]  # HeteroData
print(sample["paper"].x.shape, sample["author", "writes", "paper"].edge_index.shape)

loader = StreamingDataLoader(dataset, batch_size=16)
batch = next(iter(loader))  # HeteroDataBatch
# batch["paper"].x, batch["paper"].batch, batch["author", "writes", "paper"].edge_index
print(type(batch).__name__, tuple(batch["paper"].x.shape), tuple(batch["paper"].batch.shape))
"""


def test_the_heterogeneous_graph_example(tmp_path):
    pytest.importorskip("torch_geometric")
    out = run_example(tmp_path, HETERO)
    assert "torch.Size([8, 16]) torch.Size([2, 4])" in out and "HeteroDataBatch (128, 16) (128,)" in out


GRAPH_ROWS = (
    PYG_HOMOGENEOUS.split("optimize(make_graph")[0]
    + """
def make_row(i: int) -> dict:
    return {"id": i, "graph": make_graph(i)}

optimize(make_row, inputs=list(range(1024)), output_dir="rows", chunk_bytes="64MB")  # added
loader = StreamingDataLoader(StreamingDataset("rows"), batch_size=8)
batch = next(iter(loader))
# batch["id"] is a tensor; batch["graph"] is a DataBatch
print(type(batch["id"]).__name__, type(batch["graph"]).__name__, batch["graph"].num_graphs)
"""
)


def test_the_graph_plus_metadata_example(tmp_path):
    pytest.importorskip("torch_geometric")
    assert "Tensor DataBatch 8" in run_example(tmp_path, GRAPH_ROWS)


MDS = """
import litdata as ld

# point to your MDS dataset stored locally or in the cloud

mds_dataset_uri = "s3://my-bucket/my-mds-data" # or a local path

# LitData automatically detects and deserializes the MDS format

dataset = ld.StreamingDataset(mds_dataset_uri)

print("Sample", dataset[0])

dataloader = ld.StreamingDataLoader(dataset, batch_size=4)
for sample in dataloader:
  pass
print("last", sample["id"].tolist())
"""


def test_the_mds_example_streams_an_mds_dataset(tmp_path):
    rows = [{"id": i, "text": f"t{i}", "vector": np.arange(3, dtype=np.float32) + i} for i in range(10)]
    folder = write_mds(str(tmp_path / "mds"), {"id": "int", "text": "str", "vector": "ndarray:float32:3"}, rows, "zstd")
    out = run_example(tmp_path, MDS.replace("s3://my-bucket/my-mds-data", folder))
    assert "Sample {'id': 0, 'text': 't0'" in out and "last [8, 9]" in out


CUSTOM_SERIALIZER = """
from litdata import StreamingDataset
from litdata.streaming.serializers import Serializer
from litdata.streaming.cache import Cache

class MyType:
    def __init__(self, value):
        self.value = value
    def to_bytes(self):
        return self.value.encode()
    @classmethod
    def from_bytes(cls, data):
        return cls(bytes(data).decode())

class MyTypeSerializer(Serializer):
    def serialize(self, item):
        return item.to_bytes(), None  # (bytes, optional metadata string)

    def deserialize(self, data: bytes):
        return MyType.from_bytes(data)

    def can_serialize(self, item) -> bool:
        return isinstance(item, MyType)

cache = Cache("data", chunk_size=2, serializers={"my_type": MyTypeSerializer()})
for i in range(3):
    cache[i] = {"value": MyType(f"v{i}")}
cache.done()
cache.merge()

dataset = StreamingDataset(
    "data",
    serializers={"my_type": MyTypeSerializer()},  # merged on top of built-ins
)
print("custom", [dataset[i]["value"].value for i in range(3)])
"""


def test_the_custom_serializer_example(tmp_path):
    assert "custom ['v0', 'v1', 'v2']" in run_example(tmp_path, CUSTOM_SERIALIZER)
