"""Random byte mutations of chunk files and index.json: every read gives the right samples or a clear error, never
a wrong sample, a crash or a hang."""

import collections
import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fuzz_reader import expected_sample

from helpers import build_dataset

NUM_ITEMS = 24
NUM_MUTATIONS = 320
JOBS_PER_PROCESS = 32
PROCESS_TIMEOUT_S = 120
READER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_reader.py")


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    return {
        kind: build_dataset(root / kind, NUM_ITEMS, chunk_size=8, make=lambda i, kind=kind: expected_sample(kind, i))
        for kind in ("mixed", "fixed")
    }


def _mutations(originals: dict, scratch) -> list[dict]:
    rng = random.Random(20261129)
    jobs = []
    for job_id in range(NUM_MUTATIONS):
        kind = ("mixed", "fixed")[job_id % 2]
        source = originals[kind]
        names = sorted(os.listdir(source))
        chunks = [name for name in names if name.endswith(".bin")]
        target = "index.json" if rng.random() < 1 / 3 else rng.choice(chunks)
        folder = str(scratch / f"m{job_id}")
        shutil.copytree(source, folder)
        path = os.path.join(folder, target)
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            position = rng.randrange(len(data))
            data[position] ^= rng.randrange(1, 256)
            f.seek(0)
            f.write(data)
        jobs.append({"id": job_id, "folder": folder, "kind": kind, "num_items": NUM_ITEMS, "target": target})
    return jobs


def _run(jobs: list[dict], scratch) -> dict[int, dict]:
    """Outcomes by job id. A reader process that dies or times out is blamed on the job it was reading (crash or
    hang), and the jobs after it run in a new process."""
    results: dict[int, dict] = {}
    pending = list(jobs)
    while pending:
        batch, pending = pending[:JOBS_PER_PROCESS], pending[JOBS_PER_PROCESS:]
        spec = scratch / f"jobs-{batch[0]['id']}.json"
        spec.write_text(json.dumps(batch))
        env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        try:
            done = subprocess.run(
                [sys.executable, READER, str(spec)], capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S, env=env
            )
            stdout, failure = done.stdout, None if done.returncode == 0 else "crash"
        except subprocess.TimeoutExpired as timeout:
            stdout, failure = (timeout.stdout or b"").decode() if isinstance(timeout.stdout, bytes) else "", "hang"
        for line in stdout.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                results[record["id"]] = record
        unreported = [job for job in batch if job["id"] not in results]
        if unreported and failure is not None:
            results[unreported[0]["id"]] = {"id": unreported[0]["id"], "outcome": failure}
            pending = unreported[1:] + pending
    return results


def test_random_byte_mutations_of_chunks_and_index_never_give_a_wrong_sample_a_crash_or_a_hang(originals, tmp_path):
    jobs = _mutations(originals, tmp_path)
    groups = [jobs[i : i + len(jobs) // 2] for i in (0, len(jobs) // 2)]  # two reader processes at a time
    with ThreadPoolExecutor(2) as pool:
        results = {}
        for part in pool.map(lambda group: _run(group, tmp_path), groups):
            results.update(part)

    outcomes = collections.Counter(results[job["id"]]["outcome"] for job in jobs)
    errors = collections.Counter(r.get("type") for r in results.values() if r["outcome"] == "error")
    by_file = collections.Counter(
        ("index" if job["target"] == "index.json" else "chunk", results[job["id"]]["outcome"]) for job in jobs
    )
    print(f"\n{len(jobs)} mutations: {dict(outcomes)}; errors by type: {dict(errors)}; by file: {dict(by_file)}")
    bad = [
        (job["target"], results[job["id"]])
        for job in jobs
        if results[job["id"]]["outcome"] in ("wrong", "crash", "hang")
    ]
    assert not bad, bad[:5]
    unclear = [
        r
        for r in results.values()
        if r["outcome"] == "error"
        and not any(word in r["message"].lower() for word in ("index", "chunk", ".bin", ".json"))
    ]
    assert not unclear, unclear[:5]  # every error says which file (the index or a chunk) is wrong
