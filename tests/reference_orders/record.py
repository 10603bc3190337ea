"""Record the batch order of the real LitData 0.2.76 into ``orders.json`` (the golden file the order tests read).

Run with the reference release importable, never with our package on the path:

    PYTHONPATH=/work/main/.cache/reference-litdata /work/main/.venv/bin/python tests/reference_orders/record.py

Every sample is its own item id, so a batch is the list of item ids read. Each (case, rank) runs in a fresh
subprocess with ``WORLD_SIZE``/``GLOBAL_RANK`` (and ``NNODES``) set, the reference's override of distributed
detection. ``LITDATA_POSIX_FAST=0`` is set for every case except the WindowShuffle ones: it turns off the POSIX-fast
profile of local directories, so shuffling uses FullShuffle and the loader applies no RAM-based cap on
``num_workers``. WindowShuffle cases set ``LITDATA_POSIX_FAST=1`` (kind "forced") and
``LITDATA_POSIX_MAX_WORKERS=0`` (no worker cap).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
OUTPUT = HERE / "orders.json"


def _pad_uneven(i: int) -> bytes:
    return b"x" * ((i * 37) % 61 if i < 200 else 1)


def _pad_lopsided(i: int) -> bytes:
    return b"x" * (150 if i < 30 else 0)


DATASETS = {
    "d257": {"num_items": 257, "chunk_size": 16},
    "d100": {"num_items": 100, "chunk_size": 7},
    "uneven": {"num_items": 300, "chunk_bytes": 2000, "pad": _pad_uneven},
    "lopsided": {"num_items": 200, "chunk_bytes": 2000, "pad": _pad_lopsided},
    "d1300": {"num_items": 1300, "chunk_size": 600},
}


def _case(name: str, dataset: str, world_size: int, num_workers: int, batch_size: int, **options: object) -> dict:
    case = {
        "name": name,
        "dataset": dataset,
        "world_size": world_size,
        "num_workers": num_workers,
        "batch_size": batch_size,
        "drop_last": False,
        "shuffle": True,
        "seed": 1234,
        "subsample": 1.0,
        "epochs": 2,
        "num_nodes": 1,
        "window_shuffle": False,
        "max_cache_size": None,
        "resume_after": None,
        "resume_into": None,
    }
    case.update(options)
    return case


CASES = [
    _case("w1_k0_b4_full", "d257", 1, 0, 4),
    _case("w1_k2_b4_full", "d257", 1, 2, 4),
    _case("w1_k3_b3_noshuffle", "d257", 1, 3, 3, shuffle=False),
    _case("w2_k2_b3_full_droplast", "d257", 2, 2, 3, drop_last=True),
    _case("w2_k1_b4_full_keep_last", "d100", 2, 1, 4),
    _case("w3_k1_b5_noshuffle_keep_last", "d257", 3, 1, 5, shuffle=False),
    _case("w3_k3_b1_full_droplast", "uneven", 3, 3, 1, drop_last=True),
    _case("w2_k3_b4_full_subsample_half", "d257", 2, 3, 4, drop_last=True, subsample=0.5),
    _case("w1_k2_b3_full_subsample_1_5", "uneven", 1, 2, 3, subsample=1.5, seed=7),
    _case("w2_k0_b3_noshuffle_subsample_half", "uneven", 2, 0, 3, shuffle=False, drop_last=True, subsample=0.5),
    _case("w3_k2_b4_full_keep_last", "uneven", 3, 2, 4, seed=99),
    _case("w1_k2_b4_full_window_4", "uneven", 1, 2, 4, item_shuffle_window=4),
    _case("w4_k2_b3_full_two_nodes", "d100", 4, 2, 3, drop_last=True, num_nodes=2, epochs=3),
    _case("w4_k2_b3_full_two_nodes_cache_too_small", "d100", 4, 2, 3, drop_last=True, num_nodes=2, max_cache_size=400),
    _case("w1_k3_b4_window_shuffle", "uneven", 1, 3, 4, window_shuffle=True),
    _case("w2_k2_b3_window_shuffle_droplast", "lopsided", 2, 2, 3, drop_last=True, window_shuffle=True),
    _case("w2_k3_b2_window_shuffle_keep_last", "uneven", 2, 3, 2, window_shuffle=True),
    _case("w2_k2_b7_window_shuffle_droplast_empty_worker", "d1300", 2, 2, 7, drop_last=True, window_shuffle=True),
    _case("w1_k4_b7_window_shuffle_keep_last", "d1300", 1, 4, 7, window_shuffle=True),
    _case("w1_k2_b4_resume_after_3", "d257", 1, 2, 4, resume_after=3, epochs=1),
    _case("w2_k3_b3_resume_after_5", "uneven", 2, 3, 3, drop_last=True, resume_after=5, epochs=1),
    _case("w1_k0_b4_noshuffle_resume_after_7", "d100", 1, 0, 4, shuffle=False, resume_after=7, epochs=1),
    _case("elastic_k2_to_k3", "d257", 1, 2, 4, resume_after=10, resume_into={"num_workers": 3}),
    _case("elastic_b4_to_b5", "d257", 1, 2, 4, resume_after=7, resume_into={"batch_size": 5}),
    _case("elastic_w2_to_w1", "d257", 2, 2, 4, drop_last=True, resume_after=5, resume_into={"world_size": 1}),
    _case("elastic_w1_to_w2_k0", "d257", 1, 0, 4, drop_last=True, resume_after=9, resume_into={"world_size": 2}),
    _case(
        "elastic_window_k2_to_k3",
        "uneven",
        1,
        2,
        4,
        window_shuffle=True,
        resume_after=9,
        resume_into={"num_workers": 3},
    ),
]


def build_dataset(root: Path, name: str) -> Path:
    from litdata.streaming.cache import Cache

    spec = DATASETS[name]
    path = root / name
    if "pad" in spec:
        cache = Cache(input_dir=str(path), chunk_bytes=spec["chunk_bytes"])
        for i in range(spec["num_items"]):
            cache[i] = {"i": i, "pad": spec["pad"](i)}
    else:
        cache = Cache(input_dir=str(path), chunk_size=spec["chunk_size"])
        for i in range(spec["num_items"]):
            cache[i] = {"i": i}
    cache.done()
    cache.merge()
    return path


def _make_loader(path: str, case: dict):
    from litdata import StreamingDataLoader, StreamingDataset

    options = {}
    if "item_shuffle_window" in case:
        options["item_shuffle_window"] = case["item_shuffle_window"]
    if case["max_cache_size"] is not None:
        options["max_cache_size"] = case["max_cache_size"]
    dataset = StreamingDataset(
        path,
        shuffle=case["shuffle"],
        drop_last=case["drop_last"],
        seed=case["seed"],
        subsample=case["subsample"],
        **options,
    )
    loader = StreamingDataLoader(dataset, batch_size=case["batch_size"], num_workers=case["num_workers"])
    return dataset, loader


def _ids(batch: dict) -> list[int]:
    return [int(i) for i in batch["i"]]


def _read_batches(loader, limit: int | None = None) -> list[list[int]]:
    batches = []
    for batch in loader:
        batches.append(_ids(batch))
        if len(batches) == limit:
            break
    return batches


def run_rank(path: str, case: dict, loaded_state: dict | None) -> dict:
    """Iterate one rank's loader as the case describes and return what it read.

    Plain cases read whole epochs. Resume cases read ``resume_after`` batches, take the loader's state and either
    resume it in a fresh loader (strict replay) or return it for the ranks of another topology (``resume_into``).
    With ``loaded_state`` the rank starts from that state and reads the rest of the epoch.
    """
    dataset, loader = _make_loader(path, case)
    result = {
        "subsampled_files": list(dataset.subsampled_files),
        "region_of_interest": [[int(value) for value in roi] for roi in dataset.region_of_interest],
    }
    if loaded_state is not None:
        loader.load_state_dict(loaded_state)
        result["after"] = _read_batches(loader)
    elif case["resume_after"] is None:
        result["epochs"] = [_read_batches(loader) for _ in range(case["epochs"])]
    else:
        result["before"] = _read_batches(loader, case["resume_after"])
        state = loader.state_dict()
        result["state"] = {key: value for key, value in state.items() if key != "dataset"}
        result["checkpoint"] = state
        if case["resume_into"] is None:
            _, resumed_loader = _make_loader(path, case)
            resumed_loader.load_state_dict(state)
            result["after"] = _read_batches(resumed_loader)
    return result


def _environment(case: dict, rank: int) -> dict:
    env = dict(os.environ, WORLD_SIZE=str(case["world_size"]), GLOBAL_RANK=str(rank), NNODES=str(case["num_nodes"]))
    if case["window_shuffle"]:
        env.update(LITDATA_POSIX_FAST="1", LITDATA_POSIX_MAX_WORKERS="0")
    else:
        env["LITDATA_POSIX_FAST"] = "0"
    return env


def _run_ranks(dataset_path: Path, case: dict, loaded_state: dict | None = None) -> list[dict]:
    ranks = []
    for rank in range(case["world_size"]):
        run = subprocess.run(
            [sys.executable, __file__, str(dataset_path), json.dumps(case)],
            input=json.dumps(loaded_state),
            env=_environment(case, rank),
            capture_output=True,
            text=True,
        )
        if run.returncode:
            sys.exit(f"case {case['name']} rank {rank} failed:\n{run.stderr}")
        ranks.append(json.loads(run.stdout.strip().splitlines()[-1]))
    return ranks


def record_case(dataset_path: Path, case: dict) -> dict:
    ranks = _run_ranks(dataset_path, case)
    if case["resume_into"] is None:
        return {**case, "ranks": ranks}
    checkpoint = ranks[0]["checkpoint"]
    resumed_case = {**case, **case["resume_into"], "resume_into": None, "resume_after": None}
    return {**case, "ranks": ranks, "resumed_ranks": _run_ranks(dataset_path, resumed_case, checkpoint)}


def record(only: list[str]) -> None:
    """Record every case, or with names given only those, keeping the other recorded cases of ``orders.json``."""
    recorded = {"datasets": {}, "cases": []}
    previous = {case["name"]: case for case in json.loads(OUTPUT.read_text())["cases"]} if only else {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in DATASETS:
            path = build_dataset(root, name)
            index = json.loads((path / "index.json").read_text())
            recorded["datasets"][name] = {
                "filenames": [chunk["filename"] for chunk in index["chunks"]],
                "chunk_sizes": [chunk["chunk_size"] for chunk in index["chunks"]],
                "chunk_bytes": [chunk["chunk_bytes"] for chunk in index["chunks"]],
            }
        for case in CASES:
            if only and case["name"] not in only:
                recorded["cases"].append(previous[case["name"]])
                continue
            recorded["cases"].append(record_case(root / case["dataset"], case))
            print(f"recorded {case['name']}", file=sys.stderr)
    OUTPUT.write_text(json.dumps(recorded, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1].startswith("/"):
        print(json.dumps(run_rank(sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.stdin.read()))))
    else:
        record(sys.argv[1:])
