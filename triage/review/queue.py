"""The reviewers' queue: what waits, in which order, and who holds what.

Order: tickets waiting for a reviewer come first, in the order `claim_next` hands them
out (priority, then the time of FIRST submission, so a resubmitted ticket keeps its
place); tickets already in review follow in the same order, with their holder.

recovery.md adds two queues of their own, asked for with `status`: first approvals
waiting for a lead's second one (`awaiting_second_approval`, in the order they were first
approved), and tickets whose registered owner said "this was not me" (`disputed`, leads
only, in the order they were disputed). Both by priority first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from triage.errors import Forbidden, InvalidRequest
from triage.extensions import db
from triage.requirements import TICKET_TYPES
from triage.review.operations import QUEUE_ORDER, check_ticket_type, lapse_expired_claims
from triage.reviewers.models import Reviewer
from triage.tickets import status as st
from triage.tickets.flags import FLAGS
from triage.tickets.models import Ticket, TicketFlag
from triage.timeutil import iso

QUEUE_STATUSES = (st.AWAITING_REVIEW, st.IN_REVIEW)
# The `status` a queue may be asked for: one of the review queue's, or a queue of its own.
QUEUE_FILTER_STATUSES = (*QUEUE_STATUSES, st.AWAITING_SECOND_APPROVAL, st.DISPUTED)
# Each own queue's order: priority, then how long it has waited in that status.
OWN_QUEUE_ORDER = {
    st.AWAITING_SECOND_APPROVAL: (Ticket.priority_rank, Ticket.first_approved_at, Ticket.id),
    st.DISPUTED: (Ticket.priority_rank, Ticket.disputed_at, Ticket.id),
}
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


def _check_status(status: Any, reviewer: Reviewer | None) -> tuple[str, ...]:
    """The statuses a queue request asks for; `disputed` is for leads (403 otherwise)."""
    if status in (None, ""):
        return QUEUE_STATUSES
    if status not in QUEUE_FILTER_STATUSES:
        raise InvalidRequest(
            "Unknown queue status.",
            {"status": f"must be one of: {', '.join(QUEUE_FILTER_STATUSES)}"},
        )
    if status == st.DISPUTED and not (reviewer is not None and reviewer.is_lead):
        raise Forbidden("Only leads see disputed tickets: a lead decides them again (recovery.md).")
    return (status,)


def queue(
    ticket_type: Any = None,
    flag: Any = None,
    limit: Any = None,
    with_counts: bool = True,
    status: Any = None,
    reviewer: Reviewer | None = None,
) -> QueuePage:
    """The queue, filtered by type, flag and status. Hands lapsed claims back first (it
    writes).

    `status` left out: tickets waiting for review and in review. `awaiting_second_approval`
    or `disputed` (the latter for a lead `reviewer` only): that queue of recovery.md.
    Counts read the whole queue (a second at a million waiting tickets), so API callers
    ask for them explicitly; the page always shows them.
    """
    ticket_type = check_ticket_type(ticket_type)
    flag, limit = _check_flag(flag), _check_limit(limit)
    statuses = _check_status(status, reviewer)
    lapse_expired_claims()
    wanted = select(Ticket).where(Ticket.status.in_(statuses))
    if ticket_type:
        wanted = wanted.where(Ticket.type == ticket_type)
    if flag:
        wanted = wanted.where(Ticket.flag_rows.any(TicketFlag.flag == flag))
    total = db.session.scalar(select(func.count()).select_from(wanted.subquery()))
    # Waiting tickets first, then held ones, each in index order. One query per status:
    # PostgreSQL before 17 cannot read `status IN (...)` from the index in order and would
    # sort the whole queue for every page.
    items: list[Ticket] = []
    for one in statuses:
        if len(items) >= limit:
            break
        items += db.session.scalars(
            wanted.where(Ticket.status == one)
            .options(selectinload(Ticket.claimed_by), selectinload(Ticket.first_approved_by))
            .order_by(*OWN_QUEUE_ORDER.get(one, QUEUE_ORDER))
            .limit(limit - len(items))
        )
    return QueuePage(items, total or 0, queue_counts(statuses) if with_counts else {})


def queue_counts(statuses: tuple[str, ...] = QUEUE_STATUSES) -> dict[str, Any]:
    """The counts of the queue being listed (`statuses`: the review queue's two, or one of
    recovery.md's own queues), whatever its type and flag filters: per type and status,
    per flag, and per holder; and the size of each own queue, for the leads' tabs.

    `by_type` and `by_flag` count the same tickets as the list (`status IN statuses`): on
    the "Second approval" tab they are that tab's, never the review queue's. Each is one
    grouped query on that filter, as the listing's own count is; no query per ticket.
    """
    by_type = {t: dict.fromkeys(statuses, 0) for t in TICKET_TYPES}
    for ticket_type, status, count in db.session.execute(
        select(Ticket.type, Ticket.status, func.count())
        .where(Ticket.status.in_(statuses))
        .group_by(Ticket.type, Ticket.status)
    ):
        by_type[ticket_type][status] = count
    by_flag = dict.fromkeys(FLAGS, 0)
    for flag, count in db.session.execute(
        select(TicketFlag.flag, func.count())
        .join(Ticket, Ticket.id == TicketFlag.ticket_id)
        .where(Ticket.status.in_(statuses))
        .group_by(TicketFlag.flag)
    ):
        by_flag[flag] = count
    held_by: dict[str, int] = {}
    if st.IN_REVIEW in statuses:  # only the review queue's tickets have holders
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
    # The other own queues of recovery.md, for the tabs' sizes: one grouped count over a
    # range of the status-led queue index. The listed queue's sizes come from by_type.
    own = dict.fromkeys(OWN_QUEUE_ORDER, 0)
    for status, count in db.session.execute(
        select(Ticket.status, func.count())
        .where(Ticket.status.in_(tuple(s for s in OWN_QUEUE_ORDER if s not in statuses)))
        .group_by(Ticket.status)
    ):
        own[status] = count
    listed = {status: sum(counts[status] for counts in by_type.values()) for status in statuses}
    return own | listed | {"by_type": by_type, "by_flag": by_flag, "held_by": held_by}


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
        "first_approved_by": ticket.first_approved_by.email if ticket.first_approved_by else None,
        "first_approved_at": iso(ticket.first_approved_at),
        "disputed_at": iso(ticket.disputed_at),
        # recovery.md: a refused second approval sends the ticket back to the first
        # approver, who reads why here (and in the history) before opening it.
        "refused_note": ticket.second_approval_note
        if ticket.status == st.IN_REVIEW and ticket.second_approved_by_id is None
        else None,
    }
