"""Closed tickets with files (and previews), made old, and what the store and rows say.

recovery.md "Keeping identity documents". Tickets are made through the API (the customer
uploads a PDF and a PNG, submits; a lead takes and rejects it, or the customer
withdraws), then made older by moving their closing time back (`age`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from tests.review import helpers
from tests.review.helpers import ApiReviewer
from triage.evidence.models import Evidence
from triage.extensions import db
from triage.history.models import Event
from triage.tickets.models import Ticket
from triage.timeutil import utcnow

# The reviewer and ticket fixtures of tests/review.
make_reviewer = helpers.make_reviewer
reviewer = helpers.reviewer
lead = helpers.lead
submitted = helpers.submitted


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, app_config: dict[str, Any]) -> str:
    """Runs a test once with the local folder and once with the mock_aws bucket."""
    if request.param == "s3":
        request.getfixturevalue("s3_app_config")
    return request.param


@dataclass
class Closed:
    reference: str
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def ticket_id(app: Flask, reference: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))


@pytest.fixture
def closed(app: Flask, submitted, lead: ApiReviewer):
    """closed(how="rejected" | "withdrawn", previews=True) -> Closed: a submitted ticket
    with a PDF and a PNG, decided by a lead (rejected) or withdrawn by the customer; the
    PNG's preview rendered and stored next to it."""

    def make(how: str = "rejected", previews: bool = True) -> Closed:
        ticket = submitted()  # unfreeze: passport (PDF) and card_front (PNG)
        if how == "withdrawn":
            response = ticket.client.post(
                f"/api/v1/tickets/{ticket.reference}/withdraw", headers=ticket.headers
            )
        else:
            taken = lead.post(f"/tickets/{ticket.reference}/reassign", {"reviewer": lead.email})
            assert taken.status_code == 200, taken.json
            response = lead.decide(ticket.reference, "rejected", "The card is not yours.")
        assert response.status_code == 200, response.json
        made = Closed(ticket.reference, ticket_id(app, ticket.reference), ticket.token)
        if previews:
            render_previews(app, made.id)
        return made

    return make


def render_previews(app: Flask, ticket: str) -> None:
    """Render (in this process) the preview of every file of the ticket that has one."""
    from triage.review import preview
    from triage.review.previews import render_previews as render

    with app.app_context():
        files = db.session.scalars(select(Evidence).where(Evidence.ticket_id == ticket)).all()
        wanted = [(e.id, e.content_type) for e in files]
        db.session.rollback()
        for evidence_id, content_type in wanted:
            if preview.can_render(content_type):
                assert render(evidence_id) == "ready"


def age(app: Flask, ticket: str, days: float) -> None:
    """Move the ticket's closing time (decision, or the history's withdrawal) `days` back."""
    at = utcnow() - timedelta(days=days)
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.id == ticket).values(decided_at=at))
        db.session.execute(
            update(Event)
            .where(Event.ticket_id == ticket, Event.action == "withdrawn")
            .values(at=at)
        )
        db.session.commit()


def stored(app: Flask, ticket: str) -> set[str]:
    """Every object under the ticket's prefix: files and derived previews."""
    return {o.key for o in app.extensions["evidence_store"].list(f"tickets/{ticket}/")}


def rows(app: Flask, ticket: str) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {
                "key": e.storage_key,
                "filename": e.filename,
                "size": e.size,
                "content_type": e.content_type,
                "sha256": e.sha256,
                "purged_at": e.purged_at,
            }
            for e in db.session.scalars(
                select(Evidence).where(Evidence.ticket_id == ticket).order_by(Evidence.id)
            )
        ]


def ticket_row(app: Flask, ticket: str) -> Ticket:
    with app.app_context():
        return db.session.get(Ticket, ticket)


def events(app: Flask, ticket: str, action: str | None = None) -> list[Event]:
    with app.app_context():
        query = select(Event).where(Event.ticket_id == ticket).order_by(Event.id)
        if action:
            query = query.where(Event.action == action)
        return list(db.session.scalars(query))


def nothing_missing_unmarked(app: Flask) -> None:
    """recovery.md: no row without `purged_at` points at a missing object."""
    store = app.extensions["evidence_store"]
    present = {o.key for o in store.list("tickets/")}
    with app.app_context():
        unmarked = db.session.scalars(
            select(Evidence.storage_key).where(Evidence.purged_at.is_(None))
        ).all()
    assert [key for key in unmarked if key not in present] == []


def purge(app: Flask, **kwargs: Any):
    """One run of the purge, as the job runs it (the service, in an app context)."""
    from triage.retention.operations import purge_expired

    with app.app_context():
        return purge_expired(app.extensions["evidence_store"], **kwargs)


def reviewer_json(app: Flask, ticket: str) -> dict[str, Any]:
    """The ticket as reviewers' API answers it (triage.review.serialize)."""
    from triage.review.serialize import review_ticket_json

    with app.app_context():
        return review_ticket_json(db.session.get(Ticket, ticket))
