"""Claims: atomic, one holder, leases that lapse, release and reassignment."""

from __future__ import annotations

from datetime import timedelta

from triage.extensions import db
from triage.tickets.models import Ticket
from triage.timeutil import utcnow


def _ticket(app, reference: str) -> Ticket:
    """The ticket as committed now (its columns stay readable outside the context)."""
    with app.app_context():
        return db.session.query(Ticket).filter_by(reference=reference).one()


def _set_claim_expiry(app, reference: str, when) -> None:
    with app.app_context():
        db.session.query(Ticket).filter_by(reference=reference).one().claim_expires_at = when
        db.session.commit()


def test_claim_gives_the_next_ticket_and_moves_it_to_in_review(reviewer, submitted, app):
    ticket = submitted()
    response = reviewer.claim()
    assert response.status_code == 200
    body = response.json
    assert body["reference"] == ticket.reference
    assert body["status"] == "in_review"
    assert body["claimed_by"] == reviewer.email
    assert body["claim_expires_at"] > body["claimed_at"]
    row = _ticket(app, ticket.reference)
    assert row.claimed_by_id == reviewer.id
    assert ticket.get()["status"] == "in_review"  # the customer sees it too
    assert [e["action"] for e in reviewer.history(ticket.reference)][-1] == "claimed"


def test_claim_answers_204_when_nothing_waits(reviewer, make_ticket):
    make_ticket()  # a draft is not waiting
    response = reviewer.claim()
    assert response.status_code == 204
    assert response.data == b""


def test_claim_by_type_takes_only_that_queue(reviewer, submitted, make_ticket, pdf_bytes):
    from tests.conftest import CHANGE_DIRECT_AUTHENTICATED

    submitted()  # unfreeze
    change = make_ticket(CHANGE_DIRECT_AUTHENTICATED)
    change.upload("real_name_certificate", pdf_bytes, "cert.pdf")
    change.upload("transaction_records", pdf_bytes, "records.pdf")
    assert change.submit().status_code == 200
    response = reviewer.claim("account_change")
    assert response.json["reference"] == change.reference
    assert reviewer.claim("account_change").status_code == 204
    assert reviewer.claim("unfreeze").json["type"] == "unfreeze"


def test_claim_refuses_an_unknown_type(reviewer, submitted):
    submitted()
    response = reviewer.claim("mystery")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert "type" in response.json["error"]["fields"]


def test_two_reviewers_never_get_the_same_ticket(reviewer, other_reviewer, submitted):
    first, second = submitted(), submitted(account_name="other-account")
    got = {reviewer.claim().json["reference"], other_reviewer.claim().json["reference"]}
    assert got == {first.reference, second.reference}
    assert reviewer.claim().status_code == 204


def test_release_puts_the_ticket_back_in_its_place(reviewer, other_reviewer, submitted, app):
    first = submitted()
    second = submitted(account_name="second-account")
    assert reviewer.claim().json["reference"] == first.reference
    response = reviewer.release(first.reference)
    assert response.status_code == 200
    assert response.json["status"] == "awaiting_review"
    assert response.json["claimed_by"] is None
    row = _ticket(app, first.reference)
    assert (row.claimed_by_id, row.claimed_at, row.claim_expires_at) == (None, None, None)
    # Back in its old place: the next claimer gets it before the younger ticket.
    assert other_reviewer.claim().json["reference"] == first.reference
    assert reviewer.claim().json["reference"] == second.reference
    actions = [e["action"] for e in reviewer.history(first.reference)]
    assert actions[-3:] == ["claimed", "released", "claimed"]


def test_only_the_holder_or_a_lead_may_release(reviewer, other_reviewer, lead, submitted):
    ticket = submitted()
    reviewer.claim()
    response = other_reviewer.release(ticket.reference)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert lead.release(ticket.reference).status_code == 200
    # Not in review any more: nothing to release.
    response = reviewer.release(ticket.reference)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "invalid_state"


def _expire_claim(app, reference: str) -> None:
    _set_claim_expiry(app, reference, utcnow() - timedelta(seconds=1))


def test_an_idle_claim_lapses_and_the_ticket_returns_to_the_queue(
    reviewer, other_reviewer, submitted, app
):
    ticket = submitted()
    reviewer.claim()
    _expire_claim(app, ticket.reference)
    # The holder may not act on a lapsed claim...
    ids = {e["material"]: e["id"] for e in ticket.get()["evidence"]}
    response = reviewer.review(ids["passport"], "accepted")
    assert response.status_code == 409
    assert "lapsed" in response.json["error"]["message"]
    # ...and reading the queue hands it back, with a claim_lapsed event.
    queue = other_reviewer.queue().json
    assert queue["items"][0]["reference"] == ticket.reference
    assert queue["items"][0]["claimed_by"] is None
    events = reviewer.history(ticket.reference)
    lapsed = [e for e in events if e["action"] == "claim_lapsed"]
    assert len(lapsed) == 1
    assert lapsed[0]["actor"] == "system"
    assert lapsed[0]["details"]["reviewer"] == reviewer.email
    assert other_reviewer.claim().json["claimed_by"] == other_reviewer.email


def test_a_claim_lapses_after_the_configured_idle_time(app, reviewer, submitted):
    ticket = submitted()
    app.config["CLAIM_IDLE_MINUTES"] = 7
    body = reviewer.claim().json
    row = _ticket(app, ticket.reference)
    from triage.timeutil import aware

    length = aware(row.claim_expires_at) - aware(row.claimed_at)
    assert timedelta(minutes=7) - timedelta(seconds=2) < length <= timedelta(minutes=7)
    assert body["claim_expires_at"] is not None


def test_every_action_extends_the_lease(app, reviewer, submitted):
    ticket = submitted()
    reviewer.claim()
    _set_claim_expiry(app, ticket.reference, utcnow() + timedelta(minutes=1))
    ids = {e["material"]: e["id"] for e in ticket.get()["evidence"]}
    assert reviewer.review(ids["passport"], "accepted").status_code == 200
    from triage.timeutil import aware

    remaining = aware(_ticket(app, ticket.reference).claim_expires_at) - utcnow()
    assert remaining > timedelta(minutes=app.config["CLAIM_IDLE_MINUTES"] - 1)
    # Reading a file is activity too.
    _set_claim_expiry(app, ticket.reference, utcnow() + timedelta(minutes=1))
    assert reviewer.get(f"/evidence/{ids['card_front']}/content").status_code == 200
    remaining = aware(_ticket(app, ticket.reference).claim_expires_at) - utcnow()
    assert remaining > timedelta(minutes=app.config["CLAIM_IDLE_MINUTES"] - 1)


def test_a_lead_reassigns_a_held_ticket(reviewer, other_reviewer, lead, submitted):
    ticket = submitted()
    reviewer.claim()
    response = lead.post(
        f"/tickets/{ticket.reference}/reassign", {"reviewer": other_reviewer.email}
    )
    assert response.status_code == 200
    assert response.json["claimed_by"] == other_reviewer.email
    assert response.json["status"] == "in_review"
    ids = {e["material"]: e["id"] for e in ticket.get()["evidence"]}
    assert reviewer.review(ids["passport"], "accepted").status_code == 403
    assert other_reviewer.review(ids["passport"], "accepted").status_code == 200
    event = reviewer.history(ticket.reference)[-2]
    assert event["action"] == "reassigned"
    assert event["actor"] == f"reviewer:{lead.email}"
    assert event["details"] == {"reviewer": other_reviewer.email, "previous": reviewer.email}


def test_a_lead_may_hand_a_waiting_ticket_to_a_reviewer(reviewer, lead, submitted):
    ticket = submitted()
    response = lead.post(f"/tickets/{ticket.reference}/reassign", {"reviewer": reviewer.email})
    assert response.json["status"] == "in_review"
    assert response.json["claimed_by"] == reviewer.email


def test_reassign_refusals(reviewer, other_reviewer, lead, submitted, make_ticket):
    ticket = submitted()
    reviewer.claim()
    path = f"/tickets/{ticket.reference}/reassign"
    response = reviewer.post(path, {"reviewer": other_reviewer.email})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    response = lead.post(path, {"reviewer": "nobody@example.com"})
    assert response.status_code == 400
    assert "reviewer" in response.json["error"]["fields"]
    draft = make_ticket(account_name="draft-account")
    response = lead.post(f"/tickets/{draft.reference}/reassign", {"reviewer": reviewer.email})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "invalid_state"
