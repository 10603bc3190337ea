"""`make demo-s3`: start a local S3 server (moto), optimize 2,000 samples straight into a bucket, then stream them
back twice (cold cache, then warm) and print what happened and how fast."""

import logging
import os
import tempfile
import time

import numpy as np

import litdata as ld


def sample(index):
    rng = np.random.default_rng(index)
    return {"index": index, "array": rng.random(4096).astype(np.float32), "label": int(rng.integers(10))}


def main() -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    options = {
        "endpoint_url": f"http://{host}:{port}",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
    boto3.client("s3", **options).create_bucket(Bucket="litdata-demo")
    url = "s3://litdata-demo/optimized"
    try:
        start = time.perf_counter()
        ld.optimize(
            fn=sample,
            inputs=list(range(2000)),
            output_dir=url,
            chunk_bytes="4MB",
            num_workers=2,
            storage_options=options,
        )
        print(f"optimize: 2000 samples (16 KB each) -> {url} in {time.perf_counter() - start:.2f}s")
        with tempfile.TemporaryDirectory() as cache:
            dataset = ld.StreamingDataset(url, storage_options=options, cache_dir=cache, shuffle=True)
            loader = ld.StreamingDataLoader(dataset, batch_size=64, num_workers=2)
            for epoch in ("cold", "warm"):
                start = time.perf_counter()
                count = sum(len(batch["index"]) for batch in loader)
                seconds = time.perf_counter() - start
                print(
                    f"stream ({epoch} cache): {count} samples in {seconds:.2f}s ({count / seconds:,.0f} samples/s, "
                    f"{count * 16 / 1024 / seconds:,.1f} MB/s)"
                )
            cached = sum(len(files) for _, _, files in os.walk(cache))
            print(f"cache folder holds {cached} files")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
