"""The workbench drops `main > .notice` after any in-page answer (static/js/workbench.js
`dropLoadedNotices`): notices that are still true, or that the reviewer still needs, go too."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import BROWSER, sign_in

pytestmark = BROWSER


def _take(desk, submitted, reviewer_login):
    ticket = submitted(known=False)
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    expect(desk.locator("main")).to_contain_text("is yours for the next")
    return ticket


def test_a_per_file_decision_keeps_the_lease_notice_while_the_ticket_is_still_hers(
    new_page, submitted, reviewer_login
):
    desk = new_page()
    _take(desk, submitted, reviewer_login)
    article = desk.locator("article.evidence").first
    article.get_by_label("Accept", exact=True).check()
    article.get_by_role("button", name="Save decision on this file").click()
    expect(article.locator(".review-state")).to_contain_text("accepted")
    # The ticket is not decided: she still holds it, the greeting is still true.
    expect(desk.locator("main")).to_contain_text("is yours for the next")


def test_an_error_notice_that_came_with_the_page_survives_an_unrelated_save(
    new_page, submitted, reviewer_login
):
    desk = new_page()
    _take(desk, submitted, reviewer_login)
    # As base.html renders an 'error' flash (category error) with the page.
    desk.evaluate(
        """() => { const p = document.createElement('p');
        p.className = 'notice notice-error'; p.setAttribute('role', 'status');
        p.textContent = 'Your last decision was not saved: the ticket changed.';
        const first = document.querySelector('main > .notice');
        first.parentNode.insertBefore(p, first); }"""
    )
    article = desk.locator("article.evidence").first
    article.get_by_label("Accept", exact=True).check()
    article.get_by_role("button", name="Save decision on this file").click()
    expect(article.locator(".review-state")).to_contain_text("accepted")
    expect(desk.locator("main")).to_contain_text("was not saved")
