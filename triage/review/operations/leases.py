"""Claims are leases: taking tickets, giving them back or to someone else, and the lease
that every action on a held ticket checks and extends.

A claim lasts `CLAIM_IDLE_MINUTES` after the holder's last action on the ticket; every
action extends it. An expired claim is handed back to the queue (`claim_lapsed`) whenever
the queue is read or a ticket claimed, and nobody may act on it meanwhile. Every write
here is `triage.tickets.transitions.guarded_update` (through `try_transition` for the
status changes): one conditional UPDATE whose WHERE states the ticket as it was read, so
of two conflicting requests exactly one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, select, text, update

from triage.errors import Forbidden, InvalidRequest, InvalidState
from triage.extensions import db
from triage.history.models import record
from triage.requirements import TICKET_TYPES
from triage.reviewers.models import Reviewer
from triage.reviewers.operations import reviewer_by_email
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.tickets.status import TRANSITIONS
from triage.tickets.transitions import guarded_update, try_transition
from triage.timeutil import aware, iso, utcnow

SYSTEM = "system"
# Each failed attempt means another reviewer took a ticket, so the loop makes progress;
# the bound only keeps a pathological queue from spinning.
CLAIM_ATTEMPTS = 25
# The queue's order: priority first, then the FIRST submission, so a resubmitted ticket
# keeps its place. The id breaks ties, so the order is total (index ix_tickets_queue).
QUEUE_ORDER = (Ticket.priority_rank, Ticket.first_submitted_at, Ticket.id)


# --- the lease ------------------------------------------------------------------------------


def lease_end(now: datetime) -> datetime:
    """When a lease taken or extended at `now` runs out (`CLAIM_IDLE_MINUTES`)."""
    return now + timedelta(minutes=current_app.config["CLAIM_IDLE_MINUTES"])


def claim_active(ticket: Ticket, now: datetime | None = None) -> bool:
    """Whether the ticket, as read, is in review under a lease that has not run out."""
    return (
        ticket.status == st.IN_REVIEW
        and ticket.claim_expires_at is not None
        and aware(ticket.claim_expires_at) > (now or utcnow())
    )


def held_by(holder_id: str | None, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of "still held by `holder_id`, lease not over at `now`"."""
    return (Ticket.claimed_by_id == holder_id, Ticket.claim_expires_at > now)


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


# --- acting on a held ticket ----------------------------------------------------------------


def not_in_review(ticket: Ticket, action: str) -> InvalidState:
    """The refusal of a reviewer's `action` on a ticket that is not in review."""
    return InvalidState(f"You cannot {action} now: {st.WORDS[ticket.status].not_in_review}.")


def check_hold(ticket: Ticket, reviewer: Reviewer, action: str) -> datetime:
    """Refuse early, from the ticket as read; returns now.

    InvalidState unless the ticket is in review with a live claim; Forbidden unless the
    caller holds it or is a lead. A check of what was read, for a precise answer before
    any input is looked at; the guarantee is the conditional UPDATE of `act`.
    """
    now = utcnow()
    if ticket.status != st.IN_REVIEW:
        raise not_in_review(ticket, action)
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


def act(ticket: Ticket, action: str, now: datetime, **values: Any) -> None:
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
    if try_transition(ticket.id, action, *held_by(ticket.claimed_by_id, now), **values):
        return
    db.session.refresh(ticket)
    if ticket.status != st.IN_REVIEW:
        raise not_in_review(ticket, TRANSITIONS[action].doing)
    raise InvalidState(
        "This ticket changed while you were working on it (another reviewer took it, or "
        "the claim lapsed). Reload it and try again."
    )


def touch_if_holder(ticket: Ticket, reviewer: Reviewer) -> None:
    """Reading a held ticket's files is activity too: extend the holder's lease.

    Only the lease moves (not `updated_at`: nothing on the ticket changed); a lease that
    changed hands or ran out since the ticket was read is left alone.
    """
    now = utcnow()
    if ticket.claimed_by_id == reviewer.id and claim_active(ticket, now):
        guarded_update(
            ticket.id, (st.IN_REVIEW,), *held_by(reviewer.id, now), claim_expires_at=lease_end(now)
        )


# --- claims ---------------------------------------------------------------------------------


def check_ticket_type(ticket_type: Any) -> str | None:
    """A queue's ticket type from a request: None for any, else one of TICKET_TYPES."""
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
    if db.session.get_bind().dialect.name == "postgresql":
        return _claim_in_one_statement(reviewer, waiting)
    for _ in range(CLAIM_ATTEMPTS):
        ticket_id = db.session.scalar(waiting)
        if ticket_id is None:
            return None
        now = utcnow()
        if _take(ticket_id, reviewer, now, "claim", Ticket.claimed_by_id.is_(None)):
            return _claimed(db.session.get(Ticket, ticket_id, populate_existing=True), reviewer)
    raise InvalidState("The queue is very busy just now; try taking a ticket again.")


def _claim_in_one_statement(reviewer: Reviewer, waiting: Select) -> Ticket | None:
    """PostgreSQL: pick, lock, take and read the first waiting ticket in one UPDATE.

    `UPDATE tickets SET <claim> WHERE id = (<waiting> FOR UPDATE SKIP LOCKED) AND status
    IN (<claim's start>) AND claimed_by_id IS NULL RETURNING tickets.*`: the subquery
    locks the candidate (or skips one another claimer holds), the WHERE is still the
    claim's own guard (api.md "Statuses"), and RETURNING loads the ticket, so the claim is
    one round trip instead of a SELECT, an UPDATE and a reload. None when nothing waits.
    """
    now = utcnow()
    rule = TRANSITIONS["claim"]
    # A claim is a lease, and its commit need not wait for the WAL's fsync (a few ms of
    # the claim's latency): a database crash can lose at most the last fraction of a
    # second of claims, atomically with their `claimed` events, and such a ticket is simply
    # waiting again. Nothing can be decided under a lost claim: every later action of the
    # holder is guarded by `claimed_by_id` and answers 409. Decisions keep the default.
    db.session.execute(text("SET LOCAL synchronous_commit = off"))
    ticket = db.session.scalars(
        update(Ticket)
        .where(
            Ticket.id == waiting.scalar_subquery(),
            Ticket.status.in_(rule.start),
            Ticket.claimed_by_id.is_(None),
        )
        .values(
            status=rule.to,
            claimed_by_id=reviewer.id,
            claimed_at=now,
            claim_expires_at=lease_end(now),
            updated_at=now,
        )
        .returning(Ticket),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).one_or_none()
    return None if ticket is None else _claimed(ticket, reviewer)


def _claimed(ticket: Ticket, reviewer: Reviewer) -> Ticket:
    """Record the claim `reviewer` just won on `ticket` (both claim paths end here)."""
    record(
        ticket.id,
        reviewer.actor,
        "claimed",
        reviewer=reviewer.email,
        expires_at=iso(ticket.claim_expires_at),
    )
    db.session.flush()
    return ticket


def release(ticket: Ticket, reviewer: Reviewer) -> None:
    """Give a held ticket back to the queue, in its old place."""
    now = check_hold(ticket, reviewer, "give this ticket back")
    holder = ticket.claimed_by
    act(ticket, "release", now, claimed_by_id=None, claimed_at=None, claim_expires_at=None)
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
        raise not_in_review(ticket, "reassign this ticket")
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
