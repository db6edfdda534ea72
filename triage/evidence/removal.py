"""Removing a file the customer uploaded by mistake; the edge commits.

Allowed while the customer may still change the ticket (`draft`, `needs_more_info`) and
only for a file no reviewer has decided on: an accepted or rejected file is part of the
review's record. The stored object (and its previews) is deleted only after the commit,
so a rolled-back removal still has its file.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage import StorageError, delete_with_derived
from triage.errors import InvalidState, NotFound
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import record
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.tickets.status import TRANSITIONS
from triage.tickets.transitions import lost
from triage.timeutil import utcnow

log = logging.getLogger(__name__)
_TO_DELETE = "evidence_keys_removed"
# Removing is one more edit of an editable ticket, refused in the same words as an upload.
_EDIT = "upload"


def removable(ticket: Ticket, item: Evidence) -> bool:
    """Whether the customer may remove `item` now (what the page offers a button for)."""
    return ticket.status in st.EDITABLE and item.decision is None


def remove_evidence(ticket: Ticket, evidence_id: str, actor: str = "customer") -> Evidence:
    """Remove an undecided file of an editable ticket; the caller commits.

    NotFound (`404`) when the ticket has no such file; InvalidState (`409`) when the ticket
    is no longer editable or a reviewer has decided on the file. One conditional UPDATE
    takes the ticket's row while it is editable and takes the file off its totals (so the
    per-ticket caps count what is there); one conditional DELETE removes the row only if
    it is still undecided. The history gets `evidence_removed`; the stored object goes
    after the commit.
    """
    if ticket.status not in st.EDITABLE:
        raise InvalidState(
            "You cannot remove files now: the ticket has been sent to a reviewer or is closed."
        )
    item = db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id, Evidence.ticket_id == ticket.id)
    )
    if item is None:
        raise NotFound("There is no such file on this ticket.")
    if item.decision is not None:
        raise InvalidState(
            "A reviewer has already checked this file, so it stays with the ticket. "
            "You can add a new file instead."
        )
    now = utcnow()
    totals = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status.in_(TRANSITIONS[_EDIT].start))
        .values(
            evidence_count=Ticket.evidence_count - 1,
            evidence_bytes=Ticket.evidence_bytes - item.size,
            updated_at=now,
        )
        .returning(Ticket.evidence_count, Ticket.evidence_bytes)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if totals is None:
        raise lost(ticket.id, _EDIT)
    removed = db.session.execute(
        delete(Evidence)
        .where(Evidence.id == item.id, Evidence.decision.is_(None))
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:
        # The caller rolls back, which restores the totals.
        raise InvalidState(
            "A reviewer has already checked this file, so it stays with the ticket. "
            "You can add a new file instead."
        )
    set_committed_value(ticket, "updated_at", now)
    set_committed_value(ticket, "evidence_count", max(0, totals.evidence_count))
    set_committed_value(ticket, "evidence_bytes", max(0, totals.evidence_bytes))
    db.session.expunge(item)
    if "evidence" in ticket.__dict__:  # a loaded collection must not show it any more
        set_committed_value(ticket, "evidence", [e for e in ticket.evidence if e.id != item.id])
    record(
        ticket.id,
        actor,
        "evidence_removed",
        evidence_id=item.id,
        material=item.material,
        filename=item.filename,
        size=item.size,
        sha256=item.sha256,
    )
    _register_hooks()
    db.session.info.setdefault(_TO_DELETE, []).append(item.storage_key)
    return item


def _delete_after_commit(session: Session) -> None:
    keys = session.info.pop(_TO_DELETE, None)
    if not keys:
        return
    store = current_app.extensions["evidence_store"]
    for key in keys:
        try:
            delete_with_derived(store, key)
        except StorageError:
            # The row is gone: the object is an orphan, which `flask evidence sweep` removes.
            log.warning("could not delete removed evidence %s; the sweeper will", key)


def _forget_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_TO_DELETE, None)  # the removal did not happen: keep the object


def _register_hooks() -> None:
    # after_commit runs before after_transaction_end, so a committed removal deletes first.
    if not event.contains(db.session, "after_commit", _delete_after_commit):
        event.listen(db.session, "after_commit", _delete_after_commit)
        event.listen(db.session, "after_transaction_end", _forget_after_rollback)
