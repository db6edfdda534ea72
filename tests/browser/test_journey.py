"""The whole story of an unfreeze ticket, in a real browser.

A customer on a phone files the ticket and uploads; a reviewer at a desk rejects the card
photo for glare and asks for a new one; the customer comes back on another device with the
access code, sends a new photo; the reviewer accepts and approves; the customer sees it.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import (
    BROWSER,
    answer,
    card_png,
    open_item,
    pdf_file,
    shot,
    sign_in,
)
from tests.review.helpers import known_account
from triage.evidence.reasons import REASONS

pytestmark = BROWSER

GLARE_MESSAGE = "Please photograph the card flat on a table, away from the window."


def file_an_unfreeze_ticket(page) -> tuple[str, str]:
    """Answer the facts form (individual account, card bound); returns (reference, code)."""
    page.goto("/")
    page.get_by_role("link", name="My account is restricted or frozen").click()
    answer(page, "individual or an enterprise", "Individual")
    answer(page, "credit card added", "Yes")
    preview = page.locator("#checklist-preview")
    expect(preview).to_contain_text("Choose 2 of these 3")
    expect(preview).to_contain_text("Passport")
    expect(preview).to_contain_text("Front of the credit card")
    page.get_by_label("Account name").fill("acme-cloud")
    page.get_by_label("An email address you can read now").fill("owner@example.com")
    page.get_by_label("Why was the account restricted").select_option(index=1)
    scroll_to_top(page.get_by_role("group", name="credit card added"))
    shot(page, "customer-facts-phone")
    page.get_by_role("button", name="Create my ticket").click()
    expect(page.get_by_role("heading", name="Your ticket is created")).to_be_visible()
    reference = page.locator("#reference").inner_text().strip()
    code = page.locator("#access-code").inner_text().strip()
    shot(page, "customer-created-phone")
    return reference, code


def scroll_to_top(locator) -> None:
    locator.evaluate("element => element.scrollIntoView({block: 'start'})")


def item(page, key: str):
    return page.locator(f"#item-{key}")


def upload_to(page, key: str, *files) -> None:
    """Choose the files for one item and send them with its own Upload button."""
    open_item(page, key)
    box = item(page, key)
    box.locator("input[type=file]").set_input_files(list(files))
    box.get_by_role("button", name="Upload").click()
    for sent in files:
        expect(box.locator(".files .file-pending")).to_contain_text(sent["name"])
    expect(box.locator(".doc-title .chip")).to_have_text("Received")


def test_unfreeze_with_a_card_from_filing_to_approval(app, new_page, reviewer_login):
    # The account has a record that contradicts nothing declared, so one approval decides
    # (recovery.md; the four-eyes path is tests/browser/test_four_eyes.py).
    known_account(app, "acme-cloud")
    # --- the customer files on a phone --------------------------------------------------------
    phone = new_page(phone=True)
    reference, code = file_an_unfreeze_ticket(phone)
    phone.get_by_role("link", name="Continue: add your documents").click()
    expect(phone.locator("h1")).to_have_text(f"Ticket {reference}")
    todo = phone.locator("#next > .todo")
    expect(todo).to_contain_text("Choose 2 of these 3")
    expect(phone.locator("#file-passport")).to_be_hidden()  # options open when chosen

    upload_to(phone, "passport", pdf_file("passport.pdf"))
    open_item(phone, "card_front")
    card = item(phone, "card_front")
    card.locator("input[type=file]").set_input_files([card_png("card-front.png")])
    expect(card.locator(".upload-file img.thumb")).to_be_visible()  # a preview before sending
    scroll_to_top(card)
    shot(phone, "customer-upload-phone")
    card.get_by_role("button", name="Upload").click()
    expect(card.locator(".doc-title .chip")).to_have_text("Received")
    # What is still needed followed without a reload; the option not taken is folded away.
    expect(phone.locator("#next")).to_contain_text("Everything needed is here.")
    expect(phone.locator("#item-card_transactions")).to_be_hidden()
    phone.get_by_role("button", name="Send the ticket").click()
    expect(phone.locator("#ticket-status")).to_contain_text("We are checking your documents")

    # --- the reviewer rejects the card photo and asks for a new one --------------------------
    desk = new_page()
    sign_in(desk, reviewer_login.email)
    expect(desk.locator(f"tr[data-reference='{reference}']")).to_contain_text("Waiting")
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {reference}")
    photo = desk.locator("article.evidence", has_text="card-front.png")
    expect(photo.locator(".preview img")).to_be_visible()
    photo.get_by_label("Reject", exact=True).check()
    photo.get_by_label("Reason for rejecting").select_option("glare")
    photo.get_by_role("button", name="Save decision on this file").click()
    photo = desk.locator("article.evidence", has_text="card-front.png")
    expect(photo.locator(".review-state")).to_contain_text("rejected")
    scroll_to_top(desk.locator("#item-card_front"))
    shot(desk, "reviewer-evidence-desktop")
    ask = desk.locator("#request-more")
    # Nothing is ticked for the reviewer: the card transactions would do as well (ruling 8).
    expect(ask.locator("#ask-card_front")).not_to_be_checked()
    ask.locator("#ask-card_front").check()
    ask.get_by_label("Message to the customer").fill(GLARE_MESSAGE)
    ask.get_by_role("button", name="Send the request").click()
    expect(desk.locator("#ticket-status")).to_contain_text("Waiting for the customer")

    # --- the customer comes back on another device -------------------------------------------
    other = new_page(phone=True)
    other.goto("/resume")
    other.get_by_label("Ticket reference").fill(reference)
    other.get_by_label("Access code").fill(code)
    other.get_by_role("button", name="Open my ticket").click()
    expect(other.locator("#ticket-status")).to_contain_text("We need something more from you")
    expect(other.locator("#next blockquote")).to_have_text(GLARE_MESSAGE)
    expect(other.locator("#next > .todo")).to_contain_text("Front of the credit card")
    expect(other.locator("#next")).to_contain_text("“Send again”")  # not "marked missing"
    card = item(other, "card_front")
    expect(card.locator(".doc-title .chip")).to_have_text("Asked for again")
    expect(card.locator(".file-rejected")).to_contain_text("card-front.png")
    expect(card.locator(".file-rejected .reason")).to_have_text(REASONS["glare"])
    assert other.evaluate("document.documentElement.scrollWidth") <= 375
    shot(other, "customer-asked-phone")
    scroll_to_top(card)
    shot(other, "customer-rejected-phone")
    upload_to(other, "card_front", card_png("card-front-flat.png", shade=40))
    other.get_by_role("button", name="Send again").click()
    expect(other.locator("#ticket-status")).to_contain_text("We are checking your documents")

    # --- the reviewer accepts both files and approves ----------------------------------------
    desk.goto("/review/")
    desk.get_by_role("button", name="Take next").click()
    expect(desk.locator("h1")).to_have_text(f"Ticket {reference}")
    for name in ("passport.pdf", "card-front-flat.png"):
        evidence = desk.locator("article.evidence", has_text=name)
        evidence.get_by_label("Accept", exact=True).check()
        evidence.get_by_role("button", name="Save decision on this file").click()
        expect(
            desk.locator("article.evidence", has_text=name).locator(".review-state")
        ).to_contain_text("accepted")
    expect(desk.locator("#approvable")).to_contain_text("can be approved")
    decide = desk.locator("#decide")
    decide.get_by_label("Approve", exact=True).check()
    decide.get_by_role("button", name="Save the decision").click()
    expect(desk.locator("#ticket-status")).to_contain_text("Approved")

    # --- the customer sees the outcome, on either device --------------------------------------
    for page in (other, phone):
        page.reload()
        expect(page.locator("#ticket-status")).to_contain_text("Approved")
        expect(page.locator("#outcome h2")).to_have_text("Your request was approved")
    shot(other, "customer-approved-phone")
    assert (phone.errors, other.errors, desk.errors) == ([], [], [])
