"""Google Cloud Storage (``gs://bucket/key``) through google-cloud-storage.

``storage_options`` go to ``google.cloud.storage.Client`` (``project``, ``credentials``, ``client_options``, ...).
``STORAGE_EMULATOR_HOST`` points the client at an emulator, as the SDK itself defines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from litdata.storage.base import Failure, ObjectInfo, Storage, split_url
from litdata.storage.options import gcs_keys


class GCSStorage(Storage):
    """``gs://bucket/key``."""

    schemes: ClassVar[tuple[str, ...]] = ("gs://",)
    credentials_hint: ClassVar[str] = (
        "pass storage_options={'project': ..., 'credentials': ...} (a google.auth credentials object), or set "
        "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file"
    )

    @classmethod
    def option_rules(cls) -> tuple[frozenset[str], bool, str] | None:
        return gcs_keys(), True, "gs://"

    def _make_client(self) -> Any:
        try:
            from google.cloud import storage
        except ImportError as err:
            raise ImportError("gs:// URLs need google-cloud-storage: pip install google-cloud-storage") from err
        return storage.Client(**self.storage_options)

    def _classify(self, error: BaseException) -> Failure | None:
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import DefaultCredentialsError, RefreshError, TransportError

        if isinstance(error, gexc.NotFound):
            return Failure.MISSING
        if isinstance(error, (gexc.Forbidden, gexc.Unauthorized, DefaultCredentialsError, RefreshError)):
            return Failure.DENIED
        if isinstance(error, (gexc.TooManyRequests, gexc.ServerError, TransportError)):
            return Failure.TRANSIENT
        try:
            import requests
        except ImportError:  # pragma: no cover - requests ships with google-cloud-storage
            return super()._classify(error)
        if isinstance(error, (requests.ConnectionError, requests.Timeout)):
            return Failure.TRANSIENT
        return super()._classify(error)

    def _blob(self, url: str) -> Any:
        _, bucket, key = split_url(url)
        return self._client().bucket(bucket).blob(key)

    def _download(self, url: str, local_path: str) -> None:
        self._blob(url).download_to_filename(local_path, raw_download=True, retry=None)

    def _upload(self, local_path: str, url: str) -> None:
        self._blob(url).upload_from_filename(local_path, retry=None)

    def _list(self, url: str) -> Iterator[ObjectInfo]:
        _, bucket, key = split_url(url)
        prefix = f"{key.rstrip('/')}/" if key else ""
        for blob in self._client().list_blobs(bucket, prefix=prefix, retry=None):
            yield ObjectInfo(f"gs://{bucket}/{blob.name}", int(blob.size or 0))

    def _read_range(self, url: str, offset: int, length: int | None) -> bytes:
        end = None if length is None else offset + length - 1  # inclusive in this SDK
        return self._blob(url).download_as_bytes(start=offset, end=end, raw_download=True, retry=None)

    def _size(self, url: str) -> int | None:
        _, bucket, key = split_url(url)
        blob = self._client().bucket(bucket).get_blob(key, retry=None)
        return None if blob is None else int(blob.size or 0)

    def _delete(self, url: str) -> None:
        self._blob(url).delete(retry=None)

    # Conditional writes on the object's generation (0: "must not exist").
    supports_conditional_writes: ClassVar[bool] = True

    def _if_generation(self, action: str, url: str, call: Any) -> Any:
        """``call()``, or None when the generation precondition failed."""
        from google.api_core import exceptions as gexc

        def attempt() -> Any:
            try:
                return call()
            except gexc.PreconditionFailed:
                return None

        return self._call(action, url, attempt)

    def _put(self, url: str, data: bytes, generation: int) -> str | None:
        blob = self._blob(url)
        put = lambda: blob.upload_from_string(data, if_generation_match=generation, retry=None) or True
        return None if self._if_generation("write", url, put) is None else str(blob.generation)

    def create_if_absent(self, url: str, data: bytes) -> str | None:
        return self._put(url, data, 0)

    def read_versioned(self, url: str) -> tuple[bytes, str] | None:
        _, bucket, key = split_url(url)
        blob = self._call("inspect", url, lambda: self._client().bucket(bucket).get_blob(key, retry=None))
        if blob is None:
            return None
        try:
            data = self._call("read", url, lambda: blob.download_as_bytes(raw_download=True, retry=None))
        except FileNotFoundError:
            return None
        return data, str(blob.generation)

    def replace_if_version(self, url: str, data: bytes, version: str) -> str | None:
        try:
            return self._put(url, data, int(version))
        except FileNotFoundError:
            return None

    def delete_if_version(self, url: str, version: str) -> bool:
        current = self.read_versioned(url)  # checked first too: fake-gcs-server ignores the precondition on delete
        if current is None or current[1] != version:
            return False
        blob = self._blob(url)
        delete = lambda: blob.delete(if_generation_match=int(version), retry=None) or True
        try:
            return self._if_generation("delete", url, delete) is not None
        except FileNotFoundError:
            return False
