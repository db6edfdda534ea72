"""Legal holds (recovery.md "Keeping identity documents"): a lead may place a hold on a
ticket, with a reason in the history, which the purge respects until it is lifted.

API: `POST /api/v1/tickets/<reference>/legal-hold` {"reason"}, `DELETE` on the same path,
`POST .../legal-hold/release` {"reason"}; leads only. The review page offers the same.
A hold placed while the purge runs: exactly one of them wins, never both.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.retention.conftest import (
    age,
    events,
    nothing_missing_unmarked,
    purge,
    reviewer_json,
    stored,
    ticket_row,
)
from tests.review.helpers import sign_in
from triage.extensions import db
from triage.reviewers.models import Reviewer
from triage.timeutil import utcnow


def hold(client_of, reference: str, reason=None, **kw):
    body = {"reason": reason} if reason is not None else {}
    return client_of.post(f"/tickets/{reference}/legal-hold", body, **kw)


def lift(reviewer, reference: str):
    return reviewer.client.delete(
        f"/api/v1/tickets/{reference}/legal-hold", headers=reviewer.headers
    )


def test_a_hold_stops_the_purge_and_lifting_it_resumes(app, closed, lead):
    ticket = closed()
    objects = stored(app, ticket.id)
    placed = hold(lead, ticket.reference, "Litigation: case 2026-114, keep everything")
    assert placed.status_code == 200, placed.json
    retention = placed.json["retention"]
    assert retention["state"] == "held"
    assert retention["legal_hold"]["reason"] == "Litigation: case 2026-114, keep everything"
    assert retention["legal_hold"]["placed_by"] == lead.email
    assert retention["legal_hold"]["placed_at"]

    age(app, ticket.id, 400)
    report = purge(app)
    assert report.purged == {}
    assert stored(app, ticket.id) == objects
    assert ticket_row(app, ticket.id).purged_at is None

    lifted = lift(lead, ticket.reference)
    assert lifted.status_code == 200, lifted.json
    assert lifted.json["retention"]["state"] == "scheduled"
    assert lifted.json["retention"]["legal_hold"] is None
    assert purge(app).purged == {ticket.reference: 2}
    assert stored(app, ticket.id) == set()

    actions = [(e.action, e.actor, e.details) for e in events(app, ticket.id)]
    placed_event = next(a for a in actions if a[0] == "legal_hold_placed")
    assert placed_event[1] == f"reviewer:{lead.email}"
    assert placed_event[2]["reason"] == "Litigation: case 2026-114, keep everything"
    lifted_event = next(a for a in actions if a[0] == "legal_hold_lifted")
    assert lifted_event[2]["held_reason"] == "Litigation: case 2026-114, keep everything"
    assert lifted_event[2]["held_by"] == lead.email
    names = [a[0] for a in actions]
    assert names.index("legal_hold_placed") < names.index("legal_hold_lifted")
    assert names.index("legal_hold_lifted") < names.index("evidence_purged")


def test_release_keeps_the_leads_reason(app, closed, lead):
    ticket = closed(previews=False)
    assert hold(lead, ticket.reference, "Police request 77").status_code == 200
    missing = lead.post(f"/tickets/{ticket.reference}/legal-hold/release", {})
    assert missing.status_code == 400
    assert "reason" in missing.json["error"]["fields"]
    released = lead.post(
        f"/tickets/{ticket.reference}/legal-hold/release", {"reason": "Case closed"}
    )
    assert released.status_code == 200, released.json
    (event,) = events(app, ticket.id, "legal_hold_lifted")
    assert event.details["reason"] == "Case closed"
    assert event.details["held_reason"] == "Police request 77"


def test_only_leads_with_a_reason(app, closed, lead, reviewer):
    ticket = closed(previews=False)
    refused = hold(reviewer, ticket.reference, "I want to keep it")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 5}):
        response = lead.post(f"/tickets/{ticket.reference}/legal-hold", body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "invalid_request"
        assert "reason" in response.json["error"]["fields"]
    long = hold(lead, ticket.reference, "x" * 501)
    assert long.status_code == 400
    unknown = hold(lead, "UF-0000-0000", "Keep")
    assert unknown.status_code == 404
    nobody = lead.client.post(
        f"/api/v1/tickets/{ticket.reference}/legal-hold", json={"reason": "Keep"}
    )
    assert nobody.status_code == 401

    a_sentence = "Subpoena from the regional court, reference 2026/114; keep until told."
    assert hold(lead, ticket.reference, a_sentence).status_code == 200
    again = hold(lead, ticket.reference, "Twice")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "invalid_state"
    assert "already under a legal hold" in again.json["error"]["message"]
    assert lift(reviewer, ticket.reference).status_code == 403
    assert lift(lead, ticket.reference).status_code == 200
    not_held = lift(lead, ticket.reference)
    assert not_held.status_code == 409
    assert [e.action for e in events(app, ticket.id) if "legal_hold" in e.action] == [
        "legal_hold_placed",
        "legal_hold_lifted",
    ]


def test_an_open_ticket_may_be_held_and_a_purged_one_not(app, closed, submitted, lead):
    open_ticket = submitted()
    assert hold(lead, open_ticket.reference, "Fraud investigation").status_code == 200
    gone = closed(previews=False)
    age(app, gone.id, 91)
    purge(app)
    refused = hold(lead, gone.reference, "Too late")
    assert refused.status_code == 409
    message = refused.json["error"]["message"]
    assert "deleted under the retention policy" in message
    assert ticket_row(app, gone.id).legal_hold_at is None


def test_the_review_page_shows_and_changes_the_hold(app, closed, lead, reviewer):
    ticket = closed(previews=False)
    page_of = f"/review/tickets/{ticket.reference}"

    browser = app.test_client()
    sign_in(browser, lead.email)
    page = browser.get(page_of)
    assert page.status_code == 200
    assert 'id="retention"' in page.text
    assert "The files are deleted from" in page.text
    assert 'id="legal-hold-form"' in page.text
    token = csrf_token(page.text)

    blank = browser.post(
        f"/review/tickets/{ticket.reference}/legal-hold", data={"csrf_token": token, "reason": ""}
    )
    assert blank.status_code == 400
    assert "Say why the evidence must be kept" in blank.text
    no_csrf = browser.post(f"/review/tickets/{ticket.reference}/legal-hold", data={"reason": "x"})
    assert no_csrf.status_code == 400
    assert ticket_row(app, ticket.id).legal_hold_at is None

    placed = browser.post(
        f"/review/tickets/{ticket.reference}/legal-hold",
        data={"csrf_token": token, "reason": "Court order <b>17</b>"},
        follow_redirects=True,
    )
    assert placed.status_code == 200
    assert "Under a legal hold" in placed.text
    assert "Court order &lt;b&gt;17&lt;/b&gt;" in placed.text
    with app.app_context():
        name = db.session.scalar(select(Reviewer.name).where(Reviewer.email == lead.email))
    assert f"{name} ({lead.email})" in placed.text
    assert 'id="legal-hold-release-form"' in placed.text
    assert "legal hold placed" in placed.text  # the history

    # A reviewer who is not a lead sees the hold, but no form, and may not post one.
    other = app.test_client()
    sign_in(other, reviewer.email)
    seen = other.get(page_of)
    assert "Under a legal hold" in seen.text
    assert "legal-hold-release-form" not in seen.text
    forbidden = other.post(
        f"/review/tickets/{ticket.reference}/legal-hold/release",
        data={"csrf_token": csrf_token(seen.text), "reason": "No"},
    )
    assert forbidden.status_code == 403

    released = browser.post(
        f"/review/tickets/{ticket.reference}/legal-hold/release",
        data={"csrf_token": token, "reason": "Order withdrawn"},
        follow_redirects=True,
    )
    assert released.status_code == 200
    assert "The files are deleted from" in released.text
    assert reviewer_json(app, ticket.id)["retention"]["legal_hold"] is None
    (event,) = events(app, ticket.id, "legal_hold_lifted")
    assert event.details["reason"] == "Order withdrawn"


def together(first, second, delays: tuple[float, float]) -> list:
    """Run both at the same instant (a barrier; each then waits its delay), in threads with
    their own app contexts and connections; their results. Exceptions are raised here."""
    start = threading.Barrier(2)
    results: list = [None, None]
    failures: list[BaseException] = []

    def run(index: int, action) -> None:
        try:
            start.wait(timeout=30)
            time.sleep(delays[index])
            results[index] = action()
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if failures:
        raise failures[0]
    return results


def test_a_hold_and_a_purge_at_the_same_instant_have_one_outcome(app, closed, lead):
    """Fired together, over many rounds: either the hold won (the ticket is held, nothing
    deleted, the purge skipped it) or the purge did (every file gone and marked, the hold
    refused with 409); never a held ticket whose files are gone."""
    rounds = 8
    outcomes = {"hold": 0, "purge": 0}
    for number in range(rounds):
        ticket = closed(previews=False)
        age(app, ticket.id, 100)
        delays = (0.01, 0.0) if number % 2 else (0.0, 0.01)
        response, report = together(
            lambda r=ticket.reference: hold(lead, r, "Litigation"),
            lambda: purge(app, now=utcnow()),
            delays,
        )
        row = ticket_row(app, ticket.id)
        if response.status_code == 200:
            outcomes["hold"] += 1
            assert row.legal_hold_at is not None and row.purged_at is None
            assert ticket.reference not in report.purged
            assert len(stored(app, ticket.id)) == 2
        else:
            outcomes["purge"] += 1
            assert response.status_code == 409, response.json
            assert report.purged.get(ticket.reference) == 2
            assert row.purged_at is not None and row.legal_hold_at is None
            assert stored(app, ticket.id) == set()
        nothing_missing_unmarked(app)
    print(f"\n  outcomes over {rounds} rounds: {outcomes}")
