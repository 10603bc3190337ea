"""Azure Blob Storage (``azure://container/path``) through azure-storage-blob.

``storage_options`` go to ``BlobServiceClient`` (``account_url`` and ``credential``), or hold a
``connection_string``; without options, ``AZURE_STORAGE_CONNECTION_STRING`` is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import litdata.settings as settings
from litdata.storage.base import Failure, ObjectInfo, Storage, split_url
from litdata.storage.options import AZURE_KEYS

_CONNECTION_STRING_ENV = settings.AZURE_STORAGE_CONNECTION_STRING.name


class AzureStorage(Storage):
    """``azure://container/blob``."""

    schemes: ClassVar[tuple[str, ...]] = ("azure://",)
    credentials_hint: ClassVar[str] = (
        "pass storage_options={'account_url': 'https://<account>.blob.core.windows.net', 'credential': ...} or "
        "{'connection_string': ...}, or set AZURE_STORAGE_CONNECTION_STRING"
    )

    @classmethod
    def option_rules(cls) -> tuple[frozenset[str], bool, str] | None:
        return AZURE_KEYS, False, "azure://"

    def _make_client(self) -> Any:
        try:
            from azure.storage.blob import BlobServiceClient
        except ImportError as err:
            raise ImportError("azure:// URLs need azure-storage-blob: pip install azure-storage-blob") from err
        options = dict(self.storage_options)
        options.setdefault("retry_total", 0)  # retried by Storage._call
        connection_string = options.pop("connection_string", None)
        if connection_string is None and "account_url" not in options:
            connection_string = settings.AZURE_STORAGE_CONNECTION_STRING.get()
        if connection_string:
            return BlobServiceClient.from_connection_string(connection_string, **options)
        if "account_url" not in options:
            raise ValueError(f"Cannot reach Azure storage: {self.credentials_hint}.")
        return BlobServiceClient(**options)

    def _classify(self, error: BaseException) -> Failure | None:
        from azure.core import exceptions as aexc

        if isinstance(error, aexc.ResourceNotFoundError):
            return Failure.MISSING
        if isinstance(error, aexc.ClientAuthenticationError):
            return Failure.DENIED
        if isinstance(error, (aexc.ServiceRequestError, aexc.ServiceResponseError)):
            return Failure.TRANSIENT
        if isinstance(error, aexc.HttpResponseError):
            status = error.status_code or 0
            if status in (401, 403):
                return Failure.DENIED
            if status == 429 or status >= 500:
                return Failure.TRANSIENT
            return None
        return super()._classify(error)

    def _blob(self, url: str) -> Any:
        _, container, key = split_url(url)
        return self._client().get_blob_client(container=container, blob=key)

    def _download(self, url: str, local_path: str) -> None:
        with open(local_path, "wb") as f:
            self._blob(url).download_blob(max_concurrency=4).readinto(f)

    def _upload(self, local_path: str, url: str) -> None:
        with open(local_path, "rb") as f:
            self._blob(url).upload_blob(f, overwrite=True, max_concurrency=4)

    def _list(self, url: str) -> Iterator[ObjectInfo]:
        _, container, key = split_url(url)
        prefix = f"{key.rstrip('/')}/" if key else None
        for blob in self._client().get_container_client(container).list_blobs(name_starts_with=prefix):
            yield ObjectInfo(f"azure://{container}/{blob.name}", int(blob.size or 0))

    def _read_range(self, url: str, offset: int, length: int | None) -> bytes:
        return self._blob(url).download_blob(offset=offset, length=length).readall()

    def _size(self, url: str) -> int | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return int(self._blob(url).get_blob_properties().size)
        except ResourceNotFoundError:
            return None

    def _delete(self, url: str) -> None:
        self._blob(url).delete_blob()

    # Conditional writes on the blob's ETag (If-None-Match: * to create).
    supports_conditional_writes: ClassVar[bool] = True

    def _unless_conflict(self, action: str, url: str, call: Any) -> Any:
        """``call()``, or None when the blob exists (create) or changed (If-Match)."""
        from azure.core import exceptions as aexc

        def attempt() -> Any:
            try:
                return call()
            except (aexc.ResourceExistsError, aexc.ResourceModifiedError):
                return None

        return self._call(action, url, attempt)

    def create_if_absent(self, url: str, data: bytes) -> str | None:
        blob = self._blob(url)
        response = self._unless_conflict("create", url, lambda: blob.upload_blob(data, overwrite=False))
        return None if response is None else response["etag"]

    def read_versioned(self, url: str) -> tuple[bytes, str] | None:
        try:
            stream = self._call("read", url, lambda: self._blob(url).download_blob())
            return stream.readall(), stream.properties.etag
        except FileNotFoundError:
            return None

    def replace_if_version(self, url: str, data: bytes, version: str) -> str | None:
        from azure.core import MatchConditions

        blob = self._blob(url)
        put = lambda: blob.upload_blob(
            data, overwrite=True, etag=version, match_condition=MatchConditions.IfNotModified
        )
        try:
            response = self._unless_conflict("update", url, put)
        except FileNotFoundError:
            return None
        return None if response is None else response["etag"]

    def delete_if_version(self, url: str, version: str) -> bool:
        from azure.core import MatchConditions

        blob = self._blob(url)
        delete = lambda: blob.delete_blob(etag=version, match_condition=MatchConditions.IfNotModified) or True
        try:
            return self._unless_conflict("delete", url, delete) is not None
        except FileNotFoundError:
            return False
