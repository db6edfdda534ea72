"""The ticket's history: every change and every read, with actor and time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from triage.extensions import db
from triage.timeutil import iso, utcnow


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # Counts of one kind of event over a time window (the dashboard, /metrics).
    __table_args__ = (Index("ix_events_action_at", "action", "at"),)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "details": self.details,
        }


# Called with every event as it is recorded, in the same session (the notification outbox
# queues its email there, so it commits or rolls back with the change).
_listeners: list[Callable[[Event], None]] = []


def subscribe(listener: Callable[[Event], None]) -> None:
    """Call `listener(event)` for every event recorded from now on (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def record(ticket_id: str, actor: str, action: str, **details: Any) -> Event:
    """Add an event to the session; the caller's transaction commits it with the change."""
    event = Event(ticket_id=ticket_id, actor=actor, action=action, details=details, at=utcnow())
    db.session.add(event)
    for listener in _listeners:
        listener(event)
    return event
