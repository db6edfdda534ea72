"""The workbench's message area follows what the reviewer just did, without a reload.

"Take next" greets the reviewer with "Ticket X is yours for the next 30 minutes of
inactivity." Once she has decided the ticket in the page, the ticket is no longer hers:
that greeting is gone, and the page says what her decision did instead.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import BROWSER, sign_in

pytestmark = BROWSER


def test_the_lease_greeting_goes_once_the_ticket_is_decided_in_the_page(
    new_page, submitted, reviewer_login
):
    # An account the directory does not know: the approval is the first of two.
    ticket = submitted(known=False)

    desk = new_page()
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    main = desk.locator("main")
    expect(main).to_contain_text(f"Ticket {ticket.reference} is yours for the next")
    desk.evaluate("window.sameVisit = true")  # gone if anything reloads the page

    for article in desk.locator("article.evidence").all():
        article.get_by_label("Accept", exact=True).check()
        article.get_by_role("button", name="Save decision on this file").click()
        expect(article.locator(".review-state")).to_contain_text("accepted")
    decide = desk.locator("#decide")
    decide.get_by_label("Approve", exact=True).check()
    decide.locator("textarea[name=note]").fill("Passport and card match the account.")
    decide.get_by_role("button", name="Save the decision").click()

    expect(desk.locator("#claim")).to_contain_text("Nobody holds it: waiting for a second approval")
    expect(main).not_to_contain_text("is yours for the next")
    expect(desk.locator("#workbench-status")).to_have_text(
        f"Ticket {ticket.reference} approved once: it waits for a lead's second approval."
    )
    assert desk.evaluate("window.sameVisit") is True
    assert desk.errors == []
