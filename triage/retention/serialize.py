"""A ticket's legal hold and purge state as reviewers get it: the `retention` key of the
reviewers' JSON, and the same facts for the review page's panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from triage.retention.operations import (
    closed_at,
    holder,
    retention_days,
    retention_period,
    retention_state,
)
from triage.reviewers.models import Reviewer
from triage.tickets.models import Ticket
from triage.timeutil import aware, iso


@dataclass(frozen=True)
class Retention:
    """recovery.md "Keeping identity documents", for one ticket (see `retention_state`)."""

    state: str  # open | scheduled | held | purged
    retention_days: int
    closed_at: datetime | None
    purge_due_at: datetime | None
    hold_reason: str | None
    hold_by: Reviewer | None
    hold_at: datetime | None
    purged_at: datetime | None


def retention_of(ticket: Ticket) -> Retention:
    """The ticket's retention facts (one query for a withdrawn ticket's withdrawal time)."""
    closed = closed_at(ticket)
    held = ticket.legal_hold_at is not None
    return Retention(
        state=retention_state(ticket),
        retention_days=retention_days(),
        closed_at=closed,
        purge_due_at=closed + retention_period() if closed is not None else None,
        hold_reason=ticket.legal_hold_reason if held else None,
        hold_by=holder(ticket) if held else None,
        hold_at=aware(ticket.legal_hold_at),
        purged_at=aware(ticket.purged_at),
    )


def retention_json(ticket: Ticket) -> dict[str, Any]:
    """The reviewers' `retention` key (triage.retention.schemas.RetentionView): when the
    evidence goes, who holds it and why, when it went. Never in the customer's JSON."""
    r = retention_of(ticket)
    hold = None
    if r.hold_at is not None:
        hold = {
            "reason": r.hold_reason,
            "placed_by": r.hold_by.email if r.hold_by else None,
            "placed_at": iso(r.hold_at),
        }
    return {
        "state": r.state,
        "retention_days": r.retention_days,
        "closed_at": iso(r.closed_at),
        "purge_due_at": iso(r.purge_due_at),
        "legal_hold": hold,
        "purged_at": iso(r.purged_at),
    }
