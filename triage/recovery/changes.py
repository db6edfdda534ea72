"""Approved account changes and their waiting period (recovery.md "Notice to the
registered owner, and a waiting period"): what `GET /api/v1/changes` lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from triage.extensions import db
from triage.tickets import status as st
from triage.tickets.models import Ticket
from triage.timeutil import aware, iso, utcnow


@dataclass(frozen=True)
class ChangesPage:
    items: list[Ticket]
    total: int
    now: datetime


def changes(ready: bool | None, limit: int) -> ChangesPage:
    """Approved `account_change` tickets with an `effective_at`, soonest first.

    `ready`: True, only those whose waiting period is over; False, only those still
    waiting; None, both. Only status `approved` counts, so a disputed change is never
    listed (nor ready) until a lead approves it again (recovery.md: the dispute "blocks the
    change until a lead decides again").
    """
    now = utcnow()
    query = select(Ticket).where(
        Ticket.type == "account_change",
        Ticket.status == st.APPROVED,
        Ticket.effective_at.is_not(None),
    )
    if ready is True:
        query = query.where(Ticket.effective_at <= now)
    elif ready is False:
        query = query.where(Ticket.effective_at > now)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(db.session.scalars(query.order_by(Ticket.effective_at, Ticket.id).limit(limit)))
    return ChangesPage(items, total, now)


def change_json(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """One item of `GET /changes`: the new contacts in full (the team applies them)."""
    effective = aware(ticket.effective_at)
    record = ticket.record if isinstance(ticket.record, dict) else {}
    return {
        "reference": ticket.reference,
        # The account as its record names it: a look-alike spelling the customer typed
        # (full-width letters, invisible marks) must not reach whoever applies the change.
        "account_name": record.get("account_name") or ticket.account_name,
        "declared_account_name": ticket.account_name,
        "account_of_record": bool(record.get("account_name")),
        "change": {"mobile": ticket.change_mobile, "email": ticket.change_email},
        # The final approval is the decision (a lead's second approval, or a lead's
        # approval again after a dispute, which starts a new waiting period).
        "approved_at": iso(ticket.decided_at),
        "decided_at": iso(ticket.decided_at),
        "effective_at": iso(effective),
        "ready": effective is not None and effective <= now,
    }
