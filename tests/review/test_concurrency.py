"""Concurrent claimers: no ticket is ever held twice.

Runs on the test database: SQLite by default (the conditional UPDATE guards the claim),
PostgreSQL when TEST_DATABASE_URL is set (SELECT ... FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from triage.extensions import db
from triage.history.models import Event
from triage.review import operations as ops
from triage.reviewers.models import Reviewer
from triage.tickets.models import Ticket


def test_concurrent_claimers_never_hold_one_ticket_twice(
    app, make_reviewer, submitted, monkeypatch
):
    real_take = ops.leases._take

    def slow_take(*args, **kwargs):
        time.sleep(0.01)  # widen the window between choosing a ticket and taking it
        return real_take(*args, **kwargs)

    monkeypatch.setattr(ops.leases, "_take", slow_take)
    tickets = {submitted(account_name=f"account-{i}").reference for i in range(12)}
    reviewers = [make_reviewer(f"reviewer{i}@example.com").id for i in range(4)]
    workers = [r for r in reviewers for _ in range(2)]  # two browser tabs each
    start = threading.Barrier(len(workers))
    got: list[tuple[str, str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    in_flight = [0, 0]  # claims under way now, most ever under way at once

    def claim_until_empty(reviewer_id: int) -> None:
        with app.app_context():  # this thread's own session and connection
            reviewer = db.session.get(Reviewer, reviewer_id)
            db.session.commit()
            start.wait()
            try:
                for _ in range(50):
                    with lock:
                        in_flight[0] += 1
                        in_flight[1] = max(in_flight)
                    ticket = ops.claim_next(reviewer)
                    with lock:
                        in_flight[0] -= 1
                    reference = ticket.reference if ticket else None
                    db.session.commit()
                    if reference is None:
                        return
                    with lock:
                        got.append((reference, reviewer.email))
            except Exception as exc:  # reported below, not lost in the thread
                failures.append(repr(exc))

    threads = [threading.Thread(target=claim_until_empty, args=(r,)) for r in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    references = [reference for reference, _ in got]
    assert sorted(references) == sorted(tickets)  # every ticket once, none twice
    # The claimers really ran side by side. Who wins each claim is the database's
    # choice: on SQLite one writer may take all twelve while the rest wait on its lock.
    assert in_flight[1] > 1
    with app.app_context():
        holders = {
            t.reference: t.claimed_by.email
            for t in db.session.scalars(select(Ticket).where(Ticket.status == "in_review"))
        }
        assert holders == dict(got)
        claims = Counter(
            db.session.scalars(
                select(Ticket.reference)
                .join(Event, Event.ticket_id == Ticket.id)
                .where(Event.action == "claimed")
            )
        )
        assert claims == Counter(tickets)


def test_claims_through_the_api_from_parallel_clients(app, make_reviewer, submitted):
    tickets = {submitted(account_name=f"account-{i}").reference for i in range(6)}
    reviewers = [make_reviewer(f"api{i}@example.com") for i in range(3)]
    start = threading.Barrier(len(reviewers))
    got: list[str] = []
    statuses: list[int] = []

    def claim_until_empty(reviewer) -> None:
        client = app.test_client()  # requests in this thread get their own app context
        start.wait()
        for _ in range(20):
            response = client.post("/api/v1/queue/claim", headers=reviewer.headers)
            statuses.append(response.status_code)
            if response.status_code != 200:
                return
            got.append(response.json["reference"])

    threads = [threading.Thread(target=claim_until_empty, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(got) == sorted(tickets)
    assert set(statuses) == {200, 204}


def test_a_candidate_taken_between_select_and_update_is_skipped(
    app, make_reviewer, submitted, monkeypatch
):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip(
            "PostgreSQL claims in one statement (SELECT ... SKIP LOCKED inside the UPDATE): "
            "there is no window between them; tests/review/test_claim_one_statement.py"
        )
    first, second = submitted().reference, submitted(account_name="second").reference
    mine, theirs = make_reviewer("mine@example.com"), make_reviewer("theirs@example.com")
    taken: dict[str, str] = {}
    real_take = ops.leases._take
    calls = []

    def rival_claims_first(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 1:  # our SELECT found a candidate; a rival acts before our UPDATE

            def rival() -> None:
                with app.app_context():
                    ticket = ops.claim_next(db.session.get(Reviewer, theirs.id))
                    taken["theirs"] = ticket.reference
                    db.session.commit()

            thread = threading.Thread(target=rival)
            thread.start()
            thread.join(timeout=30)
        return real_take(*args, **kwargs)

    monkeypatch.setattr(ops.leases, "_take", rival_claims_first)
    with app.app_context():
        ticket = ops.claim_next(db.session.get(Reviewer, mine.id))
        db.session.commit()
        assert {ticket.reference, taken["theirs"]} == {first, second}
        # No row locks: the rival took our candidate, our UPDATE matched nothing, we retried.
        assert taken["theirs"] == first and ticket.reference == second
        assert len(calls) == 3  # ours, the rival's, our retry
