"""LitData 0.2.76's module paths that moved here: each old path imports as the very module at its new home.

``import litdata.streaming.dataset`` gives the module ``litdata.streaming.datasets.dataset`` itself (not a copy), so every
name, ``isinstance`` check, monkeypatch and pickle written by class path works through either path. No .py file sits at an
old path: a finder on ``sys.meta_path`` (installed when ``litdata`` is imported) maps the old name to the new module.
Type checkers read the ``.pyi`` stub left at each old path, which re-exports what the module held there.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any, cast

OLD_PATHS = {
    "litdata.streaming.cache": "litdata.streaming.reading.cache",
    "litdata.streaming.client": "litdata.streaming.reading.client",
    "litdata.streaming.collate": "litdata.streaming.loading.collate",
    "litdata.streaming.combined": "litdata.streaming.datasets.combined",
    "litdata.streaming.compression": "litdata.format.compression",
    "litdata.streaming.config": "litdata.format.config",
    "litdata.streaming.dataloader": "litdata.streaming.loading.dataloader",
    "litdata.streaming.dataset": "litdata.streaming.datasets.dataset",
    "litdata.streaming.dataset_update": "litdata.streaming.datasets.dataset_update",
    "litdata.streaming.downloader": "litdata.storage.downloader",
    "litdata.streaming.item_loader": "litdata.format.loaders",
    "litdata.streaming.parallel": "litdata.streaming.datasets.parallel",
    "litdata.streaming.reader": "litdata.streaming.reading.reader",
    "litdata.streaming.resolver": "litdata.streaming.reading.resolver",
    "litdata.streaming.sampler": "litdata.streaming.reading.sampler",
    "litdata.streaming.serializers": "litdata.format.registry",
    "litdata.streaming.shuffle": "litdata.streaming.sampling.shuffle",
    "litdata.streaming.temporal": "litdata.format.temporal",
    "litdata.streaming.window": "litdata.streaming.datasets.window",
    "litdata.streaming.writer": "litdata.format.writer",
    "litdata.utilities.base": "litdata.streaming.datasets.base",
    "litdata.utilities.dataset_utilities": "litdata.streaming.datasets.dataset_utilities",
    "litdata.utilities.format": "litdata.sizes",
    "litdata.utilities.hf_dataset": "litdata.processing.hf_dataset",
    "litdata.utilities.keys_index": "litdata.processing.keys_index",
    "litdata.utilities.parquet": "litdata.format.parquet_index",
    "litdata.utilities.train_test_split": "litdata.streaming.datasets.train_test_split",
}


class _OldPathFinder:
    """Imports an old module path as the module at its new home: a meta path finder and its loader (the import
    system only calls these methods; the ``importlib.abc`` base classes would add ~8 ms to ``import litdata``)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in OLD_PATHS:
            return None
        return importlib.util.spec_from_loader(fullname, cast(Any, self))  # a loader by its methods

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(OLD_PATHS[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module at the new home is already imported."""


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (after the regular finders, which find no file at an old path)."""
    if not any(isinstance(finder, _OldPathFinder) for finder in sys.meta_path):
        sys.meta_path.append(_OldPathFinder())
