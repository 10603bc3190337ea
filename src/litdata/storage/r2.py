"""Cloudflare R2 (``r2://bucket/key``): the S3 protocol on ``https://<account_id>.r2.cloudflarestorage.com``.

``storage_options`` are those of S3 (either spelling) plus ``account_id`` (or the ``R2_ACCOUNT_ID`` environment
variable), which sets the endpoint unless ``endpoint_url`` is given.
"""

from __future__ import annotations

from typing import ClassVar

import litdata.settings as settings
from litdata.storage.options import S3_KEYS
from litdata.storage.s3 import S3Storage


class R2Storage(S3Storage):
    """``r2://bucket/key``."""

    schemes: ClassVar[tuple[str, ...]] = ("r2://",)
    default_region: ClassVar[str | None] = "auto"
    credentials_hint: ClassVar[str] = (
        "pass storage_options={'account_id': ..., 'aws_access_key_id': ..., 'aws_secret_access_key': ...} with an "
        "R2 API token's key pair (or endpoint_url instead of account_id)"
    )

    @classmethod
    def option_rules(cls) -> tuple[frozenset[str], bool, str] | None:
        return S3_KEYS | {"account_id"}, True, "r2://"

    def __init__(self, storage_options: dict | None = None, session_options: dict | None = None) -> None:
        options = dict(storage_options or {})
        self.account_id = options.pop("account_id", None) or settings.R2_ACCOUNT_ID.get()
        super().__init__(options, session_options)

    def _endpoint(self) -> str | None:
        return f"https://{self.account_id}.r2.cloudflarestorage.com" if self.account_id else None
