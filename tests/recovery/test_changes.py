"""`GET /api/v1/changes` (recovery.md "Notice to the registered owner, and a waiting
period"): approved account changes with `effective_at`; `ready=true` only those whose
waiting period is over, never a disputed one; reviewers and leads only."""

from __future__ import annotations

from tests.recovery.conftest import UNFREEZE, later, set_columns


def references(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["reference"] for item in response.json["items"]]


def test_ready_lists_only_changes_whose_waiting_period_is_over(app, change_ticket, reviewer, lead):
    ready = change_ticket()
    ready.approve(later(-1))
    waiting = change_ticket()
    waiting.approve(later(71))
    disputed = change_ticket()
    disputed.approve(later(-2))
    set_columns(app, disputed.reference, status="disputed", disputed_at=later(-3))
    in_review = change_ticket()  # not approved: never listed
    unfreeze = change_ticket(base=UNFREEZE)
    unfreeze.approve(None)

    assert references(reviewer.get("/changes", query_string={"ready": "true"})) == [ready.reference]
    assert references(lead.get("/changes", query_string={"ready": "false"})) == [waiting.reference]
    everything = reviewer.get("/changes")
    assert references(everything) == [ready.reference, waiting.reference]  # soonest first
    assert everything.json["total"] == 2
    [item, _] = everything.json["items"]
    assert item["account_name"] == "acme-cloud"
    assert item["change"] == {"mobile": "+44 7700 900123", "email": None}
    assert item["ready"] is True
    assert item["effective_at"].endswith("Z")
    assert item["approved_at"] and item["decided_at"]
    assert in_review.reference not in references(everything)


def test_a_lead_approving_a_disputed_change_again_makes_it_ready_again(
    app, change_ticket, reviewer
):
    made = change_ticket()
    made.approve(later(-1))
    set_columns(app, made.reference, status="disputed", disputed_at=later(-0.5))
    assert references(reviewer.get("/changes", query_string={"ready": "true"})) == []
    made.approve(later(-0.1), after_dispute=True)
    assert references(reviewer.get("/changes", query_string={"ready": "true"})) == [made.reference]


def test_the_list_is_for_reviewers_only(app, change_ticket, client):
    made = change_ticket()
    assert client.get("/api/v1/changes").status_code == 401
    customer = {"Authorization": f"Bearer {made.ticket.token}"}
    answer = client.get("/api/v1/changes", headers=customer)
    assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"


def test_bad_switches_and_unknown_parameters_are_refused(reviewer):
    assert reviewer.get("/changes", query_string={"ready": "maybe"}).status_code == 400
    assert reviewer.get("/changes", query_string={"status": "approved"}).status_code == 400
    assert reviewer.get("/changes", query_string={"limit": "0"}).status_code == 400
    assert reviewer.get("/changes", query_string={"limit": "1"}).status_code == 200
