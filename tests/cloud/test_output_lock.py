"""Conditional writes of every object store, and the optimize output lock built on them."""

from __future__ import annotations

import pytest

from litdata import optimize
from litdata.processing.locking import OutputLockedError, output_lock
from litdata.processing.output import resolve_output
from litdata.storage import get_storage


def test_an_object_can_be_created_only_once_and_changed_only_at_its_version(backend):
    storage = get_storage(backend.endpoint, backend.storage_options)
    url = f"{backend.endpoint}/locks/a-lock"
    first = storage.create_if_absent(url, b"one")
    assert first is not None
    assert storage.create_if_absent(url, b"two") is None
    assert storage.read_versioned(url) == (b"one", first)
    second = storage.replace_if_version(url, b"three", first)
    assert second is not None and second != first
    assert storage.replace_if_version(url, b"four", first) is None  # a stale version changes nothing
    assert storage.delete_if_version(url, first) is False
    assert storage.read_versioned(url)[0] == b"three"
    assert storage.delete_if_version(url, second) is True
    assert storage.read_versioned(url) is None
    assert storage.delete_if_version(url, second) is False


def _identity(i):
    return i


def test_optimize_into_a_locked_output_is_refused_on_every_backend(backend):
    output_dir = f"{backend.endpoint}/out"
    options = dict(chunk_size=2, num_workers=1, storage_options=backend.storage_options, start_method="fork")
    held = output_lock(resolve_output(output_dir, backend.storage_options), 0)
    with held, pytest.raises(OutputLockedError, match="is writing into"):
        optimize(_identity, [1, 2], output_dir, verbose=False, **options)
    optimize(_identity, [1, 2], output_dir, verbose=False, **options)
    storage = get_storage(output_dir, backend.storage_options)
    assert [info.url.rsplit("/", 1)[1] for info in storage.list(output_dir)] == ["chunk-0-0.bin", "index.json"]
