"""Evidence in an S3 bucket (AWS, or MinIO/Ceph/OBS through an endpoint URL)."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage import (
    CHECKSUM_MODES,
    ObjectMissing,
    StorageError,
    StoredObject,
    check_key,
    is_listed_key,
    probe_key,
    sha256_digest,
)

_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}

# Every call to the store is bounded, so that one upload and the cleanup after it (a
# delete, when the upload failed) always finish well within gunicorn's 60 s request
# timeout (config/gunicorn.conf.py), even against a store that accepts connections and
# then never answers:
#   one attempt      <= CONNECT_TIMEOUT + READ_TIMEOUT                    = 2 + 5 = 7 s
#   one call         <= MAX_ATTEMPTS x 7 s + backoff (standard mode: under 1 s, or a
#                       server's x-amz-retry-after capped by botocore at that + 5 s)
#                    <= 2 x 7 + 6                                        = 20 s
#   upload + cleanup <= 2 x 20                                           = 40 s < 60 s
# (measured against a paused store: about 11 s to the 503, 22 s with the cleanup;
# tests/e2e/test_s3_proxy.py checks this sum, and the bound with 1 s waits). READ_TIMEOUT
# bounds each socket read or write, so 5 s is plenty for a 5 MiB body to a store that is
# alive; one retry covers a dropped connection.
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 5
MAX_ATTEMPTS = 2  # botocore's total_max_attempts: the first try and one retry
PROBE_BODY = b"ready\n"


def client_config(checksum_mode: str = "when_supported") -> Config:
    """The one client configuration: SigV4, bounded waits (above), the checksum mode.

    boto3 >= 1.36 adds a CRC32 checksum to every upload under "when_supported"; some
    S3-compatible stores refuse any checksum header, hence "when_required", under which
    botocore sends one only for operations that demand it (none that we call).
    """
    return Config(
        signature_version="s3v4",
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        request_checksum_calculation=checksum_mode,
        response_checksum_validation=checksum_mode,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )


def _describe(exc: Exception) -> str:
    # Only the error code and the service's message: never the request, headers or
    # credentials, which botocore keeps on other attributes.
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = error.get("Message") or ""
        return f"{code}: {message}"[:200].rstrip(": ")
    # BotoCoreError messages may quote request parameters, so keep only the class
    # and, for connection problems, the endpoint that could not be reached.
    endpoint = getattr(exc, "kwargs", {}).get("endpoint_url")
    return f"{type(exc).__name__} ({endpoint})" if endpoint else type(exc).__name__


def _is_missing(exc: Exception) -> bool:
    if not isinstance(exc, ClientError):
        return False
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING_CODES


class S3Store:
    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        sse: str | None = None,
        checksum_mode: str = "when_supported",
        client: Any = None,
    ) -> None:
        if not bucket:
            raise StorageError("S3Store needs a bucket name")
        if checksum_mode not in CHECKSUM_MODES:
            raise StorageError(f"S3_CHECKSUM_MODE must be one of {CHECKSUM_MODES}")
        self.bucket = bucket
        self.sse = sse or None
        self.checksum_mode = checksum_mode
        # One client per store: clients are thread-safe and costly to build. A fresh
        # Session because boto3's default session is not safe to share across threads.
        self.client = client or boto3.session.Session().client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            config=client_config(checksum_mode),
        )

    def _fail(self, action: str, key: str | None, exc: Exception) -> StorageError:
        where = f"s3://{self.bucket}/{key}" if key else f"s3://{self.bucket}"
        return StorageError(f"S3 {action} {where} failed: {_describe(exc)}")

    def save(self, key: str, data: bytes, *, content_type: str, sha256_hex: str) -> None:
        check_key(key)
        digest = sha256_digest(data, sha256_hex)
        self._put(key, data, content_type, digest, "upload")

    def _put(self, key: str, data: bytes, content_type: str, digest: bytes, action: str) -> None:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
        }
        if self.checksum_mode == "when_supported":
            # The store verifies the body against our SHA-256 and rejects a mismatch.
            params["ChecksumAlgorithm"] = "SHA256"
            params["ChecksumSHA256"] = base64.b64encode(digest).decode("ascii")
        # Under "when_required" no checksum header at all: the store may refuse them. The
        # SHA-256 is still recorded by the caller and checked on every read.
        if self.sse:
            params["ServerSideEncryption"] = self.sse
        try:
            self.client.put_object(**params)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(action, key, exc) from exc

    def open(self, key: str) -> BinaryIO:
        check_key(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            # Read it all here (files are <= 5 MiB): network and checksum errors then
            # surface as StorageError now, and the caller gets a seekable stream.
            with response["Body"] as body:
                return io.BytesIO(body.read())
        except (ClientError, BotoCoreError) as exc:
            if _is_missing(exc):
                raise ObjectMissing(f"no evidence stored under {key}") from None
            raise self._fail("download", key, exc) from exc

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            if _is_missing(exc):  # S3 says 204 anyway; some compatible stores do not
                return
            raise self._fail("delete", key, exc) from exc

    def list(self, prefix: str = "tickets/") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    # Same rule as the local store: only objects with our key shape.
                    if not is_listed_key(item["Key"]):
                        continue
                    yield StoredObject(
                        key=item["Key"],
                        size=item["Size"],
                        modified_at=item["LastModified"].astimezone(UTC),
                    )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("list", prefix, exc) from exc

    def check(self) -> None:
        """Readiness: write a tiny object and delete it, with the settings uploads use.

        A bucket that answers HEAD but refuses writes (checksum headers it does not take,
        a read-only policy, a full quota) is not ready.
        """
        key = probe_key()
        self._put(key, PROBE_BODY, "text/plain", hashlib.sha256(PROBE_BODY).digest(), "probe")
        self.delete(key)
