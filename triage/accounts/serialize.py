"""The record comparison as reviewers get it (contacts masked). STUB: filled in by the
accounts work."""

from __future__ import annotations

from typing import Any

from triage.tickets.models import Ticket


def record_json(ticket: Ticket) -> dict[str, Any] | None:
    return None
