"""Benchmark litdata side by side with LitData 0.2.76, MosaicML Streaming, WebDataset and the raw limits.

Usage: python benchmarks/bench.py [--peers-python .venv-peers/bin/python] [--repeat 3] [--scale 1.0] [--keep]

The data is generated once in a temporary folder; every library writes it in its own format, then reads it back.
Each library runs in a long-lived worker process (`worker.py`) in its own venv, and every workload is sent to all
of them in turn (in a new random order each time), repetition after repetition, so they share the machine's
conditions. Prints one table and writes `benchmarks/results/<timestamp>.json` and `benchmarks/results/latest.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from data import BLOCK_SIZE, Sizes, generate
from worker import throughput

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
OURS, RAW, MEMCPY, CEILING = "ours", "raw", "memcpy", "ceiling"
PEERS = ("LitData", "Mosaic", "WebDataset")
CHUNK_BYTES = {"tokens": 8 << 20, "s3_arrays": 16 << 20}
DEFAULT_CHUNK_BYTES = 64 << 20
BUCKET = "litdata-bench"
TIMEOUT = 600.0
WALL_TIME: dict[str, float] = {}  # seconds each library's commands took, set-up included


# --------------------------------------------------------------------------------------------- worker processes
class Worker:
    """One `worker.py` process for one library; ``call`` sends a command and waits for its JSON answer."""

    def __init__(self, name: str, python: str, adapter: str, root: str, env: dict[str, str], log: str) -> None:
        self.name, self.command = name, [python, os.path.join(HERE, "worker.py"), adapter, root]
        self.env, self.log_path = env, log
        self.process: subprocess.Popen | None = None
        self.info: dict = {}

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=self.env
            )

    def _answer(self, timeout: float) -> dict:
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        self.close()
        return {"error": f"no answer within {timeout:.0f} s" if not ready else f"worker exited (see {self.log_path})"}

    def wait_ready(self) -> None:
        self.info = self._answer(TIMEOUT)

    def call(self, op: str, timeout: float = TIMEOUT, **args: Any) -> dict:
        if "error" in self.info:
            return {"error": f"not available: {self.info['error'].strip().splitlines()[-1]}"}
        if self.process is None:  # it timed out or died on the previous command
            self.start()
            self.wait_ready()
        assert self.process is not None and self.process.stdin is not None
        start = time.perf_counter()
        self.process.stdin.write(json.dumps({"op": op, "args": args}) + "\n")
        self.process.stdin.flush()
        answer = self._answer(timeout)
        WALL_TIME[self.name] = WALL_TIME.get(self.name, 0.0) + time.perf_counter() - start
        return answer

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@dataclass
class Library:
    name: str
    python: str
    adapter: str
    phases: tuple[str, ...] = ("optimize", "stream", "random", "s3", "rss")


# --------------------------------------------------------------------------------------------- measurements
@dataclass
class Row:
    """One line of the table: a value per library per repetition."""

    label: str
    unit: str
    higher_is_better: bool = True
    values: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, lib: str, value: float | None, note: str | None = None) -> None:
        if value is not None:
            self.values.setdefault(lib, []).append(value)
        if note:
            self.notes[lib] = note

    def best(self, lib: str) -> float | None:
        values = self.values.get(lib)
        if not values:
            return None
        return max(values) if self.higher_is_better else min(values)

    def median(self, lib: str) -> float | None:
        values = self.values.get(lib)
        return statistics.median(values) if values else None


def record(row: Row, lib: str, result: dict, value: Callable[[dict], float], expected: int | None = None) -> None:
    if "error" in result or "unsupported" in result:
        note = result.get("unsupported") or result["error"].strip().splitlines()[-1][:160]
        row.add(lib, None, note)
        return
    note = None
    if expected is not None and abs(result.get("items", expected) - expected) > expected // 100:
        note = f"{result['items']:,} items instead of {expected:,}"
    row.add(lib, value(result), note)


def add_memcpy(row: Row, result: dict) -> None:
    """The raw worker's memory-to-memory copy of the same bytes, as the row's ``memcpy`` limit."""
    if "memcpy_seconds" in result and result["memcpy_seconds"] > 0:
        row.add(MEMCPY, result["items"] / result["memcpy_seconds"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(python: str, port: int, log: str) -> subprocess.Popen | None:
    server = os.path.join(os.path.dirname(python), "moto_server")
    if not os.path.exists(server):
        return None
    with open(log, "w") as f:
        process = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)], stdout=f, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    process.wait()
    return None


def upload(folder: str, prefix: str, endpoint: str, public: bool) -> list[str]:
    """Upload a dataset folder; ``public`` lets WebDataset read it over plain HTTP with curl, as it does."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    names = sorted(os.listdir(folder))
    for name in names:
        extra = {"ACL": "public-read"} if public else None
        client.upload_file(os.path.join(folder, name), BUCKET, f"{prefix}/{name}", ExtraArgs=extra)
    return names


# --------------------------------------------------------------------------------------------- the run
@dataclass
class Case:
    label: str
    kind: str
    shuffle: bool
    workers: int
    batch_size: int = 64
    path: str = "batch"  # "batch" (default collate), "collate" (custom collate_fn), "transform" (transform=)
    checksums: str | None = None  # ours only: "on" (every chunk verified in the timed epoch) or "off"


class Bench:
    def __init__(self, options: argparse.Namespace, root: str) -> None:
        self.options, self.root = options, root
        self.data = os.path.join(root, "data")
        self.logs = os.path.join(root, "logs")
        os.makedirs(self.logs)
        self.sizes = Sizes().scaled(options.scale)
        self.libraries = [
            Library(OURS, options.python, "litdata_api"),
            Library(RAW, options.python, "raw", ("optimize", "stream", "random", "s3", "rss")),
            Library(CEILING, options.python, "ceiling", ("stream",)),
        ]
        if options.peers_python and os.path.exists(options.peers_python):
            for name, adapter in zip(PEERS, ("litdata_api", "mosaic", "wds")):
                self.libraries.append(Library(name, options.peers_python, adapter))
        self.rows: list[Row] = []
        self.versions: dict[str, str] = {}
        self.endpoint: str | None = None
        self.elapsed = 0.0
        self.env = dict(os.environ, LITDATA_DISABLE_VERSION_CHECK="1", PYTHONUNBUFFERED="1")
        self.env.pop("PYTHONPATH", None)

    @property
    def names(self) -> list[str]:
        return [lib.name for lib in self.libraries]

    def row(self, label: str, unit: str = "items/s", higher_is_better: bool = True) -> Row:
        for row in self.rows:
            if row.label == label:
                return row
        self.rows.append(Row(label, unit, higher_is_better))
        return self.rows[-1]

    def out(self, lib: str, kind: str) -> str:
        return os.path.join(self.root, "out", lib, kind)

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def workers(self, phase: str) -> dict[str, Worker]:
        """Fresh worker processes for the libraries in ``phase``, started in parallel."""
        workers = {}
        for lib in self.libraries:
            if phase in lib.phases:
                log = os.path.join(self.logs, f"{lib.name}.log")
                workers[lib.name] = Worker(lib.name, lib.python, lib.adapter, self.data, self.env, log)
                workers[lib.name].start()
        for name, worker in workers.items():
            worker.wait_ready()
            self.versions[name] = worker.info.get("library") or f"unavailable: {worker.info['error'][-300:]}"
        return workers

    @staticmethod
    def close(workers: dict[str, Worker]) -> None:
        for worker in workers.values():
            worker.close()

    @staticmethod
    def shuffled(names: list[str] | dict) -> list[str]:
        """A new order each time, so no library is always the one that runs first (or right after another)."""
        names = list(names)
        random.shuffle(names)
        return names

    def run(self) -> None:
        start = time.perf_counter()
        self.say(f"generating the data in {self.data}: {asdict(self.sizes)}")
        generate(self.data, self.sizes)
        port = free_port()
        moto = start_moto(self.options.python, port, os.path.join(self.logs, "moto.log"))
        if moto is not None:
            self.endpoint = f"http://127.0.0.1:{port}"
            credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
            region = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
            endpoints = {"AWS_ENDPOINT_URL": self.endpoint, "S3_ENDPOINT_URL": self.endpoint}
            self.env.update(credentials | region | endpoints)
            os.environ.update(credentials | region | endpoints)
        try:
            self.optimize_phase()
            workers = self.workers("stream")
            try:
                self.streaming_phase(workers)
                self.s3_phase(workers)
            finally:
                self.close(workers)
            self.rss_phase()
        finally:
            if moto is not None:
                moto.terminate()
                moto.wait()
        self.elapsed = time.perf_counter() - start

    def optimize_phase(self) -> None:
        """Every library writes the streaming data sets once (the 100 KB arrays are timed, in-process, 1 writer),
        then the optimize rows: JPEG files and token documents at two sizes, 1 and 2 writers, timed both ways."""
        workers = self.workers("optimize")
        try:
            arrays = self.row(f"optimize {self.sizes.arrays:,} x 100 KB arrays, 1 writer, in-process (imported, warm)")
            for kind in ("images", "arrays", "small", "tokens", "s3_arrays"):
                self.say(f"optimize {kind} (the data set the streaming rows read)")
                for name in self.shuffled(workers):
                    if name == RAW and kind != "arrays":
                        continue
                    chunk_bytes = CHUNK_BYTES.get(kind, DEFAULT_CHUNK_BYTES)
                    out = self.out(name, kind)
                    result = workers[name].call("optimize", kind=kind, out=out, chunk_bytes=chunk_bytes, workers=1)
                    if kind == "arrays":
                        record(arrays, name, result, throughput)
                        add_memcpy(arrays, result)
                    elif "error" in result:
                        self.say(f"  {name} could not write {kind}: {result['error'].strip().splitlines()[-1]}")
            for rep in range(self.options.optimize_repeat):
                for kind, count, writers in self.optimize_cases():
                    self.say(f"optimize {count:,} {kind}, writers: {writers} (repetition {rep + 1})")
                    for name in self.shuffled(workers):
                        self.optimize_both_ways(workers[name], kind, count, writers)
        finally:
            self.close(workers)

    def optimize_cases(self) -> list[tuple[str, int, int]]:
        counts = (self.sizes.optimize_small, self.sizes.optimize_large)
        return [(kind, count, writers) for kind in ("images", "tokens") for count in counts for writers in (1, 2)]

    def optimize_both_ways(self, worker: Worker, kind: str, count: int, writers: int) -> None:
        """Time one write in the long-lived worker (imported, warm) and one in a fresh worker process, from its
        start to its exit (interpreter start-up, imports and exit included), as a user times a script."""
        what = {"images": "JPEG files", "tokens": "token documents"}[kind]
        label = f"optimize {count:,} {what}, {writers} writer{'s' if writers > 1 else ''}"
        out = self.out(worker.name, f"{kind}-{count}-{writers}")
        chunk_bytes = CHUNK_BYTES.get(kind, DEFAULT_CHUNK_BYTES)
        args = {"kind": kind, "out": out, "chunk_bytes": chunk_bytes, "workers": writers, "count": count}
        result = worker.call("optimize", **args)
        in_process = self.row(f"{label}, in-process (imported, warm)")
        record(in_process, worker.name, result, throughput, count)
        add_memcpy(in_process, result)
        if "error" not in worker.info:
            python, adapter = worker.command[0], worker.command[2]
            fresh = Worker(worker.name, python, adapter, self.data, self.env, worker.log_path)
            start = time.perf_counter()
            fresh.start()
            fresh.wait_ready()
            result = fresh.call("optimize", **args)
            fresh.close()
            if "seconds" in result:
                result["seconds"] = time.perf_counter() - start
            from_start = self.row(f"{label}, from process start (interpreter, imports, exit)")
            record(from_start, worker.name, result, throughput, count)
            add_memcpy(from_start, result)
        shutil.rmtree(out, ignore_errors=True)

    def cases(self) -> list[Case]:
        order = {False: "in order", True: "shuffle"}
        cases = [
            Case(f"stream 100 KB arrays, {order[shuffle]}, {n} workers", "arrays", shuffle, n)
            for shuffle in (False, True)
            for n in (0, 2)
        ]
        via = {"collate": "per sample: custom collate_fn", "transform": "per sample: transform + default collate"}
        cases += [
            Case(f"stream 100 KB arrays, {via[path]}, {order[shuffle]}, {n} workers", "arrays", shuffle, n, path=path)
            for path in via
            for shuffle in (False, True)
            for n in (0, 2)
        ]
        cases += [Case(f"stream 1 KB samples, {order[s]}, 0 workers", "small", s, 0) for s in (False, True)]
        cases += [
            Case(f"tokens, block {BLOCK_SIZE}, batch 16, {order[s]}, 0 workers", "tokens", s, 0, 16)
            for s in (False, True)
        ]
        cases.append(Case("JPEG -> uint8 CHW tensor, shuffle, 0 workers", "images", True, 0))
        cases += [
            Case(
                f"stream 100 KB arrays, in order, 0 workers, whole epoch, checksums {state}",
                "arrays",
                False,
                0,
                checksums=state,
            )
            for state in ("on", "off")
        ]
        return cases

    def location(self, name: str, kind: str) -> str:
        """Where ``name`` reads ``kind``: its own output; ours for the raw limit; the inputs for the ceiling."""
        return self.data if name == CEILING else self.out(OURS if name == RAW else name, kind)

    def streaming_phase(self, workers: dict[str, Worker]) -> None:
        counts = {"arrays": self.sizes.arrays, "small": self.sizes.small, "images": self.sizes.images}
        counts["tokens"] = self.sizes.tokens // BLOCK_SIZE
        rng = random.Random(0)
        indices = [rng.randrange(self.sizes.arrays) for _ in range(self.options.random_reads)]
        random_label = f"random access ds[i], {len(indices):,} x 100 KB"
        raw_pool: dict[str, Row] = {}  # the raw limits do not depend on order or workers: one pool per data kind
        for rep in range(self.options.repeat):
            self.say(f"streaming workloads (repetition {rep + 1} of {self.options.repeat})")
            for case in self.cases():
                for name in self.shuffled(workers):
                    if case.checksums is not None and name != OURS:
                        continue  # LitData 0.2.76 and the others have no checksums to turn on or off
                    if name == RAW and (case.path != "batch" or case.checksums is not None):
                        continue  # the same bytes as the whole-batch rows of this kind
                    args = asdict(case)
                    del args["label"]
                    result = workers[name].call(
                        "stream", location=self.location(name, case.kind), items=counts[case.kind], **args
                    )
                    if name == RAW:
                        pool = raw_pool.setdefault(case.kind, Row("raw", ""))
                        record(pool, RAW, result, throughput, counts[case.kind])
                        if "memcpy_seconds" in result:
                            pool.add(MEMCPY, result["items"] / result["memcpy_seconds"])
                        if case.workers == 2 and not case.shuffle and "first_seconds" in result:
                            first = self.row("  time to first batch, 2 workers", "s", higher_is_better=False)
                            record(first, RAW, result, lambda r: r["first_seconds"])
                        continue
                    # the checksum rows time the whole epoch: a chunk is verified when it is first opened
                    value = throughput if case.checksums is None else lambda r: r["items"] / r["seconds"]
                    record(self.row(case.label), name, result, value, counts[case.kind])
                    if case.workers == 2 and not case.shuffle and case.path == "batch" and name != RAW:
                        first = self.row("  time to first batch, 2 workers", "s", higher_is_better=False)
                        record(first, name, result, lambda r: r.get("startup_seconds", r["first_seconds"]))
            for name in self.shuffled(workers):
                if name != CEILING:
                    loc = self.location(name, "arrays")
                    result = workers[name].call("random_access", kind="arrays", location=loc, indices=indices)
                    record(self.row(random_label), name, result, throughput)
                    add_memcpy(self.row(random_label), result)
        for case in self.cases():
            pool = raw_pool.get(case.kind)
            for limit in (RAW, MEMCPY):
                self.row(case.label).values[limit] = pool.values.get(limit, []) if pool else []

    def s3_phase(self, workers: dict[str, Worker]) -> None:
        cold = self.row(f"S3 (moto) epoch 1, cold cache, {self.sizes.s3_arrays:,} x 100 KB, 0 workers")
        warm = self.row("S3 (moto) epoch 2, from the cache")
        readers = [name for name in workers if name != CEILING]
        if self.endpoint is None:
            for name in readers:
                cold.add(name, None, "moto_server is not installed")
            return
        import boto3

        boto3.client("s3", endpoint_url=self.endpoint).create_bucket(Bucket=BUCKET)
        locations: dict[str, Any] = {RAW: [BUCKET, f"{OURS}/s3_arrays", self.endpoint]}
        for name in readers:
            folder = self.out(name, "s3_arrays")
            if name == RAW or not os.path.isdir(folder):
                continue
            files = upload(folder, f"{name}/s3_arrays", self.endpoint, public=name == "WebDataset")
            locations[name] = f"s3://{BUCKET}/{name}/s3_arrays"
            if name == "WebDataset":
                locations[name] = [
                    f"{self.endpoint}/{BUCKET}/{name}/s3_arrays/{f}" for f in files if f.endswith(".tar")
                ]
        for rep in range(self.options.repeat):
            self.say(f"S3 first and second epoch (repetition {rep + 1} of {self.options.repeat})")
            for name in self.shuffled([n for n in readers if n in locations]):
                cache = os.path.join(self.root, "s3-cache", name, str(rep))
                result = workers[name].call(
                    "s3",
                    kind="s3_arrays",
                    location=locations[name],
                    cache_dir=cache,
                    workers=0,
                    batch_size=64,
                    items=self.sizes.s3_arrays,
                )
                shutil.rmtree(cache, ignore_errors=True)
                record(cold, name, result, lambda r: r["items"] / r["seconds"][0], self.sizes.s3_arrays)
                record(warm, name, result, lambda r: r["items"] / r["seconds"][1], self.sizes.s3_arrays)
                if "memcpy_seconds" in result:
                    for row in (cold, warm):
                        row.add(MEMCPY, result["items"] / result["memcpy_seconds"])

    def rss_phase(self) -> None:
        self.say("RSS over 3 epochs (100 KB arrays, shuffle, 0 workers, a fresh process per library)")
        rows = [
            (self.row("RSS after epoch 1", "MB", higher_is_better=False), lambda r: r["rss_after_epoch"][0]),
            (self.row("RSS after epoch 3", "MB", higher_is_better=False), lambda r: r["rss_after_epoch"][-1]),
            (
                self.row("RSS growth from epoch 1 to 3 (flat: 0)", "MB", higher_is_better=False),
                lambda r: r["rss_after_epoch"][-1] - r["rss_after_epoch"][0],
            ),
            (self.row("peak RSS", "MB", higher_is_better=False), lambda r: r["VmHWM"]),
        ]
        workers = self.workers("rss")  # fresh processes, started together; each measured alone, then closed
        try:
            for name, worker in workers.items():
                location = self.out(OURS if name == RAW else name, "arrays")
                result = worker.call("rss", kind="arrays", location=location, batch_size=64, epochs=3)
                worker.close()
                for row, value in rows:
                    record(row, name, result, value)
        finally:
            self.close(workers)


# --------------------------------------------------------------------------------------------- report
def human(value: float | None) -> str:
    if value is None:
        return "n/a"
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def ratio(row: Row, other: str) -> str:
    ours, theirs = row.best(OURS), row.best(other)
    if ours is None or theirs is None or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}" if ours / theirs >= 0.1 else f"{ours / theirs:.3f}"


def table(bench: Bench, markdown: bool) -> str:
    names = [n for n in (RAW, MEMCPY, CEILING, OURS, *PEERS) if n in bench.names or n == MEMCPY]
    others = [n for n in names if n != OURS]
    header = ["workload (best/median)", "unit", *names, *[f"ours/{n}" for n in others]]
    lines = []
    for row in bench.rows:
        cells = [row.label, row.unit]
        for name in names:
            best, median = row.best(name), row.median(name)
            cell = "-" if best is None else f"{human(best)}/{human(median)}"
            cells.append(cell + ("*" if name in row.notes else ""))
        lines.append(cells + [ratio(row, n) for n in others])
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * (len(header) - 2)]
        out += ["| " + " | ".join(cells).replace("*", "\\*") + " |" for cells in lines]
    else:
        widths = [max(len(c[i]) for c in [header, *lines]) for i in range(len(header))]
        out = [
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
            for cells in [header, *lines]
        ]
    notes = [f"{row.label.strip()} / {lib}: {note}" for row in bench.rows for lib, note in row.notes.items()]
    return "\n".join(out + ([""] + [f"\\* {n}" if markdown else f"* {n}" for n in notes] if notes else []))


def machine() -> dict:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()}
    with open("/proc/meminfo") as f:
        info["ram_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
    with open("/proc/cpuinfo") as f:
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    info["load_average"] = os.getloadavg()
    return info


def report(bench: Bench) -> None:
    info = machine()
    print(f"\nmachine: {info}\nsizes: {asdict(bench.sizes)}; repetitions: {bench.options.repeat}")
    for name, version in bench.versions.items():
        print(f"  {name}: {version}")
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in sorted(WALL_TIME.items()))
    print(f"\n{table(bench, markdown=False)}\n\ntotal {bench.elapsed:.0f} s; commands per library: {spent}")
    os.makedirs(RESULTS, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": info,
        "sizes": asdict(bench.sizes),
        "repeat": bench.options.repeat,
        "seconds": round(bench.elapsed, 1),
        "seconds_per_library": {name: round(seconds, 1) for name, seconds in WALL_TIME.items()},
        "versions": bench.versions,
        "rows": [asdict(row) for row in bench.rows],
    }
    with open(os.path.join(RESULTS, f"{stamp}.json"), "w") as f:
        json.dump(payload, f, indent=1)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(f"Run of {payload['date']} ({bench.elapsed:.0f} s); machine: {info}\n\n")
        f.write(f"Sizes: {asdict(bench.sizes)}; {bench.options.repeat} repetitions ")
        f.write(f"({bench.options.optimize_repeat} for optimize).\n\n")
        f.write(table(bench, markdown=True) + "\n")
    print(f"wrote benchmarks/results/{stamp}.json and benchmarks/results/latest.md")
    try:
        from charts import write_charts
    except ImportError as error:  # matplotlib missing: the table is still written
        print(f"charts skipped ({error}); install them with: pip install -e '.[bench]'")
    else:
        for chart in write_charts(payload):
            print(f"wrote {os.path.relpath(chart)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter with our litdata (default: this one)")
    parser.add_argument("--peers-python", default=os.path.join(HERE, "..", ".venv-peers", "bin", "python"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every data size")
    parser.add_argument("--optimize-repeat", type=int, default=2, help="repetitions of the optimize workloads")
    parser.add_argument("--random-reads", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data, logs)")
    options = parser.parse_args()
    root = tempfile.mkdtemp(prefix="litdata-bench-")
    bench = Bench(options, root)
    try:
        bench.run()
        report(bench)
    finally:
        if options.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
