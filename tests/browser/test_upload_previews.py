"""Chosen files on the customer's page, after an upload redraws the documents part.

A picture the customer chose keeps its thumbnail for as long as its row is shown, in the
box that was sent and in the boxes that were not; and a file refused in an option the
choice no longer needs stays in sight, with why, instead of folding away with the option.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import BROWSER, card_picture, card_png, file, open_item, open_ticket

pytestmark = BROWSER


def header_only_png(name: str) -> dict:
    """A photo cut short after its first bytes: the browser takes it, the server does not
    (422 damaged_file)."""
    return file(name, card_picture(shade=90)[:120], "image/png")


def watch_console(page) -> list[str]:
    """Every console error with the address it is about (the browser's "Failed to load
    resource" names the address only there)."""
    seen = []

    def keep(message) -> None:
        if message.type == "error":
            seen.append(f"{message.text} {message.location.get('url', '')}")

    page.on("console", keep)
    return seen


def assert_previews_drawn(page, scope, count: int) -> None:
    """`count` thumbnails in `scope`'s rows, each a decoded picture, not a type badge."""
    thumbs = scope.locator(".upload-queue img.thumb")
    expect(thumbs).to_have_count(count)
    page.wait_for_function("imgs => imgs.every(img => img.complete)", arg=thumbs.element_handles())
    widths = thumbs.evaluate_all("imgs => imgs.map(img => img.naturalWidth)")
    assert all(width > 0 for width in widths), widths


def test_thumbnails_keep_showing_after_an_upload_redraws_the_page(make_ticket, new_page):
    ticket = make_ticket()
    page = new_page()
    errors = watch_console(page)
    open_ticket(page, ticket.reference, ticket.token)

    # Two pictures chosen for the passport, not sent yet.
    open_item(page, "passport")
    passport = page.locator("#item-passport")
    passport.locator("input[type=file]").set_input_files(
        [card_png("passport-page.png", shade=10), card_png("passport-cover.png", shade=20)]
    )
    assert_previews_drawn(page, passport, 2)

    # Two pictures and a broken one sent for the card.
    open_item(page, "card_front")
    card = page.locator("#item-card_front")
    card.locator("input[type=file]").set_input_files(
        [
            card_png("card-front.png", shade=30),
            card_png("card-front-again.png", shade=40),
            header_only_png("card-scan.png"),
        ]
    )
    card.get_by_role("button", name="Upload").click()
    expect(card.locator(".files li")).to_have_count(2)
    expect(card.locator(".upload-file.is-done")).to_have_count(0)  # the sent rows went
    refused = card.locator(".upload-file")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("card-scan.png")
    expect(card.locator("#file-card_front-error")).to_contain_text("damaged or incomplete")

    # The documents part was drawn again: every row still shown keeps its picture.
    expect(passport.locator(".upload-file")).to_have_count(2)
    assert_previews_drawn(page, passport, 2)
    # The card's refused file keeps its row too; Chromium draws what there is of it.
    assert_previews_drawn(page, page, page.locator(".upload-queue img.thumb").count())
    assert [e for e in errors if "blob:" in e] == []
    assert page.errors == []

    # Choosing again lets the old pictures go and draws the new ones.
    passport.locator("input[type=file]").set_input_files([card_png("passport.png", shade=50)])
    assert_previews_drawn(page, passport, 1)
    assert [e for e in errors if "blob:" in e] == []


def test_a_refusal_stays_in_sight_when_its_option_is_folded_away(make_ticket, new_page):
    ticket = make_ticket()
    page = new_page(phone=True)
    open_ticket(page, ticket.reference, ticket.token)

    open_item(page, "passport")
    passport = page.locator("#item-passport")
    passport.locator("input[type=file]").set_input_files([card_png("passport.png", shade=10)])
    passport.get_by_role("button", name="Upload").click()
    expect(passport.locator(".files")).to_contain_text("passport.png")
    expect(page.locator("#next > .todo")).to_contain_text("Choose 1 more of these 2")

    # The card's statement is tried first, and refused: nothing of it is stored.
    open_item(page, "card_transactions")
    statement = page.locator("#item-card_transactions")
    statement.locator("input[type=file]").set_input_files([header_only_png("statement.png")])
    statement.get_by_role("button", name="Upload").click()
    message = statement.locator("#file-card_transactions-error")
    expect(message).to_contain_text("damaged or incomplete")

    # The card's front meets the choice: the statement's option is not needed now…
    open_item(page, "card_front")
    card = page.locator("#item-card_front")
    card.locator("input[type=file]").set_input_files([card_png("card-front.png", shade=30)])
    card.get_by_role("button", name="Upload").click()
    expect(card.locator(".files")).to_contain_text("card-front.png")
    expect(page.locator("#next")).to_contain_text("Everything needed is here.")
    folded = page.locator("#folded-card_transactions")
    expect(folded.locator("> summary")).to_have_text("1 other option (not needed now)")

    # …but what the customer was told about it is not folded out of sight.
    expect(folded).to_have_js_property("open", True)
    expect(message).to_be_visible()
    expect(statement.locator(".upload-file")).to_contain_text("statement.png")
    expect(statement.locator(".upload-file")).to_be_visible()
    assert page.errors == []
