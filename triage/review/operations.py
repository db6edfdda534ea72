"""Reviewer operations: claims and their leases, reviews, requests, decisions, reads.

Services flush and never commit; the page or API endpoint commits.

Claims are leases. A claim lasts `CLAIM_IDLE_MINUTES` after the holder's last action on
the ticket; every action extends it. An expired claim is handed back to the queue
(`claim_lapsed`) whenever the queue is read or a ticket claimed, and nobody may act on it
meanwhile. Every change to a claimed ticket first runs one conditional UPDATE on its
row ("still in review, still held by the same reviewer, lease not over"): it extends the
lease, takes the row's write lock (PostgreSQL) or the database's (SQLite) until commit,
and proves that nobody changed the ticket since it was read.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key

from storage import StorageError
from triage.errors import (
    Forbidden,
    InvalidRequest,
    InvalidState,
    NotFound,
    RequirementsNotMet,
    UnknownMaterial,
)
from triage.evidence.models import Evidence
from triage.evidence.operations import StoreUnavailable, open_evidence
from triage.evidence.reasons import REASONS
from triage.extensions import db
from triage.history.models import Event, record
from triage.requirements import MATERIALS, TICKET_TYPES
from triage.review import preview
from triage.reviewers.models import Reviewer
from triage.reviewers.operations import reviewer_by_email
from triage.tickets import status as st
from triage.tickets.checklist import ticket_state
from triage.tickets.information import clean_text
from triage.tickets.models import MaterialRequest, Ticket
from triage.timeutil import aware, iso, utcnow

SYSTEM = "system"
NOTE_LIMIT = 4000
# Each failed attempt means another reviewer took a ticket, so the loop makes progress;
# the bound only keeps a pathological queue from spinning.
CLAIM_ATTEMPTS = 25
# The queue's order: priority first, then the FIRST submission, so a resubmitted ticket
# keeps its place. The id breaks ties, so the order is total (index ix_tickets_queue).
QUEUE_ORDER = (Ticket.priority_rank, Ticket.first_submitted_at, Ticket.id)
DECISIONS = ("approved", "rejected")
REVIEW_DECISIONS = ("accepted", "rejected")


# --- leases -----------------------------------------------------------------------------------


def lease_end(now: datetime) -> datetime:
    return now + timedelta(minutes=current_app.config["CLAIM_IDLE_MINUTES"])


def claim_active(ticket: Ticket, now: datetime | None = None) -> bool:
    return (
        ticket.status == st.IN_REVIEW
        and ticket.claim_expires_at is not None
        and aware(ticket.claim_expires_at) > (now or utcnow())
    )


def _expire_loaded(ticket_id: str) -> None:
    """Core UPDATEs bypass the ORM: reload a ticket this session already holds."""
    loaded = db.session.identity_map.get(identity_key(Ticket, ticket_id))
    if loaded is not None:
        db.session.expire(loaded)


def _clear_claim(ticket: Ticket) -> None:
    ticket.claimed_by_id = None
    ticket.claimed_at = None
    ticket.claim_expires_at = None


def lapse_expired_claims(now: datetime | None = None) -> list[str]:
    """Hand tickets whose lease ran out back to the queue; their references."""
    now = now or utcnow()
    expired = db.session.execute(
        select(Ticket.id, Ticket.reference, Ticket.claimed_by_id, Ticket.claim_expires_at)
        .where(Ticket.status == st.IN_REVIEW, Ticket.claim_expires_at <= now)
        .with_for_update(skip_locked=True)
    ).all()
    lapsed = []
    for ticket_id, reference, holder_id, expired_at in expired:
        changed = db.session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id,
                Ticket.status == st.IN_REVIEW,
                Ticket.claimed_by_id == holder_id,
                Ticket.claim_expires_at <= now,
            )
            .values(
                status=st.AWAITING_REVIEW,
                claimed_by_id=None,
                claimed_at=None,
                claim_expires_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            continue  # another request lapsed it first
        _expire_loaded(ticket_id)
        holder = db.session.get(Reviewer, holder_id) if holder_id else None
        record(
            ticket_id,
            SYSTEM,
            "claim_lapsed",
            reviewer=holder.email if holder else None,
            expired_at=iso(expired_at),
            idle_minutes=current_app.config["CLAIM_IDLE_MINUTES"],
        )
        lapsed.append(reference)
    if lapsed:
        db.session.flush()
    return lapsed


def _not_in_review(ticket: Ticket, action: str) -> InvalidState:
    why = {
        st.DRAFT: "the customer has not submitted it yet",
        st.AWAITING_REVIEW: "it is waiting in the queue: take it first",
        st.NEEDS_MORE_INFO: "it is waiting for the customer's answer to a request",
        st.APPROVED: "it has already been approved",
        st.REJECTED: "it has already been rejected",
        st.WITHDRAWN: "the customer withdrew it",
    }[ticket.status]
    return InvalidState(f"You cannot {action} now: {why}.")


def _hold(ticket: Ticket, reviewer: Reviewer, action: str) -> datetime:
    """Refuse unless the ticket is in review and the caller holds it (or is a lead).

    Extends the lease and locks the ticket for the rest of the transaction; returns now.
    """
    now = utcnow()
    if ticket.status != st.IN_REVIEW:
        raise _not_in_review(ticket, action)
    if ticket.claimed_by_id != reviewer.id and not reviewer.is_lead:
        raise Forbidden(
            f"You cannot {action}: another reviewer holds this ticket. Only the reviewer "
            "holding it, or a lead, may act on it."
        )
    if not claim_active(ticket, now):
        raise InvalidState(
            f"You cannot {action}: the claim on this ticket lapsed after "
            f"{current_app.config['CLAIM_IDLE_MINUTES']} minutes without activity, so it "
            "went back to the queue. Take it again to go on."
        )
    new_end = lease_end(now)
    changed = db.session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket.id,
            Ticket.status == st.IN_REVIEW,
            Ticket.claimed_by_id == ticket.claimed_by_id,
            Ticket.claim_expires_at > now,
        )
        .values(claim_expires_at=new_end, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.expire(ticket)
        raise InvalidState(
            "This ticket changed while you were working on it (another reviewer or the "
            "customer acted on it). Reload it and try again."
        )
    attributes.set_committed_value(ticket, "claim_expires_at", new_end)
    attributes.set_committed_value(ticket, "updated_at", now)
    return now


def _touch_if_holder(ticket: Ticket, reviewer: Reviewer) -> None:
    """Reading a held ticket's files is activity too: extend the holder's lease."""
    now = utcnow()
    if ticket.claimed_by_id == reviewer.id and claim_active(ticket, now):
        db.session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.status == st.IN_REVIEW,
                Ticket.claimed_by_id == reviewer.id,
                Ticket.claim_expires_at > now,
            )
            .values(claim_expires_at=lease_end(now))
            .execution_options(synchronize_session=False)
        )
        _expire_loaded(ticket.id)


# --- claims -----------------------------------------------------------------------------------


def check_ticket_type(ticket_type: Any) -> str | None:
    if ticket_type in (None, ""):
        return None
    if ticket_type not in TICKET_TYPES:
        raise InvalidRequest(
            "Unknown ticket type.", {"type": f"must be one of: {', '.join(TICKET_TYPES)}"}
        )
    return ticket_type


def _take(
    ticket_id: str,
    reviewer: Reviewer,
    now: datetime,
    *,
    from_status: str,
    from_holder: int | None = None,
) -> bool:
    """The atomic step: give the ticket to `reviewer` only if nobody changed it meanwhile."""
    changed = db.session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.status == from_status,
            Ticket.claimed_by_id.is_(None)
            if from_holder is None
            else Ticket.claimed_by_id == from_holder,
        )
        .values(
            status=st.IN_REVIEW,
            claimed_by_id=reviewer.id,
            claimed_at=now,
            claim_expires_at=lease_end(now),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed == 1:
        _expire_loaded(ticket_id)
    return changed == 1


def claim_next(reviewer: Reviewer, ticket_type: str | None = None) -> Ticket | None:
    """Give the first waiting ticket (of `ticket_type`) to `reviewer`; None if none waits.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers pass over each
    other's candidate instead of queueing behind it. SQLite ignores FOR UPDATE and has no
    row locks: the conditional UPDATE in `_take` refuses a ticket another claimer took
    between our SELECT and our UPDATE, and we try the next one.
    """
    ticket_type = check_ticket_type(ticket_type)
    lapse_expired_claims()
    waiting = select(Ticket.id).where(Ticket.status == st.AWAITING_REVIEW)
    if ticket_type:
        waiting = waiting.where(Ticket.type == ticket_type)
    waiting = waiting.order_by(*QUEUE_ORDER).limit(1).with_for_update(skip_locked=True)
    for _ in range(CLAIM_ATTEMPTS):
        ticket_id = db.session.scalar(waiting)
        if ticket_id is None:
            return None
        now = utcnow()
        if _take(ticket_id, reviewer, now, from_status=st.AWAITING_REVIEW):
            ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
            record(
                ticket.id,
                reviewer.actor,
                "claimed",
                reviewer=reviewer.email,
                expires_at=iso(ticket.claim_expires_at),
            )
            db.session.flush()
            return ticket
    raise InvalidState("The queue is very busy just now; try taking a ticket again.")


def release(ticket: Ticket, reviewer: Reviewer) -> None:
    """Give a held ticket back to the queue, in its old place."""
    _hold(ticket, reviewer, "give this ticket back")
    holder = ticket.claimed_by
    ticket.status = st.AWAITING_REVIEW
    _clear_claim(ticket)
    record(ticket.id, reviewer.actor, "released", reviewer=holder.email if holder else None)
    db.session.flush()


def reassign(ticket: Ticket, lead: Reviewer, to_email: Any) -> Reviewer:
    """A lead hands a waiting or held ticket to a reviewer, with a fresh lease."""
    if not lead.is_lead:
        raise Forbidden("Only a lead reviewer may reassign tickets.")
    target = reviewer_by_email(to_email) if isinstance(to_email, str) else None
    if target is None or not target.active:
        raise InvalidRequest(
            "Choose an active reviewer to give the ticket to.",
            {"reviewer": "is not the email of an active reviewer"},
        )
    lapse_expired_claims()
    if ticket.status not in (st.AWAITING_REVIEW, st.IN_REVIEW):
        raise _not_in_review(ticket, "reassign this ticket")
    previous = ticket.claimed_by
    if not _take(
        ticket.id, target, utcnow(), from_status=ticket.status, from_holder=ticket.claimed_by_id
    ):
        raise InvalidState(
            "This ticket changed just now (it was taken or given back). Reload it and try again."
        )
    record(
        ticket.id,
        lead.actor,
        "reassigned",
        reviewer=target.email,
        previous=previous.email if previous else None,
    )
    db.session.flush()
    return target


# --- reviewing --------------------------------------------------------------------------------


def _note(value: Any, field: str, errors: dict[str, str]) -> str | None:
    if value in (None, ""):
        return None
    try:
        return clean_text(value, NOTE_LIMIT) or None
    except ValueError as exc:
        errors[field] = str(exc)
        return None


def review_evidence(
    item: Evidence, reviewer: Reviewer, decision: Any, reason: Any = None, note: Any = None
) -> Evidence:
    """Accept or reject one file. A rejection needs a reason code; `other` needs a note.

    A reason sent with an acceptance is ignored: the customer is only told why a file
    was not accepted.
    """
    ticket = item.ticket
    _hold(ticket, reviewer, "review this file")
    errors: dict[str, str] = {}
    if decision not in REVIEW_DECISIONS:
        errors["decision"] = "must be “accepted” or “rejected”"
    note = _note(note, "note", errors)
    if decision == "rejected":
        if reason in (None, ""):
            errors["reason"] = "is required to reject a file: the customer reads it"
        elif reason not in REASONS:
            errors["reason"] = f"must be one of: {', '.join(REASONS)}"
        elif reason == "other" and not note:
            errors["note"] = "is required with the reason “other”: say what is wrong"
    if errors:
        raise InvalidRequest("The review was not saved.", errors)
    item.decision = decision
    item.reason = reason if decision == "rejected" else None
    item.note = note
    item.reviewed_by_id = reviewer.id
    item.reviewed_at = utcnow()
    record(
        ticket.id,
        reviewer.actor,
        "evidence_reviewed",
        evidence_id=item.id,
        material=item.material,
        filename=item.filename,
        decision=decision,
        reason=item.reason,
        note=note,
    )
    db.session.flush()
    return item


def request_materials(
    ticket: Ticket, reviewer: Reviewer, materials: Any, message: Any
) -> MaterialRequest:
    """Ask the customer for more (any material key, ruling 9); the ticket waits for them."""
    _hold(ticket, reviewer, "ask for more materials")
    errors: dict[str, str] = {}
    if (
        not isinstance(materials, list)
        or not materials
        or not all(isinstance(m, str) for m in materials)
    ):
        errors["materials"] = "must be a non-empty list of material keys"
        materials = []
    text = _note(message, "message", errors)
    if not text and "message" not in errors:
        errors["message"] = "is required: the customer reads exactly this"
    if errors:
        raise InvalidRequest("The request was not sent.", errors)
    unknown = [m for m in materials if m not in MATERIALS]
    if unknown:
        raise UnknownMaterial(
            f"Unknown material key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            unknown=unknown,
        )
    materials = list(dict.fromkeys(materials))
    now = utcnow()
    asked = MaterialRequest(materials=materials, message=text, at=now, reviewer_id=reviewer.id)
    ticket.requests.append(asked)
    ticket.status = st.NEEDS_MORE_INFO
    _clear_claim(ticket)
    record(ticket.id, reviewer.actor, "materials_requested", materials=materials, message=text)
    db.session.flush()
    return asked


def decide(ticket: Ticket, reviewer: Reviewer, decision: Any, note: Any = None) -> None:
    """Approve (only when accepted evidence meets the rule) or reject (with a note)."""
    _hold(ticket, reviewer, "decide this ticket")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "must be “approved” or “rejected”"
    note = _note(note, "note", errors)
    if decision == "rejected" and not note and "note" not in errors:
        errors["note"] = "is required to reject a ticket: tell the customer why"
    if errors:
        raise InvalidRequest("The decision was not saved.", errors)
    if decision == "approved":
        state = ticket_state(ticket)
        if not state.approvable:
            raise RequirementsNotMet(
                "The ticket cannot be approved yet: accepted evidence does not cover every "
                "required item. Accept the files that are good, or ask for what is missing.",
                list(state.approval_missing),
            )
    ticket.status = decision
    ticket.decided_at = utcnow()
    ticket.decision_note = note
    _clear_claim(ticket)
    record(ticket.id, reviewer.actor, "decided", decision=decision, note=note)
    db.session.flush()


# --- reading ----------------------------------------------------------------------------------


def evidence_by_id(evidence_id: str) -> Evidence:
    item = db.session.get(Evidence, evidence_id) if len(evidence_id) <= 32 else None
    if item is None:
        raise NotFound("There is no such file.")
    return item


def _load(item: Evidence) -> bytes:
    """The file's bytes, checked against the SHA-256 recorded at upload."""
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
    _touch_if_holder(item.ticket, reviewer)
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


# --- PDF previews -----------------------------------------------------------------------------


def previewable(item: Evidence) -> bool:
    """A PDF without flagged active content, on a server that can render it."""
    return item.content_type == "application/pdf" and not item.warnings and preview.available()


def _check_previewable(item: Evidence) -> None:
    if not previewable(item):
        raise NotFound("This file has no page preview: download it instead.")


def evidence_page_count(item: Evidence, reviewer: Reviewer) -> int:
    """How many pages the viewer shows (the file is read for it, so the read is logged)."""
    _check_previewable(item)
    data = _load(item)
    try:
        count = preview.page_count(data)
    except preview.PreviewFailed as exc:
        current_app.logger.warning("cannot count pages of %s: %s", item.id, exc)
        count = 0
    _log_read(item, reviewer, "page_count", pages=count)
    return min(count, preview.MAX_PAGES)


def evidence_page_image(item: Evidence, reviewer: Reviewer, page: int) -> bytes:
    """One page of a PDF as PNG; NotFound when there is no such page to show."""
    _check_previewable(item)
    try:
        png = preview.render_page(_load(item), page)
    except preview.PreviewFailed as exc:
        current_app.logger.info("no page %s of %s to show: %s", page, item.id, exc)
        raise NotFound("This page cannot be shown: download the file instead.") from exc
    _log_read(item, reviewer, "preview", page=page)
    return png
