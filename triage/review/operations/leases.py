"""Claims are leases: taking tickets, giving them back or to someone else, and the lease
that every action on a held ticket checks and extends.

A claim lasts `CLAIM_IDLE_MINUTES` after the holder's last action on the ticket; every
action extends it. An expired claim is handed back to the queue (`claim_lapsed`) whenever
the queue is read or a ticket claimed, and nobody may act on it meanwhile. Every write
here is `triage.tickets.transitions.guarded_update` (through `try_transition` for the
status changes): one conditional UPDATE whose WHERE states the ticket as it was read, so
of two conflicting requests exactly one wins. The exception is PostgreSQL's claim, one
statement (`CLAIM_SQL`) whose UPDATEs carry the same guards.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Boolean, ColumnElement, DateTime, Integer, String, column, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import MANYTOONE, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.selectable import TextualSelect

from triage.errors import Forbidden, InvalidRequest, InvalidState
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import record
from triage.requirements import TICKET_TYPES
from triage.reviewers.models import Reviewer
from triage.reviewers.operations import reviewer_by_email
from triage.tickets import status as st
from triage.tickets.models import MaterialRequest, Ticket, TicketFlag
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

    Expired leases are handed back first (`claim_lapsed`), so a lapsed ticket is taken in
    its old place. PostgreSQL does all of it in one statement (`_claim_in_one_statement`).
    SQLite has no row locks and ignores FOR UPDATE: the conditional UPDATE in `_take`
    refuses a ticket another claimer took between our SELECT and our UPDATE, and we try
    the next one.
    """
    ticket_type = check_ticket_type(ticket_type)
    if db.session.get_bind().dialect.name == "postgresql":
        return _claim_in_one_statement(reviewer, ticket_type)
    lapse_expired_claims()
    waiting = select(Ticket.id).where(Ticket.status == st.AWAITING_REVIEW)
    if ticket_type:
        waiting = waiting.where(Ticket.type == ticket_type)
    waiting = waiting.order_by(*QUEUE_ORDER).limit(1)
    for _ in range(CLAIM_ATTEMPTS):
        ticket_id = db.session.scalar(waiting)
        if ticket_id is None:
            return None
        now = utcnow()
        if _take(ticket_id, reviewer, now, "claim", Ticket.claimed_by_id.is_(None)):
            return _claimed(db.session.get(Ticket, ticket_id, populate_existing=True), reviewer)
    raise InvalidState("The queue is very busy just now; try taking a ticket again.")


# PostgreSQL's claim: lapse, pick, take, record and read back in one statement. Data-
# modifying CTEs all run, on one snapshot, exactly once; they talk only through RETURNING.
# `{type}` is empty or TYPE_FILTER (fixed strings, never input); the rest are parameters.
CLAIM_SQL = """
WITH expired AS MATERIALIZED (
    SELECT id, type, priority_rank, first_submitted_at, claimed_by_id, claim_expires_at
    FROM tickets
    WHERE status = '{in_review}' AND claim_expires_at <= :now
    FOR UPDATE SKIP LOCKED
), first_expired AS MATERIALIZED (
    SELECT id, priority_rank, first_submitted_at FROM expired
    WHERE TRUE{type}
    ORDER BY priority_rank, first_submitted_at, id
    LIMIT 1
), bound AS MATERIALIZED (
    SELECT priority_rank, first_submitted_at, id FROM first_expired
    UNION ALL
    SELECT 32767, TIMESTAMPTZ 'infinity', ''
    ORDER BY 1
    LIMIT 1
), first_waiting AS (
    SELECT id FROM tickets
    WHERE status = '{waiting}'{type}
      AND (priority_rank, first_submitted_at, id) < ((SELECT priority_rank FROM bound),
          (SELECT first_submitted_at FROM bound), (SELECT id FROM bound))
    ORDER BY priority_rank, first_submitted_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), pick AS MATERIALIZED (
    SELECT id FROM (
        SELECT id, 1 AS rank FROM first_waiting
        UNION ALL
        SELECT id, 2 FROM first_expired
    ) AS candidate
    ORDER BY rank
    LIMIT 1
), handed_back AS (
    UPDATE tickets
    SET status = '{waiting}', claimed_by_id = NULL, claimed_at = NULL, claim_expires_at = NULL,
        updated_at = :now
    FROM expired
    WHERE tickets.id = expired.id AND expired.id NOT IN (SELECT id FROM pick)
      AND tickets.claimed_by_id IS NOT DISTINCT FROM expired.claimed_by_id
      AND tickets.claim_expires_at <= :now
    RETURNING tickets.id
), taken AS (
    UPDATE tickets
    SET status = '{in_review}', claimed_by_id = :reviewer_id, claimed_at = :now,
        claim_expires_at = :expires_at, updated_at = :now
    WHERE id = (SELECT id FROM pick)
      AND (status = '{waiting}' AND claimed_by_id IS NULL
           OR status = '{in_review}' AND claim_expires_at <= :now)
    RETURNING tickets.*
), recorded AS (
    INSERT INTO events (ticket_id, at, actor, action, details)
    SELECT ticket_id, GREATEST(CAST(:now AS timestamptz), clock_timestamp()), actor, action,
        details FROM (
        SELECT 1 AS n, e.id AS ticket_id, '{system}' AS actor, 'claim_lapsed' AS action,
            json_build_object('reviewer', holder.email, 'expired_at', {expired_iso},
                              'idle_minutes', CAST(:idle_minutes AS integer)) AS details
        FROM expired AS e LEFT JOIN reviewers AS holder ON holder.id = e.claimed_by_id
        WHERE e.id IN (SELECT id FROM handed_back UNION ALL SELECT id FROM taken)
        UNION ALL
        SELECT 2, id, :actor, 'claimed',
            json_build_object('reviewer', CAST(:email AS text),
                              'expires_at', CAST(:expires_iso AS text))
        FROM taken
    ) AS new_event
    ORDER BY n, ticket_id
)
SELECT row_to_json(taken) AS loaded_ticket,
    (SELECT json_agg(f) FROM ticket_flags AS f WHERE f.ticket_id = taken.id) AS loaded_flags,
    (SELECT json_agg(e ORDER BY e.uploaded_at) FROM evidence AS e
     WHERE e.ticket_id = taken.id) AS loaded_evidence,
    (SELECT json_agg(r ORDER BY r.at) FROM material_requests AS r
     WHERE r.ticket_id = taken.id) AS loaded_requests,
    set_config('synchronous_commit', 'off', true) AS commit_mode
FROM taken
"""
TYPE_FILTER = " AND type = :type"
# triage.timeutil.iso in SQL: UTC, "Z", microseconds only when there are any.
EXPIRED_ISO = (
    "to_char(e.claim_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\\:MI\\:SS')"
    " || CASE WHEN to_char(e.claim_expires_at, 'US') = '000000' THEN ''"
    " ELSE to_char(e.claim_expires_at, '.US') END || 'Z'"
)
LOADED_TICKET = column("loaded_ticket", JSON)
# The ticket's children, each as one JSON array of rows (None when it has none).
LOADED = (
    ("flag_rows", TicketFlag, column("loaded_flags", JSON)),
    ("evidence", Evidence, column("loaded_evidence", JSON)),
    ("requests", MaterialRequest, column("loaded_requests", JSON)),
)


def _claim_statement(typed: bool) -> TextualSelect:
    """CLAIM_SQL with its result columns typed (`typed`: with TYPE_FILTER), built once per
    shape at import. Whitespace is collapsed (no literal in it has a run of spaces, and it
    has no `--` comments to run into the code): under 4 KiB, psycopg keeps its conversion
    of the statement instead of parsing it again on every claim."""
    sql = CLAIM_SQL.format(
        type=TYPE_FILTER if typed else "",
        expired_iso=EXPIRED_ISO,
        waiting=st.AWAITING_REVIEW,
        in_review=st.IN_REVIEW,
        system=SYSTEM,
    )
    loaded = [loaded for _, _, loaded in LOADED]
    return text(" ".join(sql.split())).columns(LOADED_TICKET, *loaded, column("commit_mode"))


_CLAIM_STATEMENTS = {typed: _claim_statement(typed) for typed in (False, True)}


def _claim_in_one_statement(reviewer: Reviewer, ticket_type: str | None) -> Ticket | None:
    """PostgreSQL: the whole claim in one round trip (`CLAIM_SQL`); None when nothing waits.

    - `expired`: leases that ran out, locked (SKIP LOCKED: one another request is lapsing
      or taking is left to it). Each is handed back (`handed_back`) or, when it comes first
      in the queue, taken straight over (`taken`), with its `claim_lapsed` event either way,
      as `lapse_expired_claims` would have written it.
    - `pick`: the first waiting ticket that comes before the first expired lease (`bound`:
      that lease's place in QUEUE_ORDER, or past the end when there is none), locked with
      SKIP LOCKED, so a candidate another claimer holds is passed over, not waited for;
      else that expired lease (`first_expired`, already locked). Bounding the scan, rather
      than comparing with the first waiting row, keeps the order when another claimer
      holds that row: the lapsed lease, not the next waiting ticket behind it, is taken.
      The bound is three InitPlan parameters, an index condition on ix_tickets_queue (a
      filter would walk every waiting ticket when the lapsed lease comes first). A waiting
      ticket is locked only when it is the one taken: a row locked and not taken would be
      skipped by every other claimer until we commit (a 204 while a ticket waits).
    - `taken`: the claim itself, guarded by the status as read (api.md "Statuses"), so of
      concurrent claimers exactly one wins each ticket; `recorded` writes its `claimed`
      event in the same statement (after the ticket's `claim_lapsed`, if any), stamped
      when the statement runs (`clock_timestamp()`, never before `now`): an event another
      request committed since `now` was read stays before the claim in the history.
    - The SELECT returns the ticket with its flags, evidence and requests, for the answer,
      and turns off `synchronous_commit` for this transaction only (`set_config(..., true)`,
      evaluated only when a ticket was taken). A claim is a lease: a crash can lose at most
      the last fraction of a second of claims, atomically with their events, and such a
      ticket simply waits again; every later action of the holder is guarded by
      `claimed_by_id` and answers 409, so nothing is decided under a lost claim.
      Decisions keep the default.

    The events are written by SQL, not `record`, so its listeners never see them; none
    acts on `claimed` or `claim_lapsed` (triage.notifications). One statement instead of
    eight (lapse check, SET LOCAL, UPDATE, three loads, the INSERT) is what keeps a claim
    within twice a bare round trip at a million tickets (benchmarks/queue.py).
    """
    now = utcnow()
    expires_at = lease_end(now)
    params = {
        "now": now,
        "expires_at": expires_at,
        "expires_iso": iso(expires_at),
        "reviewer_id": reviewer.id,
        "actor": reviewer.actor,
        "email": reviewer.email,
        "idle_minutes": current_app.config["CLAIM_IDLE_MINUTES"],
    }
    if ticket_type:
        params["type"] = ticket_type
    row = db.session.execute(_CLAIM_STATEMENTS[bool(ticket_type)], params).one_or_none()
    if row is None:
        return None
    ticket = _as_loaded(Ticket, row._mapping[LOADED_TICKET])
    for relationship, model, loaded in LOADED:
        children = [_as_loaded(model, values) for values in row._mapping[loaded] or []]
        for child in children:
            set_committed_value(child, "ticket", ticket)
        set_committed_value(ticket, relationship, children)
    return ticket


def _as_loaded(model: type[Any], values: Mapping[str, Any]) -> Any:
    """The `model` instance of a row as `row_to_json` gives it (by column name), persistent
    in the session as if the ORM had loaded it (an instance already there takes the
    values, as with `populate_existing`), so nothing is read again to answer the claim.

    JSON gives timestamps as ISO text and every other column type of these tables as it
    went in (`_check_json_types`).
    """
    state = {}
    for c in model.__table__.columns:
        value = values[c.name]
        if value is not None and isinstance(c.type, DateTime):
            value = datetime.fromisoformat(value)
        state[c.key] = value
    key = db.session.identity_key(model, tuple(state[c.key] for c in model.__table__.primary_key))
    instance = db.session.identity_map.get(key)
    if instance is not None:
        for name, value in state.items():
            set_committed_value(instance, name, value)
        # Objects it points to (the holder, the approvers) may have changed with the
        # columns: they load again when read, as after populate_existing.
        many_to_one = [r.key for r in sa_inspect(model).relationships if r.direction is MANYTOONE]
        if many_to_one:
            db.session.expire(instance, many_to_one)
        return instance
    instance = model(**state)
    make_transient_to_detached(instance)  # its values become the loaded state
    db.session.add(instance)
    return instance


def _check_json_types(*models: type[Any]) -> None:
    """Refuse, at import, a column `_as_loaded` would read wrongly from JSON: timestamps
    are parsed; strings, numbers, booleans and JSON come back as they went in. A new
    column of another type (a Numeric, a LargeBinary) fails here, not with a wrong value."""
    plain = (String, Integer, Boolean, JSON, DateTime)
    for model in models:
        for c in model.__table__.columns:
            if not isinstance(c.type, plain):
                raise TypeError(f"{model.__name__}.{c.name}: {c.type!r} is not read from JSON")


_check_json_types(Ticket, *(model for _, model, _ in LOADED))


def _claimed(ticket: Ticket, reviewer: Reviewer) -> Ticket:
    """Record the claim `reviewer` just won on `ticket` (SQLite's path; PostgreSQL's one
    statement writes its own `claimed` event)."""
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
