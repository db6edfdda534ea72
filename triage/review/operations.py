"""Reviewer operations: claims and their leases, reviews, requests, decisions, reads.

Services flush and never commit; the page or API endpoint commits.

Claims are leases. A claim lasts `CLAIM_IDLE_MINUTES` after the holder's last action on
the ticket; every action extends it. An expired claim is handed back to the queue
(`claim_lapsed`) whenever the queue is read or a ticket claimed, and nobody may act on it
meanwhile. Every action on a claimed ticket IS one conditional UPDATE of its row
(`_act`: "still in review, still held by the same reviewer, lease not over", with the new
status and the extended or ended lease in the same statement; the statuses each action
may start in are `triage.tickets.status.TRANSITIONS`, api.md "Statuses"). It takes the
row's write lock (PostgreSQL) or the database's (SQLite) until commit and proves that
nobody changed the ticket since it was read; of two conflicting actions, customer's or
reviewer's, exactly one matches and the other answers `409 invalid_state`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm.util import identity_key

from storage import StorageError
from triage import text as text_rules
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
from triage.review import previews
from triage.reviewers.models import Reviewer
from triage.reviewers.operations import reviewer_by_email
from triage.tickets import status as st
from triage.tickets.checklist import ticket_state
from triage.tickets.models import MaterialRequest, Ticket
from triage.tickets.status import TRANSITIONS
from triage.tickets.transitions import try_transition
from triage.timeutil import aware, iso, utcnow

SYSTEM = "system"
NOTE_LIMIT = text_rules.limit("note")
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
        # The lease as read, and still over: a holder who acted meanwhile keeps the ticket.
        if not try_transition(
            ticket_id,
            "lapse",
            Ticket.claimed_by_id == holder_id,
            Ticket.claim_expires_at <= now,
            claimed_by_id=None,
            claimed_at=None,
            claim_expires_at=None,
            updated_at=now,
        ):
            continue  # another request lapsed it first
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


def _check_hold(ticket: Ticket, reviewer: Reviewer, action: str) -> datetime:
    """Refuse early, from the ticket as read; returns now.

    InvalidState unless the ticket is in review with a live claim; Forbidden unless the
    caller holds it or is a lead. A check of what was read, for a precise answer before
    any input is looked at; the guarantee is the conditional UPDATE of `_act`.
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
    return now


def _act(ticket: Ticket, action: str, now: datetime, **values: Any) -> None:
    """Perform `action` (status.TRANSITIONS) on a held ticket as ONE conditional UPDATE.

    `WHERE id AND status IN (<start>) AND claimed_by_id = <holder as read> AND
    claim_expires_at > now` (api.md "Statuses", "Reviewers"): if the customer withdrew,
    another reviewer or a lead took the ticket, or the lease ran out since it was read,
    nothing matches and this raises InvalidState (`409 invalid_state`). `values` are
    written in the same statement; by default the lease is extended (every action is
    activity). The row stays locked (PostgreSQL) or the database (SQLite) until commit.
    """
    values.setdefault("claim_expires_at", lease_end(now))
    values.setdefault("updated_at", now)
    held = (Ticket.claimed_by_id == ticket.claimed_by_id, Ticket.claim_expires_at > now)
    if try_transition(ticket.id, action, *held, **values):
        return
    db.session.refresh(ticket)
    if ticket.status != st.IN_REVIEW:
        raise _not_in_review(ticket, TRANSITIONS[action].doing)
    raise InvalidState(
        "This ticket changed while you were working on it (another reviewer took it, or "
        "the claim lapsed). Reload it and try again."
    )


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
    action: str = "claim",
    *conditions: ColumnElement[bool],
) -> bool:
    """The atomic step: `action` ("claim" or "reassign", status.TRANSITIONS) gives the ticket
    to `reviewer` with a fresh lease in one conditional UPDATE, only if `conditions` (who
    held it when it was read) still hold. False if another request changed it first."""
    return try_transition(
        ticket_id,
        action,
        *conditions,
        claimed_by_id=reviewer.id,
        claimed_at=now,
        claim_expires_at=lease_end(now),
        updated_at=now,
    )


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
        if _take(ticket_id, reviewer, now, "claim", Ticket.claimed_by_id.is_(None)):
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
    now = _check_hold(ticket, reviewer, "give this ticket back")
    holder = ticket.claimed_by
    _act(ticket, "release", now, claimed_by_id=None, claimed_at=None, claim_expires_at=None)
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
    as_read = (Ticket.status == ticket.status, Ticket.claimed_by_id == ticket.claimed_by_id)
    if not _take(ticket.id, target, utcnow(), "reassign", *as_read):
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
    """A reviewer's free text (`note`, `message`) by triage.text's rule for `field`:
    several lines allowed, at most the table's limit; the problem goes into `errors`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return text_rules.clean(value, field) or None
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
    now = _check_hold(ticket, reviewer, "review this file")
    errors: dict[str, str] = {}
    if decision not in REVIEW_DECISIONS:
        errors["decision"] = "must be “accepted” or “rejected”"
    note = _note(note, "note", errors)
    if reason not in (None, "") and (not isinstance(reason, str) or reason not in REASONS):
        # Even with an acceptance, where a valid reason is ignored: `{}` is no reason code.
        errors["reason"] = f"must be one of: {', '.join(REASONS)}"
    elif reason == "" and decision != "rejected":
        errors["reason"] = f"must be one of: {', '.join(REASONS)} (or left out)"
    elif decision == "rejected":
        if reason in (None, ""):
            errors["reason"] = "is required to reject a file: the customer reads it"
        elif reason not in REASONS:
            errors["reason"] = f"must be one of: {', '.join(REASONS)}"
        elif reason == "other" and not note:
            errors["note"] = "is required with the reason “other”: say what is wrong"
    if errors:
        raise InvalidRequest("The review was not saved.", errors)
    # Serialised with every status change of the ticket (and extends the lease).
    _act(ticket, "review_evidence", now)
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
    now = _check_hold(ticket, reviewer, "ask for more materials")
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
        shown = [text_rules.excerpt(m) for m in unknown[:5]]  # never a long echo
        raise UnknownMaterial(
            f"Unknown material key{'s' if len(unknown) > 1 else ''}: {', '.join(shown)}.",
            unknown=shown,
        )
    materials = list(dict.fromkeys(materials))
    _act(
        ticket,
        "request_materials",
        now,
        claimed_by_id=None,
        claimed_at=None,
        claim_expires_at=None,
    )
    asked = MaterialRequest(materials=materials, message=text, at=now, reviewer_id=reviewer.id)
    ticket.requests.append(asked)
    record(ticket.id, reviewer.actor, "materials_requested", materials=materials, message=text)
    db.session.flush()
    return asked


def decide(ticket: Ticket, reviewer: Reviewer, decision: Any, note: Any = None) -> None:
    """Approve (only when accepted evidence meets the rule) or reject (with a note)."""
    now = _check_hold(ticket, reviewer, "decide this ticket")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "must be “approved” or “rejected”"
    note = _note(note, "note", errors)
    if decision == "rejected" and not note and "note" not in errors:
        errors["note"] = "is required to reject a ticket: tell the customer why"
    if errors:
        raise InvalidRequest("The decision was not saved.", errors)
    _act(
        ticket,
        "approve" if decision == "approved" else "reject",
        now,
        decided_at=now,
        decision_note=note,
        claimed_by_id=None,
        claimed_at=None,
        claim_expires_at=None,
    )
    if decision == "approved":
        # Read under the lock the UPDATE took, so no verdict on a file (a lead's, in
        # another request) slips in between this check and the commit. Everything is
        # re-read: files loaded earlier in this request may be stale. If it fails, the
        # caller's rollback undoes the UPDATE.
        db.session.expire_all()
        state = ticket_state(ticket)
        if not state.approvable:
            raise RequirementsNotMet(
                "The ticket cannot be approved yet: accepted evidence does not cover every "
                "required item. Accept the files that are good, or ask for what is missing.",
                list(state.approval_missing),
            )
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


# --- previews -------------------------------------------------------------------------------


def evidence_preview(item: Evidence) -> previews.PreviewView:
    """The file's preview state for the review page; starts a background render if none.

    Reads no evidence bytes, so it is not a read for the history; never waits on a render.
    """
    return previews.request_preview(item)


def evidence_page_image(item: Evidence, reviewer: Reviewer, page: int) -> bytes | None:
    """Page `page` (1-based) of the file's preview, or None while it is being prepared.

    NotFound when the file has no such page to show (not previewable, too large to
    preview, past the last page); StoreUnavailable when the store fails. A page served
    is a read of the evidence, written to the history.
    """
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
