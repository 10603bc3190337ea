"""The demo dataset (1,000 random 32x32 images, see demo.py) optimized on a local 2-node Ray cluster, streamed back.

The cluster runs on this machine: a head node and a worker node with 1 CPU each, started with `ray start` inside a
network namespace that only has loopback (Ray would otherwise advertise the machine's network address), so it needs
root. The same job also runs with 2 local worker processes, for comparison. On your own cluster, skip all this and
call `ld.optimize(..., executor="ray")` with RAY_ADDRESS set. `--scaling` adds the CPU-bound runs of docs/ray.md.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

import litdata as ld
from litdata.processing.ray import RayExecutor

NUM_IMAGES = 1000
_INSIDE = "LITDATA_DEMO_RAY_INSIDE"
_ADDRESS = "127.0.0.1:6399"


def random_images(index):
    rng = np.random.default_rng(index)
    image = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return {"index": index, "image": image, "class": int(rng.integers(0, 10))}


def busy_sample(index):
    """A CPU-bound input (~10-20 ms of pure Python), to see how the work itself spreads over nodes."""
    total = 0
    for step in range(150_000):
        total += step * index % 7
    return {"index": index, "total": total}


def waiting_sample(index):
    """An input that waits 20 ms (like a download) and needs almost no CPU."""
    time.sleep(0.02)
    return {"index": index}


def timed_optimize(output_dir, fn=random_images, num_inputs=NUM_IMAGES, **options):
    shutil.rmtree(output_dir, ignore_errors=True)
    start = time.perf_counter()
    ld.optimize(fn=fn, inputs=list(range(num_inputs)), output_dir=output_dir, chunk_bytes="64MB", **options)
    return time.perf_counter() - start


def scaling(root: str) -> None:
    """The CPU-bound job on 1 and 2 processes / nodes, and the cost of one task (numbers for docs/ray.md)."""
    jobs = {
        "local, 1 worker process": {"num_workers": 1},
        "local, 2 worker processes": {"num_workers": 2},
        "ray, 1 node (8 tasks)": {"executor": RayExecutor(num_tasks=8, resources_per_task={"node0": 1})},
        "ray, 2 nodes (8 tasks)": {"executor": RayExecutor(num_tasks=8)},
        "ray, 2 nodes (300 tasks of 1 input)": {"executor": RayExecutor(num_tasks=300)},
    }
    timed_optimize(os.path.join(root, "warm-up"), busy_sample, 300, executor=RayExecutor(), verbose=False)
    for kind, fn in (("CPU-bound (~20 ms of Python)", busy_sample), ("waiting (20 ms sleep)", waiting_sample)):
        for label, options in jobs.items():
            seconds = timed_optimize(os.path.join(root, "scaling"), fn, 300, verbose=False, **options)
            print(f"scaling:  300 {kind} inputs, {label}: {seconds:.2f}s")


def inside_the_cluster() -> None:
    import ray

    root = os.path.join(tempfile.gettempdir(), "litdata-demo-ray")
    start = time.perf_counter()
    ray.init(address=_ADDRESS, log_to_driver=False)
    connect_seconds = time.perf_counter() - start
    nodes = [node for node in ray.nodes() if node["Alive"]]
    cpus = int(ray.cluster_resources().get("CPU", 0))

    local_seconds = timed_optimize(os.path.join(root, "local"), num_workers=2, verbose=False)
    cold_seconds = timed_optimize(os.path.join(root, "ray-cold"), executor=RayExecutor(), verbose=False)
    ray_dir = os.path.join(root, "ray")
    warm_seconds = timed_optimize(ray_dir, executor=RayExecutor(), verbose=False)
    one_task_seconds = timed_optimize(os.path.join(root, "ray-1"), executor=RayExecutor(num_tasks=1), verbose=False)
    files = sorted(os.listdir(ray_dir))
    size = sum(os.path.getsize(os.path.join(ray_dir, name)) for name in files)

    dataset = ld.StreamingDataset(ray_dir, shuffle=True)
    loader = ld.StreamingDataLoader(dataset, batch_size=64, num_workers=2)
    start = time.perf_counter()
    seen = [int(i) for batch in loader for i in batch["index"]]
    stream_seconds = time.perf_counter() - start
    same = _same_samples(os.path.join(root, "local"), ray_dir)
    num_tasks = _num_tasks(ray_dir)
    ray.shutdown()
    shutil.rmtree(root, ignore_errors=True)

    print(f"cluster:  {len(nodes)} nodes, {cpus} CPUs")
    print(f"connect:  ray.init to the running cluster in {connect_seconds:.2f}s")
    print(f"local:    {NUM_IMAGES} images with 2 worker processes in {local_seconds:.2f}s")
    print(
        f"ray:      {NUM_IMAGES} images as {num_tasks} tasks on {len(nodes)} nodes in {cold_seconds:.2f}s "
        f"(cold: first tasks start Ray worker processes), {warm_seconds:.2f}s warm; one task: {one_task_seconds:.2f}s"
    )
    print(f"output:   {len(files) - 1} chunk files + index.json ({size / 1e6:.2f} MB); same samples as local: {same}")
    print(
        f"stream:   {len(set(seen))} unique of {len(seen)} samples in {stream_seconds:.2f}s "
        f"({len(seen) / stream_seconds:,.0f} samples/s) with 2 workers, shuffle=True"
    )
    assert sorted(seen) == list(range(NUM_IMAGES)), "every sample must come back exactly once"
    assert same, "Ray and local runs must write the same samples"
    if "--scaling" in sys.argv:
        ray.init(address=_ADDRESS, log_to_driver=False)
        scaling(root)
        shutil.rmtree(root, ignore_errors=True)


def _num_tasks(folder: str) -> int:
    return len({name.split("-")[1] for name in os.listdir(folder) if name.startswith("chunk-")})


def _same_samples(local_dir: str, ray_dir: str) -> bool:
    local, on_ray = ld.StreamingDataset(local_dir), ld.StreamingDataset(ray_dir)

    def key(sample):
        return sample["index"], sample["class"], np.asarray(sample["image"]).tobytes()

    return len(local) == len(on_ray) and sorted(map(key, local)) == [key(on_ray[i]) for i in range(len(on_ray))]


def start_cluster_and_rerun() -> int:
    """Start the namespace and the 2 nodes, run this script inside, stop the cluster."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        print("demo-ray starts a local Ray cluster in a loopback-only network namespace, which needs root (unshare).")
        print("On a Ray cluster of yours: RAY_ADDRESS=<head>:6379 and ld.optimize(..., executor='ray').")
        return 1
    ray_cli = os.path.join(os.path.dirname(sys.executable), "ray")
    node = "--node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats --object-store-memory=200000000"
    resources = ["--resources='{\"node0\": 1}'", "--resources='{\"node1\": 1}'"]
    temp_dir = tempfile.mkdtemp(prefix="ldray-demo-")
    script = f"""
set -e
ip link set lo up
start=$(date +%s.%N)
{ray_cli} start --head --port=6399 --include-dashboard=false --temp-dir={temp_dir} {node} {resources[0]} > /dev/null 2>&1
{ray_cli} start --address={_ADDRESS} {node} {resources[1]} > /dev/null 2>&1
{sys.executable} -c "print(f'started:  head + 1 worker node in {{$(date +%s.%N) - $start:.1f}}s')"
set +e
{sys.executable} {os.path.abspath(__file__)} {" ".join(sys.argv[1:])}
status=$?
{ray_cli} stop --force > /dev/null 2>&1
exit $status
"""
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", **{_INSIDE: "1"})
    command = ["unshare", "-n", "-p", "-f", "--kill-child", "--mount-proc", "bash", "-c", script]
    start = time.perf_counter()
    status = subprocess.run(command, env=env).returncode
    shutil.rmtree(temp_dir, ignore_errors=True)
    print(f"total:    {time.perf_counter() - start:.1f}s including starting and stopping the cluster")
    return status


if __name__ == "__main__":
    if os.getenv(_INSIDE):
        inside_the_cluster()
    else:
        sys.exit(start_cluster_and_rerun())
