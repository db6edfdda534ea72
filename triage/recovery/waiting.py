"""The waiting period before an approved account change takes effect (recovery.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from triage.tickets.models import Ticket


def effective_at_after(ticket: Ticket, approved_at: datetime) -> datetime | None:
    """When a change approved (finally) at `approved_at` takes effect; None for tickets
    that change no contact (unfreeze).

    recovery.md "Notice to the registered owner, and a waiting period": an approved
    account change takes effect `CHANGE_WAITING_HOURS` (default 72) after the final
    approval, so the registered owner has time to say "this was not me".
    """
    if ticket.type != "account_change":
        return None
    return approved_at + timedelta(hours=current_app.config["CHANGE_WAITING_HOURS"])
