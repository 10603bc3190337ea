"""MDS datasets written during the test run by MosaicML Streaming's own ``MDSWriter`` (mosaicml-streaming).

``make mosaic-writer`` installs mosaicml-streaming beside (never into) the venv, into ``.cache/mosaic-streaming``
(``LITDATA_MOSAIC_PATH``), with only the small packages its writer imports (Brotli, python-snappy, cramjam, zstd).
The writer runs in a subprocess with that folder on ``PYTHONPATH``. ``streaming/__init__.py`` and
``streaming/base/__init__.py`` import Mosaic's dataset and dataloader, which need transformers and cloud clients, so
the subprocess registers those two packages by path only (their ``__init__`` is not run) and imports the real
``streaming.base.format.mds.writer`` module from them.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import textwrap

from testpaths import TESTS_DIR

MOSAIC = os.environ.get("LITDATA_MOSAIC_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "mosaic-streaming")

# Registers the packages by path, then imports the writer first (Mosaic's util and format modules import each other).
_PRELUDE = textwrap.dedent(
    """
    import os, pickle, sys, types

    for name in ("streaming", "streaming.base"):
        package = types.ModuleType(name)
        package.__path__ = [os.path.join(sys.argv[1], *name.split("."))]
        sys.modules[name] = package
    from streaming.base.format.mds.writer import MDSWriter
    """
)

_WRITE = """
with open(sys.argv[2], "rb") as file:
    job = pickle.load(file)
with MDSWriter(**job["options"]) as writer:
    for sample in job["samples"]:
        writer.write(sample)
"""

_MERGE = """
from streaming.base.util import merge_index

merge_index(sys.argv[2], keep_local=True)
"""


def _run_mosaic(script: str, argument: str) -> None:
    if not os.path.isdir(os.path.join(MOSAIC, "streaming")):
        raise FileNotFoundError(f"mosaicml-streaming is not installed in {MOSAIC}: run `make mosaic-writer`.")
    env = dict(os.environ, PYTHONPATH=MOSAIC)
    result = subprocess.run([sys.executable, "-c", _PRELUDE + script, MOSAIC, argument], capture_output=True, env=env)
    assert result.returncode == 0, result.stderr.decode()[-3000:]


def write_mds(
    out: str,
    columns: dict[str, str],
    samples: list[dict],
    compression: str | None = None,
    size_limit: int = 1 << 26,
    hashes: list[str] | None = None,
) -> str:
    """Write ``samples`` with mosaicml-streaming's ``MDSWriter`` into the new folder ``out``; returns ``out``."""
    options = {"out": out, "columns": columns, "compression": compression, "size_limit": size_limit}
    with tempfile.TemporaryDirectory() as scratch:
        job = os.path.join(scratch, "job.pkl")
        with open(job, "wb") as file:
            pickle.dump({"options": {**options, "hashes": hashes or []}, "samples": samples}, file)
        _run_mosaic(_WRITE, job)
    return out


def merge_index(root: str) -> str:
    """mosaicml-streaming's ``merge_index``: one ``index.json`` in ``root`` for the MDS datasets in its sub-folders."""
    _run_mosaic(_MERGE, root)
    return root
