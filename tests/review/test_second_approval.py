"""Second approval through the API (recovery.md "Second approval", maker-checker).

By default every account_change ticket, and any ticket flagged facts_mismatch,
unknown_account, duplicate_evidence, near_duplicate or disputed, needs two approvals: the
first sends it to awaiting_second_approval, where a lead who is not the first approver
approves it (final) or refuses with a note that sends it back to the first approver.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.review.helpers import expire_claim, unique_pdf
from tests.review.second_helpers import (  # noqa: F401 - fixtures
    CHANGE,
    app_config,
    events,
    first_approved,
    flag,
    held_approvable,
    notifications,
    row,
    second,
    second_approval_policy,
    when,
)
from triage.timeutil import aware

# --- the first approval -------------------------------------------------------------------------


def test_an_account_change_approval_waits_for_a_second_one(app, reviewer, submitted):
    ticket = submitted(CHANGE)
    body = first_approved(reviewer, ticket, "Documents match the account.")
    assert body["claimed_by"] is None and body["claim_expires_at"] is None
    assert body["decided_at"] is None and body["effective_at"] is None
    approvals = body["approvals"]
    assert approvals["required"] is True
    assert approvals["reasons"] == ["account_change"]
    assert approvals["policy"] == "account_change"
    assert approvals["first_approved_by"] == reviewer.email
    assert approvals["first_approval_note"] == "Documents match the account."
    assert when(approvals["first_approved_at"]) is not None
    assert approvals["second_approved_by"] is None and approvals["refused_note"] is None
    # The customer hears nothing yet: still being checked, no decision, no email.
    customer = ticket.get()
    assert customer["status"] == "awaiting_second_approval"
    assert customer["decision_note"] is None
    assert notifications(app, ticket.reference) == []
    history = events(app, ticket.reference)
    first = [e for e in history if e.action == "first_approved"]
    assert len(first) == 1 and first[0].actor == f"reviewer:{reviewer.email}"
    assert first[0].details["note"] == "Documents match the account."
    assert first[0].details["first_approver"] == reviewer.email
    assert not [e for e in history if e.action == "decided"]


def test_a_ticket_waiting_for_a_second_approval_takes_no_other_action(reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    for who in (reviewer, lead):
        response = who.decide(ticket.reference, "rejected", "No.")
        assert response.status_code == 409
        assert response.json["error"]["code"] == "invalid_state"
        assert "second approval" in response.json["error"]["message"]
        assert who.release(ticket.reference).status_code == 409
    # Not in the review queue, and nobody can take it.
    assert reviewer.queue().json["total"] == 0
    assert reviewer.claim().status_code == 204


def test_the_second_approval_queue(reviewer, other_reviewer, lead, submitted):
    unfreeze = submitted(account_name="waiting-one")
    change = submitted(CHANGE, account_name="change-one")
    # The unfreeze ticket is taken first (high priority); leave it waiting in review.
    assert reviewer.claim().json["reference"] == unfreeze.reference
    first_approved(other_reviewer, change)
    for who in (reviewer, lead):
        response = who.queue(status="awaiting_second_approval")
        assert response.status_code == 200
        assert response.json["total"] == 1
        (item,) = response.json["items"]
        assert item["reference"] == change.reference
        assert item["status"] == "awaiting_second_approval"
        assert item["first_approved_by"] == other_reviewer.email
        assert item["first_approved_at"]
    # The review queue is as before; whole-queue counts tell the own queues apart.
    response = lead.queue(counts="true")
    assert [i["reference"] for i in response.json["items"]] == [unfreeze.reference]
    assert response.json["counts"]["awaiting_second_approval"] == 1
    assert response.json["counts"]["disputed"] == 0
    assert lead.queue(status="in_review").json["total"] == 1
    response = lead.queue(status="approved")
    assert response.status_code == 400
    assert "status" in response.json["error"]["fields"]


# --- who may give it ----------------------------------------------------------------------------


def test_the_first_approver_and_reviewers_who_are_not_leads_get_403(
    make_reviewer, reviewer, other_reviewer, lead, submitted
):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    for who in (reviewer, other_reviewer):
        for decision, note in (("approved", None), ("rejected", "Fix it.")):
            response = second(who, ticket.reference, decision, note)
            assert response.status_code == 403
            assert response.json["error"]["code"] == "forbidden"
            assert "lead" in response.json["error"]["message"]
    # A lead who gave the first approval may not give the second either.
    other_lead = make_reviewer("luis@example.com", role="lead")
    response = second(lead, ticket.reference, "rejected", "Send it back to the reviewer.")
    assert response.status_code == 200
    response = reviewer.decide(ticket.reference, "rejected", "Changed my mind.")
    assert response.json["status"] == "rejected"

    change = submitted(CHANGE, account_name="second-account")
    first_approved(lead, change)
    for decision, note in (("approved", None), ("rejected", "Not me.")):
        response = second(lead, change.reference, decision, note)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
        assert (
            "a lead other than you gives the second approval" in response.json["error"]["message"]
        )
    assert change.get()["status"] == "awaiting_second_approval"
    assert second(other_lead, change.reference, "approved").json["status"] == "approved"


def test_a_customer_token_may_not_give_it(reviewer, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    response = ticket.client.post(
        f"/api/v1/tickets/{ticket.reference}/second-approval",
        headers=ticket.headers,
        json={"decision": "approved"},
    )
    assert response.status_code == 401
    assert ticket.get()["status"] == "awaiting_second_approval"


def test_only_a_ticket_waiting_for_it_takes_a_second_approval(reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    response = second(lead, ticket.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "invalid_state"
    held_approvable(reviewer, ticket)
    response = second(lead, ticket.reference, "approved")
    assert response.status_code == 409
    assert "being checked by a reviewer" in response.json["error"]["message"]
    assert second(lead, "AC-NONE-NONE", "approved").status_code == 404


def test_bad_bodies_are_400(reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    for body, field in (
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "rejected"}, "note"),
        ({"decision": "rejected", "note": "   "}, "note"),
        ({"decision": "approved", "note": "x" * 100_000}, "note"),
    ):
        response = lead.post(f"/tickets/{ticket.reference}/second-approval", body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "invalid_request"
        assert field in response.json["error"]["fields"], body
    assert ticket.get()["status"] == "awaiting_second_approval"


# --- approval -----------------------------------------------------------------------------------


def test_the_second_approval_is_final_and_the_history_has_both(app, reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket, "Documents match the account.")
    response = second(lead, ticket.reference, "approved", "Checked the record too.")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "approved"
    approvals = body["approvals"]
    assert approvals["first_approved_by"] == reviewer.email
    assert approvals["second_approved_by"] == lead.email
    assert approvals["second_approval_note"] == "Checked the record too."
    assert approvals["refused_note"] is None
    approved_at = when(approvals["second_approved_at"])
    assert when(body["decided_at"]) == approved_at
    assert when(approvals["first_approved_at"]) <= approved_at
    # The waiting period runs from the final approval (CHANGE_WAITING_HOURS, default 72).
    hours = app.config["CHANGE_WAITING_HOURS"]
    assert when(body["effective_at"]) == approved_at + timedelta(hours=hours)
    # The customer reads the first approver's note, and gets the decision email now.
    customer = ticket.get()
    assert customer["status"] == "approved"
    assert customer["decision_note"] == "Documents match the account."
    assert when(customer["effective_at"]) == approved_at + timedelta(hours=hours)
    (email,) = notifications(app, ticket.reference)
    assert email.context["decision"] == "approved"
    # History: both approvers, their notes and times.
    history = reviewer.history(ticket.reference)
    actions = [e["action"] for e in history]
    assert actions.index("first_approved") < actions.index("decided")
    (decided,) = [e for e in history if e["action"] == "decided"]
    assert decided["actor"] == f"reviewer:{lead.email}"
    details = decided["details"]
    assert details["decision"] == "approved"
    assert details["first_approver"] == reviewer.email
    assert details["first_note"] == "Documents match the account."
    assert details["second_approver"] == lead.email
    assert details["second_note"] == "Checked the record too."
    assert when(details["first_approved_at"]) == when(approvals["first_approved_at"])
    assert when(details["second_approved_at"]) == approved_at
    # Final: nothing more.
    assert second(lead, ticket.reference, "rejected", "Too late.").status_code == 409
    assert reviewer.decide(ticket.reference, "rejected", "Too late.").status_code == 409


def test_approval_is_checked_again_under_the_lock(app, reviewer, lead, submitted):
    """A ticket that lost an accepted file meanwhile (not possible through the API while
    it waits: reviews need in_review) is refused: the rule is checked again, not trusted."""
    from sqlalchemy import update

    from triage.evidence.models import Evidence
    from triage.extensions import db

    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    with app.app_context():
        db.session.execute(
            update(Evidence)
            .where(Evidence.ticket_id == row(app, ticket.reference).id)
            .values(decision=None)
        )
        db.session.commit()
    response = second(lead, ticket.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "requirements_not_met"
    assert ticket.get()["status"] == "awaiting_second_approval"
    assert notifications(app, ticket.reference) == []


# --- refusal ------------------------------------------------------------------------------------


def test_a_refusal_returns_the_ticket_to_the_first_approver_with_the_note(
    app, reviewer, other_reviewer, lead, make_reviewer, submitted
):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket, "Looks fine.")
    response = second(lead, ticket.reference, "rejected", "The bank statement is a year old.")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "in_review"
    assert body["claimed_by"] == reviewer.email
    assert when(body["claim_expires_at"]) == when(body["claimed_at"]) + timedelta(
        minutes=app.config["CLAIM_IDLE_MINUTES"]
    )
    approvals = body["approvals"]
    assert approvals["refused_note"] == "The bank statement is a year old."
    assert approvals["refused_by"] == lead.email
    assert approvals["refused_at"]
    assert approvals["second_approved_by"] is None
    # The first approver sees it in the API (queue, history, every action's answer),
    # holds the ticket and may act again.
    (item,) = reviewer.queue().json["items"]
    assert item["claimed_by"] == reviewer.email
    assert item["refused_note"] == "The bank statement is a year old."
    (refusal,) = [e for e in reviewer.history(ticket.reference) if "refused" in e["action"]]
    assert refusal["details"]["note"] == "The bank statement is a year old."
    assert other_reviewer.decide(ticket.reference, "rejected", "Mine now.").status_code == 403
    assert ticket.get()["status"] == "in_review"  # the customer sees no change of course
    assert notifications(app, ticket.reference) == []
    (refused,) = events(app, ticket.reference, "second_approval_refused")
    assert refused.actor == f"reviewer:{lead.email}"
    assert refused.details["note"] == "The bank statement is a year old."
    assert refused.details["first_approver"] == reviewer.email
    # Approved again, it waits for a lead again; the refusal is still there to read.
    response = reviewer.decide(ticket.reference, "approved", "Statement checked again.")
    assert response.json["status"] == "awaiting_second_approval"
    assert response.json["approvals"]["first_approval_note"] == "Statement checked again."
    assert response.json["approvals"]["refused_note"] == "The bank statement is a year old."
    other_lead = make_reviewer("luis@example.com", role="lead")
    response = second(other_lead, ticket.reference, "approved", "Fine now.")
    assert response.json["status"] == "approved"
    assert response.json["approvals"]["refused_note"] is None
    assert response.json["approvals"]["second_approval_note"] == "Fine now."
    assert [e.action for e in events(app, ticket.reference) if "approv" in e.action] == [
        "first_approved",
        "second_approval_refused",
        "first_approved",
    ]


def test_a_refused_ticket_goes_back_to_the_queue_when_the_lease_lapses(
    app, reviewer, lead, submitted
):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    second(lead, ticket.reference, "rejected", "Check the name.")
    expire_claim(app, ticket.reference)
    assert reviewer.queue().json["items"][0]["status"] == "awaiting_review"
    assert aware(row(app, ticket.reference).claim_expires_at) is None


# --- policies -----------------------------------------------------------------------------------


def test_an_unflagged_unfreeze_ticket_needs_one_approval_by_default(app, reviewer, submitted):
    ticket = submitted()
    held_approvable(reviewer, ticket)
    response = reviewer.decide(ticket.reference, "approved", "Unfrozen.")
    assert response.json["status"] == "approved"
    assert response.json["effective_at"] is None  # an unfreeze changes no contact
    assert response.json["approvals"]["required"] is False
    assert response.json["approvals"]["first_approved_by"] is None
    assert [e.details for e in events(app, ticket.reference, "decided")] == [
        {"decision": "approved", "note": "Unfrozen."}
    ]


@pytest.mark.parametrize(
    "flag_name",
    ["facts_mismatch", "unknown_account", "duplicate_evidence", "near_duplicate"],
)
def test_a_flagged_unfreeze_ticket_needs_two_by_default(app, reviewer, lead, submitted, flag_name):
    ticket = submitted()
    flag(app, ticket.reference, flag_name)
    body = first_approved(reviewer, ticket)
    assert body["approvals"]["reasons"] == [flag_name]
    response = second(lead, ticket.reference, "approved")
    assert response.json["status"] == "approved"
    assert response.json["effective_at"] is None  # not an account change


def test_shared_evidence_flags_the_ticket_and_asks_for_two(
    app, reviewer, lead, make_ticket, pdf_bytes, submitted
):
    from tests.review.helpers import unique_png

    passport = unique_pdf(pdf_bytes)
    other = make_ticket(account_name="someone-else")
    assert other.upload("passport", passport, "passport.pdf").status_code == 201
    ticket = make_ticket()
    ticket.upload("passport", passport, "passport.pdf")
    ticket.upload("card_front", unique_png(), "card.png")
    assert ticket.submit().status_code == 200
    body = first_approved(reviewer, ticket)
    assert "duplicate_evidence" in body["approvals"]["reasons"]


@pytest.mark.parametrize("second_approval_policy", ["all"])
def test_policy_all_asks_two_approvals_of_every_ticket(app, reviewer, lead, submitted):
    ticket = submitted()
    body = first_approved(reviewer, ticket)
    assert body["approvals"]["policy"] == "all"
    assert body["approvals"]["reasons"] == ["all"]
    response = second(lead, ticket.reference, "approved")
    assert response.json["status"] == "approved"
    assert response.json["effective_at"] is None  # null for unfreeze, whoever approves


@pytest.mark.parametrize("second_approval_policy", ["flagged"])
def test_policy_flagged_asks_two_only_of_flagged_tickets(app, reviewer, lead, submitted):
    change = submitted(CHANGE)
    held_approvable(reviewer, change)
    response = reviewer.decide(change.reference, "approved")
    body = response.json
    assert body["status"] == "approved"
    assert body["approvals"] == body["approvals"] | {"required": False, "reasons": []}
    hours = app.config["CHANGE_WAITING_HOURS"]
    assert when(body["effective_at"]) == when(body["decided_at"]) + timedelta(hours=hours)
    flagged = submitted(CHANGE, account_name="flagged-account")
    flag(app, flagged.reference, "facts_mismatch")
    body = first_approved(reviewer, flagged)
    assert body["approvals"]["reasons"] == ["facts_mismatch"]


@pytest.mark.parametrize("second_approval_policy", ["account_change"])
def test_the_waiting_period_follows_the_setting(app, reviewer, lead, submitted):
    app.config["CHANGE_WAITING_HOURS"] = 5
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    body = second(lead, ticket.reference, "approved").json
    assert when(body["effective_at"]) == when(body["decided_at"]) + timedelta(hours=5)


def test_needs_second_approval_per_policy(app, submitted):
    from triage.review.operations import needs_second_approval, second_approval_reasons

    change, unfreeze, flagged = (
        submitted(CHANGE, account_name="a"),
        submitted(account_name="b"),
        submitted(account_name="c"),
    )
    flag(app, flagged.reference, "disputed", "velocity")
    expected = {
        "account_change": (True, False, True),
        "all": (True, True, True),
        "flagged": (False, False, True),
    }
    with app.app_context():
        for policy, answers in expected.items():
            tickets = [row(app, t.reference) for t in (change, unfreeze, flagged)]
            got = tuple(needs_second_approval(t, policy) for t in tickets)
            assert got == answers, policy
        # velocity alone asks nothing more; disputed does.
        assert second_approval_reasons(row(app, flagged.reference), "flagged") == ["disputed"]
        assert needs_second_approval(row(app, change.reference)) is True  # the default
        with pytest.raises(ValueError):
            needs_second_approval(row(app, change.reference), "none")


# --- the contract -------------------------------------------------------------------------------


def test_the_endpoint_and_the_queue_status_are_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    operation = doc["paths"]["/api/v1/tickets/{reference}/second-approval"]["post"]
    assert operation["operationId"] == "secondApproval"
    assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"])
    schemas = doc["components"]["schemas"]
    assert schemas["SecondApprovalRequest"]["allOf"][0]["then"]["required"] == ["note"]
    queue = doc["paths"]["/api/v1/queue"]["get"]
    (status,) = [p for p in queue["parameters"] if p["name"] == "status"]
    assert "awaiting_second_approval" in str(status) and "disputed" in str(status)
    assert "403" in queue["responses"]
