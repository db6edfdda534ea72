"""A ticket's legal hold and purge state as reviewers get it. STUB."""

from __future__ import annotations

from typing import Any

from triage.tickets.models import Ticket


def retention_json(ticket: Ticket) -> dict[str, Any] | None:
    return None
