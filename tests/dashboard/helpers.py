"""Tickets decided through the API, then dated back: shared by the dashboard and metrics
tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.review.helpers import evidence_ids


def approve(reviewer, ticket) -> None:
    """Claim `ticket` (the only one waiting), accept its files and approve it."""
    assert reviewer.claim().json["reference"] == ticket.reference
    for evidence_id in evidence_ids(ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    response = reviewer.decide(ticket.reference, "approved", "All in order.")
    assert response.json["status"] == "approved", response.json


def reject(reviewer, ticket, reason: str = "blurry") -> None:
    """Claim `ticket`, reject its card photo for `reason`, then reject the ticket."""
    assert reviewer.claim().json["reference"] == ticket.reference
    card = evidence_ids(ticket)["card_front"]
    assert reviewer.review(card, "rejected", reason, "see note").status_code == 200
    response = reviewer.decide(ticket.reference, "rejected", "The card photo is unreadable.")
    assert response.json["status"] == "rejected", response.json


def backdate(app, reference: str, **ages: Any) -> None:
    """Move a ticket's times into the past: backdate(app, ref, first_submitted_at=days...)
    with values in days (floats); `decided_days` also moves its `decided` events."""
    from sqlalchemy import select, update

    from triage.extensions import db
    from triage.history.models import Event
    from triage.tickets.models import Ticket
    from triage.timeutil import utcnow

    now = utcnow()
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        decided = ages.pop("decided_days", None)
        values = {name: now - timedelta(days=days) for name, days in ages.items()}
        if decided is not None:
            values["decided_at"] = now - timedelta(days=decided)
            db.session.execute(
                update(Event)
                .where(Event.ticket_id == ticket.id, Event.action == "decided")
                .values(at=now - timedelta(days=decided))
            )
        db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(**values))
        db.session.commit()
