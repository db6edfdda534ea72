"""Helpers of tests/recovery_abuse."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.conftest import csrf_token
from triage.extensions import db
from triage.tickets.models import Ticket


def make_link(app: Flask, reference: str, token: str) -> None:
    """A "this was not me" link for the ticket, as the owner's notice stores it (hash only)."""
    from triage.recovery.models import DisputeLink
    from triage.secrets import hash_token

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        db.session.add(DisputeLink(ticket_id=ticket.id, token_hash=hash_token(token)))
        db.session.commit()


def not_me_form(client, token: str) -> str:
    shown = client.get(f"/not-me/{token}")
    assert shown.status_code == 200, shown.text[:300]
    return csrf_token(shown.text)


def row(app: Flask, reference: str) -> Any:
    with app.app_context():
        return db.session.scalar(select(Ticket).where(Ticket.reference == reference))
