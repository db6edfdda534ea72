"""The account directory: where the account of record comes from.

recovery.md "Accounts of record": two backends, chosen by configuration: the table
`account_records` in the product's own database (the embedded default, loaded with
`flask accounts import FILE`), or an HTTP directory at `ACCOUNT_DIRECTORY_URL` answering
`GET <url>/accounts/<account_name>` with the record's keys as JSON (`404` when unknown),
within `ACCOUNT_DIRECTORY_TIMEOUT` seconds. Both look accounts up by the normalised account
key (triage.text.normalise_name), so a look-alike spelling finds the same record.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests
from flask import current_app
from urllib3.exceptions import HTTPError
from urllib3.util import Timeout

from triage.accounts.models import AccountRecord
from triage.accounts.records import RECORD_KEYS, RecordError, clean_record
from triage.extensions import db
from triage.text import normalise_name

log = logging.getLogger(__name__)

# A record is a few hundred bytes: a directory answering more is not answering a record.
MAX_ANSWER_BYTES = 64 * 1024


class DirectoryUnavailable(Exception):
    """The directory did not answer: a timeout, a refused connection, a 5xx, or an answer
    that is not a record (bad JSON, bad values). The comparison is retried later."""


def account_key(account_name: str) -> str:
    """The account name as matched (NFKC, case-folded, invisible marks removed), VARCHAR(200)."""
    return normalise_name(account_name)[:200]


class Directory(Protocol):
    def lookup(self, account_name: str) -> dict[str, Any] | None:
        """The record (the keys of RECORD_KEYS the backend has) or None when the account is
        unknown; DirectoryUnavailable when the directory did not answer."""
        ...


class TableDirectory:
    """The embedded default: the `account_records` table."""

    def lookup(self, account_name: str) -> dict[str, Any] | None:
        key = account_key(account_name)
        if not key:
            return None
        row = db.session.get(AccountRecord, key)
        if row is None:
            return None
        return {key: getattr(row, key) for key in RECORD_KEYS}


class HttpDirectory:
    """`GET <url>/accounts/<normalised account key>`, bounded by `timeout` seconds in all."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def lookup(self, account_name: str) -> dict[str, Any] | None:
        key = account_key(account_name)
        if not key:
            return None  # a name of invisible marks only names no account
        address = f"{self.url}/accounts/{quote(key, safe='')}"
        deadline = time.monotonic() + self.timeout
        try:
            # `total`: connecting and the wait for the answer's head share the budget; the
            # read loop below bounds the body too, so a directory trickling bytes cannot
            # hold the customer longer than the timeout.
            with requests.get(
                address,
                timeout=Timeout(total=self.timeout),
                stream=True,
                allow_redirects=False,
                headers={"Accept": "application/json"},
            ) as response:
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise DirectoryUnavailable(f"{address} answered {response.status_code}")
                body = _read(response, deadline)
        except requests.RequestException as exc:
            raise DirectoryUnavailable(f"{address}: {type(exc).__name__}") from exc
        try:
            data = json.loads(body)
        except RecursionError as exc:  # `[[[[...` nested past the parser's stack
            raise DirectoryUnavailable(f"{address} answered JSON nested too deeply") from exc
        except ValueError as exc:
            raise DirectoryUnavailable(f"{address} answered something that is not JSON") from exc
        if not isinstance(data, Mapping):
            raise DirectoryUnavailable(f"{address} answered JSON that is not an object")
        try:
            # The path named the account: an answer that leaves its name out is still its.
            return clean_record({"account_name": account_name, **data}, strict=False)
        except RecordError as exc:
            raise DirectoryUnavailable(
                f"{address} answered a record that is not valid: {exc}"
            ) from exc


def _read(response: requests.Response, deadline: float) -> bytes:
    # read1: whatever one wait brings (urllib3 2), so the deadline is checked between
    # waits; read(n) would block until n bytes came, however slowly they trickle in.
    raw = response.raw
    read = getattr(raw, "read1", None) or raw.read
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise DirectoryUnavailable("the directory did not answer in time")
        try:
            chunk = read(8192, decode_content=True)
        except (OSError, HTTPError) as exc:  # a read timeout, a reset, a bad encoding
            raise DirectoryUnavailable(f"the directory's answer broke off: {exc}") from exc
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise DirectoryUnavailable("the directory's answer is too large to be a record")
        chunks.append(chunk)


def directory(config: Mapping[str, Any] | None = None) -> Directory:
    """The configured backend: the HTTP directory when `ACCOUNT_DIRECTORY_URL` is set,
    else the table (recovery.md "Accounts of record": "The embedded default is the table")."""
    config = config if config is not None else current_app.config
    url = config.get("ACCOUNT_DIRECTORY_URL")
    if url:
        return HttpDirectory(url, float(config.get("ACCOUNT_DIRECTORY_TIMEOUT") or 3))
    return TableDirectory()


@dataclass(frozen=True)
class Lookup:
    """What the directory said about one account: `found` (with `record`), `unknown`, or
    `unavailable` (with `error`: why it did not answer)."""

    outcome: str
    record: dict[str, Any] | None = None
    error: str | None = None


def look_up(account_name: str, backend: Directory | None = None) -> Lookup:
    """Ask the directory about `account_name`; never raises for a directory that did not
    answer (recovery.md: "A directory that does not answer never blocks a customer")."""
    backend = backend or directory()
    try:
        record = backend.lookup(account_name)
    except DirectoryUnavailable as exc:
        log.warning("account directory did not answer: %s", exc)
        return Lookup("unavailable", error=str(exc))
    return Lookup("found", record) if record is not None else Lookup("unknown")
