"""What one claim sends and answers (issue 10, item 4: a claim within twice a bare round trip).

PostgreSQL claims in one statement (triage.review.operations.leases.CLAIM_SQL), which also
hands expired leases back and reads the ticket's flags, evidence and requests: these tests
pin that down, and check that the answer and the history are what the ORM path (SQLite,
and every earlier version) gives.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, update

from tests.review.helpers import unique_pdf, unique_png
from triage.extensions import db
from triage.history.models import Event
from triage.review.serialize import review_ticket_json
from triage.tickets.models import Ticket
from triage.timeutil import iso, utcnow


def postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def statements_of(app: Flask, call) -> tuple[list[str], object]:
    """Every statement sent to the database while `call()` runs, whitespace collapsed."""
    sent: list[str] = []

    def listener(conn, cursor, statement, *args) -> None:
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return sent, result


def set_expiry(app: Flask, reference: str, when) -> None:
    with app.app_context():
        db.session.execute(
            update(Ticket).where(Ticket.reference == reference).values(claim_expires_at=when)
        )
        db.session.commit()


def history(app: Flask, reference: str) -> list[tuple[str, str, dict]]:
    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(reference=reference).one()
        events = db.session.scalars(
            db.select(Event).where(Event.ticket_id == ticket.id).order_by(Event.at, Event.id)
        )
        return [(e.actor, e.action, e.details) for e in events]


def fresh_json(app: Flask, reference: str) -> dict:
    """The reviewer's JSON of the ticket as a new session reads it, as the API sends it."""
    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(reference=reference).one()
        return app.json.loads(app.json.dumps(review_ticket_json(ticket)))


def test_a_claim_is_the_token_lookup_and_one_statement_on_postgresql(app, reviewer, submitted):
    if not postgres(app):
        pytest.skip("PostgreSQL only: set TEST_DATABASE_URL")
    ticket = submitted()
    assert reviewer.queue().status_code == 200  # the token's use is noted: no UPDATE below
    sent, response = statements_of(app, reviewer.claim)
    assert response.status_code == 200 and response.json["reference"] == ticket.reference
    token, claim = sent
    assert "FROM reviewer_tokens JOIN reviewers" in token
    assert claim.startswith("WITH expired AS MATERIALIZED") and "INSERT INTO events" in claim
    # Nothing waits: still two statements, and the answer is 204.
    sent, response = statements_of(app, reviewer.claim)
    assert response.status_code == 204 and len(sent) == 2


def test_the_claim_answers_what_a_fresh_read_of_the_ticket_gives(
    app, reviewer, submitted, pdf_bytes
):
    """Flags, evidence (reviewed and not) and requests, read by the claim itself."""
    ticket = submitted(files=["passport"], explanation="The card photo follows.")
    body = reviewer.claim().json
    ids = {e["material"]: e["id"] for e in body["evidence"]}
    assert reviewer.review(ids["passport"], "rejected", "blurry").status_code == 200
    response = reviewer.request_materials(
        ticket.reference, ["passport", "card_front"], "A sharper passport and the card."
    )
    assert response.status_code == 200, response.json
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "passport.pdf").status_code == 201
    assert ticket.upload("card_front", unique_png(), "card.png").status_code == 201
    assert ticket.submit().status_code == 200

    response = reviewer.claim()
    assert response.status_code == 200
    body = response.json
    assert body["reference"] == ticket.reference and body["claimed_by"] == reviewer.email
    assert len(body["evidence"]) == 3 and len(body["requests"]) == 1
    assert body["evidence"][0]["review"]["reason"] == "blurry"
    assert body == fresh_json(app, ticket.reference)


def test_the_claim_answers_flags_as_a_fresh_read_does(app, reviewer, submitted):
    ticket = submitted(files=["passport"], explanation="The card photo follows.")
    body = reviewer.claim().json
    assert body["flags"], "a ticket sent without its card is flagged"
    assert body == fresh_json(app, ticket.reference)


@pytest.mark.parametrize("microseconds", [0, 123456])
def test_a_claim_takes_an_expired_lease_over_in_its_place(
    app, reviewer, other_reviewer, submitted, microseconds
):
    """No queue read in between: the claim itself hands the lease back and takes it."""
    ticket = submitted()
    later = submitted(account_name="later")
    assert reviewer.claim().json["reference"] == ticket.reference
    expired = (utcnow() - timedelta(seconds=5)).replace(microsecond=microseconds)
    set_expiry(app, ticket.reference, expired)

    body = other_reviewer.claim().json
    assert body["reference"] == ticket.reference  # its old place: before `later`
    assert body["claimed_by"] == other_reviewer.email and body["status"] == "in_review"
    events = history(app, ticket.reference)
    assert events[-3:] == [
        (
            f"reviewer:{reviewer.email}",
            "claimed",
            {"reviewer": reviewer.email, "expires_at": events[-3][2]["expires_at"]},
        ),
        (
            "system",
            "claim_lapsed",
            {
                "reviewer": reviewer.email,
                "expired_at": iso(expired),
                "idle_minutes": app.config["CLAIM_IDLE_MINUTES"],
            },
        ),
        (
            f"reviewer:{other_reviewer.email}",
            "claimed",
            {"reviewer": other_reviewer.email, "expires_at": body["claim_expires_at"]},
        ),
    ]
    assert [a for _, a, _ in history(app, later.reference)].count("claimed") == 0


def test_expired_leases_behind_the_first_waiting_ticket_are_handed_back(
    app, reviewer, other_reviewer, lead, submitted
):
    first, second = submitted(), submitted(account_name="second")
    assert reviewer.claim().json["reference"] == first.reference
    assert other_reviewer.claim().json["reference"] == second.reference
    assert reviewer.release(first.reference).status_code == 200
    set_expiry(app, second.reference, utcnow() - timedelta(seconds=1))

    assert lead.claim().json["reference"] == first.reference
    queue = {i["reference"]: i for i in reviewer.queue().json["items"]}
    assert queue[second.reference]["claimed_by"] is None
    lapsed = [d for _, a, d in history(app, second.reference) if a == "claim_lapsed"]
    assert len(lapsed) == 1 and lapsed[0]["reviewer"] == other_reviewer.email
    assert history(app, second.reference)[-1][1] == "claim_lapsed"


def test_a_typed_claim_hands_back_an_expired_lease_of_another_type(
    app, reviewer, other_reviewer, submitted
):
    from tests.conftest import CHANGE_DIRECT_AUTHENTICATED

    unfreeze = submitted()
    change = submitted(CHANGE_DIRECT_AUTHENTICATED, account_name="changing")
    assert reviewer.claim("unfreeze").json["reference"] == unfreeze.reference
    set_expiry(app, unfreeze.reference, utcnow() - timedelta(seconds=1))

    assert other_reviewer.claim("account_change").json["reference"] == change.reference
    assert history(app, unfreeze.reference)[-1][1] == "claim_lapsed"
    # The handed-back ticket waits in its place for the next claim of any type.
    assert reviewer.claim().json["reference"] == unfreeze.reference
