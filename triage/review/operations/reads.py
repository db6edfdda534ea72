"""What reviewers read: files (checked against their recorded SHA-256), their previews and
the ticket's history. Every read of a file's content is written to the history and, for
the reviewer holding the ticket, is activity that extends the lease."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from sqlalchemy import select

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


def _log_read(item: Evidence, reviewer: Reviewer, via: str, **details: Any) -> None:
    touch_if_holder(item.ticket, reviewer)
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
