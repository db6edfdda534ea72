"""The queue: order, filters, counts, flags set at submission, and who may read it."""

from __future__ import annotations

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import NO_RULE, evidence_ids, sign_in


def _references(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["reference"] for item in response.json["items"]]


def test_queue_lists_waiting_tickets_by_priority_then_first_submission(reviewer, submitted):
    normal_1 = submitted(CHANGE_DIRECT_AUTHENTICATED, account_name="normal-one")
    high_1 = submitted(account_name="unfreeze-one")  # unfreeze: services are down
    low = submitted(
        CHANGE_DIRECT_AUTHENTICATED,
        account_name="incomplete",
        files=["real_name_certificate"],
        explanation="Records are lost.",
    )
    normal_2 = submitted(CHANGE_DIRECT_AUTHENTICATED, account_name="normal-two")
    high_2 = submitted(account_name="unfreeze-two")
    response = reviewer.queue()
    assert _references(response) == [
        high_1.reference,
        high_2.reference,
        normal_1.reference,
        normal_2.reference,
        low.reference,
    ]
    items = {i["reference"]: i for i in response.json["items"]}
    assert items[low.reference]["priority"] == "low"
    assert items[low.reference]["flags"] == ["incomplete"]
    assert items[high_1.reference]["priority"] == "high"
    assert items[normal_1.reference] | {"submitted_at": None} == {
        "reference": normal_1.reference,
        "type": "account_change",
        "status": "awaiting_review",
        "priority": "normal",
        "flags": [],
        "account_name": "normal-one",
        "submitted_at": None,
        "first_submitted_at": items[normal_1.reference]["first_submitted_at"],
        "claimed_by": None,
        "claim_expires_at": None,
        "first_approved_by": None,
        "first_approved_at": None,
        "disputed_at": None,
        "refused_note": None,
    }
    assert response.json["total"] == 5
    # Claims follow the same order.
    assert reviewer.claim().json["reference"] == high_1.reference


def test_a_resubmitted_ticket_keeps_its_place(reviewer, submitted, pdf_bytes):
    first = submitted(account_name="first")
    second = submitted(account_name="second")
    assert reviewer.claim().json["reference"] == first.reference
    response = reviewer.request_materials(
        first.reference, ["driver_license"], "Please add your driver license as well."
    )
    assert response.json["status"] == "needs_more_info"
    assert _references(reviewer.queue()) == [second.reference]
    third = submitted(account_name="third")
    assert (
        first.upload("driver_license", pdf_bytes + b"\n% licence\n", "licence.pdf").status_code
        == 201
    )
    assert first.submit().json["status"] == "awaiting_review"
    # Submitted again after `third`, but first submitted before everyone: still first.
    assert _references(reviewer.queue()) == [first.reference, second.reference, third.reference]
    assert reviewer.claim().json["reference"] == first.reference


def test_tickets_in_review_follow_with_their_holder(reviewer, other_reviewer, submitted):
    held = submitted(account_name="held")
    waiting = submitted(account_name="waiting")
    reviewer.claim()
    response = other_reviewer.queue(counts="true")
    assert _references(response) == [waiting.reference, held.reference]
    assert response.json["items"][1]["status"] == "in_review"
    assert response.json["items"][1]["claimed_by"] == reviewer.email
    assert response.json["items"][1]["claim_expires_at"]
    counts = response.json["counts"]
    assert counts["awaiting_review"] == 1 and counts["in_review"] == 1
    assert counts["held_by"] == {reviewer.email: 1}
    assert counts["by_type"]["unfreeze"] == {"awaiting_review": 1, "in_review": 1}
    assert counts["by_type"]["account_change"] == {"awaiting_review": 0, "in_review": 0}


def test_drafts_and_decided_tickets_are_not_in_the_queue(reviewer, submitted, make_ticket):
    make_ticket(account_name="draft")
    gone = submitted(account_name="withdrawn")
    assert (
        gone.client.post(
            f"/api/v1/tickets/{gone.reference}/withdraw", headers=gone.headers
        ).status_code
        == 200
    )
    response = reviewer.queue()
    assert response.json == {"items": [], "total": 0}  # counts only when asked for


def test_filter_by_type_and_flag(reviewer, submitted):
    change = submitted(CHANGE_DIRECT_AUTHENTICATED, account_name="change")
    unfreeze = submitted(account_name="unfreeze")
    incomplete = submitted(
        account_name="partial", files=["passport"], explanation="The card is lost."
    )
    assert _references(reviewer.queue(type="account_change")) == [change.reference]
    assert set(_references(reviewer.queue(type="unfreeze"))) == {
        unfreeze.reference,
        incomplete.reference,
    }
    assert _references(reviewer.queue(flag="incomplete")) == [incomplete.reference]
    assert _references(reviewer.queue(type="account_change", flag="incomplete")) == []
    response = reviewer.queue(flag="incomplete", counts="true")
    assert response.json["total"] == 1
    assert response.json["counts"]["by_flag"]["incomplete"] == 1  # counts ignore filters
    assert response.json["counts"]["awaiting_review"] == 3


def test_limit_caps_the_items_not_the_total(reviewer, submitted):
    for n in range(3):
        submitted(account_name=f"account-{n}")
    response = reviewer.queue(limit=2)
    assert len(response.json["items"]) == 2
    assert response.json["total"] == 3


def test_bad_filters_are_refused(reviewer):
    for params, field in (
        ({"type": "other"}, "type"),
        ({"flag": "urgent"}, "flag"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
    ):
        response = reviewer.queue(**params)
        assert response.status_code == 400
        assert response.json["error"]["code"] == "invalid_request"
        assert field in response.json["error"]["fields"]


def test_triage_flags_are_visible_and_filterable(reviewer, submitted):
    no_rule = submitted(NO_RULE, account_name="no-rule", files=["passport"])
    first = submitted(account_name="shared-account")
    repeat = submitted(account_name="Shared-Account")  # same account, case aside
    # Its own contact email: a fourth ticket from one address in the window is `velocity`.
    partial = submitted(
        account_name="partial",
        contact_email="partial@example.com",
        files=[],
        explanation="Nothing to hand.",
    )
    flags = {i["reference"]: i["flags"] for i in reviewer.queue().json["items"]}
    assert "no_matching_rule" in flags[no_rule.reference]
    assert "repeat_request" in flags[repeat.reference]
    assert "repeat_request" not in flags[first.reference]  # it was alone when submitted
    assert flags[partial.reference] == ["incomplete"]
    assert _references(reviewer.queue(flag="no_matching_rule")) == [no_rule.reference]
    assert _references(reviewer.queue(flag="repeat_request")) == [repeat.reference]
    counts = reviewer.queue(counts="true").json["counts"]["by_flag"]
    assert counts["no_matching_rule"] == 1 and counts["repeat_request"] == 1


def test_duplicate_evidence_is_flagged_high_and_filterable(reviewer, make_ticket, pdf_bytes):
    from tests.review.helpers import unique_png

    shared = pdf_bytes + b"\n% the same scan twice\n"
    one = make_ticket(account_name="owner-one")
    one.upload("passport", shared, "passport.pdf")
    one.upload("card_front", unique_png(), "card.png")
    assert one.submit().status_code == 200
    two = make_ticket(account_name="owner-two")
    two.upload("passport", shared, "passport.pdf")
    two.upload("card_front", unique_png(), "card.png")
    assert two.submit().status_code == 200
    response = reviewer.queue(flag="duplicate_evidence")
    assert _references(response) == [two.reference]
    assert response.json["items"][0]["priority"] == "high"
    assert evidence_ids(two)["passport"]


def test_reviewer_endpoints_refuse_missing_and_customer_tokens(client, submitted, reviewer):
    ticket = submitted()
    evidence = evidence_ids(ticket)["passport"]
    calls = [
        ("get", "/api/v1/queue", None),
        ("post", "/api/v1/queue/claim", None),
        ("post", f"/api/v1/tickets/{ticket.reference}/release", None),
        ("post", f"/api/v1/tickets/{ticket.reference}/reassign", {"reviewer": reviewer.email}),
        ("get", f"/api/v1/evidence/{evidence}/content", None),
        ("post", f"/api/v1/evidence/{evidence}/review", {"decision": "accepted"}),
        (
            "post",
            f"/api/v1/tickets/{ticket.reference}/request-materials",
            {"materials": ["passport"], "message": "Again please."},
        ),
        ("post", f"/api/v1/tickets/{ticket.reference}/decision", {"decision": "approved"}),
        ("get", f"/api/v1/tickets/{ticket.reference}/history", None),
    ]
    for headers in (
        {},
        ticket.headers,
        {"Authorization": "Bearer rvw_not-a-real-token"},
        {"Authorization": f"Basic {reviewer.token}"},
    ):
        for method, path, body in calls:
            response = getattr(client, method)(path, headers=headers, json=body)
            assert response.status_code == 401, (headers, path)
            assert response.json["error"]["code"] == "unauthorized"
    assert ticket.get()["status"] == "awaiting_review"  # nothing happened


def test_the_api_ignores_a_signed_in_reviewers_session_cookie(app, reviewer, submitted):
    client = app.test_client()
    submitted()
    assert sign_in(client, reviewer.email).status_code == 302
    assert client.get("/review/").status_code == 200  # the session works for pages
    response = client.post("/api/v1/queue/claim")
    assert response.status_code == 401
    assert client.get("/api/v1/queue").status_code == 401


def test_an_inactive_reviewers_token_stops_working(reviewer, submitted, app):
    from triage.extensions import db
    from triage.reviewers.models import Reviewer

    assert reviewer.queue().status_code == 200
    with app.app_context():
        db.session.get(Reviewer, reviewer.id).active = False
        db.session.commit()
    assert reviewer.queue().status_code == 401
