"""Every object a user hands to `optimize`, `map` or a StreamingDataset travels to worker processes by pickling its
configuration (key material, options), never a live object of another library, and works on the other side.

Since cryptography 51, `cryptography.fernet.Fernet` (and other cipher objects) cannot be pickled: an encryption that
held one made every `optimize(..., encryption=...)` with spawned workers fail.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import litdata as ld
from litdata.format.parquet import ParquetLoader
from litdata.processing.readers import ParquetReader, StreamingDataLoaderReader
from litdata.processing.recipes import DataProcessor
from litdata.streaming import serializers
from litdata.streaming.item_loader import PyTreeLoader, TokensLoader
from litdata.utilities.encryption import Encryption, FernetEncryption, RSAEncryption
from pickling_objects import AesGcmEncryption, SquaresRecipe, TextFilesRecipe, record, row_sums, tokens

from testpaths import TESTS_DIR

# Modules a pickled user-facing object may reference: ours, the standard library's reconstruction helpers, numpy
# for arrays and torch's DataLoader classes (samplers) for a StreamingDataLoader. A cipher, a client or a file handle
# of another library would show up as its module.
_ALLOWED_MODULES = (
    "litdata",
    "pickling_objects",
    "builtins",
    "copyreg",
    "collections",
    "_codecs",
    "pathlib",
    "numpy",
    "torch.utils.data",
)

ENCRYPTIONS: dict[str, Callable[[], Encryption]] = {
    "fernet-sample": lambda: FernetEncryption("correct horse", level="sample"),
    "fernet-chunk": lambda: FernetEncryption("correct horse", level="chunk"),
    "rsa-sample": lambda: RSAEncryption("correct horse", level="sample"),
    "rsa-chunk": lambda: RSAEncryption("correct horse", level="chunk"),
    "custom-aes-gcm": lambda: AesGcmEncryption(AESGCM.generate_key(bit_length=128)),
}


class _RecordingUnpickler(pickle.Unpickler):
    """Unpickles while recording the module of every global the pickle references."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(io.BytesIO(payload))
        self.modules: set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        self.modules.add(module)
        return super().find_class(module, name)


def assert_pickles_by_configuration(obj: Any) -> Any:
    """Pickle ``obj``, check it references no module of another library, and return the unpickled copy."""
    unpickler = _RecordingUnpickler(pickle.dumps(obj))
    copy = unpickler.load()
    foreign = {module for module in unpickler.modules if not module.startswith(_ALLOWED_MODULES)}
    assert not foreign, f"{type(obj).__name__} pickles objects of {sorted(foreign)}"
    return copy


@pytest.fixture
def dataset_dir(tmp_path):
    output = str(tmp_path / "plain")
    ld.optimize(fn=record, inputs=list(range(20)), output_dir=output, chunk_size=5, num_workers=1, verbose=False)
    return output


@pytest.mark.parametrize("name", ENCRYPTIONS)
def test_each_encryption_pickles_its_keys_and_decrypts_after_unpickling(name):
    encryption = ENCRYPTIONS[name]()
    copy = assert_pickles_by_configuration(encryption)
    assert copy.level == encryption.level
    assert copy.decrypt(encryption.encrypt(b"secret" * 100)) == b"secret" * 100
    assert encryption.decrypt(copy.encrypt(b"back")) == b"back"


def test_an_unpickled_fernet_does_not_derive_its_key_again():
    from litdata.utilities.encryption import _derive_fernet_key

    encryption = FernetEncryption("a password used once")
    payload = pickle.dumps(encryption)
    _derive_fernet_key.cache_clear()
    pickle.loads(payload)
    assert _derive_fernet_key.cache_info().misses == 0


@pytest.mark.parametrize("name", sorted(serializers._SERIALIZERS))
def test_every_serializer_pickles(name):
    assert type(assert_pickles_by_configuration(serializers._SERIALIZERS[name])) is type(serializers._SERIALIZERS[name])


def test_readers_and_item_loaders_pickle_after_use(tmp_path, dataset_dir):
    pq.write_table(pa.table({"value": list(range(10))}), tmp_path / "table.parquet")
    reader = ParquetReader(str(tmp_path / "shards"), num_rows=4)
    shards = reader.remap_items([str(tmp_path / "table.parquet")], 2)
    reader.read(shards[0])
    assert len(assert_pickles_by_configuration(reader).read(shards[1])) == 4

    batches = StreamingDataLoaderReader(ld.StreamingDataLoader(ld.StreamingDataset(dataset_dir), batch_size=4))
    assert batches.read(0)["id"].tolist() == [0, 1, 2, 3]
    assert assert_pickles_by_configuration(batches).read(0)["id"].tolist() == [0, 1, 2, 3]

    dataset = ld.StreamingDataset(dataset_dir, item_loader=PyTreeLoader())
    dataset[7]
    loader = assert_pickles_by_configuration(dataset.item_loader)
    assert type(loader) is PyTreeLoader
    assert assert_pickles_by_configuration(TokensLoader(block_size=8)).block_size == 8
    assert type(assert_pickles_by_configuration(ParquetLoader())) is ParquetLoader


def test_datasets_with_encryption_and_storage_options_pickle_after_reading(tmp_path):
    encryption = FernetEncryption("correct horse")
    output = str(tmp_path / "encrypted")
    ld.optimize(
        fn=record, inputs=list(range(10)), output_dir=output, chunk_size=5, encryption=encryption, verbose=False
    )
    dataset = ld.StreamingDataset(output, encryption=encryption, storage_options={"timeout": 3})
    list(dataset)
    copy = assert_pickles_by_configuration(dataset)
    assert copy[4]["secret"] == dataset[4]["secret"] == f"patient-{dataset[4]['id']}"
    combined = ld.CombinedStreamingDataset([dataset, ld.StreamingDataset(output, encryption=encryption)], seed=1)
    list(combined)
    assert sorted(sample["id"] for sample in assert_pickles_by_configuration(combined)) == sorted(2 * list(range(10)))
    parallel = ld.ParallelStreamingDataset([dataset, ld.StreamingDataset(output, encryption=encryption)])
    list(parallel)
    assert len(list(assert_pickles_by_configuration(parallel))) == 10


def test_recipes_pickle():
    assert (
        assert_pickles_by_configuration(SquaresRecipe(chunk_size=4, encryption=FernetEncryption("pw"))).chunk_size == 4
    )
    assert type(assert_pickles_by_configuration(TextFilesRecipe())) is TextFilesRecipe


# ------------------------------------------------------------------------------------ round trips under spawn


@pytest.mark.parametrize("name", ENCRYPTIONS)
def test_optimize_with_spawned_workers_encrypts_with_each_encryption_and_reads_back(tmp_path, name):
    encryption = ENCRYPTIONS[name]()
    output = str(tmp_path / "encrypted")
    ld.optimize(
        fn=record,
        inputs=list(range(24)),
        output_dir=output,
        chunk_size=5,
        encryption=encryption,
        num_workers=2,
        start_method="spawn",
        verbose=False,
    )
    dataset = ld.StreamingDataset(output, encryption=encryption)
    assert sorted(sample["id"] for sample in dataset) == list(range(24))
    assert dataset[0]["secret"].startswith("patient-")
    chunks = b"".join(path.read_bytes() for path in Path(output).glob("*.bin"))
    assert b"patient-" not in chunks


def test_an_encrypted_dataset_reads_in_spawned_dataloader_workers(tmp_path):
    encryption = FernetEncryption("correct horse", level="chunk")
    output = str(tmp_path / "encrypted")
    ld.optimize(
        fn=record, inputs=list(range(30)), output_dir=output, chunk_size=4, encryption=encryption, verbose=False
    )
    dataset = ld.StreamingDataset(output, encryption=encryption)
    loader = ld.StreamingDataLoader(dataset, batch_size=5, num_workers=2, multiprocessing_context="spawn")
    ids = [int(i) for batch in loader for i in batch["id"]]
    assert sorted(ids) == list(range(30))


def test_combined_and_parallel_datasets_read_in_spawned_dataloader_workers(tmp_path, dataset_dir):
    tokens_dir = str(tmp_path / "tokens")
    ld.optimize(
        fn=tokens,
        inputs=list(range(8)),
        output_dir=tokens_dir,
        chunk_size=40,
        item_loader=TokensLoader(),
        num_workers=2,
        start_method="spawn",
        verbose=False,
    )
    token_blocks = ld.StreamingDataset(tokens_dir, item_loader=TokensLoader(block_size=10))
    combined = ld.CombinedStreamingDataset(
        [ld.StreamingDataset(dataset_dir), ld.StreamingDataset(dataset_dir)], seed=3, iterate_over_all=True
    )
    parallel = ld.ParallelStreamingDataset([ld.StreamingDataset(dataset_dir), token_blocks])
    spawn = {"num_workers": 2, "multiprocessing_context": "spawn", "batch_size": 2}
    combined_ids = [int(i) for batch in ld.StreamingDataLoader(combined, **spawn) for i in batch["id"]]
    assert sorted(combined_ids) == sorted(2 * list(range(20)))
    one_spawned_worker = {**spawn, "num_workers": 1}
    blocks = [block for _, batch in ld.StreamingDataLoader(parallel, **one_spawned_worker) for block in batch]
    assert sorted(int(block[0]) // 10 for block in blocks) == list(range(8))


def test_optimize_reads_parquet_shards_with_a_reader_in_spawned_workers(tmp_path):
    files = []
    for part in range(2):
        path = tmp_path / f"part-{part}.parquet"
        pq.write_table(pa.table({"value": list(range(part * 100, part * 100 + 25))}), path)
        files.append(str(path))
    output = str(tmp_path / "sums")
    ld.optimize(
        fn=row_sums,
        inputs=files,
        output_dir=output,
        chunk_size=2,
        reader=ParquetReader(str(tmp_path / "shards"), num_rows=10),
        num_workers=2,
        start_method="spawn",
        verbose=False,
    )
    samples = list(ld.StreamingDataset(output))
    assert sum(sample["rows"] for sample in samples) == 50
    assert sum(sample["total"] for sample in samples) == sum(range(25)) + sum(range(100, 125))


def test_recipes_run_in_spawned_workers(tmp_path):
    encryption = FernetEncryption("pw")
    chunks = str(tmp_path / "squares")
    DataProcessor(None, chunks, num_workers=2, start_method="spawn", verbose=False).run(
        SquaresRecipe(chunk_size=4, encryption=encryption)
    )
    assert sorted(tuple(sample) for sample in ld.StreamingDataset(chunks, encryption=encryption)) == [
        (i, i**2) for i in range(12)
    ]
    files = tmp_path / "files"
    DataProcessor(None, str(files), num_workers=2, start_method="spawn", verbose=False).run(TextFilesRecipe())
    assert {path.name: path.read_text() for path in files.iterdir()} == {f"{i}.txt": str(i * 3) for i in range(6)}


def test_litdata_readmes_encryption_example_runs_as_written(tmp_path):
    script = textwrap.dedent(
        """
        import numpy as np
        from PIL import Image

        from litdata import StreamingDataset, optimize
        from litdata.utilities.encryption import FernetEncryption

        fernet = FernetEncryption(password="your_secure_password", level="sample")
        data_dir = "optimized_data"


        def random_image(index):
            fake_img = Image.fromarray(np.random.randint(0, 255, (32, 32, 3), dtype=np.uint8))
            return {"image": fake_img, "class": index}


        if __name__ == "__main__":
            optimize(
                fn=random_image,
                inputs=list(range(5)),
                num_workers=1,
                output_dir=data_dir,
                chunk_bytes="64MB",
                encryption=fernet,
            )
            fernet.save("fernet.pem")

            fernet = FernetEncryption.load("fernet.pem", password="your_secure_password")
            ds = StreamingDataset(input_dir=data_dir, encryption=fernet)
            print(sorted(sample["class"] for sample in ds), ds[0]["image"].size)
        """
    )
    (tmp_path / "example.py").write_text(script)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(TESTS_DIR).parent / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[0, 1, 2, 3, 4] (32, 32)"
