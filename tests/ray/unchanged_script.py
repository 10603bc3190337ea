"""A user's script that knows nothing about Ray: `LITDATA_EXECUTOR=ray` (with RAY_ADDRESS) moves it to a cluster."""

import sys

import litdata as ld


def describe(index):
    ray = sys.modules.get("ray")
    return {"index": index, "on_ray": bool(ray is not None and ray.is_initialized())}


if __name__ == "__main__":
    ld.optimize(describe, list(range(50)), sys.argv[1], chunk_size=10, num_workers=2)
