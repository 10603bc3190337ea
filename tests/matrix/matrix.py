"""The configuration matrix: its axes, every combination, a seeded pairwise subset, the datasets, the runs of both
releases (the reference's cached per combination) and the checks of an outcome."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from testpaths import TESTS_DIR

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "harness.py")
ROOT = os.path.dirname(TESTS_DIR)
REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(ROOT, ".cache", "reference-litdata")
CACHE_DIR = os.path.join(ROOT, ".cache", "matrix-reference")
OURS = os.path.join(ROOT, "src")

COUNTS = {"combos": 0, "exact": 0, "same order": 0, "documented differences": 0}  # printed by the conftest
DIFFERENCES: dict[str, int] = {}  # documented difference -> combinations it explains

NUM_ITEMS = 61  # per dataset; the second dataset of Combined/Parallel holds ids 1000..1060
SECOND = 1000

AXES: dict[str, list[Any]] = {
    "dataset": ["plain", "zstd", "tokens", "combined", "parallel"],
    "shuffle": [False, True],
    "workers": [(0, False), (1, False), (1, True), (2, False), (2, True), (3, False), (3, True)],
    "collate": ["default", "custom", "transform", "getitem"],
    "batch_size": [1, 7, 64],  # 64 > NUM_ITEMS
    "drop_last": [False, True],
    "world_size": [1, 2, 3],
    "resume": [False, True],
}


def _combo(values: tuple) -> dict[str, Any]:
    combo = dict(zip(AXES, values))
    combo["num_workers"], combo["persistent"] = combo.pop("workers")
    return combo


def all_combos() -> list[dict[str, Any]]:
    """Every combination of the axes (``make test-matrix`` runs them all)."""
    return [_combo(values) for values in itertools.product(*AXES.values())]


def cost(combo: dict[str, Any]) -> float:
    """Roughly how long a combination takes, in loader starts: every rank starts its workers once per epoch (once
    in all when persistent), and a resume starts a second loader."""
    workers = combo["num_workers"]
    starts = 1 + (workers if combo["persistent"] else 3 * workers)
    return combo["world_size"] * starts * (1.5 if combo["resume"] else 1.0)


@functools.cache
def _pairwise(seed: int, pool: int) -> tuple[dict[str, Any], ...]:
    return tuple(_greedy_pairwise(seed, pool))


def pairwise_combos(seed: int = 18, pool: int = 400) -> list[dict[str, Any]]:
    """The CI subset (see `_greedy_pairwise`), computed once per process."""
    return [dict(combo) for combo in _pairwise(seed, pool)]


def _greedy_pairwise(seed: int, pool: int) -> list[dict[str, Any]]:
    """A seeded set of combinations in which every pair of values of any two axes occurs (greedy: each pick is the
    candidate of a random pool that covers the most pairs not yet covered per unit of `cost`)."""
    rng = random.Random(seed)
    names = list(AXES)
    axis_pairs = list(itertools.combinations(range(len(names)), 2))
    uncovered = {
        (a, i, b, j) for a, b in axis_pairs for i in range(len(AXES[names[a]])) for j in range(len(AXES[names[b]]))
    }
    picked: list[dict[str, Any]] = []
    while uncovered:
        best, best_pairs, best_score = None, set(), 0.0
        for _ in range(pool):
            choice = tuple(rng.randrange(len(AXES[name])) for name in names)
            pairs = {(a, choice[a], b, choice[b]) for a, b in axis_pairs} & uncovered
            combo = _combo(tuple(AXES[name][index] for name, index in zip(names, choice)))
            score = len(pairs) / cost(combo)
            if score > best_score:
                best, best_pairs, best_score = choice, pairs, score
        if best is None:  # every pool missed: take any uncovered pair's values
            a, i, b, j = min(uncovered)
            best = tuple(i if k == a else j if k == b else 0 for k in range(len(names)))
            best_pairs = {(a, i, b, j)}
        uncovered -= best_pairs
        picked.append(_combo(tuple(AXES[name][index] for name, index in zip(names, best))))
    return picked


def combo_id(combo: dict[str, Any]) -> str:
    w = f"k{combo['num_workers']}{'p' if combo['persistent'] else ''}"
    flags = (
        ("shuf" if combo["shuffle"] else "noshuf")
        + ("-drop" if combo["drop_last"] else "")
        + ("-resume" if combo["resume"] else "")
    )
    return f"{combo['dataset']}-{combo['collate']}-b{combo['batch_size']}-w{combo['world_size']}-{w}-{flags}"


def _harness_digest() -> str:
    with open(HARNESS, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cache_key(combo: dict[str, Any]) -> str:
    """The reference cache key: the combination and the harness source (a changed harness re-runs everything)."""
    text = json.dumps(combo, sort_keys=True) + _harness_digest()
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ---------------------------------------------------------------- datasets
def build_datasets(root: str) -> dict[str, str]:
    """The matrix's datasets, written by our writer (0.2.76 reads them): sample ``i`` is ``{"i": i, ...}``."""
    from litdata import TokensLoader
    from litdata.streaming.cache import Cache

    def write(name: str, items: Iterable[Any], **kwargs: Any) -> str:
        folder = os.path.join(root, name)
        cache = Cache(folder, **kwargs)
        for index, item in enumerate(items):
            cache[index] = item
        cache.done()
        cache.merge()
        return folder

    def sample(i: int) -> dict:
        return {"i": i, "x": np.full(3, i, dtype=np.float32)}

    block = 4
    return {
        "plain": write("plain", (sample(i) for i in range(NUM_ITEMS)), chunk_size=8),
        "zstd": write("zstd", (sample(i) for i in range(NUM_ITEMS)), chunk_size=8, compression="zstd"),
        "second": write("second", (sample(SECOND + i) for i in range(NUM_ITEMS)), chunk_size=6),
        "tokens": write(
            "tokens",
            (np.arange(i * block, (i + 1) * block, dtype=np.int64) for i in range(NUM_ITEMS)),
            chunk_size=8 * block,
            item_loader=TokensLoader(),
        ),
    }


# ---------------------------------------------------------------- runs
def _run_harness(pythonpath: str, datasets: dict[str, str], combos: dict[str, dict], workdir: str) -> dict:
    os.makedirs(workdir, exist_ok=True)
    paths_file, combos_file, out_file = (os.path.join(workdir, n) for n in ("paths.json", "combos.json", "out.json"))
    with open(paths_file, "w") as f:
        json.dump(datasets, f)
    with open(combos_file, "w") as f:
        json.dump(combos, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATA_OPTIMIZER", "WORLD_SIZE", "GLOBAL_RANK"))}
    env["PYTHONPATH"] = pythonpath
    env["LITDATA_CACHE_DIR"] = os.path.join(workdir, "litdata-cache")
    done = subprocess.run(
        [sys.executable, HARNESS, paths_file, combos_file, out_file],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise AssertionError(f"The matrix harness failed under {pythonpath}:\n{done.stderr[-5000:]}")
    with open(out_file) as f:
        return json.load(f)


def run_ours(datasets: dict[str, str], combos: list[dict], workdir: str) -> dict[str, dict]:
    """Our outcome of every combination, by cache key (one subprocess)."""
    keyed = {cache_key(combo): combo for combo in combos}
    return _run_harness(OURS, datasets, keyed, os.path.join(workdir, "ours"))


def run_reference(datasets: dict[str, str], combos: list[dict], workdir: str) -> dict[str, dict]:
    """LitData 0.2.76's outcome of every combination, from the cache or run (the missing ones in one subprocess)."""
    if not os.path.isdir(os.path.join(REFERENCE, "litdata")):
        raise AssertionError(f"The reference LitData is not installed at {REFERENCE}: run `make reference`.")
    os.makedirs(CACHE_DIR, exist_ok=True)
    keyed = {cache_key(combo): combo for combo in combos}
    outcomes = {}
    for key in keyed:
        path = os.path.join(CACHE_DIR, key + ".json")
        if os.path.exists(path):
            with open(path) as f:
                outcomes[key] = json.load(f)
    missing = {key: combo for key, combo in keyed.items() if key not in outcomes}
    if missing:
        fresh = _run_harness(REFERENCE, datasets, missing, os.path.join(workdir, "reference"))
        for key, outcome in fresh.items():
            with open(os.path.join(CACHE_DIR, key + ".json"), "w") as f:
                json.dump(outcome, f)
        outcomes.update(fresh)
    return outcomes


# ---------------------------------------------------------------- checks
def expected_ids(combo: dict[str, Any]) -> list[list[int]]:
    """The ids each child dataset holds (one list for plain, zstd and tokens)."""
    first, second = list(range(NUM_ITEMS)), [SECOND + i for i in range(NUM_ITEMS)]
    if combo["dataset"] == "combined":
        return [first + second]
    if combo["dataset"] == "parallel":
        return [first, second]
    return [first]


def exactly_once_problems(combo: dict[str, Any], outcome: dict[str, Any]) -> list[str]:
    """What breaks "every epoch holds every sample exactly once" (with drop_last: at most once, the same count
    every epoch); empty when the outcome is exact."""
    if "error" in outcome:
        return [f"raised {outcome['error']}"]
    problems = []
    for epoch, ranks in enumerate(outcome["epochs"]):
        ids = [i for rank in ranks for i in rank]
        children = [[i // 10000 for i in ids], [i % 10000 for i in ids]] if combo["dataset"] == "parallel" else [ids]
        for child, expected in zip(children, expected_ids(combo)):
            repeated = sum(1 for count in Counter(child).values() if count > 1)
            foreign = set(child) - set(expected)
            missing = set(expected) - set(child)
            if repeated or foreign:
                problems.append(f"epoch {epoch}: {repeated} repeated, {len(foreign)} unknown ids")
            if missing and not combo["drop_last"]:
                problems.append(f"epoch {epoch}: {len(missing)} samples missing")
    return problems


def selected_combos() -> tuple[list[dict[str, Any]], set[str]]:
    """The combinations this run checks, and the cache keys of the CI subset among them.

    ``LITDATA_MATRIX=full`` (``make test-matrix``): every combination; ``LITDATA_MATRIX=sample:N``: the CI subset
    and N more drawn at random (seeded); unset: the CI subset (pairwise)."""
    ci = pairwise_combos()
    ci_keys = {cache_key(combo) for combo in ci}
    mode = os.environ.get("LITDATA_MATRIX", "")
    if mode == "full":
        return all_combos(), ci_keys
    if mode.startswith("sample:"):
        rest = [combo for combo in all_combos() if cache_key(combo) not in ci_keys]
        return ci + random.Random(76).sample(rest, int(mode.split(":", 1)[1])), ci_keys
    return ci, ci_keys


# ---------------------------------------------------------------- differences from 0.2.76 on purpose
PARALLEL_PERSISTENT = "Parallel datasets reshuffle every epoch with persistent workers"
COMBINED_RESUME = "A Combined dataset resumes exactly, and a loaded state applies to one epoch only"
PARALLEL_RESUME = "A Parallel dataset restored from a state_dict resumes once"


def _child_orders(combo: dict[str, Any], ranks: list[list[int]]) -> list[list[list[int]]]:
    if combo["dataset"] != "parallel":
        return [ranks]
    return [[[i // 10000 for i in rank] for rank in ranks], [[i % 10000 for i in rank] for rank in ranks]]


def documented_difference(combo: dict[str, Any], ours: dict, reference: dict) -> str | None:
    """The README difference that explains why ``ours`` (exact) differs from ``reference``, checked against what
    the difference says 0.2.76 does; None when none does."""
    if "epochs" not in ours or "epochs" not in reference:
        return None
    mine, theirs = ours["epochs"], reference["epochs"]
    if combo["dataset"] == "parallel" and combo["persistent"] and combo["shuffle"] and not combo["resume"]:
        # 0.2.76's persistent workers keep the previous order of a dataset they did not read to its end
        if mine[0] != theirs[0]:
            return None
        repeats = False
        for epoch in range(1, len(mine)):
            for ours_child, ref_child, ref_first in zip(
                _child_orders(combo, mine[epoch]), _child_orders(combo, theirs[epoch]), _child_orders(combo, theirs[0])
            ):
                for ours_rank, ref_rank, first_rank in zip(ours_child, ref_child, ref_first):
                    if ref_rank == ours_rank:
                        continue
                    if ref_rank != first_rank:
                        return None
                    repeats = True
        return PARALLEL_PERSISTENT if repeats else None
    if combo["dataset"] == "combined" and combo["resume"]:
        # 0.2.76 loses samples when a multi-worker Combined dataset resumes, and replays the resumed offsets in
        # the next epoch; the epoch before the checkpoint is the same
        return COMBINED_RESUME if mine[0] == theirs[0] else None
    if combo["dataset"] == "parallel" and combo["resume"]:
        # 0.2.76 replays the restored position on every new iteration until an epoch completes (and persistent
        # workers keep their own idea of each dataset's epoch); the epoch before the checkpoint is the same
        return PARALLEL_RESUME if mine[0] == theirs[0] else None
    return None
