"""The door to torch's private internals (`litdata.streaming.loading.torch_internals`): each capability does what the loader
relies on, on the oldest and the newest torch we support, and no other module of litdata names a private torch name."""

import ast
import gc
import multiprocessing
import os
import pathlib
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, default_collate, get_worker_info

from litdata.streaming.loading import torch_internals as door
from litdata.streaming.loading.collate import litdata_collate
from litdata.streaming.loading.worker_buffers import shared_tensor

from helpers import build_dataset

LITDATA_SOURCES = pathlib.Path(door.__file__).resolve().parents[2]


# ---------------------------------------------------------------- no private torch name outside the door
def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_attributes_of_torch_objects() -> set[str]:
    """Private attributes of the torch objects litdata handles directly (tensors, storages): flagged on any object
    but our own (``self``, ``cls``)."""
    return {name for cls in (torch.Tensor, torch.UntypedStorage) for name in dir(cls) if _is_private(name)}


_TORCH_OBJECT_PRIVATES = _private_attributes_of_torch_objects()
_PRIVATE_TORCH_STRING = re.compile(r"^torch(\.\w+)*\._")


def private_torch_names(source: str) -> list[str]:
    """Every use of a private torch name in ``source``: imports of private torch modules or names, private attributes
    of anything imported from torch or of tensors and storages, and private torch paths in strings."""
    tree = ast.parse(source)
    from_torch: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "torch":
                    if any(_is_private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: import {alias.name}")
                    from_torch.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "torch":
            for alias in node.names:
                if any(_is_private(part) for part in node.module.split(".")) or _is_private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                from_torch.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            named = root.id if isinstance(root, ast.Name) else ""
            if named in from_torch or (node.attr in _TORCH_OBJECT_PRIVATES and named not in ("self", "cls")):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _PRIVATE_TORCH_STRING.match(node.value):
            found.append(f"{node.lineno}: {node.value!r}")
    return found


@pytest.mark.parametrize(
    "line",
    [
        "from torch.utils.data._utils import ExceptionWrapper",
        "from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter",
        "import torch._C",
        "import torch\ntorch._C._storage_Use_Count(1)",
        "import torch\ntorch.UntypedStorage._new_shared(8)",
        "from torch import utils as u\nu.data._utils",
        "count(storage._cdata)",
        "importlib.import_module('torch.utils.data._utils.worker')",
    ],
)
def test_the_source_scan_finds_a_private_torch_name(line):
    assert private_torch_names(line)


def test_the_source_scan_lets_public_torch_names_and_our_own_private_names_pass():
    source = "import torch\nfrom torch.utils.data import DataLoader, get_worker_info\nself._workers = torch.empty(0)\n"
    assert private_torch_names(source) == []


def test_no_module_but_the_door_names_a_private_torch_name():
    offenders = {}
    for path in sorted(LITDATA_SOURCES.rglob("*.py")):
        if path.name == "torch_internals.py":
            continue
        found = private_torch_names(path.read_text())
        if found:
            offenders[str(path.relative_to(LITDATA_SOURCES))] = found
    assert offenders == {}, "private torch names belong in litdata/streaming/loading/torch_internals.py"
    assert private_torch_names(
        (LITDATA_SOURCES / "streaming" / "loading" / "torch_internals.py").read_text()
    )  # it is the door


# ---------------------------------------------------------------- shared memory and use counts
def _write_in_child(tensor, value):
    tensor.numpy()[:] = value  # numpy: torch's OpenMP threads may not survive a fork


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_shared_storage_is_the_memory_a_worker_process_writes_into(start_method):
    storage = door.shared_storage(8 * 16)
    assert storage.is_shared() and storage.nbytes() == 128
    tensor = shared_tensor(storage, np.int64, (16,))
    tensor.zero_()
    context = multiprocessing.get_context(start_method)
    child = context.Process(target=_write_in_child, args=(tensor, 7))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert tensor.tolist() == [7] * 16  # the child wrote into this process's memory: nothing was copied


# ---------------------------------------------------------------- messages between the loader and its workers
def test_the_resume_message_is_recognised_after_a_trip_through_pickle_and_keeps_its_seed():
    message = pickle.loads(pickle.dumps(door.resume_message(1234)))
    assert door.is_resume_message(message)
    assert message.seed == 1234
    for other in [(0, [1, 2]), None, 1234, "resume"]:
        assert not door.is_resume_message(other)


def _explode():
    raise KeyError("the sample is broken")


class _FailingInWorker(IterableDataset):
    def __iter__(self):
        try:
            _explode()
        except KeyError:
            yield door.worker_exception(where=f"in DataLoader worker process {get_worker_info().id}")


def test_an_exception_wrapped_in_a_worker_is_raised_in_the_training_process_with_the_workers_traceback():
    loader = DataLoader(_FailingInWorker(), num_workers=1, batch_size=None)
    with pytest.raises(KeyError) as raised:
        next(iter(loader))
    message = str(raised.value)
    assert "in DataLoader worker process 0" in message
    assert "the sample is broken" in message
    assert "_explode" in message  # the worker's traceback


# ---------------------------------------------------------------- the loader's iterators
class _WorkerItems(IterableDataset):
    def __iter__(self):
        worker = get_worker_info().id
        return iter([(worker, index) for index in range(3)])


class _Recorded:
    """An index queue that notes what it was sent."""

    def __init__(self, queue, log):
        self._queue, self._log = queue, log

    def put(self, obj, *args, **kwargs):
        self._log.append("resume" if door.is_resume_message(obj) else "request")
        self._queue.put(obj, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._queue, name)


class _RecordingHooks:
    """Worker hooks that start each epoch at the given workers and note what happens."""

    def __init__(self, first_workers):
        self.first_workers = list(first_workers)
        self.workers, self.stopped_workers, self.sent = [], [], []

    def first_worker(self):
        return self.first_workers.pop(0)

    def started(self, worker_id, pid, index_queue):
        self.workers.append((worker_id, pid))
        return _Recorded(index_queue, self.sent)

    def stopped(self, worker_id, pid):
        self.stopped_workers.append((worker_id, pid))


def _items(loader):
    return [tuple(item) for item in loader]  # (worker id, index): torch's default conversion makes lists of them


class _HookedLoader(DataLoader):
    def __init__(self, hooks, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hooks = hooks

    def _get_iterator(self):
        return door.worker_iterator(self, self.hooks)


def test_the_worker_iterator_starts_each_epoch_at_the_asked_worker_and_reports_its_workers_once():
    hooks = _RecordingHooks(first_workers=[1, None])
    loader = _HookedLoader(hooks, _WorkerItems(), num_workers=2, batch_size=None, persistent_workers=True)
    assert _items(loader) == [(1, 0), (0, 0), (1, 1), (0, 1), (1, 2), (0, 2)]
    assert _items(loader) == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]  # persistent workers, from worker 0
    assert [worker_id for worker_id, _ in hooks.workers] == [0, 1]
    assert all(isinstance(pid, int) and pid != os.getpid() for _, pid in hooks.workers)
    assert hooks.sent.count("resume") == 2  # one "start your next epoch" message per persistent worker
    assert hooks.stopped_workers == []
    del loader
    gc.collect()
    assert hooks.stopped_workers == hooks.workers  # each worker reported once when the iterator shut them down


def test_without_persistent_workers_each_epoch_starts_and_stops_its_own_workers():
    hooks = _RecordingHooks(first_workers=[None, 1])
    loader = _HookedLoader(hooks, _WorkerItems(), num_workers=2, batch_size=None)
    assert [worker for worker, _ in _items(loader)] == [0, 1, 0, 1, 0, 1]
    assert [worker for worker, _ in _items(loader)] == [1, 0, 1, 0, 1, 0]
    assert len(hooks.workers) == 4 and hooks.stopped_workers == hooks.workers
    assert "resume" not in hooks.sent


def test_the_single_process_iterator_yields_what_torchs_own_loader_yields():
    loader = DataLoader(list(range(7)), batch_size=3)
    assert [batch.tolist() for batch in door.single_process_iterator(loader)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_persistent_workers_stop_as_soon_as_their_streaming_loader_is_dropped(tmp_path):
    from litdata import StreamingDataLoader, StreamingDataset
    from litdata.streaming.loading.worker_buffers import slot_registry

    folder = build_dataset(tmp_path / "data", 40, make=lambda i: np.full(100, i, dtype=np.int64))
    loader = StreamingDataLoader(StreamingDataset(folder), batch_size=4, num_workers=2, persistent_workers=True)
    assert sum(len(batch) for batch in loader) == 40
    pids = [worker.pid for worker in loader._iterator._workers]
    assert set(pids) <= set(slot_registry._by_pid)
    gc.disable()  # no reference cycle may keep the iterator, and so the workers, alive
    try:
        del loader
        assert not set(pids) & set(slot_registry._by_pid)
    finally:
        gc.enable()


# ---------------------------------------------------------------- collate
def test_the_default_collate_of_nested_samples_matches_torchs():
    samples = [
        {"a": (np.int64(i), torch.full((2,), i)), "b": {"c": float(i), "d": [i, i + 1]}, "e": np.full(3, i)}
        for i in range(4)
    ]
    ours, torchs = litdata_collate(samples), default_collate(samples)
    assert ours.keys() == torchs.keys()
    assert all(torch.equal(x, y) for x, y in zip(ours["a"], torchs["a"]))
    assert torch.equal(ours["b"]["c"], torchs["b"]["c"])
    assert all(torch.equal(x, y) for x, y in zip(ours["b"]["d"], torchs["b"]["d"]))
    assert torch.equal(ours["e"], torchs["e"])


# ---------------------------------------------------------------- a torch without a private name
_WITHOUT_PRIVATE_NAMES = """
import sys
import torch
import torch.utils.data.dataloader as torch_dataloader

del torch_dataloader._MultiProcessingDataLoaderIter  # as if a future torch had renamed them

from litdata import StreamingDataLoader, StreamingDataset

dataset = StreamingDataset(sys.argv[1])
assert sum(len(batch) for batch in StreamingDataLoader(dataset, batch_size=4)) == 10  # no workers: no private name
try:
    next(iter(StreamingDataLoader(dataset, batch_size=4, num_workers=2)))
except RuntimeError as error:
    print(error)
"""


def test_a_torch_without_a_private_name_imports_litdata_and_names_the_missing_name_and_its_version(tmp_path):
    folder = build_dataset(tmp_path / "data", 10)
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_WITHOUT_PRIVATE_NAMES), folder],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "torch.utils.data.dataloader._MultiProcessingDataLoaderIter" in run.stdout
    assert f"torch {torch.__version__} does not have" in run.stdout
    assert "Install a torch from 2.4 to 2.13" in run.stdout
