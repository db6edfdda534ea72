"""What a customer, a careless integrator or a stranger learns (recovery.md: "the
product never tells a stranger what the account's record says"; "the full values are
never returned by the API")."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED
from tests.review.helpers import sign_in
from tests.review.second_helpers import first_approved
from triage.accounts.importing import import_records
from triage.extensions import db

OWNER_EMAIL = "alice.owner@example.org"
OWNER_MOBILE = "+86 138 0013 1234"
RECORD = {
    "account_name": "acme-cloud",
    "customer_type": "direct",
    "real_name_auth": "completed",
    "account_type": "individual",
    "card_added": True,
    "payments_made": True,
    "email": OWNER_EMAIL,
    "mobile": OWNER_MOBILE,
    "card_last4": "4242",
}
# The attacker's claim: nothing to prove.
CLAIM = {**CHANGE_DIRECT_AUTHENTICATED, "real_name_auth": "not_completed"}
VOLATILE = ("reference", "created_at", "account_name", "access_token", "submitted_at")


def _load(app) -> None:
    with app.app_context():
        import_records([(1, RECORD)])
        db.session.commit()


def _shape(body):
    """The customer's JSON with what differs by nature (reference, times) blanked."""
    body = dict(body)
    for key in VOLATILE:
        body.pop(key, None)
    return body


def test_the_customer_json_is_the_same_for_a_known_and_an_unknown_account(app, client):
    _load(app)
    known = client.post("/api/v1/tickets", json=CLAIM)
    unknown = client.post("/api/v1/tickets", json={**CLAIM, "account_name": "no-such-acct"})
    assert known.status_code == unknown.status_code == 201
    assert _shape(known.json) == _shape(unknown.json)
    text = json.dumps(known.json)
    for secret in ("4242", "alice", "138", "facts_mismatch", "unknown_account", "record"):
        assert secret not in text, secret
    auth = {"Authorization": f"Bearer {known.json['access_token']}"}
    got = client.get(f"/api/v1/tickets/{known.json['reference']}", headers=auth).json
    unknown_auth = {"Authorization": f"Bearer {unknown.json['access_token']}"}
    got_u = client.get(f"/api/v1/tickets/{unknown.json['reference']}", headers=unknown_auth).json
    assert _shape(got) == _shape(got_u)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/changes?ready=true", None),
        ("get", "/api/v1/changes", None),
        ("post", "/api/v1/tickets/{ref}/second-approval", {"decision": "approved", "note": "x"}),
        ("post", "/api/v1/tickets/{ref}/legal-hold", {"reason": "keep"}),
        ("delete", "/api/v1/tickets/{ref}/legal-hold", None),
        ("get", "/api/v1/queue?status=awaiting_second_approval", None),
        ("get", "/api/v1/tickets/{ref}/history", None),
    ],
)
def test_a_customer_token_opens_no_reviewer_endpoint(app, reviewer, submitted, method, path, body):
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    first_approved(reviewer, ticket)
    client = app.test_client()
    response = getattr(client, method)(
        path.format(ref=ticket.reference), headers=ticket.headers, json=body
    )
    assert response.status_code in (401, 403, 404), (response.status_code, response.json)
    assert ticket.get()["status"] == "awaiting_second_approval"


@pytest.mark.parametrize("status", ["bogus", "", "awaiting_second_approval'--", "x" * 5000])
def test_unknown_status_filters_answer_400(reviewer, lead, status):
    for who in (reviewer, lead):
        response = who.get("/queue", query_string={"status": status})
        assert response.status_code == 400, (response.status_code, response.get_data()[:200])
        browser = who.client.application.test_client()
        sign_in(browser, who.email)
        page = browser.get("/review/", query_string={"status": status})
        assert page.status_code < 500, page.status_code


def test_no_reviewer_json_or_history_holds_the_full_registered_contacts(
    app, reviewer, lead, submitted
):
    _load(app)
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=[], explanation="lost it all")
    assert reviewer.claim().status_code == 200
    digits = "".join(c for c in OWNER_MOBILE if c.isdigit())
    bodies = [
        reviewer.get(f"/tickets/{ticket.reference}").get_data(as_text=True),
        lead.get(f"/tickets/{ticket.reference}/history").get_data(as_text=True),
        lead.get("/queue", query_string={"status": "in_review"}).get_data(as_text=True),
        lead.get("/changes").get_data(as_text=True),
    ]
    for body in bodies:
        flat = "".join(c for c in body if c.isdigit())
        assert OWNER_EMAIL not in body
        assert digits not in flat


def test_the_review_page_masks_the_registered_contacts(app, reviewer, submitted):
    _load(app)
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED, files=[], explanation="lost it all")
    assert reviewer.claim().status_code == 200
    browser = app.test_client()
    sign_in(browser, reviewer.email)
    page = browser.get(f"/review/tickets/{ticket.reference}")
    assert page.status_code == 200
    digits = "".join(c for c in OWNER_MOBILE if c.isdigit())
    assert OWNER_EMAIL not in page.text
    assert digits not in "".join(c for c in page.text if c.isdigit())


def test_the_customers_submit_never_asks_for_what_only_the_record_needs(
    app, make_ticket, pdf_bytes
):
    """The record says card and payments; the claim says neither. The customer's submit
    follows the claim: a 409 naming record-only items would tell a stranger the record."""
    from tests.review.helpers import unique_pdf

    _load(app)
    ticket = make_ticket(CHANGE_DIRECT_AUTHENTICATED)
    declared = ticket.get()
    for key in declared["missing"]:
        item = next(c for c in declared["checklist"] if c["key"] == key)
        if item["kind"] == "document":
            assert ticket.upload(key, unique_pdf(pdf_bytes), f"{key}.pdf").status_code == 201
    after = ticket.get()
    response = ticket.submit()
    body = response.json
    assert response.status_code == 200 or set(body["error"].get("missing", [])) <= set(
        after["missing"]
    ), body
    assert "card" not in json.dumps(ticket.get()["checklist"]), ticket.get()["checklist"]


def test_the_customer_cannot_read_duplicate_evidence_from_the_priority(app, make_ticket, pdf_bytes):
    """recovery.md / flags.py: the customer never learns what other accounts' tickets hold.
    An account change is `normal` unless a file is on another account's ticket."""
    from tests.review.helpers import known_account

    same = pdf_bytes + b"\n% shared\n"
    seen = {}
    for name in ("victim-acct", "attacker-acct"):
        known_account(app, name)
        ticket = make_ticket(
            CHANGE_DIRECT_AUTHENTICATED, account_name=name, contact_email=f"{name}@example.net"
        )
        for material in ("real_name_certificate", "transaction_records"):
            data = same if material == "real_name_certificate" else same + name.encode()
            assert ticket.upload(material, data, "f.pdf").status_code == 201
        assert ticket.submit().status_code == 200
        seen[name] = (ticket.get().get("priority"), ticket.get()["flags"])
    assert seen["attacker-acct"] == seen["victim-acct"], seen
