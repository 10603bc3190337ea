"""The README's queue recipe: a producer process puts items then one `ALL_DONE`; `optimize(queue=q)` with several
workers finishes and writes every item, as in LitData 0.2.76 (which needs ``start_method="fork"`` for it)."""

import pytest

from reference_run import run_ours, run_reference

RECIPE = """
import json, sys, time
from multiprocessing import Process, Queue
from litdata.processing.data_processor import ALL_DONE
import litdata as ld

def yield_numbers():
    for i in range(60):
        time.sleep(0.001)
        yield (i, i**2)

def data_producer(q):
    for item in yield_numbers():
        q.put(item)
    q.put(ALL_DONE)

def fn(index):
    return index

if __name__ == "__main__":
    q = Queue(maxsize=100)
    producer = Process(target=data_producer, args=(q,))
    producer.start()
    ld.optimize(fn=fn, queue=q, output_dir=sys.argv[1], num_workers=int(sys.argv[2]), chunk_size=16, mode="overwrite",
                **({"start_method": sys.argv[3]} if len(sys.argv) > 3 else {}))
    producer.join()
    ds = ld.StreamingDataset(sys.argv[1])
    print(json.dumps({"all_done": ALL_DONE, "items": sorted([list(map(int, ds[i])) for i in range(len(ds))])}))
"""


@pytest.mark.parametrize("num_workers", [1, 3])
def test_one_all_done_sentinel_ends_a_queue_for_any_number_of_workers(num_workers, tmp_path):
    ours = run_ours(RECIPE, str(tmp_path / "ours"), str(num_workers), timeout=300)
    assert ours["items"] == [[i, i**2] for i in range(60)]
    # 0.2.76 spawns its workers, which cannot receive this (fork-context) queue: its own README recipe fails on
    # Linux unless the workers are forked. Ours runs the recipe as written.
    assert ours == run_reference(RECIPE, str(tmp_path / "theirs"), str(num_workers), "fork", timeout=300)
