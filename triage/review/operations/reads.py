"""What reviewers read: files (checked against their recorded SHA-256), their previews and
the ticket's history. Every read of a file's content is written to the history and, for
the reviewer holding the ticket, is activity that extends the lease.

Visits: one render of the review page (or of a file's pages) is a visit, and the pictures
it shows carry its token (`?visit=`, `new_visit`). A read made with a visit token is
written to the history once per reviewer, file and visit, however many times the browser
loads the file's pictures in that visit (thumbnails, zoom, the viewer, polls); a read
without one (a download, the API) is written every time. The token is signed for one
reviewer, so nobody can silence the logging of another's reads with it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, text, update

from storage import StorageError
from triage.errors import NotFound, StoreUnavailable
from triage.evidence.models import Evidence
from triage.evidence.operations import open_evidence
from triage.extensions import db
from triage.history.models import Event, record
from triage.retention.operations import purged_file
from triage.review import previews
from triage.review.operations.leases import touch_if_holder
from triage.reviewers.models import Reviewer
from triage.tickets.models import Ticket


def evidence_by_id(evidence_id: str) -> Evidence:
    """The file with this id; NotFound (`404`) for an unknown or overlong id."""
    item = db.session.get(Evidence, evidence_id) if len(evidence_id) <= 32 else None
    if item is None:
        raise NotFound("There is no such file.")
    return item


def _load(item: Evidence) -> bytes:
    """The file's bytes, checked against the SHA-256 recorded at upload.

    NotFound for a file the retention purge deleted (recovery.md), saying so and when.
    """
    if item.purged_at is not None:
        raise purged_file(item)
    try:
        with open_evidence(item) as stream:
            data = stream.read()
    except StorageError as exc:
        current_app.logger.error("cannot read evidence %s: %s", item.id, exc)
        raise StoreUnavailable(
            "The file could not be read from storage just now. Try again in a few minutes."
        ) from exc
    if hashlib.sha256(data).hexdigest() != item.sha256:
        current_app.logger.error("evidence %s does not match its recorded SHA-256", item.id)
        raise StoreUnavailable(
            "The stored file does not match what was uploaded, so it is "
            "not shown. Tell the administrators."
        )
    return data


# --- visits ---------------------------------------------------------------------------------

_VISIT_SALT = b"triage.review.visit"
_NONCE_BYTES = 9  # 72 random bits: 12 URL-safe characters
_SIGNATURE_CHARS = 22  # 128 bits of the HMAC-SHA256, URL-safe base64
# The visit of the request being served, set by `reading_in_visit` around a read (the view
# knows the request; `_log_read` is also called from triage.evidence.analysis).
_current_visit: ContextVar[str | None] = ContextVar("review_visit", default=None)


# A page left open longer than a working day is a new visit when it is used again.
VISIT_LIFETIME_SECONDS = 12 * 3600


def _visit_signature(reviewer_id: Any, scope: str, nonce: str, issued: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), _VISIT_SALT, hashlib.sha256).digest()
    message = f"{reviewer_id}\x1f{scope}\x1f{nonce}\x1f{issued}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:_SIGNATURE_CHARS]


def new_visit(reviewer: Reviewer, scope: str) -> str:
    """A fresh visit token: `<nonce>.<issued>.<signature>`, URL-safe, under 64 characters.

    `scope` is what the visit belongs to besides the reviewer: the view passes the ticket
    and the reviewer's signed-in session, so a token from another ticket's page, another
    browser or an earlier sign-in is no visit here. The nonce names the visit in the history
    (`details.visit`); `issued` (Unix seconds) ends it after VISIT_LIFETIME_SECONDS; the
    signature (HMAC-SHA256 under SECRET_KEY) binds all of it to the reviewer.
    """
    nonce, issued = secrets.token_urlsafe(_NONCE_BYTES), str(int(time.time()))
    return f"{nonce}.{issued}.{_visit_signature(reviewer.id, scope, nonce, issued)}"


def visit_of(token: Any, reviewer: Reviewer, scope: str) -> str | None:
    """The visit a token names if it was made for `reviewer` in `scope` and is not over,
    else None (no visit).

    A forged, mangled, expired or another reviewer's token is simply no token: the read is
    logged.
    """
    if not isinstance(token, str) or len(token) > 64 or token.count(".") != 2:
        return None
    nonce, issued, signature = token.split(".")
    if not nonce or not issued.isascii() or not issued.isdigit():
        return None
    expected = _visit_signature(reviewer.id, scope, nonce, issued)
    # As bytes: compare_digest refuses str with characters beyond ASCII, which a URL may hold.
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    if not 0 <= time.time() - int(issued) <= VISIT_LIFETIME_SECONDS:
        return None
    return nonce


@contextlib.contextmanager
def reading_in_visit(token: Any, reviewer: Reviewer, scope: str) -> Iterator[str | None]:
    """Reads of files inside this block belong to the visit `token` names (if it is
    `reviewer`'s, in `scope`: see `new_visit`), and are written to the history once per
    file in that visit.

    Yields the visit id, or None when the token is missing, not the reviewer's or over.
    """
    visit = visit_of(token, reviewer, scope)
    reset = _current_visit.set(visit)
    try:
        yield visit
    finally:
        _current_visit.reset(reset)


def _read_in_visit(item: Evidence, reviewer: Reviewer, visit: str) -> bool:
    """Whether `reviewer` has a read of `item` written for `visit` already.

    Serialised per file first, so two pictures of one file loaded at once (a thumbnail and
    the viewer) write one event: PostgreSQL takes a transaction-scoped advisory lock on the
    file (no row lock, so no lock-order cycle with decisions or the workers); SQLite's
    first write of a transaction takes the database's write lock, so a no-op UPDATE of the
    file's row does it.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"evidence_read:{item.id}"},
        )
    else:
        db.session.execute(
            update(Evidence).where(Evidence.id == item.id).values(id=Evidence.id),
            execution_options={"synchronize_session": False},
        )
    found = db.session.scalar(
        select(Event.id)
        .where(
            Event.ticket_id == item.ticket_id,
            Event.action == "evidence_read",
            Event.actor == reviewer.actor,
            Event.details["visit"].as_string() == visit,
            Event.details["evidence_id"].as_string() == item.id,
        )
        .limit(1)
    )
    return found is not None


def _log_read(item: Evidence, reviewer: Reviewer, via: str, **details: Any) -> None:
    """Write a read of `item` to the history (once per visit inside `reading_in_visit`),
    and extend the lease of a reviewer who holds the ticket either way."""
    touch_if_holder(item.ticket, reviewer)
    visit = _current_visit.get()
    if visit is not None:
        if _read_in_visit(item, reviewer, visit):
            return
        details["visit"] = visit
    record(
        item.ticket_id,
        reviewer.actor,
        "evidence_read",
        evidence_id=item.id,
        material=item.material,
        filename=item.filename,
        via=via,
        **details,
    )
    db.session.flush()


def read_evidence(item: Evidence, reviewer: Reviewer, via: str) -> bytes:
    """The file's bytes for a reviewer; the read goes into the ticket's history."""
    data = _load(item)
    _log_read(item, reviewer, via)
    return data


def ticket_history(ticket: Ticket) -> list[Event]:
    """Every event of the ticket, oldest first."""
    return list(
        db.session.scalars(
            select(Event).where(Event.ticket_id == ticket.id).order_by(Event.at, Event.id)
        )
    )


# What reviewers look for in a history: verdicts, requests and approvals stand out from the
# reads, uploads and notifications around them (the review page's "History").
HISTORY_KINDS = {
    "evidence_reviewed": "decision",
    "decided": "decision",
    "materials_requested": "request",
    "first_approved": "approval",
    "second_approval_refused": "approval",
}


@dataclass(frozen=True)
class HistoryRow:
    """One row of the review page's history: one event, or a run of reads.

    kind: "decision", "request", "approval" (HISTORY_KINDS), "reads" (consecutive
    `evidence_read` events of one actor, oldest first in `events`) or "event".
    """

    kind: str
    events: tuple[Event, ...]

    @property
    def first(self) -> Event:
        return self.events[0]

    @property
    def last(self) -> Event:
        return self.events[-1]

    @property
    def files(self) -> list[str]:
        """The names of the files read in a run of reads, each once, in reading order."""
        names = (e.details.get("filename") or e.details.get("evidence_id") for e in self.events)
        return list(dict.fromkeys(str(name) for name in names))


def history_rows(events: list[Event]) -> list[HistoryRow]:
    """The history grouped for reading, oldest first: each run of consecutive reads by the
    same actor becomes one "reads" row; every other event is a row of its own."""
    rows: list[HistoryRow] = []
    for event in events:
        previous = rows[-1] if rows else None
        if (
            event.action == "evidence_read"
            and previous is not None
            and previous.kind == "reads"
            and previous.last.actor == event.actor
        ):
            rows[-1] = HistoryRow("reads", (*previous.events, event))
        elif event.action == "evidence_read":
            rows.append(HistoryRow("reads", (event,)))
        else:
            rows.append(HistoryRow(HISTORY_KINDS.get(event.action, "event"), (event,)))
    return rows


# --- previews -------------------------------------------------------------------------------


def evidence_preview(item: Evidence) -> previews.PreviewView:
    """The file's preview state for the review page; starts a background render if none.

    Reads no evidence bytes, so it is not a read for the history; never waits on a render.
    A file the retention purge deleted has none, and none is rendered.
    """
    if item.purged_at is not None:
        return previews.PreviewView(previews.UNAVAILABLE)
    return previews.request_preview(item)


def evidence_page_image(item: Evidence, reviewer: Reviewer, page: int) -> bytes | None:
    """Page `page` (1-based) of the file's preview, or None while it is being prepared.

    NotFound when the file has no such page to show (not previewable, too large to
    preview, past the last page); StoreUnavailable when the store fails. A page served
    is a read of the evidence, written to the history. NotFound, saying so, for a file
    the retention purge deleted.
    """
    if item.purged_at is not None:
        raise purged_file(item)
    try:
        picture = previews.read_page(item, page)
    except LookupError:
        raise NotFound("This page cannot be shown: download the file instead.") from None
    except StorageError as exc:
        current_app.logger.error("cannot read the preview of %s: %s", item.id, exc)
        raise StoreUnavailable(
            "The preview could not be read from storage just now. Try again in a few minutes."
        ) from exc
    if picture is not None:
        _log_read(item, reviewer, "preview", page=page)
    return picture
