import functools
import os
import subprocess
import sys
import textwrap
import types

import processing_fns
import pytest

from litdata.processing.main_imports import main_script_imports
from litdata.processing.preload import modules_to_preload

HERE = os.path.dirname(os.path.abspath(__file__))

TWO_RUNS = """
import sys
sys.path.insert(0, {here!r})
from import_probe import doubled
from litdata import StreamingDataset, optimize

if __name__ == "__main__":
    for run in ("a", "b"):
        optimize(doubled, list(range(8)), {out!r} + run, chunk_size=2, num_workers=2, start_method="forkserver",
                 verbose=False)
    print(sorted(sample["x"] for sample in StreamingDataset({out!r} + "b")))
"""


def _processes_importing_the_probe(tmp_path, script_template: str) -> int:
    """Run the script (two `optimize` runs of 2 workers each, then a read back); how many processes imported
    `import_probe`."""
    imports = tmp_path / "imports"
    imports.mkdir()
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(script_template.format(here=HERE, out=str(tmp_path / "out-"))))
    env = dict(os.environ, LITDATA_TEST_IMPORT_DIR=str(imports))
    result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(list(range(0, 16, 2)))
    return len(os.listdir(imports))


def test_forkserver_workers_find_the_module_of_fn_imported_once_in_the_server(tmp_path):
    # the main process and the forkserver; without the preload, each of the 4 workers imports it too
    assert _processes_importing_the_probe(tmp_path, TWO_RUNS) == 2


def _local():
    return None


def test_only_importable_modules_other_than_the_main_script_and_litdata_are_preloaded():
    from litdata.processing.readers import ParquetReader

    _local.__module__ = "__main__"
    partial = functools.partial(processing_fns.identity)
    assert modules_to_preload([_local, partial, ParquetReader, None, processing_fns.square_pair]) == ["processing_fns"]


def test_the_forkserver_preloads_what_workers_need_without_torch():
    """The server imports these once per process; importing torch there would add about a second to the first
    `optimize` of every script, and a name that does not import would be skipped silently."""
    from litdata.processing.data_processor import _FORKSERVER_PRELOAD

    probe = (
        "import importlib, sys\n"
        f"for name in {_FORKSERVER_PRELOAD!r}:\n"
        "    importlib.import_module(name)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


FN_IN_THE_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
import import_probe
from litdata import StreamingDataset, optimize


def doubled(x):
    return import_probe.doubled(x)


if __name__ == "__main__":
    for run in ("a", "b"):
        optimize(doubled, list(range(8)), {out!r} + run, chunk_size=2, num_workers=2, verbose=False)
    print(sorted(sample["x"] for sample in StreamingDataset({out!r} + "b")))
"""


def test_what_the_main_script_imports_is_imported_once_in_the_server_not_in_every_worker(tmp_path):
    """Each worker runs the script's top level again; its imports find the modules the server preloaded. Without
    that, each of the 4 workers of the two runs imports the module again (5 imports, not 2)."""
    assert _processes_importing_the_probe(tmp_path, FN_IN_THE_SCRIPT) == 2


SCRIPT_IMPORTS = """
from __future__ import annotations
import json, os.path as osp
from email import mime, message
from . import sibling
import not_imported_anywhere
try:
    import csv
except ImportError:
    csv = None
with open(__file__):
    import wave
if sys.version_info >= (3, 0):
    import zlib
else:
    import bz2
if __name__ == "__main__":
    import tarfile
else:
    import gzip
if "__main__" == __name__:
    import zipfile
def main():
    import shelve
class Job:
    import pprint
"""


# the imports of SCRIPT_IMPORTS a worker runs again, in order; then those it does not (main guard, function, class)
RUN_AGAIN = ["json", "os.path", "email", "email.mime", "email.message", "csv", "wave", "zlib", "bz2", "gzip"]
NOT_RUN_AGAIN = ["tarfile", "zipfile", "shelve", "pprint"]


def test_main_script_imports_are_the_top_level_imports_a_worker_runs_again(tmp_path, monkeypatch):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT_IMPORTS)
    for name in RUN_AGAIN + NOT_RUN_AGAIN:
        __import__(name)
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert main_script_imports() == RUN_AGAIN


@pytest.mark.parametrize("file", [None, "<stdin>", "missing.py", "broken.py"])
def test_a_main_without_a_readable_script_preloads_nothing(tmp_path, monkeypatch, file):
    (tmp_path / "broken.py").write_text("import json\ndef (:\n")
    main = types.ModuleType("__main__")
    if file is not None:
        main.__file__ = str(tmp_path / file) if file.endswith(".py") else file
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert main_script_imports() == []
