"""Measure S3 fault outcomes for litdata and the real LitData 0.2.76 (the table in docs/errors.md).

    PYTHONPATH=src LITDATA_REFERENCE_PATH=.cache/reference-litdata python tests/faults/measure_s3_faults.py [NAME PART]

A moto server gets a 60-sample dataset (6 chunks); each scenario puts a fresh `FaultProxy` in front of it and runs
one reader (or one `optimize` into S3) in a subprocess with either library, with boto3 only (``DISABLE_S5CMD=1``)
or, for litdata, with s5cmd for bulk downloads, under a time limit. LitData 0.2.76 runs without its optional obstore package: obstore refuses plain-http
endpoints ("HTTP error: builder error" on every chunk, with no fault at all), so with it no scenario gets anywhere. Printed: samples read (and whether they are exactly the inputs), faults injected,
requests seen by the proxy, seconds, and the error shown. Not a test: it takes several minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "cloud")]

from proxy import Fault, FaultProxy, s3_options  # noqa: E402

SAMPLES, CHUNK = 60, 10
VENV_BIN = os.path.dirname(sys.executable)

_CLIENT = r"""
import json, sys, time
import torch  # imported before the clock starts (litdata imports it lazily, LitData 0.2.76 at once)
import litdata as ld

def fn(index):
    return {"index": index, "payload": bytes([index % 251]) * 2048}

if __name__ == "__main__":
    mode, url, endpoint, cache = sys.argv[1:5]
    options = {"endpoint_url": endpoint, "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
               "region_name": "us-east-1"}
    start, result = time.monotonic(), {}
    try:
        if mode == "read":
            dataset = ld.StreamingDataset(url, storage_options=options, cache_dir=cache, max_pre_download=3)
            indexes = [int(sample["index"]) for sample in dataset]
            result = {"samples": len(indexes), "exact": sorted(indexes) == list(range(60))}
        else:
            ld.optimize(fn=fn, inputs=list(range(60)), output_dir=url, chunk_size=10, num_workers=1,
                        storage_options=options)
            result = {"samples": None}
    except BaseException as error:
        lines = str(error).strip().splitlines() or [""]
        result = {"error": f"{type(error).__name__}: {lines[-1] if mode == 'write' else lines[0]}"[:300]}
    result["seconds"] = round(time.monotonic() - start, 1)
    print("RESULT " + json.dumps(result))
"""

READ_SCENARIOS = [
    ("no fault", [], 120),
    ("latency 50 ms on every request", [Fault("latency", per_object=None, seconds=0.05)], 120),
    ("503 SlowDown on the 1st attempt of every GET", [Fault("503", method="GET")], 120),
    ("connection reset on the 1st attempt of every GET", [Fault("reset", method="GET")], 120),
    ("body cut in half, then reset, on the 1st attempt of every GET", [Fault("truncate", method="GET")], 120),
    ("2 chunk GETs stall 8 s, then reset", [Fault("stall", "GET", "chunk-", total=2, seconds=8)], 120),
    ("503 on every GET (outage)", [Fault("503", method="GET", per_object=None)], 90),
    ("every connection reset (outage)", [Fault("reset", per_object=None)], 90),
    ("503 on every chunk GET (outage after the index was read)", [Fault("503", "GET", "chunk-", per_object=None)], 90),
]
WRITE_SCENARIOS = [
    ("optimize into S3: 503 on the 1st attempt of every PUT", [Fault("503", method="PUT")], 180),
    ("optimize into S3: reset on the 1st attempt of every PUT", [Fault("reset", method="PUT")], 180),
]


def _reference_without_obstore(folder: str) -> str:
    """A view of the LitData 0.2.76 install (symlinks) without obstore; returns its path."""
    reference = os.environ.get("LITDATA_REFERENCE_PATH", os.path.join(REPO, ".cache", "reference-litdata"))
    for name in os.listdir(reference):
        if not name.startswith("obstore"):
            os.symlink(os.path.join(reference, name), os.path.join(folder, name))
    return folder


def _run_client(library: str, transport: str, mode: str, url: str, endpoint: str, timeout: float) -> dict:
    path = REFERENCE_VIEW if library == "LitData 0.2.76" else os.path.join(REPO, "src")
    env = dict(os.environ, PYTHONPATH=path)
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env["DISABLE_S5CMD"] = "1" if transport == "boto3" else "0"
    with tempfile.TemporaryDirectory() as scratch:
        script = os.path.join(scratch, "client.py")
        with open(script, "w") as f:
            f.write(_CLIENT)
        try:
            done = subprocess.run(
                [sys.executable, script, mode, url, endpoint, os.path.join(scratch, "cache")],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=scratch,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"no result after {timeout:.0f} s (still retrying; stopped)", "seconds": timeout}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        return {"error": f"exit code {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(lines[-1][len("RESULT ") :])


def _count_written(url: str, endpoint: str) -> dict:
    import litdata as ld

    with tempfile.TemporaryDirectory() as cache:
        try:
            indexes = [
                int(s["index"]) for s in ld.StreamingDataset(url, storage_options=s3_options(endpoint), cache_dir=cache)
            ]
        except Exception as error:
            return {"samples": 0, "read_back_error": f"{type(error).__name__}: {str(error)[:120]}"}
    return {"samples": len(indexes), "exact": sorted(indexes) == list(range(SAMPLES))}


REFERENCE_VIEW = ""


def main() -> None:
    global REFERENCE_VIEW
    import boto3
    from moto.server import ThreadedMotoServer

    import litdata as ld

    REFERENCE_VIEW = _reference_without_obstore(tempfile.mkdtemp(prefix="litdata-0.2.76-"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = f"http://{host}:{port}"
    boto3.client("s3", **s3_options(moto)).create_bucket(Bucket="faults-measure")
    data_url = "s3://faults-measure/data"
    ld.optimize(
        fn=_sample, inputs=list(range(SAMPLES)), output_dir=data_url, chunk_size=CHUNK, num_workers=1,
        storage_options=s3_options(moto), verbose=False,
    )  # fmt: skip
    rows = []
    runs = [("read", name, faults, limit) for name, faults, limit in READ_SCENARIOS]
    runs += [("write", name, faults, limit) for name, faults, limit in WRITE_SCENARIOS]
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # run the scenarios whose name contains this text
    for number, (mode, name, faults, limit) in enumerate(runs):
        if only not in name:
            continue
        for library in ("litdata", "LitData 0.2.76"):
            for transport in ("boto3", "s5cmd"):
                if transport == "s5cmd" and (mode == "write" or library != "litdata"):
                    continue  # uploads always go through boto3; LitData 0.2.76 has no s5cmd transport
                proxy = FaultProxy(moto, [Fault(**{k: v for k, v in vars(f).items() if k in _FIELDS}) for f in faults])
                url = data_url if mode == "read" else f"s3://faults-measure/out-{number}-{library[:3]}-{transport}"
                started = time.monotonic()
                result = _run_client(library, transport, mode, url, proxy.endpoint, limit)
                proxy.close()
                if mode == "write" and "error" not in result:
                    result.update(_count_written(url, moto))
                result["injected"] = {
                    kind: proxy.fired(kind)
                    for kind in ("latency", "503", "reset", "truncate", "stall")
                    if proxy.fired(kind)
                }
                result["requests"] = {f"{m} {agent}": n for (m, agent), n in sorted(proxy.requests.items())}
                row = {"scenario": name, "library": library, "transport": transport, **result}
                row["wall"] = round(time.monotonic() - started, 1)
                print(json.dumps(row), flush=True)
                rows.append(row)
    server.stop()
    shutil.rmtree(REFERENCE_VIEW)  # symlinks only; the install they point to stays
    print(markdown_table(rows))


COLUMNS = [("litdata", "boto3"), ("litdata", "s5cmd"), ("LitData 0.2.76", "boto3")]


def _cell(row: dict | None) -> str:
    if row is None:
        return "-"
    faults = sum(row.get("injected", {}).values())
    requests = sum(row.get("requests", {}).values())
    if row.get("error", "").startswith("no result"):
        return (
            f"**no result and no message** after {row['seconds']:g} s ({faults} faults / {requests} requests); stopped"
        )
    if "error" in row:
        return f"**fails** after {row['seconds']:g} s, {faults} faults / {requests} requests: `{row['error'][:160]}`"
    if row.get("read_back_error"):
        return f"written, but reading it back fails: `{row['read_back_error']}`"
    exact = "exactly the inputs" if row.get("exact") else "**not the inputs**"
    return f"{row['samples']}/{SAMPLES} samples, {exact}; {faults} faults / {requests} requests; {row['seconds']:g} s"


def markdown_table(rows: list[dict]) -> str:
    """One line per scenario, one column per library and transport."""
    lines = ["| Fault | litdata, boto3 | litdata, s5cmd bulk downloads | LitData 0.2.76 (boto3) |", "|---|---|---|---|"]
    for scenario in dict.fromkeys(row["scenario"] for row in rows):
        found = {(r["library"], r["transport"]): r for r in rows if r["scenario"] == scenario}
        lines.append(f"| {scenario} | " + " | ".join(_cell(found.get(column)) for column in COLUMNS) + " |")
    return "\n".join(lines)


_FIELDS = ("kind", "method", "path_contains", "per_object", "total", "seconds")


def _sample(index: int) -> dict:
    return {"index": index, "payload": bytes([index % 251]) * 2048}


if __name__ == "__main__":
    main()
