"""Approval follows the stricter list; reviewers see the record masked and can ask for what
its list lacks; customers never see any of it (recovery.md "Accounts of record")."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.accounts.conftest import (
    ACME_RECORD,
    CLAIMS_NOTHING,
    INFORMATION,
    OWNER_EMAIL,
    OWNER_MOBILE,
)
from tests.conftest import CHANGE_DIRECT_AUTHENTICATED, csrf_token
from tests.review.helpers import (
    evidence_ids,
    page_token,
    sign_in,
    unique_pdf,
    unique_png,
)

RECORD_LIST = [
    "real_name_certificate",
    "transaction_records",
    "card_holder_certificate",
    "card_front",
]
SECRETS = (OWNER_EMAIL, OWNER_MOBILE, "138 0013", "alice.owner", "13800131234")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def claimed(load_records, make_ticket, reviewer):
    """A ticket declaring "not authenticated, no card, no payments" (only information to
    give) for an account whose record says authenticated with a card; submitted complete,
    held by `reviewer`."""
    assert load_records([ACME_RECORD]).exit_code == 0
    ticket = make_ticket(CLAIMS_NOTHING)
    assert ticket.put_information(INFORMATION).status_code == 200
    response = ticket.submit()
    assert response.status_code == 200, response.json
    assert response.json["complete"] is True
    claim = reviewer.claim()
    assert claim.json["reference"] == ticket.reference
    ticket.review_json = claim.json  # what reviewer actions answer (ReviewTicket)
    return ticket


@pytest.fixture
def browser(app, reviewer):
    client = app.test_client()
    assert sign_in(client, reviewer.email).status_code == 302
    return client


def test_approval_is_refused_with_what_the_records_list_lacks(reviewer, claimed):
    response = reviewer.decide(claimed.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "requirements_not_met"
    assert response.json["error"]["missing"] == RECORD_LIST
    assert claimed.get()["status"] == "in_review"
    body = claimed.review_json
    assert body["approvable"] is False
    assert body["approval_missing"] == RECORD_LIST
    assert body["record"]["record_missing"] == RECORD_LIST


def test_reviewers_get_the_record_masked(reviewer, claimed):
    body = claimed.review_json
    record = body["record"]
    assert record["status"] == "mismatch"
    assert record["email"] == "a***@example.org"
    assert record["mobile"] == "+86 ***-****-1234"
    assert record["card_last4"] == "4242"
    assert record["facts"]["real_name_auth"] == "completed"
    assert record["rule"] == "direct_authenticated"
    assert [d["fact"] for d in record["differences"]] == [
        "real_name_auth",
        "card_added",
        "payments_made",
    ]
    assert record["record_requirement"]["satisfied"] is False
    assert "facts_mismatch" in body["flags"]
    for secret in SECRETS:
        assert secret not in str(body)
    # Nowhere else in the API either: the ticket, the queue, the comparison's history.
    for path in (f"/tickets/{claimed.reference}", "/queue"):
        text = reviewer.get(path).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (path, secret)
    checked = [e for e in reviewer.history(claimed.reference) if e["action"] == "record_checked"]
    assert [e["details"] for e in checked] == [{"status": "mismatch"}]


def test_the_customer_never_sees_the_record(app, claimed):
    body = claimed.get()
    assert "record" not in body
    assert body["flags"] == []
    assert body["complete"] is True and body["missing"] == []
    assert not {i["key"] for i in body["checklist"]} & set(RECORD_LIST)
    text = str(body)
    for word in (*SECRETS, "a***", "4242", "facts_mismatch", "direct_authenticated"):
        assert word not in text, word
    # Nor the customer's page.
    client = app.test_client()
    token = page_token(client, "/resume")
    client.post(
        "/resume", data={"reference": claimed.reference, "code": claimed.token, "csrf_token": token}
    )
    page = client.get(f"/tickets/{claimed.reference}")
    assert page.status_code == 200
    for word in (*SECRETS, "a***", "4242", "facts mismatch", "facts_mismatch", "record"):
        assert word not in page.text, word


def test_the_review_page_compares_and_asks_for_the_records_list(
    app, browser, reviewer, claimed, pdf_bytes
):
    path = f"/review/tickets/{claimed.reference}"
    html = browser.get(path).text
    start = html.index('id="record"')
    section = html[start : html.index("</section>", start)]
    words = _text(section)
    assert "a***@example.org" in words and "+86 ***-****-1234" in words and "4242" in words
    for secret in SECRETS:
        assert secret not in section
    # Side by side, the differences marked.
    row = section[section.index('id="record-fact-real_name_auth"') :]
    row = row[: row.index("</tr>")]
    assert 'class="differs"' in row and "not completed" in row and "<mark>completed</mark>" in row
    same = section[section.index('id="record-fact-customer_type"') :]
    assert "<mark>" not in same[: same.index("</tr>")]
    # The form asks for exactly what the record's list lacks, pre-ticked.
    form = section[section.index('id="record-request-form"') : section.index("</form>")]
    ticked = re.findall(r'name="materials" value="([a-z_]+)"[^>]*checked', form)
    assert ticked == RECORD_LIST
    message = unescape(re.search(r"<textarea[^>]*>([^<]*)</textarea>", form).group(1))
    assert message.startswith("To finish checking that this account is yours")
    assert "account's record" not in message and "differ" not in message  # nothing of it
    response = browser.post(
        f"/review/tickets/{claimed.reference}/request-materials",
        data={"materials": ticked, "message": message, "csrf_token": csrf_token(html)},
    )
    assert response.status_code == 302
    body = claimed.get()
    assert body["status"] == "needs_more_info"
    assert body["requests"][-1]["materials"] == RECORD_LIST

    # The customer sends them; once accepted, approval goes through.
    for material in RECORD_LIST:
        data, name = (
            (unique_png(), "card.png")
            if material == "card_front"
            else (unique_pdf(pdf_bytes), f"{material}.pdf")
        )
        assert claimed.upload(material, data, name).status_code == 201
    assert claimed.submit().status_code == 200
    body = reviewer.claim().json
    assert body["reference"] == claimed.reference
    assert body["approvable"] is False and body["record"]["record_missing"] == RECORD_LIST
    for evidence_id in evidence_ids(claimed).values():
        assert reviewer.review(evidence_id, "accepted").status_code == 200
    html = browser.get(path).text
    assert "Accepted evidence covers the record's list too." in _text(html)
    response = reviewer.decide(claimed.reference, "approved")
    assert response.status_code == 200, response.json
    assert response.json["record"]["record_missing"] == []
    assert response.json["approval_missing"] == []
    # Another part may ask for a second approval of flagged account changes.
    assert response.json["status"] in ("approved", "awaiting_second_approval")


def test_the_form_is_offered_only_to_who_can_act(app, make_reviewer, claimed):
    other = make_reviewer("olga@example.com")
    client = app.test_client()
    assert sign_in(client, other.email).status_code == 302
    html = client.get(f"/review/tickets/{claimed.reference}").text
    assert 'id="record"' in html and "a***@example.org" in html
    assert 'id="record-request-form"' not in html


def test_a_matching_record_adds_nothing_to_approve(load_records, submitted, reviewer):
    matching = {**ACME_RECORD, "card_added": False, "payments_made": False, "card_last4": None}
    assert load_records([matching]).exit_code == 0
    ticket = submitted(CHANGE_DIRECT_AUTHENTICATED)
    body = reviewer.claim().json
    assert body["reference"] == ticket.reference
    record = body["record"]
    assert record["status"] == "matched"
    assert record["differences"] == [] and record["record_missing"] == []
    assert record["record_requirement"] is None


def test_pending_and_unknown_on_the_page(app, browser, make_ticket):
    ticket = make_ticket(CHANGE_DIRECT_AUTHENTICATED, account_name="nobody-knows")
    words = _text(browser.get(f"/review/tickets/{ticket.reference}").text)
    assert "The account directory has no record of “nobody-knows”" in words
    # A directory that does not answer (a closed port) leaves it pending.
    from triage.extensions import db
    from triage.tickets.models import Ticket

    with app.app_context():
        row = db.session.query(Ticket).filter_by(reference=ticket.reference).one()
        row.record_status = "pending"
        db.session.commit()
    words = _text(browser.get(f"/review/tickets/{ticket.reference}").text)
    assert "the directory has not answered yet; retried every minute" in words


def test_a_record_no_rule_fits_still_needs_an_accepted_file(
    browser, load_records, make_ticket, reviewer
):
    # Declared "no payments" gives a list of typed answers only; the record says payments
    # were made, a combination no row covers (ruling 2): a file must back the decision.
    paid = {
        **ACME_RECORD,
        "real_name_auth": "not_completed",
        "card_added": False,
        "card_last4": None,
    }
    assert load_records([paid]).exit_code == 0
    ticket = make_ticket(CLAIMS_NOTHING)
    assert ticket.put_information(INFORMATION).status_code == 200
    assert ticket.submit().status_code == 200
    body = reviewer.claim().json
    assert body["record"]["differences"] == [
        {"fact": "payments_made", "declared": False, "record": True}
    ]
    assert body["record"]["record_missing"] == ["evidence"]
    assert body["approvable"] is False and body["approval_missing"] == ["evidence"]
    response = reviewer.decide(ticket.reference, "approved")
    assert response.status_code == 409
    assert response.json["error"]["missing"] == ["evidence"]
    words = _text(browser.get(f"/review/tickets/{ticket.reference}").text)
    assert "No standard list applies to the record's facts" in words
    assert "Approval needs at least one accepted file." in words
