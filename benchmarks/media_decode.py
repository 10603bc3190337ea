"""Decode throughput of media leaves (Image, Jpeg, Audio): ours vs LitData 0.2.76, items/s through StreamingDataset.

Usage: python benchmarks/media_decode.py [--items 400] [--reference .cache/reference-litdata]

Each implementation runs in its own subprocess (ours with ``src`` on PYTHONPATH, the reference with its install
folder): it writes one dataset per case with its own ``optimize``-free ``Cache`` writer, then iterates it twice and
reports the faster pass. LitData 0.2.76 decodes images with torchvision and audio with torchcodec; where those do
not import, its row says so instead of a number. JPEGs carrying EXIF go through Pillow in 0.2.76 too: that row
compares both decoders on the same path.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ("image_png_64", "jpeg_224", "jpeg_exif_224", "audio_wav_1s")


def _jpeg_with_exif(array) -> bytes:
    from PIL import Image

    image = Image.fromarray(array)
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: normal
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def make_leaf(case: str, i: int):
    import numpy as np

    import litdata as ld

    rng = np.random.default_rng(i)
    if case == "image_png_64":
        return ld.Image(array=rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    if case == "jpeg_224":
        return ld.Jpeg(array=rng.integers(0, 255, (224, 224, 3), dtype=np.uint8))
    if case == "jpeg_exif_224":
        return ld.Jpeg(bytes=_jpeg_with_exif(rng.integers(0, 255, (224, 224, 3), dtype=np.uint8)))
    if case == "audio_wav_1s":
        return ld.Audio(array=np.sin(np.arange(16000) / (5 + i % 7)).astype(np.float32) * 0.5, sampling_rate=16000)
    raise KeyError(case)


def worker(items: int, root: str) -> dict:
    """Write and read every case with the litdata on sys.path; returns {case: items/s or an error}."""
    import litdata as ld
    from litdata.streaming.cache import Cache

    results: dict = {"version": ld.__version__}
    for case in CASES:
        folder = os.path.join(root, case)
        cache = Cache(folder, chunk_bytes="16MB")
        for i in range(items):
            cache[i] = {"leaf": make_leaf(case, i)}
        cache.done()
        cache.merge()
        best = None
        try:
            for _ in range(2):
                dataset = ld.StreamingDataset(folder)
                start = time.perf_counter()
                for sample in dataset:
                    assert sample["leaf"] is not None
                rate = items / (time.perf_counter() - start)
                best = rate if best is None else max(best, rate)
            results[case] = round(best, 1)
        except Exception as error:  # the reference cannot decode some kinds without torchvision/torchcodec
            results[case] = f"n/a ({type(error).__name__}: {str(error).splitlines()[0][:60]})"
    return results


def run(name: str, pythonpath: str, items: int) -> dict:
    with tempfile.TemporaryDirectory() as root:
        env = dict(os.environ, PYTHONPATH=pythonpath)
        command = [sys.executable, os.path.abspath(__file__), "--worker", "--items", str(items), "--root", root]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
        if result.returncode != 0:
            return {case: f"failed: {result.stderr.strip().splitlines()[-1][:80]}" for case in CASES}
        return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--reference", default=os.path.join(HERE, "..", ".cache", "reference-litdata"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.items, args.root)))
        return
    ours = run("ours", os.path.join(HERE, "..", "src"), args.items)
    theirs = run("LitData 0.2.76", os.path.abspath(args.reference), args.items)
    print(f"{'decode (items/s)':<18} {'ours':>12} {'LitData ' + str(theirs.get('version', '?')):>16}")
    for case in CASES:
        print(f"{case:<18} {ours[case]!s:>12} {theirs[case]!s:>16}")


if __name__ == "__main__":
    main()
