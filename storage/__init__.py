"""Evidence storage: one small interface, a local-folder backend and an S3 backend.

Evidence files are customers' identity and payment documents, so keys are always
generated here (never derived from an uploaded file name) and every backend checks
them against one strict shape before touching storage.

No Flask in this package: ``create_store`` takes any mapping (``app.config`` works).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Protocol
from uuid import uuid4

__all__ = [
    "EvidenceStore",
    "ObjectMissing",
    "StorageError",
    "StoredObject",
    "create_store",
    "missing_settings",
    "new_key",
]

STORE_NAMES = ("local", "s3")
CHECKSUM_MODES = ("when_supported", "when_required")

_HEX32 = re.compile(r"[0-9a-f]{32}")
KEY_PATTERN = re.compile(r"tickets/[0-9a-f]{32}/[0-9a-f]{32}")


class StorageError(Exception):
    """Any failure of the evidence store; messages are safe to log (no secrets)."""


class ObjectMissing(StorageError):
    """The requested key does not exist in the store."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified_at: datetime  # tz-aware UTC


class EvidenceStore(Protocol):
    name: str  # "local" or "s3"

    def save(self, key: str, data: bytes, *, content_type: str, sha256_hex: str) -> None: ...

    def open(self, key: str) -> BinaryIO: ...  # caller closes

    def delete(self, key: str) -> None: ...  # missing key is not an error

    def list(self, prefix: str = "tickets/") -> Iterator[StoredObject]: ...

    def check(self) -> None: ...  # raises StorageError when unreachable/misconfigured


def new_key(ticket_uuid: str) -> str:
    """A fresh, unguessable key for one evidence file of a ticket."""
    if not isinstance(ticket_uuid, str) or not _HEX32.fullmatch(ticket_uuid):
        raise ValueError("ticket_uuid must be 32 lowercase hex characters (uuid4().hex)")
    return f"tickets/{ticket_uuid}/{uuid4().hex}"


def check_key(key: str) -> str:
    """Return ``key`` if it has exactly the shape ``new_key`` produces, else raise StorageError.

    fullmatch (not match + ``$``) so a trailing newline cannot slip through.
    """
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise StorageError(f"invalid evidence key {key!r:.80}")
    return key


def sha256_digest(data: bytes, sha256_hex: str) -> bytes:
    """The raw digest of ``data``, after checking it matches the caller's hex SHA-256.

    Checked here as well as by S3 because moto and some S3-compatible stores do not
    verify checksums, and the local backend has nobody else to verify it.
    """
    digest = hashlib.sha256(data).digest()
    try:
        expected = bytes.fromhex(sha256_hex)
    except (TypeError, ValueError):
        raise StorageError("sha256_hex is not a hex string") from None
    if digest != expected:
        raise StorageError("data does not match sha256_hex")
    return digest


def _setting(config: Mapping[str, Any], name: str) -> Any:
    # An empty environment variable means "not set", not "use the empty string".
    value = config.get(name)
    return None if value in (None, "") else value


def _store_name(config: Mapping[str, Any]) -> str:
    return str(_setting(config, "EVIDENCE_STORE") or "local").strip().lower()


def missing_settings(config: Mapping[str, Any]) -> list[str]:
    """Names of settings the chosen store needs but that are absent (or invalid)."""
    name = _store_name(config)
    if name not in STORE_NAMES:
        return ["EVIDENCE_STORE"]
    required = {"local": ["EVIDENCE_DIR"], "s3": ["S3_BUCKET"]}[name]
    return [setting for setting in required if _setting(config, setting) is None]


def create_store(config: Mapping[str, Any]) -> EvidenceStore:
    """Build the backend named by ``EVIDENCE_STORE`` ("local" by default)."""
    name = _store_name(config)
    if name not in STORE_NAMES:
        raise StorageError(f"unknown EVIDENCE_STORE {name!r:.40}; use one of {STORE_NAMES}")
    missing = missing_settings(config)
    if missing:
        raise StorageError(f"EVIDENCE_STORE={name} needs {', '.join(missing)}")

    # Imported here so the local backend never needs boto3 importable.
    if name == "local":
        from storage.local import LocalStore

        return LocalStore(_setting(config, "EVIDENCE_DIR"))

    from storage.s3 import S3Store

    return S3Store(
        _setting(config, "S3_BUCKET"),
        region=_setting(config, "S3_REGION"),
        endpoint_url=_setting(config, "S3_ENDPOINT_URL"),
        sse=_setting(config, "S3_SSE"),
        checksum_mode=_setting(config, "S3_CHECKSUM_MODE") or "when_supported",
    )
