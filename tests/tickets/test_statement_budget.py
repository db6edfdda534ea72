"""The upload path's database budget (issue 10, item 3): what each request sends.

Counted with SQLAlchemy's `before_cursor_execute` (every statement the app sends) and the
connection's `commit` event, on the real endpoints: at most four statements and the
commit per upload, and nothing read back after the commit of a new ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from tests.conftest import ApiTicket
from tests.tickets.conftest import JPEG

COMMIT = "COMMIT"


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app sends inside the block, and COMMIT for each commit."""
    from triage.extensions import db

    sent: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(" ".join(statement.split()))

    def on_commit(conn) -> None:
        sent.append(COMMIT)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def verbs(sent: list[str]) -> list[str]:
    return [s.split()[0].upper() for s in sent]


def request_part(sent: list[str]) -> list[str]:
    """The upload request's own statements, to its commit: after it, in tests, the eager
    analysis job runs (a worker's work in production, triage.evidence.analysis)."""
    return sent[: sent.index(COMMIT) + 1] if COMMIT in sent else sent


@pytest.fixture
def ticket(make_ticket) -> ApiTicket:
    return make_ticket()


def test_an_upload_is_four_statements_and_the_commit(app, ticket, pdf_bytes):
    with statements(app) as sent:
        response = ticket.upload("passport", pdf_bytes, "statement.pdf")
    sent = request_part(sent)
    assert response.status_code == 201, response.json
    assert verbs(sent) == ["SELECT", "UPDATE", "INSERT", "INSERT", COMMIT], sent
    # The token lookup is the ticket's own row, not its flags or its files.
    assert "FROM tickets WHERE" in sent[0] and "JOIN" not in sent[0]
    # One UPDATE both takes the row and checks the caps; no count over the files.
    assert "evidence_count" in sent[1] and "status IN" in sent[1]
    assert not any("count(" in s.lower() for s in sent)


def test_every_upload_of_a_ticket_keeps_the_budget(app, ticket, pdf_bytes):
    ticket.upload("passport", pdf_bytes, "one.pdf")
    with statements(app) as sent:
        second = ticket.upload("card_front", JPEG, "card.jpg")
    assert second.status_code == 201, second.json
    assert verbs(request_part(sent)) == ["SELECT", "UPDATE", "INSERT", "INSERT", COMMIT], sent


def test_the_running_totals_follow_the_files(app, ticket, pdf_bytes):
    from sqlalchemy import select

    from triage.extensions import db
    from triage.tickets.models import Ticket

    ticket.upload("passport", pdf_bytes, "one.pdf")
    ticket.upload("card_front", JPEG, "card.jpg")
    with app.app_context():
        count, total = db.session.execute(
            select(Ticket.evidence_count, Ticket.evidence_bytes).where(
                Ticket.reference == ticket.reference
            )
        ).one()
    assert (count, total) == (2, len(pdf_bytes) + len(JPEG))


def test_a_refused_upload_changes_no_totals(app, ticket, pdf_bytes):
    from sqlalchemy import select

    from triage.extensions import db
    from triage.tickets.models import Ticket

    assert ticket.submit("I have nothing yet").status_code == 200
    refused = ticket.upload("passport", pdf_bytes, "late.pdf")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "invalid_state"
    with app.app_context():
        row = db.session.execute(
            select(Ticket.evidence_count, Ticket.evidence_bytes).where(
                Ticket.reference == ticket.reference
            )
        ).one()
    assert tuple(row) == (0, 0)


def test_creating_a_ticket_reads_nothing_after_its_commit(app, client):
    from tests.conftest import UNFREEZE_WITH_CARD

    with statements(app) as sent:
        response = client.post("/api/v1/tickets", json=UNFREEZE_WITH_CARD)
    assert response.status_code == 201, response.json
    assert response.json["evidence"] == [] and response.json["flags"] == []
    # The account's record (recovery.md) is read first, outside any write; then the
    # ticket and its history go in.
    assert verbs(sent)[:3] == ["SELECT", "INSERT", "INSERT"], sent
    assert "account_records" in sent[0]
    # What runs between commits is the request's own work (and, in tests, the eager email
    # job's); after the last commit the answer must be ready: no read of the ticket.
    last = len(sent) - 1 - sent[::-1].index(COMMIT)
    assert sent[last + 1 :] == [], sent[last + 1 :]


def test_the_new_ticket_serialises_before_the_commit_without_a_read(app):
    """The service's part: a new ticket knows it has no files, flags or requests."""
    from tests.conftest import UNFREEZE_WITH_CARD
    from triage.extensions import db
    from triage.tickets.operations import create_ticket
    from triage.tickets.serialize import ticket_json

    with app.test_request_context():
        new = create_ticket(UNFREEZE_WITH_CARD)
        with statements(app) as sent:
            body = ticket_json(new.ticket)
        db.session.commit()
    assert body["evidence"] == [] and body["flags"] == [] and body["requests"] == []
    assert sent == [], sent
