"""optimize_hf against a local server speaking the Hub API that huggingface_hub's file system uses (no network)."""

import os
import pickle
import subprocess
import sys
import textwrap

import media_samples as samples
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fake_hub import FakeHub

import litdata as ld
from litdata.utilities.hf_dataset import hf_dataset_candidates

from testpaths import TESTS_DIR

pytest.importorskip("huggingface_hub")
REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")
REPO = "stanfordnlp/imdb"


def _parquet(path, first: int, count: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rows = range(first, first + count)
    pq.write_table(pa.table({"text": [f"review {i}" for i in rows], "label": [i % 2 for i in rows]}), path)


@pytest.fixture
def hub(tmp_path):
    """``stanfordnlp/imdb`` with native ``data/{split}-*.parquet`` files on main, a ``v1`` revision and the parquet
    conversion branch (``plain_text`` config: ``train``, ``unsupervised``); ``org/native`` has only native files."""
    root = str(tmp_path / "hub")
    repo = os.path.join(root, REPO)
    _parquet(os.path.join(repo, "main", "data", "train-00000-of-00002.parquet"), 0, 6)
    _parquet(os.path.join(repo, "main", "data", "train-00001-of-00002.parquet"), 6, 4)
    _parquet(os.path.join(repo, "main", "data", "test-00000-of-00001.parquet"), 100, 3)
    _parquet(os.path.join(repo, "v1", "data", "train.parquet"), 200, 2)
    _parquet(os.path.join(repo, "refs%2Fconvert%2Fparquet", "plain_text", "train", "0000.parquet"), 0, 10)
    _parquet(os.path.join(repo, "refs%2Fconvert%2Fparquet", "plain_text", "unsupervised", "0000.parquet"), 300, 5)
    _parquet(os.path.join(root, "org", "native", "main", "data", "train-00000-of-00001.parquet"), 400, 3)
    _parquet(os.path.join(root, "org", "native", "main", "data", "test-00000-of-00001.parquet"), 500, 2)
    server = FakeHub(root)
    yield server
    server.close()


def _options(hub) -> dict:
    return {"endpoint": hub.endpoint, "token": False}


def test_a_split_of_a_hub_dataset_is_optimized_and_streams_its_rows(hub, tmp_path):
    out = ld.optimize_hf(
        REPO,
        output_dir=str(tmp_path / "imdb-opt"),
        split="train",
        num_workers=1,
        cache_dir=str(tmp_path / "cache"),
        storage_options=_options(hub),
    )
    dataset = ld.StreamingDataset(out, shuffle=True, drop_last=True)
    assert sorted(row["text"] for row in dataset) == sorted(f"review {i}" for i in range(10))
    assert {row["label"] for row in dataset} == {0, 1}


def test_a_repo_without_a_conversion_branch_resolves_its_own_split_files(hub, tmp_path):
    ld.optimize_hf(
        "org/native",
        str(tmp_path / "out"),
        split="test",
        num_workers=1,
        cache_dir=str(tmp_path / "c"),
        storage_options=_options(hub),
    )
    assert [row["text"] for row in ld.StreamingDataset(str(tmp_path / "out"))] == ["review 500", "review 501"]


def test_revision_config_chunk_size_and_fn_are_applied(hub, tmp_path):
    options, cache = _options(hub), str(tmp_path / "cache")
    ld.optimize_hf(
        REPO,
        str(tmp_path / "v1"),
        revision="v1",
        split="train",
        num_workers=1,
        cache_dir=cache,
        storage_options=options,
    )
    assert [row["text"] for row in ld.StreamingDataset(str(tmp_path / "v1"))] == ["review 200", "review 201"]
    ld.optimize_hf(
        REPO,
        str(tmp_path / "plain"),
        config="plain_text",
        split="unsupervised",
        chunk_size=2,
        fn=samples.shout,
        num_workers=1,
        cache_dir=cache,
        storage_options=options,
    )
    dataset = ld.StreamingDataset(str(tmp_path / "plain"))
    assert [row["text"] for row in dataset] == [f"REVIEW {i}" for i in range(300, 305)]
    assert len([name for name in os.listdir(tmp_path / "plain") if name.endswith(".bin")]) == 3


def test_an_existing_output_is_reused_unless_overwrite(hub, tmp_path, capsys):
    options, out = _options(hub), str(tmp_path / "out")
    ld.optimize_hf(
        REPO, out, split="unsupervised", num_workers=1, cache_dir=str(tmp_path / "c"), storage_options=options
    )
    requests = len(hub.requests)
    assert ld.optimize_hf(REPO, out, split="train", storage_options=options) == out
    assert len(hub.requests) == requests and "existing" in capsys.readouterr().out
    assert len(ld.StreamingDataset(out)) == 5
    ld.optimize_hf(
        REPO, out, split="train", overwrite=True, num_workers=1, cache_dir=str(tmp_path / "c"), storage_options=options
    )
    assert len(ld.StreamingDataset(out)) == 10


def test_a_dataset_without_parquet_files_is_reported(hub, tmp_path):
    with pytest.raises(FileNotFoundError, match="No parquet files"):
        ld.optimize_hf("someone/missing", str(tmp_path / "x"), split="train", storage_options=_options(hub))


def test_repo_ids_resolve_through_the_candidates_litdata_tries():
    assert hf_dataset_candidates("hf://datasets/a/b/data", None, "train", None) == ["hf://datasets/a/b/data"]
    candidates = hf_dataset_candidates("datasets/org/ds", "v2", "train", "cfg")
    assert candidates[:4] == [
        "hf://datasets/org/ds@v2/cfg/train",
        "hf://datasets/org/ds@v2/train",
        "hf://datasets/org/ds@v2/cfg",
        "hf://datasets/org/ds@v2",
    ]
    assert candidates[-3:] == [
        "hf://datasets/org/ds@refs/convert/parquet",
        "hf://datasets/org/ds/data",
        "hf://datasets/org/ds",
    ]
    assert "hf://datasets/org/ds/data/train-*.parquet" in candidates


REFERENCE_SCRIPT = textwrap.dedent(
    """
    import pickle, sys
    import litdata as ld
    assert ld.__version__ == "0.2.76", ld.__file__
    options = {"endpoint": sys.argv[1], "token": False}
    ld.optimize_hf("stanfordnlp/imdb", output_dir=sys.argv[2], split="train", num_workers=1, chunk_size=4,
                   cache_dir=sys.argv[3], storage_options=options)
    pickle.dump([ld.StreamingDataset(sys.argv[2])[i] for i in range(10)], open(sys.argv[4], "wb"))
    """
)


def test_litdata_0_2_76_converts_the_same_rows_from_the_same_hub(hub, tmp_path):
    out = str(tmp_path / "ref.pkl")
    command = [
        sys.executable,
        "-c",
        REFERENCE_SCRIPT,
        hub.endpoint,
        str(tmp_path / "theirs"),
        str(tmp_path / "rc"),
        out,
    ]
    env = dict(os.environ, PYTHONPATH=REFERENCE, HF_ENDPOINT=hub.endpoint, HF_HUB_DISABLE_IMPLICIT_TOKEN="1")
    result = subprocess.run(command, capture_output=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    with open(out, "rb") as file:
        theirs = pickle.load(file)
    ld.optimize_hf(
        REPO,
        str(tmp_path / "ours"),
        split="train",
        num_workers=1,
        chunk_size=4,
        cache_dir=str(tmp_path / "oc"),
        storage_options=_options(hub),
    )
    ours = ld.StreamingDataset(str(tmp_path / "ours"))
    assert sorted((row["text"], row["label"]) for row in theirs) == sorted((row["text"], row["label"]) for row in ours)
