"""Hugging Face Hub datasets (``hf://datasets/{org}/{repo}/{path}``) through huggingface_hub's filesystem.

``storage_options`` go to ``huggingface_hub.HfFileSystem`` (e.g. ``token``, ``revision``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from litdata.storage.fsspec import FsspecStorage


class HFStorage(FsspecStorage):
    """``hf://datasets/org/repo/path``."""

    schemes: ClassVar[tuple[str, ...]] = ("hf://",)
    credentials_hint: ClassVar[str] = "pass storage_options={'token': 'hf_...'} or run `huggingface-cli login`"

    def _make_client(self) -> Any:
        try:
            from huggingface_hub import HfFileSystem
        except ImportError as err:
            raise ImportError(
                "hf:// URLs need huggingface_hub: pip install huggingface_hub (then retry the same call)."
            ) from err
        return HfFileSystem(**self.storage_options)

    def _fs(self, url: str) -> tuple[Any, str]:
        return self._client(), url[len("hf://") :]
