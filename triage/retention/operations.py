"""Keeping identity documents no longer than needed (recovery.md): the purge and legal holds.

The purge. `RETENTION_DAYS` (default 90) after a ticket closed, its evidence objects and
the previews derived from them are deleted from the store; the rows stay (name, size,
type, SHA-256, findings, the reviewer's verdict) with `Evidence.purged_at`, the ticket
gets `Ticket.purged_at` and the history `evidence_purged`. A ticket closes when it is
decided (`decided_at`) or withdrawn: the withdrawal's time is the history's `withdrawn`
event, not `updated_at`, which any later write to the row (a legal hold, the account
directory's recheck) moves; `updated_at` is only the fallback for a row without that
event.

Crash safety (recovery.md: "a crash half-way leaves nothing that points at a missing
object without `purged_at`"): marks first, objects after.

1. One transaction takes the ticket with one conditional UPDATE (`status` closed, no legal
   hold, not purged, closed before the cutoff; see `take_for_purge`) that sets
   `Ticket.purged_at`, marks every file's row `purged_at`, and commits. From then on
   every row says its object may be gone; a hold placed concurrently either committed
   first (then the UPDATE matches nothing and the ticket is skipped) or waits for this
   commit and is refused, because the ticket is purged.
2. The objects and their previews are deleted (`storage.delete_with_derived`, which
   tolerates an object already gone).
3. One transaction records `evidence_purged` (taking the row again, so two workers
   finishing the same ticket write it once).

A crash between 1 and 3 leaves a ticket with `purged_at` and no `evidence_purged`: every
run first finishes those (`unfinished_ticket_ids`), deleting whatever objects are still
there. So a purge is idempotent (a second run finds nothing to do) and resumable.

The driver (`purge_expired`) commits after each step, since an object may only be
deleted after its mark is durable; everything else here flushes and leaves the commit to
its caller, like every other service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, case, func, select, update

from storage import EvidenceStore, StorageError, delete_with_derived
from triage.errors import Forbidden, InvalidRequest, InvalidState, NotFound
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import Event, record
from triage.reviewers.models import Reviewer
from triage.text import TextRefused, clean
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.tickets.status import TRANSITIONS
from triage.tickets.transitions import guarded_update, lost
from triage.timeutil import aware, iso, utcnow

log = logging.getLogger(__name__)

SYSTEM = "system"  # the history's actor for the purge job
PURGED = "evidence_purged"
HOLD_PLACED = "legal_hold_placed"
HOLD_LIFTED = "legal_hold_lifted"
WITHDRAWN_EVENT = "withdrawn"  # triage.tickets.operations.withdraw records it
# The longest legal hold reason (triage.text's rule for the API field `reason`).
REASON_FIELD = "reason"


def retention_days() -> int:
    """`RETENTION_DAYS` (recovery.md; default 90)."""
    return int(current_app.config["RETENTION_DAYS"])


def retention_period() -> timedelta:
    return timedelta(days=retention_days())


# --- when a ticket closed -------------------------------------------------------------------


def _withdrawal_time() -> Any:
    """SQL: the time of the ticket's (last) withdrawal, from its history."""
    return (
        select(func.max(Event.at))
        .where(Event.ticket_id == Ticket.id, Event.action == WITHDRAWN_EVENT)
        .correlate(Ticket)
        .scalar_subquery()
    )


def closed_at_sql() -> ColumnElement[Any]:
    """SQL: when the ticket was decided or withdrawn (meaningful for closed tickets only)."""
    return case(
        (Ticket.status == st.WITHDRAWN, func.coalesce(_withdrawal_time(), Ticket.updated_at)),
        else_=func.coalesce(Ticket.decided_at, Ticket.updated_at),
    )


def closed_at(ticket: Ticket) -> datetime | None:
    """When the ticket was decided or withdrawn; None while it is open (recovery.md: the
    retention period runs from then)."""
    if ticket.status in st.DECIDED:
        return aware(ticket.decided_at or ticket.updated_at)
    if ticket.status == st.WITHDRAWN:
        at = db.session.scalar(
            select(func.max(Event.at)).where(
                Event.ticket_id == ticket.id, Event.action == WITHDRAWN_EVENT
            )
        )
        return aware(at or ticket.updated_at)
    return None


def purge_due_at(ticket: Ticket) -> datetime | None:
    """When the purge may delete the ticket's evidence: closed + RETENTION_DAYS; None while
    open (the hold does not change the date: it only stops the purge while it lasts)."""
    closed = closed_at(ticket)
    return closed + retention_period() if closed is not None else None


def retention_state(ticket: Ticket) -> str:
    """ "purged", "held" (a legal hold stops the purge), "open" (not closed yet: the period
    has not started) or "scheduled" (the purge takes it at `purge_due_at`)."""
    if ticket.purged_at is not None:
        return "purged"
    if ticket.legal_hold_at is not None:
        return "held"
    if ticket.status not in st.CLOSED:
        return "open"
    return "scheduled"


# --- the purge ------------------------------------------------------------------------------


def _purgeable(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of a ticket the purge may take: closed before `cutoff`, not held, not purged."""
    return (
        Ticket.status.in_(TRANSITIONS["purge"].start),
        Ticket.legal_hold_at.is_(None),
        Ticket.purged_at.is_(None),
        closed_at_sql() < cutoff,
    )


def due_ticket_ids(now: datetime | None = None, limit: int | None = None) -> list[str]:
    """Tickets closed more than RETENTION_DAYS ago, not held and not purged, oldest id first."""
    cutoff = (now or utcnow()) - retention_period()
    query = select(Ticket.id).where(*_purgeable(cutoff)).order_by(Ticket.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def unfinished_ticket_ids() -> list[str]:
    """Tickets whose purge was decided (rows marked) but not finished: a crash or a store
    failure between the marks and `evidence_purged`."""
    finished = (
        select(Event.id)
        .where(Event.ticket_id == Ticket.id, Event.action == PURGED)
        .correlate(Ticket)
        .exists()
    )
    query = select(Ticket.id).where(
        Ticket.status.in_(TRANSITIONS["purge"].start), Ticket.purged_at.is_not(None), ~finished
    )
    return list(db.session.scalars(query.order_by(Ticket.id)))


def take_for_purge(ticket_id: str, now: datetime | None = None) -> int | None:
    """Decide the purge of one ticket: the conditional UPDATE, then every file's mark.

    recovery.md "Keeping identity documents": one UPDATE of the ticket's row whose WHERE
    says closed before the cutoff, no legal hold, not purged (`_purgeable`), setting
    `purged_at`; a hold that committed first makes it match nothing, a hold that comes
    later waits for our commit and finds the ticket purged. Then every file's row gets
    `purged_at`. Returns how many rows were marked, or None when the ticket is not (or no
    longer) purgeable. Flushes; the caller commits before deleting any object.
    """
    now = now or utcnow()
    if not guarded_update(
        ticket_id,
        TRANSITIONS["purge"].start,
        *_purgeable(now - retention_period())[1:],
        purged_at=now,
        updated_at=now,
    ):
        return None
    marked = db.session.execute(
        update(Evidence)
        .where(Evidence.ticket_id == ticket_id, Evidence.purged_at.is_(None))
        .values(purged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    return marked


def purged_keys(ticket_id: str) -> list[str]:
    """The storage keys of the ticket's rows marked `purged_at` (whose objects must go)."""
    return list(
        db.session.scalars(
            select(Evidence.storage_key)
            .where(Evidence.ticket_id == ticket_id, Evidence.purged_at.is_not(None))
            .order_by(Evidence.id)
        )
    )


def delete_objects(store: EvidenceStore, keys: list[str]) -> list[str]:
    """Delete these evidence objects and the previews derived from them.

    Call only with the keys of rows whose `purged_at` is committed (`purged_keys`), so no
    row without it ever points at a missing object. An object already gone is not an
    error, so a rerun after a crash carries on. Returns the keys deleted; StorageError
    when the store fails (the rest waits for the next run).
    """
    deleted: list[str] = []
    for key in keys:
        deleted += delete_with_derived(store, key)
    return deleted


def finish_purge(ticket_id: str) -> int | None:
    """Record `evidence_purged` (actor "system", the number of files) once per ticket.

    Takes the ticket's row first (a conditional UPDATE on `purged_at` set), so of two
    workers finishing the same ticket the second sees the first's event and records
    nothing. Returns the count recorded, or None when there was nothing to record. Flushes.
    """
    now = utcnow()
    if not guarded_update(
        ticket_id,
        TRANSITIONS["purge"].start,
        Ticket.purged_at.is_not(None),
        updated_at=now,
    ):
        return None
    done = db.session.scalar(
        select(Event.id).where(Event.ticket_id == ticket_id, Event.action == PURGED).limit(1)
    )
    if done is not None:
        return None
    count, size = db.session.execute(
        select(func.count(Evidence.id), func.coalesce(func.sum(Evidence.size), 0)).where(
            Evidence.ticket_id == ticket_id
        )
    ).one()
    purged_at = db.session.scalar(select(Ticket.purged_at).where(Ticket.id == ticket_id))
    record(
        ticket_id,
        SYSTEM,
        PURGED,
        count=count,
        bytes=int(size),
        retention_days=retention_days(),
        purged_at=iso(purged_at),
    )
    db.session.flush()
    return count


@dataclass
class PurgeReport:
    """What one run did (or, with dry_run, would do): ticket references with file counts."""

    purged: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)  # dry run: what would be purged
    skipped: list[str] = field(default_factory=list)  # a hold or another worker won
    failed: dict[str, str] = field(default_factory=dict)  # the store failed: next run
    objects_deleted: int = 0


def _reference(ticket_id: str) -> str:
    return db.session.scalar(select(Ticket.reference).where(Ticket.id == ticket_id)) or ticket_id


def _file_count(ticket_id: str) -> int:
    return db.session.scalar(select(func.count(Evidence.id)).where(Evidence.ticket_id == ticket_id))


def _finish(store: EvidenceStore, ticket_id: str, reference: str, report: PurgeReport) -> bool:
    """Steps 2 and 3 of one ticket whose marks are committed; False if the store failed."""
    keys = purged_keys(ticket_id)
    db.session.rollback()  # hold no transaction open while the store works
    try:
        report.objects_deleted += len(delete_objects(store, keys))
    except StorageError as exc:
        db.session.rollback()
        log.error(
            "retention purge of %s: the store failed (the next run resumes): %s", reference, exc
        )
        report.failed[reference] = str(exc)[:200]
        return False
    finish_purge(ticket_id)
    db.session.commit()
    return True


def purge_expired(
    store: EvidenceStore,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
) -> PurgeReport:
    """Run the retention purge (recovery.md "Keeping identity documents"); commits.

    First finishes purges a crash or a store failure interrupted, then purges each ticket
    closed more than RETENTION_DAYS ago and not under a legal hold (see the module's
    docstring for the order that keeps it crash-safe). `limit` bounds how many new
    tickets one run takes. `dry_run` reports what would be done and changes nothing.
    A store failure on one ticket is reported in `failed` and does not stop the others.
    """
    now = now or utcnow()
    report = PurgeReport()
    unfinished = unfinished_ticket_ids()
    due = due_ticket_ids(now, limit)
    db.session.rollback()
    if dry_run:
        for ticket_id in unfinished:
            report.resumed[_reference(ticket_id)] = _file_count(ticket_id)
        for ticket_id in due:
            report.due[_reference(ticket_id)] = _file_count(ticket_id)
        db.session.rollback()
        return report
    for ticket_id in unfinished:
        reference = _reference(ticket_id)
        if _finish(store, ticket_id, reference, report):
            report.resumed[reference] = _file_count(ticket_id)
            db.session.rollback()
    for ticket_id in due:
        reference = _reference(ticket_id)
        marked = take_for_purge(ticket_id, now)
        if marked is None:
            db.session.rollback()  # held, reopened or taken meanwhile
            report.skipped.append(reference)
            continue
        db.session.commit()  # the marks are durable before any object goes
        if _finish(store, ticket_id, reference, report):
            report.purged[reference] = marked
    return report


def purged_file(item: Evidence) -> NotFound:
    """`404 not_found` for a file the purge deleted: said plainly, with the date."""
    return NotFound(
        "This file was deleted under the retention policy on "
        f"{aware(item.purged_at).strftime('%Y-%m-%d')}: only its name, size, type and "
        "SHA-256 are kept."
    )


# --- legal holds ----------------------------------------------------------------------------


def _require_lead(reviewer: Reviewer, doing: str) -> None:
    if not reviewer.is_lead:
        raise Forbidden(f"Only a lead may {doing}.")


def _reason(value: Any, required: bool) -> str | None:
    """The reason as accepted text; InvalidRequest naming `reason` when it is not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidRequest(
                "Say why the evidence must be kept.",
                {"reason": "is required: say why (the history keeps it)"},
            )
        return None
    try:
        return clean(value, REASON_FIELD)
    except TextRefused as exc:
        raise InvalidRequest("The reason is not valid.", {"reason": str(exc)}) from None


def _purged_words(ticket: Ticket) -> str:
    return aware(ticket.purged_at).strftime("%Y-%m-%d")


def holder(ticket: Ticket) -> Reviewer | None:
    """The lead who placed the ticket's legal hold, if it has one."""
    if ticket.legal_hold_by_id is None:
        return None
    return db.session.get(Reviewer, ticket.legal_hold_by_id)


def _already_held(ticket: Ticket) -> InvalidState:
    lead = holder(ticket)
    by = f" by {lead.name} ({lead.email})" if lead else ""
    return InvalidState(
        f"This ticket is already under a legal hold placed{by} on "
        f"{aware(ticket.legal_hold_at).strftime('%Y-%m-%d')}: lift it first to change it."
    )


def _already_purged(ticket: Ticket) -> InvalidState:
    return InvalidState(
        "The evidence of this ticket was deleted under the retention policy on "
        f"{_purged_words(ticket)}: there is nothing left to hold."
    )


def place_hold(ticket: Ticket, lead: Reviewer, reason: Any) -> None:
    """A lead's legal hold: the purge leaves the ticket's evidence alone until it is lifted.

    recovery.md "Keeping identity documents": leads only (Forbidden, `403`), a reason
    required (InvalidRequest, `400`), written to the history as `legal_hold_placed`. One
    conditional UPDATE (no hold yet, not purged), so of a hold and a concurrent purge
    exactly one wins: a purge that took the ticket first leaves `409 invalid_state`
    ("already deleted"). Any status may be held. Flushes; the caller commits.
    """
    _require_lead(lead, "place a legal hold")
    text = _reason(reason, required=True)
    if ticket.purged_at is not None:
        raise _already_purged(ticket)
    if ticket.legal_hold_at is not None:
        raise _already_held(ticket)
    now = utcnow()
    if not guarded_update(
        ticket.id,
        TRANSITIONS["legal_hold"].start,
        Ticket.legal_hold_at.is_(None),
        Ticket.purged_at.is_(None),
        legal_hold_reason=text,
        legal_hold_at=now,
        legal_hold_by_id=lead.id,
        updated_at=now,
    ):
        db.session.refresh(ticket)
        if ticket.purged_at is not None:
            raise _already_purged(ticket)
        if ticket.legal_hold_at is not None:
            raise _already_held(ticket)
        raise lost(ticket.id, "legal_hold")
    record(ticket.id, lead.actor, HOLD_PLACED, reason=text)
    db.session.flush()


def lift_hold(
    ticket: Ticket, lead: Reviewer, reason: Any = None, *, required: bool = False
) -> None:
    """Lift a legal hold (leads only); the next purge run takes the ticket if it is due.

    The history's `legal_hold_lifted` keeps the lead's reason (required where `required`:
    the page and `POST .../legal-hold/release`), and the hold's own reason, holder and
    time. One conditional UPDATE (a hold is there): of two concurrent lifts one wins, the
    other answers `409 invalid_state`. Flushes; the caller commits.
    """
    _require_lead(lead, "lift a legal hold")
    text = _reason(reason, required=required)
    if ticket.legal_hold_at is None:
        raise InvalidState("This ticket is not under a legal hold.")
    held = {
        "held_reason": ticket.legal_hold_reason,
        "held_by": placed_by.email if (placed_by := holder(ticket)) else None,
        "held_since": iso(ticket.legal_hold_at),
    }
    if not guarded_update(
        ticket.id,
        TRANSITIONS["legal_hold"].start,
        Ticket.legal_hold_at.is_not(None),
        legal_hold_reason=None,
        legal_hold_at=None,
        legal_hold_by_id=None,
        updated_at=utcnow(),
    ):
        db.session.refresh(ticket)
        raise InvalidState("This ticket is not under a legal hold (another lead lifted it).")
    record(ticket.id, lead.actor, HOLD_LIFTED, reason=text, **held)
    db.session.flush()
