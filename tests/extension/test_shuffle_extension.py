"""Shufflers built by hand, as a LitData 0.2.76 user builds them: ``NoShuffle``/``FullShuffle``/``WindowShuffle`` over
a `Cache`, asked for the chunks and item ranges of every worker, a rank's length and the order of one chunk's items.
The same script runs under the real 0.2.76 and under ours, with the same output."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import json, sys
import numpy as np
from litdata.streaming.cache import Cache
from litdata.streaming.shuffle import FullShuffle, NoShuffle, WindowShuffle
from litdata.utilities.env import _DistributedEnv

if __name__ == "__main__":
    cache = Cache(sys.argv[1], chunk_size=4)
    for i in range(30):
        cache[i] = {"i": i}
    cache.done()
    cache.merge()
    cache = Cache(sys.argv[1], chunk_size=4)
    out = {}
    shufflers = {
        "no": NoShuffle(cache, seed=42, drop_last=False),
        "full": FullShuffle(cache, seed=42, drop_last=False),
        "full_window_1": FullShuffle(cache, 7, True, item_window=1),
        "window": WindowShuffle(cache, seed=42, drop_last=False, window=2, item_window=4),
        "window_items": WindowShuffle(cache, 3, False, window=3),
    }
    for name, shuffler in shufflers.items():
        rows = {}
        for world_size, rank, workers, batch, epoch in [(1, 0, 1, 1, 1), (2, 1, 2, 3, 1), (2, 0, 2, 3, 2)]:
            env = _DistributedEnv(world_size, rank, 1)
            chunks, intervals = shuffler.get_chunks_and_intervals_per_workers(env, workers, batch, epoch)
            rows[f"{world_size}/{rank}/{workers}/{batch}/{epoch}"] = {
                "chunks": [[int(c) for c in worker] for worker in chunks],
                "intervals": [[[int(v) for v in piece] for piece in worker] for worker in intervals],
                "len": shuffler.get_len(env, workers, batch, epoch),
            }
        rows["items"] = [int(v) for v in shuffler(np.arange(100, 112), 3, 2, 1)]
        out[name] = rows
    out["attributes"] = [shufflers["full"].seed, shufflers["full"].drop_last, shufflers["window"].window]
    print(json.dumps(out))
"""


def test_shufflers_built_over_a_cache_assign_and_order_items_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours == run_reference(SCRIPT, str(tmp_path / "reference"))
    assert ours["no"]["items"] == list(range(100, 112))
    assert sorted(ours["full"]["items"]) == list(range(100, 112)) != ours["full"]["items"]
    assert ours["no"]["1/0/1/1/1"]["len"] == 30
