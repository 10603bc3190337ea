"""A downloader for a new URL scheme, registered as a LitData 0.2.76 user registers one, and the downloader API such
a user calls: the dataset behind ``myfs://`` streams through it, and the downloader's methods (chunk by index, byte
ranges, the async variants) return the same as under the real 0.2.76."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import asyncio, json, os, shutil, sys
import litdata as ld
import litdata.streaming.resolver
from litdata.streaming.downloader import Downloader, get_downloader, register_downloader, unregister_downloader

ROOT = sys.argv[1]
CALLS = []

class FolderDownloader(Downloader):
    # myfs://<name>/<file> lives in ROOT/store/<name>/<file>
    def download_file(self, remote_filepath, local_filepath):
        CALLS.append(os.path.basename(remote_filepath))
        source = os.path.join(ROOT, "store", remote_filepath[len("myfs://"):])
        os.makedirs(os.path.dirname(local_filepath), exist_ok=True)
        shutil.copyfile(source, local_filepath)

    async def adownload_fileobj(self, remote_filepath):  # 0.2.76's async paths need it
        CALLS.append(os.path.basename(remote_filepath))
        with open(os.path.join(ROOT, "store", remote_filepath[len("myfs://"):]), "rb") as f:
            return f.read()

def sample(i):
    return {"i": i, "text": f"sample {i}"}

if __name__ == "__main__":
    ld.optimize(fn=sample, inputs=list(range(20)), output_dir=os.path.join(ROOT, "store", "data"), chunk_size=6,
                num_workers=1, keep_data_ordered=True)
    register_downloader("myfs://", FolderDownloader)
    out = {}
    try:
        register_downloader("myfs://", FolderDownloader)
    except ValueError as error:
        out["twice"] = type(error).__name__
    ds = ld.StreamingDataset(ld.streaming.resolver.Dir(path=os.path.join(ROOT, "cache"), url="myfs://data"))
    out["len"] = len(ds)
    out["items"] = [int(s["i"]) for s in ds]
    out["loader"] = sorted(int(i) for batch in ld.StreamingDataLoader(ds, batch_size=4) for i in batch["i"])
    out["fetched_chunks"] = sorted(set(name for name in CALLS if name.startswith("chunk-")))

    index = json.load(open(os.path.join(ROOT, "store", "data", "index.json")))
    folder = os.path.join(ROOT, "by-hand")
    os.makedirs(folder)
    downloader = get_downloader("myfs://data", folder, index["chunks"])
    out["type"] = type(downloader).__name__
    first = index["chunks"][1]["filename"]
    out["range"] = list(downloader.download_chunk_bytes_from_index(1, 0, 8))
    downloader.download_chunk_from_index(2)
    out["cached"] = sorted(os.listdir(folder))
    local = os.path.join(folder, "copy.bin")
    asyncio.run(downloader.adownload_file("myfs://data/" + first, local))
    out["async_file"] = open(local, "rb").read() == open(os.path.join(ROOT, "store", "data", first), "rb").read()
    out["async_range"] = list(asyncio.run(downloader.adownload_bytes("myfs://data/" + first, 4, 4, local)))
    out["async_empty"] = list(asyncio.run(downloader.adownload_bytes("myfs://data/" + first, 4, 0, local)))
    try:
        asyncio.run(downloader.adownload_bytes("myfs://data/" + first, -1, 4, local))
    except ValueError as error:
        out["negative"] = type(error).__name__
    try:
        asyncio.run(downloader.aupload_file(local, "myfs://data/other.bin"))
    except NotImplementedError as error:
        out["upload"] = str(error)
    unregister_downloader("myfs://")
    print(json.dumps(out))
"""


def test_a_downloader_registered_for_a_new_scheme_serves_the_dataset_as_in_0_2_76(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours == run_reference(SCRIPT, str(tmp_path / "reference"))
    assert ours["items"] == list(range(20)) == ours["loader"]
    assert ours["fetched_chunks"] == ["chunk-0-0.bin", "chunk-0-1.bin", "chunk-0-2.bin", "chunk-0-3.bin"]


SYNC_ONLY = r"""
import asyncio, json, os, shutil, sys
from litdata.streaming.downloader import Downloader

class CopyDownloader(Downloader):
    def download_file(self, remote_filepath, local_filepath):
        shutil.copyfile(remote_filepath[len("copy://"):], local_filepath)

if __name__ == "__main__":
    source = os.path.join(sys.argv[1], "source.bin")
    os.makedirs(sys.argv[1])
    open(source, "wb").write(bytes(range(16)))
    downloader = CopyDownloader("copy://" + sys.argv[1], sys.argv[1], [])
    target = os.path.join(sys.argv[1], "target.bin")
    asyncio.run(downloader.adownload_file("copy://" + source, target))
    print(json.dumps([open(target, "rb").read() == bytes(range(16)), list(asyncio.run(downloader.adownload_fileobj("copy://" + source)))[:3]]))
"""


def test_a_downloader_with_only_download_file_also_serves_the_async_methods(tmp_path):
    # 0.2.76 raises NotImplementedError here unless adownload_fileobj is overridden too (README "Where we differ")
    assert run_ours(SYNC_ONLY, str(tmp_path / "ours")) == [True, [0, 1, 2]]


def test_s3_client_builds_a_boto3_client_from_storage_options_and_rebuilds_it_after_the_refetch_interval():
    import pickle
    import time

    from litdata.streaming.client import R2Client, S3Client

    options = {"endpoint_url": "http://127.0.0.1:9", "aws_access_key_id": "a", "aws_secret_access_key": "b"}
    client = S3Client(refetch_interval=3600, storage_options=options)
    first = client.client
    assert first.meta.endpoint_url == "http://127.0.0.1:9" and client.client is first
    assert client.next_refresh_time().timestamp() > time.time() + 3500
    expiring = S3Client(refetch_interval=0, storage_options=options)
    assert expiring.client is not expiring.client
    assert pickle.loads(pickle.dumps(client)).client.meta.endpoint_url == "http://127.0.0.1:9"
    r2 = R2Client(storage_options={"account_id": "acc", "aws_access_key_id": "a", "aws_secret_access_key": "b"})
    assert r2.client.meta.endpoint_url == "https://acc.r2.cloudflarestorage.com"


def test_chunk_wait_timeout_and_the_warning_cache_live_where_0_2_76_has_them():
    import warnings

    from litdata.exceptions import ChunkWaitTimeoutError
    from litdata.helpers import WarningCache
    from litdata.streaming.reading.sources import ChunkWaitTimeoutError as raised

    assert ChunkWaitTimeoutError is raised and issubclass(ChunkWaitTimeoutError, FileNotFoundError)
    cache = WarningCache()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache.warn("once", stacklevel=1)
        cache.warn("once", stacklevel=1)
    assert [str(w.message) for w in caught] == ["once"]
