"""Reviews of files, requests for more, decisions: every transition and every refusal."""

from __future__ import annotations

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import NO_RULE, evidence_ids, unique_pdf
from triage.evidence.reasons import REASONS


@pytest.fixture
def claimed(reviewer, submitted):
    """A complete unfreeze ticket that `reviewer` holds."""
    ticket = submitted()
    assert reviewer.claim().json["reference"] == ticket.reference
    return ticket


def _accept_all(reviewer, ticket) -> None:
    for evidence_id in evidence_ids(ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200


# --- reviewing files -----------------------------------------------------------------------


def test_accepting_and_rejecting_files(reviewer, claimed):
    ids = evidence_ids(claimed)
    response = reviewer.review(ids["passport"], "accepted", note="Clear and valid.")
    assert response.status_code == 200
    assert response.json["review"]["decision"] == "accepted"
    assert response.json["review"]["note"] == "Clear and valid."
    response = reviewer.review(ids["card_front"], "rejected", "unmasked_card_number")
    assert response.json["review"] == {
        "decision": "rejected",
        "reason": "unmasked_card_number",
        "note": None,
        "at": response.json["review"]["at"],
    }
    customer = claimed.get()
    statuses = {i["key"]: i["status"] for i in customer["checklist"]}
    assert statuses["passport"] == "accepted"
    assert statuses["card_front"] == "rejected"


def test_a_reason_sent_with_an_acceptance_is_dropped(reviewer, claimed):
    response = reviewer.review(evidence_ids(claimed)["passport"], "accepted", "blurry")
    assert response.json["review"]["reason"] is None


def test_a_file_may_be_reviewed_again_while_in_review(reviewer, claimed):
    passport = evidence_ids(claimed)["passport"]
    reviewer.review(passport, "rejected", "blurry")
    response = reviewer.review(passport, "accepted")
    assert response.json["review"]["decision"] == "accepted"
    assert response.json["review"]["reason"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "rejected"}, "reason"),
        ({"decision": "rejected", "reason": "ugly"}, "reason"),
        ({"decision": "rejected", "reason": "other"}, "note"),
        ({"decision": "rejected", "reason": "other", "note": "   "}, "note"),
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "accepted", "note": 12}, "note"),
    ],
)
def test_review_refusals(reviewer, claimed, body, field):
    passport = evidence_ids(claimed)["passport"]
    response = reviewer.post(f"/evidence/{passport}/review", body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert field in response.json["error"]["fields"]
    assert claimed.get()["evidence"][0]["review"] is None


def test_every_reason_code_is_accepted_and_the_customer_reads_its_words(reviewer, claimed):
    passport = evidence_ids(claimed)["passport"]
    for reason in REASONS:
        note = "The photo is of a different person." if reason == "other" else None
        response = reviewer.review(passport, "rejected", reason, note)
        assert response.status_code == 200, response.json
        assert response.json["review"]["reason"] == reason


def test_other_with_a_note_is_accepted(reviewer, claimed):
    response = reviewer.review(
        evidence_ids(claimed)["passport"],
        "rejected",
        "other",
        "The name is written differently on each page.",
    )
    assert response.status_code == 200


def test_malformed_bodies_are_refused(reviewer, claimed):
    passport = evidence_ids(claimed)["passport"]
    response = reviewer.client.post(
        f"/api/v1/evidence/{passport}/review",
        headers=reviewer.headers,
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    response = reviewer.post(f"/tickets/{claimed.reference}/decision", ["approved"])
    assert response.status_code == 400


def test_unknown_evidence_and_tickets_are_404(reviewer, claimed):
    response = reviewer.review("0" * 32, "accepted")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert reviewer.get(f"/evidence/{'f' * 40}/content").status_code == 404
    assert reviewer.decide("UF-NONE-NONE", "approved").status_code == 404
    assert reviewer.get("/tickets/UF-NONE-NONE/history").status_code == 404


# --- who may act -----------------------------------------------------------------------------


def test_only_the_claim_holder_or_a_lead_may_act(reviewer, other_reviewer, lead, claimed):
    passport = evidence_ids(claimed)["passport"]
    refusals = [
        other_reviewer.review(passport, "accepted"),
        other_reviewer.request_materials(claimed.reference, ["passport"], "A clearer one."),
        other_reviewer.decide(claimed.reference, "rejected", "No."),
        other_reviewer.release(claimed.reference),
    ]
    for response in refusals:
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
        assert "another reviewer holds this ticket" in response.json["error"]["message"]
    assert claimed.get()["status"] == "in_review"
    # A lead may act on a ticket another reviewer holds.
    assert lead.review(passport, "accepted").status_code == 200
    event = reviewer.history(claimed.reference)[-1]
    assert event["actor"] == f"reviewer:{lead.email}"
    assert event["action"] == "evidence_reviewed"


def test_nothing_can_be_decided_before_it_is_claimed(reviewer, lead, submitted):
    ticket = submitted()
    passport = evidence_ids(ticket)["passport"]
    for who in (reviewer, lead):
        for response in (
            who.review(passport, "accepted"),
            who.decide(ticket.reference, "rejected", "No."),
            who.request_materials(ticket.reference, ["passport"], "Again."),
        ):
            assert response.status_code == 409
            assert response.json["error"]["code"] == "invalid_state"
            assert "take it first" in response.json["error"]["message"]


def test_a_draft_cannot_be_reviewed(reviewer, lead, make_ticket, pdf_bytes):
    draft = make_ticket()
    draft.upload("passport", pdf_bytes, "passport.pdf")
    response = lead.review(evidence_ids(draft)["passport"], "accepted")
    assert response.status_code == 409
    assert "not submitted it yet" in response.json["error"]["message"]


def test_a_withdrawn_ticket_cannot_be_reviewed(reviewer, lead, claimed):
    response = claimed.client.post(
        f"/api/v1/tickets/{claimed.reference}/withdraw", headers=claimed.headers
    )
    assert response.json["status"] == "withdrawn"
    passport = evidence_ids(claimed)["passport"]
    for who in (reviewer, lead):
        for response in (
            who.review(passport, "accepted"),
            who.decide(claimed.reference, "approved"),
            who.request_materials(claimed.reference, ["passport"], "Again."),
            who.release(claimed.reference),
        ):
            assert response.status_code == 409
            assert response.json["error"]["code"] == "invalid_state"
            assert "withdrew" in response.json["error"]["message"]
    assert reviewer.queue().json["total"] == 0
    # The customer's withdrawal cleared the claim.
    assert reviewer.get(f"/tickets/{claimed.reference}").json["status"] == "withdrawn"


def test_a_customer_token_may_not_use_reviewer_actions(claimed):
    passport = evidence_ids(claimed)["passport"]
    response = claimed.client.post(
        f"/api/v1/evidence/{passport}/review",
        headers=claimed.headers,
        json={"decision": "accepted"},
    )
    assert response.status_code == 401
    response = claimed.client.post(
        f"/api/v1/tickets/{claimed.reference}/decision",
        headers=claimed.headers,
        json={"decision": "approved"},
    )
    assert response.status_code == 401
    assert claimed.get()["status"] == "in_review"


# --- requests for more -----------------------------------------------------------------------


def test_requesting_materials_sends_the_ticket_back_to_the_customer(reviewer, claimed, pdf_bytes):
    ids = evidence_ids(claimed)
    reviewer.review(ids["passport"], "accepted")
    reviewer.review(ids["card_front"], "rejected", "glare")
    message = "The card photo has glare over the digits. Please also send your driver license."
    response = reviewer.request_materials(
        claimed.reference, ["card_front", "driver_license"], message
    )
    assert response.status_code == 200
    assert response.json["status"] == "needs_more_info"
    assert response.json["claimed_by"] is None
    assert response.json["claim_expires_at"] is None
    customer = claimed.get()
    assert customer["status"] == "needs_more_info"
    assert customer["requests"][-1]["materials"] == ["card_front", "driver_license"]
    assert customer["requests"][-1]["message"] == message
    statuses = {i["key"]: i["status"] for i in customer["checklist"]}
    assert statuses["card_front"] == "requested"
    assert statuses["driver_license"] == "requested"  # beyond the rule's list (ruling 9)
    assert "driver_license" in customer["missing"]
    # The customer answers and sends it again: back to the queue.
    from tests.review.helpers import unique_png

    assert claimed.upload("card_front", unique_png(), "card2.png").status_code == 201
    assert claimed.upload("driver_license", unique_pdf(pdf_bytes), "licence.pdf").status_code == 201
    assert claimed.get()["complete"] is True
    assert claimed.submit().json["status"] == "awaiting_review"
    assert reviewer.claim().json["reference"] == claimed.reference
    actions = [e["action"] for e in reviewer.history(claimed.reference)]
    assert actions[-3:] == ["evidence_uploaded", "resubmitted", "claimed"]


def test_request_refusals(reviewer, claimed):
    response = reviewer.request_materials(
        claimed.reference, ["passport", "selfie"], "Please send these."
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "unknown_material"
    assert response.json["error"]["unknown"] == ["selfie"]
    for materials, message, field in (
        ([], "Send more.", "materials"),
        ("passport", "Send more.", "materials"),
        (["passport"], "", "message"),
        (["passport"], None, "message"),
    ):
        response = reviewer.request_materials(claimed.reference, materials, message)
        assert response.status_code == 400
        assert field in response.json["error"]["fields"]
    assert claimed.get()["status"] == "in_review"


def test_information_items_may_be_requested_too(reviewer, claimed):
    response = reviewer.request_materials(
        claimed.reference, ["phone_number"], "Give us a phone number we can call."
    )
    assert response.status_code == 200
    assert claimed.put_information({"phone_number": "+44 7700 900123"}).status_code == 200
    assert claimed.submit().json["status"] == "awaiting_review"


# --- decisions -------------------------------------------------------------------------------


def test_approval_is_refused_until_accepted_evidence_meets_the_rule(reviewer, claimed):
    response = reviewer.decide(claimed.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "requirements_not_met"
    assert set(response.json["error"]["missing"]) >= {"card_front"}
    ids = evidence_ids(claimed)
    reviewer.review(ids["passport"], "accepted")
    reviewer.review(ids["card_front"], "rejected", "blurry")
    response = reviewer.decide(claimed.reference, "approved")
    assert response.status_code == 409
    assert "card_front" in response.json["error"]["missing"]
    reviewer.review(ids["card_front"], "accepted")
    response = reviewer.decide(claimed.reference, "approved", "All in order.")
    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert response.json["decided_at"]
    assert response.json["claimed_by"] is None
    customer = claimed.get()
    assert customer["status"] == "approved"
    assert customer["decision_note"] == "All in order."


def test_an_incomplete_ticket_cannot_be_approved(reviewer, submitted):
    ticket = submitted(files=["passport"], explanation="My card was stolen.")
    reviewer.claim()
    reviewer.review(evidence_ids(ticket)["passport"], "accepted")
    response = reviewer.decide(ticket.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["missing"] == ["card_front", "card_transactions"]


def test_a_ticket_without_a_rule_needs_one_accepted_file(reviewer, lead, submitted):
    ticket = submitted(NO_RULE, files=["passport"])
    reviewer.claim()
    response = reviewer.decide(ticket.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["missing"] == ["evidence"]
    reviewer.review(evidence_ids(ticket)["passport"], "accepted")
    # An account change: the first approval waits for a lead's (recovery.md).
    assert reviewer.decide(ticket.reference, "approved").json["status"] == (
        "awaiting_second_approval"
    )
    response = lead.post(f"/tickets/{ticket.reference}/second-approval", {"decision": "approved"})
    assert response.json["status"] == "approved"


def test_rejection_needs_a_note(reviewer, claimed):
    for note in (None, "", "  "):
        response = reviewer.decide(claimed.reference, "rejected", note)
        assert response.status_code == 400
        assert "note" in response.json["error"]["fields"]
    assert claimed.get()["status"] == "in_review"
    response = reviewer.decide(
        claimed.reference, "rejected", "The card does not belong to the account holder."
    )
    assert response.json["status"] == "rejected"
    customer = claimed.get()
    assert customer["decision_note"] == "The card does not belong to the account holder."


def test_a_bad_decision_is_refused(reviewer, claimed):
    response = reviewer.decide(claimed.reference, "maybe")
    assert response.status_code == 400
    assert "decision" in response.json["error"]["fields"]


def test_a_decided_ticket_is_final(reviewer, lead, claimed):
    _accept_all(reviewer, claimed)
    reviewer.decide(claimed.reference, "approved")
    for who in (reviewer, lead):
        response = who.decide(claimed.reference, "rejected", "Changed my mind.")
        assert response.status_code == 409
        assert "already been approved" in response.json["error"]["message"]
        assert (
            who.review(evidence_ids(claimed)["passport"], "rejected", "blurry").status_code == 409
        )
    response = claimed.client.post(
        f"/api/v1/tickets/{claimed.reference}/withdraw", headers=claimed.headers
    )
    assert response.status_code == 409
    assert reviewer.claim().status_code == 204


def test_the_change_ticket_round_trip(reviewer, lead, submitted):
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    body = reviewer.claim().json
    assert body["approvable"] is False
    assert body["approval_missing"] == ["real_name_certificate", "transaction_records"]
    _accept_all(reviewer, ticket)
    body = reviewer.get(f"/tickets/{ticket.reference}").json
    assert body["status"] == "in_review"
    # recovery.md "Second approval": an account change needs a lead's approval too.
    assert reviewer.decide(ticket.reference, "approved").json["status"] == (
        "awaiting_second_approval"
    )
    response = lead.post(f"/tickets/{ticket.reference}/second-approval", {"decision": "approved"})
    assert response.json["status"] == "approved"
    assert response.json["effective_at"]
