"""Run configuration-matrix combinations with whichever LitData is importable (ours or the real 0.2.76).

Usage: ``python harness.py DATASETS_JSON COMBOS_JSON OUT_JSON``. One process runs many combinations (a Python +
torch start costs about 2 s). Every sample carries its id, so a combination's outcome is, for each of its 3 epochs,
the sequence of sample ids each rank read, or the error it raised. Ranks are simulated in turn with LitData's
``WORLD_SIZE``/``GLOBAL_RANK`` override of distributed detection, read when a dataset is created.

This file only calls the public API both releases share; its source is part of the reference cache key.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np

import litdata as ld
from litdata import StreamingDataset

EPOCHS = 3
TOKEN_BLOCK = 4
PARALLEL_OFFSET = 1000  # the second dataset of a Combined or Parallel dataset holds ids 1000, 1001, ...


def _add_tag(sample: Any) -> Any:
    """The transform of the "transform" collate axis."""
    if isinstance(sample, dict):
        return {**sample, "tag": 1}
    return sample


def _ids_collate(samples: list) -> list:
    """The custom collate of the "custom" axis: the sample ids as a plain list."""
    return [_sample_id(sample) for sample in samples]


def _sample_id(sample: Any) -> int:
    if isinstance(sample, dict):
        return int(sample["i"])
    if isinstance(sample, (tuple, list)):  # a Parallel sample: one per dataset
        return _sample_id(sample[0]) * 10000 + _sample_id(sample[1])
    values = np.asarray(sample).reshape(-1)  # a block of tokens
    return int(values[0]) // TOKEN_BLOCK


def _batch_ids(batch: Any) -> list[int]:
    if isinstance(batch, list) and all(isinstance(v, int) for v in batch):
        return batch
    if isinstance(batch, dict):
        return [int(v) for v in batch["i"]]
    if isinstance(batch, (tuple, list)) and len(batch) == 2:  # Parallel: (batch of a, batch of b)
        return [a * 10000 + b for a, b in zip(_batch_ids(batch[0]), _batch_ids(batch[1]))]
    values = np.asarray(batch)
    return [int(row[0]) // TOKEN_BLOCK for row in values.reshape(values.shape[0], -1)]


class TaggedDataset(StreamingDataset):
    """The "getitem" axis: a subclass that overrides ``__getitem__``."""

    def __getitem__(self, index: Any) -> Any:
        return _add_tag(super().__getitem__(index))


def _dataset(paths: dict, combo: dict) -> Any:
    cls = TaggedDataset if combo["collate"] == "getitem" else ld.StreamingDataset
    options: dict[str, Any] = {"shuffle": combo["shuffle"], "drop_last": combo["drop_last"], "seed": 11}
    if combo["collate"] == "transform":
        options["transform"] = _add_tag
    kind = combo["dataset"]
    if kind == "tokens":
        return cls(paths["tokens"], item_loader=ld.TokensLoader(block_size=TOKEN_BLOCK), **options)
    if kind in ("plain", "zstd"):
        return cls(paths[kind], **options)
    children = [cls(paths["plain"], **options), cls(paths["second"], **options)]
    if kind == "combined":
        return ld.CombinedStreamingDataset(children, seed=5)
    return ld.ParallelStreamingDataset(children)


def _loader(paths: dict, combo: dict) -> Any:
    kwargs: dict[str, Any] = {"batch_size": combo["batch_size"], "num_workers": combo["num_workers"]}
    if combo["num_workers"] > 0:
        kwargs["persistent_workers"] = combo["persistent"]
    if combo["collate"] == "custom":
        kwargs["collate_fn"] = _ids_collate
    return ld.StreamingDataLoader(_dataset(paths, combo), **kwargs)


def _epoch(loader: Any, combo: dict, limit: int | None = None) -> list[int]:
    ids: list[int] = []
    for count, batch in enumerate(loader, 1):
        ids.extend(_batch_ids(batch))
        if count == limit:
            break
    return ids


def _run_rank(paths: dict, combo: dict) -> list[list[int]]:
    """The ids this rank reads in each epoch; with ``resume``, epoch 1 is broken off halfway, its state loaded into
    a new loader, which reads the rest of epoch 1 and then epoch 2."""
    loader = _loader(paths, combo)
    epochs = [_epoch(loader, combo)]
    if not combo["resume"]:
        epochs += [_epoch(loader, combo) for _ in range(EPOCHS - 1)]
        return epochs
    half = -(-len(epochs[0]) // combo["batch_size"]) // 2  # an epoch of one batch is saved before that batch
    before = _epoch(loader, combo, limit=half) if half else []
    state = loader.state_dict()
    del loader
    resumed = _loader(paths, combo)
    resumed.load_state_dict(json.loads(json.dumps(state)))  # as a checkpoint file would carry it
    epochs.append(before + _epoch(resumed, combo))
    epochs.append(_epoch(resumed, combo))
    return epochs


def _gloo_rank(rank: int, world_size: int, port: int, paths: dict, combo: dict, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    try:
        with open(f"{out}.{rank}", "w") as f:
            json.dump(_run_rank(paths, combo), f)
        dist.barrier()  # the ranks leave together (torch 2.4's gloo can hang when one left first)
    finally:
        dist.destroy_process_group()


def _gloo_ranks(paths: dict, combo: dict) -> list:
    """Every rank's epochs, each rank a real `torch.distributed` gloo process."""
    import socket
    import tempfile

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "rank")
        mp.spawn(_gloo_rank, args=(combo["world_size"], port, paths, combo, out), nprocs=combo["world_size"])
        ranks = []
        for rank in range(combo["world_size"]):
            with open(f"{out}.{rank}") as f:
                ranks.append(json.load(f))
        return ranks


def run_combo(paths: dict, combo: dict) -> dict:
    """``{"epochs": [[ids of rank 0, ids of rank 1, ...] per epoch]}`` or ``{"error": "Type: message"}``.
    ``combo["ranks"] == "gloo"`` runs the ranks as real gloo processes instead of LitData's override."""
    try:
        if combo.get("ranks") == "gloo":
            per_rank = _gloo_ranks(paths, combo)
        else:
            per_rank = []
            for rank in range(combo["world_size"]):
                os.environ["WORLD_SIZE"] = str(combo["world_size"])
                os.environ["GLOBAL_RANK"] = str(rank)
                per_rank.append(_run_rank(paths, combo))
    except Exception as error:  # the outcome to compare, not a failure of the harness
        return {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
    finally:
        os.environ.pop("WORLD_SIZE", None)
        os.environ.pop("GLOBAL_RANK", None)
    return {"epochs": [[rank[epoch] for rank in per_rank] for epoch in range(EPOCHS)]}


def main(datasets_file: str, combos_file: str, out_file: str) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    os.environ["LITDATA_POSIX_FAST"] = "0"  # FullShuffle and no RAM-based worker cap, in both releases
    with open(datasets_file) as f:
        paths = json.load(f)
    with open(combos_file) as f:
        combos = json.load(f)
    results = {key: run_combo(paths, combo) for key, combo in combos.items()}
    with open(out_file, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
