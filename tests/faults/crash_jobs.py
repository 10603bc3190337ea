"""Optimize runs started in a child process by the crash tests (and by `measure_litdata.py` with LitData 0.2.76).

``python crash_jobs.py '{"output": ..., "ids": [first, stop], "mode": ...}'`` writes ``{"id": i}`` for every id,
slowly enough (``delay`` seconds per sample) that a kill lands in the middle of the run.
"""

from __future__ import annotations

import json
import sys
import time

DELAY_S = 0.004


def slow_sample(i: int) -> dict:
    time.sleep(DELAY_S)
    return {"id": i}


def main(spec: dict) -> None:
    from litdata import optimize

    first, stop = spec["ids"]
    optimize(
        slow_sample,
        list(range(first, stop)),
        spec["output"],
        chunk_size=spec.get("chunk_size", 10),
        num_workers=spec.get("num_workers", 2),
        mode=spec.get("mode"),
        storage_options=spec.get("storage_options") or {},
        verbose=False,
        keep_data_ordered=spec.get("keep_data_ordered"),
        use_checkpoint=spec.get("use_checkpoint", False),
        **({"start_method": spec["start_method"]} if spec.get("start_method") else {}),
    )
    print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
