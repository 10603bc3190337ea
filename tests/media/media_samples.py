"""Small media inputs made on the fly (no downloads) and the sample functions optimize runs in spawned workers."""

from __future__ import annotations

import os

import numpy as np
import torch


def rgb(height: int = 8, width: int = 6, seed: int = 0) -> np.ndarray:
    """A deterministic (H, W, 3) uint8 image."""
    return ((np.arange(height * width * 3).reshape(height, width, 3) * (7 + seed)) % 251).astype(np.uint8)


def save_image(path: str, array: np.ndarray, **options) -> str:
    from PIL import Image

    Image.fromarray(array).save(path, **options)
    return path


def tone(samples: int = 800, rate: int = 8000, channels: int = 1) -> np.ndarray:
    """A float32 sine in [-0.5, 0.5]: (samples,) or (channels, samples)."""
    wave = 0.5 * np.sin(np.arange(samples) * 2 * np.pi * 440 / rate).astype(np.float32)
    return wave if channels == 1 else np.stack([wave * (c + 1) / channels for c in range(channels)])


def frames(count: int = 4, height: int = 16, width: int = 16) -> np.ndarray:
    """(N, H, W, 3) uint8 frames, each a flat colour, so lossy codecs keep them recognisable."""
    out = np.zeros((count, height, width, 3), np.uint8)
    for index in range(count):
        out[index] = (index * 60) % 256
    return out


def pdf_bytes(pages: int = 2) -> bytes:
    """A small, byte-for-byte deterministic PDF of ``pages`` empty pages (page ``k`` is ``40 + k`` points wide)."""
    kids = " ".join(f"{3 + page} 0 R" for page in range(pages))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>"]
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {40 + page} 30] >>" for page in range(pages)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def box_mesh():
    import trimesh

    return trimesh.creation.box(extents=(1.0, 2.0, 3.0))


def volume() -> np.ndarray:
    return np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)


def make_graph(i: int):
    """The README's PyG ``Data`` graph (with a fixed seed per input)."""
    from torch_geometric.data import Data

    generator = torch.Generator().manual_seed(i)
    n = 8 + i % 5
    src = torch.randint(0, n, (12,), dtype=torch.long, generator=generator)
    dst = torch.randint(0, n, (12,), dtype=torch.long, generator=generator)
    return Data(
        x=torch.randn(n, 8, generator=generator),
        edge_index=torch.stack([src, dst], 0),
        y=torch.tensor(i % 3),
        train_mask=torch.ones(n, dtype=torch.bool),
        num_nodes=n,
    )


def exists(path: str) -> bool:
    return os.path.exists(path)


def webdataset_samples(tar_path: str):
    """optimize fn: every sample of a WebDataset shard as a typed sample (the tar recipe)."""
    import litdata as ld

    for sample in ld.iter_webdataset_tar(tar_path):
        yield {
            "image": ld.Image(bytes=sample["jpg"]),
            "label": int(sample["cls"]),
            "caption": ld.Text(bytes=sample["txt"]),
            "key": sample["__key__"],
        }


def folder_sample(row: dict) -> dict:
    """optimize fn: one row of list_media_folder as a typed sample (the class-per-folder recipe)."""
    import litdata as ld

    return {"image": ld.Image(path=row["path"]), "label": row["label"]}


def shout(row: dict) -> dict:
    """optimize_hf fn: a row transformed (upper-cased text)."""
    return {"text": row["text"].upper(), "label": row["label"]}


def prepare_modality_inputs(folder: str) -> None:
    """The files the README's modality table names (a.txt, a.jpg, a.png, a.tif, a.wav, c.mp4, doc.bin, p.pdf,
    m.glb, v.nii.gz, a.npy), small and made here."""
    import gzip

    import av
    import nibabel
    import tifffile

    def path(name: str) -> str:
        return os.path.join(folder, name)

    with open(path("a.txt"), "w") as file:
        file.write("caption file")
    save_image(path("a.jpg"), rgb(), quality=90)
    save_image(path("a.png"), rgb())
    tifffile.imwrite(path("a.tif"), rgb()[..., 0])
    with open(path("a.wav"), "wb") as file:
        from litdata.format.media import wav_bytes

        file.write(wav_bytes(tone(rate=16000), 16000))
    with av.open(path("c.mp4"), mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        for frame in frames():
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with open(path("doc.bin"), "wb") as file:
        file.write(b"0123")
    with open(path("p.pdf"), "wb") as file:
        file.write(pdf_bytes(pages=2))
    with open(path("m.glb"), "wb") as file:
        file.write(box_mesh().export(file_type="glb"))
    with open(path("v.nii.gz"), "wb") as file:
        file.write(gzip.compress(nibabel.Nifti1Image(volume(), np.eye(4)).to_bytes()))
    np.save(path("a.npy"), np.zeros((2, 2)))
