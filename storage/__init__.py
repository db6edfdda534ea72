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
    "delete_with_derived",
    "derived_prefix",
    "evidence_key_of",
    "missing_settings",
    "new_key",
    "preview_key",
    "probe_key",
]

STORE_NAMES = ("local", "s3")
CHECKSUM_MODES = ("when_supported", "when_required")

_HEX32 = re.compile(r"[0-9a-f]{32}")
# The three shapes of key this package ever reads or writes, all made by the server:
# an evidence file; a preview derived from it, stored next to it (page numbers and the
# image format are chosen by the renderer, never by a user); a readiness probe.
KEY_PATTERN = re.compile(r"tickets/[0-9a-f]{32}/[0-9a-f]{32}")
DERIVED_SUFFIX = ".preview/"
PREVIEW_KEY_PATTERN = re.compile(
    r"tickets/[0-9a-f]{32}/[0-9a-f]{32}\.preview/page-[1-9][0-9]{0,2}\.(?:png|jpg)"
)
PROBE_KEY_PATTERN = re.compile(r"readyz/[0-9a-f]{32}")
PREVIEW_EXTENSIONS = ("png", "jpg")


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

    def check(self) -> None: ...  # raises StorageError unless a write really succeeds


def new_key(ticket_uuid: str) -> str:
    """A fresh, unguessable key for one evidence file of a ticket."""
    if not isinstance(ticket_uuid, str) or not _HEX32.fullmatch(ticket_uuid):
        raise ValueError("ticket_uuid must be 32 lowercase hex characters (uuid4().hex)")
    return f"tickets/{ticket_uuid}/{uuid4().hex}"


def preview_key(evidence_key: str, page: int, extension: str) -> str:
    """The key of page `page` (1-based, at most 999) of the preview derived from an evidence key.

    `tickets/<ticket>/<file>.preview/page-<page>.<png|jpg>`: next to the evidence, so the
    same access rules, encryption and lifecycle apply, and the sweeper can tell whose it is.
    """
    if not KEY_PATTERN.fullmatch(evidence_key):
        raise StorageError(f"invalid evidence key {evidence_key!r:.80}")
    if not (isinstance(page, int) and 1 <= page <= 999) or extension not in PREVIEW_EXTENSIONS:
        raise StorageError(f"invalid preview page {page!r:.10} or format {extension!r:.10}")
    return f"{evidence_key}{DERIVED_SUFFIX}page-{page}.{extension}"


def derived_prefix(evidence_key: str) -> str:
    """The prefix under which every object derived from `evidence_key` is stored."""
    return f"{check_key(evidence_key)}{DERIVED_SUFFIX}"


def evidence_key_of(key: str) -> str:
    """The evidence key an object belongs to: itself, or the file a preview was derived from."""
    if PREVIEW_KEY_PATTERN.fullmatch(key):
        return key.split(DERIVED_SUFFIX, 1)[0]
    return check_key(key)


def probe_key() -> str:
    """A fresh key for the readiness probe's tiny object (written, then deleted)."""
    return f"readyz/{uuid4().hex}"


def is_listed_key(key: str) -> bool:
    """Objects that `list()` reports: evidence files and the previews derived from them."""
    return bool(KEY_PATTERN.fullmatch(key) or PREVIEW_KEY_PATTERN.fullmatch(key))


def check_key(key: str) -> str:
    """Return ``key`` if it has one of the shapes made here, else raise StorageError.

    fullmatch (not match + ``$``) so a trailing newline cannot slip through.
    """
    if not isinstance(key, str) or not (
        KEY_PATTERN.fullmatch(key)
        or PREVIEW_KEY_PATTERN.fullmatch(key)
        or PROBE_KEY_PATTERN.fullmatch(key)
    ):
        raise StorageError(f"invalid evidence key {key!r:.80}")
    return key


def delete_with_derived(store: EvidenceStore, evidence_key: str) -> list[str]:
    """Delete an evidence object and every preview derived from it; returns the keys deleted.

    Previews first: if the store fails half-way, the evidence object (and so the row's
    meaning) is still there and a retry or the sweeper finishes the job.
    """
    derived = [obj.key for obj in store.list(derived_prefix(evidence_key))]
    for key in derived:
        store.delete(key)
    store.delete(evidence_key)
    return [*derived, evidence_key]


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
