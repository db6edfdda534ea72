"""Claiming on PostgreSQL lapses, picks, locks, takes, records and reads the ticket in one
statement (issue 10, item 4: claim latency at a million tickets against a bare round trip)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import event

from tests.conftest import UNFREEZE_WITH_CARD


def waiting_tickets(app: Flask, n: int) -> list[str]:
    from triage.extensions import db
    from triage.tickets.operations import create_ticket, submit

    references = []
    with app.test_request_context():
        for _ in range(n):
            new = create_ticket(UNFREEZE_WITH_CARD)
            submit(new.ticket, "I will send the rest later")
            db.session.commit()
            references.append(new.ticket.reference)
    return references


def reviewers(app: Flask, n: int) -> list[int]:
    from triage.extensions import db
    from triage.reviewers.operations import create_reviewer

    with app.app_context():
        ids = [
            create_reviewer(f"r{i}@example.com", f"R{i}", "reviewer", "a long passphrase 1").id
            for i in range(n)
        ]
        db.session.commit()
    return ids


def claim(app: Flask, reviewer_id: int, sent: list[str] | None = None) -> str | None:
    from triage.extensions import db
    from triage.review.operations.leases import claim_next
    from triage.reviewers.models import Reviewer

    with app.test_request_context():
        reviewer = db.session.get(Reviewer, reviewer_id)
        listener = None
        if sent is not None:
            engine = db.engine

            def listener(conn, cursor, statement, *args) -> None:
                sent.append(" ".join(statement.split()))

            event.listen(engine, "before_cursor_execute", listener)
        try:
            ticket = claim_next(reviewer)
            reference = ticket.reference if ticket else None
            status, holder = (ticket.status, ticket.claimed_by_id) if ticket else (None, None)
            db.session.commit()
        finally:
            if listener is not None:
                event.remove(engine, "before_cursor_execute", listener)
    if reference:
        assert status == "in_review" and holder == reviewer_id
    return reference


def test_the_first_waiting_ticket_is_taken_in_one_update(pg_app):
    first, second = waiting_tickets(pg_app, 2)
    (rita,) = reviewers(pg_app, 1)
    sent: list[str] = []
    assert claim(pg_app, rita, sent) == first
    # One statement: lapse, pick (locking, skipping locked rows), take, record, read back.
    (take,) = [s for s in sent if "UPDATE tickets" in s]
    assert take.startswith("WITH expired AS MATERIALIZED")
    assert "FOR UPDATE SKIP LOCKED" in take and "RETURNING" in take
    assert "INSERT INTO events" in take
    # No separate pick, no reload of the ticket or its children, no separate event INSERT.
    assert len(sent) == 1, sent
    # A lease's commit does not wait for the WAL flush (leases.py says why it is safe).
    assert "set_config('synchronous_commit', 'off', true)" in take
    assert claim(pg_app, rita) == second
    assert claim(pg_app, rita) is None  # nothing waits


def test_concurrent_claimers_never_take_one_ticket_twice(pg_app):
    references = waiting_tickets(pg_app, 6)
    ids = reviewers(pg_app, 6)
    got: list[str | None] = []
    start = threading.Barrier(len(ids))

    def one(reviewer_id: int) -> None:
        start.wait()
        got.append(claim(pg_app, reviewer_id))

    threads = [threading.Thread(target=one, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r for r in got if r) == sorted(references)


def test_a_lost_claim_decides_nothing(pg_app):
    """Why the claim may commit without waiting for the WAL flush: were it lost in a crash,
    the ticket waits again, and the reviewer who thought they held it is refused."""
    from triage.errors import InvalidState
    from triage.extensions import db
    from triage.review.operations.decisions import decide
    from triage.reviewers.models import Reviewer
    from triage.tickets.models import Ticket

    (reference,) = waiting_tickets(pg_app, 1)
    (rita,) = reviewers(pg_app, 1)
    assert claim(pg_app, rita) == reference
    with pg_app.test_request_context():  # the crash: the claim never reached the disk
        ticket = db.session.scalar(db.select(Ticket).filter_by(reference=reference))
        ticket.status, ticket.claimed_by_id, ticket.claim_expires_at = "awaiting_review", None, None
        db.session.commit()
    with pg_app.test_request_context():
        ticket = db.session.scalar(db.select(Ticket).filter_by(reference=reference))
        with pytest.raises(InvalidState):
            decide(ticket, db.session.get(Reviewer, rita), "rejected", "no")


def test_only_a_transaction_that_took_a_ticket_skips_the_wal_flush(pg_app):
    from sqlalchemy import text

    from triage.extensions import db
    from triage.review.operations.leases import claim_next
    from triage.reviewers.models import Reviewer

    (reference,) = waiting_tickets(pg_app, 1)
    (rita,) = reviewers(pg_app, 1)
    for expected in (reference, None):
        with pg_app.test_request_context():
            db.session.execute(
                text("SET LOCAL synchronous_commit = on")
            )  # the test database's is off
            ticket = claim_next(db.session.get(Reviewer, rita))
            assert (ticket.reference if ticket else None) == expected
            mode = db.session.scalar(text("SHOW synchronous_commit"))
            assert mode == ("off" if expected else "on")
            db.session.commit()
