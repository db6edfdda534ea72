"""Second approval (recovery.md, maker-checker). STUB: filled in by the four-eyes work."""

from __future__ import annotations

from typing import Any

from triage.tickets.models import Ticket


def approvals_json(ticket: Ticket) -> dict[str, Any] | None:
    return None
