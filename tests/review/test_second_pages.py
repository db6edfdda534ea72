"""Second approval on the reviewers' pages (recovery.md "Second approval"): the lead's
queue tab, the approvals panel of the review page and its forms, with the same rules as
the API (tests/review/test_second_approval.py)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.review.helpers import page_token, sign_in
from tests.review.second_helpers import (  # noqa: F401 - fixtures
    CHANGE,
    app_config,
    events,
    first_approved,
    held_approvable,
    notifications,
    row,
    second,
    second_approval_policy,
)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _panel(html: str) -> str:
    start = html.index('id="approvals"')
    return _text(html[start : html.index("</section>", start)])


@pytest.fixture
def browser_for(app):
    """browser_for(api_reviewer) -> a browser signed in as that reviewer."""

    def sign(who):
        client = app.test_client()
        assert sign_in(client, who.email).status_code == 302
        return client

    return sign


def _post(browser, path: str, page: str, data: dict):
    return browser.post(path, data={**data, "csrf_token": page_token(browser, page)})


def test_the_leads_second_approval_tab(browser_for, reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket, "Documents match.")
    lead_browser = browser_for(lead)
    queue = lead_browser.get("/review/").text
    assert 'id="tab-second-approval"' in queue and "Second approval (1)" in _text(queue)
    assert ticket.reference not in queue[queue.index('id="queue"') :]  # not in review
    tab = lead_browser.get("/review/?status=awaiting_second_approval")
    assert tab.status_code == 200
    listed = tab.text[tab.text.index('id="queue"') :]
    assert ticket.reference in listed
    assert "Waiting for a second approval (1)" in _text(listed)
    assert "By Rita" in _text(listed)
    assert 'name="status" value="awaiting_second_approval"' in listed  # filters keep the tab
    # Reviewers who are not leads have no tabs, and no disputed queue.
    mine = browser_for(reviewer)
    assert 'id="queue-tabs"' not in mine.get("/review/").text
    response = mine.get("/review/?status=disputed")
    assert response.status_code == 302
    assert "Only leads see disputed tickets" in mine.get(response.headers["Location"]).text


def test_a_first_approval_on_the_page_waits_for_a_lead(app, browser_for, reviewer, submitted):
    ticket = submitted(CHANGE)
    held_approvable(reviewer, ticket)
    browser = browser_for(reviewer)
    page = f"/review/tickets/{ticket.reference}"
    assert "first of two approvals" in _panel(browser.get(page).text)
    response = _post(browser, f"{page}/decision", page, {"decision": "approved", "note": "OK."})
    assert response.status_code == 302
    shown = browser.get(page).text
    assert "waits for a lead's second approval" in _text(shown)  # the flash
    panel = _panel(shown)
    assert "Rita (rita@example.com)" in panel and "“OK.”" in panel
    assert "You gave the first approval: a lead other than you gives the second approval." in (
        panel
    )
    assert 'id="second-approval-form"' not in shown
    assert row(app, ticket.reference).status == "awaiting_second_approval"
    assert notifications(app, ticket.reference) == []


def test_the_panel_offers_the_forms_only_to_an_eligible_lead(
    browser_for, reviewer, other_reviewer, lead, make_reviewer, submitted
):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket, "Statement and certificate match.")
    page = f"/review/tickets/{ticket.reference}"
    shown = browser_for(lead).get(page).text
    assert 'id="second-approval-form"' in shown
    panel = _panel(shown)
    assert "Statement and certificate match." in panel  # the first approver's note
    assert "Give the second approval" in panel and "Refuse and send back to Rita" in panel
    # A reviewer who is not a lead reads why there is nothing to do.
    shown = browser_for(other_reviewer).get(page).text
    assert 'id="second-approval-form"' not in shown
    assert "a lead other than you and Rita gives the second approval" in _panel(shown)
    assert "Only leads give it." in _panel(shown)
    # Neither may post it: the page answers 403 with the reason.
    for who in (reviewer, other_reviewer):
        browser = browser_for(who)
        response = _post(browser, f"{page}/second-approval", page, {"decision": "approved"})
        assert response.status_code == 403
        assert "lead" in _text(response.text)
    # A lead who gave the first approval is told the same, and refused the same.
    lead_first = submitted(CHANGE, account_name="lead-first")
    first_approved(lead, lead_first)
    other_page = f"/review/tickets/{lead_first.reference}"
    browser = browser_for(lead)
    shown = browser.get(other_page).text
    assert 'id="second-approval-form"' not in shown
    assert "a lead other than you gives the second approval" in _panel(shown)
    response = _post(browser, f"{other_page}/second-approval", other_page, {"decision": "approved"})
    assert response.status_code == 403
    assert "a lead other than you gives the second approval" in _text(response.text)


def test_approving_on_the_page(app, browser_for, reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket, "Documents match.")
    browser = browser_for(lead)
    page = f"/review/tickets/{ticket.reference}"
    response = _post(
        browser, f"{page}/second-approval", page, {"decision": "approved", "note": "Agreed."}
    )
    assert response.status_code == 302
    shown = browser.get(page).text
    assert f"Ticket {ticket.reference} approved" in shown
    panel = _panel(shown)
    assert "Lena (lena@example.com)" in panel and "“Agreed.”" in panel
    assert "Takes effect" in panel
    committed = row(app, ticket.reference)
    assert committed.status == "approved" and committed.effective_at is not None
    assert len(notifications(app, ticket.reference)) == 1
    # The history on the page has both approvers.
    history = _text(shown[shown.index('id="history"') :])
    assert "first approved" in history and "second approver: lena@example.com" in history


def test_refusing_on_the_page_needs_a_note_and_returns_the_ticket(
    app, browser_for, reviewer, lead, submitted
):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    browser = browser_for(lead)
    page = f"/review/tickets/{ticket.reference}"
    path = f"{page}/second-approval"
    response = _post(browser, path, page, {"decision": "rejected", "note": " "})
    assert response.status_code == 400
    assert "This is required to refuse the second approval" in response.text
    assert 'id="second-note-error"' in response.text
    response = _post(browser, path, page, {"decision": "maybe"})
    assert response.status_code == 400
    assert row(app, ticket.reference).status == "awaiting_second_approval"
    response = _post(
        browser, path, page, {"decision": "rejected", "note": "The certificate is unsigned."}
    )
    assert response.status_code == 302
    assert "went back to Rita with your note" in browser.get(page).text
    # The first approver holds it again and reads the note.
    mine = browser_for(reviewer).get(page).text
    panel = _panel(mine)
    assert "Your approval was sent back" in panel
    assert "The certificate is unsigned." in panel
    assert "Lena" in panel or "lena@example.com" in panel
    assert 'id="decision-form"' in mine  # may act on it again
    assert (events(app, ticket.reference, "second_approval_refused")[0].details["note"]) == (
        "The certificate is unsigned."
    )


def test_second_approval_forms_need_a_csrf_token(browser_for, reviewer, lead, submitted):
    ticket = submitted(CHANGE)
    first_approved(reviewer, ticket)
    response = browser_for(lead).post(
        f"/review/tickets/{ticket.reference}/second-approval", data={"decision": "approved"}
    )
    assert response.status_code == 400
    assert ticket.get()["status"] == "awaiting_second_approval"


@pytest.mark.parametrize("second_approval_policy", ["flagged"])
def test_a_ticket_needing_one_approval_says_so(browser_for, reviewer, submitted):
    ticket = submitted(CHANGE)
    held_approvable(reviewer, ticket)
    page = browser_for(reviewer).get(f"/review/tickets/{ticket.reference}").text
    assert "One approval is enough for this ticket (policy: flagged)" in _panel(page)
