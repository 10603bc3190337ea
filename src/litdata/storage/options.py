"""Check ``storage_options`` keys per backend, so that a misspelled key names its closest valid spelling.

S3 (and R2) and GCS accept a closed set of keys (their SDK's keyword arguments and, for S3, the environment
spellings s5cmd reads): any other key is refused. Azure's client takes open-ended keyword arguments, so only a key
that looks like a misspelling of a known one is refused. fsspec and Hugging Face options are not checked.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterable, Mapping
from typing import Any

S3_KEYS = frozenset(
    {
        # boto3.Session(...).client("s3", ...) and boto3.Session(...)
        "region_name",
        "api_version",
        "use_ssl",
        "verify",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_account_id",
        "config",
        "botocore_session",
        "profile_name",
        # the environment spellings (s5cmd's)
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "S3_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_NO_SIGN_REQUEST",
        "no_sign_request",
    }
)
GCS_KEYS = frozenset(
    {"project", "credentials", "_http", "client_info", "client_options", "use_auth_w_custom_endpoint", "extra_headers"}
)
AZURE_KEYS = frozenset(
    {
        "account_url",
        "credential",
        "connection_string",
        "api_version",
        "secondary_hostname",
        "audience",
        "max_block_size",
        "max_single_put_size",
        "min_large_block_upload_threshold",
        "use_byte_buffer",
        "max_page_size",
        "max_single_get_size",
        "max_chunk_get_size",
        "retry_total",
        "retry_connect",
        "retry_read",
        "retry_status",
        "retry_to_secondary",
        "connection_timeout",
        "read_timeout",
        "transport",
        "proxies",
        "logging_enable",
        "user_agent",
        "headers",
        "connection_verify",
        "connection_cert",
        "connection_data_block_size",
    }
)
_TYPO_CUTOFF = 0.6  # difflib ratio above which an unknown key is taken for a misspelling
_AZURE_TYPO_CUTOFF = 0.8  # Azure accepts any keyword: refuse only keys very close to a known one


class StorageOptionsError(TypeError, ValueError):
    """A ``storage_options`` key the backend does not know (a TypeError, as the SDKs raise, and a ValueError)."""


def _sdk_keywords(function: Any) -> set[str]:
    """Keyword parameters of an SDK function (empty when it cannot be inspected)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}


def gcs_keys() -> frozenset[str]:
    try:
        from google.cloud.storage import Client
    except ImportError:
        return GCS_KEYS
    return GCS_KEYS | _sdk_keywords(Client.__init__)


def closest_key(key: str, valid: Iterable[str], cutoff: float = _TYPO_CUTOFF) -> str | None:
    """The valid key closest to ``key`` (ignoring case), or None when none is close enough.

    The SDK's (lower-case) spellings are preferred over the environment spellings."""
    valid = list(valid)
    for tier in ([name for name in valid if not name.isupper()], [name for name in valid if name.isupper()]):
        by_lower = {name.lower(): name for name in tier}
        matches = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=cutoff)
        if matches:
            return by_lower[matches[0]]
    return None


def check_storage_options(storage_cls: Any, storage_options: Mapping[str, Any] | None) -> None:
    """Raise `StorageOptionsError` for a key ``storage_cls`` does not accept, suggesting the closest valid key."""
    rules = storage_cls.option_rules()
    if rules is None or not storage_options:
        return
    valid, strict, scheme = rules
    problems = []
    for key in storage_options:
        if key in valid:
            continue
        suggestion = closest_key(str(key), valid, _TYPO_CUTOFF if strict else _AZURE_TYPO_CUTOFF)
        if suggestion is not None:
            problems.append(f"{key!r} (did you mean {suggestion!r}?)")
        elif strict:
            problems.append(repr(key))
    if problems:
        shown = sorted(name for name in valid if not name.isupper() and not name.startswith("_"))
        raise StorageOptionsError(
            f"Unknown storage_options key for {scheme} URLs: {', '.join(problems)}. Valid keys: {', '.join(shown)}"
            + (" (or the environment spellings, e.g. S3_ENDPOINT_URL)." if scheme in ("s3://", "r2://") else ".")
        )
