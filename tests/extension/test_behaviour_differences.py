"""Errors and texts a LitData 0.2.76 user catches or greps, compared with the real 0.2.76: ``optimize`` argument
errors, ``start_method``, ``_pack_greedily``, encryption levels and keys, the default cache folder. Where we keep
a different behaviour on purpose (README "Where we differ"), the test pins both sides."""

from api.reference_run import run_ours, run_reference

SCRIPT = r"""
import json, os, sys, warnings
import litdata as ld
from litdata.utilities.dataset_utilities import get_default_cache_dir
from litdata.utilities.encryption import FernetEncryption, RSAEncryption
from litdata.streaming.writer import BinaryWriter
from litdata.utilities.packing import _pack_greedily

def fn(i):
    return {"i": i}

def error(call):
    try:
        call()
        return "ok"
    except Exception as e:
        return [type(e).__name__, isinstance(e, ValueError), str(e).replace(root, "<root>")]

if __name__ == "__main__":
    root = sys.argv[1]
    out = {}
    def run(name, **kwargs):
        options = dict(fn=fn, inputs=list(range(4)), output_dir=os.path.join(root, name), num_workers=1)
        options.update(kwargs)
        return lambda: ld.optimize(**options)
    out["align"] = error(run("align", chunk_bytes="1MB", align_chunking=True))
    out["start_method"] = error(run("start", chunk_size=2, start_method="bogus"))[:2]
    run("done", chunk_size=2)()
    out["checkpoint_without_mode"] = error(run("done", chunk_size=2, use_checkpoint=True))
    out["checkpoint_append"] = error(run("done", chunk_size=2, use_checkpoint=True, mode="append"))
    out["appended"] = len(ld.StreamingDataset(os.path.join(root, "done")))
    out["weights"] = error(run("weights", chunk_size=2, weights=[1, 2]))
    out["pack_lengths"] = error(lambda: _pack_greedily([1, 2], [1], 2))
    out["pack_zero"] = error(lambda: _pack_greedily([1, 2], [1, 0], 2))
    out["pack"] = [{str(k): v for k, v in part.items()} for part in _pack_greedily(list("abcde"), [5, 1, 3, 3, 2], 2)]
    out["levels"] = [error(lambda: RSAEncryption("pw", level="bogus")), error(lambda: FernetEncryption("pw", level="x"))]
    a, b = RSAEncryption("pw"), RSAEncryption("pw")
    out["wrong_key"] = error(lambda: b.decrypt(a.encrypt(b"hello")))
    a.save_keys(os.path.join(root, "private.pem"), os.path.join(root, "public.pem"))
    out["wrong_password"] = error(lambda: RSAEncryption("pw").load_keys(os.path.join(root, "private.pem"), os.path.join(root, "public.pem"), "nope"))
    a.save(os.path.join(root, "key.json"))
    out["load_wrong_password"] = error(lambda: RSAEncryption.load(os.path.join(root, "key.json"), "nope"))[:2]
    out["cache_dir"] = get_default_cache_dir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer = BinaryWriter(os.path.join(root, "oversized"), chunk_bytes=1000)
        writer.add_item(0, {"b": b"x" * 5000})
        writer.add_item(1, {"b": b"x" * 5000})
        writer.done()
    out["oversized"] = sorted({f"{w.category.__name__}: {str(w.message).split(' The current')[0]}" for w in caught})
    print(json.dumps(out))
"""


def _prefix(outcome: list, reference: list) -> bool:
    """Caught by the same ``except`` (the same type, or a ValueError subclass of ours where 0.2.76 raises ValueError),
    and our message starts with 0.2.76's."""
    same_type = outcome[0] == reference[0] or (reference[0] == "ValueError" and outcome[1])
    return same_type and outcome[1] == reference[1] and outcome[2].startswith(reference[2].rstrip("."))


def test_errors_users_catch_match_0_2_76_in_type_and_wording(tmp_path):
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    reference = run_reference(SCRIPT, str(tmp_path / "reference"))
    for key in ("align", "pack_lengths", "pack_zero", "wrong_key", "wrong_password"):
        assert _prefix(ours[key], reference[key]), key
    for ours_level, reference_level in zip(ours["levels"], reference["levels"], strict=True):
        assert _prefix(ours_level, reference_level)
    keys = (
        "start_method",
        "checkpoint_without_mode",
        "checkpoint_append",
        "appended",
        "pack",
        "cache_dir",
        "oversized",
    )
    for key in keys:
        assert ours[key] == reference[key], key
    assert ours["start_method"] == ["ValueError", True]
    assert ours["checkpoint_without_mode"][0] == "RuntimeError" and ours["appended"] == 8
    assert ours["oversized"] == ["UserWarning: An item was larger than the target chunk size (1.0 KB)."]


def test_optimize_refuses_mismatched_weights_and_rsa_load_refuses_a_wrong_password_at_once(tmp_path):
    # 0.2.76 accepts two weights for four inputs, and loads an RSA key file with a wrong password (README)
    reference = run_reference(SCRIPT, str(tmp_path / "reference"))
    assert reference["weights"] == reference["load_wrong_password"] == "ok"
    ours = run_ours(SCRIPT, str(tmp_path / "ours"))
    assert ours["load_wrong_password"] == ["DecryptionError", True]
    assert ours["weights"] == [
        "ValueError",
        True,
        "Got 2 weights for 4 inputs; pass one weight per input.",
    ]


LATE_ENVIRONMENT = r"""
import json, os, sys
import litdata as ld
from litdata.utilities.env import _DistributedEnv

def fn(i):
    return i

if __name__ == "__main__":
    folder = os.path.join(sys.argv[1], "data")
    ld.optimize(fn=fn, inputs=list(range(95)), output_dir=folder, chunk_size=10, num_workers=1)
    lengths, drop_last = [], []
    for rank in range(2):
        ds = ld.StreamingDataset(folder)
        ds.distributed_env = _DistributedEnv(2, rank, 1)  # set after construction, as 0.2.76's own tests do
        lengths.append(len(ds))
        drop_last.append(ds.drop_last)
    print(json.dumps({"lengths": lengths, "drop_last": drop_last}))
"""


def test_drop_last_follows_a_distributed_environment_set_after_construction(tmp_path):
    # 0.2.76 fixes drop_last when the dataset is built (one process: False), so ranks get unequal lengths;
    # ours decides it when the distributed environment is used (README "Where we differ")
    reference = run_reference(LATE_ENVIRONMENT, str(tmp_path / "reference"))
    assert reference == {"lengths": [47, 48], "drop_last": [False, False]}
    assert run_ours(LATE_ENVIRONMENT, str(tmp_path / "ours")) == {"lengths": [47, 47], "drop_last": [None, None]}


CACHE_FILES = r"""
import json, os, sys
import torch
from litdata import StreamingDataLoader, StreamingDataset
from litdata.streaming.cache import Cache
from litdata.streaming.item_loader import TokensLoader
from litdata.streaming.resolver import Dir

if __name__ == "__main__":
    data_dir, cache_dir = os.path.join(sys.argv[1], "data"), os.path.join(sys.argv[1], "cache_dir")
    os.makedirs(data_dir)
    os.makedirs(cache_dir)
    cache = Cache(input_dir=data_dir, chunk_size=40, item_loader=TokensLoader(20))
    for i in range(100):
        cache[i] = torch.arange(i * 20, i * 20 + 20).to(torch.int)
    cache.done()
    cache.merge()
    ds = StreamingDataset(input_dir=Dir(cache_dir, "local:" + data_dir), item_loader=TokensLoader(20), shuffle=True)
    loader = StreamingDataLoader(ds, num_workers=2, batch_size=2, prefetch_factor=1, persistent_workers=True)
    epochs = [sorted(int(t[0]) for batch in loader for t in batch) for _ in range(2)]
    names = sorted(f for f in os.listdir(cache_dir) if not f.endswith((".lock", ".cnt")))
    print(json.dumps({"epochs": epochs, "files": len(names), "not_chunks": [f for f in names if not f.startswith("chunk-")]}))
"""


def test_two_workers_over_two_epochs_read_the_same_samples_and_the_cache_keeps_bookkeeping_folders(tmp_path):
    # 0.2.76's test_resumable_dataset_two_workers_2_epochs counts 51 cache entries (50 chunks, index.json); ours has
    # 55: the same plus .locks/, .pins/, .reserved/ and .version (README "Where we differ")
    reference = run_reference(CACHE_FILES, str(tmp_path / "reference"))
    ours = run_ours(CACHE_FILES, str(tmp_path / "ours"))
    assert ours["epochs"] == reference["epochs"] == [[20 * i for i in range(100)]] * 2
    assert reference["files"] == 51 and reference["not_chunks"] == ["index.json"]
    assert ours["files"] == 55 and ours["not_chunks"] == [".locks", ".pins", ".reserved", ".version", "index.json"]
