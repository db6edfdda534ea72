"""The record comparison as reviewers get it (recovery.md "Accounts of record"): status,
differences, masked contacts and what the record's list still lacks; never the full
contacts. Customers never get it (triage.tickets.serialize does not call this)."""

from __future__ import annotations

from typing import Any

from triage.accounts.records import COMPARED_FACTS
from triage.tickets.checklist import TicketState, ticket_state
from triage.tickets.models import Ticket
from triage.timeutil import iso

FACT_KEYS = COMPARED_FACTS["account_change"]


def record_json(ticket: Ticket, state: TicketState | None = None) -> dict[str, Any] | None:
    """The `record` key of a reviewer's ticket JSON (triage.accounts.schemas.RecordView);
    None for a ticket that was never compared."""
    check = (state or ticket_state(ticket)).record_check
    if check is None:
        return None
    record = check.record or {}  # contacts already masked (triage.tickets.checklist)
    resolution = check.resolution
    return {
        "status": check.status,
        "checked_at": iso(check.checked_at),
        "account_name": record.get("account_name"),
        "facts": {key: record.get(key) for key in FACT_KEYS} if record else None,
        "differences": [dict(d) for d in check.differences],
        "email": record.get("email"),
        "mobile": record.get("mobile"),
        "card_last4": record.get("card_last4"),
        "rule": resolution.rule.name if resolution and resolution.rule else None,
        "record_requirement": check.approval.to_json() if check.approval else None,
        "record_missing": list(check.missing),
    }
