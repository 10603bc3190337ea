"""Mistakes a new user makes, each answered by an error (or warning) that names the problem and the fix."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import proxy
import pytest

import litdata as ld

seaweed_server = proxy.seaweed_server  # fixture: SeaweedFS checks credentials
_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "src")


def _returns_none(index):
    return None


def _sample(index):
    return {"index": index}


def _run_script(tmp_path, source: str, timeout: float = 240) -> subprocess.CompletedProcess:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": _SRC}
    return subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
    )


# ------------------------------------------------------------------------------------------------ 8. unpicklable fn
def test_a_lambda_fn_is_refused_before_any_worker_starts_with_the_fix_named(tmp_path):
    with pytest.raises(pickle.PicklingError, match="define fn at module level") as caught:
        ld.optimize(fn=lambda i: {"i": i}, inputs=list(range(4)), output_dir=str(tmp_path / "out"), chunk_size=2)
    assert "lambda" in str(caught.value)
    assert "cannot join thread" not in str(caught.value)
    assert not (tmp_path / "out" / "index.json").exists()


def test_a_nested_fn_is_refused_by_map_too(tmp_path):
    def nested(index, output_dir):
        pass

    with pytest.raises(pickle.PicklingError, match="define fn at module level") as caught:
        ld.map(fn=nested, inputs=list(range(4)), output_dir=str(tmp_path / "out"), num_workers=2)
    assert "nested" in str(caught.value)


def test_a_lambda_fn_still_works_with_fork_workers(tmp_path):
    ld.optimize(
        fn=lambda i: {"i": i}, inputs=list(range(6)), output_dir=str(tmp_path), chunk_size=2, start_method="fork"
    )
    assert sorted(sample["i"] for sample in ld.StreamingDataset(str(tmp_path))) == list(range(6))


# ------------------------------------------------------------------------------------- 9. script without main guard
def test_a_script_without_a_main_guard_is_told_what_to_add(tmp_path):
    result = _run_script(
        tmp_path,
        """
        import litdata as ld

        def fn(index):
            return {"index": index}

        ld.optimize(fn=fn, inputs=list(range(10)), output_dir="out", chunk_size=5, num_workers=2)
        print("optimize returned")
        """,
    )
    assert result.returncode != 0, result.stdout
    assert 'if __name__ == "__main__":' in result.stderr
    assert "killed" not in result.stderr and "out of memory" not in result.stderr
    assert "optimize returned" not in result.stdout
    assert not (tmp_path / "out" / "index.json").exists()


def test_the_same_script_with_a_main_guard_works(tmp_path):
    result = _run_script(
        tmp_path,
        """
        import litdata as ld

        def fn(index):
            return {"index": index}

        if __name__ == "__main__":
            ld.optimize(fn=fn, inputs=list(range(10)), output_dir="out", chunk_size=5, num_workers=2)
            print(len(ld.StreamingDataset("out")))
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "10"


# ------------------------------------------------------------------------------------------ 10. fn returns nothing
def test_optimize_warns_when_fn_returned_none_for_every_input_and_the_dataset_reads_as_empty(tmp_path):
    with pytest.warns(UserWarning, match="fn returned None") as warned:
        ld.optimize(fn=_returns_none, inputs=list(range(8)), output_dir=str(tmp_path), chunk_size=4, num_workers=2)
    assert str(tmp_path) in str(warned[0].message)
    dataset = ld.StreamingDataset(str(tmp_path))
    assert len(dataset) == 0 and list(dataset) == []
    assert list(ld.StreamingDataLoader(dataset, batch_size=2)) == []


def test_an_empty_dataset_written_by_litdata_reads_as_empty(tmp_path):
    # What LitData 0.2.76 writes when fn returned None for every input.
    (tmp_path / "index.json").write_text(json.dumps({"chunks": [], "config": None, "updated_at": "1"}))
    dataset = ld.StreamingDataset(str(tmp_path), shuffle=True)
    assert len(dataset) == 0 and list(dataset) == []


def test_optimize_does_not_warn_when_samples_were_written(tmp_path, recwarn):
    ld.optimize(fn=_sample, inputs=list(range(4)), output_dir=str(tmp_path), chunk_size=4, num_workers=1)
    assert not [w for w in recwarn if "no sample" in str(w.message)]


# ---------------------------------------------------------------------------------- 13. samples change structure
def _drops_a_key_for_odd_inputs(index):
    return {"index": index, "caption": "a cat"} if index % 2 == 0 else {"index": index}


def _changes_a_leaf_type(index):
    return {"index": index if index < 2 else str(index)}


def test_a_sample_missing_a_key_fails_optimize_naming_the_input_the_key_and_both_structures(tmp_path):
    with pytest.raises(RuntimeError, match="processing the input 1") as caught:
        ld.optimize(
            fn=_drops_a_key_for_odd_inputs, inputs=list(range(4)), output_dir=str(tmp_path), chunk_size=4, num_workers=1
        )
    message = str(caught.value)
    assert "key ['caption'] is missing" in message
    assert "first sample: {'index': int, 'caption': str}" in message and "this sample:  {'index': int}" in message
    assert isinstance(caught.value.__cause__, ValueError) and isinstance(caught.value.__cause__, TypeError)
    assert not (tmp_path / "index.json").exists()


def test_a_leaf_whose_type_changes_fails_optimize_with_both_structures(tmp_path):
    with pytest.raises(RuntimeError, match="processing the input 2") as caught:
        ld.optimize(
            fn=_changes_a_leaf_type, inputs=list(range(4)), output_dir=str(tmp_path), chunk_size=4, num_workers=1
        )
    assert "this sample:  {'index': str}" in str(caught.value)
    assert isinstance(caught.value.__cause__, TypeError)


# ----------------------------------------------------------------------------- 12. index.json instead of its folder
@pytest.fixture
def small_dataset(tmp_path):
    folder = tmp_path / "data"
    ld.optimize(fn=_sample, inputs=list(range(4)), output_dir=str(folder), chunk_size=4, num_workers=1)
    return folder


def test_passing_index_json_names_the_folder_to_pass_instead(small_dataset):
    with pytest.raises(ValueError, match="is the dataset's index file, not its folder") as caught:
        ld.StreamingDataset(str(small_dataset / "index.json"))
    assert f"pass the folder that holds it, {str(small_dataset)!r}" in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)  # what this case raised before
    assert len(ld.StreamingDataset(str(small_dataset))) == 4


def test_passing_a_chunk_file_says_it_is_a_file_and_names_the_dataset_folder(small_dataset):
    chunk = next(small_dataset.glob("chunk-*.bin"))
    with pytest.raises(
        ValueError, match=f"is a file, not a dataset folder; the dataset is its folder, '{small_dataset}'"
    ):
        ld.StreamingDataset(str(chunk))


def test_passing_a_remote_index_json_names_the_remote_folder_before_any_request():
    with pytest.raises(ValueError, match="pass the folder that holds it, 's3://no-such-bucket/data'"):
        ld.StreamingDataset("s3://no-such-bucket/data/index.json")


# ------------------------------------------------------------------------------ 11. misspelled storage_options keys
@pytest.mark.parametrize(
    "url, options, wrong, right",
    [
        ("s3://bucket/data", {"endpoint": "http://127.0.0.1:1", "aws_access_key_id": "k"}, "endpoint", "endpoint_url"),
        ("s3://bucket/data", {"aws_secret_key": "s"}, "aws_secret_key", "aws_secret_access_key"),
        ("s3://bucket/data", {"region": "us-east-1"}, "region", "region_name"),
        ("r2://bucket/data", {"acount_id": "a"}, "acount_id", "account_id"),
        ("gs://bucket/data", {"projet": "p"}, "projet", "project"),
        (
            "azure://container/data",
            {"credentials": "c", "account_url": "http://127.0.0.1:1"},
            "credentials",
            "credential",
        ),
    ],
)
def test_a_misspelled_storage_options_key_names_the_closest_valid_key(url, options, wrong, right):
    with pytest.raises(TypeError, match=rf"'{wrong}' \(did you mean '{right}'\?\)") as caught:
        ld.StreamingDataset(url, storage_options=options)
    assert isinstance(caught.value, ValueError)


def test_optimize_refuses_a_misspelled_key_before_any_worker_starts(tmp_path):
    with pytest.raises(TypeError, match="did you mean 'endpoint_url'"):
        ld.optimize(
            fn=_sample,
            inputs=list(range(4)),
            output_dir="s3://bucket/out",
            chunk_size=2,
            storage_options={"endpoint": "http://127.0.0.1:1"},
        )


def test_both_s3_spellings_and_open_ended_azure_keywords_are_accepted():
    from litdata.storage import get_storage

    get_storage("s3://b/x", {"S3_ENDPOINT_URL": "http://127.0.0.1:1", "aws_access_key_id": "k", "AWS_REGION": "r"})
    get_storage("azure://c/x", {"account_url": "http://127.0.0.1:1", "max_single_put_size": 1, "my_policy": 1})


# ------------------------------------------------------------------------------------------------------- 14. CLI
def _cli(*args: str, env: dict | None = None, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "litdata", *args],
        env={**os.environ, "PYTHONPATH": _SRC, **(env or {})},
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_its_version():
    result = _cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"litdata {ld.__version__}"


def test_cache_clear_without_a_terminal_refuses_and_names_yes(tmp_path):
    cache = tmp_path / "cache"
    (cache / "abc").mkdir(parents=True)
    (cache / "abc" / "chunk-0-0.bin").write_bytes(b"x" * 10)
    result = _cli("cache", "clear", env={"LITDATA_CACHE_DIR": str(cache)})
    assert result.returncode == 1 and "--yes" in result.stderr and "Traceback" not in result.stderr
    assert (cache / "abc" / "chunk-0-0.bin").exists()
    result = _cli("cache", "clear", "--yes", env={"LITDATA_CACHE_DIR": str(cache)})
    assert result.returncode == 0 and not cache.exists()


class _Terminal:
    """A stdin that is a terminal on which the user types ``answer``."""

    def __init__(self, answer: str) -> None:
        self._lines = [answer + "\n"]

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self._lines.pop(0) if self._lines else ""


@pytest.mark.parametrize("answer, removed", [("y", True), ("yes", True), ("n", False), ("", False)])
def test_cache_clear_asks_before_deleting(answer, removed, tmp_path, monkeypatch, capsys):
    from litdata.__main__ import main

    cache = tmp_path / "cache"
    (cache / "abc").mkdir(parents=True)
    monkeypatch.setenv("LITDATA_CACHE_DIR", str(cache))
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    assert main(["cache", "clear"]) == 0
    assert cache.exists() is not removed
    assert f"Delete the cache folder {cache}" in capsys.readouterr().out


def test_inspect_with_refused_s3_credentials_prints_one_line_without_a_traceback(seaweed_server):
    env = {
        "AWS_ACCESS_KEY_ID": "wrong-key",
        "AWS_SECRET_ACCESS_KEY": "wrong-secret",
        "S3_ENDPOINT_URL": seaweed_server.endpoint,
        "AWS_REGION": "us-east-1",
    }
    result = _cli("inspect", "s3://some-bucket/data", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("litdata: error:") and "access denied" in result.stderr
    assert "aws_access_key_id" in result.stderr  # the fix


def test_inspect_of_an_unreachable_endpoint_prints_one_line_without_a_traceback():
    env = {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "LITDATA_STORAGE_MAX_ATTEMPTS": "1", "AWS_ACCESS_KEY_ID": "k"}
    result = _cli("inspect", "s3://some-bucket/data", env={**env, "AWS_SECRET_ACCESS_KEY": "s"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "check the endpoint in storage_options" in result.stderr
