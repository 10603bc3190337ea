"""LitData 0.2.76's module paths that moved (issue 22) still import, as the modules at their new homes: every name
they held before the move resolves to the object at its new home, and a pickle that names a class by its old path
loads."""

import importlib
import inspect
import os
import pickle
import re
import subprocess
import sys

import pytest

from litdata._old_paths import OLD_PATHS

# The names each old path held before the move (defined there, or listed in its __all__ / served by __getattr__).
NAMES_BEFORE_THE_MOVE = {
    "litdata.streaming.cache": "Cache Dir",
    "litdata.streaming.client": "R2Client S3Client",
    "litdata.streaming.collate": "batch_tensor litdata_collate",
    "litdata.streaming.combined": "CombinedStreamingDataset",
    "litdata.streaming.compression": "BufferLike COMPRESSION_LEVELS Compressor CorruptedChunkError DEFAULT_FRAME_ROWS FRAMED_CHUNK_MAGIC FRAMED_CHUNK_VERSION FramedChunkReader ZSTDCompressor compress_sample decompress_sample get_compressor is_framed_chunk pack_framed_chunk resolve_compression",
    "litdata.streaming.config": "ChunksConfig load_index_file",
    "litdata.streaming.dataloader": "StreamingDataLoader",
    "litdata.streaming.dataset": "StreamingDataset logger",
    "litdata.streaming.dataset_update": "DatasetUpdate dataset_update",
    "litdata.streaming.downloader": "AzureDownloader Downloader FsspecDownloader GCPDownloader HFDownloader LocalDownloader LocalDownloaderWithCache R2Downloader S3Downloader StorageDownloader get_downloader register_downloader unregister_downloader",
    "litdata.streaming.item_loader": "BaseItemLoader Interval PyTreeLoader TokensLoader running_starts ParquetLoader",
    "litdata.streaming.parallel": "ParallelStreamingDataset Transform",
    "litdata.streaming.reader": "BinaryReader logger",
    "litdata.streaming.resolver": "CloudProvider Dir NotADatasetFolderError check_dataset_location _resolve_dir",
    "litdata.streaming.sampler": "ChunkedIndex",
    "litdata.streaming.serializers": "BoolSerializer BooleanSerializer BytesSerializer FileSerializer FloatSerializer ImageSerializer IntSerializer IntegerSerializer JPEGArraySerializer JPEGSerializer JsonLeaf JsonSerializer NoHeaderNumpySerializer NoHeaderTensorSerializer NumericSerializer NumpyScalarFloatSerializer NumpyScalarIntSerializer NumpySerializer PILSerializer PickleRefusedError PickleSerializer RefusedPickleSerializer SerializedBytes Serializer StringSerializer TIFFSerializer TensorSerializer TextSerializer decodes_in_parallel pickle_allowed reading_bytes select_serializer serializer_for_format AudioSerializer GraphSerializer MeshSerializer NiftiSerializer PDFSerializer VideoSerializer _SERIALIZERS _get_serializers",
    "litdata.streaming.shuffle": "DEFAULT_ITEM_SHUFFLE_WINDOW DEFAULT_POSIX_SHUFFLE_WINDOW FullShuffle IndexedChunks NoShuffle Shuffle WINDOW_SHUFFLE_KINDS WindowShuffle WorkerAssignment detect_posix_fast_kind filesystem_kind posix_shuffle_window resolve_item_shuffle_window shuffler_class sliding_window_order",
    "litdata.streaming.temporal": "SCHEMA_VERSION TemporalArrayLoader aread_window open_direct read_window reads_windows",
    "litdata.streaming.window": "check_window_request cut_window",
    "litdata.streaming.writer": "BinaryWriter merge_index_files write_index_atomic index_parquet_dataset",
    "litdata.utilities.base": "",
    "litdata.utilities.dataset_utilities": "adapt_mds_shards_to_chunks copy_index_to_cache_index_filepath generate_md5_hash generate_roi get_default_cache_dir load_index_file subsample_streaming_dataset wait_for_predicate",
    "litdata.utilities.format": "parse_size",
    "litdata.utilities.hf_dataset": "hf_dataset_candidates hf_index_folder index_hf_dataset list_hf_parquet optimize_hf",
    "litdata.utilities.keys_index": "KEYS_DIRNAME KEYS_VERSION KeyLookup LEGACY_KEYS_FILENAME build_keys_index chunk_positions fetch_dataset_file has_keys_store iter_keys key_shard keys_section keys_tables normalize_key read_keys_config read_shard shard_filename write_keys_for write_keys_index write_keys_store",
    "litdata.utilities.parquet": "build_parquet_index index_parquet_dataset list_parquet_files write_index",
    "litdata.utilities.train_test_split": "logger train_test_split",
}


def test_every_moved_path_of_litdata_0_2_76_is_listed():
    assert sorted(NAMES_BEFORE_THE_MOVE) == sorted(OLD_PATHS)


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_an_old_module_path_imports_as_the_module_at_its_new_home(old):
    assert importlib.import_module(old) is importlib.import_module(OLD_PATHS[old])


@pytest.mark.parametrize("old", sorted(NAMES_BEFORE_THE_MOVE))
def test_every_name_an_old_path_held_resolves_to_the_object_at_its_new_home(old):
    module = importlib.import_module(old)
    for name in NAMES_BEFORE_THE_MOVE[old].split():
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            home = sys.modules[value.__module__]
            assert getattr(home, value.__qualname__) is value, (old, name)
            assert value.__module__ not in OLD_PATHS, (old, name)  # defined at a new home, not at an old path


def test_from_imports_of_old_paths_work_in_a_fresh_process():
    script = (
        "from litdata.streaming.dataset import StreamingDataset\n"
        "from litdata.streaming.item_loader import ParquetLoader, TokensLoader\n"
        "from litdata.streaming.serializers import _SERIALIZERS, AudioSerializer, JPEGSerializer\n"
        "from litdata.utilities.keys_index import KeyLookup, build_keys_index\n"
        "from litdata.utilities import dataset_utilities\n"
        "import litdata.streaming.writer as writer\n"
        "print(StreamingDataset.__module__, ParquetLoader.__module__, writer.__name__, dataset_utilities.__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [
        "litdata.streaming.datasets.dataset",
        "litdata.format.parquet",
        "litdata.format.writer",
        "litdata.streaming.datasets.dataset_utilities",
    ]


@pytest.mark.parametrize(
    "old, name",
    [
        ("litdata.streaming.dataset", "StreamingDataset"),
        ("litdata.streaming.item_loader", "TokensLoader"),
        ("litdata.streaming.item_loader", "ParquetLoader"),
        ("litdata.streaming.serializers", "JPEGSerializer"),
        ("litdata.streaming.resolver", "Dir"),
        ("litdata.streaming.shuffle", "FullShuffle"),
        ("litdata.utilities.keys_index", "KeyLookup"),
    ],
)
def test_a_pickle_naming_a_class_by_its_old_path_loads(old, name):
    loaded = pickle.loads(f"c{old}\n{name}\n.".encode())
    assert loaded is getattr(importlib.import_module(old), name)


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_an_old_module_path_has_a_type_stub_naming_what_it_held(old):
    import litdata

    stub = os.path.join(os.path.dirname(litdata.__file__), *old.split(".")[1:]) + ".pyi"
    with open(stub) as f:
        text = f.read()
    assert f"from {OLD_PATHS[old]} import *" in text
    for name in NAMES_BEFORE_THE_MOVE[old].split():
        assert re.search(rf"\b{name} as {name}\b", text), (old, name)
