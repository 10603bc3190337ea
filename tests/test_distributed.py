"""Real `torch.distributed` (gloo) ranks: equal batch counts, disjoint shares, and per-rank resume."""

import json
import os
import socket

import torch.distributed as dist
import torch.multiprocessing as mp

from litdata import StreamingDataLoader, StreamingDataset

from helpers import build_dataset


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world_size: int, port: int, folder: str, out: str, stop_after: int | None) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    try:

        def loader():
            return StreamingDataLoader(StreamingDataset(folder, shuffle=True), batch_size=4, num_workers=1)

        result = {"full": [b.tolist() for b in loader()]}
        if stop_after is not None:
            first = loader()
            it = iter(first)
            result["head"] = [next(it).tolist() for _ in range(stop_after)]
            state = first.state_dict()
            del it
            resumed = loader()
            resumed.load_state_dict(json.loads(json.dumps(state)))
            result["tail"] = [b.tolist() for b in resumed]
            result["world_size_in_state"] = state["dataset"]["world_size"]
        counts = [None] * world_size
        dist.all_gather_object(counts, len(result["full"]))
        result["all_counts"] = counts
        with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
            json.dump(result, f)
        dist.barrier()  # both ranks reach the teardown together (torch 2.4's gloo can hang when one left first)
    finally:
        dist.destroy_process_group()


def _run_ranks(tmp_path, world_size: int, num_items: int, stop_after: int | None = None) -> list[dict]:
    folder = build_dataset(tmp_path / "data", num_items, chunk_size=9)
    mp.spawn(_rank_main, args=(world_size, _free_port(), folder, str(tmp_path), stop_after), nprocs=world_size)
    results = []
    for rank in range(world_size):
        with open(tmp_path / f"rank{rank}.json") as f:
            results.append(json.load(f))
    return results


def test_two_gloo_ranks_get_equal_batches_and_disjoint_items_and_resume_independently(tmp_path):
    results = _run_ranks(tmp_path, world_size=2, num_items=101, stop_after=3)
    counts = results[0]["all_counts"]
    assert counts == results[1]["all_counts"] and counts[0] == counts[1] == 12  # 101 items, drop_last: 96
    items = [x for r in results for b in r["full"] for x in b]
    assert len(items) == len(set(items)) == 96
    for r in results:
        assert r["world_size_in_state"] == 2
        assert r["head"] + r["tail"] == r["full"]
