"""The reviewers' queue: what waits, in which order, and who holds what.

Order: tickets waiting for a reviewer come first, in the order `claim_next` hands them
out (priority, then the time of FIRST submission, so a resubmitted ticket keeps its
place); tickets already in review follow in the same order, with their holder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from triage.errors import InvalidRequest
from triage.extensions import db
from triage.requirements import TICKET_TYPES
from triage.review.operations import QUEUE_ORDER, check_ticket_type, lapse_expired_claims
from triage.reviewers.models import Reviewer
from triage.tickets import status as st
from triage.tickets.flags import FLAGS
from triage.tickets.models import Ticket, TicketFlag
from triage.timeutil import iso

QUEUE_STATUSES = (st.AWAITING_REVIEW, st.IN_REVIEW)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class QueuePage:
    items: list[Ticket]
    total: int  # matching the filters, before the limit
    counts: dict[str, Any] = field(default_factory=dict)


def _check_flag(flag: Any) -> str | None:
    if flag in (None, ""):
        return None
    if flag not in FLAGS:
        raise InvalidRequest("Unknown flag.", {"flag": f"must be one of: {', '.join(FLAGS)}"})
    return flag


def _check_limit(limit: Any) -> int:
    if limit in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(limit)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidRequest(
            "Bad limit.", {"limit": f"must be a whole number from 1 to {MAX_LIMIT}"}
        )
    return value


def queue(
    ticket_type: Any = None, flag: Any = None, limit: Any = None, with_counts: bool = True
) -> QueuePage:
    """The queue, filtered by type and flag. Hands lapsed claims back first (it writes).

    Counts read the whole queue (a second at a million waiting tickets), so API callers
    ask for them explicitly; the page always shows them.
    """
    ticket_type = check_ticket_type(ticket_type)
    flag, limit = _check_flag(flag), _check_limit(limit)
    lapse_expired_claims()
    wanted = select(Ticket).where(Ticket.status.in_(QUEUE_STATUSES))
    if ticket_type:
        wanted = wanted.where(Ticket.type == ticket_type)
    if flag:
        wanted = wanted.where(Ticket.flag_rows.any(TicketFlag.flag == flag))
    total = db.session.scalar(select(func.count()).select_from(wanted.subquery()))
    # Waiting tickets first, then held ones, each in index order. One query per status:
    # PostgreSQL before 17 cannot read `status IN (...)` from the index in order and would
    # sort the whole queue for every page.
    items: list[Ticket] = []
    for status in QUEUE_STATUSES:
        if len(items) >= limit:
            break
        items += db.session.scalars(
            wanted.where(Ticket.status == status)
            .options(selectinload(Ticket.claimed_by))
            .order_by(*QUEUE_ORDER)
            .limit(limit - len(items))
        )
    return QueuePage(items, total or 0, queue_counts() if with_counts else {})


def queue_counts() -> dict[str, Any]:
    """Per queue (ticket type) and status, per flag, and per holder: for the whole queue."""
    by_type = {t: dict.fromkeys(QUEUE_STATUSES, 0) for t in TICKET_TYPES}
    for ticket_type, status, count in db.session.execute(
        select(Ticket.type, Ticket.status, func.count())
        .where(Ticket.status.in_(QUEUE_STATUSES))
        .group_by(Ticket.type, Ticket.status)
    ):
        by_type[ticket_type][status] = count
    by_flag = dict.fromkeys(FLAGS, 0)
    for flag, count in db.session.execute(
        select(TicketFlag.flag, func.count())
        .join(Ticket, Ticket.id == TicketFlag.ticket_id)
        .where(Ticket.status.in_(QUEUE_STATUSES))
        .group_by(TicketFlag.flag)
    ):
        by_flag[flag] = count
    held_by = {
        email: count
        for email, count in db.session.execute(
            select(Reviewer.email, func.count())
            .join(Ticket, Ticket.claimed_by_id == Reviewer.id)
            .where(Ticket.status == st.IN_REVIEW)
            .group_by(Reviewer.email)
            .order_by(Reviewer.email)
        )
    }
    return {
        status: sum(counts[status] for counts in by_type.values()) for status in QUEUE_STATUSES
    } | {"by_type": by_type, "by_flag": by_flag, "held_by": held_by}


def queue_item_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "type": ticket.type,
        "status": ticket.status,
        "priority": ticket.priority,
        "flags": ticket.flags,
        "account_name": ticket.account_name,
        "submitted_at": iso(ticket.submitted_at),
        "first_submitted_at": iso(ticket.first_submitted_at),
        "claimed_by": ticket.claimed_by.email if ticket.claimed_by else None,
        "claim_expires_at": iso(ticket.claim_expires_at),
    }
