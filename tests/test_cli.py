"""The `litdata` command line."""

import json
import os
import subprocess
import sys

from litdata.__main__ import main
from progress_output import final_bar

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


def _fill_cache(folder, num_files, size=1000):
    for i in range(num_files):
        sub = folder / f"dataset-{i % 3}" / "v1"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"chunk-{i}.bin").write_bytes(b"x" * size)


def test_clearing_a_large_cache_shows_a_bar_of_the_files_removed(capfd, monkeypatch, tmp_path):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    cache = tmp_path / "c"
    _fill_cache(cache, 250)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(cache))
    assert main(["cache", "clear", "--yes"]) == 0
    assert not cache.exists()
    captured = capfd.readouterr()
    bar = final_bar(captured.err, "Clearing the cache (250.0 KB)")
    assert "100%" in bar and "250/250" in bar and "files/s" in bar
    assert f"Removed {cache}" in captured.out


def test_clearing_a_small_cache_shows_no_bar(capfd, monkeypatch, tmp_path):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    cache = tmp_path / "c"
    _fill_cache(cache, 20)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(cache))
    assert main(["cache", "clear", "-y"]) == 0
    assert not cache.exists() and "Clearing the cache" not in capfd.readouterr().err


def test_clearing_a_large_cache_quietly_shows_no_bar(capfd, monkeypatch, tmp_path):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    cache = tmp_path / "c"
    _fill_cache(cache, 250)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(cache))
    assert main(["cache", "clear", "--yes", "--quiet"]) == 0
    assert not cache.exists()
    assert "Clearing the cache" not in capfd.readouterr().err


def test_clearing_the_cache_removes_a_linked_folder_but_not_its_contents(monkeypatch, tmp_path):
    cache, elsewhere = tmp_path / "c", tmp_path / "elsewhere"
    _fill_cache(cache, 150)
    elsewhere.mkdir()
    (elsewhere / "keep.bin").write_bytes(b"k")
    (cache / "dataset-0" / "link").symlink_to(elsewhere, target_is_directory=True)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(cache))
    assert main(["cache", "clear", "--yes"]) == 0
    assert not cache.exists() and (elsewhere / "keep.bin").read_bytes() == b"k"


def test_clearing_a_cache_folder_that_is_a_link_empties_its_target_and_keeps_the_link(capsys, monkeypatch, tmp_path):
    target, link = tmp_path / "big-disk" / "chunks", tmp_path / "chunks"
    _fill_cache(target, 120)
    link.symlink_to(target, target_is_directory=True)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(link))
    assert main(["cache", "clear", "--yes"]) == 0
    assert link.is_symlink() and target.is_dir() and not list(target.iterdir())
    assert f"Emptied {target}" in capsys.readouterr().out


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
