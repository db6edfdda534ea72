"""A real HTTP account directory (http.server on a free port, started by the tests): the
normalised key, a slow one, errors, one that is down, and the job that retries while it is
(recovery.md "Accounts of record")."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from tests.accounts.conftest import ACME_RECORD, CLAIMS_NOTHING
from tests.accounts.test_creation import _recheck, _stored
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from triage.tickets.models import Ticket


@pytest.fixture
def app_config(http_config):
    return http_config


def test_the_http_directory_is_asked_by_the_normalised_key(app, directory, make_ticket):
    directory.records["acme-cloud"] = ACME_RECORD
    ticket = make_ticket(CLAIMS_NOTHING, account_name=" ACME-Cloud\u200b ")
    assert directory.asked == ["acme-cloud"]
    stored = _stored(app, ticket.reference)
    assert stored["status"] == "mismatch"
    assert stored["record"]["mobile"] == ACME_RECORD["mobile"]
    other = make_ticket(CLAIMS_NOTHING, account_name="nobody")
    assert _stored(app, other.reference)["status"] == "unknown"


def test_a_slow_directory_does_not_hold_the_customer_beyond_the_timeout(
    app, directory, make_ticket
):
    directory.records["acme-cloud"] = ACME_RECORD
    directory.delay = 5  # the timeout is 1 s
    started = time.monotonic()
    ticket = make_ticket(CLAIMS_NOTHING)
    assert time.monotonic() - started < 3
    stored = _stored(app, ticket.reference)
    assert stored["status"] == "pending"
    assert stored["flags"] == ["unknown_account"]
    assert stored["events"] == [{"status": "pending"}]
    # The customer sees none of it.
    assert ticket.get()["flags"] == []


def test_a_directory_trickling_its_answer_is_cut_at_the_timeout(app, directory, make_ticket):
    directory.trickle = True  # about 40 s for the whole record at this pace
    started = time.monotonic()
    ticket = make_ticket(CLAIMS_NOTHING)
    assert time.monotonic() - started < 3
    assert _stored(app, ticket.reference)["status"] == "pending"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, None),
        (500, None),
        (None, b"<html>oops"),
        (None, b"[1]"),
        (None, b'{"account_name": "acme", "card_added": "maybe"}'),
    ],
)
def test_errors_and_nonsense_leave_it_pending(app, directory, make_ticket, status, body):
    directory.status, directory.body = status, body
    ticket = make_ticket(CLAIMS_NOTHING)
    assert _stored(app, ticket.reference)["status"] == "pending"


def test_directory_down_then_back_the_job_fixes_it(app, directory_down, make_ticket):
    directory_down.records["acme-cloud"] = ACME_RECORD
    ticket = make_ticket(CLAIMS_NOTHING)  # connection refused: nothing listens on the port
    other = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="nobody")
    assert _stored(app, ticket.reference)["status"] == "pending"
    assert _stored(app, ticket.reference)["flags"] == ["unknown_account"]
    # Still down: the job changes nothing but the time of its attempt.
    assert _recheck(app) == 0
    assert _stored(app, ticket.reference)["status"] == "pending"
    assert _stored(app, ticket.reference)["events"] == [{"status": "pending"}]

    directory_down.start()
    assert _recheck(app) == 2
    stored = _stored(app, ticket.reference)
    assert stored["status"] == "mismatch"
    assert stored["flags"] == ["facts_mismatch"]  # `unknown_account` removed
    assert stored["events"] == [{"status": "pending"}, {"status": "mismatch"}]
    assert _stored(app, other.reference)["status"] == "unknown"
    assert _stored(app, other.reference)["flags"] == ["unknown_account"]
    # Idempotent: a second run finds nothing to do and writes nothing.
    asked = len(directory_down.asked)
    assert _recheck(app) == 0
    assert len(directory_down.asked) == asked
    assert _stored(app, ticket.reference)["events"] == [
        {"status": "pending"},
        {"status": "mismatch"},
    ]


def test_the_job_skips_withdrawn_tickets(app, directory_down, make_ticket):
    ticket = make_ticket(CLAIMS_NOTHING)
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/withdraw", headers=ticket.headers
    )
    assert response.status_code == 200, response.json
    directory_down.start()
    assert _recheck(app) == 0
    assert directory_down.asked == []


def test_two_concurrent_rechecks_store_one_outcome(app, directory_down, make_ticket):
    from triage.accounts.directory import Lookup
    from triage.accounts.operations import recheck_one
    from triage.extensions import db

    ticket = make_ticket(CLAIMS_NOTHING)
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == ticket.reference))
    answer = Lookup("found", {**ACME_RECORD, "enterprise_in_china": None})
    results: list[str | None] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(recheck_one(ticket_id, answer))
                db.session.commit()
            finally:
                db.session.rollback()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results, key=str) == [None, "mismatch"]  # one stored, one found it done
    stored = _stored(app, ticket.reference)
    assert stored["events"] == [{"status": "pending"}, {"status": "mismatch"}]
    assert stored["flags"] == ["facts_mismatch"]
