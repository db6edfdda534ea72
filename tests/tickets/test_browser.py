"""The two scripts of the customer pages, in a real browser (Debian's Chromium).

resume.js: a private link `/resume#REFERENCE:CODE` opens the ticket, and the code never
reaches the server, a Referer header or the address bar. requirements.js: the checklist
follows the answers without pressing "Show what I need", within the page's CSP.
"""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from tests.conftest import CHANGE_DIRECT_AUTHENTICATED

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium"),
]


@pytest.fixture
def live_url(live_server: str) -> str:
    return live_server


@pytest.fixture
def browser_page(live_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        page.console_messages = []
        page.on("console", lambda message: page.console_messages.append(message.text))
        yield page
        browser.close()


def test_the_private_link_opens_the_ticket_without_leaking_the_code(
    make_ticket, live_url, browser_page
):
    ticket = make_ticket()
    plain = ticket.token.replace("-", "")
    sent = []
    browser_page.on(
        "request",
        lambda request: sent.append(
            (request.url, request.headers.get("referer", ""), request.post_data or "")
        ),
    )
    browser_page.goto(f"{live_url}/resume#{ticket.reference}:{ticket.token}")
    browser_page.wait_for_url(f"{live_url}/tickets/{ticket.reference}")
    assert browser_page.inner_text("h1") == f"Ticket {ticket.reference}"
    assert browser_page.evaluate("window.location.hash") == ""
    posts = [body for url, _, body in sent if url.endswith("/resume") and body]
    assert len(posts) == 1 and ticket.token in posts[0]  # the code travels only in the POST body
    for url, referer, _ in sent:
        assert ticket.token not in url and plain not in url
        assert ticket.token not in referer and plain not in referer
    # Going back does not bring the code back into the address bar.
    browser_page.go_back()
    assert ticket.token not in browser_page.url
    assert not [m for m in browser_page.console_messages if "Content Security Policy" in m]


def test_a_private_link_with_a_wrong_code_shows_the_error_and_clears_the_address_bar(
    make_ticket, live_url, browser_page
):
    ticket = make_ticket()
    browser_page.goto(f"{live_url}/resume#{ticket.reference}:WRONG-CODE")
    browser_page.wait_for_selector("#code-error")
    assert "do not match a ticket" in browser_page.inner_text("#code-error")
    assert "WRONG" not in browser_page.url


def test_the_checklist_follows_the_answers_live(live_url, browser_page):
    page = browser_page
    page.goto(f"{live_url}/new/unfreeze")
    assert page.is_hidden(".preview-button")
    page.check("input[name=account_type][value=individual]")
    page.check("input[name=card_added][value=true]")
    page.wait_for_selector("#checklist-preview >> text=Choose 2 of these 3")
    preview = page.inner_text("#checklist-preview")
    assert "Passport" in preview and "Front of the credit card" in preview
    page.check("input[name=card_added][value=false]")
    # "Choose 1 of these 3" is already on the page (the identity group), so wait for the
    # card item to go: that is the update arriving.
    expect(page.locator("#checklist-preview")).not_to_contain_text("Front of the credit card")
    expect(page.locator("#checklist-preview")).not_to_contain_text("Choose 2 of these")
    assert page.is_hidden(".if-enterprise")
    page.check("input[name=account_type][value=enterprise]")
    assert page.is_visible(".if-enterprise")
    assert not [m for m in page.console_messages if "Content Security Policy" in m]


def test_the_live_checklist_explains_manual_review(live_url, browser_page):
    page = browser_page
    page.goto(f"{live_url}/new/account_change")
    for name in ("customer_type", "real_name_auth", "account_type", "card_added"):
        value = CHANGE_DIRECT_AUTHENTICATED[name]
        value = {True: "true", False: "false"}.get(value, value)
        if name == "real_name_auth":
            value = "not_completed"
        page.check(f"input[name={name}][value={value}]")
    assert page.is_visible(".if-no-card")
    page.check("input[name=payments_made][value=true]")
    page.wait_for_selector("#checklist-preview .manual-review")
    assert "No standard list of materials applies" in page.inner_text("#checklist-preview")
