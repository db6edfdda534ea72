"""Conflicting claims fired together through the API: each ticket has exactly one winner.

PostgreSQL's claim (one statement: lapse, pick with SKIP LOCKED, take, record) is the case
that matters; SQLite runs the same test (its claims queue on the database lock).
"""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from tests.review.helpers import expire_claim
from triage.extensions import db
from triage.history.models import Event
from triage.tickets.models import Ticket

CLAIMERS = 6


def test_claimers_fired_together_share_out_waiting_and_expired_tickets_once(
    app, make_reviewer, submitted
):
    expired = submitted(account_name="expired")
    waiting = {submitted(account_name=f"waiting-{i}").reference for i in range(2)}
    holder = make_reviewer("holder@example.com")
    assert holder.claim().json["reference"] == expired.reference
    expire_claim(app, expired.reference)
    claimers = [make_reviewer(f"claimer{i}@example.com") for i in range(CLAIMERS)]
    start = threading.Barrier(CLAIMERS)
    answers: list[tuple[str, int, str | None]] = []
    lock = threading.Lock()

    def claim(who) -> None:
        start.wait()
        response = who.claim()
        reference = response.json["reference"] if response.status_code == 200 else None
        with lock:
            answers.append((who.email, response.status_code, reference))

    threads = [threading.Thread(target=claim, args=(who,)) for who in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == CLAIMERS
    won = {reference: email for email, status, reference in answers if status == 200}
    assert sorted(won) == sorted(waiting | {expired.reference})  # three winners, no repeats
    assert Counter(status for _, status, _ in answers) == {200: 3, 204: CLAIMERS - 3}
    with app.app_context():
        rows = db.session.execute(
            select(Ticket.reference, Ticket.status, Ticket.claimed_by_id, Ticket.id).where(
                Ticket.reference.in_(won)
            )
        ).all()
        emails = {who.id: who.email for who in claimers}
        assert {r.reference: emails.get(r.claimed_by_id) for r in rows} == won
        assert {r.status for r in rows} == {"in_review"}
        events = Counter(
            (e.ticket_id, e.action)
            for e in db.session.scalars(
                select(Event).where(Event.ticket_id.in_(r.id for r in rows))
            )
        )
    by_reference = {r.reference: r.id for r in rows}
    # One `claimed` per win (the expired ticket also has the holder's), one `claim_lapsed`.
    assert events[(by_reference[expired.reference], "claim_lapsed")] == 1
    assert events[(by_reference[expired.reference], "claimed")] == 2
    for reference in waiting:
        assert events[(by_reference[reference], "claimed")] == 1
