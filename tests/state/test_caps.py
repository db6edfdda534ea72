"""The per-ticket cap holds under parallel uploads (security.md "State, text and load").

README: "a ticket holds at most `TICKET_MAX_FILES` files and `TICKET_MAX_BYTES` bytes".
Issue 9 saw 20 parallel uploads take a ticket with a 40-file cap to 41-46 files on SQLite.
Every upload takes the ticket's row (PostgreSQL) or the database's write lock (SQLite)
with its status guard before it counts, so the count and the insert cannot interleave.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.review.helpers import unique_pdf
from tests.state.conftest import evidence_keys, race, stored_keys, ticket_row, upload
from triage.extensions import db
from triage.history.models import Event

PARALLEL = 30


def uploads(ticket, files: list[bytes]) -> list:
    return [upload(ticket.reference, ticket.headers, "passport", f, "passport.pdf") for f in files]


def only_these_outcomes(responses, accepted: int) -> None:
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * accepted + [413] * (len(responses) - accepted), codes
    refused = [r.json["error"]["code"] for r in responses if r.status_code == 413]
    assert set(refused) <= {"file_too_large"}


def uploaded_events(app, ticket_id: str) -> int:
    with app.app_context():
        return (
            db.session.query(Event)
            .filter_by(ticket_id=ticket_id, action="evidence_uploaded")
            .count()
        )


@pytest.fixture
def five_files_per_ticket(app_config):
    app_config["TICKET_MAX_FILES"] = 5


def test_parallel_uploads_never_pass_the_file_cap(
    five_files_per_ticket, app, make_ticket, pdf_bytes
):
    ticket = make_ticket()
    responses = race(app, *uploads(ticket, [unique_pdf(pdf_bytes) for _ in range(PARALLEL)]))
    only_these_outcomes(responses, accepted=5)
    row = ticket_row(app, ticket.reference)
    assert len(evidence_keys(app, row.id)) == 5
    assert stored_keys(app, row.id) == evidence_keys(app, row.id)  # refused files left no object
    assert uploaded_events(app, row.id) == 5


def test_parallel_uploads_up_to_the_cap_all_succeed(
    five_files_per_ticket, app, make_ticket, pdf_bytes
):
    # Serialising on the ticket must not refuse what fits: two at a time, twice, then one.
    ticket = make_ticket()
    for batch in (2, 2, 1):
        responses = race(app, *uploads(ticket, [unique_pdf(pdf_bytes) for _ in range(batch)]))
        assert [r.status_code for r in responses] == [201] * batch
    assert len(evidence_keys(app, ticket_row(app, ticket.reference).id)) == 5


@pytest.fixture
def three_files_of_bytes(app_config, pdf_bytes):
    # unique_pdf adds a comment of fixed length, so every file has this size.
    size = len(unique_pdf(pdf_bytes))
    app_config["TICKET_MAX_BYTES"] = 3 * size + size // 2
    return size


def test_parallel_uploads_never_pass_the_byte_cap(
    three_files_of_bytes, app, make_ticket, pdf_bytes
):
    ticket = make_ticket()
    responses = race(app, *uploads(ticket, [unique_pdf(pdf_bytes) for _ in range(PARALLEL)]))
    only_these_outcomes(responses, accepted=3)
    row = ticket_row(app, ticket.reference)
    assert len(evidence_keys(app, row.id)) == 3
    assert stored_keys(app, row.id) == evidence_keys(app, row.id)


def test_an_upload_takes_the_ticket_before_it_counts(app, make_ticket, pdf_bytes):
    # The order that makes the cap hold, in as few statements as it can be done: the
    # status guard (which takes the lock), one aggregate, then the inserts.
    ticket = make_ticket()
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine

    def committed(conn) -> None:
        statements.append("COMMIT")

    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", committed)
    try:
        response = ticket.upload("passport", unique_pdf(pdf_bytes), "passport.pdf")
    finally:
        event.remove(engine, "before_cursor_execute", note)
        event.remove(engine, "commit", committed)
    assert response.status_code == 201, response.json
    guard = next(i for i, s in enumerate(statements) if s.startswith("UPDATE tickets"))
    assert "WHERE tickets.id = " in statements[guard] and "tickets.status IN" in statements[guard]
    expected = (
        "UPDATE tickets",
        "INSERT INTO evidence",
        "INSERT INTO events",
    )
    # To the request's commit: after it, in tests, the eager analysis job runs.
    after = statements[guard : statements.index("COMMIT", guard)]
    assert len(after) == len(expected), after
    assert all(s.startswith(start) for s, start in zip(after, expected, strict=True)), after
