"""Decide and take next when nothing else waits (issue 13, part 5): the reviewer lands on
the queue, and the address bar says so, as it does without the script."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import BROWSER, sign_in

pytestmark = BROWSER

WIDE = {"width": 1440, "height": 900}


def test_decide_and_take_next_with_an_empty_queue_goes_to_the_queue(
    new_page, submitted, reviewer_login, live_server
):
    ticket = submitted()  # the only ticket waiting
    desk = new_page(viewport=WIDE)
    sign_in(desk, reviewer_login.email)
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
    expect(desk).to_have_url(re.compile(rf"/review/tickets/{ticket.reference}$"))

    desk.keyboard.press("d")
    desk.locator("#decision-form input[value=rejected]").check()
    desk.locator("#decision-form textarea").fill("Nothing shows the account is yours.")
    desk.locator("#decision-form textarea").press("Escape")
    desk.keyboard.press("n")

    expect(desk.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(desk.locator("main")).to_contain_text(f"Ticket {ticket.reference} rejected.")
    expect(desk.locator("main")).to_contain_text("Nothing else is waiting in the queue just now.")
    expect(desk).to_have_url(f"{live_server}/review/")  # the queue's own address
    assert desk.locator("#workbench").count() == 0
    assert desk.errors == []
