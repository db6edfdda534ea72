"""The whole path through the other parts of issue 12 as they are built: the first and
second approvals set `effective_at` and tell the owner; the owner's link stops the
change; a lead decides again (recovery.md)."""

from __future__ import annotations

from tests.recovery.conftest import (
    CONTACT,
    OWNER,
    links_in,
    notifications,
    page,
    press,
    text_part,
    ticket_row,
)
from tests.review.helpers import evidence_ids


def test_two_approvals_then_the_owner_stops_it_then_a_lead_decides_again(
    app, change_ticket, smtp, reviewer, make_reviewer
):
    lead = make_reviewer("lena@example.com", role="lead")
    made = change_ticket()
    [first_token] = links_in(smtp.to(OWNER)[-1])

    assert reviewer.claim().json["reference"] == made.reference
    for evidence_id in evidence_ids(made.ticket).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    assert reviewer.decide(made.reference, "approved").status_code == 200
    assert ticket_row(app, made.reference).status == "awaiting_second_approval"
    second = lead.post(f"/tickets/{made.reference}/second-approval", {"decision": "approved"})
    assert second.status_code == 200, second.json
    approved = ticket_row(app, made.reference)
    assert approved.status == "approved" and approved.effective_at is not None

    owner_approved = smtp.to(OWNER)[-1]
    assert "approved" in owner_approved["Subject"]
    [token] = links_in(owner_approved)
    assert token != first_token
    [decision] = [m for m in smtp.to(CONTACT) if "approved" in m["Subject"]]
    assert "takes effect on" in text_part(decision)
    assert made.reference in [
        i["reference"] for i in lead.get("/changes", query_string={"ready": "false"}).json["items"]
    ]

    assert press(app.test_client(), token).status_code == 200
    disputed = ticket_row(app, made.reference)
    assert disputed.status == "disputed" and "disputed" in disputed.flags
    assert lead.get("/changes").json["items"] == []

    again = lead.decide(made.reference, "approved", "Spoke to the owner on the phone.")
    assert again.status_code == 200, again.json
    # A disputed ticket needs two approvals: another lead gives the second.
    assert again.json["status"] == "awaiting_second_approval"
    other_lead = make_reviewer("luis@example.com", role="lead")
    final = other_lead.post(f"/tickets/{made.reference}/second-approval", {"decision": "approved"})
    assert final.status_code == 200, final.json
    # The owner hears when it takes effect, with no new link: a lead has decided.
    kinds = [n["kind"] for n in notifications(app, made.reference)]
    assert kinds.count("owner_approved") == 2
    assert links_in(smtp.to(OWNER)[-1]) == []
    # The first notice's unused link cannot stop it a second time.
    shown = page(app.test_client(), first_token)
    assert shown.status_code == 409 and 'id="not-me-reviewed"' in shown.text
