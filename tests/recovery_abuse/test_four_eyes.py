"""Four eyes under attack (recovery.md "Second approval"): "any ticket flagged ...
`disputed` needs two approvals", by "a lead who is not the first approver"."""

from __future__ import annotations

from tests.review.helpers import evidence_ids
from tests.review.second_helpers import CHANGE, dispute, events, first_approved


def test_first_approver_lead_cannot_finish_a_disputed_change_alone(app, make_reviewer, submitted):
    """A lead gives the first approval; the owner disputes; the same lead approves the
    disputed ticket alone. Only one person ever approved the change."""
    lead_a = make_reviewer("alice@example.com", role="lead")
    make_reviewer("bob@example.com", role="lead")  # another lead exists
    ticket = submitted(CHANGE)
    first_approved(lead_a, ticket, "Looks fine.")
    dispute(app, ticket.reference)
    response = lead_a.decide(ticket.reference, "approved", "I checked it myself.")
    body = ticket.get()
    assert not (response.status_code == 200 and body["status"] == "approved"), (
        "the first approver alone approved a disputed account change: "
        f"{response.status_code} {body['status']}"
    )


def test_a_disputed_ticket_approved_by_one_lead_has_had_one_approval(
    app, reviewer, lead, submitted
):
    """A reviewer accepts the files (never approves); the owner disputes; one lead's
    approval makes the change final: a disputed ticket is approved with one approval."""
    ticket = submitted(CHANGE)
    assert reviewer.claim().status_code == 200
    for evidence_id in evidence_ids(ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    dispute(app, ticket.reference)
    response = lead.decide(ticket.reference, "approved", "Owner unreachable, go ahead.")
    approvals = [e for e in events(app, ticket.reference) if e.action in ("first_approved",)]
    final = response.status_code == 200 and response.json["status"] == "approved"
    assert not (final and not approvals), (
        "a ticket flagged `disputed` became approved on a single lead's word"
    )


def test_first_approver_lead_cannot_finish_a_disputed_change_alone_on_the_page(
    app, make_reviewer, submitted
):
    from tests.review.helpers import page_token, sign_in

    lead_a = make_reviewer("alice@example.com", role="lead")
    make_reviewer("bob@example.com", role="lead")
    ticket = submitted(CHANGE)
    first_approved(lead_a, ticket, "Looks fine.")
    dispute(app, ticket.reference)
    browser = app.test_client()
    sign_in(browser, lead_a.email)
    path = f"/review/tickets/{ticket.reference}"
    form = page_token(browser, path)
    response = browser.post(
        f"{path}/disputed-decision",
        data={"csrf_token": form, "decision": "approved", "note": "I checked it myself."},
    )
    assert response.status_code < 500
    assert ticket.get()["status"] != "approved", "the first approver alone approved it"
