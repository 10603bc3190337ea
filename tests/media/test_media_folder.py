"""iter_webdataset_tar and list_media_folder, and optimize over what they return, on shards written by webdataset."""

import io
import os
import pickle
import subprocess
import sys
import textwrap

import media_samples as samples
import numpy as np
import pytest
import torch
from PIL import Image

import litdata as ld

from testpaths import TESTS_DIR

webdataset = pytest.importorskip("webdataset")
REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")


def _jpeg(i: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(samples.rgb(seed=i)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def shards(tmp_path) -> list[str]:
    """Two WebDataset shards of 4 samples each (jpg, cls, txt, json), written by the webdataset package."""
    paths = []
    for shard in range(2):
        path = str(tmp_path / f"shard-{shard:03d}.tar")
        with webdataset.TarWriter(path) as sink:
            for k in range(4):
                i = 4 * shard + k
                sink.write(
                    {"__key__": f"s{i:04d}", "jpg": _jpeg(i), "cls": i % 3, "txt": f"caption {i}", "json": {"i": i}}
                )
        paths.append(path)
    return paths


@pytest.fixture
def media_folder(tmp_path) -> str:
    root = tmp_path / "pets"
    for label in ("cat", "dog"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            samples.save_image(str(root / label / f"{i}.png"), samples.rgb(seed=i + (label == "dog")))
    (root / "cat" / "notes.txt").write_text("not an image")
    samples.save_image(str(root / "unlabelled.jpg"), samples.rgb())
    return str(root)


def test_a_tar_shard_yields_the_samples_webdataset_itself_reads(shards):
    ours = list(ld.iter_webdataset_tar(shards[0]))
    theirs = list(webdataset.WebDataset(shards[0], shardshuffle=False))
    assert [sample["__key__"] for sample in ours] == [f"s{i:04d}" for i in range(4)]
    for mine, their in zip(ours, theirs):
        assert mine["__url__"] == shards[0]
        assert {k: v for k, v in mine.items() if not k.startswith("__")} == {
            k: v for k, v in their.items() if not k.startswith("__")
        }


def test_optimize_over_tar_shards_streams_typed_samples_back(shards, tmp_path):
    ld.optimize(
        fn=samples.webdataset_samples, inputs=shards, output_dir=str(tmp_path / "out"), num_workers=2, chunk_size=3
    )
    dataset = ld.StreamingDataset(str(tmp_path / "out"))
    by_key = {sample["key"]: sample for sample in dataset}
    assert sorted(by_key) == [f"s{i:04d}" for i in range(8)]
    for i in range(8):
        sample = by_key[f"s{i:04d}"]
        assert sample["label"] == i % 3 and sample["caption"] == f"caption {i}"
        assert isinstance(sample["image"], torch.Tensor) and sample["image"].shape == (3, 8, 6)


def test_a_media_folder_lists_one_kind_sorted_with_folder_labels(media_folder):
    rows = ld.list_media_folder(media_folder)
    names = [os.path.relpath(row["path"], media_folder) for row in rows]
    assert names == ["cat/0.png", "cat/1.png", "cat/2.png", "dog/0.png", "dog/1.png", "dog/2.png", "unlabelled.jpg"]
    assert [row["label"] for row in rows] == ["cat"] * 3 + ["dog"] * 3 + [None]
    assert all(row["label"] is None for row in ld.list_media_folder(media_folder, drop_labels=True))
    assert [os.path.basename(r["path"]) for r in ld.list_media_folder(media_folder, kind="text")] == ["notes.txt"]
    with pytest.raises(ValueError, match="Unknown media kind"):
        ld.list_media_folder(media_folder, kind="hologram")


def test_optimize_over_a_media_folder_streams_images_with_labels(media_folder, tmp_path):
    rows = [row for row in ld.list_media_folder(media_folder) if row["label"] is not None]
    ld.optimize(fn=samples.folder_sample, inputs=rows, output_dir=str(tmp_path / "out"), num_workers=1, chunk_size=4)
    dataset = ld.StreamingDataset(str(tmp_path / "out"))
    assert [sample["label"] for sample in dataset] == ["cat"] * 3 + ["dog"] * 3
    expected = torch.from_numpy(samples.rgb(seed=1)).permute(2, 0, 1)
    assert torch.equal(dataset[3]["image"], expected)  # dog/0.png, lossless


REFERENCE_SCRIPT = textwrap.dedent(
    """
    import pickle, sys
    import litdata
    assert litdata.__version__ == "0.2.76", litdata.__file__
    out = {"tar": list(litdata.iter_webdataset_tar(sys.argv[1])),
           "folder": {kind: litdata.list_media_folder(sys.argv[2], kind=kind) for kind in ("image", "text", "audio")},
           "unlabelled": litdata.list_media_folder(sys.argv[2], drop_labels=True)}
    pickle.dump(out, open(sys.argv[3], "wb"))
    """
)


def test_both_return_what_litdata_0_2_76_returns(shards, media_folder, tmp_path):
    out = str(tmp_path / "ref.pkl")
    env = dict(os.environ, PYTHONPATH=REFERENCE)
    command = [sys.executable, "-c", REFERENCE_SCRIPT, shards[1], media_folder, out]
    result = subprocess.run(command, capture_output=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    with open(out, "rb") as file:
        theirs = pickle.load(file)
    assert list(ld.iter_webdataset_tar(shards[1])) == theirs["tar"]
    assert {kind: ld.list_media_folder(media_folder, kind=kind) for kind in ("image", "text", "audio")} == theirs[
        "folder"
    ]
    assert ld.list_media_folder(media_folder, drop_labels=True) == theirs["unlabelled"]
    assert np.all([row["label"] is None for row in theirs["unlabelled"]])
