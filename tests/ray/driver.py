"""Ray driver programs of the tests, run inside the cluster's namespace: ``python driver.py WORKDIR SCENARIO...``.

Scenarios run one after the other in one driver (a driver takes seconds to start), each in ``WORKDIR/SCENARIO``.
What each observed, or its traceback, goes to ``WORKDIR/result.json``; the tests assert on it and on the files.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
import time
import traceback

import ray_fns

import litdata as ld
from litdata.processing.ray import RayExecutor


def equivalence(workdir: str) -> dict:
    """The jobs whose outputs the tests compare with single-machine runs."""
    ordered = os.path.join(workdir, "ordered")
    ld.optimize(
        ray_fns.make_sample,
        list(range(240)),
        ordered,
        chunk_size=10,
        keep_data_ordered=True,
        executor=RayExecutor(num_tasks=12),
    )
    ordered_files = sorted(os.listdir(ordered))
    ld.optimize(ray_fns.make_sample, list(range(240, 300)), ordered, chunk_size=10, mode="append", executor="ray")
    # num_nodes without machine, with RAY_ADDRESS set: Ray as well
    ld.optimize(
        ray_fns.two_samples, list(range(200)), os.path.join(workdir, "generator"), chunk_bytes="2KB", num_nodes=3
    )
    ld.map(ray_fns.write_files, list(range(150)), os.path.join(workdir, "mapped"), executor="ray")
    return {"ordered_files_before_append": ordered_files}


def error(workdir: str) -> dict:
    output = os.path.join(workdir, "out")
    try:
        ld.optimize(ray_fns.fail_on_42, list(range(100)), output, chunk_size=10, executor=RayExecutor(num_tasks=10))
    except Exception as exc:
        cause = exc.__cause__
        return {
            "type": type(exc).__name__,
            "message": str(exc),
            "cause": None if cause is None else [type(cause).__name__, str(cause)],
            "files": sorted(os.listdir(output)),
        }
    return {"type": None}


def s3(workdir: str) -> dict:
    """Inputs read from S3 by the tasks, output written to S3; a moto server on loopback inside the namespace."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the driver's log

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    options = {
        "endpoint_url": f"http://{host}:{port}",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    client = boto3.client("s3", **options)
    client.create_bucket(Bucket="data")
    for index in range(60):
        client.put_object(Bucket="data", Key=f"raw/{index}.txt", Body=f"{index}".encode())
    urls = [f"s3://data/raw/{index}.txt" for index in range(60)]
    read_sample = functools.partial(ray_fns.sample_from_object, storage_options=options)
    ld.optimize(read_sample, urls, "s3://data/optimized", chunk_size=8, storage_options=options, executor="ray")
    ld.map(ray_fns.write_files, list(range(30)), "s3://data/mapped", storage_options=options, executor="ray")
    dataset = ld.StreamingDataset(
        "s3://data/optimized", storage_options=options, cache_dir=os.path.join(workdir, "cache")
    )
    samples = [dataset[i] for i in range(len(dataset))]
    listing = client.list_objects_v2(Bucket="data", Prefix="optimized/")["Contents"]
    mapped = client.list_objects_v2(Bucket="data", Prefix="mapped/")["Contents"]
    index = json.loads(client.get_object(Bucket="data", Key="optimized/index.json")["Body"].read())
    server.stop()
    return {
        "samples": samples,
        "objects": sorted(item["Key"] for item in listing),
        "indexed_chunks": [chunk["filename"] for chunk in index["chunks"]],
        "mapped": sorted(item["Key"] for item in mapped),
    }


def _node_processes(node_id: str) -> list[int]:
    """Processes of one Ray node in this PID namespace: its raylet, its agents and their children (the workers)."""
    commands, parents = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                commands[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    selected = {pid for pid, command in commands.items() if node_id in command}
    while True:
        children = {pid for pid, parent in parents.items() if parent in selected} - selected
        if not children:
            return sorted(selected)
        selected |= children


def node_kill(workdir: str) -> dict:
    """Kill every process of one worker node while its tasks run; the job must still finish, exactly once."""
    import ray.util.scheduling_strategies  # binds `ray` too

    ray.init()
    victim = next(node["NodeID"] for node in ray.nodes() if node["Alive"] and "victim" in node["Resources"])
    # A worker process of the victim imports litdata now, so that the victim takes tasks as early as the others.
    on_victim = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(victim, soft=False)
    assert ray.get(ray.remote(ray_fns.warm_up).options(scheduling_strategy=on_victim).remote(), timeout=120) == victim
    markers = os.path.join(workdir, "calls")
    os.makedirs(markers)
    receivable = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    receivable &= signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    killed: list[int] = []

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 120
        while not any(_read(os.path.join(markers, name)) == victim for name in os.listdir(markers)):
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        for pid in _node_processes(victim):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    killer.start()
    slow = functools.partial(ray_fns.recorded_slow_sample, marker_dir=markers, delay=0.1)
    start = time.monotonic()
    ld.optimize(
        slow,
        list(range(160)),
        os.path.join(workdir, "out"),
        chunk_size=5,
        keep_data_ordered=True,
        executor=RayExecutor(num_tasks=16),
    )
    seconds = time.monotonic() - start
    killer.join(1)
    return {"victim": victim, "killed": killed, "seconds": seconds, "calls": _calls(markers)}


def interrupt(workdir: str) -> dict:
    """Ctrl-C in the driver while tasks run: the tasks must stop."""
    markers = os.path.join(workdir, "calls")
    os.makedirs(markers)
    receivable = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    receivable &= signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])

    def press_ctrl_c_when_busy() -> None:
        while len(os.listdir(markers)) < 3:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c_when_busy, daemon=True).start()
    slow = functools.partial(ray_fns.recorded_slow_sample, marker_dir=markers, delay=0.2)
    output = os.path.join(workdir, "out")
    try:
        ld.optimize(slow, list(range(300)), output, chunk_size=5, executor=RayExecutor(num_tasks=30))
    except KeyboardInterrupt:
        interrupted = True
    else:
        interrupted = False
    time.sleep(2.0)  # calls already inside fn when the tasks were cancelled may still leave a marker
    calls_after_cancel = len(os.listdir(markers))
    time.sleep(2.0)
    return {
        "sigint_receivable": receivable,
        "interrupted": interrupted,
        "calls_after_cancel": calls_after_cancel,
        "calls_2s_later": len(os.listdir(markers)),
        "has_index": os.path.exists(os.path.join(output, "index.json")),
    }


def _train_loop(config: dict) -> None:
    import torch.distributed as dist

    import litdata as ld

    dataset = ld.StreamingDataset(config["input_dir"], drop_last=False)  # default in a job of several ranks: True
    loader = ld.StreamingDataLoader(dataset, batch_size=8)
    seen = [int(i) for batch in loader for i in batch["index"]]
    rank = dist.get_rank()
    with open(os.path.join(config["report_dir"], f"rank-{rank}.json"), "w") as f:
        json.dump({"rank": rank, "world_size": dist.get_world_size(), "seen": seen, "len": len(dataset)}, f)


def train(workdir: str) -> dict:
    """Two Ray Train workers read the dataset that Ray optimized: each rank gets its own share."""
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    dataset_dir = os.path.join(workdir, "dataset")
    ld.optimize(ray_fns.fixed_sample, list(range(200)), dataset_dir, chunk_size=10, executor="ray")
    report_dir = os.path.join(workdir, "reports")
    os.makedirs(report_dir)
    trainer = TorchTrainer(
        _train_loop,
        train_loop_config={"input_dir": dataset_dir, "report_dir": report_dir},
        scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
        run_config=RunConfig(storage_path=os.path.join(workdir, "ray_results"), name="read-litdata"),
    )
    trainer.fit()
    return {"reports": [json.loads(_read(os.path.join(report_dir, name))) for name in sorted(os.listdir(report_dir))]}


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _calls(marker_dir: str) -> dict[str, list[str]]:
    """Input -> nodes of every call of fn for it."""
    calls: dict[str, list[str]] = {}
    for name in os.listdir(marker_dir):
        calls.setdefault(name.split("-")[0], []).append(_read(os.path.join(marker_dir, name)))
    return calls


SCENARIOS = {f.__name__: f for f in (equivalence, error, s3, node_kill, interrupt, train)}


def main(workdir: str, scenarios: list[str]) -> None:
    results = {}
    for scenario in scenarios:
        folder = os.path.join(workdir, scenario)
        os.makedirs(folder)
        try:
            results[scenario] = {"result": SCENARIOS[scenario](folder)}
        except BaseException:
            results[scenario] = {"driver_error": traceback.format_exc()}
    with open(os.path.join(workdir, "result.json"), "w") as f:
        json.dump(results, f, default=repr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
