"""Fixtures of tests/recovery: account-change tickets whose record names a registered
email, a real SMTP server (aiosmtpd, tests/notifications) and the owner's links.

The accounts of record and the second approval are other parts of issue 12: where a test
needs their outcome (a ticket's `record`, its final approval with `effective_at`) it sets
the columns directly and records the history event those parts record, so the outbox's
history hook runs exactly as it does for them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, UNFREEZE_WITH_CARD, ApiTicket, csrf_token
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    Inbox,
    app_config,
    html_part,
    smtp,
    text_part,
)
from tests.review.helpers import (  # noqa: F401 - fixtures
    STANDARD_FILES,
    lead,
    make_reviewer,
    reviewer,
    unique_pdf,
    unique_png,
)

OWNER = "real.owner@example.org"
CONTACT = "owner@example.com"  # the ticket's contact email (CHANGE_DIRECT_AUTHENTICATED)
CHANGE = {**CHANGE_DIRECT_AUTHENTICATED, "change": {"mobile": "+44 7700 900123"}}
UNFREEZE = UNFREEZE_WITH_CARD
LINK = re.compile(r"https://triage\.example/not-me/([A-Za-z0-9_\-]+)(?:\?lang=[A-Za-z_]+)?")


def record_of(
    email: str | None, account_name: str = "acme-cloud", language: str | None = None
) -> dict[str, Any]:
    """An account's record as the accounts part stores it on the ticket; `language`, the
    account's own (the HTTP directory may say it), only when given."""
    record = {
        "account_name": account_name,
        "customer_type": "direct",
        "real_name_auth": "completed",
        "account_type": "individual",
        "card_added": False,
        "payments_made": False,
        "enterprise_in_china": None,
        "email": email,
        "mobile": "+86 138 0013 1234",
        "card_last4": None,
    }
    if language is not None:
        record["language"] = language
    return record


def set_columns(app: Flask, reference: str, **values: Any) -> None:
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        for name, value in values.items():
            setattr(ticket, name, value)
        db.session.commit()


def ticket_row(app: Flask, reference: str) -> Any:
    """The ticket as committed now (columns readable after the context ends)."""
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        # Flags load with the row (selectin), so they stay readable after the context.
        return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def history(app: Flask, reference: str) -> list[tuple[str, str, dict[str, Any]]]:
    from triage.extensions import db
    from triage.history.models import Event
    from triage.tickets.models import Ticket

    with app.app_context():
        rows = db.session.execute(
            select(Event.action, Event.actor, Event.details)
            .join(Ticket, Ticket.id == Event.ticket_id)
            .where(Ticket.reference == reference)
            .order_by(Event.id)
        ).all()
        return [(r.action, r.actor, dict(r.details or {})) for r in rows]


def notifications(app: Flask, reference: str) -> list[dict[str, Any]]:
    from triage.extensions import db
    from triage.notifications.models import Notification
    from triage.tickets.models import Ticket

    with app.app_context():
        rows = db.session.scalars(
            select(Notification)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.reference == reference)
            .order_by(Notification.id)
        )
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "recipient": n.recipient,
                "status": n.status,
                "context": n.context,
                "language": n.language,
            }
            for n in rows
        ]


@dataclass
class Change:
    """An account-change ticket in review whose record names `owner` as registered email."""

    ticket: ApiTicket
    app: Flask

    @property
    def reference(self) -> str:
        return self.ticket.reference

    def approve(self, effective_at: datetime, after_dispute: bool = False) -> None:
        """The final approval as the second-approval part writes it: `approved`,
        `decided_at`, `effective_at`, and the `decided` event (its outbox hook runs)."""
        from triage.extensions import db
        from triage.history.models import record
        from triage.tickets.models import Ticket
        from triage.timeutil import utcnow

        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == self.reference))
            now = utcnow()
            ticket.status = "approved"
            ticket.decided_at = now
            ticket.second_approved_at = now
            ticket.effective_at = effective_at
            details: dict[str, Any] = {"decision": "approved", "note": None}
            if after_dispute:
                details["after_dispute"] = True
            record(ticket.id, "lena@example.com", "decided", **details)
            db.session.commit()


@pytest.fixture
def change_ticket(app: Flask, make_ticket, pdf_bytes):
    """change_ticket(owner=OWNER, base=CHANGE, record_status="matched", headers=None,
    submit=True, language=None) -> Change: made through the API, its record set (with the
    account's `language` when given), files uploaded, submitted.
    """

    def make(
        owner: str | None = OWNER,
        base: dict[str, Any] | None = None,
        record_status: str = "matched",
        headers: dict[str, str] | None = None,
        submit: bool = True,
        language: str | None = None,
    ) -> Change:
        body = dict(base or CHANGE)
        client = app.test_client()
        response = client.post("/api/v1/tickets", json=body, headers=headers or {})
        assert response.status_code == 201, response.json
        ticket = ApiTicket(response.json["reference"], response.json["access_token"], client)
        set_columns(
            app,
            ticket.reference,
            record=None if record_status == "pending" else record_of(owner, language=language),
            record_status=record_status,
        )
        for material in STANDARD_FILES[body["type"]]:
            if material == "card_front":
                uploaded = ticket.upload(material, unique_png(), "card.png")
            else:
                uploaded = ticket.upload(material, unique_pdf(pdf_bytes), f"{material}.pdf")
            assert uploaded.status_code == 201, uploaded.json
        if submit:
            assert ticket.submit().status_code == 200
        return Change(ticket, app)

    return make


def links_in(message) -> list[str]:
    """The "this was not me" tokens a message carries (text and HTML alike)."""
    return sorted(set(LINK.findall(text_part(message)) + LINK.findall(html_part(message))))


def owner_messages(inbox: Inbox, count: int, address: str = OWNER) -> list[Any]:
    """The messages to `address` once `count` messages in all have arrived."""
    inbox.wait_for(count, timeout=10)
    return inbox.to(address)


def page(client, token: str):
    return client.get(f"/not-me/{token}")


def press(client, token: str):
    """Open the link's page and press its button (CSRF token from the page)."""
    shown = client.get(f"/not-me/{token}")
    assert shown.status_code == 200, shown.text[:400]
    return client.post(f"/not-me/{token}", data={"csrf_token": csrf_token(shown.text)})


def post_together(app: Flask, tokens: list[str]) -> list[Any]:
    """POST each link's form at the same instant, one thread and one client (own session,
    connection and CSRF token, each fetched first) per link; the responses in order."""
    clients = [app.test_client() for _ in tokens]
    forms = [csrf_token(c.get(f"/not-me/{t}").text) for c, t in zip(clients, tokens, strict=True)]
    start = threading.Barrier(len(tokens))
    answers: list[Any] = [None] * len(tokens)
    failures: list[BaseException] = []

    def fire(i: int) -> None:
        try:
            start.wait(timeout=10)
            answers[i] = clients[i].post(f"/not-me/{tokens[i]}", data={"csrf_token": forms[i]})
        except BaseException as exc:  # raised below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    return answers


def later(hours: float) -> datetime:
    from triage.timeutil import utcnow

    return utcnow() + timedelta(hours=hours)
