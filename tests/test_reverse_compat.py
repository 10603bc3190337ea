"""What we write, the real LitData 0.2.76 reads: every sample comes back equal, with the same types as ours.

The reference release is installed beside our venv by `make reference` (a `pip install --target`); it runs in a
subprocess with PYTHONPATH pointing at it, so it never meets our package.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest

import litdata as ld
from litdata.streaming.item_loader import TokensLoader
from litdata.utilities.encryption import FernetEncryption

import compat_samples as samples
from normalize import bytes_as_bytes, loose, norm
from testpaths import FIXTURES_DIR, TESTS_DIR

REFERENCE = os.environ.get("LITDATA_REFERENCE_PATH") or os.path.join(TESTS_DIR, "..", ".cache", "reference-litdata")
PASSWORD = "pw-1"

CASES = {
    "pairs_multiworker": dict(fn=samples.pair, inputs=list(range(97)), chunk_bytes=300, num_workers=2),
    "mixed_dict": dict(fn=samples.mixed, inputs=list(range(60)), chunk_size=7, num_workers=2),
    "mixed_zstd": dict(fn=samples.mixed, inputs=list(range(45)), chunk_size=10, num_workers=2, compression="zstd"),
    "tensors_nd": dict(fn=samples.tensors, inputs=list(range(12)), chunk_size=5, num_workers=1),
    "tensors_zstd": dict(fn=samples.tensors, inputs=list(range(12)), chunk_size=5, num_workers=1, compression="zstd"),
    "pil_images": dict(fn=samples.images, inputs=list(range(30)), chunk_bytes="64KB", num_workers=1),
    "generator_filter": dict(fn=samples.evens, inputs=list(range(21)), chunk_size=4, num_workers=2),
    "tokens_int32": dict(fn=samples.tokens, inputs=list(range(40)), chunk_size=2000, num_workers=2, block_size=64),
    "tokens_int64_tensor": dict(
        fn=samples.tokens_tensor, inputs=list(range(20)), chunk_size=500, num_workers=1, block_size=33
    ),
    "tokens_zstd": dict(
        fn=samples.tokens, inputs=list(range(20)), chunk_size=2000, num_workers=1, block_size=50, compression="zstd"
    ),
    "fernet_sample": dict(fn=samples.pair, inputs=list(range(33)), chunk_size=10, num_workers=1, level="sample"),
    "fernet_chunk": dict(fn=samples.pair, inputs=list(range(33)), chunk_size=10, num_workers=1, level="chunk"),
    "appended": dict(fn=samples.pair, inputs=list(range(20)), chunk_size=6, num_workers=2, append=list(range(20, 35))),
}

READ_WITH_REFERENCE = textwrap.dedent(
    """
    import json, os, pickle, sys
    sys.path.insert(0, sys.argv[3])
    from normalize import norm
    import litdata
    from litdata.streaming.item_loader import TokensLoader
    from litdata.utilities.encryption import FernetEncryption
    assert litdata.__version__ == "0.2.76", litdata.__file__
    plan = json.load(open(sys.argv[1]))
    out = {}
    for case, spec in plan.items():
        kwargs = {}
        if spec.get("block_size"):
            kwargs["item_loader"] = TokensLoader(block_size=spec["block_size"])
        if spec.get("key_file"):
            kwargs["encryption"] = FernetEncryption.load(spec["key_file"], spec["password"])
        ds = litdata.StreamingDataset(spec["dir"], **kwargs)
        out[case] = [norm(ds[i]) for i in range(len(ds))]
    pickle.dump(out, open(sys.argv[2], "wb"))
    """
)


def _write_case(case: str, spec: dict, root: str) -> dict:
    output_dir = os.path.join(root, case)
    kwargs = {k: spec[k] for k in ("chunk_size", "chunk_bytes", "compression", "num_workers") if k in spec}
    plan = {"dir": output_dir}
    if spec.get("block_size"):
        kwargs["item_loader"] = TokensLoader()
        plan["block_size"] = spec["block_size"]
    if spec.get("level"):
        encryption = FernetEncryption(PASSWORD, level=spec["level"])
        key_file = os.path.join(root, f"{case}.key.json")
        encryption.save(key_file)
        kwargs["encryption"] = encryption
        plan.update(key_file=key_file, password=PASSWORD)
    ld.optimize(fn=spec["fn"], inputs=spec["inputs"], output_dir=output_dir, verbose=False, **kwargs)
    if spec.get("append"):
        ld.optimize(fn=spec["fn"], inputs=spec["append"], output_dir=output_dir, mode="append", verbose=False, **kwargs)
    return plan


@pytest.fixture(scope="session")
def written(tmp_path_factory):
    if not os.path.isdir(os.path.join(REFERENCE, "litdata")):
        pytest.fail(f"The reference LitData is not installed at {REFERENCE}: run `make reference` (make test does).")
    root = str(tmp_path_factory.mktemp("ours"))
    plan = {case: _write_case(case, spec, root) for case, spec in CASES.items()}
    # LitData 0.2.76 replaces *.zstd.bin files inside local datasets while reading: give it copies.
    copies = str(tmp_path_factory.mktemp("reference-copies"))
    reference_plan = {}
    for case, entry in plan.items():
        shutil.copytree(entry["dir"], os.path.join(copies, case))
        reference_plan[case] = {**entry, "dir": os.path.join(copies, case)}
    plan_file, out_file = os.path.join(root, "plan.json"), os.path.join(root, "reference.pkl")
    with open(plan_file, "w") as f:
        json.dump(reference_plan, f)
    env = {
        **os.environ,
        "PYTHONPATH": os.path.abspath(REFERENCE),
        "LITDATA_DISABLE_VERSION_CHECK": "1",
        "LITDATA_CACHE_DIR": os.path.join(root, "reference-cache"),
    }
    result = subprocess.run(
        [sys.executable, "-c", READ_WITH_REFERENCE, plan_file, out_file, FIXTURES_DIR],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    with open(out_file, "rb") as f:
        return plan, pickle.load(f)


def _ours(plan: dict) -> ld.StreamingDataset:
    kwargs = {}
    if plan.get("block_size"):
        kwargs["item_loader"] = TokensLoader(block_size=plan["block_size"])
    if plan.get("key_file"):
        kwargs["encryption"] = FernetEncryption.load(plan["key_file"], plan["password"])
    return ld.StreamingDataset(plan["dir"], **kwargs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_real_litdata_reads_what_we_wrote_exactly_as_we_read_it(case, written):
    plans, reference = written
    ours = _ours(plans[case])
    assert [norm(ours[i]) for i in range(len(ours))] == bytes_as_bytes(reference[case])


@pytest.mark.parametrize("case", sorted(c for c in CASES if not CASES[c].get("block_size")))
def test_what_we_wrote_holds_every_input_sample(case, written):
    plans, reference = written
    spec = CASES[case]
    inputs = spec["inputs"] + spec.get("append", [])
    expected = [s for i in inputs for s in (spec["fn"](i) if case == "generator_filter" else [spec["fn"](i)])]
    assert sorted(map(repr, (loose(norm(x)) for x in expected))) == sorted(map(repr, map(loose, reference[case])))
