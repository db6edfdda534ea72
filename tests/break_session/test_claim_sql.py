"""PostgreSQL's claim in one statement (triage.review.operations.leases.CLAIM_SQL) against
what the ORM path gives: queue order under concurrency, session time zones, odd text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import create_engine, text, update

from tests.review.helpers import unique_pdf
from triage.extensions import db
from triage.history.models import Event
from triage.review.serialize import review_ticket_json
from triage.tickets.models import Ticket
from triage.timeutil import iso, utcnow


@pytest.fixture
def pg(pg_app: Flask) -> Flask:
    return pg_app


def set_expiry(app: Flask, reference: str, when) -> None:
    with app.app_context():
        db.session.execute(
            update(Ticket).where(Ticket.reference == reference).values(claim_expires_at=when)
        )
        db.session.commit()


def events(app: Flask, reference: str, at: bool = False) -> list[tuple]:
    """The ticket's history as the API orders it (oldest first)."""
    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(reference=reference).one()
        rows = db.session.scalars(
            db.select(Event).where(Event.ticket_id == ticket.id).order_by(Event.at, Event.id)
        )
        if at:
            return [(e.id, iso(e.at), e.action, e.details.get("reviewer")) for e in rows]
        return [(e.action, e.details) for e in rows]


def fresh_json(app: Flask, reference: str) -> dict:
    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(reference=reference).one()
        return app.json.loads(app.json.dumps(review_ticket_json(ticket)))


def test_a_claim_beside_a_locked_first_ticket_takes_the_lapsed_one_before_the_next(
    pg, reviewer, other_reviewer, submitted
):
    """Queue order: A (waiting, being taken by another claimer: its row is locked),
    X (lease expired), C (waiting). A claim passes A over (SKIP LOCKED) and must take the
    next in queue order, X, as the ORM path would (X is handed back first and waits in
    its place before C). CLAIM_SQL compares X only with the first waiting row *including*
    locked ones (`w`), finds X after A, and then takes C: X is handed back behind it."""
    a, x, _c = submitted(), submitted(account_name="second"), submitted(account_name="third")
    assert other_reviewer.claim().json["reference"] == a.reference
    assert other_reviewer.claim().json["reference"] == x.reference
    assert other_reviewer.release(a.reference).status_code == 200
    set_expiry(pg, x.reference, utcnow() - timedelta(seconds=1))

    engine = create_engine(pg.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as other:  # another claimer, between its pick and its commit
            other.execute(
                text("SELECT id FROM tickets WHERE reference = :r FOR UPDATE"), {"r": a.reference}
            )
            body = reviewer.claim().json
            other.rollback()
    finally:
        engine.dispose()
    assert body["reference"] == x.reference, (
        f"took {body['reference']} (third in queue) over the lapsed {x.reference} (second)"
    )


def test_many_claimers_over_http_take_each_ticket_once(pg, make_reviewer, submitted, live_server):
    """Ten real HTTP claims at once over six waiting tickets, two of them lapsed: six 200s
    (each ticket once), four 204s, and each ticket's history is claimed last, once."""
    import concurrent.futures

    import requests

    tickets = [submitted(account_name=f"acct{i}") for i in range(6)]
    holder = make_reviewer("holder@example.com")
    for t in tickets[:2]:
        assert holder.claim().json["reference"] == t.reference
    for t in tickets[:2]:
        set_expiry(pg, t.reference, utcnow() - timedelta(seconds=1))
    claimers = [make_reviewer(f"c{i}@example.com") for i in range(10)]

    def claim(who):
        return requests.post(f"{live_server}/api/v1/queue/claim", headers=who.headers, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(claim, claimers))
    taken = [r.json()["reference"] for r in answers if r.status_code == 200]
    assert sorted(r.status_code for r in answers) == [200] * 6 + [204] * 4
    assert sorted(taken) == sorted(t.reference for t in tickets)
    for t in tickets:
        actions = [a for a, _ in events(pg, t.reference)]
        assert actions[-1] == "claimed"
    for t in tickets[:2]:
        assert [a for a, _ in events(pg, t.reference)].count("claim_lapsed") == 1


@pytest.fixture
def far_zone(app_config):
    """Every connection of the app in a zone with a 45-minute offset (Asia/Kathmandu)."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "connect_args": {"options": "-c timezone=Asia/Kathmandu"}
    }
    return app_config


@pytest.mark.parametrize("microseconds", [0, 5, 120000])
def test_a_claim_in_another_session_time_zone_answers_and_records_as_a_fresh_read(
    far_zone, pg, reviewer, other_reviewer, submitted, microseconds
):
    ticket = submitted()
    assert reviewer.claim().status_code == 200
    expired = (utcnow() - timedelta(seconds=5)).replace(microsecond=microseconds)
    set_expiry(pg, ticket.reference, expired)
    body = other_reviewer.claim().json
    assert body["reference"] == ticket.reference
    assert body == fresh_json(pg, ticket.reference)
    lapsed = [d for a, d in events(pg, ticket.reference) if a == "claim_lapsed"]
    assert lapsed == [
        {
            "reviewer": reviewer.email,
            "expired_at": iso(expired),
            "idle_minutes": pg.config["CLAIM_IDLE_MINUTES"],
        }
    ]
    assert body["claim_expires_at"].endswith("Z")


def test_a_claim_of_odd_text_answers_as_a_fresh_read(pg, reviewer, make_ticket, pdf_bytes):
    odd = 'Ünïcødé 名前 \u200b\U0001f600 "quotes" \\ back\\slash </script>'
    ticket = make_ticket(account_name="名前-" + "x" * 150, description=odd * 20)
    for i in range(6):
        response = ticket.upload("passport", unique_pdf(pdf_bytes), f"Ünïcødé 名前 {i}.pdf")
        assert response.status_code == 201, response.json
    assert ticket.submit(odd * 10).status_code == 200
    body = reviewer.claim().json
    assert body["reference"] == ticket.reference
    assert len(body["evidence"]) == 6
    assert body == fresh_json(pg, ticket.reference)
    # A request with odd text, answered: the second claim reads it back as JSON too.
    message = (odd + " ") * 20
    response = reviewer.request_materials(ticket.reference, ["passport"], message.strip())
    assert response.status_code == 200, response.json
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "again.pdf").status_code == 201
    response = ticket.submit("Here is a sharper one.")
    assert response.status_code == 200, response.json
    body = reviewer.claim().json
    assert body["reference"] == ticket.reference and len(body["requests"]) == 1
    assert body == fresh_json(pg, ticket.reference)


def test_a_lapsed_lease_of_a_deactivated_holder_records_its_email(
    pg, reviewer, other_reviewer, submitted
):
    from triage.reviewers.models import Reviewer

    ticket = submitted()
    assert reviewer.claim().status_code == 200
    with pg.app_context():
        db.session.get(Reviewer, reviewer.id).active = False
        db.session.commit()
    set_expiry(pg, ticket.reference, utcnow() - timedelta(seconds=1))
    assert other_reviewer.claim().json["reference"] == ticket.reference
    lapsed = [d for a, d in events(pg, ticket.reference) if a == "claim_lapsed"]
    assert [d["reviewer"] for d in lapsed] == [reviewer.email]


def test_a_second_claim_by_the_holder_takes_the_next_ticket(pg, reviewer, submitted):
    first, second = submitted(), submitted(account_name="second")
    assert reviewer.claim().json["reference"] == first.reference
    assert reviewer.claim().json["reference"] == second.reference
    assert reviewer.claim().status_code == 204
    assert [a for a, _ in events(pg, first.reference)].count("claimed") == 1


def test_priority_orders_claims_before_submission_time(pg, lead, reviewer, submitted):
    early, late = submitted(), submitted(account_name="late")
    with pg.app_context():  # an unfreeze is "high" (0): the early one made "low"
        db.session.execute(
            update(Ticket).where(Ticket.reference == early.reference).values(priority_rank=2)
        )
        db.session.commit()
    assert reviewer.claim().json["reference"] == late.reference
    assert reviewer.claim().json["reference"] == early.reference


def test_a_claim_of_a_ticket_already_in_the_session_answers_its_new_holder(
    app, reviewer, other_reviewer, submitted
):
    """`_as_loaded` promises what `populate_existing` gives (the SQLite path's reload):
    a ticket the session already holds, with its `claimed_by` read, must come back
    held by the claimer. Only the columns are set, so the relationship still names the
    old holder."""
    from triage.review.operations.leases import claim_next
    from triage.reviewers.models import Reviewer

    ticket = submitted()
    assert reviewer.claim().status_code == 200
    set_expiry(app, ticket.reference, utcnow() - timedelta(seconds=1))
    with app.test_request_context():
        before = db.session.query(Ticket).filter_by(reference=ticket.reference).one()
        assert before.claimed_by.email == reviewer.email  # read, so loaded
        claimer = db.session.get(Reviewer, other_reviewer.id)
        taken = claim_next(claimer)
        assert taken is before
        assert taken.claimed_by_id == other_reviewer.id
        assert review_ticket_json(taken)["claimed_by"] == other_reviewer.email
        db.session.rollback()


def test_claims_racing_withdrawals_releases_and_lapses_keep_every_history_sane(
    pg, make_reviewer, submitted, live_server
):
    """Eight waiting tickets, two held by a holder whose lease runs out, two held by one
    who releases them now; six claimers, four customers withdrawing, all at once over real
    HTTP. Afterwards each ticket's history alternates claims with their ends (released,
    claim_lapsed, withdrawn), every 200 claim is the last `claimed` of its ticket before
    any withdrawal, and no ticket is in review without a holder."""
    import concurrent.futures

    import requests

    tickets = [submitted(account_name=f"acct{i}") for i in range(8)]
    lapsing = make_reviewer("lapsing@example.com")
    releasing = make_reviewer("releasing@example.com")
    for _ in range(2):
        assert lapsing.claim().status_code == 200
    held = [releasing.claim().json["reference"] for _ in range(2)]
    lapsed_refs = [t.reference for t in tickets[:2]]
    for reference in lapsed_refs:
        set_expiry(pg, reference, utcnow() - timedelta(seconds=1))
    claimers = [make_reviewer(f"c{i}@example.com") for i in range(6)]
    withdrawing = tickets[1::2]

    def job(kind, who):
        if kind == "claim":
            return (
                kind,
                who,
                requests.post(f"{live_server}/api/v1/queue/claim", headers=who.headers, timeout=30),
            )
        if kind == "release":
            return (
                kind,
                who,
                requests.post(
                    f"{live_server}/api/v1/tickets/{who}/release",
                    headers=releasing.headers,
                    timeout=30,
                ),
            )
        return (
            kind,
            who,
            requests.post(
                f"{live_server}/api/v1/tickets/{who.reference}/withdraw",
                headers=who.headers,
                timeout=30,
            ),
        )

    work = [("claim", c) for c in claimers] + [("release", r) for r in held]
    work += [("withdraw", t) for t in withdrawing]
    with concurrent.futures.ThreadPoolExecutor(len(work)) as pool:
        results = list(pool.map(lambda w: job(*w), work))
    for kind, _, response in results:
        assert response.status_code in (200, 204, 409), (kind, response.text[:300])

    won = {}
    for kind, who, response in results:
        if kind == "claim" and response.status_code == 200:
            reference = response.json()["reference"]
            assert reference not in won, "one ticket claimed by two"
            won[reference] = who.email
    for t in tickets:
        # In the order written (ids), not by `at`: see the test after this one.
        with pg.app_context():
            row = db.session.query(Ticket).filter_by(reference=t.reference).one()
            history = [
                (e.action, e.details)
                for e in db.session.scalars(
                    db.select(Event).where(Event.ticket_id == row.id).order_by(Event.id)
                )
            ]
        holder = None
        for action, details in history:
            if action == "claimed":
                assert holder is None, events(pg, t.reference, at=True)[-4:]
                holder = details["reviewer"]
            elif action in ("released", "claim_lapsed"):
                assert holder is not None and details["reviewer"] == holder, history
                holder = None
            elif action == "withdrawn":
                holder = None
        if t.reference in won:
            last_claim = [d for a, d in history if a == "claimed"][-1]
            assert last_claim["reviewer"] == won[t.reference]
        with pg.app_context():
            row = db.session.query(Ticket).filter_by(reference=t.reference).one()
            if row.status == "in_review":
                assert row.claimed_by_id is not None and row.claim_expires_at is not None
            else:
                assert row.claimed_by_id is None


def test_a_claim_of_a_ticket_released_just_before_it_is_told_after_the_release(
    pg, reviewer, other_reviewer, submitted
):
    """api.md: the history is oldest first. The release commits after the claim read the
    clock and before its statement runs (a listener runs it there, as a thread switch
    can): the claim takes the released ticket, so its `claimed` must come after
    `released`. CLAIM_SQL stamps its events with `:now`, read before the statement, so
    the history (ordered by `at`) tells the claim before the release it followed."""
    import threading

    from sqlalchemy import event as sa_event

    ticket = submitted()
    assert other_reviewer.claim().json["reference"] == ticket.reference
    with pg.app_context():
        engine = db.engine
    done = []

    def release_first(conn, cursor, statement, *args) -> None:
        if statement.lstrip().startswith("WITH expired") and not done:
            done.append(True)
            thread = threading.Thread(
                target=lambda: done.append(other_reviewer.release(ticket.reference).status_code)
            )
            thread.start()
            thread.join(10)

    sa_event.listen(engine, "before_cursor_execute", release_first)
    try:
        body = reviewer.claim().json
    finally:
        sa_event.remove(engine, "before_cursor_execute", release_first)
    assert done == [True, 200]
    assert body["reference"] == ticket.reference
    told = [(action, reviewer_) for _, _, action, reviewer_ in events(pg, ticket.reference, True)]
    assert told[-2:] == [
        ("released", other_reviewer.email),
        ("claimed", reviewer.email),
    ], events(pg, ticket.reference, True)[-3:]
