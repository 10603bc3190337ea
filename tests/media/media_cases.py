"""One case per media type, shared by the golden-data recorder (run with the real LitData 0.2.76) and our tests.

``make(case, i)`` builds sample ``i`` of a case with whichever ``litdata`` is importable (the wrappers take the same
arguments in both); the files of the path cases are read from ``INPUTS``, so both writers embed the same bytes.
``describe(sample)`` turns a decoded sample into plain tuples that compare across readers and pickle without either
library. ``expected(case, i)`` is what sample ``i`` must decode to, computed from the inputs without LitData, for the
kinds the reference cannot decode here (it needs torchvision for images and torchcodec for audio and video).
"""

from __future__ import annotations

import io
import os

import media_samples as samples
import numpy as np
import torch

# The input files of the path cases, shipped beside the golden data so both writers embed the same bytes whatever
# the installed codecs (the recorder creates any that are missing).
INPUTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "media-0.2.76", "inputs")
NUM_ITEMS = 2
CASES = [
    "image_path_png",
    "image_array_jpeg",
    "image_bytes",
    "jpeg_array",
    "jpeg_list",
    "pil_mode",
    "tiff_array",
    "tensors",
    "audio_array",
    "audio_flac",
    "video_path",
    "pdf_bytes",
    "mesh_ply",
    "nifti_array",
    "graph_data",
    "graph_wrapper",
    "graph_hetero",
    "graph_networkx",
    "text_and_file",
]
# Kinds the reference release cannot decode on this machine (torchvision / torchcodec are not importable).
REFERENCE_CANNOT_DECODE = {"image_path_png", "image_array_jpeg", "image_bytes", "jpeg_array", "jpeg_list"}
REFERENCE_CANNOT_DECODE |= {"audio_array", "audio_flac", "video_path"}
# LitData 0.2.76 records Tiff leaves as "tiff" and then cannot resolve that name when reading its own dataset.
REFERENCE_CANNOT_READ_ITS_OWN = {"tiff_array"}


def _input(name: str, build) -> str:
    path = os.path.join(INPUTS, name)
    if not os.path.exists(path):
        os.makedirs(INPUTS, exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        build(partial)
        os.replace(partial, path)
    return path


def _jpeg(i: int, quality: int = 90) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(samples.rgb(seed=i)).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _flac(i: int) -> str:
    import soundfile

    return _input(f"tone{i}.flac", lambda p: soundfile.write(p, samples.tone(400 + 100 * i), 8000, format="FLAC"))


def _mp4(i: int) -> str:
    from litdata.types import Video  # noqa: F401  (only to fail early without litdata)

    def build(path: str) -> None:
        import av

        with av.open(path, mode="w", format="mp4") as container:
            stream = container.add_stream("mpeg4", rate=5)
            stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
            for frame in samples.frames(3 + i):
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    return _input(f"clip{i}.mp4", build)


def make(case: str, i: int):
    import litdata as ld

    if case == "image_path_png":
        path = _input(f"img{i}.png", lambda p: samples.save_image(p, samples.rgb(seed=i), format="PNG"))
        return {"id": i, "image": ld.Image(path=path)}
    if case == "image_array_jpeg":
        return {"id": i, "image": ld.Image(array=samples.rgb(seed=i), quality=90, format="jpeg")}
    if case == "image_bytes":
        return {"id": i, "image": ld.Image(bytes=_jpeg(i))}
    if case == "jpeg_array":
        return {"id": i, "image": ld.Jpeg(array=samples.rgb(seed=i))}
    if case == "jpeg_list":
        return {"id": i, "frames": ld.JpegArray(images=[ld.Jpeg(array=samples.rgb(seed=i + k)) for k in range(2)])}
    if case == "pil_mode":
        return {"id": i, "image": ld.Pil(array=samples.rgb(seed=i), mode="L")}
    if case == "tiff_array":
        return {"id": i, "plane": ld.Tiff(array=samples.rgb(seed=i)[..., 0])}
    if case == "tensors":
        matrix = ld.Tensor(array=torch.arange(12.0).reshape(3, 4) + i)
        return {"id": i, "matrix": matrix, "ids": ld.Tensor(array=np.arange(5, dtype=np.int16) * i)}
    if case == "audio_array":
        return {"id": i, "audio": ld.Audio(array=samples.tone(300 + 50 * i, channels=1 + i), sampling_rate=8000)}
    if case == "audio_flac":
        return {"id": i, "audio": ld.Audio(path=_flac(i))}
    if case == "video_path":
        return {"id": i, "video": ld.Video(path=_mp4(i))}
    if case == "pdf_bytes":
        return {"id": i, "pdf": ld.Pdf(bytes=samples.pdf_bytes(pages=1 + i))}
    if case == "mesh_ply":
        import trimesh

        return {"id": i, "mesh": ld.Mesh(mesh=trimesh.creation.box(extents=(1.0, 2.0, 3.0 + i)), file_type="ply")}
    if case == "nifti_array":
        return {"id": i, "volume": ld.Nifti(array=samples.volume() + i, affine=np.diag([1.0, 2.0, 3.0, 1.0]))}
    if case == "graph_data":
        return {"id": i, "graph": samples.make_graph(i)}
    if case == "graph_wrapper":
        edges = torch.tensor([[0, 1, 2], [1, 2, 0]], dtype=torch.long)
        return ld.Graph(x=torch.arange(12.0).reshape(6, 2) + i, edge_index=edges, y=torch.tensor(i % 2), data={"n": 6})
    if case == "graph_hetero":
        from torch_geometric.data import HeteroData

        data = HeteroData()
        data["paper"].x = torch.arange(8.0).reshape(4, 2) + i
        data["author", "writes", "paper"].edge_index = torch.tensor([[0, 1], [2, 3]])
        data.y = torch.tensor(i)
        return data
    if case == "graph_networkx":
        import networkx

        return {"id": i, "graph": ld.Graph(data=networkx.path_graph(3 + i))}
    if case == "text_and_file":
        return {"id": i, "caption": ld.Text(text=f"caption {i} é"), "blob": ld.File(bytes=bytes(range(i, i + 9)))}
    raise KeyError(case)


def make_fn(case: str):
    """A picklable ``fn(i)`` for optimize (spawned workers import this module by name)."""
    import functools

    return functools.partial(make, case)


def describe(x):
    """Plain tuples for a decoded sample: tensors/arrays by bytes, media objects by what a user reads from them."""
    import torch
    from PIL import Image

    kind = type(x).__name__
    module = type(x).__module__
    if isinstance(x, torch.Tensor):
        return ("tensor", str(x.dtype), tuple(x.shape), x.contiguous().numpy().tobytes())
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.shape, x.tobytes())
    if isinstance(x, np.generic):
        return ("scalar", x.item())
    if isinstance(x, Image.Image):
        return ("pil", x.mode, x.size, x.tobytes())
    if isinstance(x, (bytes, bytearray, memoryview)):
        return ("bytes", bytes(x))
    if module.startswith("nibabel"):
        return ("nifti", describe(np.asarray(x.get_fdata())), describe(np.asarray(x.affine)))
    if module.startswith("trimesh"):
        return ("mesh", kind, describe(np.round(np.asarray(x.vertices), 6)), describe(np.asarray(x.faces)))
    if module.startswith("pdfplumber"):
        return ("pdf", [(float(page.width), float(page.height)) for page in x.pages])
    if module.startswith("torch_geometric"):
        return ("pyg", kind, describe(x.to_dict()))
    if module.startswith("networkx"):
        return ("networkx", sorted(x.nodes), sorted(x.edges))
    if kind == "Graph":
        fields = {name: getattr(x, name) for name in ("x", "edge_index", "edge_attr", "y", "pos", "batch")}
        return ("Graph", describe(fields), describe(x.data))
    if hasattr(x, "get_frames_in_range"):
        return ("video", describe(x.get_frames_in_range(0, len(x)).data))
    if isinstance(x, dict) or (hasattr(x, "__getitem__") and kind.endswith("AudioDecoder")):
        if not isinstance(x, dict):
            return ("audio", describe(np.asarray(x["array"])), x["sampling_rate"])
        if set(x) >= {"array", "sampling_rate"}:
            return ("audio", describe(np.asarray(x["array"])), x["sampling_rate"])
        return {key: describe(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [describe(v) for v in x])
    return x


def _chw(array: np.ndarray):
    return describe(torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1))))


def _decoded_jpeg(data: bytes):
    from PIL import Image

    return _chw(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def _pil_jpeg(array: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _pcm16(array: np.ndarray) -> np.ndarray:
    return (np.clip(array, -1, 1) * 32767.0).astype(np.int16).astype(np.float32) / 32768.0


def expected(case: str, i: int):
    """The decoded sample ``i`` (as :func:`describe` gives it) for cases the reference cannot decode here."""
    if case == "image_path_png":
        return {"id": i, "image": _chw(samples.rgb(seed=i))}
    if case == "image_array_jpeg":
        return {"id": i, "image": _decoded_jpeg(_pil_jpeg(samples.rgb(seed=i), 90))}
    if case == "image_bytes":
        return {"id": i, "image": _decoded_jpeg(_jpeg(i))}
    if case == "jpeg_array":
        return {"id": i, "image": _decoded_jpeg(_pil_jpeg(samples.rgb(seed=i), 95))}
    if case == "jpeg_list":
        frames = [_decoded_jpeg(_pil_jpeg(samples.rgb(seed=i + k), 95)) for k in range(2)]
        return {"id": i, "frames": ("list", frames)}
    if case == "tiff_array":
        return {"id": i, "plane": describe(samples.rgb(seed=i)[..., 0].copy())}
    if case == "audio_array":
        wave = _pcm16(samples.tone(300 + 50 * i, channels=1 + i))
        return {"id": i, "audio": ("audio", describe(wave), 8000)}
    if case == "audio_flac":
        import soundfile

        wave, rate = soundfile.read(_flac(i), dtype="float32")
        return {"id": i, "audio": ("audio", describe(wave), rate)}
    if case == "video_path":
        import av

        with av.open(_mp4(i)) as container:
            frames = np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])
        return {"id": i, "video": ("video", describe(torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()))}
    raise KeyError(case)
