"""`StreamingDataset` and its helpers, called as a LitData 0.2.76 user calls them: same results, same errors."""

from dual import run_both

WRITE_PAIRS = """
import litdata as ld
from compat_fns import pair

root = params["root"]
ld.optimize(fn=pair, inputs=list(range(20)), output_dir=root + "/pairs", chunk_size=5, num_workers=1, verbose=False)
"""


def test_a_transform_method_of_a_subclass_applies_to_indexing_and_iteration(tmp_path):
    snippet = (
        WRITE_PAIRS
        + """
class Tagged(ld.StreamingDataset):
    def transform(self, sample):
        return ("tagged", sample)

tagged = Tagged(root + "/pairs")
explicit = ld.StreamingDataset(root + "/pairs", transform=lambda sample: ("explicit", sample))
result = (tagged[3], list(tagged)[:2], explicit[3])
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert (
        ours.value()
        == reference.value()
        == (("tagged", (3, 9)), [("tagged", (0, 0)), ("tagged", (1, 1))], ("explicit", (3, 9)))
    )


def test_train_test_split_accepts_empty_splits(tmp_path):
    snippet = (
        WRITE_PAIRS
        + """
splits = ld.train_test_split(ld.StreamingDataset(root + "/pairs"), [0.0, 0.0, 1.0])
result = [len(split) for split in splits], sorted(list(splits[2]))
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert ours.value() == reference.value() == ([0, 0, 20], [(i, i * i) for i in range(20)])


ENCRYPTED = """
import litdata as ld
from litdata.utilities.encryption import FernetEncryption
from compat_fns import pair

root = params["root"]
key = FernetEncryption("pw-1", level=params["level"])
# forked workers: LitData 0.2.76 cannot pickle its FernetEncryption for spawned ones since cryptography 51
ld.optimize(fn=pair, inputs=list(range(12)), output_dir=root + "/secret", chunk_size=5, num_workers=1, verbose=False,
            encryption=key, start_method="fork")
"""


def test_an_encrypted_dataset_opened_without_its_key_fails_at_the_first_read(tmp_path):
    snippet = (
        ENCRYPTED
        + """
dataset = ld.StreamingDataset(root + "/secret")  # accepted: nothing is read yet
result = len(dataset)
dataset[0]
"""
    )
    for level in ("sample", "chunk"):
        reference, ours = run_both(snippet, tmp_path / level, level=level)
        assert reference.error == ours.error == "ValueError", (reference.traceback, ours.traceback)
        assert ours.message.startswith(reference.message)  # ours adds how to pass the key


def test_a_wrong_key_raises_invalid_token_as_litdata_does_and_still_a_value_error(tmp_path):
    snippet = (
        ENCRYPTED
        + """
wrong = FernetEncryption("not-the-password", level="sample")
ld.StreamingDataset(root + "/secret", encryption=wrong)[0]
"""
    )
    reference, ours = run_both(snippet, tmp_path, level="sample")
    assert reference.raised("cryptography.fernet.InvalidToken")
    assert ours.raised("cryptography.fernet.InvalidToken") and ours.raised("builtins.ValueError")
    assert "password" in ours.message


def test_a_custom_serializer_gets_bytes_from_cache_reads_and_a_view_from_a_dataset(tmp_path):
    snippet = """
import litdata as ld
from litdata.streaming.cache import Cache
from compat_fns import Note, RecordingSerializer

folder = params["root"] + "/notes"
cache = Cache(folder, chunk_size=4, serializers={"note": RecordingSerializer()})
for i in range(6):
    cache[i] = {"note": Note(f"n{i}"), "i": i}
cache.done()
cache.merge()
dataset = ld.StreamingDataset(folder, serializers={"note": RecordingSerializer()})
reader = Cache(folder, chunk_size=4, serializers={"note": RecordingSerializer()})
result = (
    [reader[i]["note"] for i in range(6)],
    [dataset[i]["note"] for i in range(len(dataset))],
    [sample["note"] for sample in dataset],
)
"""
    reference, ours = run_both(snippet, tmp_path)
    assert ours.value() == reference.value()
    from_cache, indexed, iterated = ours.value()
    assert from_cache == [("bytes", f"n{i}") for i in range(6)]
    assert indexed == iterated == [("memoryview", f"n{i}") for i in range(6)]


def test_an_empty_folder_raises_value_error_that_is_also_file_not_found(tmp_path):
    snippet = """
import os
import litdata as ld

os.makedirs(params["root"] + "/empty")
getattr(ld, params["cls"])(params["root"] + "/empty")
"""
    for cls in ("StreamingDataset", "StreamingRawDataset"):
        reference, ours = run_both(snippet, tmp_path / cls, cls=cls)
        assert reference.error == "ValueError"
        assert ours.raised("builtins.ValueError") and ours.raised("builtins.FileNotFoundError")
        assert "empty" in ours.message


def test_a_max_cache_size_under_25_gb_logs_a_warning(tmp_path):
    snippet = (
        WRITE_PAIRS
        + """
import logging

records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("litdata.streaming.dataset").addHandler(handler)
for size in ("1GB", 10**9, "30GB", 0.5, None):
    ld.StreamingDataset(root + "/pairs", max_cache_size=size)
    records.append(size)
result = [r if not isinstance(r, logging.LogRecord) else ("warning", "less than 25GB" in r.getMessage()) for r in records]
"""
    )
    reference, ours = run_both(snippet, tmp_path)
    assert ours.value() == reference.value()
    assert ours.value() == [("warning", True), "1GB", ("warning", True), 10**9, "30GB", 0.5, None]


def test_file_indexer_refuses_schemes_without_a_storage_before_any_network_call(tmp_path):
    snippet = """
try:
    from litdata.raw.indexer import FileIndexer
except ImportError:  # ours before litdata.raw existed
    from litdata.streaming.raw import FileIndexer

errors = []
for url in ("ftp://127.0.0.1:9/data", "http://127.0.0.1:9/data"):
    try:
        FileIndexer().discover_files(url, None)
    except ValueError as error:
        errors.append(str(error).split(". ")[0])
result = errors
"""
    reference, ours = run_both(snippet, tmp_path)
    assert ours.value() == reference.value()
    assert ours.value() == ["Unsupported input directory scheme: `ftp`", "Unsupported input directory scheme: `http`"]


def test_a_symlinked_dataset_folder_resolves_to_its_target(tmp_path):
    snippet = (
        WRITE_PAIRS
        + """
os.symlink(root + "/pairs", root + "/link")
dataset = ld.StreamingDataset(root + "/link")
result = os.path.relpath(dataset.input_dir.path, root), dataset[3]
"""
    )
    reference, ours = run_both(snippet.replace("import litdata as ld", "import os\nimport litdata as ld"), tmp_path)
    assert ours.value() == reference.value() == ("pairs", (3, 9))
