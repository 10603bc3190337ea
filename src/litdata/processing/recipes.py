"""The class-based processing API of LitData (`DataProcessor` running a `DataChunkRecipe` or a `MapRecipe`), for
scripts that subclass a recipe instead of passing a function. It drives the same engine as `optimize` and `map`.

Importable from ``litdata.processing.data_processor`` as in LitData 0.2.76::

    class Squares(DataChunkRecipe):
        def prepare_structure(self, input_dir):
            return list(range(100))

        def prepare_item(self, item_metadata):
            return {"x": item_metadata, "y": item_metadata**2}

    DataProcessor(input_dir=None, output_dir="squares", num_workers=2).run(Squares(chunk_size=16))
"""

from __future__ import annotations

import multiprocessing.queues
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

import litdata.settings as settings
from litdata.format.item_loader import BaseItemLoader
from litdata.processing.readers import BaseReader
from litdata.streaming.reading.resolver import Dir, _resolve_dir
from litdata.utilities.encryption import Encryption

T = TypeVar("T")

_DEFAULT_CHUNK_BYTES = 1 << 26  # 64 MB, when a recipe sets neither chunk_size nor chunk_bytes


class DataRecipe:
    """Base of every recipe: `prepare_structure` lists the inputs, `prepare_item` processes one of them."""

    def __init__(self, storage_options: dict[str, Any] | None = None) -> None:
        self._name: str | None = None
        self.storage_options = storage_options if storage_options is not None else {}

    @abstractmethod
    def prepare_structure(self, input_dir: str | None) -> list[T]:
        """The inputs (a list, a `StreamingDataLoader` or a ``multiprocessing.Queue``), given the input folder."""

    @abstractmethod
    def prepare_item(self, *args: Any, **kwargs: Any) -> Any:
        """Process one input."""


class DataChunkRecipe(DataRecipe):
    """A recipe whose `prepare_item(item_metadata)` returns (or yields) samples written into chunks."""

    def __init__(
        self,
        chunk_size: int | None = None,
        chunk_bytes: int | str | None = None,
        compression: str | None = None,
        compression_level: str | None = None,
        compression_batch_size: int | None = None,
        encryption: Encryption | None = None,
        storage_options: dict[str, Any] | None = None,
        key_fn: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(storage_options)
        if chunk_size is not None and chunk_bytes is not None:
            raise ValueError("Either one of the `chunk_size` or the `chunk_bytes` need to be provided.")
        self.chunk_size = chunk_size
        self.chunk_bytes = _DEFAULT_CHUNK_BYTES if chunk_size is None and chunk_bytes is None else chunk_bytes
        self.compression = compression
        self.compression_level = compression_level
        self.compression_batch_size = compression_batch_size
        self.encryption = encryption
        self.key_fn = key_fn

    @abstractmethod
    def prepare_structure(self, input_dir: str | None) -> list[T]:
        """The inputs to process."""

    @abstractmethod
    def prepare_item(self, item_metadata: T) -> Any:
        """The sample for one input (or a generator of samples)."""

    def __getstate__(self) -> dict[str, Any]:
        # workers receive the recipe with `prepare_item`; the keys are computed in the main process, so a key_fn
        # that cannot be pickled (a lambda) is fine
        return {**self.__dict__, "key_fn": None}


class MapRecipe(DataRecipe):
    """A recipe whose `prepare_item(item_metadata, output_dir, is_last)` writes files into ``output_dir``."""

    @abstractmethod
    def prepare_structure(self, input_dir: str | None) -> list[T]:
        """The inputs to process."""

    @abstractmethod
    def prepare_item(self, item_metadata: T, output_dir: str, is_last: bool) -> None:
        """Write the outputs of one input into ``output_dir``."""


class DataProcessor:
    """Runs a recipe over its inputs with worker processes (``optimize`` for a `DataChunkRecipe`, ``map`` for a
    `MapRecipe`). The arguments mean what they mean for `litdata.optimize`; ``delete_cached_files``,
    ``random_seed``, ``state_dict``, ``num_downloaders`` and ``num_uploaders`` are accepted for compatibility."""

    def __init__(
        self,
        input_dir: str | Dir | None,
        output_dir: str | Dir | None = None,
        num_workers: int | None = None,
        align_chunking: bool = False,
        num_downloaders: int | None = None,
        num_uploaders: int | None = None,
        delete_cached_files: bool = True,
        fast_dev_run: bool | int | None = None,
        random_seed: int | None = 42,
        reorder_files: bool = True,
        weights: list[int] | None = None,
        reader: BaseReader | None = None,
        state_dict: dict[int, int] | None = None,
        use_checkpoint: bool = False,
        item_loader: BaseItemLoader | None = None,
        start_method: str | None = None,
        storage_options: dict[str, Any] | None = None,
        keep_data_ordered: bool | None = None,
        verbose: bool = True,
        broadcast_paths: bool = False,
    ) -> None:
        if reader is not None and weights is not None:
            raise ValueError("Either the reader or the weights needs to be defined.")
        self.input_dir = _resolve_dir(input_dir)
        self.output_dir = _resolve_dir(output_dir)
        self.num_workers = num_workers
        self.align_chunking = align_chunking
        self.num_downloaders = num_downloaders
        self.num_uploaders = num_uploaders
        self.delete_cached_files = delete_cached_files
        if fast_dev_run is None:  # LitData's switch; unlike 0.2.76 (where it defaults to on) it defaults to off
            fast_dev_run = settings.OPTIMIZER_FAST_DEV_RUN.get()
        self.fast_dev_run = fast_dev_run
        self.random_seed = random_seed
        self.reorder_files = reorder_files
        self.weights = weights
        self.reader = reader
        self.state_dict = state_dict
        self.use_checkpoint = use_checkpoint
        self.item_loader = item_loader
        self.start_method = start_method
        self.storage_options = storage_options if storage_options is not None else {}
        self.keep_data_ordered = keep_data_ordered
        self.verbose = verbose
        self.broadcast_paths = broadcast_paths

    def run(self, data_recipe: DataRecipe) -> None:
        """Process every input that ``data_recipe.prepare_structure`` lists with ``data_recipe.prepare_item``."""
        from litdata.processing.functions import map, optimize

        if not isinstance(data_recipe, DataRecipe):
            raise ValueError("The provided value should be a data recipe.")
        output_dir = self.output_dir.url or self.output_dir.path
        if output_dir is None:
            raise ValueError("DataProcessor needs an output_dir.")
        inputs: Any = data_recipe.prepare_structure(self.input_dir.path)  # a list, a Queue or a StreamingDataLoader
        is_queue = isinstance(inputs, multiprocessing.queues.Queue)
        if not is_queue and not isinstance(inputs, list) and type(inputs).__name__ != "StreamingDataLoader":
            raise ValueError("The `prepare_structure` should return a list of item metadata or a Queue.")
        common: dict[str, Any] = {
            "output_dir": output_dir,
            "input_dir": self.input_dir.path,
            "num_workers": self.num_workers,
            "fast_dev_run": self.fast_dev_run,
            "num_downloaders": self.num_downloaders,
            "num_uploaders": self.num_uploaders,
            "reorder_files": self.reorder_files,
            "reader": self.reader,
            "start_method": self.start_method,
            "storage_options": self.storage_options,
            "keep_data_ordered": self.keep_data_ordered,
            "broadcast_paths": self.broadcast_paths,
        }
        if self.weights is not None:
            common["weights"] = self.weights
        if isinstance(data_recipe, DataChunkRecipe):
            optimize(
                fn=data_recipe.prepare_item,
                inputs=None if is_queue else inputs,
                queue=inputs if is_queue else None,
                chunk_size=data_recipe.chunk_size,
                chunk_bytes=data_recipe.chunk_bytes,
                align_chunking=self.align_chunking,
                compression=data_recipe.compression,
                compression_level=data_recipe.compression_level,
                compression_batch_size=data_recipe.compression_batch_size,
                encryption=data_recipe.encryption,
                use_checkpoint=self.use_checkpoint,
                item_loader=self.item_loader,
                verbose=self.verbose,
                key_fn=data_recipe.key_fn,
                mode="append" if self._has_index(output_dir) else None,
                **common,
            )
        elif isinstance(data_recipe, MapRecipe):
            if is_queue:
                raise ValueError("A MapRecipe needs a list of inputs (or a StreamingDataLoader), not a Queue.")
            map(fn=data_recipe.prepare_item, inputs=inputs, **common)
        else:
            raise ValueError(
                f"{type(data_recipe).__name__} must subclass DataChunkRecipe (samples into chunks) or MapRecipe "
                "(files into output_dir)."
            )

    def _has_index(self, output_dir: str) -> bool:
        from litdata.processing.output import resolve_output

        return resolve_output(output_dir, self.storage_options).read_json("index.json") is not None
