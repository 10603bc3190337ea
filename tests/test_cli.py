"""The `litdata` command line."""

import json
import os
import subprocess
import sys

from litdata.__main__ import main

from testpaths import FIXTURES_DIR


def test_cache_path_prints_the_cache_folder(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(tmp_path / "c"))
    assert main(["cache", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "c")


def test_cache_clear_removes_the_cache_folder(capsys, monkeypatch, tmp_path):
    cache = tmp_path / "c"
    (cache / "abc").mkdir(parents=True)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(cache))
    assert main(["cache", "clear", "--yes"]) == 0
    assert not cache.exists()
    assert main(["cache", "clear", "--yes"]) == 0
    assert "Nothing to remove" in capsys.readouterr().out


def test_inspect_summarises_a_dataset_written_by_litdata(capsys):
    folder = os.path.join(FIXTURES_DIR, "litdata-0.2.76", "mixed_zstd")
    assert main(["inspect", folder, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["samples"] == 45 and summary["chunks"] == 6
    assert summary["compression"] == "zstd" and summary["compression_level"] == "batch"
    assert summary["encryption"] is None and summary["item_loader"] == "PyTreeLoader"


def test_inspect_tells_old_and_new_layouts_and_encryption_apart(capsys):
    main(["inspect", os.path.join(FIXTURES_DIR, "litdata-0.2.45", "fernet_chunk")])
    text = capsys.readouterr().out
    assert "0.2.56" in text and "fernet" in text and "33" in text


def test_the_console_script_module_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "litdata", "inspect", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1 and "not an optimized dataset" in result.stderr
    assert "Traceback" not in result.stderr
