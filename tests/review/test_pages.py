"""Reviewer pages: queue, take next, the review page and its forms; what customers see."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import csrf_token
from tests.review.helpers import (
    ACTIVE_PDF,
    RESELLER_ENTERPRISE_IN_CHINA,
    evidence_ids,
    page_token,
    png_bytes,
    sign_in,
    signed_in,
    unique_pdf,
)


@pytest.fixture
def browser(app, reviewer):
    """A browser signed in as `reviewer`."""
    return signed_in(app, reviewer)


@pytest.fixture
def customer_browser(app):
    """open(ticket) -> a browser that opened the ticket with its access code."""

    def open_ticket(ticket):
        client = app.test_client()
        token = page_token(client, "/resume")
        response = client.post(
            "/resume",
            data={"reference": ticket.reference, "code": ticket.token, "csrf_token": token},
        )
        assert response.status_code == 302
        return client

    return open_ticket


def _text(html: str) -> str:
    """The page's words, without tags, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _post(browser, path: str, page: str, data: dict) -> object:
    return browser.post(path, data={**data, "csrf_token": page_token(browser, page)})


def test_reviewer_pages_need_a_signed_in_reviewer(app, submitted):
    client = app.test_client()
    ticket = submitted()
    for path in ("/review/", f"/review/tickets/{ticket.reference}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/review/sign-in?next=")
    token = page_token(client, "/review/sign-in")
    response = client.post("/review/claim", data={"csrf_token": token})
    assert response.status_code == 302
    assert "/review/sign-in" in response.headers["Location"]
    assert ticket.get()["status"] == "awaiting_review"


def test_the_queue_page_shows_counts_flags_and_holders(
    browser, reviewer, other_reviewer, submitted
):
    held = submitted(account_name="held-account")
    partial = submitted(
        account_name="partial-account", files=["passport"], explanation="The card was cancelled."
    )
    other_reviewer.claim()
    page = browser.get("/review/")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Unfreeze 1 1" in text  # waiting, in review
    assert f"Held by: {other_reviewer.email} (1)" in text
    rows = re.findall(r'data-reference="([^"]+)"', page.text)
    assert rows == [partial.reference, held.reference]  # waiting first, then held
    assert "incomplete" in text and "In review by Olga" in text
    filtered = browser.get("/review/?flag=incomplete")
    assert re.findall(r'data-reference="([^"]+)"', filtered.text) == [partial.reference]
    assert 'value="incomplete" selected' in filtered.text
    bad = browser.get("/review/?flag=nonsense")
    assert bad.status_code == 302


def test_take_next_claims_and_opens_the_ticket(browser, reviewer, submitted):
    ticket = submitted()
    response = _post(browser, "/review/claim", "/review/", {"type": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/review/tickets/{ticket.reference}"
    page = browser.get(response.headers["Location"])
    assert "You</strong> hold this ticket" in page.text
    assert f"Ticket {ticket.reference} is yours" in page.text
    assert ticket.get()["status"] == "in_review"
    response = _post(browser, "/review/claim", "/review/", {"type": "unfreeze"})
    assert response.headers["Location"] == "/review/?type=unfreeze"
    assert "Nothing is waiting" in browser.get("/review/?type=unfreeze").text


def test_forms_without_a_csrf_token_are_refused(browser, submitted):
    submitted()
    response = browser.post("/review/claim", data={"type": ""})
    assert response.status_code == 400
    assert "expired or was sent from another site" in response.text


def test_the_review_page_shows_facts_rule_evidence_and_history(
    browser, reviewer, make_ticket, pdf_bytes, fixture_bytes
):
    ticket = make_ticket(description="I lost my phone.")
    ticket.upload("passport", unique_pdf(pdf_bytes), "passport.pdf")
    ticket.upload("card_front", png_bytes(), "card.png")
    ticket.upload("card_transactions", fixture_bytes("statement.docx"), "statement.docx")
    ticket.upload("driver_license", ACTIVE_PDF, "licence.pdf")
    assert ticket.submit().status_code == 200
    reviewer.claim()
    ids = evidence_ids(ticket)
    page = browser.get(f"/review/tickets/{ticket.reference}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "acme-cloud" in text and "owner@example.com" in text and "I lost my phone." in text
    assert "Card added yes" in text
    # The rule's tree with what accepted evidence covers (nothing yet).
    assert 'data-material="card_front"' in page.text
    assert "Not approvable yet" in text
    # Images inline; the flagged PDF only as a download, with a prominent warning.
    # (in the viewer, with the page's visit token: reads are logged once per visit)
    assert re.search(rf'<img [^>]*src="/review/evidence/{ids["card_front"]}[^"]*visit=', page.text)
    assert f'id="warning-{ids["driver_license"]}"' in page.text
    assert "Active content in this PDF: /JavaScript, /JS, /OpenAction." in text
    assert f'src="/review/evidence/{ids["driver_license"]}' not in page.text
    assert f'href="/review/evidence/{ids["driver_license"]}?download=1"' in page.text
    assert "Office documents are not shown in the browser" in text
    # History, oldest first, with actors.
    history = page.text[page.text.index('id="history"') :]
    actions = re.findall(r'<tr class="event event-([a-z_]+)[ "]', history)
    assert actions[0] == "created" and actions[-1] == "claimed"
    assert f"reviewer:{reviewer.email}" in history
    # The page itself reads nothing: the images do, when the browser loads them.
    assert [e for e in reviewer.history(ticket.reference) if e["action"] == "evidence_read"] == []


def test_the_review_page_names_the_letter_check_of_ruling_7(browser, reviewer, submitted):
    ticket = submitted(
        RESELLER_ENTERPRISE_IN_CHINA,
        files=["authorization_letter"],
        explanation="The other documents follow.",
    )
    claimed = reviewer.claim().json
    assert "a Chinese enterprise's seal suffices" in claimed["authorization_letter_check"]
    page = browser.get(f"/review/tickets/{ticket.reference}")
    assert 'id="letter-check"' in page.text
    assert "a Chinese enterprise's seal suffices" in _text(page.text)
    letter = reviewer.get(f"/tickets/{ticket.reference}").json
    assert letter["status"] == "in_review"


def test_a_ticket_without_a_letter_has_no_letter_check(browser, reviewer, submitted):
    ticket = submitted()
    assert reviewer.claim().json["authorization_letter_check"] is None
    assert 'id="letter-check"' not in browser.get(f"/review/tickets/{ticket.reference}").text


def test_reviewing_files_on_the_page(browser, reviewer, submitted, customer_browser):
    ticket = submitted()
    reviewer.claim()
    ids = evidence_ids(ticket)
    page = f"/review/tickets/{ticket.reference}"
    prefix = f"ev-{ids['card_front']}-"
    response = _post(
        browser,
        f"/review/evidence/{ids['card_front']}/review",
        page,
        {prefix + "decision": "rejected"},
    )
    assert response.status_code == 400
    assert "This is required to reject a file" in response.text
    assert 'aria-invalid="true"' in response.text
    response = _post(
        browser,
        f"/review/evidence/{ids['card_front']}/review",
        page,
        {
            prefix + "decision": "rejected",
            prefix + "reason": "unmasked_card_number",
            prefix + "note": "Cover the middle eight digits.",
        },
    )
    assert response.status_code == 302
    prefix = f"ev-{ids['passport']}-"
    _post(
        browser,
        f"/review/evidence/{ids['passport']}/review",
        page,
        {prefix + "decision": "accepted"},
    )
    statuses = {i["key"]: i["status"] for i in ticket.get()["checklist"]}
    assert statuses["card_front"] == "rejected" and statuses["passport"] == "accepted"
    # The customer reads the reason in plain words.
    shown = _text(customer_browser(ticket).get(f"/tickets/{ticket.reference}").text)
    assert "The full card number is visible: cover all but the first 6" in shown
    assert "Cover the middle eight digits." in shown


def test_requesting_more_on_the_page_reaches_the_customer(
    browser, reviewer, submitted, customer_browser, pdf_bytes
):
    ticket = submitted()
    reviewer.claim()
    page = f"/review/tickets/{ticket.reference}"
    path = f"/review/tickets/{ticket.reference}/request-materials"
    response = _post(browser, path, page, {"materials": ["driver_license"], "message": ""})
    assert response.status_code == 400
    assert "Write what you need and why." in response.text
    message = "Your passport has expired. Please send your driver license instead."
    response = _post(
        browser, path, page, {"materials": ["driver_license", "passport"], "message": message}
    )
    assert response.status_code == 302
    assert ticket.get()["status"] == "needs_more_info"
    customer = customer_browser(ticket)
    shown = customer.get(f"/tickets/{ticket.reference}").text
    request = shown[shown.index('id="next"') : shown.index('id="documents"')]
    assert message in request
    assert "Driver license" in request and "Passport" in request
    assert "We need something more from you" in shown
    # The customer answers through the page; the ticket returns to the queue.
    assert ticket.upload("driver_license", unique_pdf(pdf_bytes), "licence.pdf").status_code == 201
    assert ticket.upload("passport", unique_pdf(pdf_bytes), "passport2.pdf").status_code == 201
    token = page_token(customer, f"/tickets/{ticket.reference}")
    response = customer.post(f"/tickets/{ticket.reference}/submit", data={"csrf_token": token})
    assert response.status_code == 302
    assert ticket.get()["status"] == "awaiting_review"


def test_deciding_on_the_page(browser, reviewer, submitted, customer_browser):
    ticket = submitted()
    reviewer.claim()
    page = f"/review/tickets/{ticket.reference}"
    path = f"/review/tickets/{ticket.reference}/decision"
    response = _post(browser, path, page, {"decision": "approved"})
    assert response.status_code == 409
    text = _text(response.text)
    assert "cannot be approved yet" in text
    assert "Not yet covered by accepted evidence:" in text
    assert 'role="alert" id="action-error"' in response.text
    response = _post(browser, path, page, {"decision": "rejected", "note": ""})
    assert response.status_code == 400
    assert "This is required to reject a ticket" in response.text
    response = _post(
        browser, path, page, {"decision": "rejected", "note": "The card belongs to someone else."}
    )
    assert response.status_code == 302
    shown = _text(customer_browser(ticket).get(f"/tickets/{ticket.reference}").text)
    assert "Your request was not approved" in shown
    assert "The card belongs to someone else." in shown
    # Decided: the page offers no more actions.
    after = browser.get(page).text
    assert 'id="decision-form"' not in after and 'id="release-form"' not in after


def test_approving_on_the_page(browser, reviewer, submitted, customer_browser):
    ticket = submitted()
    reviewer.claim()
    for evidence_id in evidence_ids(ticket).values():
        reviewer.review(evidence_id, "accepted")
    response = _post(
        browser,
        f"/review/tickets/{ticket.reference}/decision",
        f"/review/tickets/{ticket.reference}",
        {"decision": "approved", "note": "Unfrozen."},
    )
    assert response.status_code == 302
    shown = _text(customer_browser(ticket).get(f"/tickets/{ticket.reference}").text)
    assert "Your request was approved" in shown and "Unfrozen." in shown


def test_another_reviewers_ticket_shows_no_actions(browser, other_reviewer, submitted):
    ticket = submitted()
    other_reviewer.claim()
    page = browser.get(f"/review/tickets/{ticket.reference}").text
    assert "Olga (olga@example.com) holds this ticket" in page
    assert 'id="decision-form"' not in page and 'class="review-form"' not in page
    response = _post(
        browser,
        f"/review/tickets/{ticket.reference}/decision",
        f"/review/tickets/{ticket.reference}",
        {"decision": "rejected", "note": "No."},
    )
    assert response.status_code == 403
    assert "another reviewer holds this ticket" in response.text


def test_release_on_the_page(browser, reviewer, submitted):
    ticket = submitted()
    reviewer.claim()
    page = f"/review/tickets/{ticket.reference}"
    response = _post(browser, f"{page}/release", page, {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/"
    assert ticket.get()["status"] == "awaiting_review"


def test_reassigning_on_the_page_is_for_leads(
    app, browser, reviewer, other_reviewer, lead, submitted
):
    ticket = submitted()
    reviewer.claim()
    page = f"/review/tickets/{ticket.reference}"
    assert 'id="reassign-form"' not in browser.get(page).text
    response = _post(browser, f"{page}/reassign", page, {"reviewer": other_reviewer.email})
    assert response.status_code == 403
    lead_browser = app.test_client()
    sign_in(lead_browser, lead.email)
    assert 'id="reassign-form"' in lead_browser.get(page).text
    response = _post(lead_browser, f"{page}/reassign", page, {"reviewer": other_reviewer.email})
    assert response.status_code == 302
    assert reviewer.queue().json["items"][0]["claimed_by"] == other_reviewer.email


def test_csrf_token_helper_sees_the_sign_out_form(browser):
    page = browser.get("/review/")
    assert csrf_token(page.text)
    assert 'action="/review/sign-out"' in page.text
