"""Typed media leaves (`litdata.types`): what each wrapper stores, under which data_format, and what streams back."""

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import media_samples as samples
import numpy as np
import pytest
import torch
from PIL import Image as PILImage

import litdata as ld
from litdata.format.media import jpeg_quality
from litdata.streaming.serializers import _SERIALIZERS, select_serializer, serializer_for_format

from helpers import build_dataset

# The public names of LitData 0.2.76 (`litdata.__all__`), less those of the next issue (affinity, keyed datasets).
REFERENCE_NAMES = {
    "StreamingDataset", "StreamingRawDataset", "CombinedStreamingDataset", "StreamingDataLoader", "litdata_collate",
    "TokensLoader", "ParallelStreamingDataset", "map", "optimize", "walk", "train_test_split", "merge_datasets",
    "index_parquet_dataset", "index_hf_dataset", "breakpoint", "ChunkWaitTimeoutError", "Audio", "Video", "Image",
    "Jpeg", "JpegArray", "Pil", "Tiff", "File", "Mesh", "Pdf", "Nifti", "Tensor", "Text", "Graph",
}  # fmt: skip
TYPE_NAMES = ["Image", "Jpeg", "JpegArray", "Pil", "Tiff", "Tensor", "Audio", "Video", "Pdf", "Mesh", "Nifti", "Graph"]


def write(item):
    """``(data_format, bytes)`` as the writer would store ``item``."""
    key, serializer = select_serializer(item, _SERIALIZERS)
    data, data_format = serializer.serialize(item)
    return data_format or key, bytes(data)


def read(data_format, data):
    return serializer_for_format(data_format, _SERIALIZERS).deserialize(data)


def stream(tmp_path, items):
    """Write ``items`` as one-leaf samples into a dataset and read them all back through StreamingDataset."""
    folder = build_dataset(tmp_path / "ds", len(items), chunk_size=3, make=lambda i: {"leaf": items[i], "i": i})
    dataset = ld.StreamingDataset(folder)
    return [dataset[i]["leaf"] for i in range(len(dataset))], json.load(open(os.path.join(folder, "index.json")))


def test_every_media_name_resolves_from_the_package_and_from_litdata_types():
    import litdata.types as types

    for name in TYPE_NAMES + ["Text", "File"]:
        assert getattr(ld, name) is getattr(types, name)
    assert set(ld.__all__) >= REFERENCE_NAMES
    assert set(dir(ld)) >= REFERENCE_NAMES


def test_text_and_file_keep_their_old_import_path():
    from litdata.streaming.typed import File, Text

    assert Text is ld.Text and File is ld.File


def test_wrappers_take_the_constructor_arguments_of_litdata():
    ld.Image(path="a.jpg", quality=95, format="jpeg", mode="RGB", max_quality=90)
    ld.Jpeg(array=samples.rgb(), quality=95)
    ld.JpegArray(images=[ld.Jpeg(bytes=b"")], quality=90, max_quality=None)
    ld.Pil(image=None, mode="RGB")
    ld.Tiff(array=np.zeros((2, 2)))
    ld.Tensor(array=np.zeros(2), dtype=torch.float16)
    ld.Audio(array=samples.tone(), sampling_rate=8000, num_channels=1, stream_index=0)
    ld.Video(array=samples.frames(), fps=25, dimension_order="NHWC", seek_mode="exact")
    ld.Pdf(pdf=None)
    ld.Mesh(mesh=None, file_type="ply")
    ld.Nifti(array=samples.volume(), affine=np.eye(4))
    ld.Graph(x=1, edge_index=2, edge_attr=3, y=4, pos=5, batch=6, data={})


def test_image_paths_and_bytes_are_stored_as_they_are(tmp_path):
    path = samples.save_image(str(tmp_path / "a.png"), samples.rgb())
    assert write(ld.Image(path=path)) == ("image:png", Path(path).read_bytes())
    assert write(ld.Image(bytes=b"\xff\xd8\xffjpeg")) == ("image:jpg", b"\xff\xd8\xffjpeg")
    assert write(ld.Pil(path=path))[0] == "image:png"
    assert write(ld.Jpeg(path=path))[0] == "image:png"


def test_image_arrays_encode_as_png_by_default_and_as_jpeg_at_the_given_quality():
    data_format, data = write(ld.Image(array=samples.rgb()))
    assert data_format == "image:png" and data.startswith(b"\x89PNG")
    data_format, data = write(ld.Image(array=samples.rgb(), quality=80, format="jpeg"))
    assert data_format == "image:jpg" and jpeg_quality(data) == 80


def test_images_stream_back_as_chw_uint8_rgb_tensors(tmp_path):
    path = samples.save_image(str(tmp_path / "a.jpg"), samples.rgb(), quality=90)
    items = [ld.Image(path=path), ld.Image(array=samples.rgb()), ld.Jpeg(array=samples.rgb()), ld.Pil(path=path)]
    images = [stream(tmp_path / str(position), [item])[0][0] for position, item in enumerate(items)]
    for image in images:
        assert isinstance(image, torch.Tensor) and image.dtype == torch.uint8 and image.shape == (3, 8, 6)
    assert torch.equal(images[1], torch.from_numpy(samples.rgb()).permute(2, 0, 1))  # PNG is lossless


def test_jpeg_keeps_jpegs_up_to_quality_95_and_reencodes_anything_else_at_95():
    def encoded(quality):
        buffer = io.BytesIO()
        PILImage.fromarray(samples.rgb()).save(buffer, format="JPEG", quality=quality)
        return buffer.getvalue()

    assert write(ld.Jpeg(bytes=encoded(90))) == ("jpeg", encoded(90))
    assert jpeg_quality(write(ld.Jpeg(bytes=encoded(100)))[1]) == 95
    assert write(ld.Jpeg(bytes=encoded(100), max_quality=None))[1] == encoded(100)
    assert jpeg_quality(write(ld.Jpeg(array=samples.rgb()))[1]) == 95


def test_a_jpeg_array_stores_count_sizes_and_frames_and_streams_a_list_of_tensors(tmp_path):
    item = ld.JpegArray(images=[ld.Jpeg(array=samples.rgb(seed=s)) for s in range(3)])
    data_format, data = write(item)
    count, *sizes = struct.unpack_from("<4I", data)
    assert data_format == "jpeg_array" and count == 3 and len(data) == 16 + sum(sizes)
    (frames,), _ = stream(tmp_path, [item])
    assert [tuple(frame.shape) for frame in frames] == [(3, 8, 6)] * 3


def test_pil_wrappers_stream_back_as_pil_images_in_the_requested_mode(tmp_path):
    (image,), _ = stream(tmp_path, [ld.Pil(array=samples.rgb(), mode="L")])
    assert isinstance(image, PILImage.Image) and image.mode == "L" and image.size == (6, 8)


def test_tiff_is_recorded_under_a_name_litdata_reads_and_streams_a_numpy_array(tmp_path):
    plane = samples.rgb()[..., 0]
    assert write(ld.Tiff(array=plane))[0] == "tifffile"
    assert serializer_for_format("tiff", _SERIALIZERS).deserialize(write(ld.Tiff(array=plane))[1]).shape == (8, 6)
    (array,), _ = stream(tmp_path, [ld.Tiff(array=plane)])
    np.testing.assert_array_equal(array, plane)


def test_tensor_wrappers_pick_the_headerless_layout_for_1d_and_cast_to_dtype(tmp_path):
    assert write(ld.Tensor(array=np.arange(6, dtype=np.int16)))[0] == "no_header_tensor:14"
    assert write(ld.Tensor(array=np.arange(6), dtype=torch.float16))[0] == "no_header_tensor:9"
    assert write(ld.Tensor(array=torch.ones(2, 3)))[0] == "tensor"
    items = [ld.Tensor(array=torch.arange(12.0).reshape(3, 4)), ld.Tensor(bytes=b"\x01\x00\x02\x00", dtype=torch.int16)]
    (matrix, vector), _ = stream(tmp_path, items)
    assert torch.equal(matrix, torch.arange(12.0).reshape(3, 4))
    assert torch.equal(vector, torch.tensor([1, 2], dtype=torch.int16))


def test_audio_arrays_become_16_bit_wav_and_stream_back_as_array_and_sampling_rate(tmp_path):
    data_format, data = write(ld.Audio(array=samples.tone(), sampling_rate=8000))
    assert data_format == "audio:wav" and data[:4] == b"RIFF" and len(data) == 44 + 800 * 2
    (mono, stereo), _ = stream(
        tmp_path,
        [
            ld.Audio(array=samples.tone(), sampling_rate=8000),
            ld.Audio(array=samples.tone(channels=2), sampling_rate=16000),
        ],
    )
    assert mono["sampling_rate"] == 8000 and mono["array"].shape == (800,)
    np.testing.assert_allclose(mono["array"], samples.tone(), atol=1e-4)
    assert stereo["sampling_rate"] == 16000 and stereo["array"].shape == (2, 800)


def test_audio_files_are_stored_as_they_are_and_flac_decodes_with_the_audio_extra(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    path = str(tmp_path / "a.flac")
    soundfile.write(path, samples.tone(), 8000)
    assert write(ld.Audio(path=path)) == ("audio:flac", Path(path).read_bytes())
    (audio,), _ = stream(tmp_path, [ld.Audio(path=path)])
    np.testing.assert_allclose(audio["array"], samples.tone(), atol=1e-3)


def test_video_arrays_encode_as_mp4_and_stream_a_frame_decoder(tmp_path):
    pytest.importorskip("av")
    assert write(ld.Video(array=samples.frames(), fps=5))[0] == "video:mp4"
    (video,), _ = stream(tmp_path, [ld.Video(array=samples.frames(), fps=5)])
    assert video.get_frames_at(0).data.shape == (1, 3, 16, 16)
    batch = video.get_frames_in_range(0, 4)
    assert batch.data.shape == (4, 3, 16, 16)
    means = batch.data.float().mean(dim=(1, 2, 3))
    assert torch.allclose(means, torch.tensor([0.0, 60.0, 120.0, 180.0]), atol=6)


def test_pdfs_stream_back_as_pdfplumber_documents(tmp_path):
    pytest.importorskip("pdfplumber")
    data = samples.pdf_bytes(pages=2)
    assert write(ld.Pdf(bytes=data)) == ("pdf", data)
    (pdf,), _ = stream(tmp_path, [ld.Pdf(bytes=data)])
    assert len(pdf.pages) == 2 and pdf.pages[1].width == 41


def test_meshes_are_exported_as_their_file_type_and_stream_back_with_trimesh(tmp_path):
    pytest.importorskip("trimesh")
    assert write(ld.Mesh(mesh=samples.box_mesh(), file_type="ply"))[0] == "mesh:ply"
    (mesh,), _ = stream(tmp_path, [ld.Mesh(mesh=samples.box_mesh(), file_type="ply")])
    np.testing.assert_allclose(mesh.extents, [1.0, 2.0, 3.0])


def test_nifti_volumes_stream_back_as_nibabel_images(tmp_path):
    pytest.importorskip("nibabel")
    assert write(ld.Nifti(array=samples.volume(), affine=np.eye(4)))[0] == "nifti:nii"
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    (image,), _ = stream(tmp_path, [ld.Nifti(array=samples.volume(), affine=affine)])
    np.testing.assert_array_equal(image.get_fdata(), samples.volume())
    np.testing.assert_array_equal(image.affine, affine)


def test_graphs_stream_back_as_pyg_data_and_batch_into_a_databatch(tmp_path):
    pytest.importorskip("torch_geometric")
    items = [samples.make_graph(i) for i in range(4)]
    graphs, index = stream(tmp_path, items)
    assert "graph" in index["config"]["data_format"]
    for original, graph in zip(items, graphs):
        assert (
            type(graph).__name__ == "Data"
            and torch.equal(graph.x, original.x)
            and graph.num_nodes == original.num_nodes
        )
    folder = build_dataset(tmp_path / "rows", 4, chunk_size=2, make=lambda i: {"id": i, "graph": items[i]})
    batch = next(iter(ld.StreamingDataLoader(ld.StreamingDataset(folder), batch_size=4)))
    assert torch.equal(batch["id"], torch.arange(4))
    assert type(batch["graph"]).__name__ == "DataBatch" and batch["graph"].num_graphs == 4


def test_a_graph_wrapper_converts_to_pyg_and_opaque_graph_data_is_pickled(tmp_path):
    pytest.importorskip("torch_geometric")
    networkx = pytest.importorskip("networkx")
    graph = ld.Graph(x=torch.ones(3, 2), edge_index=torch.tensor([[0, 1], [1, 2]]), data={"num_nodes": 3})
    assert graph.to_pyg().num_nodes == 3
    assert write(ld.Graph(data=networkx.path_graph(3)))[0] == "graph:pickle"
    (unpickled,), _ = stream(tmp_path / "nx", [ld.Graph(data=networkx.path_graph(3))])
    assert isinstance(unpickled, networkx.Graph) and unpickled.number_of_nodes() == 3  # as LitData 0.2.76
    (data,), _ = stream(tmp_path / "pyg", [graph])
    assert torch.equal(data.x, torch.ones(3, 2))


def test_heterogeneous_graphs_round_trip(tmp_path):
    torch_geometric = pytest.importorskip("torch_geometric")
    hetero = torch_geometric.data.HeteroData()
    hetero["paper"].x = torch.randn(8, 16)
    hetero["author", "writes", "paper"].edge_index = torch.tensor([[0, 1], [2, 3]])
    hetero.y = torch.tensor(2)
    (back,), _ = stream(tmp_path, [hetero])
    assert torch.equal(back["paper"].x, hetero["paper"].x)
    assert torch.equal(back["author", "writes", "paper"].edge_index, hetero["author", "writes", "paper"].edge_index)


def test_wrappers_without_a_library_use_pickle_and_a_tensor_path_is_kept_as_a_wrapper():
    data_format, data = write(ld.Tensor(path="t.npy"))
    assert data_format == "pickle" and pickle.loads(data) == ld.Tensor(path="t.npy")


@pytest.mark.parametrize(
    ("module", "extra", "item"),
    [
        ("pdfplumber", "pdf", "ld.Pdf(bytes=b'%PDF-1.4')"),
        ("trimesh", "mesh", "ld.Mesh(bytes=b'ply', file_type='ply')"),
        ("nibabel", "nifti", "ld.Nifti(bytes=b'x' * 352)"),
        ("av", "video", "ld.Video(bytes=b'x')"),
        ("soundfile", "audio", "ld.Audio(bytes=b'fLaC')"),
    ],
)
def test_a_missing_optional_library_names_the_extra_to_install(tmp_path, module, extra, item):
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules[{module!r}] = None
        sys.path.insert(0, {os.path.dirname(__file__) + "/../streaming"!r})
        import litdata as ld
        from helpers import build_dataset
        folder = build_dataset({str(tmp_path / "ds")!r}, 1, make=lambda i: {item})
        try:
            ld.StreamingDataset(folder)[0]
        except ModuleNotFoundError as error:
            print(error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert f"pip install 'litdata[{extra}]'" in result.stdout, result.stderr[-2000:]
