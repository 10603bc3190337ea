"""Measure the fault cases of docs/reliability.md against an implementation: this checkout, another source tree, or
the real LitData 0.2.76. Not a test: it reports what happens, whatever happens.

    python tests/faults/measure.py                       # this checkout (src/)
    python tests/faults/measure.py --impl litdata        # the real LitData 0.2.76 (LITDATA_REFERENCE_PATH)
    python tests/faults/measure.py --impl /path/to/src   # another source tree, e.g. an older main
    python tests/faults/measure.py --cases append_kill,fds_epochs

Each case runs in a fresh interpreter whose PYTHONPATH holds the implementation and this folder; it prints one JSON
line, and the driver prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ITEM_BYTES = 40 << 10


# ---------------------------------------------------------------------------------------------------- helpers
def _is_reference() -> bool:
    import litdata

    return getattr(litdata, "__version__", "") == "0.2.76" and "reference" in litdata.__file__


def _optimize(ids, output, **kwargs) -> None:
    from crash_jobs import slow_sample

    from litdata import optimize

    kwargs.setdefault("num_workers", 2)
    optimize(slow_sample, list(ids), output, chunk_size=10, start_method="fork", verbose=False, **kwargs)


def _ids(folder: str, **kwargs) -> list[int]:
    from litdata import StreamingDataset

    return sorted(int(sample["id"]) for sample in StreamingDataset(folder, **kwargs))


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:150] if text else ''}"


def _chunk_files(folder: str) -> set[str]:
    return {name for _, _, files in os.walk(folder) for name in files if name.startswith("chunk-")}


def _spawn_job(spec: dict) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.environ["PYTHONPATH"])
    command = [sys.executable, os.path.join(HERE, "crash_jobs.py"), json.dumps(spec)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _kill_main_mid_run(spec: dict, delay: float) -> None:
    """Start an optimize run, SIGKILL its main process once it wrote a new chunk (+ ``delay``), then its session."""
    before = _chunk_files(spec["output"])
    proc = _spawn_job(spec)
    deadline = time.monotonic() + 60
    while not (_chunk_files(spec["output"]) - before) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    if proc.poll() is not None:
        raise RuntimeError(f"the run ended (exit {proc.returncode}) before it could be killed")
    os.kill(proc.pid, signal.SIGKILL)  # only the main process, as the OOM killer would: its workers may go on
    proc.wait()
    _SESSIONS.append(proc.pid)


_SESSIONS: list[int] = []


def _kill_leftovers() -> None:
    """SIGKILL what is left of the runs killed by `_kill_main_mid_run` (orphaned workers)."""
    while _SESSIONS:
        try:
            os.killpg(_SESSIONS.pop(), signal.SIGKILL)
        except ProcessLookupError:
            pass


def _moto() -> tuple[object, dict]:
    import logging

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    host, port = server.get_host_and_port()
    options = {
        "endpoint_url": f"http://{host}:{port}",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    if _is_reference():  # LitData 0.2.76 reaches http:// endpoints only through boto3 (see shared/backends.md)
        import litdata.streaming.downloader as downloader

        downloader._OBSTORE_AVAILABLE = False
    return server, options


def _upload(folder: str, bucket: str, prefix: str, options: dict, rename: dict | None = None) -> None:
    import boto3

    client = boto3.client("s3", **options)
    for name in os.listdir(folder):
        client.upload_file(os.path.join(folder, name), bucket, f"{prefix}/{(rename or {}).get(name, name)}")


def _rename_first_chunk(folder: str, new_name: str) -> None:
    path = os.path.join(folder, "index.json")
    with open(path) as f:
        index = json.load(f)
    index["chunks"][0]["filename"] = new_name
    with open(path, "w") as f:
        json.dump(index, f)


class _TouchOnLoad:
    """A crafted leaf: loading it creates the file ``path`` (stands for any code the dataset's author chooses)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.path),))


def _touching_sample(i: int) -> dict:
    return {"id": i, "leaf": _TouchOnLoad(os.environ["FAULT_MARKER"])}


def _large_sample(i: int) -> dict:
    import numpy as np

    return {"id": i, "blob": np.full(ITEM_BYTES, i % 251, dtype=np.uint8)}


def _larger_sample(i: int) -> dict:
    import numpy as np

    return {"id": i, "blob": np.full(ITEM_BYTES * 4, i % 251, dtype=np.uint8)}


# ---------------------------------------------------------------------------------------------------- cases
def case_traversal_read(tmp: str) -> str:
    """Local dataset whose index names ``../outside.bin`` (a chunk of another dataset, ids 100..109)."""
    data, other = os.path.join(tmp, "data"), os.path.join(tmp, "other")
    _optimize(range(20), data, num_workers=1)
    _optimize(range(100, 110), other, num_workers=1)
    shutil.copy(os.path.join(other, "chunk-0-0.bin"), os.path.join(tmp, "outside.bin"))
    _rename_first_chunk(data, "../outside.bin")
    try:
        ids = _ids(data)
    except Exception as error:
        return f"refused: {_short(error)}"
    outside = [i for i in ids if i >= 100]
    return f"read {len(outside)} samples from the file outside the dataset" if outside else f"read {ids}"


def case_traversal_write(tmp: str) -> str:
    """Remote dataset whose index names ``../../../../escaped.bin``: is the downloaded chunk written outside the
    cache (anywhere up to the root)?"""
    import boto3

    server, options = _moto()
    try:
        boto3.client("s3", **options).create_bucket(Bucket="bkt")
        data = os.path.join(tmp, "data")
        _optimize(range(20), data, num_workers=1)
        name = "../../../../escaped.bin"
        _rename_first_chunk(data, name)
        _upload(data, "bkt", "ds", options)
        boto3.client("s3", **options).upload_file(os.path.join(data, "chunk-0-1.bin"), "bkt", f"ds/{name}")
        cache = os.path.join(tmp, "deep", "cache")
        os.makedirs(cache)
        try:
            _ids("s3://bkt/ds", cache_dir=cache, storage_options=options)
            outcome = "read"
        except Exception as error:
            outcome = f"refused: {_short(error)}"
        escaped = [
            os.path.join(root, n)
            for root, _, files in os.walk(tmp)
            for n in files
            if n.startswith("escaped") and not os.path.join(root, n).startswith(cache)
        ]
        for folder in (os.path.dirname(tmp), "/"):
            escaped += [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith("escaped.bin")]
        for path in escaped:
            os.remove(path)
        return f"{outcome}; files written outside the cache: {escaped or 'none'}"
    finally:
        server.stop()


def case_pickle(tmp: str) -> str:
    """A sample whose pickled leaf creates a file when loaded, read with LITDATA_ALLOW_PICKLE=0."""
    from litdata import optimize

    marker = os.path.join(tmp, "code-ran")
    os.environ["FAULT_MARKER"] = marker
    data = os.path.join(tmp, "data")
    optimize(_touching_sample, list(range(4)), data, chunk_size=4, num_workers=1, start_method="fork", verbose=False)
    os.environ["LITDATA_ALLOW_PICKLE"] = "0"
    try:
        _ids(data)
        outcome = "read"
    except Exception as error:
        outcome = f"refused: {_short(error)}"
    return f"{outcome}; the dataset's code ran: {os.path.exists(marker)}"


def case_s5cmd(tmp: str) -> str:
    """Bulk download of names that hide a second s5cmd command (``x"\\nrm "*.txt``) from the reader's folder."""
    if _is_reference():
        return "not applicable: LitData 0.2.76 has no s5cmd code"
    import boto3

    from litdata.storage.s3 import S3Storage

    server, options = _moto()
    try:
        boto3.client("s3", **options).create_bucket(Bucket="bkt")
        boto3.client("s3", **options).put_object(Bucket="bkt", Key="a.bin", Body=b"a")
        storage = S3Storage(options)
        if storage.s5cmd is None:
            return "s5cmd not installed"
        os.chdir(tmp)
        with open("victim.txt", "w") as f:
            f.write("keep")
        pairs = [("s3://bkt/a.bin", os.path.join(tmp, "a")), ('s3://bkt/x"\nrm "*.txt', os.path.join(tmp, "b"))]
        try:
            storage.download_files(pairs)
            outcome = "no error"
        except Exception as error:
            outcome = _short(error)
        return f"{outcome}; victim.txt still there: {os.path.exists('victim.txt')}"
    finally:
        server.stop()


def _append_kill(tmp: str, ordered: bool) -> str:
    results = []
    for seed in range(3):
        output = os.path.join(tmp, f"out{seed}")
        _optimize(range(500), output, keep_data_ordered=ordered)
        spec = {"output": output, "ids": [500, 1000], "mode": "append", "keep_data_ordered": ordered}
        try:
            _kill_main_mid_run(spec, random.Random(seed).uniform(0, 0.3))
            _optimize(range(500, 1000), output, mode="append", keep_data_ordered=ordered)
            ids = _ids(output)
            results.append(f"{len(ids)} samples, {len(ids) - len(set(ids))} duplicated")
        except Exception as error:
            results.append(_short(error))
        finally:
            _kill_leftovers()
    return "; ".join(results) + " (expected: 1000, 0 duplicated)"


def case_append_kill(tmp: str) -> str:
    """500 samples; append 500 more and SIGKILL the main process mid-run; append the same 500 again."""
    return _append_kill(tmp, ordered=False)


def case_append_kill_ordered(tmp: str) -> str:
    """The same with keep_data_ordered=True (each worker has a fixed share, which it finishes if orphaned)."""
    return _append_kill(tmp, ordered=True)


def case_overwrite_kill(tmp: str) -> str:
    """300 samples A; overwrite with 300 samples B, SIGKILL the main process mid-run; read."""
    results = []
    for seed in range(3):
        output = os.path.join(tmp, f"out{seed}")
        _optimize(range(300), output)
        spec = {"output": output, "ids": [1000, 1300], "mode": "overwrite"}
        try:
            _kill_main_mid_run(spec, random.Random(seed).uniform(0, 0.3))
            ids = _ids(output)
            old, new = sum(i < 1000 for i in ids), sum(i >= 1000 for i in ids)
            results.append(f"reads {old} old + {new} new samples")
        except Exception as error:
            results.append(f"unreadable ({_short(error)})")
        finally:
            _kill_leftovers()
    return "; ".join(results)


def case_concurrent(tmp: str) -> str:
    """Two optimize runs into one new output at once (A: ids 0-399, B: ids 1000-1399)."""
    output = os.path.join(tmp, "out")
    procs = [_spawn_job({"output": output, "ids": [first, first + 400], "num_workers": 1}) for first in (0, 1000)]
    codes = [proc.wait(300) for proc in procs]
    errors = [proc.stderr.read().decode().strip().splitlines()[-1:] for proc in procs]
    try:
        ids = _ids(output)
        content = f"{sum(i < 1000 for i in ids)} from A + {sum(i >= 1000 for i in ids)} from B"
    except Exception as error:
        content = f"unreadable ({_short(error)})"
    runs = ["ok" if code == 0 else f"failed: {(err[0] if err else '')[:120]}" for code, err in zip(codes, errors)]
    return f"run A {runs[0]}; run B {runs[1]}; dataset: {content}"


def case_concurrent_append(tmp: str) -> str:
    """Two appends of 400 samples at once onto 100 samples."""
    output = os.path.join(tmp, "out")
    _optimize(range(100), output)
    procs = [
        _spawn_job({"output": output, "ids": [first, first + 400], "num_workers": 1, "mode": "append"})
        for first in (1000, 2000)
    ]
    codes = [proc.wait(300) for proc in procs]
    ids = _ids(output)
    return f"exit codes {codes}; dataset: {len(ids)} samples (900 if both appends were kept)"


def case_fds_epochs(tmp: str) -> str:
    """96 samples of 40 KB in 12 chunks on S3, max_cache_size = 4 chunks, 10 epochs with num_workers=0."""
    import boto3

    from litdata import StreamingDataLoader, StreamingDataset, optimize

    server, options = _moto()
    try:
        boto3.client("s3", **options).create_bucket(Bucket="bkt")
        data = os.path.join(tmp, "data")
        optimize(_large_sample, list(range(96)), data, chunk_size=8, num_workers=1, start_method="fork", verbose=False)
        _upload(data, "bkt", "large", options)
        chunk_bytes = os.path.getsize(os.path.join(data, "chunk-0-0.bin"))
        cache = os.path.join(tmp, "cache")
        dataset = StreamingDataset(
            "s3://bkt/large", cache_dir=cache, storage_options=options, shuffle=True, max_cache_size=4 * chunk_bytes
        )
        loader = StreamingDataLoader(dataset, batch_size=4, num_workers=0)
        fds, on_disk, held = [], [], []
        for _ in range(10):
            for _ in loader:
                pass
            fds.append(len(os.listdir("/proc/self/fd")))
            on_disk.append(sum(os.path.getsize(os.path.join(r, n)) for r, _, fs in os.walk(cache) for n in fs))
            deleted = 0
            for fd in os.listdir("/proc/self/fd"):
                try:
                    target = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    continue
                deleted += target.startswith(cache) and target.endswith("(deleted)")
            held.append(deleted)
        return (
            f"descriptors after epochs 1..10: {fds[0]} → {fds[-1]} (+{(fds[-1] - fds[0]) / 9:.1f}/epoch); deleted "
            f"chunks still open: {held[-1]}; cache bytes {max(on_disk) // 1024} KB max vs limit "
            f"{4 * chunk_bytes // 1024} KB"
        )
    finally:
        server.stop()


def case_killed_reader(tmp: str) -> str:
    """A reader SIGKILLed while downloading (3 times), then a new reader: temporary files left in the cache."""
    import boto3

    from litdata import optimize

    server, options = _moto()
    try:
        boto3.client("s3", **options).create_bucket(Bucket="bkt")
        data = os.path.join(tmp, "data")
        optimize(_larger_sample, list(range(96)), data, chunk_size=8, num_workers=1, start_method="fork", verbose=False)
        _upload(data, "bkt", "large", options)
        cache = os.path.join(tmp, "cache")
        prelude = "import litdata.streaming.downloader as d; d._OBSTORE_AVAILABLE = False\n" if _is_reference() else ""
        code = (
            prelude + "import litdata as ld\n"
            f"ds = ld.StreamingDataset('s3://bkt/large', cache_dir={cache!r}, storage_options={options!r})\n"
            "print('ready', flush=True)\nfor _ in ds: pass\n"
        )
        for delay in (0.05, 0.1, 0.3):
            proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=dict(os.environ))
            proc.stdout.readline()
            time.sleep(delay)
            proc.kill()
            proc.wait()
        left_after_kills = [n for _, _, fs in os.walk(cache) for n in fs if ".tmp" in n]
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, env=dict(os.environ))
        left_after_next = [n for _, _, fs in os.walk(cache) for n in fs if ".tmp" in n]
        return (
            f"temporary files after 3 kills: {len(left_after_kills)}; after the next reader ran "
            f"(exit {proc.returncode}): {len(left_after_next)}"
        )
    finally:
        server.stop()


CASES = {name[len("case_") :]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


# ---------------------------------------------------------------------------------------------------- driver
def _implementation_path(impl: str) -> str:
    if impl == "ours":
        return os.path.join(REPO, "src")
    if impl == "litdata":
        return os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(REPO, ".cache", "reference-litdata")
    return os.path.abspath(impl)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--impl", default="ours", help="ours (default), litdata, or a path to a source tree")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        with tempfile.TemporaryDirectory(prefix=f"litdata-fault-{args.run}-") as tmp:
            try:
                outcome = CASES[args.run](tmp)
            except Exception as error:
                outcome = f"case failed: {_short(error)}"
        print(json.dumps({"outcome": outcome}), flush=True)
        return
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([_implementation_path(args.impl), HERE]))
    print(f"| case ({args.impl}) | outcome |\n|---|---|")
    for case in args.cases.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--run", case], capture_output=True, text=True, env=env, timeout=900
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith('{"outcome"')]
        outcome = json.loads(lines[-1])["outcome"] if lines else f"crashed: {proc.stderr.strip()[-300:]}"
        print(f"| {case} | {outcome.replace('|', '/')} |", flush=True)


if __name__ == "__main__":
    main()
