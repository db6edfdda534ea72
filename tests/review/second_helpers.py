"""Helpers of the second-approval tests (recovery.md "Second approval")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import ApiReviewer, evidence_ids
from triage.extensions import db
from triage.history.models import Event
from triage.notifications.models import Notification
from triage.tickets.models import Ticket
from triage.tickets.transitions import transition
from triage.timeutil import utcnow

CHANGE = CHANGE_DIRECT_AUTHENTICATED


def when(value: str | None) -> datetime | None:
    """An API time as a datetime (UTC)."""
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def held_approvable(reviewer: ApiReviewer, ticket) -> None:
    """`reviewer` claims `ticket` (the only one waiting) and accepts every file."""
    response = reviewer.claim()
    assert response.status_code == 200, response.json
    assert response.json["reference"] == ticket.reference
    for evidence_id in evidence_ids(ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200


def first_approved(reviewer: ApiReviewer, ticket, note: str = "Documents match.") -> dict:
    """Claim, accept every file and approve: the first approval. The ticket's JSON."""
    held_approvable(reviewer, ticket)
    response = reviewer.decide(ticket.reference, "approved", note)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "awaiting_second_approval", response.json
    return response.json


def second(who: ApiReviewer, reference: str, decision: str, note: str | None = None):
    return who.post(f"/tickets/{reference}/second-approval", {"decision": decision, "note": note})


def notifications(app: Flask, reference: str, kind: str = "decision") -> list[Notification]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification)
                .join(Ticket, Ticket.id == Notification.ticket_id)
                .where(Ticket.reference == reference, Notification.kind == kind)
            )
        )


def events(app: Flask, reference: str, action: str | None = None) -> list[Event]:
    with app.app_context():
        query = (
            select(Event)
            .join(Ticket, Ticket.id == Event.ticket_id)
            .where(Ticket.reference == reference)
            .order_by(Event.id)
        )
        if action:
            query = query.where(Event.action == action)
        return list(db.session.scalars(query))


def flag(app: Flask, reference: str, *flags: str) -> None:
    """Give the ticket flags, as the checks of recovery.md do at submission or later."""
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        for name in flags:
            ticket.set_flag(name)
        db.session.commit()


def dispute(app: Flask, reference: str) -> None:
    """The registered owner's "this was not me", through the `dispute` transition (the
    owner's link is recovery.md's other part; this test needs only its outcome)."""
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        now = utcnow()
        transition(ticket.id, "dispute", disputed_at=now, priority_rank=0)
        ticket.set_flag("disputed")
        db.session.commit()


def row(app: Flask, reference: str) -> Ticket:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None
        return ticket


@pytest.fixture
def second_approval_policy() -> str | None:
    """SECOND_APPROVAL for the test; None keeps the default. Override with
    `@pytest.mark.parametrize("second_approval_policy", ["all"])`."""
    return None


@pytest.fixture
def app_config(app_config: dict[str, Any], second_approval_policy: str | None) -> dict[str, Any]:
    if second_approval_policy is not None:
        app_config["SECOND_APPROVAL"] = second_approval_policy
    return app_config
